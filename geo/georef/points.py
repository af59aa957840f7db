"""Control points: a spot on a released picture and the same spot on the map.

`ControlPoint` is the record the explorer keeps; `read_points` and `write_points`
read and write the `.points` files of QGIS's georeferencer, as QGIS 3 writes them
(`QgsGCPList::saveGcps` and `loadGcps` in src/app/georeferencer/qgsgcplist.cpp):

    #CRS: <the map CRS as WKT>
    mapX,mapY,sourceX,sourceY,enable,dX,dY,residual
    36.32860000000000156,33.66499999999999915,812.5,-430.25,1,0.25,-0.5,0.55901699437494745

* ``#CRS:`` names the CRS of mapX/mapY. QGIS writes it; a file without it (older
  QGIS, other tools) leaves the map CRS unknown: the caller says which, and
  without a word EPSG:4326 is taken, with a warning.
* ``sourceX, sourceY`` are the picture position in QGIS's coordinates for a
  picture without georeferencing, the GDAL pixel grid with y negated (its GDAL
  provider gives such a raster the geotransform 0, 1, 0, 0, 0, -1): sourceX is
  the column, sourceY is minus the row, both from the picture's top-left corner.
* ``enable`` is 1 or 0; ``dX, dY, residual`` are the residuals QGIS showed, in
  pixels by default (predicted minus placed, column and row, and their length).
  They are not read back: a fit computes them again.
* Numbers are written as QGIS writes them (``qgsDoubleToString``: fixed notation
  with 17 decimals, trailing zeros dropped, ``-0`` as ``0``), lines end with
  ``\\n``, the file with one.

The reader takes untrusted input: its size, number of points and line length are
bounded before the work they bound, every bad line is a `Problem` naming its line
and field, and nothing but a `DataError` escapes it.

Why one module of some 570 lines: the writer and the reader keep one format's rules
in one place; most of its lines are the reader's checks of untrusted input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
from rasterio.crs import CRS

from geo.errors import DataError, Problem
from geo.formats.limits import MB, text_problem
from geo.formats.reader import number
from geo.georef.frame import WGS84, convert, describe_crs, is_wgs84_lonlat, parse_crs

QGIS_HEADER = "mapX,mapY,sourceX,sourceY,enable,dX,dY,residual"
CRS_PREFIX = "#CRS: "
# A picture position past this is no picture: the largest the explorer warps is
# 20,000 pixels a side (geo.georef.warp).
MAX_PICTURE_COORDINATE = 1_000_000.0
MAX_NAME = 200  # characters of who placed a point


@dataclass(frozen=True)
class ControlPoint:
    """One control point: a spot on the picture and the same spot on the map.

    Picture position in pixels of the picture as stored (its EXIF orientation is not
    applied, as QGIS and GDAL do not apply it), measured from the top-left *corner*
    of the top-left pixel: (0, 0) is that corner, (0.5, 0.5) the centre of the
    top-left pixel, (width, height) the picture's bottom-right corner. Rows grow
    downwards. This is GDAL's pixel/line convention; a QGIS `.points` file holds the
    same numbers with the row negated.

    Map position: longitude and latitude in degrees, WGS 84 (EPSG:4326).

    `enabled` False keeps a point with the record but out of the fit. `placed_by`
    and `placed_at` (ISO 8601 with a UTC offset, such as 2024-05-01T10:00:00+00:00)
    say who placed it and when; a `.points` file has no place for them.
    """

    column: float
    row: float
    lon: float
    lat: float
    enabled: bool = True
    placed_by: str | None = None
    placed_at: str | None = None

    def __post_init__(self) -> None:
        problems = [Problem(message, field=name) for name, message in _point_problems(self)]
        if problems:
            raise DataError(problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "row": self.row,
            "lon": self.lon,
            "lat": self.lat,
            "enabled": self.enabled,
            "placed_by": self.placed_by,
            "placed_at": self.placed_at,
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, file: str | None = None, record: str | None = None
    ) -> ControlPoint:
        """A point from `to_dict`'s form; every problem is reported, with `file` and
        `record` naming where the dictionary came from."""
        if not isinstance(data, Mapping):
            raise DataError(Problem(f"expected an object, got {type(data).__name__}", file, record))
        problems: list[Problem] = []
        known = {"column", "row", "lon", "lat", "enabled", "placed_by", "placed_at"}
        for key in data:
            if key not in known:
                problems.append(Problem("unknown field", file, record, str(key)[:60]))
        values: dict[str, Any] = {}
        for key in ("column", "row", "lon", "lat"):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                what = "missing" if key not in data else f"{value!r:.60} is not a number"
                problems.append(Problem(what, file, record, key))
            else:
                values[key] = float(value)
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.append(
                Problem(f"{enabled!r:.60} is not true or false", file, record, "enabled")
            )
        values["enabled"] = enabled
        for key in ("placed_by", "placed_at"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                problems.append(Problem(f"{value!r:.60} is not text", file, record, key))
            else:
                values[key] = value
        if problems:
            raise DataError(problems)
        try:
            return cls(**values)
        except DataError as exc:
            raise DataError(
                [Problem(p.message, file, record, p.field) for p in exc.problems]
            ) from None

    def with_enabled(self, enabled: bool) -> ControlPoint:
        return replace(self, enabled=enabled)


def _point_problems(point: ControlPoint) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for name, low, high in (
        ("column", 0.0, MAX_PICTURE_COORDINATE),
        ("row", 0.0, MAX_PICTURE_COORDINATE),
        ("lon", -180.0, 180.0),
        ("lat", -90.0, 90.0),
    ):
        value = getattr(point, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append((name, f"{value!r:.60} is not a number"))
        elif not math.isfinite(value):
            problems.append((name, f"{value} is not a finite number"))
        elif not low <= value <= high:
            unit = "pixels" if name in ("column", "row") else "degrees"
            problems.append((name, f"{value:g} is outside {low:g} to {high:g} {unit}"))
    if not isinstance(point.enabled, bool):
        problems.append(("enabled", f"{point.enabled!r:.60} is not true or false"))
    if point.placed_by is not None:
        if not isinstance(point.placed_by, str) or not point.placed_by.strip():
            problems.append(("placed_by", "expected a name, or nothing"))
        elif len(point.placed_by) > MAX_NAME:
            problems.append(("placed_by", f"over {MAX_NAME} characters"))
        elif (problem := text_problem(point.placed_by)) is not None:
            problems.append(("placed_by", problem))
    if point.placed_at is not None:
        problems.extend(("placed_at", p) for p in _time_problems(point.placed_at))
    return problems


def _time_problems(text: object) -> list[str]:
    expected = "expected an ISO 8601 time with its UTC offset, such as 2024-05-01T10:00:00+00:00"
    if not isinstance(text, str) or len(text) > 64:
        return [expected]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return [f"{text!r}: {expected}"]
    if moment.tzinfo is None:
        return [f"{text!r} has no UTC offset: {expected}"]
    return []


# -- .points files -------------------------------------------------------------------


@dataclass(frozen=True)
class PointsLimits:
    """What a `.points` file may hold; each is checked before the work it bounds."""

    # A data line is under 200 bytes and the #CRS line a few thousand: 2 MB holds
    # ten thousand points, far more than anyone clicks on one picture.
    max_bytes: int = 2 * MB
    max_points: int = 10_000
    max_line: int = 1_000  # characters of a data line (the #CRS line is bounded apart)
    max_problems: int = 100  # listed; past this the reading stops


@dataclass(frozen=True)
class PointsFile:
    """What a `.points` file holds: its points in lon/lat, and what it said of its CRS."""

    points: tuple[ControlPoint, ...]
    # The CRS of the file's map coordinates ("EPSG:3857", or a name), as the file named
    # it, or as the caller said when the file did not; None when it was taken to be
    # EPSG:4326 for want of either.
    crs: str | None
    warnings: tuple[str, ...] = field(default=())


def qgis_number(value: float) -> str:
    """A number as QGIS writes it (qgsDoubleToString): fixed, 17 decimals, trailing zeros
    and a bare point dropped, "-0" as "0". Where that would lose digits (a value under
    about 0.1, whose 17 decimals hold fewer than 17 significant digits), the shortest
    text that reads back to the same number, which QGIS reads too (QString::toDouble)."""
    text = f"{value:.17f}"
    if "." in text:
        text = text.rstrip("0").removesuffix(".")
    if text == "-0":
        text = "0"
    if float(text) != value:
        text = repr(float(value))
    return text


def write_points(
    points: Sequence[ControlPoint],
    residuals_px: Sequence[tuple[float, float]] | None = None,
) -> str:
    """The text of a QGIS `.points` file for `points`, map coordinates in EPSG:4326.

    `residuals_px`, one (column, row) pair per point, predicted minus placed in
    pixels (`Fit.residuals`), fills dX, dY and residual as QGIS does; without it they
    are 0, as in a file QGIS saved before any fit."""
    if residuals_px is not None and len(residuals_px) != len(points):
        raise ValueError(f"{len(residuals_px)} residuals for {len(points)} points")
    lines = [CRS_PREFIX + CRS.from_user_input(WGS84).to_wkt(version="WKT2_2019"), QGIS_HEADER]
    for index, point in enumerate(points):
        dx, dy = residuals_px[index] if residuals_px is not None else (0.0, 0.0)
        cells = [point.lon, point.lat, point.column, -point.row]
        lines.append(
            ",".join(
                [
                    *map(qgis_number, cells),
                    "1" if point.enabled else "0",
                    *map(qgis_number, (dx, dy, math.hypot(dx, dy))),
                ]
            )
        )
    return "\n".join(lines) + "\n"


@dataclass
class _Row:
    line: int
    number: int  # 1 for the first point
    map_x: float
    map_y: float
    column: float
    row: float
    enabled: bool


class _TooManyProblems(Exception):
    pass


class _Collector:
    def __init__(self, file: str, limit: int) -> None:
        self.file = file
        self.limit = limit
        self.problems: list[Problem] = []

    def add(self, message: str, *, record: str | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(message, self.file, record, field))
        if len(self.problems) >= self.limit:
            self.problems.append(
                Problem(f"more than {self.limit} problems: reading stopped here", self.file)
            )
            raise _TooManyProblems

    def raise_any(self) -> None:
        if self.problems:
            raise DataError(self.problems)


def read_points(
    data: bytes | str,
    *,
    file: str = "the .points file",
    crs: str | None = None,
    limits: PointsLimits | None = None,
) -> PointsFile:
    """The control points of a QGIS `.points` file, converted to lon/lat.

    `crs` is the map CRS for a file without a #CRS line (or with an empty one), as
    WKT or a code such as EPSG:3857; the file's own #CRS line wins over it. Raises one
    `DataError` listing every problem, each with its line (and point number, field)."""
    limits = limits or PointsLimits()
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise DataError(
            Problem(
                f"{size:,} bytes, over the limit of {limits.max_bytes:,} for a .points file",
                file,
            )
        )
    collect = _Collector(file, limits.max_problems)
    warnings: list[str] = []
    try:
        text = _decoded(data, file)
        lines = text.split("\n")
        crs_text, first = _crs_line(lines[0].removesuffix("\r"), collect)
        rows = _rows(lines, first, limits, collect, warnings)
    except _TooManyProblems:
        raise DataError(collect.problems) from None
    collect.raise_any()
    if not rows:
        raise DataError(Problem("holds no control points", file))
    map_crs, named = _map_crs(crs_text, crs, file, warnings)
    return PointsFile(_points(rows, map_crs, named, file), named, tuple(warnings))


def _decoded(data: bytes | str, file: str) -> str:
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                Problem(f"not UTF-8 text (byte {exc.start:,} cannot be read)", file)
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    if (problem := text_problem(text)) is not None:
        raise DataError(Problem(problem, file))
    return text


def _crs_line(line: str, collect: _Collector) -> tuple[str | None, int]:
    """The #CRS line's text (None without one, "" when empty) and the index of the header."""
    if line.startswith(CRS_PREFIX.rstrip()):
        return line[len(CRS_PREFIX.rstrip()) :].strip(), 1
    if line.lstrip().startswith("#"):
        collect.add(
            f"line 1 starts with {line[:20]!r}: the only comment a .points file holds is "
            f"the first line's {CRS_PREFIX.strip()!r}"
        )
    return None, 0


def _rows(
    lines: list[str],
    header: int,
    limits: PointsLimits,
    collect: _Collector,
    warnings: list[str],
) -> list[_Row]:
    if header < len(lines):
        head = lines[header].removesuffix("\r")
        cells = head.split("," if "," in head else "\t")
        if number(cells[0]) is not None:
            collect.add(
                f"line {header + 1} holds numbers where the header {QGIS_HEADER!r} belongs; "
                "QGIS skips that line, so the point on it would be lost: add the header"
            )
    rows: list[_Row] = []
    extra = False
    point = 0  # the number of the point on this line: every line that is not blank
    for index in range(header + 1, len(lines)):
        line = lines[index].removesuffix("\r")
        if not line.strip():
            continue
        line_number = index + 1
        point += 1
        if point > limits.max_points:
            collect.add(
                f"more than {limits.max_points:,} control points, the limit (line {line_number})"
            )
            break
        record = f"#{point}"
        if len(line) > limits.max_line:
            collect.add(
                f"line {line_number} is {len(line):,} characters long, over the limit of "
                f"{limits.max_line:,}",
                record=record,
            )
            continue
        # QGIS splits on commas, or on tabs in a line without commas (its older format)
        cells = line.split("," if "," in line else "\t")
        if len(cells) < 4:
            collect.add(
                f"{len(cells)} field{'s' if len(cells) != 1 else ''} where a point has at least "
                f"4 (mapX,mapY,sourceX,sourceY) (line {line_number})",
                record=record,
            )
            continue
        extra = extra or len(cells) > 8
        row = _row(cells, line_number, point, collect)
        if row is not None:
            rows.append(row)
    if extra:
        warnings.append(
            "some lines have more than the 8 fields QGIS writes; the fields after the 8th "
            "were not read"
        )
    return rows


def _row(cells: list[str], line: int, point: int, collect: _Collector) -> _Row | None:
    record = f"#{point}"
    values: dict[str, float] = {}
    for name, cell in zip(("mapX", "mapY", "sourceX", "sourceY"), cells, strict=False):
        value = number(cell)
        if value is None or not math.isfinite(value):
            what = "empty" if not cell.strip() else f"{cell.strip()[:40]!r} is not a number"
            collect.add(f"{what} (line {line})", record=record, field=name)
        else:
            values[name] = value
    ok = len(values) == 4
    source_x, source_y = values.get("sourceX"), values.get("sourceY")
    if source_x is not None and source_x < 0:
        collect.add(
            f"{source_x:g} is left of the picture: a column is 0 or more (line {line})",
            record=record,
            field="sourceX",
        )
        ok = False
    if source_y is not None and source_y > 0:
        collect.add(
            f"{source_y:g} is positive: QGIS writes a picture's rows as negative numbers "
            "(sourceY = -row), so this point lies above the picture, or the points were "
            f"placed on a picture that already had georeferencing (line {line})",
            record=record,
            field="sourceY",
        )
        ok = False
    for name, value in (("sourceX", source_x), ("sourceY", source_y)):
        if value is not None and abs(value) > MAX_PICTURE_COORDINATE:
            collect.add(
                f"{value:g} pixels is past any picture (the limit is "
                f"{MAX_PICTURE_COORDINATE:,.0f}) (line {line})",
                record=record,
                field=name,
            )
            ok = False
    enabled = True
    if len(cells) >= 5:
        flag = cells[4].strip()
        if flag not in ("0", "1"):
            collect.add(
                f"{flag[:40]!r}: expected 1 (used) or 0 (not used) (line {line})",
                record=record,
                field="enable",
            )
            ok = False
        enabled = flag == "1"
    if not ok:
        return None
    return _Row(
        line,
        point,
        values["mapX"],
        values["mapY"],
        values["sourceX"],
        -values["sourceY"] + 0.0,  # + 0.0: a row of -0.0 is 0
        enabled,
    )


def _map_crs(
    found: str | None, given: str | None, file: str, warnings: list[str]
) -> tuple[CRS, str | None]:
    """The CRS of the file's map coordinates, and its name for the caller (None if assumed)."""
    if found:
        try:
            crs = parse_crs(found)
        except ValueError as exc:
            raise DataError(Problem(f"the #CRS line: {exc}", file)) from None
        named = describe_crs(crs)
        if given is not None:
            try:
                same = parse_crs(given) == crs
            except ValueError:
                same = False
            if not same:
                warnings.append(
                    f"the file's #CRS line names {named}; the CRS given ({given[:60]}) was not used"
                )
        return crs, named
    if given is not None:
        try:
            crs = parse_crs(given)
        except ValueError as exc:
            raise DataError(
                Problem(f"the CRS given for the map coordinates: {exc}", file)
            ) from None
        return crs, describe_crs(crs)
    warnings.append(
        "the file has no #CRS line, so the CRS of its map coordinates is unknown: they were "
        "taken as longitude and latitude (EPSG:4326); if they are in another CRS, say which"
    )
    return CRS.from_user_input(WGS84), None


def _points(rows: list[_Row], crs: CRS, named: str | None, file: str) -> tuple[ControlPoint, ...]:
    xs = np.array([r.map_x for r in rows], dtype=np.float64)
    ys = np.array([r.map_y for r in rows], dtype=np.float64)
    problems: list[Problem] = []
    if is_wgs84_lonlat(crs):
        lons, lats = xs, ys
        hint = (
            ""
            if named
            else ": the file has no #CRS line, so they were taken as degrees; say "
            "which CRS they are in"
        )
        for r, lon, lat in zip(rows, lons, lats, strict=True):
            if not -180 <= lon <= 180:
                problems.append(
                    Problem(
                        f"longitude {lon:g} is outside -180 to 180{hint} (line {r.line})",
                        file,
                        f"#{r.number}",
                        "mapX",
                    )
                )
            if not -90 <= lat <= 90:
                problems.append(
                    Problem(
                        f"latitude {lat:g} is outside -90 to 90{hint} (line {r.line})",
                        file,
                        f"#{r.number}",
                        "mapY",
                    )
                )
    else:
        try:
            lons, lats = convert(crs, WGS84, xs, ys)
        except Exception as exc:  # GDAL refuses some CRSs outright (another planet's)
            raise DataError(
                Problem(
                    f"the map coordinates cannot be converted from {named} to "
                    f"longitude/latitude: {exc}",
                    file,
                )
            ) from None
        for r, lon, lat in zip(rows, lons, lats, strict=True):
            if not (np.isfinite(lon) and np.isfinite(lat)):
                problems.append(
                    Problem(
                        f"({r.map_x:g}, {r.map_y:g}) has no longitude/latitude in "
                        f"{named} (line {r.line})",
                        file,
                        f"#{r.number}",
                        "mapX",
                    )
                )
    if problems:
        raise DataError(problems)
    points: list[ControlPoint] = []
    for r, lon, lat in zip(rows, lons, lats, strict=True):
        try:
            points.append(ControlPoint(r.column, r.row, float(lon), float(lat), r.enabled))
        except DataError as exc:
            problems.extend(
                Problem(f"{p.message} (line {r.line})", file, f"#{r.number}", p.field)
                for p in exc.problems
            )
    if problems:
        raise DataError(problems)
    return tuple(points)


def clicked_pixel(
    x: float, y: float, *, shown: tuple[float, float], size: tuple[int, int]
) -> tuple[float, float]:
    """The picture position (column, row) of a click at (x, y) on the picture drawn
    `shown` = (width, height) screen pixels wide and high, for a picture of `size`
    = (width, height) pixels: the centre of the screen pixel clicked, scaled, and
    kept on the picture. ValueError when the picture was drawn with no size."""
    shown_width, shown_height = shown
    width, height = size
    if not (shown_width > 0 and shown_height > 0 and width > 0 and height > 0):
        raise ValueError(f"a picture drawn {shown} for one of {size} pixels has no size")
    column = (x + 0.5) * width / shown_width
    row = (y + 0.5) * height / shown_height
    return min(max(column, 0.0), float(width)), min(max(row, 0.0), float(height))
