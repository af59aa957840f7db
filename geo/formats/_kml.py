"""KML and KMZ: Google Earth files in, and the explorer's own KML out and back.

Reading uses defusedxml with DTDs forbidden: a DOCTYPE is how "billion laughs"
entity expansion and XXE (reading local files or URLs) get in, and KML never
needs one. A KMZ is a zip; only its main .kml is read, with the size (at most
what a KML upload may be) and the compression ratio checked before and while
it is decompressed. The XML is parsed piece by piece, with the time limit
checked between pieces: expat 2.5 scans one big token (a comment, a CDATA
section) again for each piece it is given, so its time grows with the square
of the token's size.

Our KML has one Folder per layer and one Placemark per record; its
ExtendedData carries id, layer, kind, date, date_as_stated and the properties
as JSON text, so a Placemark with that data reads back as the same record.

Why one module of some 850 lines: the reader and the writer of our own KML are kept
side by side so that what one writes the other reads; split, they drift apart.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any, TypeGuard
from xml.etree import ElementTree as ET

import numpy as np
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from geo.dates import edtf_of
from geo.errors import DataError, Problem
from geo.formats.archive import open_zip, unpack
from geo.formats.limits import (
    Limits,
    check_json_depth,
    key_path,
    key_too_long,
    text_problem,
    too_many_keys,
)
from geo.formats.reader import UNREAD_DATE, Reader, Upload, lookup, no_geometry, number
from geo.formats.sniff import decode_upload
from geo.formats.writing import CHUNK_RECORDS, Prepared, prepared
from geo.geojson import parse_json_text
from geo.jsontext import BinaryOut
from geo.records import Kind, LayerRecord

KML_NS = "http://www.opengis.net/kml/2.2"
OWN_DATA = ("id", "layer", "kind", "date", "date_as_stated", "properties")
_OWN_REQUIRED = frozenset({"id", "layer", "kind", "properties"})

# Characters of XML given to the parser at a time (pyexpat cuts at 1 MiB anyway).
_FEED_CHUNK = 1024 * 1024

# What a KML holds that is not a record, what it is, and what to do with it.
_SKIPPED = {
    "NetworkLink": (
        "link(s) to other files (NetworkLink), never followed",
        "open the link in Google Earth or a browser, save the file it points to and import that",
    ),
    "GroundOverlay": (
        "image(s) laid on the map (GroundOverlay)",
        "import the image as imagery (the Imagery tab), placed by the corners in its LatLonBox",
    ),
    "PhotoOverlay": (
        "photo(s) placed in the view (PhotoOverlay)",
        "import the photo as imagery, or mark where it was taken with a Placemark",
    ),
    "ScreenOverlay": ("image(s) fixed to the screen, such as a legend (ScreenOverlay)", None),
    "Tour": ("tour(s): camera flights (gx:Tour)", None),
    "Model": (
        "3D model(s), from SketchUp or COLLADA (Model)",
        "draw the model's footprint as a polygon in Google Earth and import that",
    ),
}
_TRACKS = ("Track", "MultiTrack")
_GEOMETRIES = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Model", *_TRACKS)
# A Placemark with mixed geometry becomes a record per kind of geometry, named so.
SPLIT = (
    "MultiGeometries that mix points, lines and polygons were split into one record per "
    'kind of geometry, each with the Placemark\'s data, named "name (part 1 of 2)"'
)
RING_AS_POLYGON = "LinearRings on their own were read as polygons (a closed ring is an outline)"
RING_AS_LINE = "LinearRings on their own that do not close were read as lines"
EMPTY_BESIDE = (
    "empty geometries beside a Placemark's real one were left out (Google's Location "
    "History writes an empty Point beside each track)"
)
_COMMA_SPACE = re.compile(r"\s*,\s*")
_PLACEMARK_TAG = re.compile(r"<(?:[\w.-]+:)?Placemark\b")
_ENTITY = re.compile(r"<!ENTITY\s+(?:%\s+)?([^\s>]+)(?:\s+(?:SYSTEM|PUBLIC)\s+[\"']([^\"']*))?")


# ---------------------------------------------------------------- writing


def _number_text(value: float) -> str:
    text = repr(float(value))
    # repr gives 1e-07 for tiny values; write positional decimals for every reader.
    return np.format_float_positional(value, trim="-") if "e" in text else text


def _position_text(position: list[float]) -> str:
    return ",".join(_number_text(value) for value in position)


def _escaped(text: str) -> str:
    """Text as ElementTree writes it in an element, and a carriage return as a character
    reference: XML parsers turn a raw one into a newline; so written it survives."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _leaf(indent: str, tag: str, text: str | None) -> str:
    """An element holding text, on its own line, as ElementTree writes it (an empty one
    as ``<tag />``)."""
    if not text:
        return f"{indent}<{tag} />\n"
    return f"{indent}<{tag}>{_escaped(text)}</{tag}>\n"


def _coordinates(indent: str, positions: list[list[float]]) -> str:
    return f"{indent}<coordinates>{' '.join(map(_position_text, positions))}</coordinates>\n"


def _single_geometry(indent: str, kind: str, coords: Any) -> str:
    inner = indent + " "
    if kind == "Point":
        body = _coordinates(inner, [coords])
    elif kind == "LineString":
        body = _coordinates(inner, coords)
    else:
        ring = inner + "  "  # inside the boundary and its LinearRing
        boundaries = ["outerBoundaryIs"] + ["innerBoundaryIs"] * (len(coords) - 1)
        body = "".join(
            f"{inner}<{boundary}>\n{inner} <LinearRing>\n{_coordinates(ring, positions)}"
            f"{inner} </LinearRing>\n{inner}</{boundary}>\n"
            for boundary, positions in zip(boundaries, coords, strict=True)
        )
    return f"{indent}<{kind}>\n{body}{indent}</{kind}>\n"


def _geometry_text(indent: str, geometry: dict[str, Any]) -> str:
    kind, coords = geometry["type"], geometry["coordinates"]
    if not kind.startswith("Multi"):
        return _single_geometry(indent, kind, coords)
    single = kind.removeprefix("Multi")
    parts = "".join(_single_geometry(indent + " ", single, part) for part in coords)
    return f"{indent}<MultiGeometry>\n{parts}{indent}</MultiGeometry>\n"


def _time_text(indent: str, date: str) -> str:
    """TimeStamp for a day, month or year (KML takes all three); TimeSpan for an interval."""
    inner = indent + " "
    if "/" in date:
        begin, _, end = date.partition("/")
        return (
            f"{indent}<TimeSpan>\n{_leaf(inner, 'begin', begin)}{_leaf(inner, 'end', end)}"
            f"{indent}</TimeSpan>\n"
        )
    return f"{indent}<TimeStamp>\n{_leaf(inner, 'when', date)}{indent}</TimeStamp>\n"


# Where each part of a Placemark sits: Document, Folder, Placemark, its children, ...
_IN_PLACEMARK = " " * 4
_IN_DATA = " " * 6


def _all_escaped(texts: list[str]) -> list[str]:
    """`_escaped` of each text: all of them at once, joined by a NUL (which no text
    written holds: `prepared` refuses it), or one by one if one does."""
    escaped = _escaped("\x00".join(texts)).split("\x00")
    return escaped if len(escaped) == len(texts) else list(map(_escaped, texts))


def _data_text(key: str, text: str | None) -> str:
    """A Data element of ExtendedData holding `text`, already escaped; none for None."""
    if text is None:
        return ""  # absent reads back as None; an empty value as ""
    value = f"      <value>{text}</value>\n" if text else "      <value />\n"
    return f'     <Data name="{key}">\n{value}     </Data>\n'


def _point_geometry_text(geometry: dict[str, Any]) -> str:
    """`_geometry_text` of a Placemark's geometry, a Point of two numbers at once."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point" and len(coords) == 2:
        position = f"{float(coords[0])!r},{float(coords[1])!r}"
        if "e" not in position:
            return f"    <Point>\n     <coordinates>{position}</coordinates>\n    </Point>\n"
    return _geometry_text(_IN_PLACEMARK, geometry)


def _placemarks_text(items: list[Prepared], dated: dict[str | None, tuple[str, str]]) -> str:
    """Every item's Placemark, as ElementTree indented by one space writes it, joined:
    their text escaped at once, the pieces records share (layer, kind, date) written
    once (a date's kept in `dated`, for the chunks after)."""
    records = [item.record for item in items]
    count = len(records)
    stated = [record.date_as_stated for record in records]
    given = [text for text in stated if text is not None]
    # a name of None is written as an empty one; an id of None not at all
    escaped = _all_escaped(
        [record.name or "" for record in records]
        + [record.id or "" for record in records]
        + given
        + [item.properties for item in items]
    )
    names = escaped[:count]
    ids = [
        None if record.id is None else text
        for record, text in zip(records, escaped[count : 2 * count], strict=True)
    ]
    stated_texts = iter(escaped[2 * count : 2 * count + len(given)])
    properties = escaped[2 * count + len(given) :]
    shared: dict[tuple[str, str], str] = {}
    for record in records:
        key = (record.layer, record.kind)
        if key not in shared:
            shared[key] = _data_text("layer", _escaped(record.layer)) + _data_text(
                "kind", _escaped(Kind(record.kind).value)
            )
    for record in records:
        if record.date not in dated:
            date = record.date
            dated[date] = (
                _time_text(_IN_PLACEMARK, date) if date else "",
                _data_text("date", None if date is None else _escaped(date)),
            )
    texts = []
    for record, item, name, id_text, as_stated, properties_text in zip(
        records, items, names, ids, stated, properties, strict=True
    ):
        time, date_data = dated[record.date]
        texts.append(
            f"   <Placemark>\n{f'    <name>{name}</name>' if name else '    <name />'}\n"
            f"{time}    <ExtendedData>\n{_data_text('id', id_text)}"
            f"{shared[record.layer, record.kind]}{date_data}"
            f"{_data_text('date_as_stated', None if as_stated is None else next(stated_texts))}"
            f"{_data_text('properties', properties_text)}    </ExtendedData>\n"
            f"{_point_geometry_text(item.geometry)}   </Placemark>\n"
        )
    return "".join(texts)


def write_kml(
    out: BinaryOut,
    records: list[LayerRecord],
    *,
    document_name: str,
    chunk: int = CHUNK_RECORDS,
) -> None:
    """`to_kml`, written to `out` `chunk` Placemarks at a time. Every record is checked
    before the first byte is written: a record that cannot be written raises a
    `DataError` and nothing is."""
    problem = text_problem(document_name)
    if problem is not None:
        raise DataError(Problem(problem, file="KML export", field="document_name"))
    items = prepared(records, what="KML export")
    folders: dict[str, list[Prepared]] = {}
    for item in items:
        folders.setdefault(item.record.layer, []).append(item)
    out.write(
        (
            f"<?xml version='1.0' encoding='utf-8'?>\n<kml xmlns=\"{KML_NS}\">\n"
            f" <Document>\n{_leaf('  ', 'name', document_name)}"
        ).encode()
    )
    for layer, members in folders.items():
        out.write(f"  <Folder>\n{_leaf('   ', 'name', layer)}".encode())
        dated: dict[str | None, tuple[str, str]] = {}
        for start in range(0, len(members), chunk):
            text = _placemarks_text(members[start : start + chunk], dated)
            out.write(text.encode("utf-8"))
        out.write(b"  </Folder>\n")
    out.write(b" </Document>\n</kml>")


def to_kml(records: list[LayerRecord], *, document_name: str) -> bytes:
    """KML 2.2 (UTF-8): one Folder per layer, one Placemark per record, nothing lost.

    Written as ElementTree writes the tree indented by one space (``ET.indent``), text
    escaped as it escapes it, but a Placemark at a time: the same bytes, some ten
    times sooner."""
    buffer = io.BytesIO()
    write_kml(buffer, records, document_name=document_name)
    return buffer.getvalue()


# ---------------------------------------------------------------- parsing


class _TooDeep(Exception):
    pass


class _OverLimit(Exception):
    """A limit met while parsing: the message, and where."""

    def __init__(self, message: str, record: str | None, field: str | None) -> None:
        super().__init__(message)
        self.message, self.record, self.field = message, record, field


class _LimitedBuilder:
    """An ElementTree builder that stops while parsing, before the tree is built: at a
    document nested past the limit, and at a Placemark with too many ExtendedData
    values or too long a value name."""

    def __init__(self, limits: Limits) -> None:
        self._builder = ET.TreeBuilder()
        self._depth = 0
        self._limits = limits
        self._placemarks = 0
        self._placemark_depth: int | None = None  # inside a Placemark: its depth
        self._values = 0  # Data and SimpleData in the current Placemark

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self._depth += 1
        if self._depth > self._limits.max_depth:
            raise _TooDeep
        name = _local(tag)
        if name == "Placemark" and self._placemark_depth is None:
            self._placemarks += 1
            self._placemark_depth, self._values = self._depth, 0
        elif name in ("Data", "SimpleData") and self._placemark_depth is not None:
            self._count_value(attrs.get("name") or "")
        return self._builder.start(tag, attrs)

    def _count_value(self, key: str) -> None:
        self._values += 1
        record = f"#{self._placemarks}"
        if self._values > self._limits.max_properties:
            raise _OverLimit(too_many_keys(self._limits.max_properties), record, "ExtendedData")
        if len(key) > self._limits.max_key_length:
            message = key_too_long(len(key), self._limits.max_key_length)
            raise _OverLimit(message, record, key_path("", key))

    def end(self, tag: str) -> ET.Element:
        if self._depth == self._placemark_depth:
            self._placemark_depth = None
        self._depth -= 1
        return self._builder.end(tag)

    def data(self, data: str) -> None:
        self._builder.data(data)

    def close(self) -> ET.Element:
        return self._builder.close()


def _parse_xml(text: str, reader: Reader) -> ET.Element:
    # Refuse a file with too many Placemarks before building its tree (a C-speed
    # count; an upper bound, as it also counts any in comments).
    placemarks = _PLACEMARK_TAG.subn("", text)[1]
    if placemarks > reader.limits.max_features:
        reader.refuse(
            f"{placemarks:,} Placemarks is over the limit of "
            f"{reader.limits.max_features:,} features: split the file"
        )
    limit = reader.limits.max_depth
    # defusedxml has no types: its parser is ElementTree's, with refusals added
    parser: ET.XMLParser = DefusedXMLParser(
        target=_LimitedBuilder(reader.limits),
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    refused = "refused: entities can expand without bound (billion laughs) or read files (XXE)"
    try:
        for start in range(0, len(text), _FEED_CHUNK):
            reader.check_time()
            parser.feed(text[start : start + _FEED_CHUNK])
        return parser.close()
    except DTDForbidden:
        declared = _ENTITY.search(text[:100_000])
        entity = ""
        if declared:
            name, target = declared.groups()
            entity = f" and declares the entity {name!r}" + (
                f" pointing at {target} (not read)" if target else ""
            )
        reader.refuse(
            f"the XML has a DOCTYPE (a document type definition){entity}, which KML never "
            f"needs; {refused}"
        )
    except (EntitiesForbidden, ExternalReferenceForbidden) as exc:
        # Only reachable without a DTD ban; kept so that loosening it stays safe.
        reader.refuse(f"the XML uses entities ({exc}); {refused}")
    except ET.ParseError as exc:
        reader.refuse(f"not well-formed XML: {exc}")
    except _TooDeep:
        reader.refuse(f"XML nested more than {limit} elements deep, the limit")
    except _OverLimit as exc:
        reader.refuse(exc.message, record=exc.record, field=exc.field)


def _local(tag: str) -> str:
    """The tag without its namespace: KML 2.2, 2.1 and no namespace are read alike."""
    return tag.rpartition("}")[2]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _text_of(element: ET.Element | None) -> str | None:
    return None if element is None else "".join(element.itertext())


def read_kml(text: str, reader: Reader, fmt: str = "kml") -> Upload:
    root = _parse_xml(text, reader)
    if _local(root.tag) != "kml":
        reader.refuse(f"not a KML document: the root element is <{_local(root.tag)}>, not <kml>")
    skipped: Counter[str] = Counter()
    links: list[str] = []
    for element in root.iter():
        name = _local(element.tag)
        if name in _SKIPPED:
            skipped[name] += 1
            href = _text_of(next((e for e in element.iter() if _local(e.tag) == "href"), None))
            if name == "NetworkLink" and href and href.strip() and len(links) < 3:
                links.append(href.strip()[:200])
        elif name == "Placemark":
            _placemark(element, reader.count_feature(), reader)
    found = []
    for name, count in skipped.items():
        what, todo = _SKIPPED[name]
        listed = f" ({', '.join(links)})" if name == "NetworkLink" and links else ""
        found.append(f"{count:,} {what}{listed}" + (f": {todo}" if todo else ""))
        reader.note(f"{count:,} {what} not imported{listed}")
    return reader.upload(
        "kmz" if fmt == "kmz" else "kml",
        found="; ".join(found) or "no Placemarks (points, lines or polygons)",
    )


def _extended_data(placemark: ET.Element, reader: Reader, record: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for extended in _children(placemark, "ExtendedData"):
        for item in extended.iter():
            kind = _local(item.tag)
            if kind == "Data":
                key, value = item.get("name"), _text_of(_child(item, "value")) or ""
            elif kind == "SimpleData":
                key, value = item.get("name"), _text_of(item) or ""
            else:
                continue
            if key is None:
                reader.note(f"{kind} without a name attribute were skipped", record)
                continue
            if key in values:
                reader.problem(f"ExtendedData has {key!r} twice", record=record, field=key)
            values[key] = value
    return values


def _positions(element: ET.Element, reader: Reader, record: str) -> list[list[float]] | None:
    text = _text_of(_child(element, "coordinates"))
    kind = _local(element.tag)
    if text is None or not text.strip():
        reader.problem(f"a {kind} without coordinates", record=record, field="coordinates")
        return None
    tokens = _COMMA_SPACE.sub(",", text.strip()).split()
    return _numbers(tokens, ",", f"a {kind}", "longitude,latitude[,altitude]", reader, record)


def _numbers(
    tokens: list[str],
    separator: str | None,
    what: str,
    expected: str,
    reader: Reader,
    record: str,
) -> list[list[float]] | None:
    """The positions written as `tokens` (each numbers split at `separator`), counted
    against the limits first; None after a problem."""
    reader.add_coordinates(len(tokens))
    reader.check_vertices(len(tokens), what, record=record, field="coordinates")
    positions: list[list[float]] = []
    for token in tokens:
        values = [number(part) for part in token.split(separator)]
        if len(values) not in (2, 3) or not _all_numbers(values):
            reader.problem(
                f"{token[:60]!r} in {what} is not {expected}",
                record=record,
                field="coordinates",
            )
            return None
        positions.append(values)
    return positions


def _all_numbers(values: list[float | None]) -> TypeGuard[list[float]]:
    return None not in values


def _kml_geometry(element: ET.Element, reader: Reader, record: str) -> dict[str, Any] | None:
    kind = _local(element.tag)
    if kind == "Model":
        reader.problem(
            "a 3D model (Model) is not a point, line or polygon: draw its footprint instead",
            record=record,
            field="geometry",
        )
        return None
    if kind in _TRACKS:
        return _track(element, reader, record)
    if kind == "LinearRing":
        positions = _positions(element, reader, record)
        if positions is None:
            return None
        if len(positions) >= 4 and positions[0][:2] == positions[-1][:2]:
            reader.note(RING_AS_POLYGON, record)
            return {"type": "Polygon", "coordinates": [positions]}
        reader.note(RING_AS_LINE, record)
        return {"type": "LineString", "coordinates": positions}
    if kind == "MultiGeometry":
        return _multi_geometry(element, reader, record)
    if kind == "Polygon":
        rings = []
        outer = _child(element, "outerBoundaryIs")
        outer_ring = _child(outer, "LinearRing") if outer is not None else None
        if outer_ring is None:
            reader.problem("a Polygon without an outer boundary", record=record, field="geometry")
            return None
        for ring in [outer_ring] + [
            ring
            for inner in _children(element, "innerBoundaryIs")
            for ring in _children(inner, "LinearRing")
        ]:
            positions = _positions(ring, reader, record)
            if positions is None:
                return None
            rings.append(positions)
        return {"type": "Polygon", "coordinates": rings}
    positions = _positions(element, reader, record)
    if positions is None:
        return None
    if kind == "Point":
        if len(positions) != 1:
            reader.problem(
                f"a Point has one position, got {len(positions)}",
                record=record,
                field="coordinates",
            )
            return None
        return {"type": "Point", "coordinates": positions[0]}
    return {"type": "LineString", "coordinates": positions}


def _multi_geometry(element: ET.Element, reader: Reader, record: str) -> dict[str, Any] | None:
    parts: list[dict[str, Any]] = []
    pending = [element]
    while pending:  # nested MultiGeometry is flattened (iteratively: depth is bounded anyway)
        for child in pending.pop(0):
            kind = _local(child.tag)
            if kind == "MultiGeometry":
                pending.append(child)
            elif kind in _GEOMETRIES:
                part = _kml_geometry(child, reader, record)
                if part is None:
                    return None
                parts.append(part)
    if not parts:
        reader.problem("an empty MultiGeometry", record=record, field="geometry")
        return None
    return _combined(parts)


def _combined(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The parts as one Multi* geometry when they are of one kind; when they mix kinds, a
    GeometryCollection of one geometry per kind, in the order met (`_placemark` makes a
    record of each)."""
    by_kind: dict[str, list[Any]] = {}
    for part in parts:
        kind = part["type"].removeprefix("Multi")
        multi = part["type"].startswith("Multi")
        by_kind.setdefault(kind, []).extend(part["coordinates"] if multi else [part["coordinates"]])
    if len(by_kind) == 1:
        ((kind, members),) = by_kind.items()
        return {"type": f"Multi{kind}", "coordinates": members}
    return {
        "type": "GeometryCollection",
        "geometries": [
            {"type": f"Multi{kind}", "coordinates": members}
            if len(members) > 1
            else {"type": kind, "coordinates": members[0]}
            for kind, members in by_kind.items()
        ],
    }


def _track(element: ET.Element, reader: Reader, record: str) -> dict[str, Any] | None:
    """A gx:Track as a line (a point if it stays in one place); a gx:MultiTrack as the
    lines of its tracks."""
    if _local(element.tag) == "MultiTrack":
        tracks = [child for child in element if _local(child.tag) == "Track"]
        parts = [_track(track, reader, record) for track in tracks]
        if not parts:
            reader.problem("a gx:MultiTrack without tracks", record=record, field="geometry")
            return None
        if any(part is None for part in parts):
            return None
        return _combined([part for part in parts if part is not None])
    coords = [child for child in element if _local(child.tag) == "coord"]
    if not coords:
        reader.problem("a gx:Track without gx:coord", record=record, field="coordinates")
        return None
    texts = [(_text_of(coord) or "").strip() for coord in coords]
    positions = _numbers(texts, None, "a gx:Track", "longitude latitude [altitude]", reader, record)
    if positions is None:
        return None
    whens = [child for child in element if _local(child.tag) == "when"]
    if whens and len(whens) != len(coords):
        reader.note("gx:Tracks with not as many <when> as <gx:coord>", record)
    if len({tuple(position[:2]) for position in positions}) == 1:
        return {"type": "Point", "coordinates": positions[0]}
    return {"type": "LineString", "coordinates": positions}


def _track_date(geometry: ET.Element, reader: Reader, record: str) -> tuple[str | None, str] | None:
    """(EDTF, as stated) of the first and last <when> of the tracks in a geometry: an
    interval with the precision they give (a day, or the days of two date-times)."""
    whens = [
        (_text_of(element) or "").strip()
        for element in geometry.iter()
        if _local(element.tag) == "when"
    ]
    whens = [when for when in whens if when]
    if not whens:
        return None
    first, last = whens[0], whens[-1]
    stated = first if first == last else f"{first}/{last}"
    start, end = edtf_of(first), edtf_of(last)
    date = start if start is not None and start == end else edtf_of(stated)
    if date is None:
        reader.note(UNREAD_DATE, f"{record} {stated!r}"[:120])
    return date, stated


def _is_empty(element: ET.Element) -> bool:
    """A geometry element with no position at all (Google writes <Point><coordinates/>)."""
    kind = _local(element.tag)
    if kind in ("Point", "LineString", "LinearRing"):
        return not (_text_of(_child(element, "coordinates")) or "").strip()
    if kind == "Track":
        return not any(_local(child.tag) == "coord" for child in element)
    if kind in ("MultiTrack", "MultiGeometry"):
        members = [child for child in element if _local(child.tag) in _GEOMETRIES]
        return all(map(_is_empty, members))
    return False


def _kml_date(placemark: ET.Element, reader: Reader, record: str) -> tuple[str | None, str] | None:
    """(EDTF, as stated) from TimeStamp or TimeSpan; None when the Placemark has neither."""
    stamp = _child(placemark, "TimeStamp")
    span = _child(placemark, "TimeSpan")
    if stamp is not None:
        stated = (_text_of(_child(stamp, "when")) or "").strip()
    elif span is not None:
        begin = (_text_of(_child(span, "begin")) or "").strip()
        end = (_text_of(_child(span, "end")) or "").strip()
        if not (begin and end):
            reader.note(
                "open TimeSpans (only a begin or only an end) have no EDTF level-0 date; "
                "they are kept as stated",
                record,
            )
            return None, f"begin {begin}" if begin else f"end {end}"
        stated = f"{begin}/{end}"
    else:
        return None
    date = edtf_of(stated)
    if date is None:
        reader.note(UNREAD_DATE, f"{record} {stated!r}"[:120])
    return date, stated


def _placemark(placemark: ET.Element, number: int, reader: Reader) -> None:
    record = f"#{number}"
    name = _text_of(_child(placemark, "name"))
    reader.name_record(record, name)
    extended = _extended_data(placemark, reader, record)
    found = [child for child in placemark if _local(child.tag) in _GEOMETRIES]
    if [_local(child.tag) for child in found] == ["Model"]:
        return  # counted and named by read_kml: a model is not a record
    if len(found) > 1 and len(real := [child for child in found if not _is_empty(child)]) == 1:
        reader.note(EMPTY_BESIDE, record)
        found = real
    if len(found) != 1:
        reader.problem(
            no_geometry("KML")
            if not found
            else f"{len(found)} geometries where KML allows one (use a MultiGeometry)",
            record=record,
            field="geometry",
        )
        reader.check_values(extended, record=record)
        return
    geometry = _kml_geometry(found[0], reader, record)
    if extended.keys() >= _OWN_REQUIRED:
        _own_placemark(extended, name or "", geometry, number, reader)
        return
    properties: dict[str, Any] = dict(extended)
    for key in ("description", "address"):  # address: Google's Location History
        text = _text_of(_child(placemark, key))
        if text is not None and key not in properties:
            properties[key] = text
    if geometry is None:
        reader.check_values(properties, record=record)
        return
    # The researcher's own id field first; the XML id is often made up by the tool.
    found_id = lookup(properties, ("id",))
    stated_id = found_id[1] if found_id is not None else placemark.get("id")
    # Hand-written and pretty-printed KML pads names with whitespace; our own
    # Placemarks (read above) keep theirs verbatim.
    stated_name = name.strip() if name and name.strip() else None
    date = _kml_date(placemark, reader, record) or _track_date(found[0], reader, record)
    pieces = [(stated_id, stated_name, geometry)]
    if geometry["type"] == "GeometryCollection":
        reader.note(SPLIT, record)
        parts = geometry["geometries"]
        base_id = stated_id if stated_id is not None and str(stated_id).strip() else None
        base_id = base_id or f"{reader.layer}#{number}"
        base_name = stated_name or reader.default_name(number)
        pieces = [
            (f"{base_id} ({of})", f"{base_name} ({of})", part)
            for index, part in enumerate(parts, start=1)
            if (of := f"part {index} of {len(parts)}")
        ]
    for piece_id, piece_name, piece in pieces:
        reader.add_derived(
            number=number,
            record_id=piece_id,
            properties=dict(properties),  # each record its own
            geometry=piece,
            name=piece_name,
            date=date,
            counted=True,
        )


def _own_placemark(
    values: dict[str, str], name: str, geometry: Any, number: int, reader: Reader
) -> None:
    """A Placemark written by `to_kml`: every field from its ExtendedData, verbatim."""
    record = f"#{number}"
    texts = {key: values[key] for key in ("id", "layer", "date_as_stated") if key in values}
    ok = reader.check_values({**texts, "name": name}, record=record)
    kind, date = values["kind"], values.get("date")
    ok = reader.check_kind_and_date(kind, date, record=record) and ok
    properties: Any = None
    try:
        check_json_depth(
            values["properties"], file=reader.file, limits=reader.limits, field="properties"
        )
        properties = parse_json_text(values["properties"], file=reader.file)
    except DataError as exc:
        reader.problem(exc.problems[0].message, record=record, field="properties")
    if not isinstance(properties, dict):
        if properties is not None:
            reader.problem("expected a JSON object", record=record, field="properties")
        return
    if not reader.check_values(properties, record=record, field="properties") or not ok:
        return
    checked = reader.geometry(geometry, record=record, counted=True) if geometry else None
    if checked is None:
        return
    kept = reader.with_original(properties, checked[1], record=record)
    if kept is None:
        return
    reader.add(
        number=number,
        record_id=values["id"],
        name=name,
        kind=Kind(kind),
        geometry=checked[0],
        properties=kept,
        date=date,
        date_as_stated=values.get("date_as_stated"),
        layer=values["layer"],
    )


# ---------------------------------------------------------------- KMZ


def kml_from_kmz(data: bytes, reader: Reader) -> str:
    """The text of the KMZ's main KML (doc.kml, else the first .kml), decompressed in bounds."""
    with open_zip(data, reader, "a KMZ file is a zip holding a doc.kml") as archive:
        entries = [info for info in archive.infolist() if info.filename.lower().endswith(".kml")]
        if not entries:
            names = [info.filename for info in archive.infolist()][:10]
            listed = ", ".join(repr(name) for name in names) or "nothing"
            reader.refuse(f"no .kml file inside the KMZ (it holds {listed})")
        chosen = next((info for info in entries if info.filename.lower() == "doc.kml"), entries[0])
        unpacked = unpack(
            archive,
            chosen,
            reader,
            budget=reader.limits.max_bytes,
            inside="the KMZ",
            budget_of="of a KML file",
        )
    return decode_upload(unpacked, file=f"{reader.file}: {chosen.filename}", expected="KML")
