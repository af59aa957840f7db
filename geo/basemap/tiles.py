"""What a tile's bytes are, and which tiles there are: shared by the three kinds."""

from __future__ import annotations

from geo.basemap.record import MAX_ZOOM, TileFormat
from geo.errors import DataError, Problem

# Bytes a tile may take once decompressed (a PMTiles tile may be gzipped): a 512 × 512
# PNG of noise is about 1 MB; more is no map tile.
MAX_TILE_BYTES = 16 * 1024 * 1024


def sniff_tile(data: bytes) -> TileFormat | None:
    """The picture format a tile's first bytes say, or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return TileFormat.PNG
    if data.startswith(b"\xff\xd8\xff"):
        return TileFormat.JPG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return TileFormat.WEBP
    return None


def looks_vector(data: bytes) -> bool:
    """Whether a tile looks like a vector tile: gzip (how MBTiles keeps them), or not a
    picture but a protocol buffer's first field (1 to 15, length-delimited)."""
    return data.startswith(b"\x1f\x8b") or (bool(data) and data[0] in (0x1A, 0x0A, 0x12))


VECTOR_REFUSED = (
    "it holds vector tiles (Mapbox Vector Tiles, pbf): they are not supported, the "
    "explorer draws picture tiles only (PNG, JPEG, WebP); render them to raster tiles first"
)


def check_tile(z: int, x: int, y: int) -> None:
    """DataError unless z/x/y is a Web Mercator tile (zoom 0 to 24, x and y below 2^z)."""
    if not 0 <= z <= MAX_ZOOM:
        raise DataError(Problem(f"zoom {z} is not 0 to {MAX_ZOOM}", field="tile"))
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise DataError(
            Problem(f"at zoom {z}, x and y run from 0 to {2**z - 1}: no tile {x}/{y}", field="tile")
        )
