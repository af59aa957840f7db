"""What a researcher's image is and where it lies: `describe_raster`.

Only the file's header is read: size, bands, type, coordinate system,
transform or ground control points, tags. Every problem found is reported at
once, each naming the file; a picture with no place on Earth carries the code
`NOT_GEOREFERENCED` (the page offers the georeferencing tool), one placed by
a transform in no stated coordinate system `NO_CRS` (the page asks which).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from rasterio.transform import from_gcps

from geo.errors import NO_CRS, NOT_GEOREFERENCED, DataError, Problem
from geo.imagery.footprint import crs_name, crs_text, footprint_of
from geo.imagery.limits import RasterLimits, size_problems
from geo.imagery.opening import cut_short, open_dataset
from geo.imagery.stated import DOMAINS, Stated, stated_in_file

GCPS = "ground control points"
TRANSFORM = "transform"

# Names GDAL finds a world file by, next to a picture (a world file states no CRS).
WORLD_FILE_SUFFIXES = frozenset({".wld", ".tfw", ".tifw", ".jgw", ".jpgw", ".pgw", ".pngw"})

# Fewer ground control points than this cannot fit a transform (an affine one needs 3).
MIN_GCPS = 3


@dataclass(frozen=True)
class Placement:
    """How an image's pixels lie in its coordinate system: `transform` takes (column,
    row) to `crs`; for ground control points, the affine fit of them that the tiles are
    drawn with too (rio-tiler's)."""

    transform: Affine
    crs: Any  # a rasterio CRS
    by: str  # TRANSFORM or GCPS


@dataclass(frozen=True)
class RasterInfo:
    """An image as its header describes it, placed on Earth in WGS84."""

    file: str  # the file's name
    format: str  # the GDAL driver that read it: "GTiff", "JPEG" or "PNG"
    width: int
    height: int
    bands: int
    dtype: str  # of the pixel values: "uint8", "uint16", "float32"...
    band_colors: tuple[str, ...]  # GDAL's colour for each band: "red", "gray", "alpha"...
    nodata: float | None
    crs: str  # "EPSG:32637", or the WKT of a system with no authority code
    crs_name: str  # "WGS 84 / UTM zone 37N"
    placed_by: str  # TRANSFORM or GCPS
    # Size of a pixel across and down, in metres: in the units of a projected system;
    # converted from degrees at the image's centre for a geographic one (approximate).
    resolution_m: tuple[float, float]
    resolution_approximate: bool
    footprint: dict[str, Any]  # GeoJSON Polygon (MultiPolygon across the antimeridian)
    bounds: tuple[float, float, float, float]  # west, south, east, north, in degrees
    overviews: tuple[int, ...]  # reduction factors of the file's overviews; () if none
    tiled: bool  # stored in tiles (read a window at a time), not in rows
    stated_in_file: tuple[Stated, ...]  # time and origin, as the file states them


def _has_world_file(dataset: Any) -> bool:
    return any(Path(name).suffix.lower() in WORLD_FILE_SUFFIXES for name in dataset.files)


def placement_of(dataset: Any, *, file: str) -> Placement | Problem:
    """How the image is placed, or the problem that keeps it from being placed."""
    gcps, gcp_crs = dataset.gcps
    if gcps:
        if len(gcps) < MIN_GCPS:
            return Problem(
                f"it has {len(gcps)} ground control point{'s' if len(gcps) != 1 else ''}; "
                f"{MIN_GCPS} at least are needed to place it: add more with the "
                "georeferencing tool",
                file=file,
                code=NOT_GEOREFERENCED,
            )
        if not gcp_crs:
            return Problem(
                "its ground control points are in no stated coordinate system: say which",
                file=file,
                code=NO_CRS,
            )
        fit = from_gcps(gcps)
        if fit.is_degenerate:
            return Problem(
                "its ground control points lie on one line, so they cannot place it: "
                "add points that are spread out",
                file=file,
                code=NOT_GEOREFERENCED,
            )
        return Placement(fit, gcp_crs, GCPS)
    transform: Affine = dataset.transform
    if transform == Affine.identity():
        if dataset.rpcs:
            return Problem(
                "it carries RPCs (a satellite's sensor model) but no map transform: "
                "orthorectify it first (for example with gdalwarp -rpc and an elevation "
                "model), or place it with the georeferencing tool",
                file=file,
                code=NOT_GEOREFERENCED,
            )
        return Problem(
            "it has no georeference (no transform, no ground control points), so it cannot "
            "be placed on the map: place it with the georeferencing tool",
            file=file,
            code=NOT_GEOREFERENCED,
        )
    if transform.is_degenerate:
        return Problem(
            f"its transform gives its pixels no area ({tuple(transform)[:6]}): "
            "its georeference is broken; place it with the georeferencing tool",
            file=file,
            code=NOT_GEOREFERENCED,
        )
    if not dataset.crs:
        source = "its world file" if _has_world_file(dataset) else "its transform"
        return Problem(
            f"{source} places it, but in no stated coordinate system: say which one "
            "(for example EPSG:32637 for UTM zone 37N, EPSG:4326 for longitude and latitude)",
            file=file,
            code=NO_CRS,
        )
    return Placement(transform, dataset.crs, TRANSFORM)


def checked_placement(dataset: Any, path: Path, limits: RasterLimits) -> Placement:
    """The image's placement, once its declared size is within `limits` and the file is
    whole; one `DataError` with every problem found otherwise. Reads no pixels."""
    file = path.name
    file_bytes = path.stat().st_size
    problems = [
        Problem(message, file=file)
        for message in size_problems(
            width=dataset.width,
            height=dataset.height,
            bands=dataset.count,
            bytes_per_sample=np.dtype(dataset.dtypes[0]).itemsize,
            file_bytes=file_bytes,
            driver=dataset.driver,
            limits=limits,
        )
    ]
    truncated = cut_short(dataset, path, file_bytes)
    if truncated is not None:
        # What else the header seems to lack (a georeference) may be in the missing part.
        raise DataError([*problems, Problem(truncated, file=file)])
    placement = placement_of(dataset, file=file)
    if isinstance(placement, Problem):
        problems.append(placement)
    if problems:
        raise DataError(problems)
    assert isinstance(placement, Placement)
    return placement


# Metres in a degree of latitude and of longitude at latitude φ, on the WGS84 ellipsoid
# (the usual series, good to a centimetre).
def _metres_per_degree(lat: float) -> tuple[float, float]:
    phi = math.radians(lat)
    along_meridian = 111_132.92 - 559.82 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    along_parallel = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi)
    return along_parallel, along_meridian


def resolution_m(transform: Affine, crs: Any, centre_lat: float) -> tuple[float, float, bool]:
    """(across, down, approximate): a pixel's size in metres. A column step and a row step
    are measured along the transform, so a rotated image has its true pixel size."""
    across_x, across_y = transform.a, transform.d
    down_x, down_y = transform.b, transform.e
    if crs.is_geographic:
        _, radians_per_unit = crs.units_factor
        degrees = math.degrees(radians_per_unit)
        per_lon, per_lat = _metres_per_degree(centre_lat)
        return (
            math.hypot(across_x * degrees * per_lon, across_y * degrees * per_lat),
            math.hypot(down_x * degrees * per_lon, down_y * degrees * per_lat),
            True,
        )
    _, metres_per_unit = crs.linear_units_factor
    return (
        math.hypot(across_x, across_y) * metres_per_unit,
        math.hypot(down_x, down_y) * metres_per_unit,
        False,
    )


def _tags(dataset: Any) -> dict[str, dict[str, str]]:
    tags: dict[str, dict[str, str]] = {}
    for domain in DOMAINS:
        try:
            tags[domain] = dict(dataset.tags(ns=domain) if domain else dataset.tags())
        except (UnicodeDecodeError, ValueError):  # bytes that are not text: not stated
            tags[domain] = {}
    return tags


def describe_raster(path: Path, *, limits: RasterLimits | None = None) -> RasterInfo:
    """Open `path` (a GeoTIFF, or a JPEG or PNG with a world file or .aux.xml beside it)
    and describe it; read no pixels.

    Raises one `DataError` listing every problem: not an image the explorer reads; a
    declared size over `limits` (a decompression bomb is refused here); no georeference
    (`NOT_GEOREFERENCED`) or no coordinate system (`NO_CRS`); a coordinate system GDAL
    cannot convert to WGS84; an outline outside -180..180 / -90..90 or with no area.
    """
    limits = limits or RasterLimits()
    file = path.name
    with open_dataset(path) as dataset:
        placement = checked_placement(dataset, path, limits)
        footprint = footprint_of(
            placement.transform, dataset.width, dataset.height, placement.crs, file=file
        )
        _, south, _, north = footprint.bounds
        across, down, approximate = resolution_m(
            placement.transform, placement.crs, (south + north) / 2
        )
        return RasterInfo(
            file=file,
            format=str(dataset.driver),
            width=int(dataset.width),
            height=int(dataset.height),
            bands=int(dataset.count),
            dtype=str(dataset.dtypes[0]),
            band_colors=tuple(str(color.name) for color in dataset.colorinterp),
            nodata=None if dataset.nodata is None else float(dataset.nodata),
            crs=crs_text(placement.crs),
            crs_name=crs_name(placement.crs),
            placed_by=placement.by,
            resolution_m=(across, down),
            resolution_approximate=approximate,
            footprint=footprint.geometry,
            bounds=footprint.bounds,
            overviews=tuple(int(factor) for factor in dataset.overviews(1)),
            tiled=bool(dataset.profile.get("tiled", False)),
            stated_in_file=stated_in_file(_tags(dataset)),
        )
