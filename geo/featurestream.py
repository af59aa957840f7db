"""A FeatureCollection file read a feature at a time, so that a large case is never
held twice: once parsed, once as the records made of it.

Parsing a 100,000-record case's files whole held every feature's parsed values at
once (5.6 times the files' size) before its records kept one copy of each repeated
value (`geo.case_plain.ValuePool`). Here the file is read in blocks, each feature is
parsed by itself and handed to `each` as it is read, and nothing else of it is kept.

A feature's end is found without a parser of our own: the text is cut where one
feature may end and the next begin (``}``, a comma, ``{"type": "Feature"``), and a
cut is taken only where the text before it parses as one JSON object. Such a cut
cannot fall inside a string, where every quote is escaped; one inside a feature (a
property holding features) leaves a bracket open, which never parses. The collection around the
features is parsed with an empty array in their place, and again with one marker
there, which must come back as its "features": only then is the file known to read
as it would whole. Whenever anything is unsure (a file not written one feature
after the other, a value orjson would read differently, a file too odd to cut) the
file is read whole instead (`geo.geojson.read_json_file`), which names what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, TypeVar

from geo.errors import DataError, Problem
from geo.geojson import MAX_FILE_BYTES, UNSURE, features_of, parsed_quickly, read_json_file

T = TypeVar("T")

BLOCK_BYTES: Final = 1 << 20
# Where the features' array opens; the first match is checked, never trusted.
_FEATURES_OPEN: Final = re.compile(rb'"features"\s*:\s*\[')
# Where one feature may end and the next begin.
_NEXT_FEATURE: Final = re.compile(rb'\}\s*,\s*(\{\s*"type"\s*:\s*"Feature")')
# Where the last feature may end: its brace, then the array's end.
_LAST_FEATURE_END: Final = re.compile(rb"\}\s*\]")
_ARRAY_END: Final = re.compile(rb"\s*\]")
# Cuts tried for one feature, and its text, before the file is read whole: a file
# whose features cannot be cut this way would otherwise be parsed again and again.
MAX_TRIES: Final = 32
MAX_FEATURE_BYTES: Final = 16 << 20
_MARKER: Final = 0


class _ReadWhole(Exception):
    """This file is read whole: it cannot be read here a feature at a time for sure."""


def collection_items(path: Path, each: Callable[[dict[str, Any]], T], *, file: str) -> list[T]:
    """`each` of every feature of the FeatureCollection at `path`, in order, or the
    `DataError` reading the file whole gives (`read_json_file`, `features_of`)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(Problem(f"cannot read: {exc.strerror}", file=file)) from exc
    if size <= MAX_FILE_BYTES:
        try:
            with path.open("rb") as stream:
                return _streamed(_blocks(stream), each)
        except _ReadWhole:
            pass
        except OSError as exc:
            raise DataError(Problem(f"cannot read: {exc.strerror}", file=file)) from exc
    return [each(feature) for feature in features_of(read_json_file(path), file=file)]


def _blocks(stream: Any) -> Iterator[bytes]:
    while block := stream.read(BLOCK_BYTES):
        yield block


def _feature(text: bytes) -> dict[str, Any] | None:
    parsed = parsed_quickly(text)
    if type(parsed) is dict and parsed.get("type") == "Feature":
        return parsed
    return None


def _streamed(blocks: Iterator[bytes], each: Callable[[dict[str, Any]], T]) -> list[T]:
    buffer = b""
    opened = None
    for block in blocks:
        buffer += block
        opened = _FEATURES_OPEN.search(buffer)
        if opened or len(buffer) > MAX_FEATURE_BYTES:
            break
    if opened is None:
        raise _ReadWhole
    header, buffer = buffer[: opened.end()], buffer[opened.end() :]
    items: list[T] = []
    start = 0  # where the current feature's text begins in `buffer`
    resume = 0  # where the cuts not yet tried begin
    tries = 0
    while True:
        for cut in _NEXT_FEATURE.finditer(buffer, resume):
            feature = _feature(buffer[start : cut.start() + 1])
            if feature is None:  # not this feature's end: the text goes on past this cut
                tries += 1
                if tries > MAX_TRIES:
                    raise _ReadWhole
                resume = cut.start() + 1
                continue
            items.append(each(feature))
            start = resume = cut.start(1)
            tries = 0
        buffer, resume, start = buffer[start:], max(resume - start, 0), 0
        if len(buffer) > MAX_FEATURE_BYTES:
            raise _ReadWhole
        more = next(blocks, None)
        if more is None:
            break
        buffer += more
    _check_collection(header, _last_feature(buffer, items, each))
    return items


def _last_feature(buffer: bytes, items: list[T], each: Callable[[dict[str, Any]], T]) -> bytes:
    """The text after the last feature, `each` of which is added to `items`."""
    if not items and _ARRAY_END.match(buffer):  # no features at all
        return buffer
    ends = [match.start() for match in _LAST_FEATURE_END.finditer(buffer)]
    for end in reversed(ends[-MAX_TRIES:]):
        feature = _feature(buffer[: end + 1])
        if feature is not None:
            items.append(each(feature))
            return buffer[end + 1 :]
    raise _ReadWhole


def _check_collection(header: bytes, rest: bytes) -> None:
    """That the file is a FeatureCollection whose features are the array read here:
    with that array empty, and with a marker in it, it parses as the collection whose
    "features" they are. Else, and for any member `features_of` refuses, it is read whole
    (which says what is wrong)."""
    empty = parsed_quickly(header + rest)
    marked = parsed_quickly(header + b"%d" % _MARKER + rest)
    if empty is UNSURE or marked is UNSURE:
        raise _ReadWhole
    if not (type(empty) is dict and type(marked) is dict):
        raise _ReadWhole
    if empty.get("features") != [] or marked.get("features") != [_MARKER]:
        raise _ReadWhole
    if empty.get("type") != "FeatureCollection" or "crs" in empty:
        raise _ReadWhole
