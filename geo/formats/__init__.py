"""Researchers' uploads in, KML and CSV out: all or nothing, and nothing lost.

`read_upload` reads a GeoJSON (FeatureCollection, Feature or bare geometry),
STAC Item or ItemCollection, CSV, KML or KMZ file into `LayerRecord`s; a GPX,
GeoPackage, zipped shapefile or FlatGeobuf file is read by GDAL in a child
process with limits of its own (`geo.formats._ogr`). It either returns every
record or raises one `DataError` listing every problem (record ``#N`` and its
name in the file, field, what was expected); by default it never returns part
of a file. When only some records are at fault (not the file: its size, its
syntax, a limit), the refusal is a `BadRecords` that holds the good ones, and
``skip_bad=True`` returns them, with the skipped records listed
(`Upload.skipped`) for the import's history entry: a choice the researcher
makes, never a default. A coordinate past ±180 or ±90 by a rounding hair
(`geo.geojson.EDGE_TOLERANCE`) is set to the edge, with a warning.
Limits (`Limits`) on size (of a file, and of the KML a KMZ unpacks to),
features, nesting, coordinates (per file and per geometry), properties per
feature, the length of property names and values, the KMZ compression ratio
and the time spent are checked before the work they bound, so a hostile file
is refused quickly instead of exhausting memory. Text must be UTF-8. A
geometry that crosses the antimeridian is cut there (RFC 7946 §3.1.9), its
original kept like a repaired one's.

`to_kml` and `to_csv` (and `write_kml` and `write_csv`, which stream the same
bytes to a file a chunk at a time) write records so that `read_upload` gives them back
equal: same id, layer, kind, name, date, date_as_stated, geometry (normalised
with `geo.geojson.normalise_geometry` on both sides) and properties. Two
limits of the formats: a CSV cell cannot tell an empty ``date_as_stated``
from none (both read back as None), and neither format can carry characters
that are not text (C0 controls other than tab/newline/CR, unpaired
surrogates, U+FFFE/U+FFFF): the readers refuse them and the writers raise a
`DataError` naming the record.

CSV cells a spreadsheet may run as formulas (starting with ``=``, ``+``, ``-``,
``@``, tab or CR, or a full-width ``=+-@``; plain numbers are not formulas)
are written with a leading apostrophe, as OWASP advises, and so is any cell
that already starts with one; reading the explorer's own CSV takes one
apostrophe off, so the round trip loses nothing. A foreign CSV keeps its
apostrophes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import PurePosixPath

from geo.errors import NO_COORDINATE_COLUMNS
from geo.formats._csv import CSV_COLUMNS, csv_header, read_csv, to_csv, write_csv
from geo.formats._geojson import read_json
from geo.formats._kml import kml_from_kmz, read_kml, to_kml, write_kml
from geo.formats._ogr import is_kmz, read_with_gdal
from geo.formats.datecols import DateChoice, DateFormat, DateOptions
from geo.formats.limits import Limits
from geo.formats.reader import ORIGINAL_GEOMETRY_KEY, BadRecords, Format, Reader, Upload
from geo.formats.registry import (
    IMAGES,
    NOT_READ,
    READ_BY_GDAL,
    SHAPEFILE,
    by_extension,
    read_labels,
)
from geo.formats.sniff import binary_kind, decode_upload

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_LIMITS",
    "ORIGINAL_GEOMETRY_KEY",
    "BadRecords",
    "DateChoice",
    "DateFormat",
    "DateOptions",
    "Format",
    "Limits",
    "Upload",
    "csv_columns",
    "read_upload",
    "to_csv",
    "to_kml",
    "write_csv",
    "write_kml",
]

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
DEFAULT_LIMITS = Limits()


def read_upload(
    file_name: str,
    data: bytes,
    *,
    layer: str,
    limits: Limits = DEFAULT_LIMITS,
    repair: bool = False,
    skip_bad: bool = False,
    lat_column: str | None = None,
    lon_column: str | None = None,
    dates: DateOptions | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Upload:
    """Every record of an uploaded file, or a `DataError` with every problem in it.

    Records get `layer` (the explorer's own KML and CSV keep the layers they
    were written with). With ``repair=True``, geometries that are only invalid
    (a self-intersecting polygon, ...) are fixed with `shapely.make_valid`;
    the original is kept in the property `ORIGINAL_GEOMETRY_KEY` and a warning
    lists them; so is it for geometries cut at the antimeridian. Reading stops
    past `limits.max_seconds` by `clock` (tests pass one they move themselves).
    `lat_column` and `lon_column` name a CSV's coordinate columns when their names do
    not say so (a refusal with the code `NO_COORDINATE_COLUMNS` asks for them).

    A foreign file's records get their dates from `dates.column` in `dates.format`, or
    from the well-known date column found (`geo.formats.datecols`); `Upload.dates` says
    which, and a warning names other columns that look like dates.

    With ``skip_bad=True``, records with problems are left out and listed in
    `Upload.skipped` (position, name, reasons) instead of refusing the file, as long
    as the file itself has none and at least one record is good.
    """
    reader = Reader(
        file=file_name,
        layer=layer,
        limits=limits,
        repair=repair,
        dates=dates,
        clock=clock,
        skip_bad=skip_bad,
    )
    if (lat_column is None) != (lon_column is None):
        reader.refuse(
            "name both the latitude and the longitude column, or neither",
            code=NO_COORDINATE_COLUMNS,
        )
    columns = (lat_column, lon_column) if lat_column and lon_column else None
    if len(data) > limits.max_bytes:
        reader.refuse(f"{len(data):,} bytes is over the {limits.max_bytes:,}-byte limit")
    if not data or data.isspace():
        reader.refuse("the file is empty")
    extension = PurePosixPath(file_name.replace("\\", "/")).suffix.lower()
    if extension in NOT_READ:
        reader.refuse(
            f"{extension} is {NOT_READ[extension]} (files read: {read_labels()}; GDAL's "
            "ogr2ogr converts most GIS formats to GeoJSON)"
        )
    if extension in IMAGES:
        reader.refuse(
            f"{IMAGES[extension]} ({extension}) is not a layer of records: import it as "
            "imagery (the Imagery tab, or python -m geo import)"
        )
    named = by_extension(extension)
    if named in READ_BY_GDAL and (named is not SHAPEFILE or not is_kmz(data)):
        return read_with_gdal(data, named, reader)
    if data.startswith(_ZIP) and extension in (".kmz", ".kml", ".zip"):
        if extension != ".kmz":
            reader.note(f"the file is named {extension} but is a zip archive: read as KMZ")
        return read_kml(kml_from_kmz(data, reader), reader, "kmz")
    if extension == ".kmz":
        what = binary_kind(data)
        reader.refuse(
            f"this is {what}, not a KMZ (zip) archive"
            if what
            else "not a zip archive: a KMZ file is a zip holding a doc.kml"
        )
    text = decode_upload(
        data, file=file_name, expected=named.described if named else "a GeoJSON, CSV or KML file"
    )
    start = text[:4096].lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html")):
        reader.refuse("this is a web page (HTML), not a data file: did a download fail?")
    looks = "json" if start[:1] in ("{", "[") else "xml" if start[:1] == "<" else "text"
    said = named.holds if named else None
    if said is not None and looks != "text" and looks != said:
        reader.note(f"the file is named {extension} but holds {looks.upper()}: read as such")
    # JSON and XML announce themselves; other text is what its name says, or CSV.
    chosen = looks if looks != "text" else said
    if chosen == "json":
        return read_json(text, reader)
    if columns is not None and chosen != "text":
        reader.note("the coordinate columns chosen were not used: only a CSV has columns")
    if chosen == "xml":
        return read_kml(text, reader)
    return read_csv(text, reader, columns)


def csv_columns(file_name: str, data: bytes) -> list[str]:
    """The names of the columns of a CSV upload (to choose coordinate columns from), as
    `read_upload` reads them; a `DataError` if it has none."""
    reader = Reader(file=file_name, layer="", limits=DEFAULT_LIMITS, repair=False)
    return csv_header(decode_upload(data, file=file_name, expected="a CSV file"), reader)
