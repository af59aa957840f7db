"""What every writer shares: records checked so that they read back the same."""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from geo.errors import DataError, Problem
from geo.formats.limits import value_problems, values_pass
from geo.geojson import (
    geometry_problems,
    normalise_geometry,
)
from geo.records import LayerRecord, field_problems

# Records written at a time by the streaming writers: their text is held at once.
CHUNK_RECORDS = 1_000

# What JSON text (`json.dumps`, ensure_ascii=False) shows of a character that is not
# text (`geo.formats.limits.text_problem`): a lone surrogate, U+FFFE or U+FFFF as it is,
# a C0 control other than tab, newline and CR escaped. An escaped backslash before a b,
# an f or a u00.. matches too: such text is then checked value by value.
_RAW_NOT_TEXT = re.compile("[\ud800-\udfff\ufffe\uffff]")
_ESCAPED_NOT_TEXT = re.compile(r"\\[bf]|\\u00(?:0[0-8bcef]|1[0-9a-f])")


def _may_not_be_text(text: str) -> bool:
    # Most text is ASCII without a backslash: told at C speed, without a regex.
    if "\\" in text and _ESCAPED_NOT_TEXT.search(text):
        return True
    return not text.isascii() and _RAW_NOT_TEXT.search(text) is not None


class Prepared(NamedTuple):
    """A record checked for writing, its geometry normalised and its properties as JSON."""

    record: LayerRecord
    geometry: dict[str, Any]
    properties: str  # json.dumps(record.properties, ensure_ascii=False, allow_nan=False)


def properties_json(properties: dict[str, Any]) -> str:
    """A record's properties as our KML and CSV write them."""
    return json.dumps(properties, ensure_ascii=False, allow_nan=False)


def _screened_json(properties: dict[str, Any]) -> str | None:
    """The properties' JSON text if they certainly have no problem `value_problems`
    finds (no number that is not finite, no character that is not text), else None."""
    try:
        text = properties_json(properties)
    except (ValueError, TypeError, RecursionError):
        return None
    return None if _may_not_be_text(text) else text


def prepared(records: list[LayerRecord], *, what: str) -> list[Prepared]:
    """Each record with its normalised geometry and its properties' JSON, or a
    `DataError` naming every record that cannot be written so that it reads back the
    same (text that is not text, NaN, ...).

    Most records have nothing wrong: their values are screened at once (the fields
    by `values_pass`, the properties in the JSON text written anyway), and only a
    record that does not pass is walked value by value, its problems named with
    their fields."""
    problems: list[Problem] = []
    result = []
    for index, record in enumerate(records, start=1):
        found: list[tuple[str, str]] = []
        fields = {
            "id": record.id,
            "layer": record.layer,
            "name": record.name,
            "date": record.date,
            "date_as_stated": record.date_as_stated,
        }
        if not values_pass(fields):
            found += value_problems(fields, "")
        text = _screened_json(record.properties)
        if text is None:
            found += value_problems(record.properties, "properties")
        for name in ("kind", "date"):
            found += [(name, message) for message in field_problems(name, getattr(record, name))]
        geometry = geometry_problems(record.geometry)
        if geometry:
            found.append(("geometry", geometry[0]))
        if found:
            where = f"#{index} ({record.id})"[:200]
            problems += [
                Problem(message, file=what, record=where, field=path) for path, message in found
            ]
            continue
        # Screened out but without a problem named (a key that is not text, a
        # backslash before a b in a string): written as JSON, which raises where it did.
        result.append(
            Prepared(
                record,
                normalise_geometry(record.geometry),
                text if text is not None else properties_json(record.properties),
            )
        )
    if problems:
        raise DataError(problems)
    return result
