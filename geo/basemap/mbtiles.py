"""MBTiles (1.3): an SQLite file with a ``metadata`` table of names and values and a
``tiles`` table (or view) of ``zoom_level, tile_column, tile_row, tile_data``.

Rows are numbered as in TMS, from the south: the row of Leaflet's tile y at zoom z
is 2^z - 1 - y. The file is opened read-only (``mode=ro&immutable=1``: nothing
writes it once kept) and never trusted: its schema's functions and views are not
trusted (``trusted_schema=OFF``), and every query has a budget of SQLite steps, so a
``tiles`` view written to loop forever is stopped, not served.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from geo.basemap.record import TileFormat, bounds_problems, zoom_problems
from geo.basemap.tiles import VECTOR_REFUSED, check_tile, looks_vector, sniff_tile
from geo.errors import DataError, Problem

SQLITE_MAGIC = b"SQLite format 3\x00"
# SQLite's progress handler is called every _STEP virtual-machine instructions; a query
# is stopped after so many calls: some seconds for the import's look (a MIN and a MAX
# over an unindexed view of a million rows fit), a fraction of one for a tile.
_STEP = 1000
INSPECT_BUDGET = 500_000
TILE_BUDGET = 20_000

_FORMATS = {"png": TileFormat.PNG, "jpg": TileFormat.JPG, "jpeg": TileFormat.JPG}
_FORMATS["webp"] = TileFormat.WEBP
_VECTOR_FORMATS = frozenset({"pbf", "mvt", "mlt"})


@dataclass(frozen=True)
class Facts:
    """What a tile package says of itself, checked."""

    bounds: tuple[float, float, float, float]
    min_zoom: int
    max_zoom: int
    tile_format: TileFormat


@contextmanager
def _connected(path: Path, budget: int) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        steps = [0]

        def spent() -> int:
            steps[0] += 1
            return 1 if steps[0] > budget else 0

        connection.set_progress_handler(spent, _STEP)
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA cell_size_check = ON")
        yield connection


def _refused(message: str, file: str) -> DataError:
    return DataError(Problem(message, file=file))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _zoom(text: str | None) -> int | None:
    try:
        return None if text is None else int(str(text).strip())
    except ValueError:
        return None


def inspect_mbtiles(path: Path, file: str) -> Facts:
    """The bounds, zoom levels and tile format of the MBTiles at `path` (received as
    `file`); one DataError with every reason it cannot be a basemap."""
    with path.open("rb") as stream:
        if stream.read(16) != SQLITE_MAGIC:
            raise _refused("it is not an SQLite database (an MBTiles file is one)", file)
    try:
        with _connected(path, INSPECT_BUDGET) as connection:
            return _facts(connection, file)
    except sqlite3.DatabaseError as exc:
        reason = str(exc) or type(exc).__name__
        if reason == "interrupted":
            reason = "reading it took too long (a tiles view that never ends?)"
        raise _refused(f"SQLite cannot read it as an MBTiles file: {reason}", file) from exc


def _facts(connection: sqlite3.Connection, file: str) -> Facts:
    found = {
        str(name)
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name IN ('tiles', 'metadata')"
        )
    }
    missing = [name for name in ("tiles", "metadata") if name not in found]
    if missing:
        raise _refused(
            f"it is an SQLite database but not an MBTiles file: no {' and no '.join(missing)} "
            "table",
            file,
        )
    metadata = {
        str(name): str(value)
        for name, value in connection.execute("SELECT name, value FROM metadata")
        if name is not None and value is not None
    }
    first = connection.execute(
        "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1"
    ).fetchone()
    if first is None:
        raise _refused("its tiles table is empty: there is nothing to draw", file)
    stated = metadata.get("format", "").strip().lower()
    data = bytes(first[3] or b"")
    if stated in _VECTOR_FORMATS or (stated not in _FORMATS and looks_vector(data)):
        raise _refused(VECTOR_REFUSED, file)
    tile_format = sniff_tile(data) or _FORMATS.get(stated)
    if tile_format is None:
        raise _refused(
            f"its format {stated or '(not stated)'!r} is not one the explorer draws: its "
            "tiles must be PNG, JPEG or WebP pictures",
            file,
        )
    problems = []
    bounds_text = metadata.get("bounds")
    if bounds_text is None:
        problems.append(
            "its metadata has no bounds (west,south,east,north in degrees): add a 'bounds' "
            "row to its metadata table, for example with the sqlite3 tool"
        )
        bounds: tuple[float, ...] = ()
    else:
        numbers = [_number(part) for part in bounds_text.split(",")]
        if None in numbers:
            problems.append(
                f"its metadata's bounds {bounds_text!r} are not four numbers "
                "(west,south,east,north)"
            )
        else:
            problems += [f"its metadata's {message}" for message in bounds_problems(numbers)]
        bounds = tuple(n for n in numbers if n is not None)
    min_zoom, max_zoom = _zoom(metadata.get("minzoom")), _zoom(metadata.get("maxzoom"))
    if min_zoom is None or max_zoom is None:
        low, high = connection.execute(
            "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles"
        ).fetchone()
        min_zoom = _zoom(low) if min_zoom is None else min_zoom
        max_zoom = _zoom(high) if max_zoom is None else max_zoom
    problems += [f"its metadata's {message}" for message in zoom_problems(min_zoom, max_zoom)]
    if problems:
        raise DataError([Problem(message, file=file) for message in problems])
    assert min_zoom is not None and max_zoom is not None and len(bounds) == 4
    west, south, east, north = bounds
    return Facts((west, south, east, north), min_zoom, max_zoom, tile_format)


def mbtiles_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """The tile z/x/y (y from the top, as Leaflet counts) of the MBTiles at `path`, or
    None when it has none. DataError for no such tile or a file SQLite cannot read."""
    check_tile(z, x, y)
    try:
        with _connected(path, TILE_BUDGET) as connection:
            row = connection.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ? LIMIT 1",
                (z, x, 2**z - 1 - y),
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise DataError(Problem(f"SQLite cannot read the tile {z}/{x}/{y}: {exc}")) from exc
    if row is None or not row[0]:
        return None
    return bytes(row[0])
