"""The only reader of GeoJSON (RFC 7946), and what its writers normalise.

Reading is strict where the RFC is and validators are not (none of geojson,
geojson-pydantic, shapely or GDAL refuses latitude 120, longitude 200 or a ``crs``
member, and `json.loads` takes ``NaN``): positions are finite numbers in range, no
``crs`` member, rings closed, polygons valid. Writing normalises: longitude first, at most
seven decimals, outer rings counter-clockwise, no ``crs``. A geometry that
crosses the antimeridian is cut into parts that do not (`cut_at_antimeridian`). The
text is written by `geo.jsontext`.
"""

from __future__ import annotations

import codecs
import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import antimeridian
import numpy as np
import orjson
import shapely
from shapely.geometry import mapping, shape

from geo.errors import DataError, Problem
from geo.text import decode_text

DECIMALS = 7
MAX_FILE_BYTES = 200 * 1024 * 1024

# How deeply "coordinates" nests for each geometry type.
COORDINATE_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def count_positions(coords: Any, depth: int) -> int:
    """Positions in a coordinates array, tolerant of malformed input (it is checked later).

    A list of positions counts by its length, not position by position, so a
    ring of a million is counted at once.
    """
    if depth == 0:
        return 1
    if not isinstance(coords, list):
        return 0
    if depth == 1:
        return len(coords)
    return sum(count_positions(item, depth - 1) for item in coords)


def vertex_count(geometry: dict[str, Any]) -> int:
    """Positions in a GeoJSON geometry (a GeometryCollection's too), without building it."""
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        parts = geometry.get("geometries")
        if not isinstance(parts, list):
            return 0
        return sum(vertex_count(part) for part in parts if isinstance(part, dict))
    depth = COORDINATE_DEPTH.get(kind) if isinstance(kind, str) else None
    return 0 if depth is None else count_positions(geometry.get("coordinates"), depth)


def canonical_json(value: Any) -> str:
    """The one serialisation that is stored and hashed: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
    )


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number (RFC 8259)")


# Digits as zeros, so that 19 digits in a row are found with one search of the bytes.
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19
# What `parsed_quickly` returns when it cannot tell: `parse_json_text` then parses as it did.
UNSURE: Any = object()


def parsed_quickly(text: str | bytes) -> Any:
    """`text` parsed by orjson, when that gives what `json.loads` gives; else `UNSURE`.

    orjson refuses all that the standard parser refuses here (NaN, Infinity, 1e400,
    invalid UTF-8, a byte-order mark in text, lone surrogates, control characters) and
    reads all else alike, with two exceptions: an integer beyond 64 bits becomes a float
    (so text with 19 digits in a row, which every such integer has, is left to
    `json.loads`), and it reads nesting up to 1,024 levels deep, where `json.loads` stops
    nearer 1,000 levels, as deep as Python's stack lets it from where it is called.
    On any refusal the standard parser runs again, for its words (line and column).
    """
    if isinstance(text, str):
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, which only `json.loads` reads
            return UNSURE
    else:  # UTF-8 with or without its mark, as `decode_text` reads it; others are refused
        data = text[len(codecs.BOM_UTF8) :] if text.startswith(codecs.BOM_UTF8) else text
    if _NINETEEN_DIGITS in data.translate(_DIGITS_AS_ZEROS):
        return UNSURE
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return UNSURE


def json_loads(text: str, *, parse_constant: Callable[[str], Any]) -> Any:
    """`json.loads(text, parse_constant=parse_constant)`, by orjson where it reads alike
    (`parsed_quickly`): the same values, and the same exceptions with the same words."""
    parsed = parsed_quickly(text)
    if parsed is not UNSURE:
        return parsed
    return json.loads(text, parse_constant=parse_constant)


def parse_json_text(text: str | bytes, *, file: str) -> Any:
    """Parse JSON, refusing NaN/Infinity and turning every failure into a `DataError`.

    Bytes are UTF-8 (a byte-order mark is skipped). orjson reads what it reads as the
    standard parser would (`parsed_quickly`), in half the time or less; the standard
    parser reads the rest, and says what is wrong."""
    parsed = parsed_quickly(text)
    if parsed is not UNSURE:
        return parsed
    if isinstance(text, bytes):
        text = decode_text(text, file=file)  # UTF-8, as RFC 8259 and 7946 ask
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise DataError(
            Problem(
                f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                file=file,
            )
        ) from exc
    except ValueError as exc:
        raise DataError(Problem(str(exc), file=file)) from exc
    except RecursionError as exc:
        raise DataError(Problem("JSON nested too deeply", file=file)) from exc


def read_json_file(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataError(
                Problem(
                    f"{size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit",
                    file=str(path),
                )
            )
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(Problem(f"cannot read: {exc.strerror}", file=str(path))) from exc
    return parse_json_text(data, file=str(path))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _position_problem(position: Any) -> str | None:
    if not isinstance(position, list) or len(position) not in (2, 3):
        return f"a position is [longitude, latitude] (optionally elevation), got {position!r}"
    # an integer is finite, however large (and too large for math.isfinite)
    if not all(_is_number(v) and (isinstance(v, int) or math.isfinite(v)) for v in position):
        return f"a position holds finite numbers, got {position!r}"
    lon, lat = position[0], position[1]
    if not -180 <= lon <= 180:
        return f"longitude {lon} is outside -180..180"
    if not -90 <= lat <= 90:
        return f"latitude {lat} is outside -90..90{swap_hint(lon, lat)}"
    return None


def swap_hint(lon: float, lat: float) -> str:
    """The hint that the position may be [latitude, longitude], when reading it the other
    way round would place it (the latitude fits as a longitude, the longitude as a
    latitude); otherwise nothing: the hint never asks for a swap that cannot help."""
    if -180 <= lat <= 180 and -90 <= lon <= 90:
        return " (is the position [longitude, latitude]?)"
    return ""


# How far past ±180 or ±90 a coordinate may lie and still be read as the edge: a
# rounding hair (180.0000000000002 from a reprojection, as in Natural Earth's files),
# far below the 7 decimals every position is kept to. Anything further is refused.
EDGE_TOLERANCE = 1e-9


def clamped_to_range(geometry: dict[str, Any]) -> tuple[dict[str, Any], list[float]]:
    """`geometry` with every longitude past ±180, and latitude past ±90, by at most
    `EDGE_TOLERANCE` set to the edge; and the values so changed, in order. A geometry with
    none is returned as it is. Malformed positions are left for `structure_problems`."""
    kind = geometry.get("type")
    depth = COORDINATE_DEPTH.get(kind) if isinstance(kind, str) else None
    if depth is None:
        return geometry, []
    changed: list[float] = []
    coordinates = _clamped(geometry.get("coordinates"), depth, changed)
    if not changed:
        return geometry, []
    return {**geometry, "coordinates": coordinates}, changed


def _clamped(coords: Any, depth: int, changed: list[float]) -> Any:
    if not isinstance(coords, list):
        return coords
    if depth > 0:
        return [_clamped(item, depth - 1, changed) for item in coords]
    position = list(coords)
    for index, edge in ((0, 180.0), (1, 90.0)):
        value: Any = position[index] if index < len(position) else None
        if _is_number(value) and edge < abs(value) <= edge + EDGE_TOLERANCE:
            changed.append(value)
            position[index] = math.copysign(edge, value)
    return position


def _walk_positions(coords: Any, depth: int) -> str | None:
    if depth == 0:
        return _position_problem(coords)
    if not isinstance(coords, list):
        return f"expected a list of positions at this level, got {coords!r}"[:200]
    for item in coords:
        problem = _walk_positions(item, depth - 1)
        if problem:
            return problem
    return None


# An integer position this small is a float exactly enough to compare with one.
LARGEST_PLAIN_INT = 2**63


def _plain_number(value: object) -> bool:
    return type(value) is float or (type(value) is int and abs(value) < LARGEST_PLAIN_INT)


def plain_point(geometry: object) -> bool:
    """Whether `geometry` is a Point that `geometry_problems` finds nothing wrong with,
    told at once: finite numbers (no flags), longitude and latitude in range, no 'crs'
    member. False says nothing: `geometry_problems` then looks, and says what is wrong."""
    if type(geometry) is not dict or geometry.get("type") != "Point" or "crs" in geometry:
        return False
    position = geometry.get("coordinates")
    if type(position) is not list or not 2 <= len(position) <= 3:
        return False
    if not all(_plain_number(v) for v in position):
        return False
    # a comparison with NaN or an infinity is false: in range means finite
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return False
    return len(position) == 2 or abs(position[2]) < math.inf


def geometry_problems(geometry: Any) -> list[str]:
    """What is wrong with a GeoJSON geometry object (empty list if nothing)."""
    if plain_point(geometry):  # most records: nothing, seen at once
        return []
    return structure_problems(geometry) or validity_problems(geometry)


def validity_problems(geometry: dict[str, Any]) -> list[str]:
    """Why shapely finds a structurally sound geometry invalid (self-intersection, ...)."""
    kind = geometry["type"]
    if kind == "Point":
        return []
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        return [f"not a valid {kind}: {exc}"]
    if not geom.is_valid:
        return [f"invalid {kind}: {shapely.is_valid_reason(geom)}"]
    return []


def structure_problems(geometry: Any) -> list[str]:
    """What is wrong with a geometry's structure and ranges, without building it.

    Everything `geometry_problems` checks except shapely validity
    (self-intersections, ...), which is meaningless for a geometry that
    crosses the antimeridian until it is cut.
    """
    if not isinstance(geometry, dict):
        return [f"geometry must be an object, got {type(geometry).__name__}"]
    if "crs" in geometry:
        return ["a 'crs' member is not allowed (RFC 7946: coordinates are WGS84)"]
    kind = geometry.get("type")
    if not isinstance(kind, str) or kind not in COORDINATE_DEPTH:
        return [f"geometry type {kind!r} is not one of {', '.join(COORDINATE_DEPTH)}"]
    # JSON of any shape until `_walk_positions` has checked its nesting
    coords: Any = geometry.get("coordinates")
    problem = _walk_positions(coords, COORDINATE_DEPTH[kind])
    if problem:
        return [problem]
    if kind == "Point":
        return []
    if kind in ("Polygon", "MultiPolygon"):
        polygons = [coords] if kind == "Polygon" else coords
        for polygon in polygons:
            if not polygon:
                return ["a polygon needs at least one ring"]
            for ring in polygon:
                if len(ring) < 4:
                    return [f"a ring needs at least 4 positions, got {len(ring)}"]
                if ring[0][:2] != ring[-1][:2]:
                    return ["a ring must end where it starts (first and last positions equal)"]
    lines = {"LineString": [coords], "MultiLineString": coords}.get(kind, [])
    if any(len(line) < 2 for line in lines):
        return ["a LineString needs at least 2 positions"]
    return []


def bounds_problems(bounds: Any, what: str) -> list[str]:
    """Why `bounds` (west, south, east, north in degrees) cannot place `what` ("an image",
    "a basemap") on the map: four finite numbers, west below east, south below north.
    A box across the antimeridian (west above east) is not supported."""
    if not (
        isinstance(bounds, list | tuple)
        and len(bounds) == 4
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in bounds
        )
    ):
        return [f"bounds {bounds!r} are not four finite numbers (west, south, east, north)"]
    west, south, east, north = bounds
    problems = []
    if not -180 <= west < east <= 180:
        problems.append(
            f"bounds west {west} and east {east} are not -180 <= west < east <= 180 "
            f"({what} across the antimeridian is not supported)"
        )
    if not -90 <= south < north <= 90:
        problems.append(
            f"bounds south {south} and north {north} are not -90 <= south < north <= 90"
        )
    return problems


def representative_lonlat(geometry: dict[str, Any]) -> tuple[float, float]:
    """A point on the geometry, for labels and zooming."""
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"][:2]
        return float(lon), float(lat)
    point = shape(geometry).representative_point()
    return float(point.x), float(point.y)


def _round(coords: Any) -> Any:
    if coords and _is_number(coords[0]):
        return [round(float(v), DECIMALS) for v in coords]
    return [_round(c) for c in coords]


def normalise_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    """RFC 7946 form: outer rings counter-clockwise, holes clockwise, 7 decimals."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point" and coords and _is_number(coords[0]):
        # Most records are points: rounded at once, without the walk below.
        return {"type": "Point", "coordinates": [round(float(v), DECIMALS) for v in coords]}
    if geometry["type"] in ("Polygon", "MultiPolygon"):
        geometry = dict(mapping(shapely.orient_polygons(shape(geometry))))
    return {
        "type": geometry["type"],
        "coordinates": _round(_as_lists(geometry["coordinates"])),
    }


def snapped_to_grid(geometry: dict[str, Any]) -> dict[str, Any] | None:
    """A valid `geometry` on the 7-decimal grid by shapely's `set_precision`, for one
    that rounding each coordinate (`normalise_geometry`) makes invalid: snap rounding
    keeps it valid. None if that changes its type or leaves it invalid."""
    snapped = shapely.set_precision(shape(geometry), 10.0**-DECIMALS)
    if snapped.is_empty or snapped.geom_type != geometry["type"]:
        return None
    normal = normalise_geometry(dict(mapping(snapped)))
    return normal if shape(normal).is_valid else None


# ---------------------------------------------------------------- the antimeridian

# How deeply each type nests its lines and rings.
_LINE_DEPTH = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _lines(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """Every line and ring of a geometry whose structure was checked; none for points."""
    depth = _LINE_DEPTH.get(geometry["type"])
    if depth is None:
        return []
    lines = [geometry["coordinates"]]
    for _ in range(depth - 1):
        lines = [line for group in lines for line in group]
    return lines


def _longitude_steps(line: list[list[float]]) -> np.ndarray:
    return np.diff(np.fromiter((position[0] for position in line), float, count=len(line)))


def _crossings(steps: np.ndarray) -> np.ndarray:
    """Which edges cross: ends more than 180° of longitude apart, so the short way round
    is meant. An edge from -180 to 180 runs along the antimeridian or a pole, as in
    geometries already cut, and is not a crossing: exactly, or within `EDGE_TOLERANCE`
    of it (Natural Earth's Antarctica runs from -179.99999999999994 to 180)."""
    size = np.abs(steps)
    along_edge = np.abs(size - 360) <= EDGE_TOLERANCE
    crossing: np.ndarray = (size > 180) & ~along_edge  # numpy's stubs say Any
    return crossing


def crosses_antimeridian(geometry: dict[str, Any]) -> bool:
    """Whether any edge of a (structurally checked) geometry crosses longitude ±180."""
    return any(_crossings(_longitude_steps(line)).any() for line in _lines(geometry))


def _unwrapped(line: list[list[float]]) -> np.ndarray:
    """A line's (lon, lat) with longitudes made continuous: 170, -170 becomes 170, 190."""
    points = np.array([position[:2] for position in line], dtype=float)
    steps = np.diff(points[:, 0])
    # Whole turns added to each longitude, so that a closed ring stays exactly closed.
    turns = np.where(_crossings(steps), -np.sign(steps), 0)
    points[1:, 0] += 360 * np.cumsum(turns)
    return points


def _unwrapped_polygons(geometry: dict[str, Any], rings: list[np.ndarray]) -> list[Any]:
    """The polygons of a geometry from its unwrapped rings, each hole moved by a whole
    turn if need be to lie where its shell does."""
    coords = geometry["coordinates"]
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    remaining = iter(rings)
    result = []
    for polygon in polygons:
        shell = next(remaining)
        holes = []
        for _ in polygon[1:]:
            hole = next(remaining).copy()
            hole[:, 0] += 360 * round((shell[:, 0].mean() - hole[:, 0].mean()) / 360)
            holes.append(hole)
        result.append(shapely.Polygon(shell, holes))
    return result


def _length(line: np.ndarray) -> float:
    return float(np.hypot(*np.diff(line, axis=0).T).sum())


def cut_at_antimeridian(geometry: dict[str, Any]) -> dict[str, Any]:
    """A geometry that crosses the antimeridian, cut there into parts that do not.

    RFC 7946 §3.1.9: such a geometry SHOULD be cut, or a map draws a polygon
    from 170° to -170° as a band 340° wide. A polygon becomes a MultiPolygon,
    a line a MultiLineString, with new vertices at ±180 where the edges cross
    it (latitude interpolated straight in degrees, as the edges are drawn).
    The cut is done by the `antimeridian` package and checked here: the parts
    must add up to the area (or length) of the geometry unwrapped, and none
    may cross. Raises `ValueError` saying why a geometry cannot be cut
    reliably: a ring around a pole (which side is inside is a guess), a
    polygon invalid once unwrapped, or parts that do not add up.
    """
    kind = geometry["type"]
    polygonal = kind in ("Polygon", "MultiPolygon")
    lines = [_unwrapped(line) for line in _lines(geometry)]
    if polygonal:
        if any(ring[-1, 0] != ring[0, 0] for ring in lines):
            raise ValueError("a ring goes around a pole, so which side is inside cannot be told")
        for polygon in _unwrapped_polygons(geometry, lines):
            if not polygon.is_valid:
                raise ValueError(f"it is invalid: {shapely.is_valid_reason(polygon)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # winding notices: normalise_geometry orients
            fixed = shape(antimeridian.fix_shape(geometry, great_circle=False, fix_winding=True))
    except (ValueError, TypeError, IndexError, AssertionError, shapely.errors.ShapelyError) as exc:
        raise ValueError(f"the cut failed ({exc})") from exc
    # A part that only runs along ±180 (a vertex there next to a crossing) is a sliver.
    parts = [
        part
        for part in shapely.get_parts(shapely.remove_repeated_points(fixed))
        if (part.area if polygonal else part.length) > 0
    ]
    if not parts:
        raise ValueError("nothing is left once cut")
    if polygonal:
        expected = sum(polygon.area for polygon in _unwrapped_polygons(geometry, lines))
        cut: Any = parts[0] if len(parts) == 1 else shapely.multipolygons(parts)
        got = float(cut.area)
    else:
        expected = sum(_length(line) for line in lines)
        cut = parts[0] if len(parts) == 1 else shapely.multilinestrings(parts)
        got = float(cut.length)
    # Crossing latitudes are rounded to 7 decimals: each moves the total by very little.
    perimeter = sum(_length(line) for line in lines)
    if abs(got - expected) > 1e-6 * (expected + perimeter):
        what = "area" if polygonal else "length"
        raise ValueError(
            f"the parts do not add up to the whole ({what} {got:.6g} against {expected:.6g})"
        )
    result = {"type": cut.geom_type, "coordinates": _as_lists(mapping(cut)["coordinates"])}
    if crosses_antimeridian(result):
        raise ValueError("a part still crosses it")
    return result


def _as_lists(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)):
        return [_as_lists(c) for c in coords]
    return coords


def point_feature(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON Point feature, longitude first, at most seven decimals."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, DECIMALS), round(lat, DECIMALS)]},
        "properties": properties,
    }


def features_of(data: Any, *, file: str) -> list[dict[str, Any]]:
    """The features of a FeatureCollection, with structural problems reported together."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DataError(Problem("expected a GeoJSON FeatureCollection", file=file))
    if "crs" in data:
        raise DataError(
            Problem(
                "a 'crs' member is not allowed (RFC 7946: coordinates are WGS84)",
                file=file,
            )
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise DataError(Problem("'features' must be a list", file=file, field="features"))
    problems = [
        Problem("expected a Feature object", file=file, record=f"#{index + 1}")
        for index, feature in enumerate(features)
        if not isinstance(feature, dict) or feature.get("type") != "Feature"
    ]
    if problems:
        raise DataError(problems)
    return features
