"""Geometries that are only invalid, repaired with shapely's make_valid on request."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import mapping, shape


def repairable_reason(geometry: dict[str, Any], problems: list[str]) -> str | None:
    """The validity reason when shapely's validity is the only thing wrong, else None.

    `geometry_problems` checks structure first and validity last, with the
    message "invalid <type>: <reason>"; only that problem can be repaired.
    """
    if len(problems) != 1 or not problems[0].startswith(f"invalid {geometry.get('type')}: "):
        return None
    try:
        geom = shape(geometry)
    except (KeyError, ValueError, TypeError, shapely.errors.ShapelyError):
        return None
    if geom.is_valid:
        return None
    reason = str(shapely.is_valid_reason(geom))
    return reason if problems[0] == f"invalid {geometry.get('type')}: {reason}" else None


def make_valid_one(geometry: dict[str, Any]) -> dict[str, Any] | None:
    """A valid geometry of one type covering the same points, or None if there is none."""
    geom = shape(geometry)
    # "structure" keeps a polygon a polygon (no stray lines from collapsed parts).
    method = "structure" if geometry["type"] in ("Polygon", "MultiPolygon") else "linework"
    kwargs = {"keep_collapsed": False} if method == "structure" else {}
    fixed = shapely.make_valid(geom, method=method, **kwargs)
    parts = [part for part in shapely.get_parts(fixed) if not part.is_empty]
    if not parts:
        return None
    kinds = {part.geom_type for part in parts}
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    if len(parts) == 1:
        result = parts[0]
    elif kind == "Point":
        result = shapely.multipoints(parts)
    elif kind == "LineString":
        result = shapely.multilinestrings(parts)
    else:
        result = shapely.multipolygons(parts)
    return shapely_to_geojson(result) if result.is_valid else None


def _as_plain(value: Any) -> Any:
    """Tuples as lists, as a GeoJSON parser would give them."""
    if isinstance(value, (list, tuple)):
        return [_as_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_plain(item) for key, item in value.items()}
    return value


def shapely_to_geojson(geom: Any) -> dict[str, Any]:
    return {key: _as_plain(value) for key, value in mapping(geom).items()}
