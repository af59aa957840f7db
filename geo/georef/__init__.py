"""Georeference a released picture: control points in, a fit with its errors, a GeoTIFF out.

Governments release satellite pictures as plain JPEG or PNG. The researcher pairs
spots on the picture with the same spots on the map (`ControlPoint`, or a QGIS
georeferencer `.points` file through `read_points` / `write_points`); `fit` fits
picture pixels to the map, affine or second-order polynomial, in metres, and reports
every point's residual in metres and pixels and the RMS, or refuses a fit that would
mislead (`FitRules` says when and why); `refit_without` drops one point;
`georeferenced_tiff` writes the GeoTIFF, which carries its control points and errors.
"""

from geo.georef.fit import Fit, FitRules, Method, Residual, fit, refit_without
from geo.georef.points import (
    ControlPoint,
    PointsFile,
    PointsLimits,
    clicked_pixel,
    qgis_number,
    read_points,
    write_points,
)
from geo.georef.warp import (
    GeoTiff,
    PictureLimits,
    georeferenced_tiff,
    picture_rgb,
    picture_size,
)

__all__ = [
    "ControlPoint",
    "Fit",
    "FitRules",
    "GeoTiff",
    "Method",
    "PictureLimits",
    "PointsFile",
    "PointsLimits",
    "Residual",
    "clicked_pixel",
    "fit",
    "georeferenced_tiff",
    "picture_rgb",
    "picture_size",
    "qgis_number",
    "read_points",
    "refit_without",
    "write_points",
]
