"""Geometry as the map draws it: shapes too detailed to send whole are simplified.

A polygon of a million vertices is tens of megabytes of map script on every
rerun. The map draws a simplified copy (Douglas-Peucker, topology kept) and says
so in the record's label, with how far the drawing may stray from the record; the
store, the record panel and every export keep the original.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape

from geo.geojson import vertex_count

# The vertices one layer may send to the map, shared among its lines and areas,
# and the most and least one shape gets: enough that a simplified outline stays
# faithful at the zoom a shape of that size is looked at.
LAYER_VERTEX_BUDGET = 200_000
MOST_VERTICES = 5_000
LEAST_VERTICES = 200

METRES_PER_DEGREE = 111_320.0  # along a meridian; a degree of longitude is never longer


@dataclass(frozen=True)
class Drawing:
    """What the map draws for one record, and how it differs from the record."""

    geometry: dict[str, Any]
    vertices: int  # in the record
    drawn_vertices: int
    tolerance_m: float = 0.0  # the drawing strays at most this far from the record

    @property
    def simplified(self) -> bool:
        return self.drawn_vertices < self.vertices

    def note(self) -> str | None:
        """The label's line for a simplified drawing, or None."""
        if not self.simplified:
            return None
        return (
            f"drawn simplified: {self.drawn_vertices:,} of {self.vertices:,} vertices, "
            f"within about {_metres(self.tolerance_m)}"
        )


def vertex_budget(shapes: int) -> int:
    """The vertices each of a layer's `shapes` lines and areas may send to the map."""
    share = LAYER_VERTEX_BUDGET // max(shapes, 1)
    return max(LEAST_VERTICES, min(MOST_VERTICES, share))


def for_drawing(geometry: dict[str, Any], budget: int = MOST_VERTICES) -> Drawing:
    """`geometry` as the map draws it: itself if within `budget` vertices, else simplified
    with the smallest tolerance (doubling from about a metre) that brings it within."""
    vertices = vertex_count(geometry)
    if vertices <= budget:
        return Drawing(geometry, vertices, vertices)
    original = shape(geometry)
    # Start well below the spacing of `budget` vertices evenly along the outline.
    tolerance = max(original.length / budget / 64, 1e-7)
    while True:
        drawn = shapely.simplify(original, tolerance, preserve_topology=True)
        count = int(shapely.get_num_coordinates(drawn))
        if count <= budget or tolerance > 360:
            break
        tolerance *= 2
    drawn_geometry = json.loads(shapely.to_geojson(drawn))
    return Drawing(drawn_geometry, vertices, count, tolerance * METRES_PER_DEGREE)


def _metres(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:,.1f} km"
    return f"{math.ceil(value):,} m"
