"""Validation at the boundary: what a record, a name or an import must be to be kept.

A record is never kept, or read back, unless every field passes here: the map,
the exports and the history rely on it. Problems are collected, then raised once
as DataError by the caller.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import Any, Final, cast

from geo.dates import parse_date
from geo.errors import DataError, Problem
from geo.geojson import geometry_problems as geojson_problems
from geo.records import CASE_LAYER_NAME, RESERVED_LAYER_NAMES, Kind, LayerRecord
from geo.store.chain import canonical_json

MAX_NAME_LENGTH: Final = 200  # ids, layer names, analysts
MAX_FILE_NAME_LENGTH: Final = 1000

# Fields an edit may change; id and layer are fixed for a record's life so the
# history of a record and of a layer can be followed by name.
EDITABLE_FIELDS: Final = ("name", "kind", "geometry", "properties", "date", "date_as_stated")
# A record's fields, in the order their problems are told.
RECORD_FIELDS: Final = ("id", "layer", *EDITABLE_FIELDS)


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
    if not is_unicode(value) or any(unicodedata.category(c) == "Cc" for c in value):
        return problem("contains control characters or invalid Unicode")
    return None


def checked_analyst(analyst: object) -> str:
    problem = name_problem(analyst, "the analyst's name", field="analyst")
    if problem is not None:
        raise DataError(problem)
    return cast(str, analyst).strip()


def checked_id(record_id: object) -> str:
    problem = name_problem(record_id, "the record id", field="id")
    if problem is not None:
        raise DataError(problem)
    return cast(str, record_id)


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
    label = record.id if isinstance(record.id, str) and record.id.strip() else None
    return [
        Problem(message, file=file, record=label, field=field)
        for field in RECORD_FIELDS
        for message in field_problems(field, getattr(record, field))
    ]


def new_record_problems(record: LayerRecord) -> list[Problem]:
    """What keeps `record` from being added by hand: its fields, and its layer."""
    problems = record_problems(record)
    if not problems and record.layer.strip().casefold() == CASE_LAYER_NAME:
        problems = [
            Problem(
                f"the layer name {record.layer.strip()!r} is reserved for the case's own "
                "records: choose another name",
                record=record.id,
                field="layer",
            )
        ]
    return problems


def change_problems(record_id: str, given: dict[str, object]) -> list[Problem]:
    """What keeps the fields `given` from being set on the record `record_id`."""
    if not given:
        return [Problem("nothing to change: give at least one field", record=record_id)]
    return [
        Problem(message, record=record_id, field=field)
        for field, value in given.items()
        for message in field_problems(field, value)
    ]


def import_problems(
    layer: object, records: object, file_name: object, file_bytes: object
) -> list[Problem]:
    """What keeps an import's arguments, apart from its records, from being kept."""
    problems = [
        problem
        for problem in (
            name_problem(layer, "the layer name", field="layer"),
            name_problem(file_name, "the file name", field="file_name", limit=MAX_FILE_NAME_LENGTH),
        )
        if problem is not None
    ]
    if isinstance(layer, str) and layer.strip().casefold() in RESERVED_LAYER_NAMES:
        # a layer named "case" lost its records from exports and broke the map; one
        # named "Annotations" took over the drawing layer
        problems.append(
            Problem(
                f"the layer name {layer.strip()!r} is reserved for the case's own records "
                "and for your drawings: choose another name",
                field="layer",
            )
        )
    if not isinstance(records, list):
        problems.append(Problem("records must be a list of LayerRecord", field="records"))
    if not isinstance(file_bytes, (bytes, bytearray, memoryview)):
        problems.append(Problem("the file's content must be bytes", field="file_bytes"))
    return problems


def imported_records_problems(records: Sequence[object], source: str | None) -> list[Problem]:
    """What keeps the records of one import, their layer and ids given, from being kept:
    each one's fields, and an id used twice."""
    problems = [problem for record in records for problem in record_problems(record, source)]
    seen: set[str] = set()
    for record in records:
        if isinstance(record, LayerRecord) and isinstance(record.id, str):
            if record.id in seen:
                problems.append(
                    Problem("the id is used twice in this file", source, record.id, "id")
                )
            seen.add(record.id)
    return problems
