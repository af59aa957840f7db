"""Geodesic measurements on the WGS84 ellipsoid (geographiclib, which geopy uses).

Lengths and areas of drawn shapes are computed on the ellipsoid, not in a map
projection: a Web Mercator area at Saydnaya's latitude would be about 45 % too
large.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geographiclib.geodesic import Geodesic

_WGS84 = Geodesic.WGS84
CIRCLE_SEGMENTS = 64


@dataclass(frozen=True)
class Measurement:
    length_m: float | None = None  # of a line, or the perimeter of an area
    area_m2: float | None = None

    def describe(self) -> str:
        parts = []
        if self.area_m2 is not None:
            parts.append(f"area {self.area_m2 / 10_000:,.2f} ha ({self.area_m2:,.0f} m²)")
        if self.length_m is not None:
            label = "perimeter" if self.area_m2 is not None else "length"
            parts.append(f"{label} {self.length_m:,.0f} m")
        return ", ".join(parts) or "a point"


def _line_length(positions: list[list[float]]) -> float:
    line = _WGS84.Polygon(polyline=True)
    for lon, lat, *_ in positions:
        line.AddPoint(lat, lon)
    return float(line.Compute()[1])


def _ring_area_perimeter(ring: list[list[float]]) -> tuple[float, float]:
    polygon = _WGS84.Polygon()
    # the closing position repeats the first: geographiclib closes rings itself
    for lon, lat, *_ in ring[:-1]:
        polygon.AddPoint(lat, lon)
    # sign=True: a clockwise ring gives a negative area, not the rest of the globe
    _, perimeter, area = polygon.Compute(reverse=False, sign=True)
    return float(abs(area)), float(perimeter)


def _polygon(rings: list[list[list[float]]]) -> tuple[float, float]:
    outer_area, perimeter = _ring_area_perimeter(rings[0])
    holes = sum(_ring_area_perimeter(ring)[0] for ring in rings[1:])
    return outer_area - holes, perimeter


def measure(geometry: dict[str, Any]) -> Measurement:
    """Geodesic length and area of a GeoJSON geometry (holes subtracted)."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind in ("Point", "MultiPoint"):
        return Measurement()
    if kind == "LineString":
        return Measurement(length_m=_line_length(coords))
    if kind == "MultiLineString":
        return Measurement(length_m=sum(_line_length(line) for line in coords))
    polygons = [coords] if kind == "Polygon" else coords
    areas, perimeters = zip(*(_polygon(p) for p in polygons), strict=True)
    return Measurement(length_m=sum(perimeters), area_m2=sum(areas))


def circle_polygon(lon: float, lat: float, radius_m: float) -> dict[str, Any]:
    """A circle on the ellipsoid as a counter-clockwise GeoJSON Polygon.

    GeoJSON has no circle: a drawn circle is kept as its centre and radius and
    exported as this polygon.
    """
    ring = []
    for step in range(CIRCLE_SEGMENTS):
        # azimuths run clockwise from north; walk them backwards for a CCW ring
        azimuth = -360.0 * step / CIRCLE_SEGMENTS
        point = _WGS84.Direct(lat, lon, azimuth, radius_m)
        ring.append([round(point["lon2"], 7), round(point["lat2"], 7)])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}
