"""A researcher's own imagery (geo.imagery): description, footprint, tiles, refusals.

Every image is made here, small, by geo.imagery.synthetic, near Saydnaya in UTM
zone 37N with a transform of whole metres, so each test knows where any pixel is.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import replace
from pathlib import Path

import morecantile
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from PIL import Image
from rasterio.control import GroundControlPoint
from rasterio.errors import NotGeoreferencedWarning
from rasterio.warp import transform as warp_transform
from shapely.geometry import shape

from geo.errors import NO_CRS, NOT_GEOREFERENCED, DataError, GeoError, TileOutsideImage
from geo.imagery import (
    RasterLimits,
    Stretch,
    cloud_optimized_copy,
    describe_raster,
    empty_tile,
    imagery_record,
    preview_png,
    render_tile,
    stretch_of,
    write_upload,
)
from geo.imagery.footprint import EDGE_STEPS
from geo.imagery.limits import size_problems
from geo.imagery.raster import GCPS
from geo.imagery.stated import MAX_VALUE
from geo.imagery.synthetic import (
    SAYDNAYA,
    UTM_37N,
    transform_around,
    write_picture,
    write_raster,
    write_sparse,
)
from geo.imagery.tiles import bands_to_draw
from geo.imagery.upload import safe_name, world_file_problems

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")


def problems_of(error: pytest.ExceptionInfo[DataError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


def codes_of(error: pytest.ExceptionInfo[DataError]) -> list[str | None]:
    return [problem.code for problem in error.value.problems]


def pixels(png: bytes) -> np.ndarray:
    """A PNG's pixels as (rows, columns, channels), alpha last."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return np.asarray(image.convert("LA" if image.mode in ("L", "LA") else "RGBA"))


def in_utm(lons: list[float], lats: list[float]) -> np.ndarray:
    xs, ys = warp_transform("EPSG:4326", UTM_37N, lons, lats)
    return np.column_stack([xs, ys])


@pytest.fixture
def utm_image(tmp_path: Path) -> tuple[Path, Affine]:
    """A 400 × 300 one-band image at 2 m a pixel, north up, centred on Saydnaya."""
    transform = transform_around(400, 300, 2.0)
    data = np.full((1, 300, 400), 50, dtype=np.uint8)
    return write_raster(tmp_path / "utm.tif", data, transform=transform), transform


# --- what describe_raster tells


def test_utm_image_is_described_and_its_footprint_is_where_gdal_puts_its_corners(
    utm_image: tuple[Path, Affine],
) -> None:
    path, transform = utm_image
    info = describe_raster(path)
    assert (info.width, info.height, info.bands, info.dtype) == (400, 300, 1, "uint8")
    assert (info.crs, info.crs_name) == ("EPSG:32637", "WGS 84 / UTM zone 37N")
    assert info.resolution_m == (2.0, 2.0) and not info.resolution_approximate
    assert info.format == "GTiff" and info.placed_by == "transform"

    assert info.footprint["type"] == "Polygon"
    ring = info.footprint["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 4 * EDGE_STEPS + 1
    assert shapely.Polygon(ring).exterior.is_ccw  # RFC 7946: exterior counter-clockwise

    # Every corner of the pixel grid, taken to WGS84 by GDAL, is a vertex within a metre.
    corners = [transform @ (col, row) for col, row in ((0, 0), (400, 0), (400, 300), (0, 300))]
    lons, lats = warp_transform(UTM_37N, "EPSG:4326", *zip(*corners, strict=True))
    vertices = in_utm([lon for lon, _ in ring], [lat for _, lat in ring])
    for corner in in_utm(list(lons), list(lats)):
        assert np.hypot(*(vertices - corner).T).min() < 1.0
    # The points between corners lie on the image's straight edges in UTM (to 5 cm after
    # 7 decimals): the outline is densified in UTM, not drawn straight in degrees.
    west, north = transform.c, transform.f
    east, south = west + 800, north - 600
    off_edge = np.minimum.reduce(
        [
            abs(vertices[:, 0] - west),
            abs(vertices[:, 0] - east),
            abs(vertices[:, 1] - south),
            abs(vertices[:, 1] - north),
        ]
    )
    assert off_edge.max() < 0.05

    w, s, e, n = info.bounds
    assert w < SAYDNAYA[0] < e and s < SAYDNAYA[1] < n
    assert (w, s, e, n) == pytest.approx(shape(info.footprint).bounds, abs=1e-6)


def test_geographic_resolution_is_converted_to_metres_approximately(tmp_path: Path) -> None:
    transform = Affine(0.0001, 0, 36.32, 0, -0.0001, 33.67)
    path = write_raster(
        tmp_path / "lonlat.tif",
        np.ones((1, 20, 30), np.uint8),
        transform=transform,
        crs="EPSG:4326",
    )
    info = describe_raster(path)
    across, down = info.resolution_m
    assert info.resolution_approximate
    # 0.0001° is 11.09 m of latitude and 11.1 km × cos(33.67°) = 9.27 m of longitude.
    assert across == pytest.approx(9.27, abs=0.01) and down == pytest.approx(11.09, abs=0.01)


def test_image_across_the_antimeridian_is_cut_there(tmp_path: Path) -> None:
    transform = transform_around(200, 100, 100.0, lonlat=(180.0, 60.0), crs="EPSG:32660")
    path = write_raster(
        tmp_path / "fiji.tif",
        np.ones((1, 100, 200), np.uint8),
        transform=transform,
        crs="EPSG:32660",
    )
    info = describe_raster(path)
    assert info.footprint["type"] == "MultiPolygon"
    west, _, east, _ = info.bounds
    assert west > 179 and east < -179  # RFC 7946 §5.2: west > east across the antimeridian


def test_image_with_ground_control_points_is_placed_by_their_fit(tmp_path: Path) -> None:
    x, y = transform_around(100, 100).c, transform_around(100, 100).f
    gcps = [
        GroundControlPoint(row=0, col=0, x=x, y=y),
        GroundControlPoint(row=0, col=100, x=x + 100, y=y),
        GroundControlPoint(row=100, col=0, x=x, y=y - 100),
        GroundControlPoint(row=100, col=100, x=x + 100, y=y - 100),
    ]
    path = write_picture(tmp_path / "gcps.tif", np.full((1, 100, 100), 200, np.uint8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "r+") as dataset:
            dataset.gcps = (gcps, rasterio.crs.CRS.from_string(UTM_37N))
    info = describe_raster(path)
    assert info.placed_by == GCPS and info.crs == UTM_37N
    assert info.resolution_m == pytest.approx((1.0, 1.0))
    lon, lat = warp_transform(UTM_37N, "EPSG:4326", [x + 50], [y - 50])
    tile = WEB_MERCATOR.tile(lon[0], lat[0], 19)
    assert pixels(render_tile(path, 19, tile.x, tile.y))[..., -1].max() == 255


# --- what the file states about itself


def test_a_tiff_date_is_reported_raw_and_labelled_and_never_becomes_the_record_date(
    tmp_path: Path,
) -> None:
    tags = {
        "TIFFTAG_DATETIME": "2019:03:14 10:00:00",
        "TIFFTAG_SOFTWARE": "Some GIS 3.2",
        "TIFFTAG_ARTIST": "A. Analyst",
        "ACQUISITIONDATETIME": "2019-03-10T08:01:02Z",
        "IMAGING_DATE": "2019-03-10",
        "CLOUD_NOTE": "not kept: neither time nor origin",
        "TIFFTAG_IMAGEDESCRIPTION": "x" * (MAX_VALUE + 5),
    }
    path = write_raster(tmp_path / "dated.tif", np.ones((1, 8, 8), np.uint8), tags=tags)
    info = describe_raster(path)
    stated = {item.name: item for item in info.stated_in_file}
    assert "CLOUD_NOTE" not in stated and "AREA_OR_POINT" not in stated
    assert stated["TIFFTAG_DATETIME"].value == "2019:03:14 10:00:00"  # verbatim
    assert "when the file was written" in stated["TIFFTAG_DATETIME"].meaning
    assert "not when the picture was taken" in stated["TIFFTAG_DATETIME"].meaning
    assert stated["TIFFTAG_SOFTWARE"].value == "Some GIS 3.2"
    assert "creator" in stated["TIFFTAG_ARTIST"].meaning
    assert stated["ACQUISITIONDATETIME"].value == "2019-03-10T08:01:02Z"
    assert "for whoever wrote it to say" in stated["IMAGING_DATE"].meaning
    description = stated["TIFFTAG_IMAGEDESCRIPTION"]
    assert len(description.value) == MAX_VALUE and f"{MAX_VALUE + 5:,}" in description.meaning
    assert info.stated_in_file[0].name == "TIFFTAG_DATETIME"  # known tags first

    record = imagery_record(info, name="My image", layer="Uploads")
    assert record.date is None and record.date_as_stated is None
    assert replace(record, id="img-1").problems() == []  # the store gives the id
    assert record.properties["stated_in_file"][0] == {
        "name": "TIFFTAG_DATETIME",
        "value": "2019:03:14 10:00:00",
        "meaning": stated["TIFFTAG_DATETIME"].meaning,
    }
    assert record.geometry == info.footprint
    dated = imagery_record(
        info, name="My image", layer="Uploads", date="2019-03", date_as_stated="March 2019"
    )
    assert (dated.date, dated.date_as_stated) == ("2019-03", "March 2019")


def test_a_cameras_date_is_labelled_as_the_cameras_clock(tmp_path: Path) -> None:
    picture = tmp_path / "camera.jpg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(
            picture, "w", driver="JPEG", width=16, height=8, count=3, dtype="uint8"
        ) as dataset:
            dataset.write(np.full((3, 8, 16), 99, np.uint8))
            dataset.update_tags(EXIF_DateTimeOriginal="2016:09:18 09:10:11", EXIF_Make="Cam")
    path = write_upload(
        tmp_path / "up",
        picture.read_bytes(),
        "camera.jpg",
        b"1\n0\n0\n-1\n252000.5\n3728499.5\n",
        crs=UTM_37N,
    )
    stated = {item.name: item for item in describe_raster(path).stated_in_file}
    assert stated["EXIF_DateTimeOriginal"].value == "2016:09:18 09:10:11"
    assert "camera's clock" in stated["EXIF_DateTimeOriginal"].meaning


# --- a picture and its world file


def test_jpeg_with_world_file_is_placed_by_the_world_file(tmp_path: Path) -> None:
    picture = write_picture(
        tmp_path / "src.jpg", np.full((3, 40, 60), 120, np.uint8), driver="JPEG"
    ).read_bytes()
    # Pixel size 0.5 m; the world file gives the centre of the top-left pixel.
    world = b"0.5\n0.0\n0.0\n-0.5\n252000.25\n3728499.75\n"
    folder = tmp_path / "upload"

    path = write_upload(folder, picture, "site photo.JPG", world)
    with pytest.raises(DataError) as refused:
        describe_raster(path)
    assert codes_of(refused) == [NO_CRS]
    assert "world file places it" in problems_of(refused)[0]

    path = write_upload(folder, picture, "site photo.JPG", world, crs=UTM_37N)
    assert sorted(p.name for p in folder.iterdir()) == [
        "site_photo.jpg",
        "site_photo.jpg.aux.xml",
        "site_photo.wld",
    ]
    info = describe_raster(path)
    assert info.format == "JPEG" and info.crs == UTM_37N
    assert info.resolution_m == (0.5, 0.5)
    with rasterio.open(path) as dataset:
        assert dataset.transform == Affine(0.5, 0, 252000.0, 0, -0.5, 3728500.0)
    ring = info.footprint["coordinates"][0]
    vertices = in_utm([lon for lon, _ in ring], [lat for _, lat in ring])
    assert vertices[:, 0].min() == pytest.approx(252000.0, abs=0.01)
    assert vertices[:, 1].max() == pytest.approx(3728500.0, abs=0.01)
    assert vertices[:, 0].max() == pytest.approx(252030.0, abs=0.01)

    # Written again without its world file, the old one is gone: no georeference.
    path = write_upload(folder, picture, "site photo.JPG", None)
    assert sorted(p.name for p in folder.iterdir()) == ["site_photo.jpg"]
    with pytest.raises(DataError) as refused:
        describe_raster(path)
    assert codes_of(refused) == [NOT_GEOREFERENCED]


def test_an_aux_xml_may_come_instead_of_a_world_file(tmp_path: Path) -> None:
    picture = write_picture(
        tmp_path / "src.png", np.full((1, 10, 10), 7, np.uint8), driver="PNG"
    ).read_bytes()
    wkt = rasterio.crs.CRS.from_string(UTM_37N).to_wkt()
    aux = (
        "<PAMDataset><SRS>" + wkt + "</SRS>"
        "<GeoTransform>252000, 2, 0, 3728500, 0, -2</GeoTransform></PAMDataset>"
    ).encode()
    path = write_upload(tmp_path / "up", picture, "map.png", aux)
    assert describe_raster(path).bounds[0] == pytest.approx(36.3257, abs=1e-3)
    with pytest.raises(DataError) as refused:
        write_upload(tmp_path / "up", picture, "map.png", aux, crs=UTM_37N)
    assert "not both" in problems_of(refused)[0]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("photo.jpg", "photo.jpg"),
        ("Site Photo (1).JPG", "Site_Photo_1.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\scan.tif", "scan.tif"),
        (".hidden.png", "hidden.png"),
        ("صورة.png", "upload.png"),
        ("", "upload"),
        ("a" * 300 + ".tif", "a" * 100 + ".tif"),
    ],
)
def test_safe_name(name: str, safe: str) -> None:
    assert safe_name(name) == safe


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1\n0\n0\n-1\n10\n20\n", None),
        ("  1.5e-1\r\n0\r\n0\r\n-0.15\r\n10\r\n20\r\n\r\n", None),
        ("1\n0\n0\n-1\n10\n", "this one has 5 lines"),
        ("1\n0\n0\n-1\n10\nnorth\n", "line 6 ('north') is not a number"),
        ("1\n0\n0\n-1\n10\nnan\n", "line 6 ('nan') is not a finite number"),
    ],
)
def test_world_file_problems(text: str, problem: str | None) -> None:
    found = world_file_problems(text)
    assert (found == []) if problem is None else (problem in found[0])


def test_write_upload_refuses_a_bad_world_file_or_crs(tmp_path: Path) -> None:
    with pytest.raises(DataError) as refused:
        write_upload(tmp_path, b"...", "a.jpg", b"1\n2\n3\n", crs="EPSG:999999")
    messages = problems_of(refused)
    assert len(messages) == 2
    assert messages[0].startswith("the world file: a world file holds six numbers")
    assert "'EPSG:999999' is not a coordinate system GDAL knows" in messages[1]
    assert not (tmp_path / "a.jpg").exists()  # nothing written


# --- refusals: each says what and where


def test_files_that_are_not_images_are_refused(
    tmp_path: Path, utm_image: tuple[Path, Affine]
) -> None:
    cases = {
        "notes.tif": (b"just some text, named .tif", "not an image the explorer reads"),
        "empty.tif": (b"", "the file is empty"),
        "archive.tif": (b"PK\x03\x04rest of a zip", "it is a zip archive, not an image"),
        # Its directory first, the values it points to (the georeference) cut off.
        "cut.tif": (utm_image[0].read_bytes()[:200], "the file is cut short: it refers to"),
        # Its directory whole, the last strip of pixels cut.
        "end.tif": (utm_image[0].read_bytes()[:-100], "the file is cut short: its pixels run"),
        "head.tif": (b"II*\x00\xff\xff\x00\x00", "looks like a GeoTIFF (or TIFF) but GDAL"),
        # A VRT would make GDAL read any file it names, or a URL: refused unparsed.
        "sneaky.tif": (
            b'<VRTDataset rasterXSize="1" rasterYSize="1"></VRTDataset>',
            "not an image the explorer reads",
        ),
    }
    for name, (content, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(DataError) as refused:
            describe_raster(path)
        (message,) = problems_of(refused)
        assert message.startswith(f"{name}: ") and expected in message, message
        assert str(tmp_path) not in message  # the temporary folder is no business of theirs


def test_a_picture_cut_short_is_refused_when_its_pixels_are_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    whole = write_picture(
        tmp_path / "src.jpg", rng.integers(0, 255, (3, 200, 300), dtype=np.uint8), driver="JPEG"
    ).read_bytes()
    world = b"1\n0\n0\n-1\n252000.5\n3728499.5\n"
    path = write_upload(tmp_path / "up", whole[: len(whole) // 2], "half.jpg", world, crs=UTM_37N)
    info = describe_raster(path)  # a JPEG's header says nothing of its length
    west, south, east, north = info.bounds
    tile = WEB_MERCATOR.tile((west + east) / 2, (south + north) / 2, 17)
    for draw in (lambda: render_tile(path, 17, tile.x, tile.y), lambda: preview_png(path)):
        with pytest.raises(DataError) as refused:
            draw()
        (message,) = problems_of(refused)
        assert message.startswith("half.jpg: GDAL could not read its pixels")


def test_an_image_that_names_another_file_as_its_overviews_is_refused(
    tmp_path: Path, utm_image: tuple[Path, Affine]
) -> None:
    # GDAL would open the file named (any file on the server, any format) or fetch the
    # URL as soon as overviews are looked at; nothing listens on port 9, so a fetch would
    # fail quietly and the image be described: the refusal comes first.
    elsewhere = "/vsicurl/http://127.0.0.1:9/secret.tif"
    inside = tmp_path / "inside.tif"
    with rasterio.open(utm_image[0]) as source:
        profile = source.profile
    with rasterio.open(inside, "w", **profile) as dataset:
        dataset.write(np.ones((1, 300, 400), np.uint8))
        dataset.update_tags(ns="OVERVIEWS", OVERVIEW_FILE=elsewhere)
    beside = write_upload(
        tmp_path / "up",
        utm_image[0].read_bytes(),
        "beside.tif",
        f'<PAMDataset><Metadata domain="OVERVIEWS"><MDI key="OVERVIEW_FILE">{elsewhere}'
        "</MDI></Metadata></PAMDataset>".encode(),
    )
    for path in (inside, beside):
        for use in (describe_raster, stretch_of, preview_png):
            with pytest.raises(DataError) as refused:
                use(path)
            (message,) = problems_of(refused)
            assert "names another file as its overviews" in message


def test_picture_without_georeference_is_not_georeferenced(tmp_path: Path) -> None:
    path = write_picture(tmp_path / "scan.tif", np.zeros((1, 10, 10), np.uint8))
    with pytest.raises(DataError) as refused:
        describe_raster(path)
    assert codes_of(refused) == [NOT_GEOREFERENCED]
    assert "georeferencing tool" in problems_of(refused)[0]
    with pytest.raises(DataError) as refused:  # the tiles refuse it the same way
        render_tile(path, 0, 0, 0)
    assert codes_of(refused) == [NOT_GEOREFERENCED]


def test_a_crs_gdal_cannot_convert_is_refused(tmp_path: Path) -> None:
    local = 'LOCAL_CS["site grid",UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
    path = write_raster(
        tmp_path / "local.tif",
        np.ones((1, 10, 10), np.uint8),
        transform=Affine(1, 0, 1000, 0, -1, 2000),
        crs=local,
    )
    with pytest.raises(DataError) as refused:
        describe_raster(path)
    (message,) = problems_of(refused)
    assert "its coordinate system (site grid) cannot be converted to longitude" in message
    assert "{" not in message  # not PROJ's JSON


def test_an_outline_off_the_globe_is_refused(tmp_path: Path) -> None:
    path = write_raster(
        tmp_path / "off.tif",
        np.ones((1, 10, 10), np.uint8),
        transform=Affine(1, 0, 175, 0, -1, 60),  # one degree a pixel: 175° to 185°
        crs="EPSG:4326",
    )
    with pytest.raises(DataError) as refused:
        describe_raster(path)
    (message,) = problems_of(refused)
    assert "its outline reaches longitudes 175 to 185 (they run from -180 to 180)" in message


def test_a_declared_giant_is_refused_before_any_pixel_is_read(tmp_path: Path) -> None:
    bomb = write_sparse(tmp_path / "bomb.tif", 100_000, 100_000)
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(DataError) as refused:
        describe_raster(bomb)
    first, second = problems_of(refused)
    assert "100,000 × 100,000 pixels of 1 band" in first and "over the limit" in first
    assert "decompression bomb" in second
    with pytest.raises(DataError):
        render_tile(bomb, 12, 2461, 1641)
    # Within the pixel limit but almost empty: the ratio refuses it.
    sparse = write_sparse(tmp_path / "sparse.tif", 20_000, 20_000)
    with pytest.raises(DataError) as refused:
        describe_raster(sparse)
    (message,) = problems_of(refused)
    assert "to 1, over the limit of 1,000 to 1" in message


def test_limits_are_the_callers_to_set(tmp_path: Path) -> None:
    path = write_raster(
        tmp_path / "small.png",
        np.ones((1, 20, 20), np.uint8),
        driver="PNG",
    )
    describe_raster(path)
    with pytest.raises(DataError) as refused:
        describe_raster(path, limits=RasterLimits(max_sequential_pixels=100, max_samples=300))
    first, second = problems_of(refused)
    assert "20 × 20 pixels of 1 band (400 values), over the limit of 300" in first
    assert "a PNG picture of 20 × 20 pixels is over the limit of 100" in second


@pytest.mark.parametrize(
    ("declared", "file_bytes", "refused"),
    [
        ((1000, 1000, 3, 1), 10, False),  # 3 MB: too small for the ratio to matter
        ((10_000, 10_000, 3, 1), 200_000, True),  # 300 MB in 0.2 MB
        ((10_000, 10_000, 3, 1), 3_000_000, False),  # 100 to 1
        ((10_000, 10_000, 1, 2), 100_000, True),  # uint16: 200 MB in 0.1 MB
    ],
)
def test_compression_ratio(
    declared: tuple[int, int, int, int], file_bytes: int, refused: bool
) -> None:
    width, height, bands, size = declared
    found = size_problems(
        width=width,
        height=height,
        bands=bands,
        bytes_per_sample=size,
        file_bytes=file_bytes,
        driver="GTiff",
        limits=RasterLimits(),
    )
    assert bool(found) is refused


# --- tiles and previews


def test_a_bright_pixel_is_drawn_where_the_map_puts_it(tmp_path: Path) -> None:
    z = 18  # 0.5 m a tile pixel here: the 1 m image pixel covers about 2 × 2 of them
    transform = transform_around(512, 512)
    # The image pixel under the centre of the tile that holds Saydnaya, so that the pixel
    # is drawn well inside one tile.
    tile = WEB_MERCATOR.tile(*SAYDNAYA, z)
    bounds = WEB_MERCATOR.bounds(tile)
    centre = ((bounds.left + bounds.right) / 2, (bounds.bottom + bounds.top) / 2)
    (x,), (y,) = warp_transform("EPSG:4326", UTM_37N, [centre[0]], [centre[1]])
    col, row = (int(v) for v in ~transform @ (x, y))
    data = np.zeros((1, 512, 512), np.uint8)
    data[0, row, col] = 255
    path = write_raster(tmp_path / "bright.tif", data, transform=transform)

    # Where the centre of that pixel falls in the tile, by Web Mercator's arithmetic.
    px, py = transform @ (col + 0.5, row + 0.5)
    (lon,), (lat,) = warp_transform(UTM_37N, "EPSG:4326", [px], [py])
    mx, my = WEB_MERCATOR.xy(lon, lat)
    box = WEB_MERCATOR.xy_bounds(tile)
    expected = (
        (mx - box.left) / (box.right - box.left) * 256,
        (box.top - my) / (box.top - box.bottom) * 256,
    )

    drawn = pixels(render_tile(path, z, tile.x, tile.y))
    assert drawn.shape == (256, 256, 2)
    rows, cols = np.nonzero(drawn[..., 0] > 128)
    assert 1 <= rows.size <= 9
    found = (cols.mean() + 0.5, rows.mean() + 0.5)
    assert math.dist(found, expected) <= 1.0, (found, expected)
    assert (drawn[..., 1] == 255).all()  # inside the image: opaque everywhere


def test_outside_the_image_a_tile_is_transparent_and_nodata_too(tmp_path: Path) -> None:
    data = np.full((1, 64, 64), 90, np.uint8)
    data[0, :, :8] = 0  # nodata along the west edge
    path = write_raster(tmp_path / "nodata.tif", data, nodata=0)
    tile = WEB_MERCATOR.tile(*SAYDNAYA, 16)  # about 600 m: the image is a 64 m patch in it
    alpha = pixels(render_tile(path, 16, tile.x, tile.y))[..., 1]
    opaque = np.count_nonzero(alpha == 255)
    # The 56 × 64 m with data, at about 2 m a tile pixel here.
    assert 400 < opaque < 1200
    assert np.count_nonzero(alpha == 0) == alpha.size - opaque


def test_a_tile_that_does_not_touch_the_image_raises_tile_outside_image(
    utm_image: tuple[Path, Affine],
) -> None:
    path, _ = utm_image
    with pytest.raises(TileOutsideImage) as outside:
        render_tile(path, 18, 0, 0)
    assert isinstance(outside.value, GeoError) and isinstance(outside.value, LookupError)
    assert "utm.tif: the tile 18/0/0 is outside the image" in str(outside.value)
    empty = pixels(empty_tile())
    assert empty.shape == (256, 256, 2) and (empty[..., 1] == 0).all()


@pytest.mark.parametrize(
    ("z", "x", "y", "size", "expected"),
    [
        (25, 0, 0, 256, "zoom 25 is not 0 to 24"),
        (-1, 0, 0, 256, "zoom -1 is not 0 to 24"),
        (2, 4, 0, 256, "at zoom 2, x and y run from 0 to 3"),
        (2, 0, -1, 256, "at zoom 2, x and y run from 0 to 3"),
        (2, 0, 0, 5000, "a tile of 5000 pixels"),
    ],
)
def test_tiles_that_do_not_exist(
    utm_image: tuple[Path, Affine], z: int, x: int, y: int, size: int, expected: str
) -> None:
    with pytest.raises(DataError) as refused:
        render_tile(utm_image[0], z, x, y, size=size)
    assert expected in problems_of(refused)[0]


def test_uint16_imagery_is_stretched_to_an_8_bit_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    values = rng.integers(200, 3000, size=(3, 128, 128), dtype=np.uint16)
    values[:, 0, 0] = 65000  # one glint: clipped, not the white point
    path = write_raster(tmp_path / "u16.tif", values)
    stretch = stretch_of(path)
    assert stretch.bands == (1, 2, 3)
    for low, high in stretch.ranges:
        assert 200 <= low < 300 and 2900 < high < 3000

    tile = WEB_MERCATOR.tile(*SAYDNAYA, 19)
    drawn = pixels(render_tile(path, 19, tile.x, tile.y, stretch=stretch))
    assert drawn.dtype == np.uint8 and drawn.shape == (256, 256, 4)
    visible = drawn[drawn[..., 3] == 255][:, :3]
    assert visible.min() == 0 and visible.max() == 255 and 80 < visible.mean() < 175
    # Without a stretch one is computed on the spot: the same picture.
    assert render_tile(path, 19, tile.x, tile.y) == render_tile(
        path, 19, tile.x, tile.y, stretch=stretch
    )
    # A stretch may pick the bands: band 2 alone, in grey.
    grey = Stretch(bands=(2,), ranges=((200.0, 3000.0),))
    assert pixels(render_tile(path, 19, tile.x, tile.y, stretch=grey)).shape == (256, 256, 2)
    with pytest.raises(DataError):
        render_tile(path, 19, tile.x, tile.y, stretch=Stretch(bands=(5,), ranges=((0, 1),)))


def test_preview_is_small_and_whole(tmp_path: Path) -> None:
    path = write_raster(tmp_path / "rgb.tif", np.full((3, 300, 600), 128, np.uint8))
    preview = pixels(preview_png(path, max_size=100))
    assert preview.shape == (50, 100, 4) and (preview[..., 3] == 255).all()
    with pytest.raises(DataError):
        preview_png(path, max_size=100_000)


@pytest.mark.parametrize(
    ("colors", "alpha", "drawn"),
    [
        (("gray",), (False,), (1,)),
        (("red", "green", "blue"), (False,) * 3, (1, 2, 3)),
        (("blue", "green", "red", "undefined"), (False,) * 4, (3, 2, 1)),
        (("red", "green", "blue", "alpha"), (False, False, False, True), (1, 2, 3)),
        (("gray", "alpha"), (False, True), (1,)),
        (("undefined",) * 4, (False,) * 4, (1, 2, 3)),
        (("undefined",) * 2, (False,) * 2, (1,)),
    ],
)
def test_bands_to_draw(
    colors: tuple[str, ...], alpha: tuple[bool, ...], drawn: tuple[int, ...]
) -> None:
    assert bands_to_draw(colors, alpha) == drawn


def test_a_cloud_optimized_copy_has_overviews_and_the_same_place(tmp_path: Path) -> None:
    source = write_raster(tmp_path / "plain.tif", np.full((3, 1024, 1024), 77, np.uint8))
    copy = cloud_optimized_copy(source, tmp_path / "cog.tif")
    before, after = describe_raster(source), describe_raster(copy)
    assert before.overviews == () and not before.tiled
    assert after.overviews and after.tiled
    assert after.footprint == before.footprint and after.crs == before.crs
