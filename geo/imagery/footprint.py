"""Where an image lies on Earth: its outline in longitude and latitude (RFC 7946).

The outline is the edge of the pixel grid, taken through the image's transform
into its coordinate system and from there, by GDAL (the engine that warps the
tiles), to WGS84. Each side is cut into `EDGE_STEPS` segments first: a side
that is straight in UTM or a polar projection is curved in longitude and
latitude, and four corners alone would draw it straight.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from affine import Affine
from rasterio.warp import transform as warp_transform

from geo.errors import DataError, Problem
from geo.geojson import (
    crosses_antimeridian,
    cut_at_antimeridian,
    geometry_problems,
    normalise_geometry,
)

# Segments along each side of the outline. A side of a 400 km UTM image bends from its
# chord by less than a metre between 16 points; 65 positions are nothing to draw.
EDGE_STEPS = 16

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Footprint:
    """An image's outline as a GeoJSON geometry, and its bounds (west, south, east,
    north) in degrees. The geometry is a Polygon, counter-clockwise, or a MultiPolygon
    when the image crosses the antimeridian, cut there (RFC 7946 §3.1.9); the bounds
    then have west > east (§5.2)."""

    geometry: dict[str, Any]
    bounds: tuple[float, float, float, float]


def crs_text(crs: Any) -> str:
    """A rasterio CRS as people write it: "EPSG:32637", else its WKT."""
    authority = crs.to_authority()
    if authority:
        return f"{authority[0]}:{authority[1]}"
    return str(crs.to_wkt())


_WKT_NAME = re.compile(r'^\s*[A-Za-z_]+\s*\[\s*"([^"]*)"')


def crs_name(crs: Any) -> str:
    """The name a CRS gives itself ("WGS 84 / UTM zone 37N"), for messages."""
    match = _WKT_NAME.match(str(crs.to_wkt()))
    return match.group(1) if match else crs_text(crs)


def pixel_outline(width: int, height: int, steps: int = EDGE_STEPS) -> np.ndarray:
    """The edge of a width × height pixel grid as (column, row) positions, closed: along
    the top from the top-left corner, down the right side, back along the bottom and up
    the left side. The four corners are positions 0, steps, 2·steps and 3·steps."""
    along = np.linspace(0.0, 1.0, steps + 1)[:-1]
    w, h = float(width), float(height)
    top = np.column_stack([along * w, np.zeros(steps)])
    right = np.column_stack([np.full(steps, w), along * h])
    bottom = np.column_stack([w - along * w, np.full(steps, h)])
    left = np.column_stack([np.zeros(steps), h - along * h])
    ring = np.vstack([top, right, bottom, left])
    return np.vstack([ring, ring[:1]])


def apply(transform: Affine, cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions (column, row) taken by `transform` into its coordinate system."""
    a, b, c, d, e, f = tuple(transform)[:6]
    return a * cols + b * rows + c, d * cols + e * rows + f


def to_lonlat(crs: Any, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in `crs` as (longitudes, latitudes) in WGS84, by GDAL; ValueError saying
    why when GDAL knows no way to convert them."""
    try:
        lons, lats = warp_transform(crs, WGS84, xs.tolist(), ys.tolist())
    # GDAL's own errors (CPLE_*: "Cannot find coordinate operations") derive from
    # Exception alone, in a private module of rasterio's; CRSError is a ValueError.
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        # PROJ quotes both systems as PROJJSON, hundreds of characters each.
        reason = re.sub(r"'\{.*?\}'", "it", reason)
        raise ValueError(reason) from exc
    return np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)


def _unwrapped(lons: np.ndarray) -> np.ndarray:
    """Longitudes made continuous along the ring (170, -170 becomes 170, 190)."""
    steps = np.diff(lons)
    turns = np.where(steps > 180, -1, np.where(steps < -180, 1, 0))
    return np.concatenate([lons[:1], lons[1:] + 360 * np.cumsum(turns)])


def _wrap(lon: float) -> float:
    return lon if -180 <= lon <= 180 else (lon + 180) % 360 - 180


def footprint_of(transform: Affine, width: int, height: int, crs: Any, *, file: str) -> Footprint:
    """The outline of an image placed by `transform` (pixel -> `crs`); `DataError` when it
    cannot be placed on Earth: a CRS GDAL cannot convert, corners it cannot place,
    positions outside -180..180 / -90..90, or an outline with no area."""

    def refuse(message: str) -> DataError:
        return DataError(Problem(message, file=file))

    cols, rows = pixel_outline(width, height).T
    xs, ys = apply(transform, cols, rows)
    try:
        lons, lats = to_lonlat(crs, xs, ys)
    except ValueError as exc:
        raise refuse(
            f"its coordinate system ({crs_name(crs)}) cannot be converted to longitude and "
            f"latitude by GDAL ({exc}): give the image in a common system such as a UTM "
            "zone or EPSG:4326"
        ) from exc
    if not (np.isfinite(lons).all() and np.isfinite(lats).all()):
        raise refuse(
            f"parts of its outline cannot be placed on Earth in its coordinate system "
            f"({crs_name(crs)}): its transform or its coordinate system is wrong"
        )
    outside = []
    if lons.min() < -180 or lons.max() > 180:
        outside.append(
            f"longitudes {lons.min():.6g} to {lons.max():.6g} (they run from -180 to 180)"
        )
    if lats.min() < -90 or lats.max() > 90:
        outside.append(f"latitudes {lats.min():.6g} to {lats.max():.6g} (-90 to 90)")
    if outside:
        raise refuse(
            f"its outline reaches {' and '.join(outside)}: its transform or its coordinate "
            "system is wrong"
        )
    ring = np.column_stack([lons, lats]).tolist()
    ring[-1] = ring[0]  # closed exactly, whatever the arithmetic did
    geometry: dict[str, Any] = {"type": "Polygon", "coordinates": [ring]}
    unwrapped = _unwrapped(lons)
    if crosses_antimeridian(geometry):
        try:
            geometry = cut_at_antimeridian(geometry)
        except ValueError as exc:
            raise refuse(f"its outline crosses the antimeridian and cannot be cut: {exc}") from exc
    geometry = normalise_geometry(geometry)
    problems = geometry_problems(geometry)
    if problems:
        raise refuse(f"its outline is not a valid polygon: {'; '.join(problems)}")
    west, east = float(unwrapped.min()), float(unwrapped.max())
    bounds = (_wrap(west), float(lats.min()), _wrap(east), float(lats.max()))
    if not math.isfinite(sum(bounds)):
        raise refuse("its outline cannot be placed on Earth")
    return Footprint(geometry=geometry, bounds=bounds)
