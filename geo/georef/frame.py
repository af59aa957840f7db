"""Coordinate systems for georeferencing: the CRS a `.points` file names, and the
metric frame a fit is made in.

A fit is made in the UTM zone of the control points' centroid (EPSG:326zz north of
the equator, 327zz south; the polar stereographic UPS zones EPSG:32661 and 32761
north of 84° N and south of 80° S), so its residuals are in metres on the ground.
UTM's scale factor is 0.9996 on a zone's central meridian and about 1.001 at the
zone's edge, so metres in the frame are true metres within 0.1 % for points inside
their zone; points reach past it only as far as the 500 km from their centre that a
fit allows (geo.georef.fit), at most about 830 km from the central meridian, where
the error is under 1 %. An EPSG code, unlike a frame centred on the points, is read
by every GIS, so the GeoTIFF is written in it too.

Every transformation goes through rasterio (GDAL and PROJ), in the traditional GIS
axis order: x is longitude or easting, y latitude or northing, whatever a CRS's
official axis order; QGIS writes `.points` files in that order as well.
"""

from __future__ import annotations

import math
import re

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.warp import transform

WGS84 = "EPSG:4326"

Floats = NDArray[np.float64]

# A WKT CRS starts with one of these keywords (WKT 1 and WKT 2), an authority code
# looks like EPSG:4326: anything else in a #CRS line is refused before GDAL sees it.
_WKT = re.compile(
    r"\s*(GEOGCS|PROJCS|GEOCCS|COMPD_CS|VERT_CS|LOCAL_CS|GEOGCRS|GEODCRS|GEODETICCRS|"
    r"PROJCRS|PROJECTEDCRS|COMPOUNDCRS|BOUNDCRS|VERTCRS|ENGCRS|ENGINEERINGCRS|"
    r"BASEGEOGCRS|GEOGRAPHICCRS|DERIVEDPROJCRS)\s*\[",
    re.IGNORECASE,
)
_AUTHORITY = re.compile(r"\s*(EPSG|ESRI|IGNF|OGC):\s*[A-Za-z0-9_.]{1,20}\s*", re.IGNORECASE)
MAX_CRS_CHARACTERS = 20_000  # a projected CRS in WKT 2 is 2,000 to 5,000 characters


def parse_crs(text: str) -> CRS:
    """The CRS a `.points` file or a caller names (WKT 1 or 2, or AUTHORITY:CODE).

    Raises ValueError with a message for a person; GDAL's own complaints are kept
    off the terminal (they go to rasterio's logger inside its environment)."""
    if len(text) > MAX_CRS_CHARACTERS:
        raise ValueError(
            f"the CRS is {len(text):,} characters long, over the limit of {MAX_CRS_CHARACTERS:,}"
        )
    if not (_WKT.match(text) or _AUTHORITY.fullmatch(text)):
        raise ValueError(
            "the CRS is neither WKT (such as GEOGCRS[...] or PROJCS[...]) nor a code such as "
            "EPSG:4326"
        )
    try:
        with rasterio.Env():
            return CRS.from_user_input(text.strip())
    except Exception as exc:  # rasterio raises CRSError, a ValueError, but GDAL may say more
        raise ValueError(f"the CRS cannot be read: {exc}") from exc


def describe_crs(crs: CRS) -> str:
    """A short name for a CRS: EPSG:n when it has one, else its name."""
    code = crs.to_epsg()
    if code is not None:
        return f"EPSG:{code}"
    match = re.match(r'\w+\["([^"]{1,80})"', crs.to_wkt())
    return match.group(1) if match else "a CRS without a name"


def is_wgs84_lonlat(crs: CRS) -> bool:
    return bool(crs.to_epsg() == 4326)


def convert(source: CRS | str, target: CRS | str, xs: Floats, ys: Floats) -> tuple[Floats, Floats]:
    """Points from one CRS to another; a point that cannot be converted comes back as NaN
    (GDAL gives inf for those; both mean the same to a caller: not finite)."""
    if len(xs) == 0:
        return np.empty(0), np.empty(0)
    with rasterio.Env():
        try:
            out_x, out_y = transform(source, target, xs.tolist(), ys.tolist())
        # GDAL refuses the whole batch when one point fails ("Point outside of projection
        # domain"), as rasterio's private CPLE_* errors, which derive from Exception only
        except Exception:
            out_x, out_y = _one_by_one(source, target, xs, ys)
    x = np.asarray(out_x, dtype=np.float64)
    y = np.asarray(out_y, dtype=np.float64)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    x[bad] = np.nan
    y[bad] = np.nan
    return x, y


def _one_by_one(
    source: CRS | str, target: CRS | str, xs: Floats, ys: Floats
) -> tuple[list[float], list[float]]:
    out_x: list[float] = []
    out_y: list[float] = []
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        try:
            (one_x,), (one_y,) = transform(source, target, [x], [y])
        except Exception:  # as above
            one_x = one_y = math.nan
        out_x.append(one_x)
        out_y.append(one_y)
    return out_x, out_y


def metric_frame(lon: float, lat: float) -> CRS:
    """The UTM zone (or UPS zone near a pole) of a point, as a CRS."""
    if lat > 84.0:
        return CRS.from_epsg(32661)
    if lat < -80.0:
        return CRS.from_epsg(32761)
    zone = min(max(math.floor((lon + 180.0) / 6.0) + 1, 1), 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)
