"""The file formats the explorer reads and writes: the one list of them.

The importer, the uploader's accepted types, the export choices (in the page and
on the command line) and the download's media type all come from `FORMATS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How a file's content announces itself: JSON starts with { or [, XML with <, a
# zip with PK, a binary format with its own magic bytes; anything else is text (read
# as CSV).
Holds = Literal["json", "xml", "text", "zip", "binary"]


@dataclass(frozen=True)
class FileFormat:
    key: str  # as the command line and the page name it
    label: str  # as a person reads it
    extensions: tuple[str, ...]  # read under these names; an export gets the first
    holds: Holds
    described: str  # in messages: "a GeoJSON file"
    mime: str
    exported: bool = True

    @property
    def suffix(self) -> str:
        return self.extensions[0].lstrip(".")


GEOJSON = FileFormat(
    "geojson",
    "GeoJSON",
    (".geojson", ".json"),
    "json",
    "a GeoJSON file",
    "application/geo+json",
)
KML = FileFormat(
    "kml",
    "KML (Google Earth)",
    (".kml",),
    "xml",
    "a KML file",
    "application/vnd.google-earth.kml+xml",
)
# A zipped KML; read, never written (KML is).
KMZ = FileFormat(
    "kmz",
    "KMZ (zipped KML)",
    (".kmz",),
    "zip",
    "a KMZ file",
    "application/vnd.google-earth.kmz",
    exported=False,
)
CSV = FileFormat("csv", "CSV", (".csv", ".tsv", ".txt"), "text", "a CSV file", "text/csv")
# Read by GDAL in a child process (geo.formats._ogr), never written.
GPX = FileFormat(
    "gpx",
    "GPX (GPS tracks, routes, waypoints)",
    (".gpx",),
    "xml",
    "a GPX file",
    "application/gpx+xml",
    exported=False,
)
GEOPACKAGE = FileFormat(
    "gpkg",
    "GeoPackage",
    (".gpkg",),
    "binary",
    "a GeoPackage",
    "application/geopackage+sqlite3",
    exported=False,
)
# A shapefile is several files (.shp, .shx, .dbf, .prj): uploaded as one zip, often
# named .shp.zip. A zip holding a doc.kml instead is read as a KMZ.
SHAPEFILE = FileFormat(
    "shapefile",
    "Shapefile (zipped)",
    (".zip",),
    "zip",
    "a zipped shapefile",
    "application/zip",
    exported=False,
)
FLATGEOBUF = FileFormat(
    "fgb",
    "FlatGeobuf",
    (".fgb",),
    "binary",
    "a FlatGeobuf file",
    "application/flatgeobuf",
    exported=False,
)

FORMATS: tuple[FileFormat, ...] = (GEOJSON, KML, KMZ, CSV, GPX, GEOPACKAGE, SHAPEFILE, FLATGEOBUF)
READ_BY_GDAL = (GPX, GEOPACKAGE, SHAPEFILE, FLATGEOBUF)

_ZIP_THE_SHAPEFILE = "one file of a shapefile: upload its .shp, .shx, .dbf and .prj zipped together"
# Files people try that are not read, and what to do: the refusal says it.
NOT_READ = {
    ".shp": _ZIP_THE_SHAPEFILE,
    ".shx": _ZIP_THE_SHAPEFILE,
    ".dbf": _ZIP_THE_SHAPEFILE,
    ".prj": _ZIP_THE_SHAPEFILE,
    ".gml": "a GML file, which is not read",
    ".xlsx": "an Excel workbook, which is not read: save the sheet as CSV",
    ".xls": "an Excel workbook, which is not read: save the sheet as CSV",
    ".ods": "a spreadsheet, which is not read: save the sheet as CSV",
}
# Images are imported as imagery records, elsewhere (`geo.imagery.importing`): the
# refusal of one as a layer says where.
IMAGES = {
    ".tif": "a raster image",
    ".tiff": "a raster image",
    ".png": "an image",
    ".jpg": "an image",
    ".jpeg": "an image",
}

ZIP_MIME = "application/zip"


def by_extension(extension: str) -> FileFormat | None:
    """The format read under this extension (".kml", case-blind), or None."""
    wanted = extension.lower()
    return next((fmt for fmt in FORMATS if wanted in fmt.extensions), None)


def by_key(key: str) -> FileFormat:
    """The format named `key` ("geojson"); ValueError for another."""
    for fmt in FORMATS:
        if fmt.key == key:
            return fmt
    raise ValueError(f"format {key!r} is not one of {', '.join(f.key for f in FORMATS)}")


def read_labels() -> str:
    """The formats read, as a person reads them: "GeoJSON, KML (Google Earth), ..."."""
    return ", ".join(fmt.label for fmt in FORMATS)


def upload_types() -> list[str]:
    """The extensions an uploader accepts, without their dots."""
    return [extension.lstrip(".") for fmt in FORMATS for extension in fmt.extensions]


def export_formats() -> dict[str, str]:
    """The formats an export can be written in: key -> label."""
    return {fmt.key: fmt.label for fmt in FORMATS if fmt.exported}
