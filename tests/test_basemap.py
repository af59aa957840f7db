"""Offline basemaps: MBTiles, PMTiles and GeoTIFF files kept beside the store, served
as tiles by z/x/y, offered on the map as base layers labelled "not evidence"; and the
files refused, with nothing stored."""

from __future__ import annotations

import gzip
import io
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from geo.assets import localize_assets, remote_references
from geo.basemap import (
    INDEX_NAME,
    Basemap,
    BasemapKind,
    TileFormat,
    add_basemap,
    basemap_layer_name,
    basemap_tile,
    basemap_tile_layer,
    basemaps,
    remove_basemap,
)
from geo.basemap.storage import basemaps_dir
from geo.cli import main
from geo.errors import DataError
from geo.escape import escape_text
from geo.imagery.synthetic import SAYDNAYA, transform_around, write_raster
from geo.mapview import base_map
from geo.store import Store
from tests.routes import answer
from tests.test_escape import HOSTILE

RED, BLUE, GREEN = (200, 30, 30), (30, 30, 200), (30, 160, 30)
Z = 15
# A small box around the site: west, south, east, north.
SITE_BOUNDS = (36.31, 33.655, 36.345, 33.675)


def tile_position(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Where a position is in Web Mercator tiles at zoom z (x, y from the top), fractions
    being the place within the tile."""
    n = 2**z
    return (
        (lon + 180) / 360 * n,
        (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n,
    )


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The Web Mercator tile (x, y from the top) holding a position."""
    x, y = tile_position(lon, lat, z)
    return math.floor(x), math.floor(y)


X, Y = tile_of(*SAYDNAYA, Z)


def png(colour: tuple[int, int, int], size: int = 256) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, "PNG")
    return buffer.getvalue()


def colour_of(data: bytes) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel((128, 128))


def mbtiles(
    path: Path,
    tiles: dict[tuple[int, int, int], bytes],
    metadata: dict[str, str] | None = None,
    *,
    tables: tuple[str, ...] = ("metadata", "tiles"),
) -> bytes:
    """An MBTiles file of `tiles` (z, x, y from the top: stored in TMS rows)."""
    stated = {"format": "png", "bounds": ",".join(map(str, SITE_BOUNDS)), "minzoom": "14"}
    stated |= {"maxzoom": "15", "name": "site"}
    stated = stated if metadata is None else metadata
    with sqlite3.connect(path) as connection:
        if "metadata" in tables:
            connection.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
            connection.executemany("INSERT INTO metadata VALUES (?, ?)", stated.items())
        if "tiles" in tables:
            connection.execute(
                "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                "tile_row INTEGER, tile_data BLOB)"
            )
            connection.executemany(
                "INSERT INTO tiles VALUES (?, ?, ?, ?)",
                [(z, x, 2**z - 1 - y, data) for (z, x, y), data in tiles.items()],
            )
    connection.close()
    return path.read_bytes()


def pmtiles(
    path: Path,
    tiles: dict[tuple[int, int, int], bytes],
    *,
    tile_type: TileType = TileType.PNG,
    compression: Compression = Compression.NONE,
    bounds: tuple[float, float, float, float] = SITE_BOUNDS,
) -> bytes:
    west, south, east, north = bounds
    with path.open("wb") as stream:
        writer = Writer(stream)
        for (z, x, y), data in sorted(tiles.items(), key=lambda item: zxy_to_tileid(*item[0])):
            writer.write_tile(zxy_to_tileid(z, x, y), data)
        writer.finalize(
            {
                "tile_type": tile_type,
                "tile_compression": compression,
                "min_lon_e7": round(west * 1e7),
                "min_lat_e7": round(south * 1e7),
                "max_lon_e7": round(east * 1e7),
                "max_lat_e7": round(north * 1e7),
                "center_zoom": Z,
                "center_lon_e7": round(SAYDNAYA[0] * 1e7),
                "center_lat_e7": round(SAYDNAYA[1] * 1e7),
            },
            {"name": "site"},
        )
    return path.read_bytes()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def kept_files(data_dir: Path) -> list[str]:
    folder = basemaps_dir(data_dir)
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


# --- each kind imported, listed and served


def test_an_mbtiles_basemap_is_kept_listed_and_served_by_z_x_y(tmp_path, data_dir):
    # two tiles one above the other: TMS rows count from the south, Leaflet's y from the top
    data = mbtiles(tmp_path / "site.mbtiles", {(Z, X, Y): png(RED), (Z, X, Y + 1): png(BLUE)})
    added = add_basemap(data_dir, data, "site.mbtiles", "Saydnaya", "Test tiles", "2019")
    assert added.kind is BasemapKind.MBTILES and added.tile_format is TileFormat.PNG
    assert (added.min_zoom, added.max_zoom, added.bounds) == (14, 15, SITE_BOUNDS)
    assert basemaps(data_dir) == [added]
    assert kept_files(data_dir) == sorted([INDEX_NAME, f"{added.sha256}.mbtiles"])
    tile, media_type = basemap_tile(data_dir, added.sha256, Z, X, Y)
    assert (colour_of(tile), media_type) == (RED, "image/png")
    below, _ = basemap_tile(data_dir, added.sha256, Z, X, Y + 1)
    assert colour_of(below) == BLUE
    assert basemap_tile(data_dir, added.sha256, Z, X + 1, Y) is None
    assert basemap_tile(data_dir, added.sha256, 3, 0, 0) is None
    # kept as received, under the SHA-256 of what was received
    assert (basemaps_dir(data_dir) / added.file).read_bytes() == data


def test_a_pmtiles_basemap_is_kept_and_served(tmp_path, data_dir):
    data = pmtiles(tmp_path / "site.pmtiles", {(Z, X, Y): png(GREEN), (Z, X, Y + 1): png(BLUE)})
    added = add_basemap(data_dir, data, "site.pmtiles", "Saydnaya PM", "", None)
    assert added.kind is BasemapKind.PMTILES and (added.min_zoom, added.max_zoom) == (Z, Z)
    assert added.bounds == pytest.approx(SITE_BOUNDS)
    assert colour_of(basemap_tile(data_dir, added.sha256, Z, X, Y)[0]) == GREEN
    assert colour_of(basemap_tile(data_dir, added.sha256, Z, X, Y + 1)[0]) == BLUE
    assert basemap_tile(data_dir, added.sha256, Z, X - 1, Y) is None


def test_gzipped_pmtiles_tiles_are_served_unzipped(tmp_path, data_dir):
    data = pmtiles(
        tmp_path / "z.pmtiles",
        {(Z, X, Y): gzip.compress(png(RED))},
        compression=Compression.GZIP,
    )
    added = add_basemap(data_dir, data, "z.pmtiles", "Zipped")
    tile, media_type = basemap_tile(data_dir, added.sha256, Z, X, Y)
    assert (colour_of(tile), media_type) == (RED, "image/png")


def test_a_geotiff_basemap_is_kept_as_a_cog_and_tiled(tmp_path, data_dir):
    path = write_raster(
        tmp_path / "site.tif",
        np.stack([np.full((200, 200), v, np.uint8) for v in GREEN]),
        transform=transform_around(200, 200),
    )
    added = add_basemap(data_dir, path.read_bytes(), "site.tif", "Site GeoTIFF", "Test", "2020")
    assert added.kind is BasemapKind.RASTER and added.tile_format is TileFormat.PNG
    west, south, east, north = added.bounds
    assert west < SAYDNAYA[0] < east and south < SAYDNAYA[1] < north
    assert added.max_zoom == 17  # 1 m pixels: zoom 17's are 0.99 m at 33.7 N
    tile, media_type = basemap_tile(data_dir, added.sha256, 17, *tile_of(*SAYDNAYA, 17))
    assert media_type == "image/png"
    x, y = tile_position(*SAYDNAYA, 17)
    pixel = (int(x % 1 * 256), int(y % 1 * 256))
    assert Image.open(io.BytesIO(tile)).convert("RGB").getpixel(pixel) == GREEN
    assert basemap_tile(data_dir, added.sha256, 17, 0, 0) is None
    kept = basemaps_dir(data_dir) / added.file
    assert kept.suffix == ".tif" and kept.read_bytes()[:4] == b"II*\x00"


def test_the_same_file_twice_is_one_basemap(tmp_path, data_dir):
    data = mbtiles(tmp_path / "a.mbtiles", {(Z, X, Y): png(RED)})
    first = add_basemap(data_dir, data, "a.mbtiles", "First")
    again = add_basemap(data_dir, data, "copy.mbtiles", "Second")
    assert again == first and basemaps(data_dir) == [first]


def test_removing_a_basemap_removes_its_entry_and_file(tmp_path, data_dir):
    one = add_basemap(data_dir, mbtiles(tmp_path / "a.mbtiles", {(Z, X, Y): png(RED)}), "a", "A")
    two = add_basemap(
        data_dir, pmtiles(tmp_path / "b.pmtiles", {(Z, X, Y): png(BLUE)}), "b.pmtiles", "B"
    )
    assert remove_basemap(data_dir, one.sha256) == one
    assert basemaps(data_dir) == [two]
    assert kept_files(data_dir) == sorted([INDEX_NAME, two.file])
    with pytest.raises(DataError, match="no basemap"):
        remove_basemap(data_dir, one.sha256)
    with pytest.raises(DataError, match="no basemap"):
        basemap_tile(data_dir, one.sha256, Z, X, Y)


def test_a_basemap_is_no_evidence_record(tmp_path, data_dir):
    add_basemap(data_dir, mbtiles(tmp_path / "a.mbtiles", {(Z, X, Y): png(RED)}), "a", "A")
    store = Store.open(data_dir)
    assert store.records() == [] and store.latest() is None  # not in the history either


def test_a_record_round_trips_and_refuses_what_is_not_one():
    record = Basemap(
        sha256="a" * 64,
        label="Site",
        source="Maxar via a report",
        date="March 2019",
        kind=BasemapKind.MBTILES,
        bounds=SITE_BOUNDS,
        min_zoom=12,
        max_zoom=18,
        tile_format=TileFormat.JPG,
    )
    assert Basemap.from_dict(record.to_dict()) == record
    for broken in (
        {**record.to_dict(), "sha256": "../etc"},
        {**record.to_dict(), "bounds": [0, 0, 0]},
        {**record.to_dict(), "kind": "kml"},
        {**record.to_dict(), "max_zoom": 40},
        {"label": "x"},
        [],
    ):
        with pytest.raises(DataError):
            Basemap.from_dict(broken)


# --- refused, and nothing stored


def _vector_mbtiles(path: Path) -> bytes:
    metadata = {"format": "pbf", "bounds": "36.3,33.6,36.4,33.7", "minzoom": "0", "maxzoom": "14"}
    return mbtiles(path, {(Z, X, Y): gzip.compress(b"\x1a\x02ab")}, metadata)


def _unstated_vector_mbtiles(path: Path) -> bytes:
    metadata = {"bounds": "36.3,33.6,36.4,33.7", "minzoom": "0", "maxzoom": "14"}
    return mbtiles(path, {(Z, X, Y): gzip.compress(b"\x1a\x02ab")}, metadata)


def _no_bounds(path: Path) -> bytes:
    return mbtiles(path, {(Z, X, Y): png(RED)}, {"format": "png", "minzoom": "1", "maxzoom": "2"})


def _absurd_bounds(path: Path) -> bytes:
    metadata = {"format": "png", "bounds": "200,33.6,36.4,95", "minzoom": "1", "maxzoom": "2"}
    return mbtiles(path, {(Z, X, Y): png(RED)}, metadata)


REFUSED = [
    ("text.mbtiles", lambda p: b"hello, not a database", "not an SQLite database"),
    ("none.mbtiles", lambda p: mbtiles(p, {}, tables=("metadata",)), "no tiles table"),
    ("empty.mbtiles", lambda p: mbtiles(p, {}), "tiles table is empty"),
    ("vector.mbtiles", _vector_mbtiles, "vector tiles"),
    ("unstated.mbtiles", _unstated_vector_mbtiles, "vector tiles"),
    ("nobounds.mbtiles", _no_bounds, "no bounds"),
    ("absurd.mbtiles", _absurd_bounds, "-180 <= west < east <= 180"),
    (
        "vector.pmtiles",
        lambda p: pmtiles(p, {(Z, X, Y): b"\x1a\x02ab"}, tile_type=TileType.MVT),
        "vector tiles",
    ),
    (
        "absurd.pmtiles",
        lambda p: pmtiles(p, {(Z, X, Y): png(RED)}, bounds=(10.0, 50.0, 5.0, 40.0)),
        "west < east",
    ),
    ("cut.pmtiles", lambda p: pmtiles(p, {(Z, X, Y): png(RED)})[:200], "cut short"),
    ("text.pmtiles", lambda p: b"PMTile? no", "not a PMTiles file"),
    ("notes.txt", lambda p: b"just some notes", "not a basemap the explorer reads"),
    ("picture.tif", lambda p: b"II*\x00" + b"\x00" * 64, "GeoTIFF"),
    ("empty.mbtiles", lambda p: b"", "the file is empty"),
]


@pytest.mark.parametrize(("name", "make", "said"), REFUSED, ids=[r[0] for r in REFUSED])
def test_what_cannot_be_a_basemap_is_refused_and_nothing_is_stored(
    tmp_path, data_dir, name, make, said
):
    data = make(tmp_path / name)
    with pytest.raises(DataError) as refused:
        add_basemap(data_dir, data, name, "Label")
    assert said in str(refused.value)
    assert all(p.file == name for p in refused.value.problems), refused.value.problems
    assert kept_files(data_dir) == [] and basemaps(data_dir) == []


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path, data_dir):
    data = mbtiles(tmp_path / "big.mbtiles", {(Z, X, Y): png(RED)})
    with pytest.raises(DataError, match="over the limit of 1,000"):
        add_basemap(data_dir, data, "big.mbtiles", "Big", max_bytes=1000)
    assert kept_files(data_dir) == []


def test_a_label_is_needed(tmp_path, data_dir):
    data = mbtiles(tmp_path / "a.mbtiles", {(Z, X, Y): png(RED)})
    with pytest.raises(DataError, match="needs a label"):
        add_basemap(data_dir, data, "a.mbtiles", "  ")


def test_a_tiles_view_that_never_ends_is_stopped(tmp_path, data_dir):
    path = tmp_path / "loop.mbtiles"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        connection.execute(
            "CREATE VIEW tiles AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
            "SELECT 0 AS zoom_level, 0 AS tile_column, 0 AS tile_row, NULL AS tile_data "
            "FROM n WHERE i < 0"
        )
    connection.close()
    with pytest.raises(DataError, match="took too long"):
        add_basemap(data_dir, path.read_bytes(), "loop.mbtiles", "Loop")


# --- the route


def _get(path_params):
    from ui.routes import basemap_tile_route

    return answer(basemap_tile_route, path_params)


def test_the_route_answers_tiles_no_content_and_not_found(tmp_path, monkeypatch):
    data_dir = tmp_path / "served"
    monkeypatch.setenv("GEO_DATA_DIR", str(data_dir))
    data = mbtiles(tmp_path / "a.mbtiles", {(Z, X, Y): png(RED)})
    added = add_basemap(data_dir, data, "a.mbtiles", "A")
    found = _get({"sha256": added.sha256, "z": Z, "x": X, "y": Y})
    assert (found.status_code, found.media_type) == (200, "image/png")
    assert colour_of(found.body) == RED
    assert _get({"sha256": added.sha256, "z": Z, "x": X, "y": Y + 1}).status_code == 204
    assert _get({"sha256": "0" * 64, "z": Z, "x": X, "y": Y}).status_code == 404
    assert _get({"sha256": "../../etc/passwd", "z": Z, "x": X, "y": Y}).status_code == 404
    assert _get({"sha256": added.sha256, "z": 30, "x": 0, "y": 0}).status_code == 404
    assert _get({"sha256": added.sha256, "z": 2, "x": 9, "y": 0}).status_code == 404


# --- the map


def _basemap(label: str = "Saydnaya", date: str | None = "2019") -> Basemap:
    return Basemap(
        sha256="b" * 64,
        label=label,
        source=label,
        date=date,
        kind=BasemapKind.MBTILES,
        bounds=SITE_BOUNDS,
        min_zoom=14,
        max_zoom=17,
        tile_format=TileFormat.PNG,
    )


def _control(m):
    from folium import LayerControl

    [control] = [c for c in m._children.values() if isinstance(c, LayerControl)]
    return control


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_map_offers_a_basemap_named_escaped_and_not_evidence(shipped_case, hostile):
    basemap = _basemap(label=hostile, date=hostile)
    m = base_map(shipped_case, basemaps=[basemap])
    html = m.get_root().render()
    names = list(_control(m).base_layers)
    name = basemap_layer_name(basemap)
    assert names[0].startswith("Country outlines") and names[1] == name
    assert (
        name == f"Offline basemap: {escape_text(hostile)} ({escape_text(hostile)}) — not evidence"
    )
    assert hostile not in html
    assert f"/basemap/{'b' * 64}/{{z}}/{{x}}/{{y}}" in html
    assert remote_references(localize_assets(m).get_root().render()) == []


def test_the_basemap_layer_keeps_to_its_bounds_and_zooms():
    layer = basemap_tile_layer(_basemap(date=None))
    west, south, east, north = SITE_BOUNDS
    assert layer.options["bounds"] == [[south, west], [north, east]]
    assert (layer.options["min_native_zoom"], layer.options["max_native_zoom"]) == (14, 17)
    assert not layer.overlay and not layer.show
    assert layer.layer_name == "Offline basemap: Saydnaya (undated) — not evidence"


def test_without_basemaps_or_online_tiles_there_is_no_layer_control(shipped_case):
    from folium import LayerControl

    m = base_map(shipped_case)
    assert not any(isinstance(c, LayerControl) for c in m._children.values())


# --- the command line


def test_the_command_line_adds_lists_and_removes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GEO_DATA_DIR", str(tmp_path / "cli"))
    path = tmp_path / "site.mbtiles"
    mbtiles(path, {(Z, X, Y): png(RED)})
    assert main(["basemap", "add", str(path), "--label", "Site", "--date", "2019"]) == 0
    said = capsys.readouterr().out
    assert "not evidence" in said and "'Site' (2019)" in said
    [kept] = basemaps(tmp_path / "cli")
    assert main(["basemap", "list"]) == 0
    assert kept.sha256 in capsys.readouterr().out
    assert main(["basemap", "remove", kept.sha256[:6]]) == 1
    assert "12 digits" in capsys.readouterr().err
    assert main(["basemap", "remove", kept.sha256[:12]]) == 0
    assert basemaps(tmp_path / "cli") == []
    (tmp_path / "v.mbtiles").write_bytes(_vector_mbtiles(tmp_path / "v.mbtiles"))
    assert main(["basemap", "add", str(tmp_path / "v.mbtiles"), "--label", "V"]) == 1
    assert "vector tiles" in capsys.readouterr().err
