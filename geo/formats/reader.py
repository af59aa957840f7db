"""What every reader shares: the state of one upload.

One `Reader` per upload collects every problem (naming its record by position
and, when it has one, by name) and warning, counts features and coordinates
against the limits, checks and (on request) repairs geometries, and derives a
record's name, date and kind from its properties the same way for every format.
When only records are at fault, it can give the file without them, each skipped
record listed with its reasons.

Why one module of some 700 lines: it is one class's state (counts against the
limits, problems and warnings of one upload), which every format's reader shares.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NoReturn

import shapely
from shapely.geometry import shape

from geo.errors import REPAIRABLE, DataError, Problem, SkippedRecord
from geo.escape import shorten
from geo.formats.datecols import DateChoice, DateOptions, date_rows
from geo.formats.limits import Limits, key_path, key_too_long, too_many_keys, value_problems
from geo.formats.repair import make_valid_one, repairable_reason
from geo.geojson import (
    COORDINATE_DEPTH,
    EDGE_TOLERANCE,
    clamped_to_range,
    count_positions,
    crosses_antimeridian,
    cut_at_antimeridian,
    geometry_problems,
    normalise_geometry,
    snapped_to_grid,
    structure_problems,
    validity_problems,
)
from geo.records import CONTROL_OR_SURROGATE, Kind, LayerRecord, field_problems

Format = Literal["geojson", "csv", "kml", "kmz", "stac", "gpx", "gpkg", "shapefile", "fgb"]

# Where a repaired or cut record keeps the geometry the file gave (verbatim), so
# the change can be checked and undone.
ORIGINAL_GEOMETRY_KEY = "_original_geometry"
CUT_AT_ANTIMERIDIAN = (
    "geometries that cross the antimeridian (longitude ±180) were cut there into parts "
    "that do not, as RFC 7946 asks (the original is kept in property "
    f"'{ORIGINAL_GEOMETRY_KEY}')"
)

CHOOSE_DATE = (
    "choose the date column and format in the import dialog, or --date-column/--date-format"
)
SNAPPED = (
    "geometries that rounding to 7 decimals (about 1 cm) would have made invalid were put "
    "on that grid by shapely's set_precision, which keeps them valid (the original is kept "
    f"in property '{ORIGINAL_GEOMETRY_KEY}')"
)
UNREAD_DATE = (
    "dates that could not be read were kept as stated, and these records have no date "
    f"({CHOOSE_DATE})"
)
AMBIGUOUS_DATE = (
    "dates that could be day/month/year or month/day/year (no value in the column tells "
    f"which) were kept as stated, and these records have no date ({CHOOSE_DATE})"
)
APPROXIMATE_DATE = (
    "the file marks these dates as less certain than the day given (ACLED's time_precision "
    "2 or 3); each keeps the day as stated: check what the source says"
)
UNUSED_DATES = f"columns that look like dates were not used for the records' dates ({CHOOSE_DATE})"
GEOMETRY_COLLECTION = "GeometryCollection is not supported: split it into one feature per geometry"
NAME_KEYS = ("name", "title", "label", "stop_name", "id")  # stop_name: GTFS

# Past this many problems a message is no longer read; the rest are counted.
MAX_PROBLEMS = 1000
# Characters of a record's name shown beside its position (a name may be a million long).
NAME_SHOWN = 60
# Reasons kept for one skipped record, and the characters of each: the history entry
# says why a record was left out, not every detail of it.
MAX_REASONS = 3
MAX_REASON_LENGTH = 300
# Examples listed per warning; the rest are counted.
MAX_EXAMPLES = 5


# Where a simplified copy of a too-detailed geometry can be made.
SIMPLIFY = (
    "simplify it first (QGIS: Vector > Geometry Tools > Simplify; GDAL: "
    "ogr2ogr -simplify 0.00001 simplified.geojson original.geojson keeps about 1 m)"
)


def no_geometry(allowed_by: str) -> str:
    """The problem of a record without a location, which `allowed_by` (a format) allows."""
    return f"has no geometry (allowed by {allowed_by}, but nothing to put on the map)"


def clamped_note(count: int) -> str:
    return (
        f"{count:,} coordinate{'s' if count != 1 else ''} past ±180 or ±90 by a rounding error "
        f"(at most {EDGE_TOLERANCE:g} degrees, below the 7 decimals every position is kept to) "
        "were set to the edge"
    )


@dataclass(frozen=True)
class Upload:
    """A file read completely: every record, the format it was read as, and what was odd.

    `skipped` lists the records left out at the researcher's request (`skip_bad`); it is
    empty unless they asked."""

    records: list[LayerRecord]
    format: Format
    warnings: list[str] = field(default_factory=list)
    # The columns (property names) the records have, and which gave their dates.
    dates: DateChoice = field(default_factory=DateChoice)
    skipped: list[SkippedRecord] = field(default_factory=list)


class BadRecords(DataError):
    """Some records of a file have problems, the file itself none, and the rest are good.

    Refused like any problem (all or nothing is the default); `good` is the file read
    without the bad records, for the researcher to import instead if they choose to
    (``read_upload(..., skip_bad=True)`` gives the same)."""

    def __init__(self, problems: list[Problem], good: Upload) -> None:
        super().__init__(problems)
        self.good = good


def visible(text: str) -> str:
    """`text` with its control characters and unpaired surrogates written as escapes
    (\\u0007): a name or reason from a file that can be kept and shown as text."""
    return CONTROL_OR_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def position_of(record: str) -> str:
    """The position ("#5") a reader's problem names its record by ("#5", "#5 (item-id)")."""
    return record.split(" ", 1)[0]


def _number(position: str) -> int:
    """The number of a position ("#5": 5), for file order; 0 for anything else."""
    digits = position.removeprefix("#")
    return int(digits) if digits.isdigit() else 0


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def number(text: str) -> float | None:
    """A decimal number as written in a file; None for anything else (no 'nan', no '1_0')."""
    text = text.strip()
    return float(text) if _NUMBER.fullmatch(text) else None


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
        dates: DateOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        skip_bad: bool = False,
    ) -> None:
        self.file = file
        self.layer = layer
        self.limits = limits
        self.repair = repair
        self.skip_bad = skip_bad
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
        self._positions: list[str] = []  # of each record, in `records`' order
        self._ids: set[str] = set()
        # Names by position, for problems (a good record's is forgotten once it is added);
        # the positions of records with problems, and the first reason of those whose
        # problems are past `MAX_PROBLEMS` (one each: a flood of problems stays small).
        self._names: dict[str, str] = {}
        self._bad: set[str] = set()
        self._unlisted: dict[str, str] = {}
        self._file_problems = False  # a problem of the whole file: no record can be skipped
        self._clamped: list[str] = []
        self._clamped_count = 0
        self.dates = dates or DateOptions()
        # Records whose date comes from their properties (`add_derived`): (index, label),
        # and whether the format itself gave the date (a KML TimeStamp, a STAC datetime).
        self._derived: list[tuple[int, str, bool]] = []
        self._dates = DateChoice()

    # -- problems and warnings

    def problem(
        self,
        message: str,
        *,
        record: str | None = None,
        field: str | None = None,
        code: str | None = None,
        whole_file: bool = False,
    ) -> None:
        """A problem of the record `record` ("#5"), or of the whole file (no record, or
        `whole_file`: a problem found at a record that keeps the rest from being read)."""
        position = position_of(record) if record is not None else None
        listed = len(self.problems) < MAX_PROBLEMS
        if position is None or whole_file:
            self._file_problems = True
        else:
            self._bad.add(position)
            if not listed:  # a listed problem gives its reason itself (`_skipped`)
                self._unlisted.setdefault(position, message)
        if not listed:
            self._more_problems += 1
            return
        name = self._names.get(position) if position is not None else None
        self.problems.append(
            Problem(message, file=self.file, record=record, field=field, code=code, name=name)
        )

    def refuse(
        self,
        message: str,
        *,
        record: str | None = None,
        field: str | None = None,
        code: str | None = None,
    ) -> NoReturn:
        """Stop at once: for limits, and for files that cannot be read at all."""
        name = self._names.get(position_of(record)) if record is not None else None
        raise DataError(
            Problem(message, file=self.file, record=record, field=field, code=code, name=name)
        )

    def name_record(self, record: str, name: Any) -> None:
        """Note the name the record `record` ("#5") has in the file, if it has one: its
        problems show it beside the position. Called as soon as a reader knows it."""
        if isinstance(name, (int, float)) and not isinstance(name, bool):
            name = str(name)
        if isinstance(name, str) and name.strip():
            self._names[position_of(record)] = shorten(visible(name.strip()), NAME_SHOWN)

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

    def _named(self, problem: Problem) -> Problem:
        if problem.record is None or problem.name is not None:
            return problem
        name = self._names.get(position_of(problem.record))
        return problem if name is None else replace(problem, name=name)

    def raise_problems(self, good: Upload | None = None) -> None:
        """Refuse with every problem, each record named; with `good` (the file without its
        bad records) as a `BadRecords`, which lets the caller offer to import those."""
        if not self.problems:
            return
        problems = [self._named(problem) for problem in self.problems]
        if self._more_problems:
            problems.append(
                Problem(f"… and {self._more_problems:,} more problems not listed", file=self.file)
            )
        if good is not None:
            raise BadRecords(problems, good)
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
        if geometry is None:
            self.problem(no_geometry("GeoJSON"), record=record, field=field)
            return None
        if not isinstance(geometry, dict):
            self.problem(
                f"geometry must be an object, got {type(geometry).__name__}",
                record=record,
                field=field,
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
            geometry = self._clamp(geometry, record)
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
        reason = repairable_reason(candidate, problems) if problems else None
        if problems and reason is None:
            self.problem(problems[0], record=record, field=field)
            return None
        if reason is None:
            normal = normalise_geometry(candidate)
            # Rounding to 7 decimals can make a valid geometry invalid (rare, tiny parts).
            if normal["type"] == "Point" or shape(normal).is_valid:
                return normal, original
            snapped = snapped_to_grid(candidate)
            if snapped is not None:
                self.note(SNAPPED, record)
                return snapped, copy.deepcopy(geometry)
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
        fixed = make_valid_one(candidate)
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

    def _clamp(self, geometry: dict[str, Any], record: str) -> dict[str, Any]:
        """`geometry` with coordinates past the edge by a rounding hair set to the edge."""
        clamped, values = clamped_to_range(geometry)
        self._clamped_count += len(values)
        name = self._names.get(position_of(record))
        for value in values:
            if len(self._clamped) < MAX_EXAMPLES:
                # past ±90 by a hair is a latitude, past ±180 a longitude
                axis = "latitude" if abs(value) < 180 else "longitude"
                named = f' "{name}"' if name else ""
                self._clamped.append(f"{record}{named} {axis} {value!r}")
        return clamped

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

    def _assign_dates(self) -> None:
        """Give records read from a foreign file the dates of their date column, chosen
        or detected over the whole file (`geo.formats.datecols`), and say what was odd."""
        if not self._derived:
            return
        rows = [self.records[index].properties for index, _, _ in self._derived]
        dated = date_rows(rows, self.dates)
        self._dates = dated.choice
        if dated.problem is not None:
            self.problem(dated.problem, field=self.dates.column)
            return
        labels = [label for _, label, _ in self._derived]
        for (index, _, native), (date, as_stated) in zip(self._derived, dated.dates, strict=True):
            if not native and (date is not None or as_stated is not None):
                record = self.records[index]
                self.records[index] = replace(record, date=date, date_as_stated=as_stated)
        for row, text in dated.unread:
            if not self._derived[row][2]:
                self.note(UNREAD_DATE, f"{labels[row]} {text}"[:120])
        for row, text in dated.ambiguous:
            if not self._derived[row][2]:
                self.note(AMBIGUOUS_DATE, f"{labels[row]} {text!r}"[:120])
        for row, text in dated.approximate:
            if not self._derived[row][2]:
                self.note(APPROXIMATE_DATE, f"{labels[row]} {text}"[:120])
        for column in dated.unused:
            self.note(UNUSED_DATES, column[:120])

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
        position = f"#{number}"
        self._positions.append(position)
        if position not in self._bad:
            self._names.pop(position, None)
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
        if name is None:
            name = stated_name(properties)
        self.name_record(record, name)
        values_ok = self.check_values(properties, record=record, field="properties")
        checked = self.geometry(geometry, record=record, counted=counted)
        if checked is None or not values_ok:
            return
        normal, original = checked
        kept = self.with_original(properties, original, record=record)
        if kept is None:
            return
        properties = kept
        stated = date if date is not None else (None, None)
        before = len(self.records)
        self.add(
            number=number,
            record_id=record_id,
            name=name if name is not None else self.default_name(number),
            kind=kind if kind is not None else self.kind_of(properties),
            geometry=normal,
            properties=properties,
            date=stated[0],
            date_as_stated=stated[1],
        )
        if len(self.records) > before:
            self._derived.append((before, record, date is not None))

    def upload(self, fmt: Format, *, found: str = "no features") -> Upload:
        """Every record read, dated (`geo.formats.datecols`); or, with problems, a refusal
        (see `raise_problems`); or, with `skip_bad` and only records at fault, the good
        records and the skipped listed. `found` says what the file held instead, when it
        held no record, and what to do with it."""
        if self._clamped_count:
            topic = clamped_note(self._clamped_count)
            for example in self._clamped:
                self.note(topic, example)
            self._note_counts[topic] = self._clamped_count
        self._assign_dates()
        good = self._without_bad(fmt) if self.problems else None
        if good is not None and self.skip_bad:
            return good
        self.raise_problems(good)
        if not self.records:
            self.refuse(f"the file holds nothing to import: {found}")
        return Upload(records=self.records, format=fmt, warnings=self.warnings(), dates=self._dates)

    def _without_bad(self, fmt: Format) -> Upload | None:
        """The upload without its bad records, if only records are at fault and some
        are good; else None."""
        if self._file_problems:
            return None
        kept = [
            record
            for record, position in zip(self.records, self._positions, strict=True)
            if position not in self._bad
        ]
        if not kept:
            return None
        return Upload(
            records=kept,
            format=fmt,
            warnings=self.warnings(),
            dates=self._dates,
            skipped=self._skipped(),
        )

    def _skipped(self) -> list[SkippedRecord]:
        """Each record with a problem: its position, name and first reasons, in file order."""
        reasons: dict[str, list[str]] = {}
        for problem in self.problems:
            if problem.record is not None:
                reasons.setdefault(position_of(problem.record), []).append(problem.message)
        for position, unlisted in self._unlisted.items():
            reasons.setdefault(position, []).append(unlisted)
        return [
            SkippedRecord(
                position,
                self._names.get(position),
                tuple(
                    shorten(visible(reason), MAX_REASON_LENGTH) for reason in given[:MAX_REASONS]
                ),
            )
            for position, given in sorted(reasons.items(), key=lambda item: _number(item[0]))
        ]


def stated_name(properties: dict[str, Any]) -> str | None:
    """The name a record's properties give it (the first of `NAME_KEYS` with a value,
    a number as its text), or None."""
    found = lookup(properties, NAME_KEYS)
    if found is not None:
        value = found[1]
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    return None
