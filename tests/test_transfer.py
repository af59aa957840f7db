"""Exports of the case with a researcher's layers, in every format, read back without loss."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from io import BytesIO

import pytest

from geo.case import read_export
from geo.export import layer_records
from geo.formats import read_upload
from geo.manifest import check_manifest
from geo.records import Kind, LayerRecord
from geo.store import Store
from geo.transfer import (
    as_layer_records,
    download,
    export,
    imported_source_files,
    store_state,
)
from geo.workspace import combined_records, filter_view
from tests.test_escape import HOSTILE

MINE = [
    LayerRecord(
        id="ann-1",
        layer="Annotations",
        kind=Kind.FEATURE,
        name="Probable air intake (my reading)",
        geometry={"type": "Point", "coordinates": [36.3287, 33.6651]},
        properties={"analyst": "A. Analyst", "confidence": "probable", "note": HOSTILE[0]},
        date="2015-01",
        date_as_stated="January 2015 image",
    ),
    LayerRecord(
        id="imp-1",
        layer="team sites",
        kind=Kind.AREA,
        name=HOSTILE[1],
        geometry={
            "type": "Polygon",
            "coordinates": [
                [[36.32, 33.66], [36.34, 33.66], [36.34, 33.67], [36.32, 33.67], [36.32, 33.66]],
                [
                    [36.325, 33.662],
                    [36.325, 33.665],
                    [36.33, 33.665],
                    [36.33, 33.662],
                    [36.325, 33.662],
                ],
            ],
        },
        properties={"source_name": "team, 2024", "numbers": [1, 2.5], "nested": {"a": None}},
    ),
]


@pytest.fixture
def everything(shipped_case):
    return combined_records(shipped_case, MINE)


def test_geojson_reads_back_case_and_layers(shipped_case, everything):
    result = export(
        shipped_case,
        everything,
        fmt="geojson",
        view=None,
        case_dir=None,
        imported_files=[],
        with_manifest=False,
    )
    data = json.loads(result.data)
    again = read_export(data, file="x.geojson")
    assert again.records.drop(columns=["file"]).to_dict("records") == shipped_case.records.drop(
        columns=["file"]
    ).to_dict("records")
    assert layer_records(data, file="x.geojson") == MINE


@pytest.mark.parametrize("fmt", ["kml", "csv"])
def test_kml_and_csv_read_back_every_record(shipped_case, everything, fmt):
    result = export(
        shipped_case,
        everything,
        fmt=fmt,
        view=None,
        case_dir=None,
        imported_files=[],
        with_manifest=False,
    )
    upload = read_upload(result.file_name, result.data, layer="ignored")
    expected = {r.id: r for r in as_layer_records(shipped_case, everything)}
    assert {r.id: r for r in upload.records} == expected


def test_a_filtered_view_exports_only_what_is_shown(shipped_case, everything):
    from datetime import date

    shown = filter_view(
        everything, date(2015, 1, 10), date(2015, 2, 1), ["imagery"], ["team sites"]
    )
    result = export(
        shipped_case,
        shown,
        fmt="csv",
        view={"from": "2015-01-10"},
        case_dir=None,
        imported_files=[],
        with_manifest=False,
    )
    ids = {r.id for r in read_upload(result.file_name, result.data, layer="x").records}
    assert ids == set(shown["id"])
    assert "ann-1" in ids and "imp-1" not in ids  # the hidden layer stays out


def test_manifest_hashes_the_export_and_its_sources(shipped_case, everything, tmp_path):
    from geo.case import DEFAULT_CASE_DIR

    store = Store.open(tmp_path / "store")
    store.import_layer(
        "team sites",
        [MINE[1]],
        analyst="A. Analyst",
        file_name="team.geojson",
        file_bytes=b'{"type": "FeatureCollection", "features": []}',
    )
    result = export(
        shipped_case,
        everything,
        fmt="kml",
        view={"from": "2013-01-01"},
        case_dir=DEFAULT_CASE_DIR,
        imported_files=imported_source_files(store),
        with_manifest=True,
    )
    manifest = result.manifest
    assert manifest["tool"]["name"] == "geo-evidence-explorer"
    assert manifest["filters"] == {"from": "2013-01-01"}
    assert manifest["record_counts"]["total"] == len(everything)
    roles = {entry["role"] for entry in manifest["derived_from"]}
    assert roles == {"case file", "imported file"}
    assert any(e["name"] == "case.yaml" for e in manifest["derived_from"])
    name, data, mime = download(result)
    assert name.endswith(".zip") and mime == "application/zip"
    with zipfile.ZipFile(BytesIO(data)) as archive:
        archive.extractall(tmp_path / "out")
    assert check_manifest(manifest, tmp_path / "out") == []
    (tmp_path / "out" / result.file_name).write_bytes(b"changed")
    assert check_manifest(manifest, tmp_path / "out") == [
        f"{result.file_name}: content differs from the manifest"
    ]


def test_the_manifest_anchors_the_store_and_names_what_was_left_out(shipped_case, tmp_path):
    store = Store.open(tmp_path / "store")
    store.add(MINE[0], analyst="A. Analyst")
    store.import_layer("team sites", [MINE[1]], analyst="A", file_name="t", file_bytes=b"t")
    with sqlite3.connect(store.db_path) as conn:
        conn.execute("UPDATE records SET kind = 'spaceship' WHERE id = 'imp-1'")
    records = combined_records(shipped_case, store.records())
    result = export(
        shipped_case,
        records,
        fmt="geojson",
        view=None,
        case_dir=None,
        imported_files=imported_source_files(store),
        with_manifest=True,
        store=store_state(store),
    )
    head = store.latest()
    assert result.manifest["store"] == {
        "history_entries": 2,
        "latest_seq": 2,
        "latest_hash": head.hash,
        "damaged_records_left_out": [
            {"id": "imp-1", "layer": "team sites", "reason": store.damaged()[0].reason}
        ],
    }
    assert "imp-1" not in result.data.decode()
    without = export(
        shipped_case,
        shipped_case.records,
        fmt="csv",
        view=None,
        case_dir=None,
        imported_files=[],
        with_manifest=True,
    )
    assert without.manifest["store"] is None  # an export that did not read the store


def exported_and_read_back(case, record, fmt: str) -> list[str]:
    """Export the case and `record` in `fmt`, read the export back, check that the
    record came back equal; the reader's warnings."""
    result = export(
        case,
        combined_records(case, [record]),
        fmt=fmt,
        view=None,
        case_dir=None,
        imported_files=[],
        with_manifest=False,
    )
    if fmt == "geojson":
        assert layer_records(json.loads(result.data), file="x.geojson") == [record]
        return []
    again = read_upload(result.file_name, result.data, layer="ignored")
    assert [r for r in again.records if r.layer == record.layer] == [record]
    return again.warnings


@pytest.mark.parametrize("fmt", ["geojson", "kml", "csv"])
def test_a_geometry_cut_at_the_antimeridian_exports_and_reads_back(shipped_case, fmt):
    across = {
        "type": "Feature",
        "id": "across-1",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[170, -16], [-175, -16], [-175, -20], [170, -20], [170, -16]]],
        },
        "properties": {"name": "Survey area across the antimeridian"},
    }
    upload = read_upload("across.geojson", json.dumps(across).encode(), layer="team sites")
    (record,) = upload.records
    assert record.geometry["type"] == "MultiPolygon" and upload.warnings
    warnings = exported_and_read_back(shipped_case, record, fmt)
    assert warnings == []  # not cut a second time


@pytest.mark.parametrize("fmt", ["geojson", "kml", "csv"])
def test_a_detailed_outline_exports_and_reads_back_whole(shipped_case, fmt):
    import math

    vertices = 20_000  # a 500 kB geometry: past the csv module's cell cap of 131,072
    ring = [
        [
            round(36.3 + 0.03 * math.cos(2 * math.pi * i / vertices), 7),
            round(33.66 + 0.03 * math.sin(2 * math.pi * i / vertices), 7),
        ]
        for i in range(vertices)
    ]
    outline = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        "properties": {"name": "Perimeter wall, traced"},
    }
    (record,) = read_upload("wall.geojson", json.dumps(outline).encode(), layer="survey").records
    exported_and_read_back(shipped_case, record, fmt)
