"""Exports in every format, with their manifest: the one place the UI and the CLI call.

GeoJSON is written by geo.export (case records keep their claims and sources);
KML and CSV by geo.formats, from the same records turned into LayerRecords
whose properties are the GeoJSON export's, so no format knows less. Every format
carries the comments on each record (`record_comments`) as its property "comments".
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd

from geo.bulk import collection_paused
from geo.case import Case
from geo.export import ExportView, RecordComments, features, with_comments, write_geojson
from geo.formats import write_csv, write_kml
from geo.formats.registry import ZIP_MIME, by_extension, by_key, export_formats
from geo.jsontext import BinaryOut
from geo.manifest import Digest, SourceFile, build_manifest, bundle, case_source_files
from geo.records import CASE_LAYER, Kind, LayerRecord
from geo.store import Store

EXPORT_FORMATS = export_formats()


@dataclass(frozen=True)
class Export:
    file_name: str
    data: bytes
    manifest: dict[str, Any] | None = None


def imported_source_files(store: Store) -> list[SourceFile]:
    """The imported files kept as received: what researcher layers derive from; for a
    store opened for a case (`Store.for_case`), those of the layers the case shows."""
    shown = {info.name for info in store.layers(of_case=True)}
    return [
        SourceFile(
            name=f"{info.file_name} (layer {info.layer}, received {info.received_at})",
            sha256=info.sha256,
            size=info.size,
            role="imported file",
        )
        for info in store.files()
        if info.layer in shown
    ]


def record_comments(store: Store | None) -> dict[str, list[dict[str, str]]]:
    """The comments on each record of `store` that has any (its own records', and the
    case's), oldest first, as exports carry them: who, when and the text; {} without
    a store. One read of the history, however many records."""
    if store is None:
        return {}
    return {
        record_id: [{"by": c.analyst, "at": c.time, "text": c.text} for c in comments]
        for record_id, comments in store.comments_by_record().items()
    }


class LeftOut(TypedDict):
    """A damaged record an export left out (`Store.damaged`)."""

    id: str
    layer: str
    reason: str


class StoreState(TypedDict):
    """What an export's manifest says about the store it read (`store_state`)."""

    history_entries: int
    latest_seq: int | None
    latest_hash: str | None
    damaged_records_left_out: list[LeftOut]


def store_state(store: Store) -> StoreState:
    """What an export's manifest says about the store it read: the latest history
    hash, which anchors the store (see geo.store), and the damaged records that
    `Store.records` left out of the export."""
    head = store.latest()
    return {
        "history_entries": head.entries if head else 0,
        "latest_seq": head.seq if head else None,
        "latest_hash": head.hash if head else None,
        "damaged_records_left_out": [
            {"id": row.record_id, "layer": row.layer, "reason": row.reason}
            for row in store.damaged()
        ],
    }


def as_layer_records(
    case: Case, records: pd.DataFrame, comments: RecordComments | None = None
) -> list[LayerRecord]:
    """Every record as a LayerRecord (`geo.frame.row_record`); a case record carries its
    exported GeoJSON geometry and properties (the case's claim, claimant and sources,
    as the GeoJSON export writes them), and every record its `comments` among its
    properties (`with_comments`). The frame is read a column at a time."""
    comments = comments or {}
    columns = [
        records[name].tolist()
        for name in ("id", "layer", "kind", "name", "geometry", "properties", "date")
    ]
    stated = records["date_as_stated"].tolist()
    kinds = {kind: Kind(kind) for kind in set(columns[2])}
    converted = []
    with collection_paused():
        for (id_, layer, kind, name, geometry, properties, date), feature, as_stated in zip(
            zip(*columns, strict=True), features(case, records, comments), stated, strict=True
        ):
            if layer == CASE_LAYER:
                geometry, properties = feature["geometry"], feature["properties"]
            elif id_ in comments:
                properties = with_comments(properties, comments[id_])
            converted.append(
                LayerRecord(id_, layer, kinds[kind], name, geometry, properties, date, as_stated)
            )
    return converted


def _check_format(fmt: str) -> None:
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")


def write_records(
    out: BinaryOut,
    case: Case,
    records: pd.DataFrame,
    *,
    fmt: str,
    view: ExportView | None,
    comments: RecordComments | None = None,
) -> None:
    """The records in `fmt`, written to `out` a chunk at a time (`export`'s data), each
    record that has `comments` (`record_comments`) with them."""
    _check_format(fmt)
    if fmt == "geojson":
        write_geojson(out, case, records, view=view, comments=comments)
        return
    layer_records = as_layer_records(case, records, comments)
    with collection_paused():
        if fmt == "kml":
            write_kml(out, layer_records, document_name=case.meta.title)
        else:
            write_csv(out, layer_records)


def export_name(case: Case, fmt: str, view: ExportView | None, base_name: str | None) -> str:
    """What an export is named: after the case (or `base_name`), its view and format."""
    return f"{base_name or case.meta.id}{'-view' if view else ''}.{by_key(fmt).suffix}"


def export_manifest(
    case: Case,
    records: pd.DataFrame,
    written: Mapping[str, bytes | Digest],
    *,
    view: ExportView | None,
    case_dir: Path | None,
    imported_files: list[SourceFile],
    store: StoreState | None = None,
) -> dict[str, Any]:
    """The manifest of an export of `records`: `written` names each file with its bytes or
    their `Digest` (as `write_export_streamed` hashes a file while writing it)."""
    counts = records.groupby("layer")["kind"].value_counts()
    return build_manifest(
        written,
        case_id=case.meta.id,
        view=view,
        counts={f"{layer}/{kind}": int(n) for (layer, kind), n in counts.items()}
        | {"total": len(records)},
        sources=(case_source_files(case_dir) if case_dir else []) + imported_files,
        store=store,
    )


def export(
    case: Case,
    records: pd.DataFrame,
    *,
    fmt: str,
    view: ExportView | None,
    case_dir: Path | None,
    imported_files: list[SourceFile],
    with_manifest: bool,
    base_name: str | None = None,
    store: StoreState | None = None,
    comments: RecordComments | None = None,
) -> Export:
    """The records in `fmt` as bytes (a download needs them whole; a file is better
    written by `write_records`), and (optionally) the manifest that describes the export.

    `store` is `store_state` of the store the records were read from, None if none;
    `comments` its `record_comments`."""
    _check_format(fmt)
    name = export_name(case, fmt, view, base_name)
    buffer = io.BytesIO()
    write_records(buffer, case, records, fmt=fmt, view=view, comments=comments)
    data = buffer.getvalue()
    manifest = None
    if with_manifest:
        manifest = export_manifest(
            case,
            records,
            {name: data},
            view=view,
            case_dir=case_dir,
            imported_files=imported_files,
            store=store,
        )
    return Export(file_name=name, data=data, manifest=manifest)


def download(result: Export) -> tuple[str, bytes, str]:
    """What a browser download gets: the file, or the file and its manifest in one ZIP."""
    if result.manifest is None:
        written = by_extension("." + result.file_name.rsplit(".", 1)[-1])
        assert written is not None  # an export is named by its format
        return result.file_name, result.data, written.mime
    zip_name = result.file_name.rsplit(".", 1)[0] + ".zip"
    return zip_name, bundle({result.file_name: result.data}, result.manifest), ZIP_MIME
