"""Write a case, or the filtered part of it, as one RFC 7946 FeatureCollection.

Each feature keeps its record's properties verbatim and adds flat, derived
columns a GIS user can read in an attribute table (kind, date span and
precision, the claim and its claimant, the sources with their quotes), and the
comments on the record, if it has any (`with_comments`). The case's sources and
claims travel in a top-level ``case`` member, so `geo.case.read_export` reads the
file back into the same case.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import partial
from typing import Any, Final, NamedTuple, TypedDict

import numpy as np
import orjson
import pandas as pd

from geo.bulk import collection_paused
from geo.case import Case
from geo.errors import DataError
from geo.featuretext import CaseText
from geo.frame import RecordRow
from geo.geojson import features_of, normalise_geometry
from geo.jsontext import CHUNK_FEATURES, BinaryOut, features_text, write_collection_text
from geo.records import CASE_LAYER, RECORD_FIELDS, LayerRecord

# The filters that chose an export's records, written into the file (`view`) and its
# manifest (`filters`); all of it optional. Functional syntax: "from" is a keyword.
ExportView = TypedDict(
    "ExportView",
    {
        "from": str | None,  # ISO 8601 day
        "to": str | None,
        "kinds": list[str],  # the case's kinds shown (Kind values)
        "hidden_layers": list[str],  # the researcher's layers switched off
    },
    total=False,
)


Span = tuple[str | None, str | None, str | None]  # date_start, date_end, date_precision

# The comments on each record that has any, oldest first, as exports write them:
# {"by": who, "at": when (UTC, ISO 8601), "text": what}. Made by
# `geo.transfer.record_comments` from the store's history.
RecordComments = Mapping[str, list[dict[str, str]]]
COMMENTS: Final = "comments"


def with_comments(properties: dict[str, Any], comments: list[dict[str, str]]) -> dict[str, Any]:
    """A record's exported properties with its comments added as the property
    "comments", or, should the record's own properties already hold that name, as the
    first free of "comments_1", "comments_2", ...: the record's own are never replaced."""
    key, number = COMMENTS, 0
    while key in properties:
        number += 1
        key = f"{COMMENTS}_{number}"
    return {**properties, key: comments}


def _day_codes(column: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    """A code for each value of a column of days, and the ISO days the codes stand
    for, with None (the code of a missing day, -1) last: each day written once."""
    codes, uniques = pd.factorize(column)
    days: list[str | None] = list(
        np.datetime_as_string(np.asarray(uniques).astype("datetime64[D]"))
    )
    return codes, [*days, None]


def date_spans(frame: pd.DataFrame) -> tuple[list[int], list[Span]]:
    """A code for each record's date span (date_start, date_end, date_precision, the
    days as ISO text), and the distinct spans the codes stand for, in order: records
    share far fewer spans than there are records."""
    start_codes, starts = _day_codes(frame["date_start"])
    end_codes, ends = _day_codes(frame["date_end"])
    precision_codes, found = pd.factorize(frame["date_precision"])
    precisions: list[str | None] = [*found.tolist(), None]
    # One integer for each (start, end, precision) of codes, each shifted past -1.
    ends_count, precisions_count = len(ends), len(precisions)
    combined = (
        (start_codes.astype(np.int64) + 1) * ends_count + (end_codes + 1)
    ) * precisions_count + (precision_codes + 1)
    codes, spans = pd.factorize(combined)
    rest, precision = np.divmod(spans, precisions_count)
    start, end = np.divmod(rest, ends_count)
    return codes.tolist(), [
        (starts[a - 1], ends[b - 1], precisions[c - 1])
        for a, b, c in zip(start.tolist(), end.tolist(), precision.tolist(), strict=True)
    ]


def source_details(case: Case, refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each cited source with its metadata and the quote the record relies on."""
    details = []
    for ref in refs:
        source = case.sources[ref["id"]]
        details.append(
            {
                "id": source.id,
                "title": source.title,
                "publisher": source.publisher,
                "date": source.date,
                "url": source.url,
                "quote": ref.get("quote"),
            }
        )
    return details


class _Derived:
    """The columns a case record's feature derives from the case: its claim's, and its
    sources' (`source_details`), each worked out once per claim and per list of
    citations however many records share them. Records given the same list share one
    `source_details` list: read, never change, what a feature holds."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self._claims: dict[Any, dict[str, Any]] = {}
        self._sources: dict[bytes, list[dict[str, Any]]] = {}

    def claim(self, claim_id: str | None) -> dict[str, Any]:
        found = self._claims.get(claim_id)
        if found is None:
            claim = self.case.claims.get(claim_id) if claim_id else None
            found = self._claims[claim_id] = {
                "claim_statement": claim.statement if claim else None,
                "claimant": claim.claimant if claim else None,
                "claim_status": claim.status.value if claim else None,
                "claim_confidence": claim.confidence.value if claim else None,
            }
        return found

    def sources(self, refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            key = orjson.dumps(refs)  # equal text, equal citations
        except TypeError:
            return source_details(self.case, refs)
        found = self._sources.get(key)
        if found is None:
            found = self._sources[key] = source_details(self.case, refs)
        return found


def _case_feature(
    derived: _Derived,
    kind: str,
    properties: dict[str, Any],
    geometry: dict[str, Any],
    days: tuple[str | None, str | None, str | None],
    claim: str | None,
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": normalise_geometry(geometry),
        "properties": {
            "kind": kind,
            **properties,
            "date_start": days[0],
            "date_end": days[1],
            "date_precision": days[2],
            **derived.claim(claim),
            "source_details": derived.sources(properties["sources"]),
        },
    }


def _iso_day(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def feature_of(case: Case, row: RecordRow) -> dict[str, Any]:
    """One record as a GeoJSON Feature; `row` is a row of a records frame (`record_rows`)."""
    days = (_iso_day(row.date_start), _iso_day(row.date_end), row.date_precision)
    if row.layer != CASE_LAYER:
        return _researcher_feature(row, days)
    return _case_feature(_Derived(case), row.kind, row.properties, row.geometry, days, row.claim)


def _researcher_feature(
    row: _Row | RecordRow, days: tuple[str | None, str | None, str | None]
) -> dict[str, Any]:
    # The researcher's properties stay verbatim, nested, so no name of theirs can
    # collide with the explorer's own columns.
    properties = {
        "kind": row.kind,
        "layer": row.layer,
        "id": row.id,
        "name": row.name,
        "date": row.date,
        "date_as_stated": row.date_as_stated,
        "date_start": days[0],
        "date_end": days[1],
        "date_precision": days[2],
        "properties": row.properties,
    }
    return {
        "type": "Feature",
        "geometry": normalise_geometry(row.geometry),
        "properties": properties,
    }


class _Row(NamedTuple):
    """The columns of a records frame a feature is made of (a `RecordRow`'s)."""

    id: str
    layer: str
    kind: str
    name: str
    date: str | None
    date_as_stated: str | None
    date_precision: str | None
    claim: str | None
    geometry: dict[str, Any]
    properties: dict[str, Any]


def features(
    case: Case, records: pd.DataFrame | None = None, comments: RecordComments | None = None
) -> Iterator[dict[str, Any]]:
    """The records (all of the case by default) as GeoJSON Features, one at a time, each
    as `feature_of` makes it, with its `comments` if it has any (`with_comments`): the
    frame is read a column at a time, the days of the date spans written once per
    distinct day and the claims' and sources' columns once per claim and per list of
    citations."""
    columns = _Columns(case.records if records is None else records)
    return columns.features(_Derived(case), 0, columns.count, comments or {})


class _Columns:
    """A records frame's columns, each read into a list when first wanted, and the
    values records share (kind, claim, date span) as codes, each value written once."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.count = len(frame)
        self._lists: dict[str, list[Any]] = {}
        self.span_codes, self.spans = date_spans(frame)

    def column(self, name: str) -> list[Any]:
        found = self._lists.get(name)
        if found is None:
            found = self._lists[name] = self.frame[name].tolist()
        return found

    def codes(self, name: str) -> tuple[list[int], list[Any]]:
        """A code for each value of a column, and the values they stand for, with None
        (the code of a missing value, -1) last."""
        codes, values = pd.factorize(self.frame[name])
        return codes.tolist(), [*values, None]

    def days(self, start: int, stop: int) -> list[Span]:
        return list(map(self.spans.__getitem__, self.span_codes[start:stop]))

    def features(
        self, derived: _Derived, start: int, stop: int, comments: RecordComments
    ) -> Iterator[dict[str, Any]]:
        """The features of records `start` to `stop`, as `feature_of` makes them, each
        with its `comments` if it has any."""
        columns = {name: self.column(name)[start:stop] for name in _Row._fields}
        for index, (record_id, layer, kind, geometry, properties, claim, days) in enumerate(
            zip(
                *(
                    columns[name]
                    for name in ("id", "layer", "kind", "geometry", "properties", "claim")
                ),
                self.days(start, stop),
                strict=True,
            )
        ):
            if layer == CASE_LAYER:
                feature = _case_feature(derived, kind, properties, geometry, days, claim)
            else:
                row = _Row(*(columns[name][index] for name in _Row._fields))
                feature = _researcher_feature(row, days)
            found = comments.get(record_id) if comments else None
            if found:
                feature["properties"] = with_comments(feature["properties"], found)
            yield feature

    def commented(self, comments: RecordComments) -> np.ndarray:
        """Which records have comments, as booleans."""
        if not comments:
            return np.zeros(self.count, dtype=bool)
        found: np.ndarray = (
            self.frame["id"].isin(list(comments)).to_numpy(dtype=bool, na_value=False)
        )
        return found

    def texts(self, case: Case, chunk: int, comments: RecordComments) -> Iterator[bytes]:
        """The features' text, `chunk` records at a time, as
        `geo.jsontext.features_text` writes them: case records without comments
        assembled from pieces (`geo.featuretext`) where they can be, the others as their
        features are built."""
        derived = _Derived(case)
        plain = ~self.commented(comments)
        assembler = CaseText(derived.claim, partial(source_details, case))
        cased = (self.frame["layer"] == CASE_LAYER).to_numpy(dtype=bool, na_value=False)
        kind_codes, kinds = self.codes("kind")
        claim_codes, claims = self.codes("claim")
        kind_texts = assembler.kinds_texts(kinds)
        claim_texts = assembler.claims_texts(claims)
        date_texts = assembler.dates_texts(self.spans)
        for start in range(0, self.count, chunk):
            stop = start + chunk
            text = None
            if cased[start:stop].all() and plain[start:stop].all():
                text = assembler.case_chunk(
                    self.column("properties")[start:stop],
                    self.column("geometry")[start:stop],
                    list(map(kind_texts.__getitem__, kind_codes[start:stop])),
                    list(map(date_texts.__getitem__, self.span_codes[start:stop])),
                    list(map(claim_texts.__getitem__, claim_codes[start:stop])),
                )
            if text is None:
                text = features_text(list(self.features(derived, start, stop, comments)))
            yield text


def layer_records(data: Any, *, file: str) -> list[LayerRecord]:
    """The researcher's records in an export of this tool (its case records are read by
    `geo.case.read_export`); raises `DataError` listing every malformed one.

    They are checked as the store checks a record it keeps (`LayerRecord.from_dict`):
    what was exported reads back, and nothing the store would refuse gets in."""
    records, problems = [], []
    for index, feature in enumerate(features_of(data, file=file)):
        props = feature.get("properties")
        if not isinstance(props, dict) or props.get("layer", CASE_LAYER) == CASE_LAYER:
            continue
        fields = {name: props.get(name) for name in RECORD_FIELDS} | {
            "geometry": feature.get("geometry"),
            "properties": props.get("properties") or {},
        }
        try:
            records.append(LayerRecord.from_dict(fields, file=file))
        except DataError as exc:
            label = f"#{index + 1}"
            problems += [
                replace(problem, message=problem.message[:300], record=problem.record or label)
                for problem in exc.problems
            ]
    if problems:
        raise DataError(problems)
    return records


def _members(case: Case, view: ExportView | None) -> dict[str, Any]:
    """The collection's members before its features."""
    members: dict[str, Any] = {
        "type": "FeatureCollection",
        "case": case.meta.model_dump(mode="json", by_alias=True),
    }
    if view is not None:
        members["view"] = view
    return members


def feature_collection(
    case: Case,
    records: pd.DataFrame | None = None,
    *,
    view: ExportView | None = None,
) -> dict[str, Any]:
    """The records (all of the case by default) as an RFC 7946 FeatureCollection.

    `view` describes the filter that selected the records; it is written as a
    foreign member so a reader of the file knows it is a partial view.
    """
    with collection_paused():
        made = list(features(case, records))
    return {**_members(case, view), "features": made}


def write_geojson(
    out: BinaryOut,
    case: Case,
    records: pd.DataFrame | None = None,
    *,
    view: ExportView | None = None,
    chunk: int = CHUNK_FEATURES,
    comments: RecordComments | None = None,
) -> None:
    """`export_text`, encoded in UTF-8, written to `out` a chunk of features at a time:
    the whole text is never held, however many records there are. A record that has
    `comments` carries them (`with_comments`)."""
    columns = _Columns(case.records if records is None else records)
    with collection_paused():
        write_collection_text(_members(case, view), columns.texts(case, chunk, comments or {}), out)


def export_text(
    case: Case, records: pd.DataFrame | None = None, *, view: ExportView | None = None
) -> str:
    """The records as GeoJSON text: `dumps(feature_collection(case, records, view=view))`."""
    buffer = io.BytesIO()
    write_geojson(buffer, case, records, view=view)
    return buffer.getvalue().decode("utf-8")
