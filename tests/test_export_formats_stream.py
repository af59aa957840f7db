"""The streaming KML and CSV writers: the same bytes as the writers they replaced
(ElementTree for KML, one csv.writer over the whole text for CSV, kept here as the
reference), written a chunk at a time, and checked before the first byte."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from geo.case import load_case
from geo.errors import DataError
from geo.formats import to_csv, to_kml, write_csv, write_kml
from geo.formats._csv import CSV_COLUMNS, defused
from geo.formats._kml import KML_NS, OWN_DATA, _position_text
from geo.formats.writing import prepared
from geo.geojson import DECIMALS, normalise_geometry, representative_lonlat
from geo.manifest import Digest, HashingWriter, write_export_streamed
from geo.records import Kind, LayerRecord
from geo.synthetic import TINY_META, synthetic_files, write_case
from geo.transfer import as_layer_records, export, write_records
from tests.test_export_stream import Recorder
from tests.test_formats import GEOMETRIES, hostile_records

# ---------------------------------------------------------------- the reference writers


def _coordinates(parent: ET.Element, positions: list[list[float]]) -> None:
    ET.SubElement(parent, "coordinates").text = " ".join(map(_position_text, positions))


def _single(kind: str, coords: Any) -> ET.Element:
    element = ET.Element(kind)
    if kind == "Point":
        _coordinates(element, [coords])
    elif kind == "LineString":
        _coordinates(element, coords)
    else:
        for index, ring in enumerate(coords):
            boundary = ET.SubElement(element, "innerBoundaryIs" if index else "outerBoundaryIs")
            _coordinates(ET.SubElement(boundary, "LinearRing"), ring)
    return element


def elementtree_kml(records: list[LayerRecord], document_name: str) -> bytes:
    """`to_kml` as it was: a tree built with ElementTree, indented, serialised."""
    kml = ET.Element("kml", {"xmlns": KML_NS})
    document = ET.SubElement(kml, "Document")
    ET.SubElement(document, "name").text = document_name
    folders: dict[str, ET.Element] = {}
    for item in prepared(records, what="KML export"):
        record, geometry = item.record, item.geometry
        folder = folders.get(record.layer)
        if folder is None:
            folder = folders[record.layer] = ET.SubElement(document, "Folder")
            ET.SubElement(folder, "name").text = record.layer
        placemark = ET.SubElement(folder, "Placemark")
        ET.SubElement(placemark, "name").text = record.name
        if record.date:
            if "/" in record.date:
                begin, _, end = record.date.partition("/")
                span = ET.SubElement(placemark, "TimeSpan")
                ET.SubElement(span, "begin").text = begin
                ET.SubElement(span, "end").text = end
            else:
                stamp = ET.SubElement(placemark, "TimeStamp")
                ET.SubElement(stamp, "when").text = record.date
        extended = ET.SubElement(placemark, "ExtendedData")
        values = {
            "id": record.id,
            "layer": record.layer,
            "kind": Kind(record.kind).value,
            "date": record.date,
            "date_as_stated": record.date_as_stated,
            "properties": json.dumps(record.properties, ensure_ascii=False, allow_nan=False),
        }
        for key in OWN_DATA:
            if values[key] is not None:
                data = ET.SubElement(extended, "Data", {"name": key})
                ET.SubElement(data, "value").text = values[key]
        kind, coords = geometry["type"], geometry["coordinates"]
        if kind.startswith("Multi"):
            multi = ET.SubElement(placemark, "MultiGeometry")
            for part in coords:
                multi.append(_single(kind.removeprefix("Multi"), part))
        else:
            placemark.append(_single(kind, coords))
    ET.indent(kml, space=" ")
    written = ET.tostring(kml, encoding="utf-8", xml_declaration=True)
    return written.replace(b"\r", b"&#13;")


def one_writer_csv(records: list[LayerRecord]) -> str:
    """`to_csv` as it was: one csv.writer over the whole text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in prepared(records, what="CSV export"):
        record, geometry = item.record, item.geometry
        lon, lat = representative_lonlat(geometry)
        cells = [
            record.id,
            record.layer,
            Kind(record.kind).value,
            record.name,
            record.date or "",
            record.date_as_stated or "",
            repr(round(lon, DECIMALS)),
            repr(round(lat, DECIMALS)),
            json.dumps(geometry, allow_nan=False),
            json.dumps(record.properties, ensure_ascii=False, allow_nan=False),
        ]
        writer.writerow([defused(cell) for cell in cells])
    return buffer.getvalue()


# ---------------------------------------------------------------- the cases

# Text XML and CSV treat apart: markup, entities, quotes, every line break and the
# controls that are text (tab, DEL, NEL), a byte order mark, and names 5,000 long.
ALPHABET = [*"abc<>&\"' \t\n\r]—ṣ😀\u2028\u0085\x7f;,=+-@", "&amp;", "<![CDATA[", "]]>", "\ufeff"]


def random_records(count: int, seed: int = 7) -> list[LayerRecord]:
    rng = random.Random(seed)
    kinds = list(Kind)
    records = []
    for index in range(count):
        size = rng.choice([0, 1, 5, 50, 5000])
        text = "".join(rng.choice(ALPHABET) for _ in range(size))
        lon, lat = rng.uniform(-180, 180), rng.uniform(-90, 90)
        records.append(
            LayerRecord(
                id=f"id{index}{text[:20]}",
                layer=rng.choice(["A", "", "B<&>", text[:30] or "x"]),
                kind=kinds[index % len(kinds)],
                name=text if index % 7 else "",
                geometry=(
                    normalise_geometry(GEOMETRIES[index % len(GEOMETRIES)])
                    if index % 4 == 0
                    else {"type": "Point", "coordinates": [lon, lat]}
                ),
                properties={"t": text, text[:10] or "e": [text, index, 1e-7, 1e22, -0.0]},
                date=[None, "2015-01", "2013/2016"][index % 3],
                date_as_stated=[None, "", text][index % 3],
            )
        )
    return records


@pytest.fixture(scope="module")
def synthetic_records(tmp_path_factory: pytest.TempPathFactory) -> list[LayerRecord]:
    folder = tmp_path_factory.mktemp("syn") / "case"
    case = load_case(write_case(folder, TINY_META, synthetic_files(1_500)))
    return as_layer_records(case, case.records)


def shipped_records(case: Any) -> list[LayerRecord]:
    return as_layer_records(case, case.records)


def cases(shipped_case: Any, synthetic_records: list[LayerRecord]) -> dict[str, Any]:
    return {
        "shipped": (shipped_records(shipped_case), shipped_case.meta.title),
        "hostile": (hostile_records(), "Case <export> & ]]> \"q\" 'a'\r\n"),
        "random": (random_records(300), ""),
        "synthetic": (synthetic_records, "synthetic"),
    }


CASES = ["shipped", "hostile", "random", "synthetic"]

# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", CASES)
def test_kml_byte_for_byte_as_elementtree_wrote_it(name, shipped_case, synthetic_records):
    records, title = cases(shipped_case, synthetic_records)[name]
    expected = elementtree_kml(records, title)
    assert to_kml(records, document_name=title) == expected
    out = Recorder()
    write_kml(out, records, document_name=title, chunk=7)
    assert b"".join(out.writes) == expected


@pytest.mark.parametrize("name", CASES)
def test_csv_byte_for_byte_as_one_writer_wrote_it(name, shipped_case, synthetic_records):
    records, _ = cases(shipped_case, synthetic_records)[name]
    expected = one_writer_csv(records)
    assert to_csv(records) == expected
    out = Recorder()
    write_csv(out, records, chunk=7)
    assert b"".join(out.writes) == expected.encode("utf-8")


def test_no_records(shipped_case):
    assert to_kml([], document_name="") == elementtree_kml([], "")
    assert to_csv([]) == one_writer_csv([])


def test_the_writers_write_in_chunks(synthetic_records):
    for write in (
        lambda out: write_kml(out, synthetic_records, document_name="s", chunk=250),
        lambda out: write_csv(out, synthetic_records, chunk=250),
    ):
        out = Recorder()
        write(out)
        # six chunks of rows or Placemarks at least: never the whole text at once
        assert len(out.writes) >= 6
        assert max(map(len, out.writes)) < sum(map(len, out.writes)) / 4


def test_nothing_is_written_when_a_record_cannot_be(shipped_case):
    records = hostile_records()
    records[5] = replace(records[5], name="bell \x07")
    records[9] = replace(records[9], properties={"x": [1, float("nan")]})
    records[11] = replace(records[11], properties={"ok": "\\f \\u0001", "y": {"z": "\f"}})
    for write in (
        lambda out: write_kml(out, records, document_name="d"),
        lambda out: write_csv(out, records),
    ):
        out = Recorder()
        with pytest.raises(DataError) as raised:
            write(out)
        assert out.writes == []
        assert [(p.record, p.field) for p in raised.value.problems] == [
            (f"#6 ({records[5].id})", "name"),
            (f"#10 ({records[9].id})", "properties.x[1]"),
            (f"#12 ({records[11].id})", "properties.y.z"),
        ]


@pytest.mark.parametrize("fmt", ["geojson", "kml", "csv"])
def test_write_records_is_the_export(fmt, shipped_case):
    out = Recorder()
    write_records(out, shipped_case, shipped_case.records, fmt=fmt, view=None)
    result = export(
        shipped_case,
        shipped_case.records,
        fmt=fmt,
        view=None,
        case_dir=None,
        imported_files=[],
        with_manifest=True,
    )
    data = b"".join(out.writes)
    assert data == result.data
    assert result.manifest is not None
    assert result.manifest["files"][0]["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_streamed_export_is_hashed_as_written(tmp_path: Path):
    chunks = [b"one ", "twó ".encode(), b"", b"three" * 1000]
    digests: list[Digest] = []

    def write(out: HashingWriter) -> None:
        for chunk in chunks:
            out.write(chunk)

    def manifest_of(digest: Digest) -> dict[str, Any]:
        digests.append(digest)
        return {"files": [{"name": "x.csv", "sha256": digest.sha256, "size": digest.size}]}

    write_export_streamed(tmp_path / "x.csv", write, manifest_of)
    data = (tmp_path / "x.csv").read_bytes()
    assert data == b"".join(chunks)
    assert digests == [Digest.of(data)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv", "x.csv.manifest.json"]


def test_a_failed_streamed_export_leaves_nothing(tmp_path: Path):
    def write(out: HashingWriter) -> None:
        out.write(b"partial")
        raise DataError([])

    with pytest.raises(DataError):
        write_export_streamed(tmp_path / "x.kml", write, lambda digest: None)
    assert list(tmp_path.iterdir()) == []
