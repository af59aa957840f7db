import math

import pytest
import shapely
from shapely.geometry import shape

from geo.measure import circle_polygon, measure


def test_one_degree_square_at_the_equator():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    result = measure(square)
    assert result.area_m2 == pytest.approx(12_308_778_361, rel=1e-6)
    assert result.length_m == pytest.approx(443_770.9, rel=1e-6)


def test_holes_are_subtracted():
    outer = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    hole = [[0.25, 0.25], [0.25, 0.75], [0.75, 0.75], [0.75, 0.25], [0.25, 0.25]]
    whole = measure({"type": "Polygon", "coordinates": [outer]}).area_m2
    holed = measure({"type": "Polygon", "coordinates": [outer, hole]}).area_m2
    assert holed == pytest.approx(whole * 0.75, rel=2e-3)


def test_line_length_saydnaya_to_damascus():
    line = {"type": "LineString", "coordinates": [[36.32861, 33.665], [36.29128, 33.5102]]}
    assert measure(line).length_m == pytest.approx(17_500, rel=0.01)
    assert measure(line).area_m2 is None


def test_point_has_no_measure():
    assert measure({"type": "Point", "coordinates": [36.3, 33.6]}).describe() == "a point"


def test_circle_polygon_is_a_valid_ccw_ring_of_the_right_area():
    circle = circle_polygon(36.32861, 33.665, 700)
    polygon = shape(circle)
    assert polygon.is_valid
    assert shapely.is_ccw(polygon.exterior)
    assert measure(circle).area_m2 == pytest.approx(math.pi * 700**2, rel=0.005)
