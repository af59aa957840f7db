"""Drawing a researcher's image: web map tiles and a small preview, as PNG.

Tiles are the Web Mercator XYZ tiles Leaflet asks for (z/x/y, y from the top).
rio-tiler reads only the window of the file (or of its overviews) under the
tile and warps it; the image is never read whole. Outside the image, and where
its nodata value or alpha band or mask says so, a tile is transparent.

Pixel values are drawn as they are when they are bytes (uint8); any other type
(uint16 satellite imagery, float elevations) is stretched to 0–255 band by
band: by a `Stretch` the caller computed once with `stretch_of` and keeps with
the image, or, when none is given, by one computed on the spot from the
overview (a read of up to 1024 × 1024 pixels for every tile: pass one).

A tile that does not touch the image raises `TileOutsideImage` rather than
returning a transparent picture, so that a tile server can answer "no
content" without encoding anything; `empty_tile` is the transparent tile for
a caller that wants one. Nearest-neighbour sampling throughout: a pixel is
drawn as the square it is, and no detail is invented between pixels.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.errors import RasterioIOError
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader
from rio_tiler.models import ImageData
from rio_tiler.utils import render

from geo.errors import DataError, Problem, TileOutsideImage
from geo.imagery.limits import RasterLimits
from geo.imagery.opening import open_dataset
from geo.imagery.raster import checked_placement

# Web Mercator's deepest zoom level in rio-tiler's grid (WebMercatorQuad): 2 cm a pixel.
MAX_ZOOM = 24
# Percentiles a stretch maps to black and white: the darkest and brightest 2 % (haze,
# glints, a few dead pixels) are clipped, so the rest of the image gets the contrast.
PERCENTILES = (2.0, 98.0)
# Side of the overview a stretch is computed from: a million pixels, read once.
STRETCH_SAMPLE = 1024

_RGB = ("red", "green", "blue")


@dataclass(frozen=True)
class Stretch:
    """How an image's values become 0–255: for each band drawn (1-based, in the file),
    the value drawn black and the value drawn white; values between are spread evenly,
    values beyond are clipped."""

    bands: tuple[int, ...]
    ranges: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        if not self.bands or len(self.ranges) != len(self.bands):
            raise ValueError(f"a stretch needs one range a band: {self}")
        if any(not low < high for low, high in self.ranges):
            raise ValueError(f"each range must go up: {self.ranges}")

    def to_dict(self) -> dict[str, Any]:
        return {"bands": list(self.bands), "ranges": [list(pair) for pair in self.ranges]}


def bands_to_draw(colors: tuple[str, ...], alpha: tuple[bool, ...]) -> tuple[int, ...]:
    """Which bands (1-based) are drawn: red, green and blue by the file's colour
    interpretation; else the first three bands that are not alpha; else the first one,
    in grey. A 4-band image whose bands say nothing (blue, green, red, near-infrared in
    some products) is drawn from bands 1–3 as red, green, blue: its colours are off."""
    drawable = [index + 1 for index, is_alpha in enumerate(alpha) if not is_alpha]
    if all(color in colors for color in _RGB):
        return tuple(colors.index(color) + 1 for color in _RGB)
    if len(drawable) >= 3:
        return tuple(drawable[:3])
    return tuple(drawable[:1]) or (1,)


def _bands(dataset: Any) -> tuple[int, ...]:
    colors = tuple(str(color.name) for color in dataset.colorinterp)
    alpha = tuple(
        color == "alpha" or any(flag.name == "alpha" for flag in flags)
        for color, flags in zip(colors, dataset.mask_flag_enums, strict=True)
    )
    return bands_to_draw(colors, alpha)


@dataclass(frozen=True)
class _Opened:
    reader: Reader
    bands: tuple[int, ...]  # the bands to draw: the stretch's, else `bands_to_draw`'s
    dtypes: tuple[str, ...]  # of every band in the file


@contextmanager
def _opened(path: Path, limits: RasterLimits, stretch: Stretch | None) -> Iterator[_Opened]:
    """rio-tiler's Reader over the file opened and checked as `describe_raster` does it
    (formats, limits, georeference), and the bands to draw."""
    with open_dataset(path) as dataset:
        checked_placement(dataset, path, limits)
        bands = _bands(dataset) if stretch is None else stretch.bands
        if any(not 1 <= band <= dataset.count for band in bands):
            raise DataError(
                Problem(
                    f"the stretch draws bands {list(bands)}; the image has {dataset.count}",
                    file=path.name,
                )
            )
        # rio-tiler's warnings are notices for a console (no overviews, an alpha band
        # left out). The filter is process-wide and not thread-safe: at worst another
        # thread's warning goes unseen while a tile is drawn.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = Reader(None, dataset=dataset)
            try:
                yield _Opened(reader, bands, tuple(str(dtype) for dtype in dataset.dtypes))
            except RasterioIOError as exc:
                # The header was whole (checked above) but some pixels are not: a JPEG
                # or PNG cut short, a damaged block.
                raise DataError(
                    Problem(
                        f"GDAL could not read its pixels ({_first_line(exc)}): the file is "
                        "damaged or cut short; upload it again",
                        file=path.name,
                    )
                ) from exc
            finally:
                reader.close()


def _first_line(exc: Exception) -> str:
    lines = str(exc).splitlines()
    return lines[0] if lines else type(exc).__name__


def _percentile_ranges(
    image: ImageData, percentiles: tuple[float, float]
) -> list[tuple[float, float]]:
    ranges = []
    for band in image.array:
        values = np.ma.compressed(band).astype(np.float64)
        values = values[np.isfinite(values)]
        if values.size == 0:  # a band with no data: nothing it draws is visible anyway
            ranges.append((0.0, 1.0))
            continue
        low, high = (float(v) for v in np.percentile(values, percentiles))
        # A band of one value would divide by zero: draw it black.
        ranges.append((low, high if high > low else low + 1.0))
    return ranges


def stretch_of(
    path: Path,
    *,
    percentiles: tuple[float, float] = PERCENTILES,
    limits: RasterLimits | None = None,
) -> Stretch:
    """The stretch that draws `path` with the given percentiles of each band's valid
    values as black and white, from an overview of at most 1024 pixels a side (the
    file's own overviews when it has them). Compute it once per image and keep it."""
    with _opened(path, limits or RasterLimits(), None) as opened:
        return _stretch(opened, percentiles)


def _png(image: ImageData, stretch: Stretch | None, colormap: Any) -> bytes:
    if stretch is not None:
        image.rescale(in_range=list(stretch.ranges))
        colormap = None  # a palette names values before any stretch
    return render(image.array.data, image.mask, img_format="PNG", colormap=colormap or None)


def _drawing(opened: _Opened, stretch: Stretch | None) -> Stretch | None:
    """The stretch to draw with: the one given, none for bytes, else one computed now."""
    if stretch is not None:
        return stretch
    if all(opened.dtypes[band - 1] == "uint8" for band in opened.bands):
        return None
    return _stretch(opened, PERCENTILES)


def _stretch(opened: _Opened, percentiles: tuple[float, float]) -> Stretch:
    image = opened.reader.preview(indexes=opened.bands, max_size=STRETCH_SAMPLE)
    return Stretch(bands=opened.bands, ranges=tuple(_percentile_ranges(image, percentiles)))


def _check_tile(z: int, x: int, y: int, size: int, limits: RasterLimits) -> None:
    problems = []
    if not 0 <= z <= MAX_ZOOM:
        problems.append(f"zoom {z} is not 0 to {MAX_ZOOM}")
    elif not (0 <= x < 2**z and 0 <= y < 2**z):
        problems.append(f"at zoom {z}, x and y run from 0 to {2**z - 1}: there is no tile {x}/{y}")
    if not 1 <= size <= limits.max_tile_size:
        problems.append(f"a tile of {size} pixels: tiles are 1 to {limits.max_tile_size} pixels")
    if problems:
        raise DataError([Problem(message, field="tile") for message in problems])


def render_tile(
    path: Path,
    z: int,
    x: int,
    y: int,
    *,
    size: int = 256,
    stretch: Stretch | None = None,
    limits: RasterLimits | None = None,
) -> bytes:
    """The Web Mercator tile z/x/y of the image at `path`, as a PNG of size × size with
    an alpha channel (transparent outside the image and where it has no data).

    `stretch` (from `stretch_of`) sets the bands drawn and their range; without it, the
    bands are chosen as `bands_to_draw` says and bytes are drawn as they are. Raises
    `TileOutsideImage` when the tile does not touch the image, `DataError` for a tile
    that does not exist (zoom 0 to 24, x and y below 2^z) and for a file
    `describe_raster` would refuse.
    """
    limits = limits or RasterLimits()
    _check_tile(z, x, y, size, limits)
    with _opened(path, limits, stretch) as opened:
        try:
            image = opened.reader.tile(x, y, z, tilesize=size, indexes=opened.bands)
        except TileOutsideBounds as exc:
            raise TileOutsideImage(
                f"{path.name}: the tile {z}/{x}/{y} is outside the image"
            ) from exc
        return _png(image, _drawing(opened, stretch), opened.reader.colormap)


def preview_png(
    path: Path,
    max_size: int = 1024,
    *,
    stretch: Stretch | None = None,
    limits: RasterLimits | None = None,
) -> bytes:
    """The whole image as a PNG at most `max_size` pixels a side, as the file lays it out
    (not warped to the map: a picture to recognise in the import form). Read from the
    file's overviews when it has them. Transparent where the image has no data."""
    limits = limits or RasterLimits()
    if not 1 <= max_size <= limits.max_preview_size:
        raise DataError(
            Problem(
                f"a preview of {max_size} pixels: 1 to {limits.max_preview_size}", field="max_size"
            )
        )
    with _opened(path, limits, stretch) as opened:
        image = opened.reader.preview(indexes=opened.bands, max_size=max_size)
        return _png(image, _drawing(opened, stretch), opened.reader.colormap)


@lru_cache(maxsize=4)
def empty_tile(size: int = 256) -> bytes:
    """A fully transparent PNG tile of size × size."""
    return render(
        np.zeros((1, size, size), dtype=np.uint8),
        np.zeros((size, size), dtype=np.uint8),
        img_format="PNG",
    )
