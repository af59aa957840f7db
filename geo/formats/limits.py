"""What an upload may hold, and the checks that refuse it before the work they bound.

Each limit is checked before the memory or time it bounds is spent: sizes and
counts before parsing, JSON nesting by a scan of its brackets, values and keys
as they are read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.errors import DataError, Problem
from geo.escape import shorten

MB = 1024 * 1024


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
    # Address space of the child process GDAL reads a GPX, GeoPackage, shapefile or
    # FlatGeobuf in (geo.formats._ogr): Python with GDAL and PROJ loaded reserves about
    # 0.5 GB before reading anything.
    max_gdal_memory: int = 1536 * MB


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


def _gathered(value: Any, strings: list[str], limits: Limits | None) -> bool:
    """False if `value` holds a number that is not finite or is over `limits`; its
    strings and keys, whose text is left to check, appended to `strings`."""
    if isinstance(value, str):
        strings.append(value)
        return limits is None or len(value) <= limits.max_string
    if isinstance(value, dict):
        if limits is not None and len(value) > limits.max_properties:
            return False
        for key, item in value.items():
            if isinstance(key, str):
                strings.append(key)
            if limits is not None and len(str(key)) > limits.max_key_length:
                return False
            if not _gathered(item, strings, limits):
                return False
        return True
    if isinstance(value, list):
        return all(_gathered(item, strings, limits) for item in value)
    return not isinstance(value, float) or math.isfinite(value)


def values_pass(value: Any, limits: Limits | None = None) -> bool:
    """Whether `value_problems` finds nothing, told without building a field's path for
    every value: one walk, and one search of all the text at once."""
    strings: list[str] = []
    # A newline between strings is text, so the joined text holds what is not text
    # exactly when one of them does.
    return _gathered(value, strings, limits) and _NOT_TEXT.search("\n".join(strings)) is None


def value_problems(
    value: Any, path: str, limits: Limits | None = None
) -> Iterator[tuple[str, str]]:
    """(field, message) for every string too long or not text, every non-finite number,
    and (with `limits`) every object with too many keys and every key too long.

    Values that pass (most of them) are told so at once (`values_pass`); the paths of
    fields are only made for values that do not."""
    if values_pass(value, limits):
        return
    yield from _value_problems(value, path, limits)


def _value_problems(value: Any, path: str, limits: Limits | None) -> Iterator[tuple[str, str]]:
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
            yield from _value_problems(item, sub, limits)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _value_problems(item, f"{path}[{index}]", limits)


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
