"""Write a case, or the filtered part of it, as one RFC 7946 FeatureCollection.

Each feature keeps its record's properties verbatim and adds flat, derived
columns a GIS user can read in an attribute table (kind, date span and
precision, the claim and its claimant, the sources with their quotes). The
case's sources and claims travel in a top-level ``case`` member, so
`geo.case.read_export` reads the file back into the same case.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypedDict

import pandas as pd

from geo.case import Case
from geo.errors import DataError
from geo.frame import RecordRow, record_rows
from geo.geojson import dumps, features_of, normalise_geometry
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


def _iso_day(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


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


def feature_of(case: Case, row: RecordRow) -> dict[str, Any]:
    """One record as a GeoJSON Feature; `row` is a row of a records frame (`record_rows`)."""
    if row.layer != CASE_LAYER:
        return _researcher_feature(row)
    claim = case.claims.get(row.claim) if row.claim else None
    properties = {
        "kind": row.kind,
        **row.properties,
        "date_start": _iso_day(row.date_start),
        "date_end": _iso_day(row.date_end),
        "date_precision": row.date_precision,
        "claim_statement": claim.statement if claim else None,
        "claimant": claim.claimant if claim else None,
        "claim_status": claim.status.value if claim else None,
        "claim_confidence": claim.confidence.value if claim else None,
        "source_details": source_details(case, row.properties["sources"]),
    }
    return {
        "type": "Feature",
        "geometry": normalise_geometry(row.geometry),
        "properties": properties,
    }


def _researcher_feature(row: RecordRow) -> dict[str, Any]:
    # The researcher's properties stay verbatim, nested, so no name of theirs can
    # collide with the explorer's own columns.
    properties = {
        "kind": row.kind,
        "layer": row.layer,
        "id": row.id,
        "name": row.name,
        "date": row.date,
        "date_as_stated": row.date_as_stated,
        "date_start": _iso_day(row.date_start),
        "date_end": _iso_day(row.date_end),
        "date_precision": row.date_precision,
        "properties": row.properties,
    }
    return {
        "type": "Feature",
        "geometry": normalise_geometry(row.geometry),
        "properties": properties,
    }


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
    chosen = case.records if records is None else records
    collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "case": case.meta.model_dump(mode="json", by_alias=True),
    }
    if view is not None:
        collection["view"] = view
    collection["features"] = [feature_of(case, row) for row in record_rows(chosen)]
    return collection


def export_text(
    case: Case, records: pd.DataFrame | None = None, *, view: ExportView | None = None
) -> str:
    return dumps(feature_collection(case, records, view=view))
