"""A GeoTIFF as a basemap: described and checked by `geo.imagery.describe_raster`, kept
as its Cloud-Optimized copy (`geo.imagery.cloud_optimized_copy`), tiled on request by
`geo.imagery.render_tile`, as the researcher's imagery is."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from geo.basemap.mbtiles import Facts
from geo.basemap.record import MAX_ZOOM, TileFormat
from geo.basemap.tiles import check_tile
from geo.errors import TileOutsideImage
from geo.imagery import RasterInfo, Stretch, describe_raster, render_tile, stretch_of

# Metres a pixel of a 256-pixel Web Mercator tile covers at the equator at zoom 0.
_EQUATOR_TILE_M = 40_075_016.686 / 256


def native_max_zoom(info: RasterInfo) -> int:
    """The zoom at which a tile's pixel is about the image's (finer: no detail to add)."""
    _, south, _, north = info.bounds
    resolution = min(info.resolution_m)
    ground = _EQUATOR_TILE_M * math.cos(math.radians((south + north) / 2))
    if not (resolution > 0 and ground > 0):
        return MAX_ZOOM
    return max(0, min(MAX_ZOOM, math.ceil(math.log2(ground / resolution))))


def inspect_raster(path: Path) -> Facts:
    """The bounds and zoom levels of the GeoTIFF at `path`; DataError as
    `describe_raster` raises it."""
    info = describe_raster(path)
    return Facts(info.bounds, 0, native_max_zoom(info), TileFormat.PNG)


@lru_cache(maxsize=16)
def _stretch(path: str, changed: int) -> Stretch | None:
    # once per kept copy: bytes are drawn as they are, other types stretched
    info = describe_raster(Path(path))
    return None if info.dtype == "uint8" else stretch_of(Path(path))


def raster_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """The tile z/x/y of the kept GeoTIFF at `path` as a PNG, or None outside it."""
    check_tile(z, x, y)
    try:
        return render_tile(path, z, x, y, stretch=_stretch(str(path), path.stat().st_mtime_ns))
    except TileOutsideImage:
        return None
