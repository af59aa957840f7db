"""CSV: researchers' spreadsheets in, and the explorer's own CSV out and back.

Our CSV has one row per record: id, layer, kind, name, date, date_as_stated,
a representative longitude/latitude for spreadsheets, the exact geometry as
GeoJSON text and the properties as JSON text. A file with exactly these
columns is read back as the records it was written from; any other CSV needs
coordinate columns (latitude/longitude under a common name) or a geometry
column (WKT or GeoJSON), and every other column becomes a text property.

Formula injection: a spreadsheet runs a cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return (OWASP, "CSV Injection"). Our CSV
writes such a cell with one apostrophe in front, which spreadsheets show as
text; so that this is reversible, a cell that already starts with an
apostrophe gets one more. A plain number (-33.5, +1, -1e5) is not a formula
and is written as it is. Reading our own CSV (recognised by its exact header)
takes one leading apostrophe off every cell, so the values come back as they
were; a foreign CSV keeps its apostrophes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from geo.errors import NO_COORDINATE_COLUMNS, DataError
from geo.formats.columns import chosen_pair, coordinate_pairs
from geo.formats.limits import check_json_depth
from geo.formats.reader import (
    GEOMETRY_COLLECTION,
    Reader,
    Upload,
    lookup,
    number,
    stated_name,
)
from geo.formats.repair import shapely_to_geojson
from geo.formats.wktcurve import CURVE_TYPES, LINEARIZED, is_curved, linearized
from geo.formats.writing import CHUNK_RECORDS, Prepared, prepared
from geo.geojson import DECIMALS, parse_json_text, representative_lonlat
from geo.jsontext import BinaryOut
from geo.records import Kind, LayerRecord

CSV_COLUMNS = (
    "id",
    "layer",
    "kind",
    "name",
    "date",
    "date_as_stated",
    "longitude",
    "latitude",
    "geometry",
    "properties",
)
GEOMETRY_NAMES = ("geometry", "wkt", "geom", "the_geom", "wkt_geom", "geojson")
DELIMITERS = (",", ";", "\t")

# What a spreadsheet may run as a formula when a cell starts with it (OWASP), and the
# full-width forms of the four signs, which some spreadsheets read as the signs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
TEXT_MARK = "'"
# A number as a spreadsheet reads it, and as it is: ASCII digits only, nothing around.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)

NO_ROWS = "a header and no rows"
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+\s*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SRID = re.compile(r"\s*SRID=(\d+);", re.IGNORECASE)


def defused(cell: str) -> str:
    """A cell no spreadsheet runs: an apostrophe before one that starts like a formula
    (not a plain number) or with an apostrophe; `restored` takes it off again."""
    if cell.startswith(TEXT_MARK) or (
        cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell)
    ):
        return TEXT_MARK + cell
    return cell


def restored(cell: str) -> str:
    """A cell of our own CSV as it was before `defused`."""
    return cell.removeprefix(TEXT_MARK)


def _cells(item: Prepared) -> list[str]:
    record, geometry = item.record, item.geometry
    lon, lat = representative_lonlat(geometry)
    cells = [
        record.id,
        record.layer,
        Kind(record.kind).value,
        record.name,
        record.date or "",
        record.date_as_stated or "",
        repr(round(lon, DECIMALS)),
        repr(round(lat, DECIMALS)),
        json.dumps(geometry, allow_nan=False),
        item.properties,
    ]
    return [defused(cell) for cell in cells]


# A cell `defused` changes starts with one of these (after the start of the text or
# the NUL between two cells: no cell written holds one, `prepared` refuses it).
_MAY_CHANGE = re.compile("(?:\\A|\x00)['=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]")


def _defused_column(cells: list[str]) -> list[str]:
    """`defused` of every cell: the column searched at once, most of them unchanged."""
    if _MAY_CHANGE.search("\x00".join(cells)) is None:
        return cells
    return list(map(defused, cells))


def _point_cells(items: list[Prepared]) -> tuple[list[str], list[str], list[str]] | None:
    """The longitude, latitude and geometry cells of Points already normal (as
    `prepared` gives them), as `_cells` writes them; None if a geometry is another."""
    positions = [item.geometry["coordinates"] for item in items]
    if {item.geometry["type"] for item in items} != {"Point"} or set(map(len, positions)) != {2}:
        return None
    lons = [repr(position[0]) for position in positions]
    lats = [repr(position[1]) for position in positions]
    geometries = [
        f'{{"type": "Point", "coordinates": [{lon}, {lat}]}}'
        for lon, lat in zip(lons, lats, strict=True)
    ]
    return lons, lats, geometries


def _written_rows(items: list[Prepared]) -> Iterable[Iterable[str]]:
    """The rows of `items`, as `_cells` writes them, a column at a time."""
    points = _point_cells(items)
    if points is None:
        return map(_cells, items)
    records = [item.record for item in items]
    kinds = {kind: Kind(kind).value for kind in {record.kind for record in records}}
    columns = [
        [record.id for record in records],
        [record.layer for record in records],
        [kinds[record.kind] for record in records],
        [record.name for record in records],
        [record.date or "" for record in records],
        [record.date_as_stated or "" for record in records],
    ]
    lons, lats, geometries = points
    # Numbers and JSON objects are never changed by `defused`.
    return zip(
        *map(_defused_column, columns),
        lons,
        lats,
        geometries,
        [item.properties for item in items],
        strict=True,
    )


def write_csv(out: BinaryOut, records: list[LayerRecord], *, chunk: int = CHUNK_RECORDS) -> None:
    """`to_csv` in UTF-8, written to `out` `chunk` rows at a time. Every record is
    checked before the first byte is written: a record that cannot be written raises a
    `DataError` and nothing is."""
    items = prepared(records, what="CSV export")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for start in range(0, max(len(items), 1), chunk):
        writer.writerows(_written_rows(items[start : start + chunk]))
        out.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()


def to_csv(records: list[LayerRecord]) -> str:
    """The records as CSV text (RFC 4180, CRLF), every cell `defused` against formula
    injection; `read_csv` gives the records back as they were.

    Encode it as ``utf-8-sig`` for Excel to see UTF-8 (the reader accepts the BOM).
    """
    out = io.BytesIO()
    write_csv(out, records)
    return out.getvalue().decode("utf-8")


def _delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most columns (comma on a tie)."""

    def columns(delimiter: str) -> int:
        try:
            return len(next(csv.reader([header_line], delimiter=delimiter), []))
        except csv.Error:
            return 0

    return max(DELIMITERS, key=columns)


def _find(headers: list[str], names: tuple[str, ...]) -> int | None:
    folded = [header.casefold() for header in headers]
    for name in names:
        if name in folded:
            return folded.index(name)
    return None


def _header(text: str, reader: Reader) -> tuple[Any, list[str], str]:
    """The rows after the header, the column names and the delimiter."""
    first, *rest = _LINE_BREAK.split(text, maxsplit=1)
    # Excel writes "sep=;" as a first line to name the delimiter.
    if re.fullmatch(r"sep=.", first):
        delimiter = first[4]
        text = rest[0] if rest else ""
    else:
        delimiter = _delimiter(first)
    # The csv module's own cap on a cell (131,072 characters) would cut a detailed
    # geometry short; the file's size and the limits on each value bound cells here.
    # (The cap is process-wide; raising it does not loosen any check of ours.)
    if csv.field_size_limit() < reader.limits.max_bytes:
        csv.field_size_limit(reader.limits.max_bytes)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(rows, None)
    except csv.Error as exc:
        reader.refuse(f"malformed CSV header: {exc}")
    if not header or not any(cell.strip() for cell in header):
        reader.refuse("no header row: the first line must name the columns")
    return rows, [cell.strip() for cell in header], delimiter


def csv_header(text: str, reader: Reader) -> list[str]:
    """The names of a CSV's columns, as `read_csv` reads them."""
    return _header(text, reader)[1]


def read_csv(text: str, reader: Reader, columns: tuple[str, str] | None = None) -> Upload:
    """The records of a CSV: our own, or a foreign one with a geometry column or
    coordinate columns (`columns`: the names of the latitude and longitude columns the
    researcher chose, instead of the ones their names suggest)."""
    rows, headers, delimiter = _header(text, reader)
    if tuple(headers) == CSV_COLUMNS and columns is None:
        return _read_own(rows, reader)
    return _read_foreign(rows, headers, delimiter, reader, columns)


@dataclass
class _Row:
    number: int
    line: int
    cells: list[str]


def _rows(rows: Any, width: int, reader: Reader) -> list[_Row]:
    """Every data row with the header's width; ragged and malformed rows are problems."""
    result: list[_Row] = []
    blank = 0
    number = 0
    try:
        for cells in rows:
            if not any(cell.strip() for cell in cells):
                blank += 1
                continue
            number = reader.count_feature()
            if len(cells) != width:
                reader.problem(
                    f"{len(cells)} cells where the header has {width} (line {rows.line_num})",
                    record=f"#{number}",
                )
                continue
            result.append(_Row(number, rows.line_num, cells))
    except csv.Error as exc:
        reader.problem(
            f"malformed CSV at line {rows.line_num}: {exc}; rows after it were not read",
            record=f"#{number + 1}",
            whole_file=True,
        )
    if blank:
        reader.note(f"{blank:,} blank rows were skipped")
    return result


def _read_own(rows: Any, reader: Reader) -> Upload:
    for row in _rows(rows, len(CSV_COLUMNS), reader):
        record = f"#{row.number}"
        values = dict(zip(CSV_COLUMNS, map(restored, row.cells), strict=True))
        reader.name_record(record, values["name"])
        texts = {key: values[key] for key in ("id", "layer", "name", "date_as_stated")}
        ok = reader.check_values(texts, record=record)
        kind, date = values["kind"], values["date"] or None
        ok = reader.check_kind_and_date(kind, date, record=record) and ok
        geometry = _json_cell(values["geometry"], reader, record, "geometry", geometry=True)
        properties = _json_cell(values["properties"], reader, record, "properties")
        if properties is not None and not isinstance(properties, dict):
            reader.problem("expected a JSON object", record=record, field="properties")
            properties = None
        if properties is None or not reader.check_values(
            properties, record=record, field="properties"
        ):
            ok = False
        checked = reader.geometry(geometry, record=record) if geometry is not None else None
        if not ok or checked is None or properties is None:
            continue
        kept = reader.with_original(properties, checked[1], record=record)
        if kept is None:
            continue
        reader.add(
            number=row.number,
            record_id=values["id"],
            name=values["name"],
            kind=Kind(kind),
            geometry=checked[0],
            properties=kept,
            date=date,
            date_as_stated=values["date_as_stated"] or None,
            layer=values["layer"],
        )
    return reader.upload("csv", found=NO_ROWS)


def _too_long(cell: str, reader: Reader, record: str, field: str) -> bool:
    """A value over the limit for one: refused before it is parsed."""
    if len(cell) <= reader.limits.max_string:
        return False
    reader.problem(
        f"{len(cell):,} characters is over the {reader.limits.max_string:,}-character limit",
        record=record,
        field=field,
    )
    return True


def _json_cell(
    cell: str, reader: Reader, record: str, field: str, *, geometry: bool = False
) -> Any:
    """A cell holding JSON, or None with the problem recorded.

    A geometry's cell is bounded by its vertices (`Limits.max_vertices_per_geometry`),
    counted once it is read, not by the length of a value: a detailed outline is far
    longer than any text, and an export of one must read back.
    """
    if not geometry and _too_long(cell, reader, record, field):
        return None
    try:
        check_json_depth(cell, file=reader.file, limits=reader.limits, field=field)
        return parse_json_text(cell, file=reader.file)
    except DataError as exc:
        reader.problem(exc.problems[0].message, record=record, field=field)
        return None


def _wkt_geometry(text: str, reader: Reader, record: str, field: str) -> Any:
    srid = _SRID.match(text)
    if srid:
        if srid.group(1) != "4326":
            reader.problem(
                f"coordinates in SRID {srid.group(1)}: only WGS84 longitude/latitude "
                "(SRID 4326) is read",
                record=record,
                field=field,
            )
            return None
        text = text[srid.end() :]
    if text.lstrip().upper().startswith("GEOMETRYCOLLECTION"):
        reader.problem(GEOMETRY_COLLECTION, record=record, field=field)
        return None
    if is_curved(text):
        try:
            curved = linearized(text, max_vertices=reader.limits.max_vertices_per_geometry)
        except DataError as exc:
            reader.problem(exc.problems[0].message, record=record, field=field)
            return None
        reader.note(LINEARIZED, record)
        return curved
    # GEOS's WKT reader recurses on parentheses and can crash the process on
    # deep nesting; nothing we read nests deeper than a MULTIPOLYGON (3).
    if text.count("(") > 3:
        parens = np.frombuffer(re.sub(r"[^()]+", "", text).encode("ascii"), dtype=np.uint8)
        if int(np.cumsum(np.where(parens == ord("("), 1, -1)).max()) > 3:
            reader.problem("WKT nested deeper than a MULTIPOLYGON", record=record, field=field)
            return None
    try:
        with np.errstate(over="ignore"):  # 1e999 becomes inf, refused as not finite
            geom = shapely.from_wkt(text)
    except shapely.errors.ShapelyError as exc:
        reader.problem(f"not valid WKT: {exc}"[:300], record=record, field=field)
        return None
    except NotImplementedError as exc:  # another non-linear type (TRIANGLE, TIN, ...)
        reader.problem(
            f"{text.strip()[:30]!r}…: {exc}: only points, lines and polygons (and the curves "
            f"{', '.join(CURVE_TYPES)}) are read",
            record=record,
            field=field,
        )
        return None
    if geom is None or geom.is_empty:
        reader.problem("empty geometry (no coordinates)", record=record, field=field)
        return None
    # Counted in C, before the positions become Python lists.
    what = f"a {geom.geom_type}"
    reader.check_vertices(shapely.get_num_coordinates(geom), what, record=record, field=field)
    return shapely_to_geojson(geom)


def _geometry_cell(cell: str, reader: Reader, record: str, field: str) -> Any:
    text = cell.strip()
    if not text:
        reader.problem("no geometry (the cell is empty)", record=record, field=field)
        return None
    if text.startswith("{"):
        return _json_cell(text, reader, record, field, geometry=True)
    return _wkt_geometry(text, reader, record, field)


def _chosen_columns(headers: list[str], chosen: tuple[str, str], reader: Reader) -> tuple[int, int]:
    """The indexes of the latitude and longitude columns the researcher named."""
    indexes = []
    for axis, name in zip(("latitude", "longitude"), chosen, strict=True):
        index = _find(headers, (name.strip().casefold(),))
        if index is None:
            reader.problem(
                f"there is no column {name!r} to read the {axis} from (the columns are "
                f"{', '.join(repr(header) for header in headers)})",
                field=name,
                code=NO_COORDINATE_COLUMNS,
            )
        indexes.append(index)
    reader.raise_problems()
    lat, lon = indexes
    assert lat is not None and lon is not None
    if lat == lon:
        reader.refuse(
            f"the column {headers[lat]!r} cannot be both latitude and longitude",
            code=NO_COORDINATE_COLUMNS,
        )
    reader.note(
        f"the coordinates were read from the columns chosen: {headers[lat]!r} (latitude) and "
        f"{headers[lon]!r} (longitude)"
    )
    return lat, lon


def _detected_columns(headers: list[str], reader: Reader) -> tuple[int, int]:
    """The latitude and longitude columns the names give, or a refusal the page can act
    on (`NO_COORDINATE_COLUMNS`: it offers the columns to choose from)."""
    pairs = coordinate_pairs(headers)
    pair = chosen_pair(pairs)
    if pair is not None:
        return pair.latitude, pair.longitude
    listed = ", ".join(repr(header) for header in headers)
    if pairs:
        candidates = "; ".join(
            f"{headers[p.latitude]!r} and {headers[p.longitude]!r}"
            for p in pairs
            if p.rank == pairs[0].rank
        )
        message = (
            f"more than one pair of coordinate columns ({candidates}): choose the latitude "
            "and longitude columns to read (in the page, or python -m geo import "
            "--lat-column NAME --lon-column NAME)"
        )
    else:
        message = (
            f"no coordinate columns found (the columns are {listed}): choose the latitude "
            "and longitude columns (in the page, or python -m geo import --lat-column NAME "
            "--lon-column NAME), or put WKT or GeoJSON in a column named geometry or wkt"
        )
    reader.refuse(message, code=NO_COORDINATE_COLUMNS)


def _read_foreign(
    rows: Any,
    headers: list[str],
    delimiter: str,
    reader: Reader,
    chosen: tuple[str, str] | None,
) -> Upload:
    geometry_column = None if chosen is not None else _find(headers, GEOMETRY_NAMES)
    lat_column: int | None
    lon_column: int | None
    if chosen is not None:
        lat_column, lon_column = _chosen_columns(headers, chosen, reader)
    elif geometry_column is None:
        lat_column, lon_column = _detected_columns(headers, reader)
    else:
        pair = chosen_pair(coordinate_pairs(headers))
        lat_column, lon_column = (pair.latitude, pair.longitude) if pair else (None, None)
    used = {geometry_column} if geometry_column is not None else {lat_column, lon_column}
    keys: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, header in enumerate(headers):
        if index in used:
            continue
        key = header or f"column {index + 1}"
        if not header:
            reader.note("columns without a header were named by position", key)
        if key in seen:
            reader.problem(f"the column {key!r} appears twice", field=key)
        seen.add(key)
        keys.append((index, key))
    # Every row would carry every column: refuse a table too wide before reading a row.
    reader.check_keys([key for _, key in keys], record=None, field=None)
    if geometry_column is not None and lat_column is not None and lon_column is not None:
        reader.note(
            f"the geometry was read from the column {headers[geometry_column]!r}; "
            "the latitude and longitude columns are kept as properties"
        )
    table = _rows(rows, len(headers), reader)

    def properties_of(row: _Row) -> dict[str, Any]:
        return {key: row.cells[index] for index, key in keys}

    if geometry_column is not None:
        field = headers[geometry_column]
        for row in table:
            geometry = _geometry_cell(row.cells[geometry_column], reader, f"#{row.number}", field)
            if geometry is not None:
                _add(reader, row, properties_of(row), geometry)
            else:  # its problem is shown with its name
                reader.name_record(f"#{row.number}", stated_name(properties_of(row)))
        return reader.upload("csv", found=NO_ROWS)

    assert lat_column is not None and lon_column is not None
    lat_name, lon_name = headers[lat_column], headers[lon_column]
    points: list[tuple[_Row, float, float]] = []
    for row in table:
        if number(row.cells[lat_column]) is None or number(row.cells[lon_column]) is None:
            # a coordinate to refuse (or with a decimal comma): named before its problem
            reader.name_record(f"#{row.number}", stated_name(properties_of(row)))
        lat = _coordinate(row, lat_column, lat_name, delimiter, reader)
        lon = _coordinate(row, lon_column, lon_name, delimiter, reader)
        if lat is not None and lon is not None:
            points.append((row, lat, lon))
    if _implausible(points, lat_name, lon_name, reader):
        return reader.upload("csv", found=NO_ROWS)
    for row, lat, lon in points:
        _add(reader, row, properties_of(row), {"type": "Point", "coordinates": [lon, lat]})
    return reader.upload("csv", found=NO_ROWS)


def _add(reader: Reader, row: _Row, properties: dict[str, Any], geometry: Any) -> None:
    reader.add_derived(
        number=row.number,
        record_id=found[1] if (found := lookup(properties, ("id", "stop_id"))) else None,
        properties=properties,
        geometry=geometry,
    )


def _coordinate(row: _Row, column: int, name: str, delimiter: str, reader: Reader) -> float | None:
    cell = row.cells[column]
    value = number(cell)
    if value is None and delimiter != "," and _DECIMAL_COMMA.fullmatch(cell):
        value = float(cell.strip().replace(",", "."))
        reader.note("decimal commas were read as decimal points", f"#{row.number} {cell!r}")
    if value is None:
        what = "empty" if not cell.strip() else f"{cell[:60]!r} is not a number"
        reader.problem(
            f"{what}: expected decimal degrees such as 33.6 (line {row.line})",
            record=f"#{row.number}",
            field=name,
        )
    return value


def _implausible(
    points: list[tuple[_Row, float, float]], lat_name: str, lon_name: str, reader: Reader
) -> bool:
    """Whole-file coordinate mistakes, reported once instead of once per row."""
    if not points:
        return False
    lats = [abs(lat) for _, lat, _ in points]
    lons = [abs(lon) for _, _, lon in points]
    if max(lats) > 90 and max(lats) <= 180 and max(lons) <= 90:
        reader.problem(
            f"latitude and longitude look swapped: the column {lat_name!r} has values beyond "
            f"±90 (up to {max(lats)}) that fit as longitudes, and every value in {lon_name!r} "
            "fits as a latitude: swap the two column names",
            field=lat_name,
        )
        return True
    if max(lats) > 180 and max(lons) > 180:
        reader.problem(
            f"the columns {lat_name!r} and {lon_name!r} hold values such as "
            f"{points[0][1]}, {points[0][2]}: projected coordinates (metres?), not degrees. "
            "Convert them to WGS84 longitude/latitude",
            field=lat_name,
        )
        return True
    return False
