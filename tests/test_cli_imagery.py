"""`python -m geo import IMAGE` and `georef --import`: imagery records from the command
line, through `geo.imagery.importing`, and the export that carries them."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from PIL import Image
from shapely.geometry import Point, shape

from geo.cli import main
from geo.georef import ControlPoint, write_points
from geo.georef.frame import convert
from geo.imagery.importing import GEOREFERENCED_BY_RESEARCHER
from geo.imagery.opening import is_image
from geo.imagery.synthetic import SAYDNAYA, UTM_37N, utm_origin, write_picture, write_raster
from geo.records import Kind
from geo.store import Store

FACTS = [
    "--name",
    "Saydnaya, west wing",
    "--date",
    "2015-01",
    "--date-as-stated",
    "January 2015",
    "--provider",
    "DigitalGlobe",
    "--sensor",
    "WorldView-2",
    "--released-by",
    "US Department of State",
    "--released-on",
    "2017-05-15",
    "--source",
    "Press briefing",
    "--source-url",
    "https://example.org/briefing",
    "--quote",
    "imagery from January 2015",
    "--analyst",
    "ana",
]
SOURCE = {
    "title": "Press briefing",
    "url": "https://example.org/briefing",
    "quote": "imagery from January 2015",
}


def geotiff(tmp_path: Path, name: str = "image.tif") -> Path:
    return write_raster(tmp_path / name, np.full((3, 64, 64), 200, dtype=np.uint8))


def released_picture(tmp_path: Path) -> Path:
    """A released PNG with its QGIS .points file beside it (where QGIS saves it): exact
    control points of a 0.8 m grid in UTM 37N, as tests/test_imagery_import.py builds them."""
    transform = Affine(0.8, 0.0, 252000.0, 0.0, -0.8, 3728600.0)
    pixels = [(10, 10), (190, 20), (100, 140), (20, 150), (180, 150)]
    xs, ys = transform @ (np.array([p[0] for p in pixels]), np.array([p[1] for p in pixels]))
    lons, lats = convert(UTM_37N, "EPSG:4326", np.asarray(xs, float), np.asarray(ys, float))
    points = [
        ControlPoint(float(c), float(r), float(lon), float(lat))
        for (c, r), lon, lat in zip(pixels, lons, lats, strict=True)
    ]
    png = tmp_path / "released.png"
    Image.new("RGB", (200, 160), (90, 30, 30)).save(png, "PNG")
    (tmp_path / "released.png.points").write_text(write_points(points), encoding="utf-8")
    return png


def the_store(private_store: Path) -> Store:
    return Store.open(private_store)


def nothing_stored(store: Store) -> bool:
    return (
        store.layers() == [] and store.files() == [] and not (store.data_dir / "display").exists()
    )


@pytest.mark.parametrize(
    ("name", "head", "image"),
    [
        ("image.tif", b"II*\x00", True),
        ("IMAGE.TIFF", b"MM\x00*", True),
        ("picture.jpg", b"\xff\xd8\xff\xe0", True),
        ("picture.png", b"\x89PNG\r\n\x1a\n", True),
        ("fake.tif", b'{"type"', True),  # named as an image: refused as one, in its words
        ("download", b"II*\x00", True),  # no name to go by: its bytes tell
        ("scan.dat", b"\x89PNG\r\n\x1a\n", True),
        ("png-bytes.geojson", b"\x89PNG\r\n\x1a\n", False),  # a data file gone wrong
        ("sites.csv", b"II*\x00", False),
        ("sites.geojson", b'{"type"', False),
        ("sites.kml", b"<?xml", False),
        ("folder\\picture.PNG", b"", True),
    ],
)
def test_an_image_is_told_from_a_data_file(name, head, image):
    assert is_image(name, head) is image


def test_a_geotiff_becomes_an_imagery_record(tmp_path, private_store, capsys):
    path = geotiff(tmp_path)
    assert main(["import", str(path), *FACTS]) == 0
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    store = the_store(private_store)
    [layer] = store.layers()
    [record] = store.records(layer.name)
    assert record.kind is Kind.IMAGERY and record.name == "Saydnaya, west wing"
    assert (record.date, record.date_as_stated) == ("2015-01", "January 2015")
    assert record.properties["sha256"] == sha256 and record.properties["sources"] == [SOURCE]
    assert record.properties["sensor"] == "WorldView-2"
    assert store.file_path(sha256).read_bytes() == data  # kept as received
    assert [entry.analyst for entry in store.history()] == ["ana"]
    west, south, east, north = shape(record.geometry).bounds
    assert shape(record.geometry).contains(Point(SAYDNAYA))
    assert capsys.readouterr().out.splitlines() == [
        f"imported image.tif as imagery record 'Saydnaya, west wing' in layer '{layer.name}'",
        f"  file kept as received: SHA-256 {sha256}, {len(data):,} bytes",
        "  image: 64 by 64 pixels in EPSG:32637 (WGS 84 / UTM zone 37N), 1.00 by 1.00 m a pixel",
        f"  footprint: west {west:.6f}, south {south:.6f}, east {east:.6f}, north {north:.6f} "
        "(WGS 84)",
        "  date: 2015-01 (month: January 2015), as stated: 'January 2015'",
    ]


def test_a_bad_date_is_refused_and_nothing_is_stored(tmp_path, private_store, capsys):
    path = geotiff(tmp_path)
    args = ["import", str(path), "--date", "January 2015", "--released-on", "15/05/2017"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 2 problems found:\n") and "Traceback" not in err
    assert "- image.tif: field date: 'January 2015' is not YYYY, YYYY-MM or YYYY-MM-DD" in err
    assert "- image.tif: field released_on: in the interval '15/05/2017'" in err
    assert nothing_stored(the_store(private_store))


def test_an_image_needs_a_date(tmp_path, private_store, capsys):
    assert main(["import", str(geotiff(tmp_path))]) == 1
    assert "image.tif: field date: --date is needed" in capsys.readouterr().err
    assert nothing_stored(the_store(private_store))


def test_a_picture_without_georeference_is_sent_to_georef(tmp_path, private_store, capsys):
    plain = write_picture(tmp_path / "plain.tif", np.zeros((1, 32, 32), np.uint8))
    assert main(["import", str(plain), "--date", "2015"]) == 1
    err = capsys.readouterr().err
    assert "- plain.tif: it has no georeference" in err
    assert (
        "(on the command line: give its world file with --world-file, or georeference it from "
        "control points: python -m geo georef plain.tif --points plain.tif.points --date DATE "
        "--out IMAGE.tif --import)" in err
    )
    assert nothing_stored(the_store(private_store))


def test_a_jpeg_is_placed_by_its_world_file_in_the_crs_given(tmp_path, private_store, capsys):
    jpeg = tmp_path / "released.jpg"
    Image.new("RGB", (64, 48), (120, 120, 120)).save(jpeg, "JPEG")
    x, y = utm_origin()
    # pixel size across, two rotations, pixel size down, centre of the top-left pixel
    world = tmp_path / "released.jgw"
    world.write_text(f"2.0\n0.0\n0.0\n-2.0\n{x - 63}\n{y + 47}\n", encoding="utf-8")

    assert main(["import", str(jpeg), "--date", "2016", "--world-file", str(world)]) == 1
    assert "say which one" in capsys.readouterr().err  # a world file states no CRS
    assert nothing_stored(the_store(private_store))

    args = ["import", str(jpeg), "--date", "2016", "--world-file", str(world), "--crs", UTM_37N]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "imported released.jpg as imagery record 'released'" in out
    assert "64 by 48 pixels in EPSG:32637" in out and "2.00 by 2.00 m a pixel" in out
    assert "  date: 2016 (year: 2016)\n" in out
    store = the_store(private_store)
    [layer] = store.layers()
    [record] = store.records(layer.name)
    assert record.properties["crs_given"] == UTM_37N
    assert record.properties["sidecar"] == world.read_text(encoding="utf-8")
    assert record.properties["raster"]["format"] == "JPEG"
    assert shape(record.geometry).contains(Point(SAYDNAYA))
    assert store.file_path(record.properties["sha256"]).read_bytes() == jpeg.read_bytes()


def test_options_of_the_other_kind_of_file_are_refused(tmp_path, private_store, capsys):
    sites = Path(__file__).parent / "data" / "imports" / "sites.geojson"
    assert main(["import", str(sites), "--date", "2015", "--crs", UTM_37N]) == 1
    assert (
        "sites.geojson: --date, --crs: for an image only (a GeoTIFF, or a JPEG or PNG picture)"
        in capsys.readouterr().err
    )
    assert main(["import", str(geotiff(tmp_path)), "--date", "2015", "--layer", "x"]) == 1
    assert "image.tif: --layer: for a data file only" in capsys.readouterr().err
    png = released_picture(tmp_path)
    out = tmp_path / "out.tif"
    assert main(["georef", str(png), "--out", str(out), "--name", "x"]) == 1
    assert "released.png: --name: with --import only" in capsys.readouterr().err
    assert not out.exists() and nothing_stored(the_store(private_store))


def test_georef_import_keeps_the_picture_as_released_with_its_fit(tmp_path, private_store, capsys):
    png = released_picture(tmp_path)
    out = tmp_path / "released.tif"
    marks = f"{png}.points"
    args = ["georef", str(png), "--points", marks, "--out", str(out), "--import", *FACTS]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "RMS error: 0.00 m" in captured.out
    assert "imported released.png as imagery record 'Saydnaya, west wing'" in captured.out
    assert "  date: 2015-01 (month: January 2015), as stated: 'January 2015'" in captured.out
    assert f"wrote {out}" in captured.err and out.exists()
    store = the_store(private_store)
    [layer] = store.layers()
    [record] = store.records(layer.name)
    assert store.file_path(record.properties["sha256"]).read_bytes() == png.read_bytes()
    georef = record.properties["georeferencing"]
    assert georef["by"] == GEOREFERENCED_BY_RESEARCHER and georef["analyst"] == "ana"
    assert len(georef["points"]) == 5 and georef["rms_m"] < 0.01
    assert record.date == "2015-01" and record.properties["sources"] == [SOURCE]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "released.png: field date: --date is needed"),
        (["--date", "2015", "--released-on", "May 2017"], "field released_on: 'May 2017'"),
        (["--date", "2015", "--name", " "], "field name: the name is empty"),
    ],
)
def test_georef_import_refused_writes_nothing(tmp_path, private_store, capsys, extra, message):
    png = released_picture(tmp_path)
    out = tmp_path / "released.tif"
    assert main(["georef", str(png), "--out", str(out), "--import", *extra]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() and nothing_stored(the_store(private_store))


def test_the_export_carries_imagery_records_with_their_evidence(tmp_path, private_store, capsys):
    tiff = geotiff(tmp_path)
    assert main(["import", str(tiff), *FACTS]) == 0
    png = released_picture(tmp_path)
    placed = ["--name", "Released picture", "--date-as-stated", "early 2016", "--analyst", "ana"]
    args = ["georef", str(png), "--out", str(tmp_path / "r.tif"), "--date", "2016", "--import"]
    assert main([*args, *placed, "--source", "Briefing"]) == 0
    out = tmp_path / "all.geojson"
    assert main(["export", "--out", str(out), "--manifest"]) == 0
    features = json.loads(out.read_bytes())["features"]
    mine = {
        f["properties"]["name"]: f
        for f in features
        if f["properties"].get("layer", "case") != "case" and f["properties"]["kind"] == "imagery"
    }
    assert set(mine) == {"Saydnaya, west wing", "Released picture"}

    image = mine["Saydnaya, west wing"]
    assert shape(image["geometry"]).contains(Point(SAYDNAYA))
    props = image["properties"]
    assert (props["date"], props["date_as_stated"], props["date_precision"]) == (
        "2015-01",
        "January 2015",
        "month",
    )
    assert (props["date_start"], props["date_end"]) == ("2015-01-01", "2015-01-31")
    assert props["properties"]["sha256"] == hashlib.sha256(tiff.read_bytes()).hexdigest()
    assert props["properties"]["sources"] == [SOURCE]
    assert "georeferencing" not in props["properties"]

    picture = mine["Released picture"]
    props = picture["properties"]
    assert shape(picture["geometry"]).geom_type == "Polygon"
    assert (props["date"], props["date_as_stated"], props["date_precision"]) == (
        "2016",
        "early 2016",
        "year",
    )
    assert props["properties"]["sha256"] == hashlib.sha256(png.read_bytes()).hexdigest()
    assert props["properties"]["sources"] == [{"title": "Briefing"}]
    georef = props["properties"]["georeferencing"]
    assert [p["column"] for p in georef["points"]] == [10.0, 190.0, 100.0, 20.0, 180.0]
    assert georef["rms_m"] < 0.01 and georef["method"] == "affine"

    capsys.readouterr()
    assert main(["validate", str(out)]) == 0  # reads back, manifest and all
    assert "2 records of your own in 2 layers" in capsys.readouterr().out
    assert main(["verify"]) == 0
