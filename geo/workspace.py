"""The case together with a researcher's own layers, as one records frame.

The shipped case is read-only evidence; what a researcher draws or imports
lives in the store (geo.store) and is shown beside it, one map layer per
researcher layer, filtered by the same dates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from geo.case import CASE_LAYER, RECORD_COLUMNS, Case, with_date_spans
from geo.geojson import representative_lonlat
from geo.query import date_mask
from geo.records import ANNOTATIONS_LAYER, CASE_KINDS, Kind, LayerRecord, kind_label


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan  # a flag is an int to Python, not a distance
    return float(value) if math.isfinite(value) and value > 0 else math.nan


def layer_frame(records: list[LayerRecord]) -> pd.DataFrame:
    """Researcher records in the columns of the case's records frame."""
    if not records:
        return (
            pd.DataFrame({column: [] for column in RECORD_COLUMNS})
            .astype({"lon": float, "lat": float, "uncertainty_m": float})
            .pipe(with_date_spans)[RECORD_COLUMNS]
        )
    lonlat = [representative_lonlat(r.geometry) for r in records]
    frame = pd.DataFrame(
        {
            "id": [r.id for r in records],
            "layer": [r.layer for r in records],
            "kind": [r.kind.value for r in records],
            "name": [r.name for r in records],
            "lon": [ll[0] for ll in lonlat],
            "lat": [ll[1] for ll in lonlat],
            "uncertainty_m": [_number(r.properties.get("uncertainty_m")) for r in records],
            "date": [r.date for r in records],
            "date_as_stated": [r.date_as_stated for r in records],
            "confidence": [
                r.properties.get("confidence")
                if isinstance(r.properties.get("confidence"), str)
                else None
                for r in records
            ],
            "claim": None,
            "file": "store",
            "geometry": [r.geometry for r in records],
            "properties": [r.properties for r in records],
        }
    )
    return with_date_spans(frame)[RECORD_COLUMNS]


def combined_records(case: Case, records: list[LayerRecord]) -> pd.DataFrame:
    """The case's records, then the researcher's."""
    if not records:
        return case.records
    return pd.concat([case.records, layer_frame(records)], ignore_index=True)


def researcher_layers(records: pd.DataFrame) -> list[str]:
    """Names of the researcher's layers present in `records`, annotations first."""
    names = records.loc[records["layer"] != CASE_LAYER, "layer"].unique().tolist()
    return sorted(names, key=lambda name: (name != ANNOTATIONS_LAYER, name.casefold()))


def filter_view(
    records: pd.DataFrame,
    start: date | None,
    end: date | None,
    kinds: Iterable[Kind],
    hidden_layers: Iterable[str] = (),
) -> pd.DataFrame:
    """What the view shows: the case's chosen kinds and the researcher layers not hidden."""
    is_case = records["layer"] == CASE_LAYER
    shown_kind = records["kind"].isin([Kind(k).value for k in kinds])
    shown_layer = ~records["layer"].isin(list(hidden_layers))
    keep = date_mask(records, start, end) & ((is_case & shown_kind) | (~is_case & shown_layer))
    return records[keep]


@dataclass(frozen=True)
class ViewFilter:
    """What the view shows: a date range (by overlap), the case's kinds, and the
    researcher's layers that are not switched off."""

    start: date | None = None
    end: date | None = None
    kinds: tuple[Kind, ...] = CASE_KINDS
    hidden: tuple[str, ...] = ()  # the researcher's layers switched off

    def shown(self, records: pd.DataFrame) -> pd.DataFrame:
        return filter_view(records, self.start, self.end, self.kinds, self.hidden)

    def researcher(self, records: pd.DataFrame) -> tuple[str, ...]:
        """The researcher's layers this filter shows, in their order."""
        return tuple(name for name in researcher_layers(records) if name not in self.hidden)


def record_titles(records: pd.DataFrame) -> dict[str, str]:
    """'facility feature · Probable firewall (layer)' for every record, by id.

    Built once per run: a selector with tens of thousands of options asks for each
    title, and a search of the frame per title would make that quadratic.
    """
    kinds = records["kind"].map(kind_label)
    where = (" (" + records["layer"] + ")").where(records["layer"] != CASE_LAYER, "")
    titles = kinds + " · " + records["name"] + where
    # A selector tells its choices apart by title: two records of one title get their ids.
    repeated = titles.duplicated(keep=False)
    titles = titles.where(~repeated, titles + " [" + records["id"] + "]")
    return dict(zip(records["id"], titles, strict=True))
