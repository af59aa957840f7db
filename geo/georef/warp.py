"""A released picture (JPEG or PNG) and a `Fit` in, a georeferenced GeoTIFF out.

* An affine fit keeps every pixel as released: the picture is written unchanged
  (lossless DEFLATE), with the fit as its geotransform in the fit's UTM zone. A
  turned picture gets a turned geotransform, which GDAL, QGIS and rasterio read.
* A polynomial fit cannot be a geotransform: the picture is warped (bilinear) by
  GDAL from the control points with a second-order polynomial (GCP_POLYNOMIAL,
  MAX_GCP_ORDER=2: the same least-squares fit as `geo.georef.fit`), onto a
  north-up grid of the fit's pixel size, with an alpha band that is 0 outside it.

The file carries its georeferencing in its metadata (GDAL's default domain), so it
can be checked and redone without the record: GEOREF_METHOD, GEOREF_CRS,
GEOREF_RMS_M, GEOREF_RMS_PX, GEOREF_POINTS (the control points, residuals and
who/when, as JSON), GEOREF_POINTS_QGIS (the same as a QGIS .points file),
GEOREF_SOURCE_SHA256 and GEOREF_SOURCE_SIZE (the released picture it was made
from) and, when given, GEOREF_PICTURE_DATE (the picture's date as stated).

Memory is bounded: the picture's size is read from its header and refused past
`PictureLimits` before it is decoded; Pillow's own decompression-bomb guard stays on
(its warning, at about 89 million pixels, is below the limit here and is not shown).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import warnings
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np
import rasterio
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.transform import Affine
from rasterio.warp import reproject

from geo.dates import parse_date
from geo.errors import DataError, DateError, Problem
from geo.formats.limits import MB
from geo.georef.fit import Fit, Method
from geo.georef.frame import WGS84, convert

FORMATS = ("JPEG", "PNG")
EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class PictureLimits:
    """What a released picture may be. A 100-million-pixel RGB picture takes 300 MB
    decoded, and its polynomial warp as much again: the bound keeps a few at once
    within the machine's memory."""

    max_bytes: int = 200 * MB  # Streamlit's default upload limit
    max_side: int = 20_000  # pixels, either side
    max_pixels: int = 100_000_000  # width × height, before and after a warp


@dataclass(frozen=True)
class GeoTiff:
    """A georeferenced picture, as the bytes of a GeoTIFF file."""

    data: bytes
    width: int
    height: int
    crs: str
    resampled: bool  # False: the released pixels, unchanged (an affine fit)
    warnings: tuple[str, ...] = field(default=())


def picture_size(data: bytes, *, file: str, limits: PictureLimits | None = None) -> tuple[int, int]:
    """(width, height) of a JPEG or PNG from its header, refused past the limits."""
    with _opened(data, file, limits or PictureLimits()) as image:
        return image.size


def picture_rgb(data: bytes, *, file: str, limits: PictureLimits | None = None) -> Image.Image:
    """The picture decoded, in RGB, to be shown: refused past the limits, and DataError
    for one whose header reads but whose pixels do not (cut short, damaged)."""
    with _opened(data, file, limits or PictureLimits()) as image:
        try:
            return image.convert("RGB")
        except (OSError, SyntaxError, ValueError) as exc:
            raise DataError(
                Problem(f"the picture cannot be decoded ({exc}): it may be cut short", file)
            ) from None


def _opened(data: bytes, file: str, limits: PictureLimits) -> closing[Image.Image]:
    """The picture, opened (its header read, nothing decoded), refused past the limits."""
    if len(data) > limits.max_bytes:
        raise DataError(
            Problem(f"{len(data):,} bytes, over the limit of {limits.max_bytes:,}", file)
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except Image.DecompressionBombError as exc:
        raise DataError(
            Problem(f"too many pixels to decode (Pillow's decompression-bomb guard: {exc})", file)
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataError(
            Problem(f"not a JPEG or PNG picture that can be read ({exc})", file)
        ) from None
    width, height = image.size
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        image.close()
        raise DataError(
            Problem(
                f"{width:,} by {height:,} pixels, over the limit of {limits.max_side:,} a side "
                f"and {limits.max_pixels:,} in all: cut the picture to the part that matters",
                file,
            )
        )
    return closing(image)


def _bands(image: Image.Image, file: str) -> tuple[NDArray[np.generic], bool, list[str]]:
    """The picture's pixels as (bands, rows, columns), whether the last band is alpha,
    and what the conversion changed."""
    notes: list[str] = []
    try:
        orientation = image.getexif().get(EXIF_ORIENTATION)
        if orientation not in (None, 1):
            notes.append(
                f"the picture carries an EXIF orientation ({orientation}): viewers show it "
                "turned or flipped, but the control points and the GeoTIFF use its pixels as "
                "stored, as QGIS and GDAL do"
            )
        image.load()
        mode = image.mode
        if mode.startswith("I"):  # 16-bit greyscale PNG
            array = np.asarray(image).astype(np.uint16)[np.newaxis]
            return array, False, notes
        if mode == "P":
            mode = "RGBA" if "transparency" in image.info else "RGB"
        elif mode in ("1", "L"):
            mode = "L"
        elif mode in ("LA", "La", "PA"):
            mode = "LA"
        elif mode in ("RGBA", "RGBa"):
            mode = "RGBA"
        else:
            if mode != "RGB":
                notes.append(f"the picture's {mode} colours were converted to RGB")
            mode = "RGB"
        converted = image.convert(mode) if mode != image.mode else image
        pixels = np.asarray(converted, dtype=np.uint8)
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(Problem(f"the picture cannot be decoded ({exc})", file)) from None
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    return np.ascontiguousarray(np.moveaxis(pixels, 2, 0)), mode in ("LA", "RGBA"), notes


def _tags(fitted: Fit, picture: bytes, date: str | None) -> dict[str, str]:
    points = [
        {**point.to_dict(), "residual": residual.to_dict()}
        for point, residual in zip(fitted.points, fitted.residuals, strict=True)
    ]
    tags = {
        "GEOREF_METHOD": fitted.method.value,
        "GEOREF_CRS": fitted.crs,
        "GEOREF_RMS_M": repr(fitted.rms_m),
        "GEOREF_RMS_PX": repr(fitted.rms_px),
        "GEOREF_POINTS": json.dumps(points, ensure_ascii=False, allow_nan=False),
        "GEOREF_POINTS_QGIS": fitted.points_text(),
        "GEOREF_SOURCE_SHA256": hashlib.sha256(picture).hexdigest(),
        "GEOREF_SOURCE_SIZE": f"{fitted.size[0]}x{fitted.size[1]}",
    }
    if date is not None:
        tags["GEOREF_PICTURE_DATE"] = date
    return tags


def georeferenced_tiff(
    picture: bytes,
    fitted: Fit,
    *,
    file: str = "the picture",
    date: str | None = None,
    limits: PictureLimits | None = None,
) -> GeoTiff:
    """The GeoTIFF of `picture` placed by `fitted` (see the module); `date` is the
    picture's date as stated (YYYY, YYYY-MM, YYYY-MM-DD or an interval)."""
    limits = limits or PictureLimits()
    if date is not None:
        try:
            date = parse_date(date).text
        except DateError as exc:
            raise DataError([_in_field(p, "date") for p in exc.problems]) from None
    with _opened(picture, file, limits) as image:
        if image.size != fitted.size:
            raise DataError(
                Problem(
                    f"the picture is {image.size[0]} by {image.size[1]} pixels, but the fit was "
                    f"made for one of {fitted.size[0]} by {fitted.size[1]}: another picture?",
                    file,
                )
            )
        bands, alpha, notes = _bands(image, file)
    tags = _tags(fitted, picture, date)
    crs = CRS.from_user_input(fitted.crs)
    if fitted.method is Method.AFFINE:
        data = _write(bands, alpha, crs, fitted.affine(), tags)
        height, width = bands.shape[1:]
        return GeoTiff(data, width, height, fitted.crs, False, tuple(notes))
    warped, transform = _warp(bands, alpha, fitted, crs, file, limits)
    data = _write(warped, True, crs, transform, tags)
    height, width = warped.shape[1:]
    return GeoTiff(data, width, height, fitted.crs, True, tuple(notes))


def _in_field(problem: Problem, name: str) -> Problem:
    return Problem(problem.message, problem.file, problem.record, name, problem.code)


def _warp(
    bands: NDArray[np.generic],
    alpha: bool,
    fitted: Fit,
    crs: CRS,
    file: str,
    limits: PictureLimits,
) -> tuple[NDArray[np.generic], Affine]:
    """The picture warped by GDAL's second-order polynomial onto a north-up grid."""
    width, height = fitted.size
    # the picture's outline on the ground: its edges, 100 steps each
    steps = np.linspace(0.0, 1.0, 101)
    edge_c = np.concatenate([steps * width, np.full(101, width), steps * width, np.zeros(101)])
    edge_r = np.concatenate([np.zeros(101), steps * height, np.full(101, height), steps * height])
    xs, ys = fitted.to_map(edge_c, edge_r)
    size = fitted.pixel_size_m
    left, top = float(xs.min()), float(ys.max())
    out_width = math.ceil((float(xs.max()) - left) / size)
    out_height = math.ceil((top - float(ys.min())) / size)
    if out_width * out_height > limits.max_pixels:
        raise DataError(
            Problem(
                f"warped, the picture would be {out_width:,} by {out_height:,} pixels, over the "
                f"limit of {limits.max_pixels:,}: the polynomial stretches it; try affine",
                file,
            )
        )
    lons, lats = (
        np.array([p.lon for p in fitted.points]),
        np.array([p.lat for p in fitted.points]),
    )
    gx, gy = convert(WGS84, crs, lons, lats)
    gcps = [
        GroundControlPoint(row=point.row, col=point.column, x=float(x), y=float(y))
        for point, x, y in zip(fitted.points, gx, gy, strict=True)
        if point.enabled
    ]
    if not alpha:  # an opaque alpha band, warped with the rest: 0 where no picture falls
        opaque = np.iinfo(bands.dtype.name).max  # 255, or 65535 for a 16-bit picture
        bands = np.concatenate([bands, np.full((1, *bands.shape[1:]), opaque, dtype=bands.dtype)])
    transform = Affine(size, 0.0, left, 0.0, -size, top)
    out = np.zeros((bands.shape[0], out_height, out_width), dtype=bands.dtype)
    with rasterio.Env():
        reproject(
            bands,
            out,
            gcps=gcps,
            src_crs=crs,
            dst_crs=crs,
            dst_transform=transform,
            dst_nodata=0,
            resampling=Resampling.bilinear,
            SRC_METHOD="GCP_POLYNOMIAL",
            MAX_GCP_ORDER=2,
        )
    return out, transform


def _write(
    bands: NDArray[np.generic],
    alpha: bool,
    crs: CRS,
    transform: Affine,
    tags: dict[str, str],
) -> bytes:
    count, height, width = bands.shape
    colour = count - (1 if alpha else 0)
    profile: dict[str, object] = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": count,
        "dtype": bands.dtype.name,
        "crs": crs,
        "transform": transform,
        "compress": "deflate",
        "predictor": 2,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "BIGTIFF": "IF_SAFER",
    }
    if colour >= 3:
        profile["photometric"] = "RGB"
    if alpha:
        profile["ALPHA"] = "YES"
    with rasterio.Env(), MemoryFile() as memory:
        with memory.open(**profile) as dataset:
            dataset.write(bands)
            dataset.update_tags(**tags)
        return bytes(memory.read())
