"""Georeferencing a released picture: control points, .points files, fits, GeoTIFFs, CLI.

The synthetic picture: 1200 by 900 pixels whose pixel (column, row) lies at
T @ (column, row) in UTM zone 37N, 0.8 m pixels turned a little, near Saydnaya
(33.665 N, 36.3286 E); control points are cut from it exactly, so every expected
number is known.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from geo.cli import main
from geo.errors import DataError
from geo.georef import (
    ControlPoint,
    FitRules,
    Method,
    PictureLimits,
    PointsLimits,
    fit,
    georeferenced_tiff,
    picture_rgb,
    picture_size,
    qgis_number,
    read_points,
    refit_without,
    write_points,
)
from geo.georef.frame import convert

DATA = Path(__file__).parent / "data" / "georef"
UTM = "EPSG:32637"
T = Affine(0.8, 0.1, 252000.0, 0.05, -0.8, 3728600.0)
W, H = 1200, 900
# where the fixtures place their points (the 7th is disabled and misplaced)
FIXTURE_PIXELS = [(100, 80), (1100, 60), (600, 450), (150, 850), (1050, 820), (400, 300)]
SPREAD = [
    (100, 80),
    (1100, 60),
    (600, 450),
    (150, 850),
    (1050, 820),
    (400, 300),
    (900, 500),
    (250, 600),
    (700, 120),
    (1150, 400),
    (50, 450),
    (800, 880),
]


def to_lonlat(xs, ys, crs=UTM):
    lon, lat = convert(crs, "EPSG:4326", np.asarray(xs, float), np.asarray(ys, float))
    return lon, lat


def points_from(pixels, mapping=T, crs=UTM, shift=None):
    """Exact control points for `pixels` under `mapping` (Affine or callable (c, r) -> x, y);
    `shift` {index: (east, north)} moves some on the map, in metres."""
    cs = np.array([p[0] for p in pixels], float)
    rs = np.array([p[1] for p in pixels], float)
    xs, ys = mapping @ (cs, rs) if isinstance(mapping, Affine) else mapping(cs, rs)
    xs, ys = np.array(xs, float), np.array(ys, float)
    for index, (de, dn) in (shift or {}).items():
        xs[index] += de
        ys[index] += dn
    lons, lats = to_lonlat(xs, ys, crs)
    return [
        ControlPoint(float(c), float(r), float(lon), float(lat))
        for c, r, lon, lat in zip(cs, rs, lons, lats, strict=True)
    ]


def bent(cs, rs):
    """A picture bent by a second-order polynomial (an oblique view): T plus curvature."""
    x, y = T @ (cs, rs)
    return x + 2e-5 * cs**2 - 1e-5 * cs * rs, y + 1.5e-5 * rs**2 + 5e-6 * cs * rs


def picture(mode="RGB", fmt="PNG", size=(W, H), square=(300, 200), **save):
    """A picture with a white 9 by 9 square centred on pixel `square` (its centre at
    column + 0.5, row + 0.5), grey elsewhere with a gradient."""
    width, height = size
    grey = (np.add.outer(np.arange(height) // 8, np.arange(width) // 8) % 64 + 40).astype(np.uint8)
    grey[square[1] - 4 : square[1] + 5, square[0] - 4 : square[0] + 5] = 255
    image = Image.fromarray(grey, "L").convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def messages(excinfo) -> str:
    return "\n".join(str(p) for p in excinfo.value.problems)


# -- ControlPoint --------------------------------------------------------------------


def test_control_point_round_trips_through_its_dict():
    point = ControlPoint(
        12.5, 7.25, 36.3286, 33.665, False, "Analyst A", "2024-05-01T10:00:00+00:00"
    )
    assert ControlPoint.from_dict(point.to_dict()) == point
    assert ControlPoint.from_dict(json.loads(json.dumps(point.to_dict()))) == point
    assert ControlPoint.from_dict({"column": 1, "row": 2, "lon": 3, "lat": 4}).enabled is True


def test_control_point_refuses_every_bad_field_at_once():
    with pytest.raises(DataError) as excinfo:
        ControlPoint.from_dict(
            {"column": "12", "row": -1, "lon": 200.0, "lat": math.nan, "enabled": 1, "x": 0},
            file="points.json",
            record="#3",
        )
    text = messages(excinfo)
    assert "points.json: record #3: field x: unknown field" in text
    assert "field column: '12' is not a number" in text
    assert "field enabled: 1 is not true or false" in text
    with pytest.raises(DataError) as excinfo:
        ControlPoint(-1.0, 5.0, 200.0, math.nan, placed_at="2024-05-01 10:00")
    text = messages(excinfo)
    assert "field row" not in text
    assert "field column: -1 is outside 0 to 1e+06 pixels" in text
    assert "field lon: 200 is outside -180 to 180 degrees" in text
    assert "field lat: nan is not a finite number" in text
    assert "field placed_at: '2024-05-01 10:00' has no UTC offset" in text


# -- QGIS .points files --------------------------------------------------------------


def test_points_are_written_exactly_as_qgis_writes_them():
    text = write_points(
        [ControlPoint(812.5, 430.25, 36.3286, 33.665), ControlPoint(0, 0, -0.0, 10, False)],
        [(0.25, -0.5), (0.0, 0.0)],
    )
    lines = text.split("\n")
    assert lines[0].startswith('#CRS: GEOGCRS["WGS 84",ENSEMBLE["World Geodetic System 1984')
    assert lines[0].endswith('ID["EPSG",4326]]')
    assert lines[1] == "mapX,mapY,sourceX,sourceY,enable,dX,dY,residual"
    # qgsDoubleToString: 17 decimals, trailing zeros cut; sourceY is minus the row
    assert (
        lines[2]
        == "36.32860000000000156,33.66499999999999915,812.5,-430.25,1,0.25,-0.5,0.55901699437494745"
    )
    assert lines[3] == "0,10,0,0,0,0,0,0"  # -0 written as 0, as QGIS does
    assert lines[4:] == [""]  # one newline at the end


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (36.3286, "36.32860000000000156"),
        (1100.0, "1100"),
        (-0.0, "0"),
        (-450.0, "-450"),
        (0.5, "0.5"),
        (1e-05, "0.00001"),
        (1.2345678901234568e-05, "1.2345678901234568e-05"),
        (0.123456789, "0.123456789"),
    ],
)
def test_numbers_as_qgis_writes_them_or_shortest_when_that_would_lose_digits(value, text):
    assert qgis_number(value) == text
    assert float(text) == value


def test_a_qgis_file_in_wgs84_is_read():
    found = read_points((DATA / "saydnaya-4326.png.points").read_bytes())
    assert found.crs == "EPSG:4326"
    assert found.warnings == ()
    expected = points_from(FIXTURE_PIXELS)
    assert len(found.points) == 7
    for point, want in zip(found.points, expected, strict=False):
        assert (point.column, point.row) == (want.column, want.row)  # rows from negative sourceY
        assert point.lon == pytest.approx(want.lon, abs=1e-12)
        assert point.lat == pytest.approx(want.lat, abs=1e-12)
        assert point.enabled
    assert not found.points[6].enabled


def test_a_qgis_file_in_web_mercator_is_converted_to_lonlat():
    found = read_points((DATA / "saydnaya-3857.png.points").read_bytes(), file="p.points")
    assert found.crs == "EPSG:3857"
    for point, want in zip(found.points, points_from(FIXTURE_PIXELS), strict=False):
        assert point.lon == pytest.approx(want.lon, abs=1e-9)  # about 0.1 mm
        assert point.lat == pytest.approx(want.lat, abs=1e-9)
    result = fit(found.points, size=(W, H))
    assert result.rms_m < 1e-3
    assert result.residuals[6].used is False
    assert result.residuals[6].metres == pytest.approx(30 * math.sqrt(2) * 0.83, rel=0.05)


def test_a_file_without_crs_is_lonlat_with_a_warning_unless_the_caller_says():
    data = (DATA / "no-crs.points").read_bytes()  # QGIS 2's header, no #CRS line
    found = read_points(data)
    assert found.crs is None
    assert "no #CRS line" in found.warnings[0]
    assert [(p.column, p.row) for p in found.points] == FIXTURE_PIXELS
    mercator = (DATA / "saydnaya-3857.png.points").read_text(encoding="utf-8").split("\n", 1)[1]
    found = read_points(mercator, crs="EPSG:3857")
    assert found.crs == "EPSG:3857" and found.warnings == ()
    assert found.points[0].lon == pytest.approx(points_from(FIXTURE_PIXELS)[0].lon, abs=1e-9)
    with pytest.raises(DataError) as excinfo:
        read_points(mercator, file="m.points")  # metres taken as degrees
    assert "m.points: record #1: field mapX: longitude 4.04" in messages(excinfo)
    assert "the file has no #CRS line, so they were taken as degrees" in messages(excinfo)


def test_the_files_own_crs_wins_over_the_callers_with_a_warning():
    found = read_points((DATA / "saydnaya-4326.png.points").read_bytes(), crs="EPSG:3857")
    assert found.crs == "EPSG:4326"
    assert "the CRS given (EPSG:3857) was not used" in found.warnings[0]


def test_old_tab_separated_lines_are_read_like_qgis_does():
    found = read_points("#CRS: EPSG:4326\nmapX\tmapY\tpixelX\tpixelY\n36.33\t33.66\t10\t-20\n")
    assert found.points == (ControlPoint(10, 20, 36.33, 33.66),)


def test_every_bad_line_is_a_problem_with_its_line_and_field():
    text = "\n".join(
        [
            "#CRS: EPSG:4326",
            QGIS := "mapX,mapY,sourceX,sourceY,enable,dX,dY,residual",
            "36.33,33.66,10,-20,1,0,0,0",
            "36.33,north,10,-20,1,0,0,0",
            "36.33,33.66,10,20,1,0,0,0",
            "36.33,33.66,10,-20,yes,0,0,0",
            "36.33,33.66",
            "",
            "nan,1e999,-5,-20,1,0,0,0",
            "",
        ]
    )
    assert QGIS
    with pytest.raises(DataError) as excinfo:
        read_points(text, file="pic.jpg.points")
    found = [str(p) for p in excinfo.value.problems]
    assert found == [
        "pic.jpg.points: record #2: field mapY: 'north' is not a number (line 4)",
        "pic.jpg.points: record #3: field sourceY: 20 is positive: QGIS writes a picture's rows "
        "as negative numbers (sourceY = -row), so this point lies above the picture, or the "
        "points were placed on a picture that already had georeferencing (line 5)",
        "pic.jpg.points: record #4: field enable: 'yes': expected 1 (used) or 0 (not used) "
        "(line 6)",
        "pic.jpg.points: record #5: 2 fields where a point has at least 4 "
        "(mapX,mapY,sourceX,sourceY) (line 7)",
        "pic.jpg.points: record #6: field mapX: 'nan' is not a number (line 9)",
        "pic.jpg.points: record #6: field mapY: '1e999' is not a number (line 9)",
        "pic.jpg.points: record #6: field sourceX: -5 is left of the picture: a column is 0 or "
        "more (line 9)",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "holds no control points"),
        (b"#CRS: EPSG:4326\n", "holds no control points"),
        (b"\xff\xfe#\x00C\x00", "not UTF-8 text"),
        (b"#CRS: EPSG:4326\nmapX\n1,2,3,-4\x00\n", "U+0000"),
        (b"#CRS: EPSG:4326\n36.3,33.6,1,-1,1\n", "holds numbers where the header"),
        (b"#CRS: +proj=longlat\nh\n36.3,33.6,1,-1\n", "neither WKT"),
        (b"#CRS: GEOGCRS[broken\nh\n36.3,33.6,1,-1\n", "the CRS cannot be read"),
        (b"# a note\nh\n36.3,33.6,1,-1\n", "the only comment"),
        (b"#CRS: IAU_2015:49900\nh\n1,1,1,-1\n", "neither WKT"),
        (b"h\n" + b"1" * 2000 + b"\n", "over the limit of 1,000"),
    ],
)
def test_refused_files(data, message):
    with pytest.raises(DataError) as excinfo:
        read_points(data, file="f.points")
    assert message in str(excinfo.value)


def test_size_and_count_are_bounded_before_reading():
    with pytest.raises(DataError, match=r"over the limit of 100 for a \.points file"):
        read_points(b"h\n" + b"36.3,33.6,1,-1\n" * 10, limits=PointsLimits(max_bytes=100))
    with pytest.raises(DataError, match="more than 5 control points, the limit"):
        read_points("h\n" + "36.3,33.6,1,-1\n" * 6, limits=PointsLimits(max_points=5))
    with pytest.raises(DataError) as excinfo:
        read_points("h\n" + "x,33.6,1,-1\n" * 500, limits=PointsLimits(max_problems=10))
    assert len(excinfo.value.problems) == 11
    assert "more than 10 problems: reading stopped here" in str(excinfo.value.problems[-1])


coordinates = st.tuples(
    st.floats(0, 1e6, allow_nan=False),
    st.floats(0, 1e6, allow_nan=False),
    st.floats(-180, 180, allow_nan=False),
    st.floats(-90, 90, allow_nan=False),
    st.booleans(),
)


@given(st.lists(coordinates, min_size=1, max_size=20))
@settings(max_examples=150, deadline=None)
def test_write_then_read_is_lossless(rows):
    points = [ControlPoint(c, r, lon, lat, enabled) for c, r, lon, lat, enabled in rows]
    found = read_points(write_points(points).encode("utf-8"))
    assert found.points == tuple(points)
    assert found.crs == "EPSG:4326" and found.warnings == ()


pieces = st.sampled_from(
    [
        "#CRS: EPSG:4326",
        "#CRS: EPSG:3857",
        "#CRS: ",
        "#CRS: GEOGCRS[",
        "mapX,mapY",
        "\t",
        ",",
        "1",
        "-1",
        "0",
        "1e400",
        "nan",
        "36.3",
        "-33.6",
        "\r",
        " ",
        "\ufeff",
        "#",
        "é",
    ]
)
lines = st.lists(
    st.one_of(st.text(max_size=30), st.lists(pieces, max_size=10).map("".join)), max_size=8
).map("\n".join)


@given(st.one_of(lines, st.binary(max_size=200), st.text(max_size=200)))
@settings(max_examples=300, deadline=None)
def test_anything_read_raises_nothing_but_data_error(data):
    with contextlib.suppress(DataError):
        read_points(data)


# -- fits ----------------------------------------------------------------------------


def test_exact_points_recover_the_transform():
    result = fit(points_from(SPREAD), size=(W, H))
    assert result.crs == "EPSG:32637"
    assert result.method is Method.AFFINE
    assert result.affine().almost_equals(T, precision=1e-6)
    assert result.rms_m < 1e-6 and result.rms_px < 1e-6
    assert result.pixel_size_m == pytest.approx(math.sqrt(abs(T.determinant)))
    assert result.warnings == ()
    x, y = result.to_map([300.5], [200.5])
    assert (x[0], y[0]) == pytest.approx(T @ (300.5, 200.5), abs=1e-6)
    c, r = result.to_picture(x, y)
    assert (c[0], r[0]) == pytest.approx((300.5, 200.5), abs=1e-6)


def test_noise_on_one_point_gives_the_least_squares_residuals():
    noise = {4: (12.0, -9.0)}  # point #5 placed 15 m off on the map
    result = fit(points_from(SPREAD, shift=noise), size=(W, H))
    # predicted - placed = -(I - H) e, with H the hat matrix of [1, column, row]
    design = np.array([[1.0, c, r] for c, r in SPREAD])
    hat = design @ np.linalg.inv(design.T @ design) @ design.T
    error = np.zeros((len(SPREAD), 2))
    error[4] = noise[4]
    expected = -(np.eye(len(SPREAD)) - hat) @ error
    got = np.array([[r.east_m, r.north_m] for r in result.residuals])
    assert got == pytest.approx(expected, abs=1e-6)
    assert max(result.residuals, key=lambda r: r.metres).index == 4
    assert result.rms_m == pytest.approx(math.sqrt((expected**2).sum() / len(SPREAD)), rel=1e-9)
    # pixels: the inverse direction; for an affine fit, the metres through its inverse
    inverse = np.linalg.inv(
        np.array(
            [[result.forward_x[1], result.forward_x[2]], [result.forward_y[1], result.forward_y[2]]]
        )
    )
    pixels = -(inverse @ np.array([result.residuals[4].east_m, result.residuals[4].north_m]))
    assert (result.residuals[4].column_px, result.residuals[4].row_px) == pytest.approx(
        tuple(pixels), abs=1e-6
    )
    assert result.rms_px == pytest.approx(result.rms_m / result.pixel_size_m, rel=0.1)


def test_dropping_the_noisy_point_lowers_the_rms():
    result = fit(points_from(SPREAD, shift={4: (12.0, -9.0)}), size=(W, H))
    better = refit_without(result, 4)
    assert better.rms_m < 1e-6 < result.rms_m
    assert better.used == len(SPREAD) - 1
    dropped = better.residuals[4]
    assert dropped.used is False  # reported, not fitted: its whole error shows
    assert (dropped.east_m, dropped.north_m) == pytest.approx((-12.0, 9.0), abs=1e-6)
    linear = np.array([[T.a, T.b], [T.d, T.e]])
    pixels = np.linalg.inv(linear) @ np.array([12.0, -9.0])  # the map error, in pixels
    assert (dropped.column_px, dropped.row_px) == pytest.approx(tuple(pixels), abs=1e-6)
    assert better.points[4].enabled is False and result.points[4].enabled is True


def test_a_polynomial_fits_a_bent_picture_that_an_affine_cannot():
    points = points_from(SPREAD, mapping=bent)
    curved = fit(points, size=(W, H), method="polynomial")
    # the inverse of a quadratic is not quadratic: the inverse fit (map -> picture, the
    # pixel residuals) is close, not exact, as in GDAL
    assert curved.rms_m < 1e-6 and curved.rms_px < 0.1
    x, y = curved.to_map([700.0], [333.0])
    assert (x[0], y[0]) == pytest.approx(
        tuple(float(v[0]) for v in bent(np.array([700.0]), np.array([333.0]))), abs=1e-6
    )
    flat = fit(points, size=(W, H), method="affine")
    assert flat.rms_m > 1.0
    exact = fit(points_from(SPREAD[:6]), size=(W, H), method=Method.POLYNOMIAL)
    assert "6 points fit a polynomial transform exactly" in exact.warnings[0]


def test_exactly_three_points_and_a_corner_of_points_are_warned_about():
    three = fit(points_from([(100, 80), (1100, 60), (600, 850)]), size=(W, H))
    assert three.rms_m < 1e-6
    assert three.warnings[0].startswith("3 points fit an affine transform exactly")
    corner = fit(points_from([(10, 10), (200, 20), (30, 150), (180, 170)]), size=(W, H))
    assert any("the points span 3% of the picture" in w for w in corner.warnings)


def _swapped(points):
    return [ControlPoint(p.column, p.row, p.lat, p.lon) for p in points]


def _flipped(points):
    return [ControlPoint(p.column, H - p.row, p.lon, p.lat) for p in points]


def _shuffled(points):
    order = [3, 0, 5, 1, 4, 2, 7, 6, 9, 8, 11, 10]
    return [
        ControlPoint(p.column, p.row, points[k].lon, points[k].lat)
        for p, k in zip(points, order, strict=True)
    ]


def _circle(n):
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return [(600 + 400 * math.cos(a), 450 + 400 * math.sin(a)) for a in angles]


def _fold(cs, rs):
    x, y = T @ (cs, rs)
    return x + 0.002 * (cs - 600) ** 2, y


FAR = points_from(SPREAD)
FAR[2] = ControlPoint(600, 450, 36.33, 43.0)  # 43 for 33.66 N: a typo in the latitude
FIRST = points_from(SPREAD)[0]
ACROSS = [
    ControlPoint(c, r, lon, 10.0 + r / 1000)
    for (c, r), lon in zip(SPREAD[:4], (179.99, -179.99, 179.98, -179.98), strict=True)
]
STRETCHED = Affine(0.8, 0.0, 252000.0, 0.0, -16.0, 3728600.0)  # a pixel 20 times taller


@pytest.mark.parametrize(
    ("points", "method", "message"),
    [
        (
            points_from(SPREAD[:2]),
            "affine",
            "2 control points in use: an affine fit needs at least 3",
        ),
        (
            points_from(SPREAD[:5]),
            "polynomial",
            "5 control points in use: a polynomial fit needs at least 6",
        ),
        (
            [p.with_enabled(i > 9) for i, p in enumerate(points_from(SPREAD))],
            "affine",
            "2 control points in use (10 more are disabled)",
        ),
        (
            points_from([(100, 100), (500, 500), (800, 802), (300, 301)]),
            "affine",
            "the points lie (nearly) in a line on the picture",
        ),
        (
            [
                ControlPoint(c, r, p.lon, p.lat)
                for (c, r), p in zip(
                    SPREAD[:4],
                    points_from([(100, 100), (500, 500), (900, 901), (300, 300)]),
                    strict=True,
                )
            ],
            "affine",
            "the points lie (nearly) in a line on the map",
        ),
        (
            points_from([*SPREAD[:5], (100.2, 80.1)]),
            "affine",
            "points #1 and #6 are at the same place on the picture",
        ),
        (
            [*points_from(SPREAD[:5]), ControlPoint(700, 700, FIRST.lon, FIRST.lat)],
            "affine",
            "points #1 and #6 are at the same place on the map",
        ),
        (
            points_from([*SPREAD[:5], (1300, 100)]),
            "affine",
            "record #6: lies outside the picture: column 1300, row 100 on a picture of 1200 by 900",
        ),
        (_swapped(points_from(SPREAD)), "affine", "the fit shows the picture mirrored"),
        (_flipped(points_from(SPREAD)), "affine", "the fit shows the picture mirrored"),
        (
            _shuffled(points_from(SPREAD)),
            "affine",
            "is over 10% of the picture's diagonal on the ground",
        ),
        (
            points_from(SPREAD, mapping=STRETCHED),
            "affine",
            "the fit makes a pixel 20 times longer than it is wide",
        ),
        (ACROSS, "affine", "the points lie on both sides of the 180° meridian"),
        (FAR, "affine", "record #3: lies 950 km from the points' centre, past the 500 km"),
        (
            points_from(_circle(8)),
            "polynomial",
            "the points on the picture do not pin down a polynomial fit",
        ),
        (
            points_from(SPREAD, mapping=_fold),
            "polynomial",
            "the polynomial folds the picture over itself inside it",
        ),
    ],
)
def test_fits_that_would_mislead_are_refused(points, method, message):
    with pytest.raises(DataError) as excinfo:
        fit(points, size=(W, H), method=method)
    assert message in messages(excinfo)


positions = st.tuples(
    st.floats(0, W), st.floats(0, H), st.floats(-180, 180), st.floats(-90, 90), st.booleans()
)


@given(st.lists(positions, max_size=12), st.sampled_from(list(Method)))
@settings(max_examples=150, deadline=None)
def test_any_points_fit_or_are_refused_with_a_data_error(rows, method):
    points = [ControlPoint(*row) for row in rows]
    try:
        result = fit(points, size=(W, H), method=method)
    except DataError:
        return
    assert math.isfinite(result.rms_m) and math.isfinite(result.rms_px)
    assert len(result.residuals) == len(points)


@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=6, max_size=12))
@settings(max_examples=150, deadline=None)
def test_points_near_a_site_fit_or_are_refused_with_a_data_error(shifts):
    base = points_from(SPREAD)
    points = [
        ControlPoint(p.column, p.row, p.lon + dx * 1e-3, p.lat + dy * 1e-3)
        for p, (dx, dy) in zip(base, shifts, strict=False)
    ]
    for method in Method:
        try:
            result = fit(points, size=(W, H), method=method)
        except DataError:
            continue
        assert math.isfinite(result.rms_m) and math.isfinite(result.rms_px)


def test_points_near_a_circle_do_not_pin_down_a_polynomial():
    rng = np.random.default_rng(7)
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    radii = 400 * (1 + 0.0025 * rng.standard_normal(8))  # a click's error off the circle
    ring = [
        (600 + r * math.cos(a), 450 + r * math.sin(a)) for r, a in zip(radii, angles, strict=True)
    ]
    with pytest.raises(DataError, match=r"condition number [\d.e+]+, over 1,000"):
        fit(points_from(ring), size=(W, H), method="polynomial")
    assert fit(points_from(ring), size=(W, H)).rms_m < 1e-6  # an affine fit is fine


def test_a_disabled_point_typed_across_the_world_gets_no_residual_but_no_refusal(tmp_path, capsys):
    # 90° of longitude from UTM 37N's central meridian, on the equator: no place in the frame
    points = [*points_from(SPREAD), ControlPoint(500, 500, 129.0, 0.0, enabled=False)]
    result = fit(points, size=(W, H))
    assert result.rms_m < 1e-6
    assert math.isnan(result.residuals[-1].metres)
    with pytest.raises(DataError, match="record #13: its map position cannot be put in the fit"):
        fit([*points[:12], points[12].with_enabled(True)], size=(W, H))
    far = fit([*points[:12], ControlPoint(500, 500, -140.0, -40.0, enabled=False)], size=(W, H))
    assert far.residuals[-1].metres > 1e7  # far off, and so reported
    assert result.to_dict()["residuals"][-1]["metres"] is None
    json.dumps(result.to_dict(), allow_nan=False)
    tiff = georeferenced_tiff(picture(), result)
    memory, dataset = _open(tiff.data)
    with memory, dataset:
        kept = json.loads(dataset.tags()["GEOREF_POINTS"])
    assert kept[-1]["residual"] == {
        "used": False,
        **dict.fromkeys(("east_m", "north_m", "metres", "column_px", "row_px", "pixels")),
    }
    png = _case(tmp_path, write_points(points))
    assert main(["georef", str(png), "--out", str(tmp_path / "o.tif")]) == 0
    line = capsys.readouterr().out.splitlines()[13]  # the header, then the 13 points
    assert line.split()[-4:] == ["n/a", "n/a", "(not", "used)"]


def test_bad_arguments_are_data_errors():
    points = points_from(SPREAD)
    with pytest.raises(DataError, match="unknown method 'cubic'"):
        fit(points, size=(W, H), method="cubic")
    with pytest.raises(DataError, match="the picture's width 0 is not a picture's"):
        fit(points, size=(0, H))
    assert fit(points, size=(W, H), rules=FitRules(max_rms_share=0.5)).rms_m < 1e-6


def test_a_fit_is_kept_as_a_dict_and_its_points_as_a_qgis_file():
    result = fit(points_from(SPREAD, shift={4: (12.0, -9.0)}), size=(W, H))
    kept = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert kept["method"] == "affine" and kept["crs"] == "EPSG:32637"
    assert [ControlPoint.from_dict(p) for p in kept["points"]] == list(result.points)
    again = read_points(result.points_text())
    assert again.points == result.points
    assert fit(again.points, size=(W, H)).rms_m == pytest.approx(result.rms_m, rel=1e-9)
    row = result.points_text().split("\n")[6]
    dx, dy, length = (float(v) for v in row.split(",")[5:])
    assert (dx, dy) == pytest.approx((result.residuals[4].column_px, result.residuals[4].row_px))
    assert length == pytest.approx(result.residuals[4].pixels)


# -- GeoTIFFs ------------------------------------------------------------------------


def _open(data: bytes):
    memory = rasterio.MemoryFile(data)
    return memory, memory.open()


def test_an_affine_geotiff_keeps_the_pixels_and_puts_them_in_place():
    png = picture()
    result = fit(points_from(SPREAD), size=(W, H))
    tiff = georeferenced_tiff(png, result, date="2015-01")
    assert not tiff.resampled and (tiff.width, tiff.height) == (W, H)
    memory, dataset = _open(tiff.data)
    with memory, dataset:
        assert dataset.crs.to_epsg() == 32637
        assert dataset.transform.almost_equals(T, precision=1e-6)
        released = np.asarray(Image.open(io.BytesIO(png)))
        assert np.array_equal(np.moveaxis(dataset.read(), 0, 2), released)
        # the white square's centre, pixel (300, 200), at its lon/lat within a pixel
        x, y = dataset.xy(200, 300)  # the centre of row 200, column 300
        lon, lat = to_lonlat([x], [y])
        want_lon, want_lat = to_lonlat(*[[v] for v in T @ (300.5, 200.5)])
        assert _metres(lon[0], lat[0], want_lon[0], want_lat[0]) < 0.01
        tags = dataset.tags()
    assert tags["GEOREF_METHOD"] == "affine"
    assert tags["GEOREF_PICTURE_DATE"] == "2015-01"
    assert float(tags["GEOREF_RMS_M"]) < 1e-6
    assert len(json.loads(tags["GEOREF_POINTS"])) == len(SPREAD)
    assert read_points(tags["GEOREF_POINTS_QGIS"]).points == result.points
    assert tags["GEOREF_SOURCE_SHA256"] == hashlib.sha256(png).hexdigest()


def _metres(lon1, lat1, lon2, lat2):
    x, y = convert("EPSG:4326", UTM, np.array([lon1, lon2]), np.array([lat1, lat2]))
    return float(math.hypot(x[1] - x[0], y[1] - y[0]))


def test_a_polynomial_geotiff_is_warped_and_puts_a_known_pixel_in_place():
    result = fit(points_from(SPREAD, mapping=bent), size=(W, H), method="polynomial")
    tiff = georeferenced_tiff(picture(), result)
    assert tiff.resampled
    memory, dataset = _open(tiff.data)
    with memory, dataset:
        bands = dataset.read()
        assert dataset.count == 4 and dataset.transform.e < 0 and dataset.transform.b == 0
        alpha = bands[3]
        assert alpha[0, 0] == 0 and alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] == 255
        white = (bands[0] > 250) & (alpha == 255)
        rows, cols = np.nonzero(white)
        x, y = dataset.transform @ (cols.mean() + 0.5, rows.mean() + 0.5)
        size = abs(dataset.transform.a)
        assert dataset.tags()["GEOREF_METHOD"] == "polynomial"
    want = bent(np.array([300.5]), np.array([200.5]))
    assert math.hypot(x - want[0][0], y - want[1][0]) < size  # within one pixel


@pytest.mark.parametrize(
    ("mode", "fmt", "count", "alpha"),
    [
        ("L", "PNG", 1, False),
        ("RGBA", "PNG", 4, True),
        ("P", "PNG", 3, False),
        ("RGB", "JPEG", 3, False),
        ("CMYK", "JPEG", 3, False),
    ],
)
def test_picture_modes(mode, fmt, count, alpha):
    result = fit(points_from(SPREAD), size=(W, H))
    tiff = georeferenced_tiff(picture(mode, fmt), result)
    memory, dataset = _open(tiff.data)
    with memory, dataset:
        assert dataset.count == count
        assert (dataset.colorinterp[-1].name == "alpha") is alpha


def test_a_16_bit_picture_keeps_its_depth_and_gets_an_opaque_alpha_when_warped():
    depth = (np.arange(W * H, dtype=np.uint32).reshape(H, W) % 60_000 + 10).astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(depth).save(buffer, "PNG")
    result = fit(points_from(SPREAD), size=(W, H), method="polynomial")
    memory, dataset = _open(georeferenced_tiff(buffer.getvalue(), result).data)
    with memory, dataset:
        assert dataset.dtypes == ("uint16", "uint16")
        alpha = dataset.read(2)
        assert set(np.unique(alpha)) == {0, 65535}


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_pictures_are_refused_before_they_are_decoded():
    with pytest.raises(DataError, match=r"too many pixels to decode \(Pillow's decompression-bomb"):
        picture_size(_png_header_only(30_000, 30_000), file="huge.png")
    with pytest.raises(
        DataError,
        match="12,000 by 12,000 pixels, over the limit of 20,000 a side and 100,000,000 in all",
    ):
        picture_size(_png_header_only(12_000, 12_000), file="huge.png")
    with pytest.raises(DataError, match="25,000 by 100 pixels, over the limit of 20,000 a side"):
        picture_size(_png_header_only(25_000, 100), file="wide.png")
    with pytest.raises(DataError, match="over the limit of 100 a side"):
        picture_size(
            picture(size=(120, 90), square=(50, 50)),
            file="p.png",
            limits=PictureLimits(max_side=100),
        )
    with pytest.raises(DataError, match="not a JPEG or PNG picture"):
        picture_size(b"GIF89a" + bytes(100), file="p.gif")
    with pytest.raises(DataError, match="over the limit of 10"):
        picture_size(picture(), file="p.png", limits=PictureLimits(max_bytes=10))
    assert picture_size(picture(), file="p.png") == (W, H)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_picture_cut_short_is_refused_when_shown_not_raised(fmt):
    # The page showed an OSError box for a released picture cut short: its header reads
    # (so its size is known) but its pixels do not.
    whole = picture(fmt=fmt)
    cut = whole[: len(whole) // 2]
    assert picture_size(cut, file="cut") == (W, H)
    with pytest.raises(DataError, match="cut: the picture cannot be decoded"):
        picture_rgb(cut, file="cut")
    shown = picture_rgb(whole, file="whole")
    assert shown.mode == "RGB" and shown.size == (W, H)


SMALL = (64, 48)
SMALL_PICTURES = [
    picture(mode, fmt, size=SMALL, square=(20, 20))
    for mode, fmt in (("RGB", "JPEG"), ("RGB", "PNG"), ("P", "PNG"), ("RGBA", "PNG"))
]
edits = st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(0, 255), st.integers(0, 2)), max_size=6
)


@given(st.sampled_from(SMALL_PICTURES), edits)
@settings(max_examples=150, deadline=None)
def test_a_damaged_picture_raises_nothing_but_data_error(data, changes):
    damaged = bytearray(data)
    for at, value, how in changes:
        if not damaged:  # cut to nothing: no byte left to change
            break
        at %= len(damaged)
        if how == 0:
            damaged[at] = value
        elif how == 1:
            del damaged[at : at + value]
        else:
            damaged[at:at] = bytes([value]) * 7
    pixels = [(5, 5), (60, 4), (30, 40), (10, 44), (55, 45), (33, 20)]
    with contextlib.suppress(DataError):
        picture_rgb(bytes(damaged), file="damaged")
    with contextlib.suppress(DataError):
        picture_size(bytes(damaged), file="damaged")
        georeferenced_tiff(bytes(damaged), fit(points_from(pixels), size=SMALL))


def test_a_picture_that_is_not_the_fitted_one_or_a_bad_date_is_refused():
    result = fit(points_from(SPREAD), size=(W, H))
    with pytest.raises(DataError, match="the fit was made for one of 1200 by 900"):
        georeferenced_tiff(picture(size=(800, 600)), result, file="other.png")
    with pytest.raises(DataError, match="field date"):
        georeferenced_tiff(picture(), result, date="last spring")
    truncated = picture("RGB", "JPEG")[:5000]
    with pytest.raises(DataError, match="cannot be decoded"):
        georeferenced_tiff(truncated, result, file="cut.jpg")


def test_an_exif_orientation_is_warned_about():
    exif = Image.Exif()
    exif[0x0112] = 6
    tiff = georeferenced_tiff(
        picture("RGB", "JPEG", exif=exif), fit(points_from(SPREAD), size=(W, H))
    )
    assert "EXIF orientation (6)" in tiff.warnings[0]


# -- the command line ----------------------------------------------------------------


def _case(tmp_path: Path, points: str) -> Path:
    png = tmp_path / "released.png"
    png.write_bytes(picture())
    (tmp_path / "released.png.points").write_text(points, encoding="utf-8")
    return png


def test_cli_prints_the_residuals_and_writes_the_geotiff(tmp_path, capsys):
    text = (DATA / "saydnaya-3857.png.points").read_text(encoding="utf-8")
    png = _case(tmp_path, text)
    out = tmp_path / "released.tif"
    assert main(["georef", str(png), "--out", str(out), "--date", "2015-01"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == ["point", "column", "row", "lon", "lat", "m", "px"]
    assert lines[1].split()[:3] == ["#1", "100.00", "80.00"]
    assert lines[7].endswith("(not used)")
    assert lines[8].startswith(
        "RMS error: 0.00 m, 0.00 pixels, over 6 of 7 points (affine fit "
        "in EPSG:32637; a pixel is 0.80 m on the ground)"
    )
    assert f"wrote {out}: 1200 by 900 pixels in EPSG:32637" in captured.err
    with rasterio.open(out) as dataset:
        assert dataset.crs.to_epsg() == 32637
        assert dataset.tags()["GEOREF_PICTURE_DATE"] == "2015-01"


def test_cli_polynomial_and_an_explicit_points_file(tmp_path, capsys):
    points = write_points(points_from(SPREAD, mapping=bent))
    png = _case(tmp_path, "")
    (tmp_path / "mine.points").write_text(points, encoding="utf-8")
    out = tmp_path / "warped.tif"
    args = ["georef", str(png), "--points", str(tmp_path / "mine.points"), "--out", str(out)]
    assert main([*args, "--method", "polynomial"]) == 0
    assert "polynomial fit" in capsys.readouterr().out
    assert main(args) == 0  # an affine fit of a bent picture: it fits, with a larger RMS
    assert float(capsys.readouterr().out.split("RMS error: ")[1].split()[0]) > 1


@pytest.mark.parametrize(
    ("points", "extra", "message"),
    [
        (
            "#CRS: EPSG:4326\nh\n36.3,33.6,10,-20,1\n36.3,north,10,-20,1\n",
            [],
            "record #2: field mapY: 'north' is not a number (line 4)",
        ),
        (
            write_points(points_from(SPREAD[:4])),
            ["--method", "polynomial"],
            "4 control points in use: a polynomial fit needs at least 6",
        ),
        (write_points(_swapped(points_from(SPREAD))), [], "the fit shows the picture mirrored"),
    ],
)
def test_cli_refuses_bad_input_with_the_problems(tmp_path, capsys, points, extra, message):
    png = _case(tmp_path, points)
    out = tmp_path / "out.tif"
    assert main(["georef", str(png), "--out", str(out), *extra]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_cli_refuses_to_overwrite_the_picture_and_a_bad_date(tmp_path, capsys):
    png = _case(tmp_path, write_points(points_from(SPREAD)))
    assert main(["georef", str(png), "--out", str(png)]) == 1
    assert "--out would overwrite the picture" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["georef", str(png), "--out", str(tmp_path / "o.tif"), "--date", "spring"])
    assert exit_info.value.code == 2
    assert main(["georef", str(tmp_path / "missing.png"), "--out", str(tmp_path / "o.tif")]) == 1
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("click", "shown", "size", "expected"),
    [
        ((0, 0), (100, 50), (100, 50), (0.5, 0.5)),  # the centre of the top-left pixel
        ((0, 0), (100, 50), (1000, 500), (5.0, 5.0)),  # a screen pixel is ten of the picture's
        ((99, 49), (100, 50), (1000, 500), (995.0, 495.0)),
        ((120, -3), (100, 50), (1000, 500), (1000.0, 0.0)),  # a click past the edge stays on it
    ],
)
def test_a_click_on_the_drawn_picture_is_a_picture_position(click, shown, size, expected):
    from geo.georef.points import clicked_pixel

    assert clicked_pixel(*click, shown=shown, size=size) == pytest.approx(expected)


def test_a_picture_drawn_with_no_size_has_no_position():
    from geo.georef.points import clicked_pixel

    with pytest.raises(ValueError, match="no size"):
        clicked_pixel(1, 1, shown=(0, 10), size=(100, 100))
