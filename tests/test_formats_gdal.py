"""GPX, GeoPackage, zipped shapefile and FlatGeobuf uploads, read by GDAL in a child process.

Samples are made here, at test time, by GDAL itself (pyogrio through geopandas), so
where they come from is plain; the GPX is written as text, the way a Strava export
looks. The hostile ones (cut short, random bytes after a real header, zip bombs, more
features than the limit, a crashing, hanging or starving reader) must each be refused
with a `DataError`, quickly, and leave this process able to read the next file.
"""

from __future__ import annotations

import io
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import DataError
from geo.formats import Limits, Upload, read_upload
from geo.formats import _ogr as ogr
from geo.formats._ogr import SOURCE_LAYER_KEY

# A GPS watch's export as Strava writes it: two waypoints (one without a time), a planned
# route, and a run of three points whose last time is in another time zone.
STRAVA_GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx creator="StravaGPX" version="1.1" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <metadata><time>2024-05-03T08:29:00Z</time></metadata>
 <wpt lat="33.6655" lon="36.2671"><name>Gate</name><time>2024-05-03T08:30:00Z</time></wpt>
 <wpt lat="33.6656" lon="36.2672"><name>Checkpoint</name></wpt>
 <rte><name>Planned</name><rtept lat="33.66" lon="36.26"/><rtept lat="33.67" lon="36.27"/></rte>
 <trk><name>Morning Run</name><type>running</type><trkseg>
  <trkpt lat="33.6601" lon="36.2601"><ele>700.1</ele><time>2024-05-03T08:30:00Z</time></trkpt>
  <trkpt lat="33.6602" lon="36.2602"><ele>700.4</ele><time>2024-05-03T08:30:05.250Z</time></trkpt>
  <trkpt lat="33.6603" lon="36.2603"><ele>700.9</ele><time>2024-05-04T01:10:00+02:00</time></trkpt>
 </trkseg></trk>
</gpx>
"""

GATE = shapely.Point(36.2671, 33.6655).buffer(0.001)
WALL = shapely.Polygon([(36.26, 33.66), (36.27, 33.66), (36.27, 33.67), (36.26, 33.66)])


def sites(crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"name": ["Gate", "Wall"], "date": ["2016-08", "2017-05-15"], "guards": [4, None]},
        geometry=[GATE, WALL],
        crs="EPSG:4326",
    )
    return frame if crs == "EPSG:4326" or crs is None else frame.to_crs(crs)


def gdal_file(tmp_path: Path, name: str, frame: gpd.GeoDataFrame, **kwargs: Any) -> bytes:
    path = tmp_path / name
    frame.to_file(path, engine="pyogrio", **kwargs)
    return path.read_bytes()


def zipped_shapefile(tmp_path: Path, frame: gpd.GeoDataFrame, *, prj: bool = True) -> bytes:
    folder = tmp_path / "shapefile"
    folder.mkdir(parents=True)
    frame.to_file(folder / "sites.shp", engine="pyogrio")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if prj or path.suffix != ".prj":
                archive.write(path, f"sites/{path.name}")
        archive.writestr("__MACOSX/sites/._sites.shp", b"\x00\x05\x16\x07")
    return buffer.getvalue()


def read(name: str, data: bytes, **kwargs: Any) -> Upload:
    return read_upload(name, data, layer="Import", **kwargs)


def refused(name: str, data: bytes, *, seconds: float = 20, **kwargs: Any) -> str:
    """The message of the refusal, which must come within `seconds`."""
    start = time.monotonic()
    with pytest.raises(DataError) as caught:
        read(name, data, **kwargs)
    assert time.monotonic() - start < seconds
    return str(caught.value)


# ---------------------------------------------------------------- good files


def test_a_strava_gpx_gives_waypoints_routes_and_tracks_with_their_times() -> None:
    upload = read("morning-run.gpx", STRAVA_GPX.encode())
    assert upload.format == "gpx"
    by_name = {record.name: record for record in upload.records}
    assert list(by_name) == ["Gate", "Checkpoint", "Planned", "Morning Run"]
    gate, checkpoint, planned, run = by_name.values()
    assert gate.geometry == {"type": "Point", "coordinates": [36.2671, 33.6655]}
    # a waypoint's time is its date (a day), as stated to the second
    assert (gate.date, gate.date_as_stated) == ("2024-05-03", "2024-05-03T08:30:00Z")
    assert checkpoint.date is None and "time" not in checkpoint.properties
    assert planned.geometry["type"] == "LineString" and planned.date is None
    # a track's first and last time, as written (fraction and time zone kept)
    assert run.geometry["type"] == "MultiLineString"
    assert len(run.geometry["coordinates"][0]) == 3
    assert run.date == "2024-05-03/2024-05-04"
    assert run.date_as_stated == "2024-05-03T08:30:00Z/2024-05-04T01:10:00+02:00"
    assert run.properties["type"] == "running"
    # GDAL lists every GPX element as a field: the ones absent are not made up as nulls
    assert None not in run.properties.values()
    assert [r.properties[SOURCE_LAYER_KEY] for r in upload.records] == [
        "waypoints",
        "waypoints",
        "routes",
        "tracks",
    ]


def test_a_geopackage_keeps_every_layer_and_value(tmp_path: Path) -> None:
    path = tmp_path / "case.gpkg"
    sites().to_file(path, layer="sites", engine="pyogrio")
    gpd.GeoDataFrame(
        {"name": ["Road"]}, geometry=[shapely.LineString([(36.2, 33.6), (36.3, 33.7)])], crs=4326
    ).to_file(path, layer="roads", engine="pyogrio")
    upload = read("case.gpkg", path.read_bytes())
    assert upload.format == "gpkg" and upload.warnings == []
    assert [(r.name, r.date, r.properties[SOURCE_LAYER_KEY]) for r in upload.records] == [
        ("Gate", "2016-08", "sites"),
        ("Wall", "2017-05-15", "sites"),
        ("Road", None, "roads"),
    ]
    # an integer column with a null stays integer; the null stays a null
    assert [r.properties["guards"] for r in upload.records[:2]] == [4, None]
    assert shapely.geometry.shape(upload.records[1].geometry).equals(WALL)


@pytest.mark.parametrize(("name", "fmt"), [("sites.fgb", "fgb"), ("sites.shp.zip", "shapefile")])
def test_a_projected_file_is_converted_to_longitude_latitude(
    tmp_path: Path, name: str, fmt: str
) -> None:
    utm = sites("EPSG:32637")
    data = (
        zipped_shapefile(tmp_path, utm)
        if fmt == "shapefile"
        else gdal_file(tmp_path, name, utm, driver="FlatGeobuf")
    )
    upload = read(name, data)
    assert upload.format == fmt
    assert upload.warnings == [
        "layer 'sites' was converted from WGS 84 / UTM zone 37N (EPSG:32637) to WGS84 "
        "longitude/latitude"
    ]
    assert [r.name for r in upload.records] == ["Gate", "Wall"]
    # back within a centimetre (7 decimals) of where it was drawn
    assert shapely.geometry.shape(upload.records[1].geometry).equals_exact(WALL, 1e-6)
    assert SOURCE_LAYER_KEY not in upload.records[0].properties


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_a_layer_without_crs_is_read_only_when_plainly_longitude_latitude(tmp_path: Path) -> None:
    upload = read("sites.zip", zipped_shapefile(tmp_path, sites(), prj=False))
    assert len(upload.records) == 2
    assert "names no coordinate reference system: read as WGS84" in upload.warnings[0]
    projected = sites("EPSG:32637").set_crs(None, allow_override=True)
    message = refused("utm.zip", zipped_shapefile(tmp_path / "utm", projected, prj=False))
    assert "GDAL could not read this file" in message
    assert "no coordinate reference system" in message
    assert "save it with its CRS (for a shapefile, the .prj file in the zip)" in message


def test_a_zip_holding_a_kml_is_still_a_kmz() -> None:
    kml = (Path(__file__).parent / "data" / "imports" / "placemarks.kml").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("doc.kml", kml)
    upload = read("placemarks.zip", buffer.getvalue())
    assert upload.format == "kmz" and len(upload.records) == 3


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        (
            "notes.zip",
            b"PK\x05\x06" + b"\x00" * 18,
            "no .shp file inside the zip (it holds nothing)",
        ),
        ("sites.zip", b"name,lat,lon\n", "not a zip archive: a zipped shapefile"),
        ("sites.shp", b"\x00\x00\x27\x0a", "one file of a shapefile: upload its .shp, .shx"),
        ("run.gpx", b"<kml><Document/></kml>", "not a GPX document: it starts with <kml>"),
        ("case.gpkg", b"SQLite format 3\x00" + b"\x00" * 100, "not a GeoPackage"),
        ("case.gpkg", b"name,lat,lon\n1,2,3\n", "this is text, not a GeoPackage"),
        ("sites.fgb", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "PNG image, not a FlatGeobuf file"),
    ],
)
def test_a_file_that_is_not_what_it_is_named_never_reaches_gdal(
    monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, fragment: str
) -> None:
    monkeypatch.setattr(ogr, "WORKER", Path("/nonexistent"))
    assert fragment in refused(name, data, seconds=2)


# ---------------------------------------------------------------- the hostile corpus


def strava_many_waypoints(count: int) -> bytes:
    point = '<wpt lat="33.6" lon="36.2"><name>w</name></wpt>\n'
    return STRAVA_GPX.replace("<rte>", point * count + "<rte>").encode()


def bomb_shapefile(tmp_path: Path) -> bytes:
    """A real shapefile whose .dbf is padded to 200 MB of zeros: about 200 KB zipped."""
    real = zipped_shapefile(tmp_path, sites())
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(real)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith(".dbf"):
                content += b"\x00" * (200 * 1024 * 1024)
            archive.writestr(info.filename, content)
    return buffer.getvalue()


def samples(tmp_path: Path) -> dict[str, bytes]:
    return {
        "run.gpx": STRAVA_GPX.encode(),
        "case.gpkg": gdal_file(tmp_path, "case.gpkg", sites()),
        "sites.fgb": gdal_file(tmp_path, "sites.fgb", sites(), driver="FlatGeobuf"),
        "sites.zip": zipped_shapefile(tmp_path, sites()),
    }


@pytest.mark.parametrize("name", ["run.gpx", "case.gpkg", "sites.fgb", "sites.zip"])
def test_a_file_cut_short_is_refused(tmp_path: Path, name: str) -> None:
    data = samples(tmp_path)[name]
    message = refused(name, data[: len(data) // 2])
    assert (
        "GDAL could not read this file" in message
        or "not a zip archive" in message
        or "cut short" in message
    )
    assert read(name, data).records  # and the next file is read as before


@pytest.mark.parametrize("name", ["run.gpx", "case.gpkg", "sites.fgb", "sites.zip"])
def test_random_bytes_after_a_valid_header_are_refused(tmp_path: Path, name: str) -> None:
    data = samples(tmp_path)[name]
    noise = random.Random(name).randbytes(len(data))
    message = refused(name, data[:120] + noise)
    assert "problem found" in message
    assert read(name, data).records


def test_a_zipped_shapefile_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    data = bomb_shapefile(tmp_path)
    assert len(data) < 1024 * 1024
    message = refused("bomb.zip", data, seconds=5)
    assert "'sites/sites.dbf' in the zip unpacks to 209,715,700 bytes, over the" in message
    assert "-byte limit for all the files in a zip" in message


@pytest.mark.parametrize("name", ["run.gpx", "case.gpkg", "sites.fgb"])
def test_a_zip_bomb_named_as_another_format_is_refused_unopened(name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("huge", b"\x00" * (100 * 1024 * 1024))
    assert "a zip archive, not" in refused(name, buffer.getvalue(), seconds=5)


def test_gpx_entities_are_refused_before_gdal_reads_them() -> None:
    laughs = STRAVA_GPX.replace(
        "<gpx ",
        '<!DOCTYPE gpx [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<gpx ',
    )
    assert "DOCTYPE" in refused("laughs.gpx", laughs.encode(), seconds=2)


@pytest.mark.parametrize("fmt", ["gpx", "gpkg", "fgb", "shapefile"])
def test_more_features_than_the_limit_stop_gdal_early(tmp_path: Path, fmt: str) -> None:
    limits = Limits(max_features=1_000)
    if fmt == "gpx":
        name, data = "many.gpx", strava_many_waypoints(200_000)
    else:
        points = gpd.GeoDataFrame(
            {"n": range(200_000)},
            geometry=gpd.points_from_xy([36.2] * 200_000, [33.6] * 200_000),
            crs=4326,
        )
        if fmt == "shapefile":
            name, data = "many.zip", zipped_shapefile(tmp_path, points)
        else:
            name = f"many.{fmt}"
            data = gdal_file(
                tmp_path, name, points, driver="GPKG" if fmt == "gpkg" else "FlatGeobuf"
            )
    message = refused(name, data, limits=limits, seconds=15)
    assert "more than 1,000 features, the limit: split the file" in message


def test_a_geometry_over_the_vertex_limit_is_refused_by_the_child(tmp_path: Path) -> None:
    line = shapely.LineString([(36 + i / 1e5, 33.6) for i in range(5_000)])
    data = gdal_file(tmp_path, "long.fgb", gpd.GeoDataFrame(geometry=[WALL, line], crs=4326))
    message = refused("long.fgb", data, limits=Limits(max_vertices_per_geometry=1_000))
    assert "record #2" in message and "5,000 vertices is over the limit of 1,000" in message


# ---------------------------------------------------------------- a reader that fails


def fake_worker(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "worker.py"
    script.write_text(f"import os, signal, sys, time\n{body}\n")
    return script


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("os.kill(os.getpid(), signal.SIGSEGV)", "GDAL crashed on it (SIGSEGV)"),
        ("os.kill(os.getpid(), signal.SIGKILL)", "its reader was stopped (out of memory?"),
        ("os.kill(os.getpid(), signal.SIGXCPU)", "reading it used more CPU time than the limit"),
        ("raise SystemExit('boom')", "its reader failed (boom)"),
        ("sys.exit(0)", "its reader gave no answer"),
        ("time.sleep(30)", "reading it took longer than the 1-second limit"),
    ],
)
def test_a_crash_a_kill_or_a_hang_of_the_child_is_a_clear_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, fragment: str
) -> None:
    monkeypatch.setattr(ogr, "WORKER", fake_worker(tmp_path, body))
    message = refused("run.gpx", STRAVA_GPX.encode(), limits=Limits(max_seconds=1), seconds=10)
    assert f"GDAL could not read this file: {fragment}" in message


def test_the_memory_limit_holds_in_the_child(tmp_path: Path) -> None:
    # 300 MB is less than Python with GDAL and PROJ loaded reserves: the child stops.
    message = refused(
        "case.gpkg", samples(tmp_path)["case.gpkg"], limits=Limits(max_gdal_memory=300 << 20)
    )
    assert "GDAL could not read this file" in message
    assert "314,572,800-byte limit" in message


def test_the_child_limits_itself() -> None:
    # What the worker sets, seen from inside it.
    probe = (
        "import resource, runpy, sys; "
        f"sys.argv = ['w']; w = runpy.run_path({str(ogr.WORKER)!r}); "
        "w['_limit_self'](900 << 20, 7, 1 << 20); "
        "print(resource.getrlimit(resource.RLIMIT_AS)[0], "
        "resource.getrlimit(resource.RLIMIT_CPU)[0], resource.getrlimit(resource.RLIMIT_CORE)[0])"
    )
    done = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, check=True)
    assert done.stdout.split() == [str(900 << 20).encode(), b"7", b"0"]


@pytest.fixture(scope="module")
def sample_gpkg(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return gdal_file(tmp_path_factory.mktemp("gpkg"), "case.gpkg", sites())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=16, max_value=4_000), noise=st.binary(min_size=1, max_size=2_000))
def test_damaged_geopackages_are_refused_or_read_never_crash(
    sample_gpkg: bytes, cut: int, noise: bytes
) -> None:
    data = sample_gpkg[:cut] + noise + sample_gpkg[cut + len(noise) :]
    try:
        upload = read("damaged.gpkg", data)
    except DataError as error:
        assert error.problems[0].file == "damaged.gpkg"
    else:
        assert [record.name for record in upload.records] == ["Gate", "Wall"]
