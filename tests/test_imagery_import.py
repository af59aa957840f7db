"""Imagery records from a researcher's images: kept as received, drawn from a display
copy, served as tiles from the app's own route; nothing half-stored."""

import hashlib
import io

import morecantile
import numpy as np
import pytest
from affine import Affine
from PIL import Image

from geo.errors import NOT_GEOREFERENCED, DataError
from geo.georef import ControlPoint, fit
from geo.georef.frame import convert
from geo.imagery.importing import (
    GEOREFERENCED_BY_RESEARCHER,
    ImageryFacts,
    import_georeferenced,
    import_image,
)
from geo.imagery.pixels import display_path, tile_png, tile_url
from geo.imagery.synthetic import write_picture, write_raster
from geo.records import Kind
from geo.store import Store
from tests.routes import answer

FACTS = ImageryFacts(
    name="Saydnaya, west wing",
    date="2015-01",
    date_as_stated="January 2015",
    provider="DigitalGlobe",
    released_by="US Department of State",
    released_on="2017-05-15",
    source_title="Press briefing",
    source_url="https://example.org/briefing",
    source_quote="imagery from January 2015",
)
TMS = morecantile.tms.get("WebMercatorQuad")


@pytest.fixture
def store(tmp_path):
    return Store.open(tmp_path / "store")


def geotiff(tmp_path, value=200):
    data = np.full((3, 64, 64), value, dtype=np.uint8)
    path = write_raster(tmp_path / "image.tif", data)
    return path.read_bytes()


def tile_over(record, zoom=19):
    """The tile holding the centre of the record's footprint."""
    lon, lat = centre(record)
    tile = TMS.tile(lon, lat, zoom)
    return tile.z, tile.x, tile.y


def centre(record):
    return np.mean(record.geometry["coordinates"][0][:-1], axis=0)


def centre_pixel(record, zoom=19):
    """Where the footprint's centre is in `tile_over`'s tile, in the tile's pixels."""
    lon, lat = centre(record)
    z, x, y = tile_over(record, zoom)
    bounds = TMS.xy_bounds(morecantile.Tile(x, y, z))
    mx, my = TMS.xy(lon, lat)
    return (
        int((mx - bounds.left) / (bounds.right - bounds.left) * 256),
        int((bounds.top - my) / (bounds.top - bounds.bottom) * 256),
    )


def test_a_geotiff_becomes_an_imagery_record_kept_under_its_sha256(tmp_path, store):
    data = geotiff(tmp_path)
    receipt = import_image(store, data, file_name="image.tif", facts=FACTS, analyst="ana")
    sha256 = hashlib.sha256(data).hexdigest()
    assert receipt.sha256 == sha256
    assert store.file_path(sha256).read_bytes() == data
    [record] = store.records(receipt.layer)
    assert record.kind is Kind.IMAGERY
    assert (record.date, record.date_as_stated) == ("2015-01", "January 2015")
    assert record.properties["sha256"] == sha256
    assert record.properties["sources"] == [
        {
            "title": "Press briefing",
            "url": "https://example.org/briefing",
            "quote": "imagery from January 2015",
        }
    ]
    assert record.properties["released_by"] == "US Department of State"
    assert record.geometry["type"] == "Polygon"
    assert [entry.analyst for entry in store.history()][-1] == "ana"
    # drawn from its display copy, through the tile route's function
    png = tile_png(store.data_dir, sha256, *tile_over(record))
    assert png is not None
    assert Image.open(io.BytesIO(png)).getpixel(centre_pixel(record))[:3] == (200, 200, 200)
    assert tile_png(store.data_dir, sha256, 16, 0, 0) is None  # far from the image
    assert tile_url(sha256) == f"/imagery/{sha256}/{{z}}/{{x}}/{{y}}.png"


def test_bad_facts_store_nothing(tmp_path, store):
    data = geotiff(tmp_path)
    bad = ImageryFacts(name=" ", date="January 2015")
    with pytest.raises(DataError) as caught:
        import_image(store, data, file_name="image.tif", facts=bad, analyst="ana")
    assert {p.field for p in caught.value.problems} == {"name", "date"}
    assert store.layers() == [] and store.files() == []
    assert not display_path(store.data_dir, hashlib.sha256(data).hexdigest()).exists()


def test_a_picture_without_georeference_is_sent_to_the_georeferencing_tool(tmp_path, store):
    data = write_picture(tmp_path / "plain.tif", np.zeros((1, 32, 32), np.uint8)).read_bytes()
    with pytest.raises(DataError) as caught:
        import_image(store, data, file_name="plain.tif", facts=FACTS, analyst="ana")
    assert [p.code for p in caught.value.problems] == [NOT_GEOREFERENCED]
    assert store.layers() == [] and not (store.data_dir / "display").exists()


def test_a_refused_record_takes_its_display_copy_with_it(tmp_path, store):
    data = geotiff(tmp_path)
    with pytest.raises(DataError):
        import_image(store, data, file_name="image.tif", facts=FACTS, analyst="")
    assert not display_path(store.data_dir, hashlib.sha256(data).hexdigest()).exists()


def test_a_georeferenced_picture_carries_its_control_points_and_error(store):
    transform = Affine(0.8, 0.0, 252000.0, 0.0, -0.8, 3728600.0)
    pixels = [(10, 10), (190, 20), (100, 140), (20, 150), (180, 150)]
    xs, ys = transform @ (np.array([p[0] for p in pixels]), np.array([p[1] for p in pixels]))
    lons, lats = convert("EPSG:32637", "EPSG:4326", np.asarray(xs, float), np.asarray(ys, float))
    points = [
        ControlPoint(float(c), float(r), float(lon), float(lat), placed_by="ana")
        for (c, r), lon, lat in zip(pixels, lons, lats, strict=True)
    ]
    buffer = io.BytesIO()
    Image.new("RGB", (200, 160), (90, 30, 30)).save(buffer, "PNG")
    picture = buffer.getvalue()
    fitted = fit(points, size=(200, 160))
    receipt = import_georeferenced(
        store, picture, fitted, file_name="released.png", facts=FACTS, analyst="ana"
    )
    assert store.file_path(receipt.sha256).read_bytes() == picture  # kept as released
    [record] = store.records(receipt.layer)
    georef = record.properties["georeferencing"]
    assert georef["by"] == GEOREFERENCED_BY_RESEARCHER and georef["analyst"] == "ana"
    assert georef["method"] == "affine" and georef["rms_px"] < 0.01
    assert [p["column"] for p in georef["points"]] == [float(c) for c, _ in pixels]
    assert len(georef["residuals"]) == len(pixels)
    png = tile_png(store.data_dir, receipt.sha256, *tile_over(record, 18))
    assert png is not None
    assert Image.open(io.BytesIO(png)).convert("RGB").getpixel(centre_pixel(record, 18)) == (
        90,
        30,
        30,
    )


def _get(path_params):
    from ui.routes import imagery_tile

    return answer(imagery_tile, path_params)


def test_the_tile_route_answers_from_the_store_of_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_DATA_DIR", str(tmp_path / "store"))
    store = Store.open(tmp_path / "store")
    data = geotiff(tmp_path)
    receipt = import_image(store, data, file_name="image.tif", facts=FACTS, analyst="ana")
    [record] = store.records(receipt.layer)
    z, x, y = tile_over(record)
    found = _get({"sha256": receipt.sha256, "z": z, "x": x, "y": y})
    assert (found.status_code, found.media_type) == (200, "image/png")
    assert _get({"sha256": receipt.sha256, "z": 16, "x": 0, "y": 0}).status_code == 204
    assert _get({"sha256": "0" * 64, "z": z, "x": x, "y": y}).status_code == 404
    assert _get({"sha256": "../../etc/passwd", "z": z, "x": x, "y": y}).status_code == 404
    assert _get({"sha256": receipt.sha256, "z": 40, "x": 0, "y": 0}).status_code == 404


def test_the_panel_shows_an_images_source_as_words_and_a_link_not_a_dict(tmp_path, store):
    # The record panel showed the researcher's source as a Python dict,
    # "sources: {'quote': '…', 'title': '…', 'url': '…'}", the address not a link.
    from geo.case import DEFAULT_CASE_DIR, load_case
    from geo.details import record_markdown
    from geo.workspace import combined_records

    hostile = ImageryFacts(
        name="west wing",
        date="2015",
        source_title="Press *briefing*",
        source_url="javascript:alert(1)",
        source_quote="it's <b>here</b>",
    )
    import_image(store, geotiff(tmp_path), file_name="a.tif", facts=FACTS, analyst="test")
    import_image(store, geotiff(tmp_path, 90), file_name="b.tif", facts=hostile, analyst="test")
    case = load_case(DEFAULT_CASE_DIR)
    records = combined_records(case, store.read_current()[0])
    by_name = {r.name: r.id for r in store.records()}
    text = record_markdown(case, by_name[FACTS.name], records)
    assert text is not None
    assert "{'" not in text.replace("\\", "")
    assert "Press briefing" in text and "imagery from January 2015" in text
    assert "](<https://example.org/briefing>)" in text  # a link
    text = record_markdown(case, by_name["west wing"], records)
    assert text is not None and "{'" not in text.replace("\\", "")
    assert "Press \\*briefing\\*" in text and "\\<b\\>here\\</b\\>" in text
    assert "javascript\\:alert\\(1\\)" in text and "](" not in text
