"""WKT curves (ISO SQL/MM, as GDAL writes them) made into lines and polygons, as OGR does.

GEOS, and so shapely, does not read ``CIRCULARSTRING``, ``COMPOUNDCURVE``,
``CURVEPOLYGON``, ``MULTICURVE`` or ``MULTISURFACE``. GDAL writes them (from a
GeoPackage, a PostGIS or an Oracle table, a DXF), and OGR turns them into
straight segments with ``curveToLineString``: each arc through three points
becomes points on its circle at most 4 degrees of arc apart (its default
``dfMaxAngleStepSizeDegrees``). `linearized` does the same, in the plane of the
coordinates as OGR does, and gives a GeoJSON geometry.

The grammar is fixed (a MULTISURFACE of CURVEPOLYGONs of COMPOUNDCURVEs of
CIRCULARSTRINGs nests four deep, no more), so the parser does not recurse on
its input; anything it does not expect is a `DataError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from geo.errors import DataError

CURVE_TYPES = ("CIRCULARSTRING", "COMPOUNDCURVE", "CURVEPOLYGON", "MULTICURVE", "MULTISURFACE")
# OGR's default step along an arc (OGRGeometryFactory::curveToLineString).
MAX_ANGLE_STEP_DEGREES = 4.0
LINEARIZED = (
    f"curved geometries (WKT {', '.join(CURVE_TYPES)}) were made into straight segments, "
    f"a point every {MAX_ANGLE_STEP_DEGREES:g} degrees of arc as GDAL does"
)

_TOKEN = re.compile(
    r"\s*(?:(?P<word>[A-Za-z]+)|(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<mark>[(),]))"
)
_CURVE_START = re.compile(rf"\s*(?:{'|'.join(CURVE_TYPES)})\b", re.IGNORECASE)

Position = list[float]


def is_curved(text: str) -> bool:
    """Whether the WKT is one of the curve types (which shapely cannot read)."""
    return _CURVE_START.match(text) is not None


@dataclass
class _Tokens:
    items: list[tuple[str, str]]  # (kind, text): kind is word, number or mark
    at: int = 0

    def peek(self) -> tuple[str, str]:
        return self.items[self.at] if self.at < len(self.items) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.at += 1
        return token

    def expect(self, mark: str) -> None:
        kind, text = self.take()
        if (kind, text) != ("mark", mark):
            raise DataError(f"not valid WKT: expected {mark!r}, found {text or 'the end'!r}")


def _tokens(text: str) -> _Tokens:
    items: list[tuple[str, str]] = []
    at, end = 0, len(text.rstrip())
    while at < end:
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise DataError(f"not valid WKT: unexpected {text[at:].strip()[:20]!r}")
        kind = match.lastgroup
        assert kind is not None
        items.append((kind, match.group(kind)))
        at = match.end()
    return _Tokens(items)


def _dimension(tokens: _Tokens) -> str:
    """The dimension after a type's name: '' (XY, or XYZ by count), Z, M or ZM."""
    kind, text = tokens.peek()
    if kind == "word" and text.upper() in ("Z", "M", "ZM"):
        tokens.take()
        return text.upper()
    return ""


def _position(tokens: _Tokens, dimension: str) -> Position:
    values: list[float] = []
    while tokens.peek()[0] == "number":
        value = float(tokens.take()[1])
        if not math.isfinite(value):
            raise DataError(f"not valid WKT: {value} is not a finite number")
        values.append(value)
    if len(values) not in (2, 3, 4) or (dimension == "ZM" and len(values) != 4):
        raise DataError(f"not valid WKT: a position of {len(values)} numbers")
    if dimension == "M":
        return values[:2]  # a measure is not a height
    return values[:3]


def _positions(tokens: _Tokens, dimension: str) -> list[Position]:
    tokens.expect("(")
    positions = [_position(tokens, dimension)]
    while tokens.peek() == ("mark", ","):
        tokens.take()
        positions.append(_position(tokens, dimension))
    tokens.expect(")")
    return positions


def _parts(tokens: _Tokens) -> Iterator[None]:
    """Steps once per comma-separated member of a parenthesised list."""
    tokens.expect("(")
    yield None
    while tokens.peek() == ("mark", ","):
        tokens.take()
        yield None
    tokens.expect(")")


def _tag(tokens: _Tokens, allowed: tuple[str, ...], dimension: str) -> tuple[str, str]:
    """The type of a member: its name (or '' when untagged) and its dimension."""
    kind, text = tokens.peek()
    if kind != "word":
        return "", dimension
    name = text.upper()
    if name not in allowed:
        expected = " or ".join(allowed) or "a list of positions"
        raise DataError(f"not valid WKT: {text[:20]!r} where {expected} may be")
    tokens.take()
    return name, _dimension(tokens) or dimension


def _arc(start: Position, middle: Position, end: Position, step: float) -> list[Position]:
    """Points from `start` to `end` on the circle through all three, `step` radians apart
    at most (without `start`, with `end`); a straight line if the three are collinear."""
    (x0, y0), (x1, y1), (x2, y2) = start[:2], middle[:2], end[:2]
    if (x0, y0) == (x2, y2):
        if (x0, y0) == (x1, y1):
            return [end]
        # A whole circle: the middle point is opposite the start.
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        sweep = 2 * math.pi
    else:
        cross = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
        scale = math.hypot(x1 - x0, y1 - y0) * math.hypot(x2 - x0, y2 - y0)
        if abs(cross) <= 1e-12 * scale:
            return [middle, end]
        d = 2 * cross
        s0, s1, s2 = x0 * x0 + y0 * y0, x1 * x1 + y1 * y1, x2 * x2 + y2 * y2
        cx = (s0 * (y1 - y2) + s1 * (y2 - y0) + s2 * (y0 - y1)) / d
        cy = (s0 * (x2 - x1) + s1 * (x0 - x2) + s2 * (x1 - x0)) / d
        a0, a2 = math.atan2(y0 - cy, x0 - cx), math.atan2(y2 - cy, x2 - cx)
        # Counter-clockwise when the middle point lies left of start -> end.
        sweep = (a2 - a0) % (2 * math.pi) if cross > 0 else -((a0 - a2) % (2 * math.pi))
    radius = math.hypot(x0 - cx, y0 - cy)
    a0 = math.atan2(y0 - cy, x0 - cx)
    count = max(1, math.ceil(abs(sweep) / step - 1e-9))
    points: list[Position] = []
    for index in range(1, count):
        angle = a0 + sweep * index / count
        point = [cx + radius * math.cos(angle), cy + radius * math.sin(angle)]
        if len(start) == 3 and len(end) == 3:
            point.append(start[2] + (end[2] - start[2]) * index / count)
        points.append(point)
    points.append(end)
    return points


def _circular(positions: list[Position], step: float) -> list[Position]:
    if len(positions) < 3 or len(positions) % 2 == 0:
        raise DataError(
            f"not valid WKT: a CIRCULARSTRING has an odd number of points, at least 3 "
            f"(got {len(positions)})"
        )
    line = [positions[0]]
    for at in range(0, len(positions) - 1, 2):
        line.extend(_arc(positions[at], positions[at + 1], positions[at + 2], step))
    return line


def _joined(pieces: list[list[Position]]) -> list[Position]:
    line = list(pieces[0])
    for piece in pieces[1:]:
        if piece[0][:2] != line[-1][:2]:
            raise DataError("not valid WKT: the pieces of a COMPOUNDCURVE do not meet end to end")
        line.extend(piece[1:])
    return line


class _Parser:
    def __init__(self, tokens: _Tokens, step: float, max_vertices: int) -> None:
        self.tokens, self.step, self.max_vertices, self.vertices = tokens, step, max_vertices, 0

    def counted(self, line: list[Position]) -> list[Position]:
        self.vertices += len(line)
        if self.vertices > self.max_vertices:
            raise DataError(
                f"the curves make more than {self.max_vertices:,} vertices once made into "
                "segments, the limit per geometry: simplify it first"
            )
        return line

    def curve(self, name: str, dimension: str) -> list[Position]:
        """A LINESTRING (tagged or not), CIRCULARSTRING or COMPOUNDCURVE as a line."""
        if name == "CIRCULARSTRING":
            return self.counted(_circular(_positions(self.tokens, dimension), self.step))
        if name == "COMPOUNDCURVE":
            pieces = []
            for _ in _parts(self.tokens):
                piece, piece_dimension = _tag(
                    self.tokens, ("LINESTRING", "CIRCULARSTRING"), dimension
                )
                pieces.append(self.curve(piece, piece_dimension))
            return _joined(pieces)
        return self.counted(_positions(self.tokens, dimension))

    def rings(self, name: str, dimension: str) -> list[list[Position]]:
        """A POLYGON (tagged or not) or CURVEPOLYGON as rings."""
        allowed = ("LINESTRING", "CIRCULARSTRING", "COMPOUNDCURVE")
        rings = []
        for _ in _parts(self.tokens):
            ring, ring_dimension = _tag(
                self.tokens, allowed if name == "CURVEPOLYGON" else (), dimension
            )
            rings.append(self.curve(ring, ring_dimension))
        return rings

    def geometry(self) -> dict[str, Any]:
        kind, text = self.tokens.take()
        name = text.upper()
        if kind != "word" or name not in CURVE_TYPES:
            raise DataError(f"not valid WKT: expected one of {', '.join(CURVE_TYPES)}")
        dimension = _dimension(self.tokens)
        if self.tokens.peek()[1].upper() == "EMPTY":
            raise DataError("empty geometry (no coordinates)")
        if name in ("CIRCULARSTRING", "COMPOUNDCURVE"):
            result: dict[str, Any] = {
                "type": "LineString",
                "coordinates": self.curve(name, dimension),
            }
        elif name == "CURVEPOLYGON":
            result = {"type": "Polygon", "coordinates": self.rings(name, dimension)}
        elif name == "MULTICURVE":
            lines = []
            for _ in _parts(self.tokens):
                member = _tag(self.tokens, ("LINESTRING", "CIRCULARSTRING", "COMPOUNDCURVE"), "")
                lines.append(self.curve(member[0], member[1] or dimension))
            result = {"type": "MultiLineString", "coordinates": lines}
        else:
            polygons = []
            for _ in _parts(self.tokens):
                member = _tag(self.tokens, ("POLYGON", "CURVEPOLYGON"), "")
                polygons.append(self.rings(member[0], member[1] or dimension))
            result = {"type": "MultiPolygon", "coordinates": polygons}
        if self.tokens.peek()[0] != "end":
            raise DataError(f"not valid WKT: {self.tokens.peek()[1]!r} after the geometry")
        return result


def linearized(
    text: str,
    *,
    max_angle_step: float = MAX_ANGLE_STEP_DEGREES,
    max_vertices: int = 1_000_000,
) -> dict[str, Any]:
    """The GeoJSON geometry of a curved WKT geometry, its arcs made into segments at most
    `max_angle_step` degrees of arc long; a `DataError` for anything else (never another
    error). A CURVEPOLYGON gives a Polygon, a MULTISURFACE a MultiPolygon, a MULTICURVE
    a MultiLineString and the rest a LineString; their validity is the caller's to check.
    """
    if not is_curved(text):
        raise DataError(f"not valid WKT: expected one of {', '.join(CURVE_TYPES)}")
    parser = _Parser(_tokens(text), math.radians(max_angle_step), max_vertices)
    return parser.geometry()
