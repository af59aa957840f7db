"""The case together with a researcher's own layers, as one records frame.

The shipped case is read-only evidence; what a researcher draws or imports
lives in the store (geo.store) and is shown beside it, one map layer per
researcher layer, filtered by the same dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from geo.case import Case
from geo.frame import records_frame
from geo.query import date_mask
from geo.records import ANNOTATIONS_LAYER, CASE_KINDS, CASE_LAYER, Kind, LayerRecord, kind_label


def combined_records(case: Case, records: list[LayerRecord]) -> pd.DataFrame:
    """The case's records, then the researcher's."""
    if not records:
        return case.records
    return pd.concat([case.records, records_frame(records)], ignore_index=True)


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
