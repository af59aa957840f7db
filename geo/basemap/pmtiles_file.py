"""PMTiles (version 3): one file, a 127-byte header, gzipped directories, the tiles.

Read with the `pmtiles` package's `Reader` over a `get_bytes` that reads the kept file
at an offset (nothing is mapped or read whole). The header states the bounds, the zoom
levels, the tiles' type and compression; everything it points at must lie inside the
file, or the file was cut short.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

from pmtiles.reader import Reader
from pmtiles.tile import (
    Compression,
    HeaderDict,
    MagicNumberNotFound,
    SpecVersionUnsupported,
    TileType,
    deserialize_directory,
    deserialize_header,
)

from geo.basemap.mbtiles import Facts
from geo.basemap.record import TileFormat, bounds_problems, zoom_problems
from geo.basemap.tiles import MAX_TILE_BYTES, VECTOR_REFUSED, check_tile
from geo.errors import DataError, Problem

PMTILES_MAGIC = b"PMTiles"
HEADER_BYTES = 127

_FORMATS = {TileType.PNG: TileFormat.PNG, TileType.JPEG: TileFormat.JPG}
_FORMATS[TileType.WEBP] = TileFormat.WEBP
# What tiles may be compressed with: none, or gzip (undone when served).
_TILE_COMPRESSIONS = frozenset({Compression.NONE, Compression.UNKNOWN, Compression.GZIP})


def _file_bytes(path: Path) -> Callable[[int, int], bytes]:
    def get_bytes(offset: int, length: int) -> bytes:
        with path.open("rb") as stream:
            stream.seek(offset)
            return stream.read(length)

    return get_bytes


def _header(path: Path, file: str) -> HeaderDict:
    head = _file_bytes(path)(0, HEADER_BYTES)
    try:
        return deserialize_header(head)
    except MagicNumberNotFound as exc:
        raise DataError(Problem("it is not a PMTiles file", file=file)) from exc
    except SpecVersionUnsupported as exc:
        raise DataError(
            Problem("it is a PMTiles file of another version: version 3 is read", file=file)
        ) from exc
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise DataError(Problem(f"its PMTiles header cannot be read ({exc})", file=file)) from exc


def inspect_pmtiles(path: Path, file: str) -> Facts:
    """The bounds, zoom levels and tile format of the PMTiles at `path` (received as
    `file`); one DataError with every reason it cannot be a basemap."""
    header = _header(path, file)
    if header["tile_type"] in (TileType.MVT, TileType.MLT):
        raise DataError(Problem(VECTOR_REFUSED, file=file))
    tile_format = _FORMATS.get(header["tile_type"])
    problems = []
    if tile_format is None:
        problems.append(
            f"its tiles are {header['tile_type'].name}: the explorer draws PNG, JPEG and WebP"
        )
    if header["tile_compression"] not in _TILE_COMPRESSIONS:
        problems.append(
            f"its tiles are compressed with {header['tile_compression'].name}: none or gzip is read"
        )
    if header["internal_compression"] != Compression.GZIP:
        problems.append(
            f"its directories are compressed with {header['internal_compression'].name}: "
            "gzip is read"
        )
    size = path.stat().st_size
    for part in ("root", "metadata", "leaf_directory", "tile_data"):
        end = header[f"{part}_offset"] + header[f"{part}_length"]  # type: ignore[literal-required]
        if end > size:
            problems.append(
                f"it is cut short: its {part.replace('_', ' ')} runs to byte {end:,} and the "
                f"file has {size:,} bytes"
            )
    bounds = (
        header["min_lon_e7"] / 1e7,
        header["min_lat_e7"] / 1e7,
        header["max_lon_e7"] / 1e7,
        header["max_lat_e7"] / 1e7,
    )
    problems += [f"its header's {message}" for message in bounds_problems(bounds)]
    problems += [
        f"its header's {message}"
        for message in zoom_problems(header["min_zoom"], header["max_zoom"])
    ]
    if not problems:
        try:
            entries = deserialize_directory(
                _file_bytes(path)(header["root_offset"], header["root_length"])
            )
        except (OSError, EOFError, zlib.error, IndexError) as exc:
            problems.append(f"its root directory cannot be read ({exc})")
        else:
            if not entries:
                problems.append("it holds no tiles: there is nothing to draw")
    if problems:
        raise DataError([Problem(message, file=file) for message in problems])
    assert tile_format is not None
    return Facts(bounds, header["min_zoom"], header["max_zoom"], tile_format)


def pmtiles_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """The tile z/x/y (y from the top) of the PMTiles at `path`, or None when it has none.
    DataError for no such tile, or a tile or directory that cannot be read."""
    check_tile(z, x, y)
    get_bytes = _file_bytes(path)
    try:
        header = deserialize_header(get_bytes(0, HEADER_BYTES))
        data = Reader(get_bytes).get(z, x, y)
    except (MagicNumberNotFound, SpecVersionUnsupported, ValueError, OSError, EOFError) as exc:
        raise DataError(Problem(f"the tile {z}/{x}/{y} cannot be read: {exc}")) from exc
    except zlib.error as exc:
        raise DataError(Problem(f"the tile {z}/{x}/{y} cannot be read: {exc}")) from exc
    if not data:
        return None
    if header["tile_compression"] == Compression.GZIP:
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflate.decompress(data, MAX_TILE_BYTES)
        except zlib.error as exc:
            raise DataError(Problem(f"the tile {z}/{x}/{y} is not gzip: {exc}")) from exc
        if inflate.unconsumed_tail:
            raise DataError(Problem(f"the tile {z}/{x}/{y} is over {MAX_TILE_BYTES:,} bytes"))
    return bytes(data)
