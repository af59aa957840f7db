"""A researcher's own imagery: what an image is, where it lies, and how it is drawn.

- `upload`: `write_upload` puts an uploaded picture and its world file (or .aux.xml,
  or the coordinate system the researcher names) side by side in a folder.
- `raster`: `describe_raster` reads a file's header into a `RasterInfo`: size, bands,
  coordinate system, resolution in metres, footprint in WGS84 (RFC 7946), and what the
  file states about its time and origin (`stated`), never turned into a date.
- `limits`: `RasterLimits`, the declared sizes refused before any pixel is read.
- `opening`: the formats read (GeoTIFF, JPEG, PNG), told by their first bytes
  (`is_image`: whether a file given to import is an image or a data file);
  `tiff`: whether a TIFF upload is whole.
- `footprint`: the outline, densified and reprojected by GDAL.
- `tiles`: `render_tile` (Web Mercator z/x/y as PNG), `preview_png`, `stretch_of`.
- `cog`: `cloud_optimized_copy`, for images that have no overviews.
- `record`: `imagery_record`, a LayerRecord outlining the image.
- `synthetic`: images written on the fly for the tests and the benchmark.

Problems are `DataError`s naming the file; a picture with no place on Earth carries
the code `NOT_GEOREFERENCED`, one placed in no stated coordinate system `NO_CRS`.
"""

from geo.imagery.cog import cloud_optimized_copy
from geo.imagery.limits import RasterLimits
from geo.imagery.raster import RasterInfo, describe_raster
from geo.imagery.record import imagery_record
from geo.imagery.stated import Stated
from geo.imagery.tiles import Stretch, empty_tile, preview_png, render_tile, stretch_of
from geo.imagery.upload import write_upload

__all__ = [
    "RasterInfo",
    "RasterLimits",
    "Stated",
    "Stretch",
    "cloud_optimized_copy",
    "describe_raster",
    "empty_tile",
    "imagery_record",
    "preview_png",
    "render_tile",
    "stretch_of",
    "write_upload",
]
