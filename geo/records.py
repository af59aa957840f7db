"""Researchers' own records: drawn on the map or imported from a file.

A `LayerRecord` is what an importer produces, what the store keeps, and what
the KML and CSV writers write: a geometry, the properties exactly as the file
or the form gave them, and the few fields the explorer derives to show it
(a name, a date with its precision, a kind).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final, cast

from geo.dates import parse_date
from geo.errors import DataError, Problem
from geo.geojson import canonical_json
from geo.geojson import geometry_problems as geojson_problems

# The layer a researcher's drawings go to; an import gets a layer of its own.
ANNOTATIONS_LAYER = "Annotations"
# The layer of the case's own records. Layer names an import
# may not take, compared case-blind: that one and the drawing layer.
CASE_LAYER = "case"
RESERVED_LAYER_NAMES: frozenset[str] = frozenset({CASE_LAYER, ANNOTATIONS_LAYER.casefold()})


def looks_like(name: str) -> str:
    """What a name looks like on the page: compatibility forms folded (ｃａｓｅ is case),
    invisible characters dropped (a zero-width space), case ignored. Letters of other
    scripts that look alike (a Cyrillic а) are not folded."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf").strip().casefold()


def is_reserved_layer(name: str) -> bool:
    """Whether a layer name is, or looks like, one the case and the drawings use."""
    return looks_like(name) in RESERVED_LAYER_NAMES


class Kind(StrEnum):
    """What a record is: the case's four kinds (`CASE_KINDS`, in the order the map and
    tables show them), and two more a researcher's records may be."""

    PLACE = "place"
    IMAGERY = "imagery"
    FEATURE = "feature"
    EVENT = "event"
    AREA = "area"  # an area of interest
    OTHER = "other"

    @property
    def label(self) -> str:
        """As a layer is headed: 'Imagery records'."""
        return KIND_LABELS[self]

    @property
    def word(self) -> str:
        """One record of the kind, in words: 'imagery record'."""
        return KIND_WORDS[self]

    @property
    def dated(self) -> bool:
        """Whether the case's records of this kind carry a date (a place does not)."""
        return self is not Kind.PLACE


CASE_KINDS: tuple[Kind, ...] = (Kind.PLACE, Kind.IMAGERY, Kind.FEATURE, Kind.EVENT)

KIND_LABELS: dict[Kind, str] = {
    Kind.PLACE: "Places",
    Kind.IMAGERY: "Imagery records",
    Kind.FEATURE: "Facility features",
    Kind.EVENT: "Events",
    Kind.AREA: "Areas of interest",
    Kind.OTHER: "Other records",
}


@dataclass(frozen=True)
class LayerRecord:
    """One record of a researcher's layer, the one form every part of the explorer
    passes around: it checks itself (`problems`), converts itself (`to_dict`,
    `from_dict`) and is a GeoJSON Feature to any library that reads
    ``__geo_interface__`` (shapely, geopandas)."""

    id: str
    layer: str  # the layer it belongs to: "Annotations", or the name of an import
    kind: Kind
    name: str
    geometry: dict[str, Any]  # an RFC 7946 geometry, already validated
    properties: dict[str, Any] = field(default_factory=dict)  # verbatim from file or form
    date: str | None = None  # EDTF (geo.dates), when the file or form gives one
    date_as_stated: str | None = None  # the words or value the date was read from

    def problems(self, file: str | None = None) -> list[Problem]:
        """What keeps this record from being kept: every field, checked."""
        return fields_problems({name: getattr(self, name) for name in RECORD_FIELDS}, file=file)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON values: what the store's history keeps and hashes."""
        return {
            "id": self.id,
            "layer": self.layer,
            "kind": Kind(self.kind).value,
            "name": self.name,
            "geometry": self.geometry,
            "properties": self.properties,
            "date": self.date,
            "date_as_stated": self.date_as_stated,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, file: str | None = None) -> LayerRecord:
        """The record `to_dict` gave; DataError naming every field that is wrong."""
        problems = fields_problems(values, file=file)
        if problems:
            raise DataError(problems)
        return cls.from_checked(values)

    @classmethod
    def from_checked(cls, values: Mapping[str, Any]) -> LayerRecord:
        """`from_dict` for values already checked (a store row read back and checked)."""
        return cls(
            id=values["id"],
            layer=values["layer"],
            kind=Kind(values["kind"]),
            name=values["name"],
            geometry=values["geometry"],
            properties=values["properties"],
            date=values["date"],
            date_as_stated=values["date_as_stated"],
        )

    @property
    def __geo_interface__(self) -> dict[str, Any]:
        """The record as a GeoJSON Feature: its fields beside its properties, kept apart
        so that no property of a file can take a field's name."""
        fields = self.to_dict()
        return {
            "type": "Feature",
            "id": self.id,
            "geometry": fields.pop("geometry"),
            "properties": fields,
        }


# Keyed by text too: a records frame holds a kind as its value (Kind is a StrEnum).
KIND_WORDS: dict[str, str] = {
    Kind.PLACE: "place",
    Kind.IMAGERY: "imagery record",
    Kind.FEATURE: "facility feature",
    Kind.EVENT: "event",
    Kind.AREA: "area of interest",
    Kind.OTHER: "other",
}


def free_layer_name(base: str, taken: Iterable[str]) -> str:
    """`base`, or `base (2)`, `base (3)`, … : the first that no layer in `taken` has,
    compared case-blind as the store compares layer names."""
    used = {name.casefold() for name in taken}
    name, number = base, 2
    while name.casefold() in used:
        name, number = f"{base} ({number})", number + 1
    return name


def records_in_words(count: int) -> str:
    """'1 record', '3 records'."""
    return f"{count:,} record{'' if count == 1 else 's'}"


def kind_label(kind: str) -> str:
    """A kind in words ('facility feature', 'area of interest'), for any record."""
    return KIND_WORDS.get(kind, kind)


def as_new_records(records: list[LayerRecord]) -> list[LayerRecord]:
    """Records about to be stored: the store gives them ids of its own.

    A file's ids need not be unique beyond that file (and an export read back
    carries ids that already exist); the file's id is kept as `_source_id`.
    """
    return [
        replace(record, id="", properties=record.properties | {"_source_id": record.id})
        if record.id
        else record
        for record in records
    ]


def place_at(
    name: str, lon: float, lat: float, *, layer: str, properties: dict[str, Any]
) -> LayerRecord:
    """A new place record at a point (the store gives it an id)."""
    return LayerRecord(
        id="",
        layer=layer,
        kind=Kind.PLACE,
        name=name,
        geometry={"type": "Point", "coordinates": [lon, lat]},
        properties=properties,
    )


# --- what a record must be to be kept: checked by the store, the exports' reader

MAX_NAME_LENGTH: Final = 200  # ids, layer names, analysts

# Fields an edit may change; id and layer are fixed for a record's life so the
# history of a record and of a layer can be followed by name.
EDITABLE_FIELDS: Final = ("name", "kind", "geometry", "properties", "date", "date_as_stated")
# A record's fields, in the order their problems are told.
RECORD_FIELDS: Final = ("id", "layer", *EDITABLE_FIELDS)


# What a name may not hold: Unicode's control characters (category Cc is exactly
# these 65) and lone surrogates (text, to Python, but not Unicode that can be written).
CONTROL_OR_SURROGATE: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def is_unicode(text: str) -> bool:
    # Lone surrogates pass as str but cannot be written to SQLite or hashed as UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def name_problem(
    value: object,
    what: str,
    *,
    field: str | None = None,
    record: str | None = None,
    limit: int = MAX_NAME_LENGTH,
) -> Problem | None:
    def problem(message: str) -> Problem:
        return Problem(f"{what} {message}", record=record, field=field)

    if not isinstance(value, str):
        return problem(f"must be text, not {type(value).__name__}")
    if not value.strip():
        return problem("is empty")
    if len(value) > limit:
        return problem(f"is {len(value)} characters long; at most {limit} are allowed")
    if CONTROL_OR_SURROGATE.search(value):
        return problem("contains control characters or invalid Unicode")
    return None


def json_problem(value: object) -> str | None:
    """Why `value` cannot be kept as JSON that reads back equal, or None."""
    if not isinstance(value, dict):
        return f"must be a JSON object (dict), not {type(value).__name__}"
    try:
        text = canonical_json(value)
    except ValueError as exc:  # NaN, infinity, circular reference
        return f"cannot be stored as JSON: {exc} (NaN and infinity are not JSON)"
    except (TypeError, RecursionError) as exc:
        return f"cannot be stored as JSON: {exc}"
    if not is_unicode(text):
        return "contains invalid Unicode (a lone surrogate)"
    if json.loads(text) != value:
        return (
            "would not read back as given: JSON keys are text and sequences are lists "
            "(a tuple or a number used as a key would change)"
        )
    return None


def field_problems(field: str, value: object) -> list[str]:
    """What is wrong with `value` as the record field `field`, in words."""
    if field in ("id", "layer"):
        what = "the record id" if field == "id" else "the layer name"
        problem = name_problem(value, what)
        return [problem.message] if problem else []
    if field == "kind":
        if isinstance(value, str) and value in Kind._value2member_map_:
            return []
        choices = ", ".join(k.value for k in Kind)
        return [f"kind must be one of {choices}, not {value!r}"]
    if field == "name":
        if not isinstance(value, str) or not is_unicode(value):
            return [f"the name must be text, not {type(value).__name__}"]
        return []
    if field in ("geometry", "properties"):
        unkept = json_problem(value)
        if unkept:
            return [f"{field} {unkept}"]
        return geometry_problems(cast(dict[str, Any], value)) if field == "geometry" else []
    if field == "date":
        if value is None:
            return []
        if not isinstance(value, str):
            return [f"the date must be text or None, not {type(value).__name__}"]
        try:
            parsed = parse_date(value)
        except DataError as exc:
            return [problem.message for problem in exc.problems]
        if parsed.text != value:
            return [f"the date {value!r} has spaces around it; give {parsed.text!r}"]
        return []
    if field == "date_as_stated":
        if value is None or (isinstance(value, str) and is_unicode(value)):
            return []
        return [f"date_as_stated must be text or None, not {type(value).__name__}"]
    raise AssertionError(field)


def geometry_problems(geometry: dict[str, Any]) -> list[str]:
    # What every importer and the drawing tool check: the map and the exports rely on
    # it, so a record is never kept, or read back, without it.
    if geometry.get("coordinates") == []:
        return ["the geometry has no coordinates"]
    return [f"the geometry is not valid GeoJSON: {m}" for m in geojson_problems(geometry)]


def record_problems(record: object, file: str | None = None) -> list[Problem]:
    if not isinstance(record, LayerRecord):
        return [Problem(f"expected a LayerRecord, not {type(record).__name__}", file=file)]
    return record.problems(file)


def fields_problems(
    values: Mapping[str, Any], *, file: str | None = None, fields: Iterable[str] = RECORD_FIELDS
) -> list[Problem]:
    """What is wrong with a record given as its fields (`LayerRecord.to_dict`'s form):
    every problem, each naming its field; a missing field is one. `fields`: those to
    check, when the caller has checked the others in its own words (`geo.case`)."""
    record_id = values.get("id")
    label = record_id if isinstance(record_id, str) and record_id.strip() else None
    problems = []
    for name in fields:
        if name not in values:
            problems.append(Problem("missing", file=file, record=label, field=name))
            continue
        problems += [
            Problem(message, file=file, record=label, field=name)
            for message in field_problems(name, values[name])
        ]
    return problems
