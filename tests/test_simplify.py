import math

import pytest
import shapely
from shapely.geometry import shape

from geo.geojson import vertex_count
from geo.simplify import (
    LAYER_VERTEX_BUDGET,
    LEAST_VERTICES,
    METRES_PER_DEGREE,
    MOST_VERTICES,
    for_drawing,
    vertex_budget,
)


def circle(vertices: int, radius: float = 0.5) -> dict:
    ring = [
        [
            36.3 + radius * math.cos(2 * math.pi * i / vertices),
            33.6 + radius * math.sin(2 * math.pi * i / vertices),
        ]
        for i in range(vertices)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        ({"type": "Point", "coordinates": [1, 2]}, 1),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1], [2, 0]]}, 3),
        (circle(10), 11),
        ({"type": "MultiPoint", "coordinates": [[0, 0], [1, 1]]}, 2),
        (
            {
                "type": "GeometryCollection",
                "geometries": [{"type": "Point", "coordinates": [0, 0]}, circle(4)],
            },
            6,
        ),
        ({"type": "Polygon", "coordinates": "damaged"}, 0),
        ({"type": "Spaceship"}, 0),
    ],
)
def test_vertex_count(geometry, expected):
    assert vertex_count(geometry) == expected


@pytest.mark.parametrize(
    ("shapes", "expected"),
    [
        (0, MOST_VERTICES),
        (1, MOST_VERTICES),
        (LAYER_VERTEX_BUDGET // 1000, 1000),
        (10**7, LEAST_VERTICES),
    ],
)
def test_a_layer_shares_its_vertex_budget(shapes, expected):
    assert vertex_budget(shapes) == expected


def test_a_shape_within_budget_is_drawn_as_it_is():
    geometry = circle(100)
    drawing = for_drawing(geometry)
    assert drawing.geometry is geometry
    assert not drawing.simplified and drawing.note() is None


@pytest.mark.parametrize("budget", [LEAST_VERTICES, 1000, MOST_VERTICES])
def test_a_detailed_shape_is_drawn_within_budget_and_says_how_close(budget):
    geometry = circle(100_000)
    drawing = for_drawing(geometry, budget)
    assert drawing.simplified and drawing.drawn_vertices <= budget
    drawn = shape(drawing.geometry)
    assert drawn.is_valid and drawn.geom_type == "Polygon"
    # the drawing strays no further from the record than the label says
    stray = shapely.hausdorff_distance(drawn, shape(geometry)) * METRES_PER_DEGREE
    assert stray <= drawing.tolerance_m
    note = drawing.note()
    assert note is not None and f"of {100_001:,} vertices" in note and "within about" in note


def test_a_long_line_keeps_its_ends():
    line = {
        "type": "LineString",
        "coordinates": [[i * 1e-4, math.sin(i / 50) * 0.01] for i in range(20_000)],
    }
    drawing = for_drawing(line, 1000)
    coords = drawing.geometry["coordinates"]
    assert len(coords) <= 1000
    assert coords[0] == pytest.approx(line["coordinates"][0])
    assert coords[-1] == pytest.approx(line["coordinates"][-1])
