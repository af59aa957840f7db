"""Researchers' own records: drawn on the map or imported from a file.

A `LayerRecord` is what an importer produces, what the store keeps, and what
the KML and CSV writers write: a geometry, the properties exactly as the file
or the form gave them, and the few fields the explorer derives to show it
(a name, a date with its precision, a kind).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

# The layer a researcher's drawings go to; an import gets a layer of its own.
ANNOTATIONS_LAYER = "Annotations"
# The layer of the case's own records (geo.case.CASE_LAYER). Layer names an import
# may not take, compared case-blind: that one and the drawing layer.
CASE_LAYER_NAME = "case"
RESERVED_LAYER_NAMES: frozenset[str] = frozenset({CASE_LAYER_NAME, ANNOTATIONS_LAYER.casefold()})


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
    id: str
    layer: str  # the layer it belongs to: "Annotations", or the name of an import
    kind: Kind
    name: str
    geometry: dict[str, Any]  # an RFC 7946 geometry, already validated
    properties: dict[str, Any] = field(default_factory=dict)  # verbatim from file or form
    date: str | None = None  # EDTF (geo.dates), when the file or form gives one
    date_as_stated: str | None = None  # the words or value the date was read from


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
