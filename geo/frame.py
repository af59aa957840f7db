"""The records frame: every record, the case's and the researcher's, as one pandas frame.

The map, the filters, the timeline and the exports read records from a frame with
one column per field they filter, sort or show (`RECORD_COLUMNS`); `records_frame`
is the one place a frame is built from records (`geo.records.LayerRecord`), and
`record_rows` / `row_record` the one way back. Tens of thousands of records filter
in milliseconds as columns, where a list of objects would be walked one by one.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from geo.bulk import collection_paused
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


# The columns `_row_values` gives, in its order; the dates' spans are added after.
_BUILT_COLUMNS = tuple(
    column
    for column in RECORD_COLUMNS
    if column not in ("date_start", "date_end", "date_precision", "file")
)
# Records made columns at a time by `fields_frame`.
FRAME_CHUNK = 10_000
# Columns of the built frame that hold text (None where they hold none) or JSON values.
_OBJECT_COLUMNS = frozenset(_BUILT_COLUMNS) - {"lon", "lat", "uncertainty_m"}
# A kind's value by the kind or its value (a Kind is equal to its value, and hashes so).
_KIND_VALUES: dict[str, str] = {kind.value: kind.value for kind in Kind}

# A record as its fields, in `geo.records.RECORD_FIELDS` order: id, layer, name, kind,
# geometry, properties, date, date_as_stated.
RecordFields = tuple[str, str, str, str, dict[str, Any], dict[str, Any], str | None, str | None]


def _row_values(fields: RecordFields) -> tuple[Any, ...]:
    """A record's values in `_BUILT_COLUMNS` order."""
    record_id, layer, name, kind, geometry, properties, date, date_as_stated = fields
    if geometry["type"] == "Point":  # most records: their position, without shapely
        lon, lat = float(geometry["coordinates"][0]), float(geometry["coordinates"][1])
    else:
        lon, lat = representative_lonlat(geometry)
    return (
        record_id,
        layer,
        _KIND_VALUES.get(kind) or Kind(kind).value,
        name,
        lon,
        lat,
        _radius(properties.get("uncertainty_m")),
        date,
        date_as_stated,
        _text(properties.get("confidence")),
        _text(properties.get("claim")) if layer == CASE_LAYER else None,
        geometry,
        properties,
    )


def records_frame(
    records: Iterable[LayerRecord], files: Sequence[str] | None = None
) -> pd.DataFrame:
    """Records as a frame in `RECORD_COLUMNS`; `files[i]` is where record i was read
    from (STORE_FILE for each when not given).

    Uncertainty and confidence come from the properties when they are a positive
    number and a text; a claim only for the case's records, whose claims the case
    declares (a researcher's file may use the word for anything).
    """
    return fields_frame(
        (
            (r.id, r.layer, r.name, r.kind, r.geometry, r.properties, r.date, r.date_as_stated)
            for r in records
        ),
        files,
    )


def fields_frame(
    records: Iterable[RecordFields], files: Sequence[str] | None = None, count: int | None = None
) -> pd.DataFrame:
    """`records_frame` of records given as their fields (`RecordFields`), checked as a
    record's are: a case's records, without a `LayerRecord` made for each. `records`
    is read once, so a generator's need not all be held at once; `count`, when
    given, is how many it yields."""
    with collection_paused():  # tens of thousands of records, none garbage
        return _fields_frame(records, files, count)


def _fields_frame(
    records: Iterable[RecordFields], files: Sequence[str] | None, count: int | None
) -> pd.DataFrame:
    if count is None:
        records = list(records)
        count = len(records)
    columns = {
        name: np.empty(count, dtype=object if name in _OBJECT_COLUMNS else float)
        for name in _BUILT_COLUMNS
    }
    # A chunk of records at a time becomes a row of values each, then goes into the
    # columns: the rows of a whole large case at once would cost a third of its files'
    # size again.
    remaining, filled = iter(records), 0
    while rows := [_row_values(fields) for fields in itertools.islice(remaining, FRAME_CHUNK)]:
        end = filled + len(rows)
        for name, values in zip(_BUILT_COLUMNS, zip(*rows, strict=True), strict=True):
            columns[name][filled:end] = values  # element by element, dicts and all
        filled = end
    if filled != count:
        raise ValueError(f"{filled} records where {count} were said")
    file_names = files if files is not None else [STORE_FILE] * count
    columns["file"] = np.array(file_names, dtype=object).reshape(count)
    columns |= _date_spans(columns["date"])
    # Text and JSON as the objects they are: pandas' own text type would copy every
    # id and name into Arrow's buffers (and Arrow's allocator keeps what it frees),
    # while each is already held by its record's properties.
    return pd.DataFrame(
        {
            # pandas would read an array of text as its own type: said to be objects
            name: pd.Series(columns[name], dtype=object, copy=False)
            if columns[name].dtype == object
            else columns[name]
            for name in RECORD_COLUMNS
        },
        copy=False,
    )


def _date_spans(dates: np.ndarray) -> dict[str, np.ndarray]:
    """The span of days each record's date covers, and its precision (None when undated).
    Each distinct date is parsed once: cases repeat dates far more than records. A
    record without a date has code -1, which picks the last value: none."""
    codes, distinct = pd.factorize(dates)
    spans = [parse_date(text) for text in distinct]
    return {
        "date_start": np.array([s.start for s in spans] + [None], "datetime64[s]")[codes],
        "date_end": np.array([s.end for s in spans] + [None], "datetime64[s]")[codes],
        "date_precision": np.array([s.precision.value for s in spans] + [None], object)[codes],
    }
