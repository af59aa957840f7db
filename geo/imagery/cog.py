"""A Cloud-Optimized GeoTIFF copy of an image: tiled, compressed, with overviews, so
that every tile, at any zoom, reads a few small blocks (GDAL's COG driver)."""

from __future__ import annotations

from pathlib import Path

import rasterio.shutil

from geo.imagery.limits import RasterLimits
from geo.imagery.opening import open_dataset
from geo.imagery.raster import checked_placement

# Overviews are averaged: a zoomed-out view then shows the mean of the pixels it covers
# rather than one pixel in 4, 16, 64... (which makes noise of fine texture).
COG_OPTIONS = {
    "COMPRESS": "DEFLATE",
    "PREDICTOR": "YES",
    "BLOCKSIZE": "512",
    "OVERVIEWS": "AUTO",
    "RESAMPLING": "AVERAGE",
    "BIGTIFF": "IF_SAFER",
}


def cloud_optimized_copy(source: Path, target: Path, *, limits: RasterLimits | None = None) -> Path:
    """Write `source` (checked as `describe_raster` checks it) to `target` as a COG; the
    same pixels, georeference and metadata. A 10,000 × 10,000 RGB image takes some
    seconds (see scripts/benchmark.py)."""
    with open_dataset(source) as dataset:
        checked_placement(dataset, source, limits or RasterLimits())
        rasterio.shutil.copy(dataset, target, driver="COG", **COG_OPTIONS)
    return target
