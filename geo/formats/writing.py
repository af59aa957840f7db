"""What every writer shares: records checked so that they read back the same."""

from __future__ import annotations

import json
import re
from itertools import chain
from typing import Any, NamedTuple

import numpy as np

from geo.errors import DataError, Problem
from geo.formats.jsonline import dicts_json
from geo.formats.limits import text_problem, value_problems, values_pass
from geo.geojson import (
    DECIMALS,
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

    Most records have nothing wrong: a chunk of them is screened at once (`_Screened`:
    its fields' text in one search, its properties' JSON by one orjson call, its
    points in numpy), and only a record that does not pass is walked value by value,
    its problems named with their fields."""
    problems: list[Problem] = []
    result: list[Prepared] = []
    for start in range(0, len(records), CHUNK_RECORDS):
        chunk = records[start : start + CHUNK_RECORDS]
        screened = _Screened(chunk)
        for index, record in enumerate(chunk):
            passed = screened.passed(index)
            if passed is not None:
                result.append(Prepared(record, *passed))
                continue
            found = _checked(record, problems, start + index + 1, what)
            if found is not None:
                result.append(found)
    if problems:
        raise DataError(problems)
    return result


def _checked(
    record: LayerRecord, problems: list[Problem], number: int, what: str
) -> Prepared | None:
    """One record checked value by value: Prepared, or None with its problems added."""
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
        where = f"#{number} ({record.id})"[:200]
        problems += [
            Problem(message, file=what, record=where, field=path) for path, message in found
        ]
        return None
    # Screened out but without a problem named (a key that is not text, a
    # backslash before a b in a string): written as JSON, which raises where it did.
    return Prepared(
        record,
        normalise_geometry(record.geometry),
        text if text is not None else properties_json(record.properties),
    )


_TEXT_TYPES = frozenset({str, type(None)})
_is_float = float.__instancecheck__


class _Screened:
    """A chunk of records screened at once: which pass every check `_checked` makes
    (`passed`), their properties' JSON (`texts`) and their normalised geometries."""

    def __init__(self, chunk: list[LayerRecord]) -> None:
        count = len(chunk)
        self.texts: list[str] = [""] * count
        self._ok: list[bool] = []
        self._points = False
        self._geometries = [record.geometry for record in chunk]
        self._fields = _fields_pass(chunk)
        if not self._fields:
            return
        texts = dicts_json([record.properties for record in chunk])
        if texts is None:
            self._fields = False
            return
        if _may_not_be_text("\n".join(texts)):
            self._ok = [not _may_not_be_text(text) for text in texts]
        else:
            self._ok = [True] * count
        self.texts = texts
        self._points = _normal_points(self._geometries)

    def passed(self, index: int) -> tuple[dict[str, Any], str] | None:
        """The record's normalised geometry and properties' JSON if it passes, else None."""
        if not (self._fields and self._ok[index]):
            return None
        geometry = self._geometries[index]
        if not self._points:
            if geometry_problems(geometry):
                return None
            geometry = normalise_geometry(geometry)
        return geometry, self.texts[index]


def _fields_pass(chunk: list[LayerRecord]) -> bool:
    """Whether every record's fields pass `_checked`'s checks: text or None, all of it
    text (one search of it all), kinds and dates as `field_problems` wants them."""
    texts = [
        value
        for record in chunk
        for value in (record.id, record.layer, record.name, record.date, record.date_as_stated)
    ]
    if not _TEXT_TYPES.issuperset(map(type, texts)):
        return False
    # A newline between two strings is text: the joined text holds what is not text
    # exactly when one of them does (`values_pass`, told in one search).
    if text_problem("\n".join([text for text in texts if text is not None])) is not None:
        return False
    try:
        kinds = {record.kind for record in chunk}
        dates = {record.date for record in chunk}
    except TypeError:  # unhashable
        return False
    return not any(field_problems("kind", kind) for kind in kinds) and not any(
        field_problems("date", date) for date in dates
    )


def _normal_points(geometries: list[Any]) -> bool:
    """Whether every geometry is a Point of two floats that `geometry_problems` passes
    and `normalise_geometry` gives back equal: ``{"type": "Point", "coordinates":
    [lon, lat]}``, in range, rounded to its decimals already."""
    try:
        if set(map(type, geometries)) != {dict} or set(map(len, geometries)) != {2}:
            return False
        if {geometry.get("type") for geometry in geometries} != {"Point"}:
            return False
        positions = [geometry.get("coordinates") for geometry in geometries]
    except TypeError:
        return False
    if set(map(type, positions)) != {list} or set(map(len, positions)) != {2}:
        return False
    numbers = list(chain.from_iterable(positions))
    if set(map(type, numbers)) != {float}:
        return False
    values = np.array(numbers).reshape(-1, 2)
    lon, lat = values[:, 0], values[:, 1]
    in_range = (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()
    # numpy's rounding gives x back only if x is the double nearest a number of
    # DECIMALS decimals, which Python's `round` then gives back too.
    return bool(in_range and (np.round(values, DECIMALS) == values).all())
