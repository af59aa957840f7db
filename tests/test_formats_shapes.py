"""What other tools write (issue 13): GeoJSON with GDAL's 'crs', KML tracks, rings and mixed
geometry, GTFS and other coordinate columns, WKT curves, and files with nothing to import.

The sample files are in tests/data/imports/ (their README says where each shape comes
from); the GeoJSON files GDAL writes are made here with geopandas.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from geo.cli import main
from geo.errors import NO_COORDINATE_COLUMNS, DataError
from geo.formats import csv_columns, read_upload
from geo.formats.columns import chosen_pair, coordinate_pairs
from geo.formats.crs import declared_crs
from geo.formats.wktcurve import CURVE_TYPES, linearized

IMPORTS = Path(__file__).resolve().parent / "data" / "imports"
STREAMLIT_TIMEOUT = 60


def read(name: str, **kwargs: Any) -> Any:
    return read_upload(name, (IMPORTS / name).read_bytes(), layer="Import", **kwargs)


def refused(name: str, data: bytes, **kwargs: Any) -> DataError:
    with pytest.raises(DataError) as caught:
        read_upload(name, data, layer="Import", **kwargs)
    return caught.value


# ---------------------------------------------------------------- GeoJSON with a crs


def geopandas_file(tmp_path: Path, epsg: int) -> bytes:
    """A GeoJSON as geopandas (GDAL's writer, through pyogrio) writes it in `epsg`."""
    geopandas = pytest.importorskip("geopandas")
    from shapely.geometry import Point, Polygon

    frame = geopandas.GeoDataFrame(
        {"name": ["Gate", "Yard"]},
        geometry=[
            Point(36.3, 33.6),
            Polygon([(36.3, 33.6), (36.31, 33.6), (36.31, 33.61), (36.3, 33.6)]),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / f"sites-{epsg}.geojson"
    frame.to_crs(epsg).to_file(path, driver="GeoJSON")
    return path.read_bytes()


def test_gdal_geojson_in_wgs84_is_read_with_a_note(tmp_path: Path) -> None:
    data = geopandas_file(tmp_path, 4326)
    assert b'"urn:ogc:def:crs:OGC:1.3:CRS84"' in data  # what GDAL writes by default
    upload = read_upload("sites.geojson", data, layer="Import")
    assert [r.geometry["type"] for r in upload.records] == ["Point", "Polygon"]
    assert upload.records[0].geometry["coordinates"] == [36.3, 33.6]
    assert upload.warnings == [
        "the file names its coordinate system ('crs': urn:ogc:def:crs:OGC:1.3:CRS84): WGS84 "
        "longitude/latitude, read as such (RFC 7946 leaves 'crs' out, GDAL writes it)"
    ]


@pytest.mark.parametrize(
    ("epsg", "described"),
    [(3857, "WGS 84 / Pseudo-Mercator (EPSG:3857)"), (32637, "WGS 84 / UTM zone 37N (EPSG:32637)")],
)
def test_gdal_geojson_in_another_system_is_transformed_with_a_warning(
    tmp_path: Path, epsg: int, described: str
) -> None:
    data = geopandas_file(tmp_path, epsg)
    assert f'"urn:ogc:def:crs:EPSG::{epsg}"'.encode() in data
    upload = read_upload("sites.geojson", data, layer="Import")
    point, polygon = upload.records
    assert point.geometry["coordinates"] == pytest.approx([36.3, 33.6], abs=1e-7)
    assert shape(polygon.geometry).equals_exact(
        shapely.Polygon([(36.3, 33.6), (36.31, 33.6), (36.31, 33.61), (36.3, 33.6)]), 1e-7
    )
    assert [w for w in upload.warnings if "transformed" in w] == [
        f"the coordinates were transformed from {described}, the file's 'crs', to WGS84 "
        "longitude/latitude with pyproj (the file itself is kept as received)"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "urn:ogc:def:crs:EPSG:8.5:4326",  # an other version: PROJ says it is WGS84
    ],
)
def test_wgs84_names_need_no_transformation(name: str) -> None:
    declared = declared_crs({"type": "name", "properties": {"name": name}})
    assert declared.transform is None


@pytest.mark.parametrize(
    ("member", "words"),
    [
        ({"type": "name", "properties": {"name": "EPSG:999999"}}, "unknown to PROJ"),
        ({"type": "name", "properties": {"name": "my local grid"}}, "not one this reader"),
        ({"type": "name", "properties": {"name": "EPSG:5714"}}, "Vertical CRS"),
        ({"type": "link", "properties": {"href": "http://example.org/crs"}}, "no link"),
        ({"type": "name", "properties": {}}, "has no name"),
        ("EPSG:3857", "must be an object"),
    ],
)
def test_unreadable_crs_is_refused_with_what_to_do(member: Any, words: str) -> None:
    with pytest.raises(DataError) as caught:
        declared_crs(member)
    assert words in str(caught.value)
    data = b'{"type": "FeatureCollection", "crs": %s, "features": []}' % json.dumps(member).encode()
    error = refused("x.geojson", data)
    assert error.problems[0].field == "crs"
    assert "ogr2ogr -t_srs EPSG:4326" in error.problems[0].message


def test_a_feature_may_declare_its_own_crs() -> None:
    feature = {
        "type": "Feature",
        "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [4040897.5158, 3975217.4293]},
    }
    collection = {"type": "FeatureCollection", "features": [feature]}
    (record,) = read_upload("x.geojson", json.dumps(collection).encode(), layer="L").records
    assert record.geometry["coordinates"] == pytest.approx([36.3, 33.6], abs=1e-6)


def test_a_position_with_no_place_in_wgs84_is_a_problem() -> None:
    data = (
        b'{"type": "Feature", "crs": {"type": "name", "properties": {"name": "EPSG:32637"}}, '
        b'"properties": {}, "geometry": {"type": "Point", "coordinates": [1e30, 1e30]}}'
    )
    error = refused("x.geojson", data)
    assert (error.problems[0].record, error.problems[0].field) == ("#1", "geometry")


# ---------------------------------------------------------------- KML


def test_location_history_tracks_are_lines_and_visits_points() -> None:
    upload = read("location-history.kml")
    home, driving, takeout = upload.records
    assert (home.name, home.geometry["type"]) == ("Home", "Point")
    assert home.properties["address"] == "Example Street 1, Damascus"
    assert (driving.geometry["type"], len(driving.geometry["coordinates"])) == ("LineString", 7)
    # the Placemark's TimeSpan wins over the track's (absent) <when>
    assert driving.date_as_stated == "2017-12-01T15:19:28.000Z/2017-12-01T15:31:08.488Z"
    # the older Takeout track: first and last <when>, each as the day it states
    assert takeout.date == "2013-03-05/2013-03-06"
    assert takeout.date_as_stated == "2013-03-05T23:41:14.459-08:00/2013-03-06T00:11:02.310-08:00"
    assert takeout.geometry["coordinates"][0] == [36.2671, 33.6655, 0.0]
    assert any("empty Point beside each track" in w and "#1, #2" in w for w in upload.warnings)


def test_my_tracks_multitrack_is_one_record_of_its_lines() -> None:
    start, tour = read("my-tracks.kml").records
    assert start.geometry["type"] == "Point"
    assert tour.id == "tour"
    assert tour.geometry["type"] == "MultiLineString"
    assert [len(line) for line in tour.geometry["coordinates"]] == [3, 2]
    assert tour.date == "2016-08-12"  # both <when> fall on one day
    assert tour.date_as_stated == "2016-08-12T05:02:11.000Z/2016-08-12T05:35:45.000Z"


def test_a_track_with_a_when_per_month_keeps_months() -> None:
    kml = (
        b'<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/'
        b'2.2"><Placemark><gx:Track><when>2015-01</when><gx:coord>36.1 33.1 0</gx:coord>'
        b"<when>2015-03</when><gx:coord>36.2 33.2 0</gx:coord></gx:Track></Placemark></kml>"
    )
    (record,) = read_upload("t.kml", kml, layer="L").records
    assert (record.date, record.geometry["type"]) == ("2015-01/2015-03", "LineString")


def test_bare_linear_rings_are_polygons_when_closed_and_lines_when_not() -> None:
    upload = read("fire-detections.kml")
    closed, open_ = upload.records
    assert closed.geometry["type"] == "Polygon" and closed.date == "2016-08-12"
    assert open_.geometry["type"] == "LineString"
    assert any(
        w.startswith("LinearRings on their own were read as polygons") for w in upload.warnings
    )
    assert any(w.startswith("LinearRings on their own that do not close") for w in upload.warnings)


def test_a_mixed_multigeometry_becomes_one_record_per_kind() -> None:
    upload = read("mixed-multigeometry.kml")
    assert [(r.id, r.name, r.geometry["type"]) for r in upload.records] == [
        ("cp-7 (part 1 of 3)", "Checkpoint 7 (part 1 of 3)", "MultiPoint"),
        ("cp-7 (part 2 of 3)", "Checkpoint 7 (part 2 of 3)", "LineString"),
        ("cp-7 (part 3 of 3)", "Checkpoint 7 (part 3 of 3)", "Polygon"),
    ]
    assert {r.date for r in upload.records} == {"2016-08/2017-05"}
    assert len({id(r.properties) for r in upload.records}) == 3  # each its own copy
    assert any("one record per kind of geometry" in w for w in upload.warnings)


KML_HEAD = b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            b"<NetworkLink><Link><href>https://example.org/live.kml</href></Link></NetworkLink>",
            ("nothing to import", "NetworkLink", "https://example.org/live.kml", "save the file"),
        ),
        (
            b"<GroundOverlay><Icon><href>scan.jpg</href></Icon><LatLonBox><north>33.7</north>"
            b"</LatLonBox></GroundOverlay>",
            ("image(s) laid on the map (GroundOverlay)", "import the image as imagery"),
        ),
        (b"<PhotoOverlay/>", ("PhotoOverlay",)),
        (b"<Folder><name>empty</name></Folder>", ("no Placemarks",)),
    ],
)
def test_nothing_to_import_says_what_the_kml_held(body: bytes, words: tuple[str, ...]) -> None:
    error = refused("x.kml", KML_HEAD + body + b"</Document></kml>")
    for word in words:
        assert word in error.problems[0].message


def test_a_model_beside_placemarks_is_left_out_with_a_note() -> None:
    kml = (
        KML_HEAD + b"<Placemark><Model><Location><longitude>36</longitude><latitude>33"
        b"</latitude></Location></Model></Placemark><Placemark><Point><coordinates>36,33"
        b"</coordinates></Point></Placemark></Document></kml>"
    )
    upload = read_upload("x.kml", kml, layer="L")
    assert len(upload.records) == 1
    assert upload.warnings == ["1 3D model(s), from SketchUp or COLLADA (Model) not imported"]


def test_a_csv_with_a_header_only_says_so() -> None:
    error = refused("x.csv", b"name,lat,lon\n")
    assert "nothing to import: a header and no rows" in error.problems[0].message


# ---------------------------------------------------------------- coordinate columns


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["stop_id", "stop_name", "stop_lat", "stop_lon"], ("stop_lat", "stop_lon")),  # GTFS
        (["decimalLatitude", "decimalLongitude"], ("decimalLatitude", "decimalLongitude")),
        (["LATITUDE", "LONGITUDE"], ("LATITUDE", "LONGITUDE")),
        (["Lat", "Long"], ("Lat", "Long")),
        (["lat", "lng"], ("lat", "lng")),
        (["x", "y"], ("y", "x")),
        (["POINT_X", "POINT_Y"], ("POINT_Y", "POINT_X")),  # ArcGIS
        (["latitude_deg", "longitude_deg"], ("latitude_deg", "longitude_deg")),  # OurAirports
        (["Latitude (WGS84)", "Longitude (WGS84)"], ("Latitude (WGS84)", "Longitude (WGS84)")),
        (["lat_dd", "lon_dd"], ("lat_dd", "lon_dd")),
        (["latitude", "longitude", "lat", "lon"], ("latitude", "longitude")),
        (["lat", "lng", "x", "y"], ("lat", "lng")),  # lat/lon before x/y
        (["pixel_x", "pixel_y"], None),  # x and y of something else
        (["name", "place"], None),
        # more than one pair as good: the researcher chooses
        (["Actor1Geo_Lat", "Actor1Geo_Long", "ActionGeo_Lat", "ActionGeo_Long"], None),
        (["stop_lat", "stop_lon", "parent_latitude", "parent_longitude"], None),
        (["lat_start", "lon_start", "lat_end", "lon_end"], None),
    ],
)
def test_coordinate_columns_from_their_names(
    headers: list[str], expected: tuple[str, str] | None
) -> None:
    pair = chosen_pair(coordinate_pairs(headers))
    assert (None if pair is None else (headers[pair.latitude], headers[pair.longitude])) == (
        expected
    )


def test_gtfs_stops_are_points_named_and_identified_by_the_stop() -> None:
    upload = read("gtfs-stops.txt")
    assert upload.format == "csv"
    names = [(r.id, r.name) for r in upload.records]
    assert names[:2] == [("S1", "Baramkeh"), ("S2", "Marjeh Square")]
    assert upload.records[1].geometry["coordinates"] == [36.301, 33.5128]
    assert "stop_lat" not in upload.records[0].properties


GDELT = b"id,Actor1Geo_Lat,Actor1Geo_Long,ActionGeo_Lat,ActionGeo_Long\ne1,33.5,36.3,33.6,36.2\n"


def test_two_pairs_of_columns_are_refused_until_one_is_chosen() -> None:
    error = refused("events.csv", GDELT)
    assert error.problems[0].code == NO_COORDINATE_COLUMNS
    assert "'ActionGeo_Lat' and 'ActionGeo_Long'" in error.problems[0].message
    upload = read_upload(
        "events.csv", GDELT, layer="L", lat_column="ActionGeo_Lat", lon_column="ActionGeo_Long"
    )
    (record,) = upload.records
    assert record.geometry["coordinates"] == [36.2, 33.6]
    assert record.properties["Actor1Geo_Lat"] == "33.5"
    assert "from the columns chosen" in upload.warnings[0]
    assert csv_columns("events.csv", GDELT) == [
        "id",
        "Actor1Geo_Lat",
        "Actor1Geo_Long",
        "ActionGeo_Lat",
        "ActionGeo_Long",
    ]


@pytest.mark.parametrize(
    ("columns", "words"),
    [
        ({"lat_column": "north", "lon_column": "ActionGeo_Long"}, "no column 'north'"),
        ({"lat_column": "ActionGeo_Lat"}, "name both"),
        ({"lat_column": "id", "lon_column": "ID"}, "both latitude and longitude"),
    ],
)
def test_a_wrong_choice_of_columns_is_refused(columns: dict[str, str], words: str) -> None:
    error = refused("events.csv", GDELT, **columns)
    assert words in error.problems[0].message
    assert error.problems[0].code == NO_COORDINATE_COLUMNS


def test_the_cli_takes_the_coordinate_columns(tmp_path: Path, private_store: Path, capsys) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(GDELT)
    assert main(["import", str(path), "--analyst", "A"]) == 1
    assert "--lat-column" in capsys.readouterr().err
    arguments = ["--lat-column", "ActionGeo_Lat", "--lon-column", "ActionGeo_Long"]
    assert main(["import", str(path), "--analyst", "A", *arguments]) == 0
    assert "imported 1 record" in capsys.readouterr().out


# ---------------------------------------------------------------- WKT curves


def on_circle(points: list[list[float]], centre: tuple[float, float], radius: float) -> bool:
    return all(math.isclose(math.dist(p[:2], centre), radius, abs_tol=2e-7) for p in points)


def test_curves_as_gdal_writes_them_are_made_into_segments() -> None:
    upload = read("wkt-curves.csv")
    by_name = {r.name: r.geometry for r in upload.records}
    assert {name: g["type"] for name, g in by_name.items()} == {
        "arc": "LineString",
        "compound": "LineString",
        "circle": "Polygon",
        "multicurve": "MultiLineString",
        "multisurface": "MultiPolygon",
        "arcz": "LineString",
    }
    arc = by_name["arc"]["coordinates"]
    # a half circle of radius 0.1 around (36.1, 33.0), a point every 4 degrees as OGR
    # (on the circle to the 7 decimals kept)
    assert len(arc) == 46 and arc[0] == [36.0, 33.0] and arc[-1] == [36.2, 33.0]
    assert on_circle(arc, (36.1, 33.0), 0.1)
    assert by_name["arcz"]["coordinates"][-1] == [36.2, 33.0, 30.0]
    assert all(shape(g).is_valid for g in by_name.values())
    assert any("made into straight segments" in w for w in upload.warnings)


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="needs GDAL's ogr2ogr")
def test_curves_are_made_into_the_segments_ogr_makes(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes((IMPORTS / "wkt-curves.csv").read_bytes())
    out = tmp_path / "lin.csv"
    subprocess.run(
        [
            *("ogr2ogr", "-f", "CSV", str(out), str(source), "-lco", "GEOMETRY=AS_WKT"),
            *("-nlt", "CONVERT_TO_LINEAR", "-oo", "GEOM_POSSIBLE_NAMES=WKT"),
            *("-oo", "KEEP_GEOM_COLUMNS=NO"),
        ],
        check=True,
        capture_output=True,
    )
    ours = {r.name: shape(r.geometry) for r in read("wkt-curves.csv").records}
    for row in csv.DictReader(io.StringIO(out.read_text())):
        if row["WKT"].startswith("CIRCULARSTRING"):
            continue  # GDAL 3.6 leaves a CIRCULARSTRING Z as it is
        theirs = shapely.from_wkt(row["WKT"])
        assert ours[row["name"]].hausdorff_distance(theirs) < 1e-4, row["name"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("CIRCULARSTRING (0 0, 1 1)", "odd number of points"),
        ("CIRCULARSTRING EMPTY", "empty geometry"),
        ("COMPOUNDCURVE ((0 0, 1 0), (2 0, 3 0))", "do not meet"),
        ("CURVEPOLYGON (POINT (1 2))", "'POINT' where"),
        ("CIRCULARSTRING (0 0, 1 1, 2 1e999)", "finite"),
        ("MULTICURVE ((0 0, 1 1)) trailing", "after the geometry"),
        ("CIRCULARSTRING (0 0, 1 1, 2 0", "expected ')'"),
    ],
)
def test_bad_curves_are_data_errors(text: str, words: str) -> None:
    with pytest.raises(DataError) as caught:
        linearized(text)
    assert words in str(caught.value)
    error = refused("c.csv", f'wkt\n"{text}"\n'.encode())
    assert (error.problems[0].record, error.problems[0].field) == ("#1", "wkt")


def test_curves_are_refused_past_the_vertex_limit() -> None:
    arcs = ",".join(f"{i} 1,{i + 1} 0" for i in range(0, 200, 2))
    with pytest.raises(DataError, match="limit per geometry"):
        linearized(f"CIRCULARSTRING (0 0,{arcs})", max_vertices=1000)


WKT_WORDS = st.sampled_from(
    [*CURVE_TYPES, "LINESTRING", "POLYGON", "POINT", "EMPTY", "Z", "M", "ZM", "(", ")", ",", " "]
)
WKT_NUMBERS = st.one_of(
    st.integers(-200, 200).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e999", "-0", ".5", "1.", "nan", "inf", "+3"]),
)
WKT_ISH = st.lists(st.one_of(WKT_WORDS, WKT_NUMBERS, st.text(max_size=3)), max_size=40).map(
    " ".join
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(WKT_ISH, st.sampled_from(CURVE_TYPES).flatmap(lambda t: WKT_ISH.map(t.__add__))))
def test_any_wkt_ish_text_gives_a_geometry_or_a_data_error(text: str) -> None:
    try:
        geometry = linearized(text)
    except DataError as exc:
        assert exc.problems
    else:
        assert geometry["type"] in ("LineString", "Polygon", "MultiLineString", "MultiPolygon")
    cell = io.StringIO()
    csv.writer(cell).writerows([["name", "wkt"], ["x", text]])
    try:
        upload = read_upload("c.csv", cell.getvalue().encode(), layer="L")
    except DataError as exc:
        assert exc.problems[0].file == "c.csv"
    else:
        assert all(shape(record.geometry).is_valid for record in upload.records)


# ---------------------------------------------------------------- the import form


def _import_page(data_dir: str) -> None:
    """The import form as the Import tab shows it; AppTest runs it."""
    from pathlib import Path

    from geo.store import Store
    from ui.transfer import import_section

    import_section(Store.open(Path(data_dir)))


def test_the_import_form_offers_the_columns_when_none_is_found(tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(
        _import_page, args=(str(tmp_path),), default_timeout=STREAMLIT_TIMEOUT
    ).run()
    assert not at.selectbox  # nothing to choose before a file is refused
    table = GDELT.replace(b"id,", b"id *[x](https://example.org)*,")
    at.file_uploader[0].set_value(("events.csv", table, "text/csv"))
    at.run()
    assert not at.exception
    assert "was not imported" in at.error[0].value
    latitude, longitude = at.selectbox
    assert (latitude.label, longitude.label) == ("Latitude column", "Longitude column")
    # the file's own column names, as text (a select shows its options as they are)
    assert latitude.options == [
        "id *[x](https://example.org)*",
        "Actor1Geo_Lat",
        "Actor1Geo_Long",
        "ActionGeo_Lat",
        "ActionGeo_Long",
    ]
    assert latitude.value is None and longitude.value is None
    latitude.set_value("ActionGeo_Lat").run()
    assert at.error and len(at.selectbox) == 2  # still refused: one column is not enough
    at.selectbox[1].set_value("ActionGeo_Long").run()
    assert not at.error and not at.exception
    assert "1 record read from events\\.csv (csv)" in at.success[0].value
    assert any("from the columns chosen" in w.value for w in at.warning)
    assert coordinate_choices(at) == ["ActionGeo_Lat", "ActionGeo_Long"]
    assert at.button(key="import_go")  # ready to store
    at.run()  # the choice holds on the next run (another widget's rerun)
    assert not at.error and coordinate_choices(at) == ["ActionGeo_Lat", "ActionGeo_Long"]


def coordinate_choices(at: Any) -> list[str]:
    """The values of the coordinate columns' selects (the date's selects come after them)."""
    return [s.value for s in at.selectbox if s.label in ("Latitude column", "Longitude column")]
