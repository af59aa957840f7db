"""The records frame: every record, the case's and the researcher's, as one pandas frame.

The map, the filters, the timeline and the exports read records from a frame with
one column per field they filter, sort or show (`RECORD_COLUMNS`); `records_frame`
is the one place a frame is built from records (`geo.records.LayerRecord`), and
`record_rows` / `row_record` the one way back. Tens of thousands of records filter
in milliseconds as columns, where a list of objects would be walked one by one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import pandas as pd

from geo.dates import parse_date
from geo.geojson import representative_lonlat
from geo.records import CASE_LAYER, Kind, LayerRecord

RECORD_COLUMNS = [
    "id",
    "layer",
    "kind",
    "name",
    "lon",
    "lat",
    "uncertainty_m",
    "date",
    "date_as_stated",
    "date_start",
    "date_end",
    "date_precision",
    "confidence",
    "claim",
    "file",
    "geometry",
    "properties",
]

# Where a researcher's records were read from (the `file` column).
STORE_FILE = "store"


class RecordRow(Protocol):
    """A row of a records frame, as `record_rows` (pandas' `itertuples`) gives it.

    One attribute per column of `RECORD_COLUMNS`. Read-only: a row is a named tuple.
    """

    @property
    def id(self) -> str: ...
    @property
    def layer(self) -> str: ...  # CASE_LAYER, or the name of a researcher's layer
    @property
    def kind(self) -> str: ...  # a Kind's or a Kind's value
    @property
    def name(self) -> str: ...
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def uncertainty_m(self) -> float: ...  # NaN when a researcher's record gives none
    @property
    def date(self) -> str | None: ...  # EDTF
    @property
    def date_as_stated(self) -> str | None: ...
    @property
    def date_start(self) -> pd.Timestamp: ...  # NaT when undated
    @property
    def date_end(self) -> pd.Timestamp: ...  # NaT when undated
    @property
    def date_precision(self) -> str | None: ...
    @property
    def confidence(self) -> str | None: ...
    @property
    def claim(self) -> str | None: ...  # a claim's id (the case's records only)
    @property
    def file(self) -> str: ...  # where the record was read from (STORE_FILE: the researcher's)
    @property
    def geometry(self) -> dict[str, Any]: ...  # RFC 7946
    @property
    def properties(self) -> dict[str, Any]: ...  # as the file or the form gave them


def record_rows(records: pd.DataFrame) -> Iterator[RecordRow]:
    """The rows of a records frame (`RECORD_COLUMNS`), in order, as fast as pandas reads them."""
    yield from records.itertuples(index=False)


def row_record(row: RecordRow) -> LayerRecord:
    """The record a row was built from (`records_frame`'s inverse)."""
    return LayerRecord(
        id=row.id,
        layer=row.layer,
        kind=Kind(row.kind),
        name=row.name,
        geometry=row.geometry,
        properties=row.properties,
        date=row.date,
        date_as_stated=row.date_as_stated,
    )


def _radius(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan  # a flag is an int to Python, not a distance
    return float(value) if math.isfinite(value) and value > 0 else math.nan


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def records_frame(
    records: Sequence[LayerRecord], files: Sequence[str] | None = None
) -> pd.DataFrame:
    """Records as a frame in `RECORD_COLUMNS`; `files[i]` is where record i was read
    from (STORE_FILE for each when not given).

    Uncertainty and confidence come from the properties when they are a positive
    number and a text; a claim only for the case's records, whose claims the case
    declares (a researcher's file may use the word for anything).
    """
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
            "kind": [Kind(r.kind).value for r in records],
            "name": [r.name for r in records],
            "lon": [ll[0] for ll in lonlat],
            "lat": [ll[1] for ll in lonlat],
            "uncertainty_m": [_radius(r.properties.get("uncertainty_m")) for r in records],
            "date": [r.date for r in records],
            "date_as_stated": [r.date_as_stated for r in records],
            "confidence": [_text(r.properties.get("confidence")) for r in records],
            "claim": [
                _text(r.properties.get("claim")) if r.layer == CASE_LAYER else None for r in records
            ],
            "file": list(files) if files is not None else STORE_FILE,
            "geometry": [r.geometry for r in records],
            "properties": [r.properties for r in records],
        }
    )
    return with_date_spans(frame)[RECORD_COLUMNS]


def with_date_spans(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the span of days each record's date covers; optional text stays None, not NaN."""
    # Parse each distinct date once: cases repeat dates far more than records.
    spans = {text: parse_date(text) for text in frame["date"].dropna().unique()}
    frame["date_start"] = pd.to_datetime(
        frame["date"].map({t: s.start for t, s in spans.items()})
    ).astype("datetime64[s]")
    frame["date_end"] = pd.to_datetime(
        frame["date"].map({t: s.end for t, s in spans.items()})
    ).astype("datetime64[s]")
    frame["date_precision"] = frame["date"].map({t: s.precision.value for t, s in spans.items()})
    for column in ("date", "date_as_stated", "date_precision", "confidence", "claim"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame
