"""What every reader shares: limits, the state of one upload, text decoding, dates.

One `Reader` per upload collects every problem and warning, counts features and
coordinates against the limits, checks and (on request) repairs geometries, and
derives a record's name, date and kind from its properties the same way for
every format.
"""

from __future__ import annotations

import copy
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from geo.dates import parse_date
from geo.errors import REPAIRABLE, DataError, DateError, Problem
from geo.escape import shorten
from geo.geojson import (
    COORDINATE_DEPTH,
    count_positions,
    crosses_antimeridian,
    cut_at_antimeridian,
    geometry_problems,
    normalise_geometry,
    structure_problems,
    validity_problems,
)
from geo.records import Kind, LayerRecord, field_problems
from geo.text import UTF8, byte_order_mark, decode_text

Format = Literal["geojson", "csv", "kml", "kmz", "stac"]

# Where a repaired or cut record keeps the geometry the file gave (verbatim), so
# the change can be checked and undone.
ORIGINAL_GEOMETRY_KEY = "_original_geometry"
CUT_AT_ANTIMERIDIAN = (
    "geometries that cross the antimeridian (longitude ±180) were cut there into parts "
    "that do not, as RFC 7946 asks (the original is kept in property "
    f"'{ORIGINAL_GEOMETRY_KEY}')"
)

UNREAD_DATE = (
    "dates that are not EDTF or ISO 8601 were kept as stated, and these records have no date"
)
GEOMETRY_COLLECTION = "GeometryCollection is not supported: split it into one feature per geometry"
NAME_KEYS = ("name", "title", "label", "id")
DATE_KEYS = ("date", "datetime", "time", "observed", "start")

# Past this many problems a message is no longer read; the rest are counted.
MAX_PROBLEMS = 1000
# Examples listed per warning; the rest are counted.
MAX_EXAMPLES = 5

MB = 1024 * 1024


# Where a simplified copy of a too-detailed geometry can be made.
SIMPLIFY = (
    "simplify it first (QGIS: Vector > Geometry Tools > Simplify; GDAL: "
    "ogr2ogr -simplify 0.00001 simplified.geojson original.geojson keeps about 1 m)"
)


@dataclass(frozen=True)
class Limits:
    """What an upload may hold; each is refused before it can exhaust memory or time."""

    # Bytes of a file, and of the KML inside a KMZ once unpacked: a KMZ may not hold
    # more than a KML upload may be (a 196 MB comment took 17 s and 600 MB to parse;
    # 50 MB take 1.3 s and 155 MB).
    max_bytes: int = 50 * MB
    max_features: int = 100_000
    max_depth: int = 64  # nesting of JSON arrays/objects, of XML elements
    max_coordinates: int = 2_000_000  # in the whole file
    # In one geometry. 100,000 is far more than the outline of a site or a road needs
    # (it is a country's border at about 10 m) and imports in 0.6 s; 1,000,000 took
    # 8.5 s and 580 MB to import and made the map unusable.
    max_vertices_per_geometry: int = 100_000
    max_string: int = 100_000  # characters per property value
    # Keys of one feature's properties, and of any object inside them: a table of
    # 1,000 columns is already more than a person reads.
    max_properties: int = 1_000
    max_key_length: int = 1_000  # characters per property name
    max_kmz_ratio: int = 100  # uncompressed / compressed size of the KML inside a KMZ
    # Reading one upload, a backstop behind the limits above for what they miss: the
    # slowest file within them found (50 MB: 18,000 polygons, 1.8 million vertices)
    # reads in 13 to 15 s on the 2-core machine the project runs on (16.5 s before).
    max_seconds: float = 60.0


@dataclass(frozen=True)
class Upload:
    """A file read completely: every record, the format it was read as, and what was odd."""

    records: list[LayerRecord]
    format: Format
    warnings: list[str] = field(default_factory=list)


# Characters XML 1.0 cannot carry and that are not text: C0 controls other
# than tab, newline and carriage return; unpaired surrogates; U+FFFE, U+FFFF.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text_problem(text: str) -> str | None:
    """Why a string cannot be stored and written as text, or None."""
    match = _NOT_TEXT.search(text)
    if match is None:
        return None
    return f"holds the character U+{ord(match.group()):04X} (position {match.start()}), not text"


# Characters of a key shown in a problem's field: a key may be a million long.
KEY_SHOWN = 60


def key_path(path: str, key: Any) -> str:
    shown = shorten(str(key), KEY_SHOWN)
    return f"{path}.{shown}" if path else shown


def too_many_keys(limit: int, count: int | None = None) -> str:
    """The message for an object with too many keys; `count` None when counting stopped."""
    many = f"{count:,}" if count is not None else f"more than {limit:,}"
    return (
        f"{many} properties, over the limit of {limit:,} per feature (or per object inside "
        "one): keep the columns you need"
    )


def key_too_long(length: int, limit: int) -> str:
    return (
        f"a property name of {length:,} characters is over the {limit:,}-character limit: rename it"
    )


def value_problems(
    value: Any, path: str, limits: Limits | None = None
) -> Iterator[tuple[str, str]]:
    """(field, message) for every string too long or not text, every non-finite number,
    and (with `limits`) every object with too many keys and every key too long."""
    if isinstance(value, str):
        if limits is not None and len(value) > limits.max_string:
            yield (
                path,
                f"{len(value):,} characters is over the {limits.max_string:,}-character limit",
            )
        elif (problem := text_problem(value)) is not None:
            yield path, problem
    elif isinstance(value, float) and not math.isfinite(value):
        yield path, f"{value} is not a finite number"
    elif isinstance(value, dict):
        if limits is not None and len(value) > limits.max_properties:
            yield path, too_many_keys(limits.max_properties, len(value))
            return  # a million keys are not checked one by one
        for key, item in value.items():
            sub = key_path(path, key)
            if limits is not None and len(str(key)) > limits.max_key_length:
                yield sub, key_too_long(len(str(key)), limits.max_key_length)
                continue
            if isinstance(key, str) and (problem := text_problem(key)) is not None:
                yield sub, f"the key {problem}"
            yield from value_problems(item, sub, limits)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from value_problems(item, f"{path}[{index}]", limits)


# ---------------------------------------------------------------- text


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database (a GeoPackage?)"),
    (b"\x00\x00\x27\x0a", "an ESRI shapefile"),
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "a zip archive"),
)


def binary_kind(data: bytes) -> str | None:
    """What a file is, when its first bytes say it is not text."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    return None


def decode_upload(data: bytes, *, file: str, expected: str) -> str:
    """An upload's text (UTF-8, a BOM allowed: `geo.text.decode_text`), or a `DataError` that
    says what the file is instead: another encoding, binary data, or nothing."""
    bom = byte_order_mark(data)
    # A file marked as UTF-16 or UTF-32 holds NULs: decode_text names its encoding instead.
    if bom is None or bom.encoding in UTF8:
        _refuse_binary(data, file=file, expected=expected)
    text = decode_text(data, file=file, encodings=UTF8)
    if not text.strip():
        raise DataError(Problem("the file is empty", file=file))
    return text


def _refuse_binary(data: bytes, *, file: str, expected: str) -> None:
    what = binary_kind(data)
    if what is not None:
        raise DataError(Problem(f"this is {what}, not {expected}", file=file))
    head = data[: 64 * 1024]
    nul = head.find(b"\x00")
    if nul >= 0:
        # ASCII text in UTF-16 without a BOM has a NUL beside every character.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) > len(head) // 4:
            message = "this looks like UTF-16 text (every other byte is 0): save it as UTF-8"
        else:
            message = f"binary data (a NUL byte at position {nul}), not {expected}"
        raise DataError(Problem(message, file=file))


_ESCAPED = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')
_NUMBER_START_AS_ZERO = bytes.maketrans(b"123456789-", b"0000000000")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_BRACKET_STEP = np.zeros(256, dtype=np.int8)
_BRACKET_STEP[list(b"[{")] = 1
_BRACKET_STEP[list(b"]}")] = -1


def _json_shape(text: str) -> tuple[int, int]:
    """(deepest nesting, arrays that start with a number), without parsing.

    Strings are cut out with two C-speed regexes; in the bytes left, a "["
    before a digit or "-" is an array of numbers, and the brackets alone give
    the depth. `json.loads` recurses and only fails near 1,000 levels, after
    building the whole tree; this refuses a deep or huge file before that.
    Only the brackets reach numpy: on 25 MB of coordinates, comparing every
    byte in int64 took 1 s and 430 MB.
    """
    bare = _STRING.sub("", _ESCAPED.sub("", text)).encode("utf-8").translate(None, b" \t\r\n")
    arrays = bare.translate(_NUMBER_START_AS_ZERO).count(b"[0")
    brackets = bare.translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0, arrays
    steps = _BRACKET_STEP[np.frombuffer(brackets, dtype=np.uint8)]
    depth = int(np.cumsum(steps, dtype=np.int64).max())
    return max(depth, 0), arrays


def _too_deep(depth: int, limits: Limits, file: str, field: str | None = None) -> DataError:
    return DataError(
        Problem(
            f"JSON nested {depth:,} levels deep, over the limit of {limits.max_depth}",
            file=file,
            field=field,
        )
    )


def check_json_depth(text: str, *, file: str, limits: Limits, field: str | None = None) -> None:
    depth, _ = _json_shape(text)
    if depth > limits.max_depth:
        raise _too_deep(depth, limits, file, field)


def check_json_shape(text: str, *, file: str, limits: Limits) -> None:
    """Refuse deep nesting, and more arrays of numbers than the coordinate limit, before
    parsing: a 50 MB file of positions takes about six times that in memory once parsed."""
    depth, arrays = _json_shape(text)
    if depth > limits.max_depth:
        raise _too_deep(depth, limits, file)
    # Every position is an array that starts with a number: an upper bound, exact for
    # files whose properties hold no arrays of numbers.
    if arrays > limits.max_coordinates:
        raise DataError(
            Problem(
                f"more than {limits.max_coordinates:,} coordinates ({arrays:,} arrays of "
                "numbers), the limit: simplify or split the file",
                file=file,
            )
        )


# ---------------------------------------------------------------- numbers and dates

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def number(text: str) -> float | None:
    """A decimal number as written in a file; None for anything else (no 'nan', no '1_0')."""
    text = text.strip()
    return float(text) if _NUMBER.fullmatch(text) else None


_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
# GDAL and QGIS write date-times as 2017/05/15 08:30:00+00.
_GDAL_DATETIME = re.compile(
    r"(\d{4})/(\d{2})/(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[+-]\d{2}(?::?\d{2})?)?)?"
)


def day_of_datetime(text: str) -> str | None:
    """The calendar day of an ISO 8601 / RFC 3339 date-time, as stated (no time-zone shift)."""
    match = _DATETIME.fullmatch(text.strip())
    if not match:
        return None
    day, hour, minute, second = match.groups()
    if int(hour) > 23 or int(minute) > 59 or (second is not None and int(second) > 60):
        return None
    try:
        return parse_date(day).text
    except DateError:
        return None


def _gdal_day(text: str) -> str | None:
    match = _GDAL_DATETIME.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, *clock = match.groups()
    return day_of_datetime(f"{year}-{month}-{day}T{clock[0] or '00'}:{clock[1] or '00'}")


def _single_day(text: str) -> str | None:
    try:
        return parse_date(text).text
    except DateError:
        return day_of_datetime(text) or _gdal_day(text)


def edtf_of(text: str) -> str | None:
    """An EDTF date for a stated value: EDTF as it is; a date-time (or interval) as its day."""
    text = text.strip()
    whole = _single_day(text)  # EDTF, intervals included, or one date-time
    if whole is not None or "/" not in text:
        return whole
    first, _, last = text.partition("/")
    start, end = _single_day(first), _single_day(last)
    if start is None or end is None:
        return None
    try:
        return parse_date(f"{start}/{end}").text
    except DateError:
        return None


def stated_text(value: Any) -> str | None:
    """A property value as the text a date could be read from (numbers count: 2015)."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def lookup(properties: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any] | None:
    """The first of `keys` present with a value, matching case-insensitively (Name, DATE)."""
    folded: dict[str, str] = {}
    for key in properties:
        folded.setdefault(key.casefold(), key)
    for key in keys:
        real = key if key in properties else folded.get(key)
        if real is None:
            continue
        value = properties[real]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        return real, value
    return None


# ---------------------------------------------------------------- geometry helpers


def _repairable(geometry: dict[str, Any], problems: list[str]) -> str | None:
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


def _make_valid(geometry: dict[str, Any]) -> dict[str, Any] | None:
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


# ---------------------------------------------------------------- the reader


class Reader:
    """One upload being read: its problems, warnings, counts and records.

    Problems are collected, never raised one by one, so the researcher sees
    every one at once; limits are the exception: past a limit, reading stops.
    """

    def __init__(
        self,
        *,
        file: str,
        layer: str,
        limits: Limits,
        repair: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.file = file
        self.layer = layer
        self.limits = limits
        self.repair = repair
        # Seconds from an arbitrary start; tests pass a clock they move themselves.
        self.clock = clock
        self._deadline = clock() + limits.max_seconds
        self.problems: list[Problem] = []
        self._more_problems = 0
        self._notes: dict[str, list[str]] = {}
        self._note_counts: dict[str, int] = {}
        self._features = 0
        self._coordinates = 0
        self.records: list[LayerRecord] = []
        self._ids: set[str] = set()

    # -- problems and warnings

    def problem(
        self,
        message: str,
        *,
        record: str | None = None,
        field: str | None = None,
        code: str | None = None,
    ) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self._more_problems += 1
            return
        self.problems.append(
            Problem(message, file=self.file, record=record, field=field, code=code)
        )

    def refuse(
        self, message: str, *, record: str | None = None, field: str | None = None
    ) -> NoReturn:
        """Stop at once: for limits, and for files that cannot be read at all."""
        raise DataError(Problem(message, file=self.file, record=record, field=field))

    def note(self, topic: str, example: str | None = None) -> None:
        examples = self._notes.setdefault(topic, [])
        self._note_counts[topic] = self._note_counts.get(topic, 0) + 1
        if example is not None and len(examples) < MAX_EXAMPLES:
            examples.append(example)

    def warnings(self) -> list[str]:
        lines = []
        for topic, examples in self._notes.items():
            more = self._note_counts[topic] - len(examples)
            listed = ", ".join(examples)
            if examples and more > 0:
                listed += f" and {more:,} more"
            lines.append(f"{topic}: {listed}" if examples else topic)
        return lines

    def raise_problems(self) -> None:
        if not self.problems:
            return
        problems = list(self.problems)
        if self._more_problems:
            problems.append(
                Problem(f"… and {self._more_problems:,} more problems not listed", file=self.file)
            )
        raise DataError(problems)

    # -- limits

    def check_time(self, *, record: str | None = None) -> None:
        """Stop once reading has taken longer than the limit (called between pieces of work)."""
        if self.clock() > self._deadline:
            where = f" (stopped at record {record})" if record else ""
            self.refuse(
                f"reading the file took longer than the {self.limits.max_seconds:g}-second "
                f"limit{where}: split it into smaller files or simplify its geometries"
            )

    def check_vertices(self, count: int, what: str, *, record: str, field: str) -> None:
        """Refuse one geometry with too many vertices, before any work on them."""
        if count > self.limits.max_vertices_per_geometry:
            self.refuse(
                f"{what} of {count:,} vertices is over the limit of "
                f"{self.limits.max_vertices_per_geometry:,} per geometry: {SIMPLIFY}",
                record=record,
                field=field,
            )

    def check_keys(self, keys: Any, *, record: str | None, field: str | None) -> None:
        """Refuse a feature with too many properties or too long a property name, early:
        before they are copied, parsed or checked one by one."""
        count = len(keys)
        if count > self.limits.max_properties:
            self.refuse(
                too_many_keys(self.limits.max_properties, count), record=record, field=field
            )
        longest = max(keys, key=lambda key: len(str(key)), default="")
        if len(str(longest)) > self.limits.max_key_length:
            self.refuse(
                key_too_long(len(str(longest)), self.limits.max_key_length),
                record=record,
                field=key_path(field or "", longest),
            )

    def check_feature_count(self, count: int) -> None:
        if count > self.limits.max_features:
            self.refuse(
                f"{count:,} features is over the limit of {self.limits.max_features:,}: "
                "split the file"
            )

    def count_feature(self) -> int:
        """Count one more feature (as it is met, for streamed formats); its number from 1."""
        self._features += 1
        self.check_time(record=f"#{self._features}")
        if self._features > self.limits.max_features:
            self.refuse(
                f"more than {self.limits.max_features:,} features, the limit: split the file"
            )
        return self._features

    def add_coordinates(self, count: int) -> None:
        self._coordinates += count
        if self._coordinates > self.limits.max_coordinates:
            self.refuse(
                f"more than {self.limits.max_coordinates:,} coordinates, the limit: "
                "simplify or split the file"
            )

    # -- values

    def check_kind_and_date(self, kind: str, date: str | None, *, record: str) -> bool:
        """The kind and EDTF date of a record written by this tool; False after a problem."""
        # As the record checks itself (geo.records), with the same words.
        ok = True
        for name, value in (("kind", kind), ("date", date)):
            for message in field_problems(name, value):
                self.problem(message, record=record, field=name)
                ok = False
        return ok

    def check_values(self, value: Any, *, record: str | None, field: str = "") -> bool:
        found = False
        for path, message in value_problems(value, field, self.limits):
            self.problem(message, record=record, field=path or None)
            found = True
        return not found

    def geometry(
        self, geometry: Any, *, record: str, field: str = "geometry", counted: bool = False
    ) -> tuple[dict[str, Any], Any] | None:
        """A checked, normalised geometry and, if it was cut or repaired, the original; or None.

        The vertices are counted first (one geometry, and the file), before
        anything is built from them. Structure and range come from
        `geo.geojson.structure_problems`; a geometry that crosses the
        antimeridian is cut there (`geo.geojson.cut_at_antimeridian`); one
        that is only invalid (self-intersection, ...) is refused with the
        reason, or repaired with `shapely.make_valid` when asked.
        """
        if not isinstance(geometry, dict):
            what = "null" if geometry is None else type(geometry).__name__
            self.problem(
                f"no geometry ({what}): every record needs a location", record=record, field=field
            )
            return None
        kind = geometry.get("type")
        if not isinstance(kind, str):
            # geometry_problems would fail on an unhashable type (a list or object).
            self.problem(
                f"geometry 'type' must be text, got {kind!r}"[:200], record=record, field=field
            )
            return None
        if kind == "GeometryCollection":
            self.problem(GEOMETRY_COLLECTION, record=record, field=field)
            return None
        if kind in COORDINATE_DEPTH:
            positions = count_positions(geometry.get("coordinates"), COORDINATE_DEPTH[kind])
            if not counted:
                self.add_coordinates(positions)
            self.check_vertices(positions, f"a {kind}", record=record, field=field)
            if positions == 0 and isinstance(geometry.get("coordinates"), list):
                self.problem("empty geometry (no coordinates)", record=record, field=field)
                return None
        self.check_time(record=record)
        structure = structure_problems(geometry)
        if structure:
            self.problem(structure[0], record=record, field=field)
            return None
        candidate, changed = geometry, False
        if crosses_antimeridian(geometry):
            try:
                candidate, changed = cut_at_antimeridian(geometry), True
            except ValueError as exc:
                self.problem(
                    f"the {kind} crosses the antimeridian (longitude ±180) and cannot be cut "
                    f"there reliably: {exc}. Split it there yourself (GDAL: ogr2ogr "
                    "-wrapdateline) into parts that do not cross it",
                    record=record,
                    field=field,
                )
                return None
            self.note(CUT_AT_ANTIMERIDIAN, record)
            kind = candidate["type"]
        original = copy.deepcopy(geometry) if changed else None
        problems = validity_problems(candidate)
        reason = _repairable(candidate, problems) if problems else None
        if problems and reason is None:
            self.problem(problems[0], record=record, field=field)
            return None
        if reason is None:
            normal = normalise_geometry(candidate)
            # Rounding to 7 decimals can make a valid geometry invalid (rare, tiny parts).
            if normal["type"] == "Point" or shape(normal).is_valid:
                return normal, original
            reason = str(shapely.is_valid_reason(shape(normal)))
            message = f"invalid {kind} after rounding to 7 decimals: {reason}"
        else:
            message = problems[0]
        if changed:
            message = f"{message} (once cut at the antimeridian)"
        if not self.repair:
            self.problem(
                f"{message}; repairable with make_valid",
                record=record,
                field=field,
                code=REPAIRABLE,
            )
            return None
        fixed = _make_valid(candidate)
        if fixed is None:
            self.problem(
                f"{message}; make_valid could not repair it into a single geometry type",
                record=record,
                field=field,
            )
            return None
        repaired = normalise_geometry(fixed)
        if geometry_problems(repaired):
            self.problem(
                f"{message}; make_valid's repair is still invalid after rounding to 7 decimals",
                record=record,
                field=field,
            )
            return None
        self.note(
            f"repaired with make_valid (the original is kept in property "
            f"'{ORIGINAL_GEOMETRY_KEY}')",
            f"{record} ({reason})",
        )
        return repaired, copy.deepcopy(geometry)

    def with_original(
        self, properties: dict[str, Any], original: Any, *, record: str
    ) -> dict[str, Any] | None:
        """The properties, with the original geometry when it was cut or repaired."""
        if original is None:
            return properties
        if ORIGINAL_GEOMETRY_KEY in properties:
            self.problem(
                f"the property '{ORIGINAL_GEOMETRY_KEY}' is where a repaired or cut record "
                "keeps its original geometry: rename it",
                record=record,
                field=ORIGINAL_GEOMETRY_KEY,
            )
            return None
        return {**properties, ORIGINAL_GEOMETRY_KEY: original}

    # -- derived fields

    def default_name(self, number: int) -> str:
        return f"{self.layer} #{number}"

    def name_of(self, properties: dict[str, Any], number: int) -> str:
        found = lookup(properties, NAME_KEYS)
        if found is not None:
            value = found[1]
            if isinstance(value, str):
                return value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
        return self.default_name(number)

    def date_of(self, properties: dict[str, Any], record: str) -> tuple[str | None, str | None]:
        """(EDTF date, date as stated) from the first date-like property that has a value."""
        found = lookup(properties, DATE_KEYS)
        as_stated = properties.get("date_as_stated")
        as_stated = as_stated if isinstance(as_stated, str) and as_stated.strip() else None
        if found is None:
            return None, as_stated
        key, value = found
        text = stated_text(value)
        if key.casefold() == "start":
            end = lookup(properties, ("end",))
            end_text = stated_text(end[1]) if end else None
            if text is not None and end_text is not None:
                text = f"{text.strip()}/{end_text.strip()}"
        date = edtf_of(text) if text is not None else None
        if date is None:
            self.note(UNREAD_DATE, f"{record} {key}={value!r}"[:120])
        return date, as_stated if as_stated is not None else text

    @staticmethod
    def kind_of(properties: dict[str, Any]) -> Kind:
        value = properties.get("kind")
        if isinstance(value, str) and value in Kind._value2member_map_:
            return Kind(value)
        return Kind.OTHER

    # -- records

    def add(
        self,
        *,
        number: int,
        record_id: Any,
        name: str,
        kind: Kind,
        geometry: dict[str, Any],
        properties: dict[str, Any],
        date: str | None,
        date_as_stated: str | None,
        layer: str | None = None,
    ) -> None:
        if isinstance(record_id, bool) or not isinstance(record_id, (str, int, float)):
            record_id = None
        if record_id is None or (isinstance(record_id, str) and not record_id.strip()):
            text_id = f"{self.layer}#{number}"
        else:
            text_id = str(record_id)
        # Names and ids that did not come from the properties (a KML name, a STAC id)
        # are checked here; the rest were checked with the properties.
        if not self.check_values({"id": text_id, "name": name}, record=f"#{number}"):
            return
        if text_id in self._ids:
            original, suffix = text_id, 2
            while f"{original} ({suffix})" in self._ids:
                suffix += 1
            text_id = f"{original} ({suffix})"
            self.note("ids that appear more than once were given a suffix", f"#{number} {text_id}")
        self._ids.add(text_id)
        self.records.append(
            LayerRecord(
                id=text_id,
                layer=self.layer if layer is None else layer,
                kind=kind,
                name=name,
                geometry=geometry,
                properties=properties,
                date=date,
                date_as_stated=date_as_stated,
            )
        )

    def add_derived(
        self,
        *,
        number: int,
        record_id: Any,
        properties: dict[str, Any],
        geometry: Any,
        name: str | None = None,
        date: tuple[str | None, str | None] | None = None,
        kind: Kind | None = None,
        counted: bool = False,
    ) -> None:
        """Check a foreign record and add it with name, date and kind derived from it."""
        record = f"#{number}"
        values_ok = self.check_values(properties, record=record, field="properties")
        checked = self.geometry(geometry, record=record, counted=counted)
        if checked is None or not values_ok:
            return
        normal, original = checked
        kept = self.with_original(properties, original, record=record)
        if kept is None:
            return
        properties = kept
        stated = date if date is not None else self.date_of(properties, record)
        self.add(
            number=number,
            record_id=record_id,
            name=name if name is not None else self.name_of(properties, number),
            kind=kind if kind is not None else self.kind_of(properties),
            geometry=normal,
            properties=properties,
            date=stated[0],
            date_as_stated=stated[1],
        )

    def upload(self, fmt: Format) -> Upload:
        self.raise_problems()
        if not self.records:
            self.refuse("no features: the file holds nothing to import")
        return Upload(records=self.records, format=fmt, warnings=self.warnings())


# ---------------------------------------------------------------- writing


def prepared(records: list[LayerRecord], *, what: str) -> list[tuple[LayerRecord, dict[str, Any]]]:
    """Each record with its normalised geometry, or a `DataError` naming every record that
    cannot be written so that it reads back the same (text that is not text, NaN, ...)."""
    problems: list[Problem] = []
    result = []
    for index, record in enumerate(records, start=1):
        where = f"#{index} ({record.id})"[:200]
        fields = {
            "id": record.id,
            "layer": record.layer,
            "name": record.name,
            "date": record.date,
            "date_as_stated": record.date_as_stated,
        }
        for path, message in value_problems(fields, ""):
            problems.append(Problem(message, file=what, record=where, field=path))
        for path, message in value_problems(record.properties, "properties"):
            problems.append(Problem(message, file=what, record=where, field=path))
        for name in ("kind", "date"):
            problems += [
                Problem(message, file=what, record=where, field=name)
                for message in field_problems(name, getattr(record, name))
            ]
        found = geometry_problems(record.geometry)
        if found:
            problems.append(Problem(found[0], file=what, record=where, field="geometry"))
            continue
        result.append((record, normalise_geometry(record.geometry)))
    if problems:
        raise DataError(problems)
    return result
