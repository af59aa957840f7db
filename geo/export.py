"""Write a case, or the filtered part of it, as one RFC 7946 FeatureCollection.

Each feature keeps its record's properties verbatim and adds flat, derived
columns a GIS user can read in an attribute table (kind, date span and
precision, the claim and its claimant, the sources with their quotes). The
case's sources and claims travel in a top-level ``case`` member, so
`geo.case.read_export` reads the file back into the same case.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pandas as pd

from geo.case import CASE_LAYER, Case, RecordRow, record_rows
from geo.dates import parse_date
from geo.errors import DataError, DateError, Problem
from geo.geojson import dumps, features_of, geometry_problems, normalise_geometry
from geo.records import Kind, LayerRecord

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
    `geo.case.read_export`); raises `DataError` listing every malformed one."""
    records, problems = [], []
    for index, feature in enumerate(features_of(data, file=file)):
        props = feature.get("properties")
        if not isinstance(props, dict) or props.get("layer", CASE_LAYER) == CASE_LAYER:
            continue
        found = _layer_record_problems(props, feature.get("geometry"))
        if found:
            record = props["id"] if isinstance(props.get("id"), str) else f"#{index + 1}"
            problems += [Problem(message[:300], file, record, key) for key, message in found]
            continue
        records.append(
            LayerRecord(
                id=props["id"],
                layer=props["layer"],
                kind=Kind(props["kind"]),
                name=props["name"],
                geometry=feature["geometry"],
                properties=props.get("properties") or {},
                date=props.get("date"),
                date_as_stated=props.get("date_as_stated"),
            )
        )
    if problems:
        raise DataError(problems)
    return records


def _layer_record_problems(props: dict[str, Any], geometry: Any) -> list[tuple[str, str]]:
    """(field, message) for each thing that keeps `props` from being a LayerRecord."""
    found = [
        (key, f"must be text (got {props.get(key)!r})")
        for key in ("id", "layer", "name")
        if not isinstance(props.get(key), str) or not props[key]
    ]
    kinds = [kind.value for kind in Kind]
    if props.get("kind") not in kinds:
        found.append(("kind", f"kind {props.get('kind')!r} is not one of {kinds}"))
    if props.get("date") is not None:
        try:
            parse_date(props["date"])
        except DateError as exc:
            found.append(("date", exc.problems[0].message))
    if not isinstance(props.get("date_as_stated"), str | None):
        found.append(("date_as_stated", "must be text or null"))
    if not isinstance(props.get("properties"), dict | None):
        found.append(("properties", "must be an object or null"))
    return found + [("geometry", message) for message in geometry_problems(geometry)]


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
