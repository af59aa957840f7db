"""Fit a picture's pixels to the map from control points, and say how well it fits.

`fit(points, size=(width, height), method=...)` fits picture pixel -> map by least
squares in a metric frame (the UTM zone of the points, `geo.georef.frame`):

* ``affine`` (at least 3 points): easting = a0 + a1·column + a2·row, northing alike.
  It moves, turns, scales and shears the picture, and keeps its straight lines
  straight: right for a satellite picture seen from straight above.
* ``polynomial`` (second order, at least 6 points): adds column², column·row and
  row² terms, as GDAL's GCP_POLYNOMIAL order 2 does; it bends the picture, for an
  oblique view or a picture that was warped before its release.

Residuals are predicted minus placed, for every point, the disabled ones included
(they are reported, not used). In metres: where the fit puts the point's picture
position on the ground, less where it was placed on the map (east, north). In
pixels: the inverse direction, as QGIS and GDAL report them: where the inverse
transform puts the point's map position on the picture, less where it was placed
(column, row). For an affine fit the inverse is the exact inverse of the fit; for a
polynomial, which has no exact inverse, it is a second least-squares fit from map to
picture over the same points, the one GDAL uses to warp. The RMS (root mean square
of the residuals' lengths) is over the points used.

`fit` refuses, with a `DataError` listing every problem of a stage, a fit that would
mislead; each rule is in `FitRules` with its reason.

Why one module of some 650 lines: the fit, its residuals and the rules that refuse
a misleading fit read the same numbers; most of its lines are those rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
from affine import Affine

from geo.errors import DataError, Problem
from geo.georef.frame import WGS84, Floats, convert, describe_crs, metric_frame
from geo.georef.points import MAX_PICTURE_COORDINATE, ControlPoint, write_points


class Method(StrEnum):
    AFFINE = "affine"
    POLYNOMIAL = "polynomial"

    @property
    def terms(self) -> tuple[tuple[int, int], ...]:
        """Exponents (i, j) of column^i · row^j, in the order of the coefficients."""
        if self is Method.AFFINE:
            return ((0, 0), (1, 0), (0, 1))
        return ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2))

    @property
    def min_points(self) -> int:
        return len(self.terms)

    @property
    def named(self) -> str:
        """The method with its article, for a sentence: "an affine", "a polynomial"."""
        return "an affine" if self is Method.AFFINE else "a polynomial"


@dataclass(frozen=True)
class FitRules:
    """When `fit` refuses, and when it warns. Each threshold says why it is where it is."""

    # Two points closer than this on the picture, or on the ground, are one place
    # clicked twice (or two places given one position): one of them is wrong, and a
    # doubled point counts twice in the fit.
    duplicate_px: float = 0.5
    duplicate_m: float = 0.05
    # The points' spread across their main line, as a share of their spread along it
    # (the square root of the ratio of the two eigenvalues of their covariance), on
    # the picture or on the ground. Under 5 %, an error of one pixel across the line
    # grows twentyfold across the picture: the fit across that line is guesswork.
    min_spread: float = 0.05
    # Condition number of the least-squares system (coordinates centred on the points
    # and scaled to ±1), how many times an error of the clicks can grow in the fitted
    # terms. Points spread over the picture give 2 to 10. Past 1,000 the points do
    # not pin the terms down: for a polynomial, points near a line or near a curve
    # such as a circle (where column² + row² is constant: 8 points on a circle within
    # 1 % of its radius give 200, within 0.25 %, a click's error, about 800).
    max_condition: float = 1e3
    # The RMS on the ground, as a share of the picture's diagonal on the ground. Over
    # 10 % the points disagree with any such transform by a tenth of the picture:
    # some are paired with the wrong places, or latitude and longitude were swapped,
    # and the fit says nothing. Over 1 % it is worth a look at the largest residuals.
    max_rms_share: float = 0.10
    warn_rms_share: float = 0.01
    # A pixel's length on the ground over its width (the ratio of the singular values
    # of the fit's linear part at the picture's centre). Satellite pictures, even
    # oblique ones, stay well under 3; 10 means points paired with the wrong places.
    max_stretch: float = 10.0
    # The points may lie at most this far from their centroid: a picture released as
    # evidence covers a site or a town, not a continent, and the UTM frame's scale
    # stays within 1 % of true out to here (see geo.georef.frame).
    max_radius_m: float = 500_000.0
    # Warn when the points' bounding box covers less than this share of the picture:
    # outside the points the fit extrapolates, a polynomial wildly.
    warn_coverage: float = 0.25
    # Warn when a polynomial scales areas this many times more in one part of the
    # picture than in another (it refuses outright where it folds the picture over).
    warn_area_ratio: float = 4.0


@dataclass(frozen=True)
class Residual:
    """One point's disagreement with a fit: predicted minus placed."""

    index: int  # the point's position in `Fit.points`
    used: bool  # False for a disabled point: reported, not fitted
    east_m: float
    north_m: float
    metres: float
    column_px: float
    row_px: float
    pixels: float

    def to_dict(self) -> dict[str, Any]:
        """The residual for JSON: a value that could not be computed (NaN, for a disabled
        point that cannot be put in the fit's frame) is None."""
        return {
            "used": self.used,
            **{
                name: value if math.isfinite(value) else None
                for name, value in (
                    ("east_m", self.east_m),
                    ("north_m", self.north_m),
                    ("metres", self.metres),
                    ("column_px", self.column_px),
                    ("row_px", self.row_px),
                    ("pixels", self.pixels),
                )
            },
        }


@dataclass(frozen=True)
class Fit:
    """A fitted transform from picture pixels to the map, with its residuals."""

    method: Method
    crs: str  # the metric frame the coefficients are in, such as "EPSG:32637"
    size: tuple[int, int]  # the picture's width and height in pixels
    # Easting and northing (metres, in `crs`) as sums of coefficient · column^i · row^j
    # over `method.terms`, with pixel (0, 0) the picture's top-left corner.
    forward_x: tuple[float, ...]
    forward_y: tuple[float, ...]
    # Column and row from the map: sums of coefficient · dx^i · dy^j over `method.terms`,
    # where dx, dy are metres east and north of `inverse_origin` (in `crs`).
    inverse_origin: tuple[float, float]
    inverse_column: tuple[float, ...]
    inverse_row: tuple[float, ...]
    points: tuple[ControlPoint, ...]
    residuals: tuple[Residual, ...]  # one per point, in the same order
    rms_m: float
    rms_px: float
    pixel_size_m: float  # side of a square of a pixel's area, at the picture's centre
    warnings: tuple[str, ...] = field(default=())

    @property
    def used(self) -> int:
        return sum(1 for r in self.residuals if r.used)

    def to_map(self, columns: Any, rows: Any) -> tuple[Floats, Floats]:
        """Easting and northing in `crs` of picture positions."""
        c = np.asarray(columns, dtype=np.float64)
        r = np.asarray(rows, dtype=np.float64)
        return _evaluate(self.method, self.forward_x, c, r), _evaluate(
            self.method, self.forward_y, c, r
        )

    def to_lonlat(self, columns: Any, rows: Any) -> tuple[Floats, Floats]:
        """Longitude and latitude (WGS 84) of picture positions."""
        x, y = self.to_map(columns, rows)
        return convert(self.crs, WGS84, np.atleast_1d(x), np.atleast_1d(y))

    def to_picture(self, xs: Any, ys: Any) -> tuple[Floats, Floats]:
        """Column and row of positions in `crs` (by the inverse transform)."""
        dx = np.asarray(xs, dtype=np.float64) - self.inverse_origin[0]
        dy = np.asarray(ys, dtype=np.float64) - self.inverse_origin[1]
        return _evaluate(self.method, self.inverse_column, dx, dy), _evaluate(
            self.method, self.inverse_row, dx, dy
        )

    def affine(self) -> Affine:
        """The affine fit as a GDAL/rasterio geotransform in `crs`."""
        if self.method is not Method.AFFINE:
            raise ValueError("only an affine fit is an affine transform")
        a0, a1, a2 = self.forward_x
        b0, b1, b2 = self.forward_y
        return Affine(a1, a2, a0, b1, b2, b0)

    def points_text(self) -> str:
        """The points as a QGIS `.points` file, with this fit's pixel residuals."""
        return write_points(self.points, [(r.column_px, r.row_px) for r in self.residuals])

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method.value,
            "crs": self.crs,
            "size": list(self.size),
            "forward_x": list(self.forward_x),
            "forward_y": list(self.forward_y),
            "inverse_origin": list(self.inverse_origin),
            "inverse_column": list(self.inverse_column),
            "inverse_row": list(self.inverse_row),
            "rms_m": self.rms_m,
            "rms_px": self.rms_px,
            "pixel_size_m": self.pixel_size_m,
            "points": [p.to_dict() for p in self.points],
            "residuals": [r.to_dict() for r in self.residuals],
            "warnings": list(self.warnings),
        }


def refit_without(fitted: Fit, index: int, rules: FitRules | None = None) -> Fit:
    """The same fit with point `index` disabled (kept with the record, left out of the fit)."""
    points = list(fitted.points)
    points[index] = points[index].with_enabled(False)
    return fit(points, size=fitted.size, method=fitted.method, rules=rules)


def _evaluate(method: Method, coefficients: Sequence[float], u: Floats, v: Floats) -> Floats:
    total = np.zeros(np.broadcast(u, v).shape, dtype=np.float64)
    for (i, j), k in zip(method.terms, coefficients, strict=True):
        total = total + k * u**i * v**j
    return total


def _design(method: Method, u: Floats, v: Floats) -> Floats:
    return np.column_stack([u**i * v**j for i, j in method.terms])


def _raw_coefficients(
    method: Method, scaled: Floats, origin: tuple[float, float], scale: float
) -> list[float]:
    """Coefficients on column^i·row^j from coefficients on u^i·v^j, where
    u = (column - origin[0]) / scale and v = (row - origin[1]) / scale (exact expansion)."""
    raw = dict.fromkeys(method.terms, 0.0)
    for (i, j), k in zip(method.terms, scaled, strict=True):
        factor = float(k) / scale ** (i + j)
        for p in range(i + 1):
            for q in range(j + 1):
                raw[(p, q)] += (
                    factor
                    * math.comb(i, p)
                    * (-origin[0]) ** (i - p)
                    * math.comb(j, q)
                    * (-origin[1]) ** (j - q)
                )
    return [raw[t] for t in method.terms]


def _spread(xs: Floats, ys: Floats) -> float:
    """Spread across the points' main line over spread along it (0 for points in a line)."""
    if len(xs) < 2:
        return 0.0
    values = np.linalg.eigvalsh(np.cov(np.vstack([xs, ys]), bias=True))
    if values[-1] <= 0:
        return 0.0
    return float(math.sqrt(max(values[0], 0.0) / values[-1]))


def _near_pairs(xs: Floats, ys: Floats, tolerance: float) -> list[tuple[int, int]]:
    """Pairs of indices closer than `tolerance`, found through a grid of cells that size."""
    cells: dict[tuple[int, int], list[int]] = {}
    pairs: list[tuple[int, int]] = []
    for index, (x, y) in enumerate(zip(xs, ys, strict=True)):
        cx, cy = math.floor(x / tolerance), math.floor(y / tolerance)
        for nx in (cx - 1, cx, cx + 1):
            for ny in (cy - 1, cy, cy + 1):
                for other in cells.get((nx, ny), ()):
                    if math.hypot(xs[other] - x, ys[other] - y) < tolerance:
                        pairs.append((other, index))
        cells.setdefault((cx, cy), []).append(index)
    return pairs


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = size
    except (TypeError, ValueError):
        raise DataError(
            Problem(f"expected the picture's (width, height), got {size!r:.60}")
        ) from None
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise DataError(Problem(f"the picture's {name} {value!r:.60} is not a whole number"))
        if not 1 <= value <= MAX_PICTURE_COORDINATE:
            raise DataError(Problem(f"the picture's {name} {value} is not a picture's"))
    return width, height


def fit(
    points: Sequence[ControlPoint],
    *,
    size: tuple[int, int],
    method: Method | str = Method.AFFINE,
    rules: FitRules | None = None,
) -> Fit:
    """Fit the enabled points of a picture `size` = (width, height) pixels; see the module."""
    rules = rules or FitRules()
    try:
        method = Method(method)
    except ValueError:
        raise DataError(
            Problem(f"unknown method {method!r:.40}: affine or polynomial", field="method")
        ) from None
    width, height = _check_size(size)
    points = tuple(points)
    for point in points:
        if not isinstance(point, ControlPoint):
            raise DataError(Problem(f"expected control points, got {type(point).__name__}"))
    used = [i for i, p in enumerate(points) if p.enabled]
    _check_points(points, used, method, width, height, rules)

    columns = np.array([p.column for p in points], dtype=np.float64)
    rows = np.array([p.row for p in points], dtype=np.float64)
    lons = np.array([p.lon for p in points], dtype=np.float64)
    lats = np.array([p.lat for p in points], dtype=np.float64)
    frame = metric_frame(float(lons[used].mean()), float(lats[used].mean()))
    xs, ys = convert(WGS84, frame, lons, lats)
    _check_ground(xs, ys, used, points, rules)

    # Least squares on coordinates centred on the points and scaled to about ±1, so the
    # condition number measures the points' layout, not where they are on the picture.
    c, r, x, y = columns[used], rows[used], xs[used], ys[used]
    picture_origin = (float(c.mean()), float(r.mean()))
    picture_scale = float(np.hypot(c - picture_origin[0], r - picture_origin[1]).max())
    map_origin = (float(x.mean()), float(y.mean()))
    map_scale = float(np.hypot(x - map_origin[0], y - map_origin[1]).max())
    u = (c - picture_origin[0]) / picture_scale
    v = (r - picture_origin[1]) / picture_scale
    forward = _solve(
        method,
        _design(method, u, v),
        np.column_stack([(x - map_origin[0]) / map_scale, (y - map_origin[1]) / map_scale]),
        "the picture",
        rules,
    )
    forward_x = _raw_coefficients(method, forward[:, 0] * map_scale, picture_origin, picture_scale)
    forward_x[0] += map_origin[0]
    forward_y = _raw_coefficients(method, forward[:, 1] * map_scale, picture_origin, picture_scale)
    forward_y[0] += map_origin[1]

    if method is Method.AFFINE:
        inverse_column, inverse_row = _affine_inverse(forward_x, forward_y, map_origin)
    else:
        backward = _solve(
            method,
            _design(method, (x - map_origin[0]) / map_scale, (y - map_origin[1]) / map_scale),
            np.column_stack([u, v]),
            "the map",
            rules,
        )
        inverse_column = _raw_coefficients(
            method, backward[:, 0] * picture_scale, (0.0, 0.0), map_scale
        )
        inverse_column[0] += picture_origin[0]
        inverse_row = _raw_coefficients(
            method, backward[:, 1] * picture_scale, (0.0, 0.0), map_scale
        )
        inverse_row[0] += picture_origin[1]

    result = Fit(
        method=method,
        crs=describe_crs(frame),
        size=(width, height),
        forward_x=tuple(forward_x),
        forward_y=tuple(forward_y),
        inverse_origin=map_origin,
        inverse_column=tuple(inverse_column),
        inverse_row=tuple(inverse_row),
        points=points,
        residuals=(),
        rms_m=0.0,
        rms_px=0.0,
        pixel_size_m=0.0,
    )
    return _assessed(result, columns, rows, xs, ys, set(used), rules)


def _check_points(
    points: tuple[ControlPoint, ...],
    used: list[int],
    method: Method,
    width: int,
    height: int,
    rules: FitRules,
) -> None:
    problems: list[Problem] = []
    if len(used) < method.min_points:
        disabled = len(points) - len(used)
        but = f" ({disabled} more are disabled)" if disabled else ""
        problems.append(
            Problem(
                f"{len(used)} control point{'s' if len(used) != 1 else ''} in use{but}: "
                f"{method.named} fit needs at least {method.min_points}"
                + (", and a few more to show its errors" if method is Method.AFFINE else "")
            )
        )
    for i in used:
        point = points[i]
        if point.column > width or point.row > height:
            problems.append(
                Problem(
                    f"lies outside the picture: column {point.column:g}, row {point.row:g} on a "
                    f"picture of {width} by {height} pixels",
                    record=f"#{i + 1}",
                )
            )
    lons = [points[i].lon for i in used]
    if lons and max(lons) - min(lons) > 180:
        problems.append(
            Problem(
                "the points lie on both sides of the 180° meridian (longitudes from "
                f"{min(lons):g} to {max(lons):g}): a picture across it cannot be fitted here"
            )
        )
    columns = np.array([points[i].column for i in used], dtype=np.float64)
    rows = np.array([points[i].row for i in used], dtype=np.float64)
    for a, b in _near_pairs(columns, rows, rules.duplicate_px):
        problems.append(
            Problem(
                f"points #{used[a] + 1} and #{used[b] + 1} are at the same place on the picture "
                f"(less than {rules.duplicate_px:g} pixel apart): disable one of them"
            )
        )
    if problems:
        raise DataError(problems)
    if _spread(columns, rows) < rules.min_spread:
        raise DataError(
            Problem(
                "the points lie (nearly) in a line on the picture: their spread across it is "
                f"under {rules.min_spread:.0%} of their spread along it, so the fit across "
                "that line would be guesswork; add points away from it"
            )
        )


def _check_ground(
    xs: Floats, ys: Floats, used: list[int], points: tuple[ControlPoint, ...], rules: FitRules
) -> None:
    """The used points on the ground (a disabled point that cannot be put in the frame,
    such as one typed on the other side of the world, gets no residual: NaN)."""
    problems: list[Problem] = []
    for i in used:
        if not (math.isfinite(xs[i]) and math.isfinite(ys[i])):
            problems.append(
                Problem("its map position cannot be put in the fit's frame", record=f"#{i + 1}")
            )
    if problems:
        raise DataError(problems)
    x, y = xs[used], ys[used]
    distance = np.hypot(x - x.mean(), y - y.mean())
    for k in np.nonzero(distance > rules.max_radius_m)[0]:
        problems.append(
            Problem(
                f"lies {distance[k] / 1000:,.0f} km from the points' centre, past the "
                f"{rules.max_radius_m / 1000:,.0f} km a released picture can span: a typing "
                "mistake in its position?",
                record=f"#{used[k] + 1}",
            )
        )
    for a, b in _near_pairs(x, y, rules.duplicate_m):
        problems.append(
            Problem(
                f"points #{used[a] + 1} and #{used[b] + 1} are at the same place on the map "
                f"(less than {rules.duplicate_m * 100:g} cm apart) but at different places on the "
                "picture: one of them is wrong"
            )
        )
    if problems:
        raise DataError(problems)
    if _spread(x, y) < rules.min_spread:
        raise DataError(
            Problem(
                "the points lie (nearly) in a line on the map: their spread across it is under "
                f"{rules.min_spread:.0%} of their spread along it, so the fit across that line "
                "would be guesswork; add points away from it"
            )
        )


def _solve(method: Method, design: Floats, target: Floats, side: str, rules: FitRules) -> Floats:
    condition = float(np.linalg.cond(design)) if len(design) else math.inf
    if not math.isfinite(condition) or condition > rules.max_condition:
        shape = "a line or a curve such as a circle" if method is Method.POLYNOMIAL else "a line"
        raise DataError(
            Problem(
                f"the points on {side} do not pin down {method.named} fit (condition number "
                f"{condition:.3g}, over {rules.max_condition:,.0f}): they lie near {shape}; add "
                "points inside and across the picture"
            )
        )
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return np.asarray(solution, dtype=np.float64)


def _affine_inverse(
    forward_x: list[float], forward_y: list[float], origin: tuple[float, float]
) -> tuple[list[float], list[float]]:
    a0, a1, a2 = forward_x
    b0, b1, b2 = forward_y
    inverse = np.linalg.inv(np.array([[a1, a2], [b1, b2]]))
    shift = inverse @ np.array([origin[0] - a0, origin[1] - b0])
    return (
        [float(shift[0]), float(inverse[0, 0]), float(inverse[0, 1])],
        [float(shift[1]), float(inverse[1, 0]), float(inverse[1, 1])],
    )


def _jacobian(result: Fit, columns: Floats, rows: Floats) -> tuple[Floats, Floats, Floats, Floats]:
    """d(easting, northing)/d(column, row) at picture positions."""
    ax, ay = result.forward_x, result.forward_y
    if result.method is Method.AFFINE:
        ones = np.ones_like(columns)
        return ax[1] * ones, ax[2] * ones, ay[1] * ones, ay[2] * ones
    return (
        ax[1] + 2 * ax[3] * columns + ax[4] * rows,
        ax[2] + ax[4] * columns + 2 * ax[5] * rows,
        ay[1] + 2 * ay[3] * columns + ay[4] * rows,
        ay[2] + ay[4] * columns + 2 * ay[5] * rows,
    )


def _assessed(
    result: Fit,
    columns: Floats,
    rows: Floats,
    xs: Floats,
    ys: Floats,
    used: set[int],
    rules: FitRules,
) -> Fit:
    """The fit with its residuals and RMS, refused if it misleads, with its warnings."""
    width, height = result.size
    px, py = result.to_map(columns, rows)
    pc, pr = result.to_picture(xs, ys)
    residuals = tuple(
        Residual(
            index=i,
            used=i in used,
            east_m=float(px[i] - xs[i]),
            north_m=float(py[i] - ys[i]),
            metres=float(math.hypot(px[i] - xs[i], py[i] - ys[i])),
            column_px=float(pc[i] - columns[i]),
            row_px=float(pr[i] - rows[i]),
            pixels=float(math.hypot(pc[i] - columns[i], pr[i] - rows[i])),
        )
        for i in range(len(columns))
    )
    fitted = [r for r in residuals if r.used]
    rms_m = math.sqrt(sum(r.metres**2 for r in fitted) / len(fitted))
    rms_px = math.sqrt(sum(r.pixels**2 for r in fitted) / len(fitted))

    grid_c, grid_r = np.meshgrid(np.linspace(0, width, 21), np.linspace(0, height, 21))
    dxc, dxr, dyc, dyr = _jacobian(result, grid_c.ravel(), grid_r.ravel())
    determinant = dxc * dyr - dxr * dyc
    centre = _jacobian(result, np.array([width / 2]), np.array([height / 2]))
    linear = np.array([[centre[0][0], centre[1][0]], [centre[2][0], centre[3][0]]])
    singular = np.linalg.svd(linear, compute_uv=False)
    pixel_size = float(math.sqrt(abs(np.linalg.det(linear))))
    corners_x, corners_y = result.to_map([0, width, width, 0], [0, height, 0, height])
    diagonal = float(
        (
            math.hypot(corners_x[1] - corners_x[0], corners_y[1] - corners_y[0])
            + math.hypot(corners_x[3] - corners_x[2], corners_y[3] - corners_y[2])
        )
        / 2
    )

    problems: list[Problem] = []
    if np.linalg.det(linear) > 0:
        problems.append(
            Problem(
                "the fit shows the picture mirrored (its rows run north where a picture's run "
                "south, or its columns west): points paired with the wrong places, latitude "
                "and longitude swapped, or a flipped picture; check the points"
            )
        )
    elif result.method is Method.POLYNOMIAL and np.any(determinant >= 0):
        problems.append(
            Problem(
                "the polynomial folds the picture over itself inside it: the points do not "
                "support a second-order fit; use affine, or add points where the picture "
                "folds and across the picture"
            )
        )
    if singular[-1] <= 0 or singular[0] / singular[-1] > rules.max_stretch:
        stretch = singular[0] / singular[-1] if singular[-1] > 0 else math.inf
        problems.append(
            Problem(
                f"the fit makes a pixel {stretch:.3g} times longer than it is wide on the "
                f"ground (over {rules.max_stretch:g}): some points are paired with the wrong "
                "places"
            )
        )
    if not problems and rms_m > rules.max_rms_share * diagonal:
        problems.append(
            Problem(
                f"the RMS error, {rms_m:,.1f} m ({rms_px:,.1f} pixels), is over "
                f"{rules.max_rms_share:.0%} of the picture's diagonal on the ground "
                f"({diagonal:,.0f} m): the points disagree with any {result.method.value} fit, "
                "so it says nothing; some points are paired with the wrong places, or latitude "
                "and longitude were swapped"
            )
        )
    if problems:
        raise DataError(problems)

    warnings: list[str] = []
    if len(fitted) == result.method.min_points:
        warnings.append(
            f"{len(fitted)} points fit {result.method.named} transform exactly: the residuals "
            "are 0 and cannot show a misplaced point; add points"
        )
    elif rms_m > rules.warn_rms_share * diagonal:
        worst = max(fitted, key=lambda r: r.metres)
        warnings.append(
            f"the RMS error is {rms_m / diagonal:.1%} of the picture's diagonal on the ground; "
            f"point #{worst.index + 1} has the largest residual ({worst.metres:,.1f} m)"
        )
    used_c = columns[sorted(used)]
    used_r = rows[sorted(used)]
    coverage = float(np.ptp(used_c) * np.ptp(used_r)) / (width * height)
    if coverage < rules.warn_coverage:
        share = f"{coverage:.0%}" if coverage >= 0.01 else "less than 1%"
        warnings.append(
            f"the points span {share} of the picture: outside them the fit extrapolates"
            + (", a polynomial wildly" if result.method is Method.POLYNOMIAL else "")
            + "; add points near the picture's edges"
        )
    if result.method is Method.POLYNOMIAL:
        areas = np.abs(determinant)
        if areas.max() > rules.warn_area_ratio * areas.min():
            warnings.append(
                f"the polynomial scales areas {areas.max() / areas.min():.1f} times more in "
                "one part of the picture than another: check it against the map"
            )
    return replace(
        result,
        residuals=residuals,
        rms_m=rms_m,
        rms_px=rms_px,
        pixel_size_m=pixel_size,
        warnings=tuple(warnings),
    )
