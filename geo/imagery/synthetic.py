"""Images written on the fly, for the tests and the benchmark (plain code, no pytest).

Each is placed near Saydnaya (33.665 N, 36.3286 E) in UTM zone 37N unless told
otherwise, with a transform whose numbers are whole metres, so a test can say
where any pixel is.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning
from rasterio.warp import transform as warp_transform
from rasterio.windows import Window

SAYDNAYA = (36.3286, 33.665)  # longitude, latitude
UTM_37N = "EPSG:32637"


def utm_origin(lonlat: tuple[float, float] = SAYDNAYA, crs: str = UTM_37N) -> tuple[int, int]:
    """A position in `crs` (easting, northing), to the whole metre."""
    xs, ys = warp_transform("EPSG:4326", crs, [lonlat[0]], [lonlat[1]])
    return round(xs[0]), round(ys[0])


def transform_around(
    width: int,
    height: int,
    resolution: float = 1.0,
    *,
    lonlat: tuple[float, float] = SAYDNAYA,
    crs: str = UTM_37N,
) -> Affine:
    """A north-up transform whose grid of width × height pixels is centred (to the metre)
    on `lonlat`."""
    x, y = utm_origin(lonlat, crs)
    west = x - round(width * resolution / 2)
    north = y + round(height * resolution / 2)
    return Affine(resolution, 0.0, west, 0.0, -resolution, north)


def write_raster(
    path: Path,
    data: np.ndarray,
    *,
    transform: Affine | None = None,
    crs: str | None = UTM_37N,
    nodata: float | None = None,
    tags: Mapping[str, str] | None = None,
    driver: str = "GTiff",
    **creation: Any,
) -> Path:
    """`data` (bands, rows, columns) as an image at `path`, placed by `transform` (by
    default centred on Saydnaya, 1 m a pixel) in `crs`, with `tags` in its metadata;
    `creation` passes GDAL's creation options (tiled=True, compress="deflate"...).
    `write_picture` writes one with no georeference."""
    bands, height, width = data.shape
    if transform is None:
        transform = transform_around(width, height)
    profile: dict[str, Any] = {
        "driver": driver,
        "width": width,
        "height": height,
        "count": bands,
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        **creation,
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(data)
        if tags:
            dataset.update_tags(**tags)
    return path


def write_picture(path: Path, data: np.ndarray, *, driver: str = "GTiff", **creation: Any) -> Path:
    """`data` as an image with no georeference at all (no transform, no CRS)."""
    bands, height, width = data.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(
            path,
            "w",
            driver=driver,
            width=width,
            height=height,
            count=bands,
            dtype=data.dtype.name,
            **creation,
        ) as dataset:
            dataset.write(data)
    return path


def write_sparse(path: Path, width: int, height: int, *, bands: int = 1) -> Path:
    """A tiled GeoTIFF that declares width × height pixels and holds none of them: GDAL
    writes only its header and tile index, so 100,000 × 100,000 takes half a megabyte."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=bands,
        dtype="uint8",
        crs=UTM_37N,
        transform=transform_around(width, height, 0.5),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        sparse_ok=True,
        bigtiff="YES",
    ):
        pass
    return path


def write_large(path: Path, size: int, *, resolution: float = 0.5, rows: int = 1024) -> Path:
    """A size × size RGB GeoTIFF, tiled 512 × 512 and deflate-compressed, with no
    overviews: a gradient and noise (so it compresses like a photograph, about 2.5 to 1),
    written `rows` rows at a time so that memory stays small."""
    rng = np.random.default_rng(0)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=3,
        dtype="uint8",
        crs=UTM_37N,
        transform=transform_around(size, size, resolution),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
    ) as dataset:
        columns = np.arange(size, dtype=np.int64)
        for top in range(0, size, rows):
            count = min(rows, size - top)
            lines = np.arange(top, top + count, dtype=np.int64)[:, None]
            base = ((columns[None, :] + lines) % 224).astype(np.uint8)
            band = base + rng.integers(0, 32, size=(count, size), dtype=np.uint8)
            dataset.write(
                np.stack([band, band // 2 + 64, 255 - band]), window=Window(0, top, size, count)
            )
    return path
