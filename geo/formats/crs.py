"""The ``crs`` member of a GeoJSON file (GeoJSON 2008), as GDAL and geopandas write it.

RFC 7946 removed ``crs``: coordinates are WGS84 longitude, latitude. GDAL's
GeoJSON writer still puts one in by default (``to_file`` in geopandas), naming
plain WGS84 (``urn:ogc:def:crs:OGC:1.3:CRS84``); a file in another system names
it the same way (``urn:ogc:def:crs:EPSG::3857``). A name of WGS84
longitude/latitude is accepted as it is. ``EPSG:4326`` officially orders its
axes latitude, longitude, but GDAL writes and reads GeoJSON in longitude,
latitude order whatever the CRS says, and so does this reader. Any other
system that names an authority and a code PROJ knows is transformed to WGS84
with pyproj (axes in GDAL's order: easting or longitude first); anything else
is refused, since guessing would put the evidence in the wrong place.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from geo.errors import DataError
from geo.geojson import COORDINATE_DEPTH

WGS84_NAMES = frozenset(
    {
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "urn:ogc:def:crs:epsg::4326",
        "urn:ogc:def:crs:epsg:6.6:4326",
        "epsg:4326",
        "crs84",
        "ogc:crs84",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
        "http://www.opengis.net/def/crs/epsg/0/4326",
        "https://www.opengis.net/def/crs/ogc/1.3/crs84",
        "https://www.opengis.net/def/crs/epsg/0/4326",
    }
)
# An authority and a code, in the three ways GeoJSON files write them.
_AUTHORITY_CODE = (
    re.compile(r"(?P<authority>[A-Za-z]+):(?P<code>[0-9A-Za-z_]+)"),
    re.compile(r"urn:ogc:def:crs:(?P<authority>[A-Za-z]+):[0-9.]*:(?P<code>[0-9A-Za-z_]+)"),
    re.compile(
        r"https?://www\.opengis\.net/def/crs/(?P<authority>[A-Za-z]+)/[0-9.]+/"
        r"(?P<code>[0-9A-Za-z_]+)"
    ),
)
_ASK = (
    "convert the file to WGS84 longitude/latitude (GDAL: ogr2ogr -t_srs EPSG:4326 "
    "out.geojson in.geojson; QGIS: Export > Save Features As, CRS EPSG:4326)"
)

_NAMED = '{"type": "name", "properties": {"name": ...}}'

Transform = Callable[[list[float], list[float]], tuple[list[float], list[float]]]


@dataclass(frozen=True)
class DeclaredCrs:
    """What a ``crs`` member declares: its name as written, and the transformation to
    WGS84 longitude/latitude (None when the coordinates already are)."""

    name: str
    described: str  # as PROJ names it: "WGS 84 / Pseudo-Mercator (EPSG:3857)"
    transform: Transform | None


def crs_name(member: Any) -> str:
    """The name a ``crs`` member gives (``{"type": "name", "properties": {"name": ...}}``),
    or a `DataError` saying why it cannot be read."""
    if not isinstance(member, dict):
        raise DataError(f"'crs' must be an object such as {_NAMED}; {_ASK}")
    kind = member.get("type")
    properties = member.get("properties")
    if kind == "link" or kind in ("EPSG", "OGC"):
        raise DataError(
            f"a 'crs' of type {kind!r} is not read (no link is followed): name the system "
            'instead, such as {"type": "name", "properties": {"name": '
            '"urn:ogc:def:crs:EPSG::3857"}}, or ' + _ASK
        )
    if kind != "name" or not isinstance(properties, dict):
        raise DataError(f"'crs' must be {_NAMED} (GeoJSON 2008); {_ASK}")
    name = properties.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"the 'crs' has no name (properties.name must be text); {_ASK}")
    return name.strip()


def declared_crs(member: Any) -> DeclaredCrs:
    """What a ``crs`` member declares, or a `DataError` that says what to do."""
    name = crs_name(member)
    if name.casefold() in WGS84_NAMES:
        return DeclaredCrs(name, "WGS 84 longitude/latitude", None)
    match = next((m for p in _AUTHORITY_CODE if (m := p.fullmatch(name)) is not None), None)
    if match is None:
        raise DataError(
            f"the coordinate system {name[:80]!r} is not one this reader can name: expected "
            f"an authority and a code such as EPSG:3857 or urn:ogc:def:crs:EPSG::32637; {_ASK}"
        )
    # Imported here: pyproj loads PROJ's database, which only such a file needs.
    import pyproj

    authority, code = match.group("authority").upper(), match.group("code")
    try:
        source = pyproj.CRS.from_authority(authority, code)
    except pyproj.exceptions.CRSError as exc:
        raise DataError(
            f"the coordinate system {name[:80]!r} is unknown to PROJ ({authority}:{code} "
            f"not found): {_ASK}"
        ) from exc
    if not (source.is_geographic or source.is_projected):
        raise DataError(
            f"{name[:80]!r} ({source.name}) is a {source.type_name}, not a system of "
            f"horizontal positions: {_ASK}"
        )
    described = f"{source.name} ({authority}:{code})"
    wgs84 = pyproj.CRS.from_epsg(4326)
    if source.equals(wgs84, ignore_axis_order=True):
        return DeclaredCrs(name, "WGS 84 longitude/latitude", None)
    transformer = pyproj.Transformer.from_crs(source, wgs84, always_xy=True)

    def transform(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
        lons, lats = transformer.transform(xs, ys, errcheck=False)
        return list(lons), list(lats)

    return DeclaredCrs(name, described, transform)


def _positions(coords: Any, depth: int, found: list[list[Any]]) -> None:
    """The positions of a coordinates array that hold two numbers; malformed parts are
    left for the structure check to report."""
    if depth == 0:
        if isinstance(coords, list) and len(coords) >= 2 and all(map(_is_number, coords[:2])):
            found.append(coords)
        return
    if isinstance(coords, list):
        for item in coords:
            _positions(item, depth - 1, found)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def transformed(geometry: dict[str, Any], declared: DeclaredCrs) -> dict[str, Any]:
    """A copy of a geometry with every position transformed to WGS84 longitude/latitude
    (a height kept as it is), or a `DataError` for one that cannot be."""
    result = copy.deepcopy(geometry)
    if declared.transform is None:
        return result
    parts = result.get("geometries") if result.get("type") == "GeometryCollection" else [result]
    positions: list[list[Any]] = []
    for part in parts if isinstance(parts, list) else []:
        kind = part.get("type") if isinstance(part, dict) else None
        if isinstance(kind, str) and kind in COORDINATE_DEPTH:
            _positions(part.get("coordinates"), COORDINATE_DEPTH[kind], positions)
    if not positions:
        return result
    lons, lats = declared.transform([p[0] for p in positions], [p[1] for p in positions])
    for position, lon, lat in zip(positions, lons, lats, strict=True):
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise DataError(
                f"the position {position[:2]} in {declared.described} has no place in WGS84 "
                "longitude/latitude (outside the area the system covers?)"
            )
        position[0], position[1] = lon, lat
    return result
