"""GeoJSON text as the explorer writes it: ``json.dumps(value, ensure_ascii=False,
indent=1)``, byte for byte, by orjson, and streamed a chunk of features at a time.

The golden export (tests/data/saydnaya-export.geojson) and every file written before
orjson keep their bytes: orjson indents by two spaces (halved here) and writes floats
below 1e-4 otherwise than Python (rewritten here); what orjson refuses is written by
the standard library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import orjson

from geo.bulk import collection_paused


class BinaryOut(Protocol):
    """Where the streaming writers write: a binary file, or anything that writes bytes
    as one does (`geo.manifest.HashingWriter`)."""

    def write(self, data: bytes, /) -> object: ...


# Features serialised at a time by `write_collection`: a few megabytes of text.
CHUNK_FEATURES = 1_000

# Below 1e-4 Python's repr (so json.dumps) writes an exponent of two digits or more
# (5e-05, 1e-07) where orjson writes positional digits down to 1e-5 (0.00005) and a bare
# exponent below (1e-7); every other float is written alike by both (shortest digits
# that read back). In indented JSON a number is the whole value on its line: after the
# indentation or ": ", before "," or the line's end, so none inside a string matches.
_ORJSON_TINY = re.compile(rb"(?<= )-?(?:0\.0000\d*|\d+(?:\.\d+)?e-\d+)(?=,?(?:\n|\Z))")
_DIGITS = frozenset(b"0123456789")


def _stdlib_text(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=1).encode("utf-8")


def may_hold_tiny(text: bytes) -> bool:
    """Whether orjson's output (compact or indented) may hold a float written unlike
    Python's repr."""
    if b"0.0000" in text:
        return True
    at = text.find(b"e-")
    while at > 0:
        if text[at - 1] in _DIGITS:
            return True
        at = text.find(b"e-", at + 2)
    return False


def fix_tiny_floats(indented: bytes) -> bytes:
    """orjson's indented output with its floats below 1e-4 written as Python writes them."""
    return _ORJSON_TINY.sub(_python_float, indented) if may_hold_tiny(indented) else indented


def _halved_indentation(text: bytes) -> bytes:
    """orjson's two-space indentation as one space, line by line: deepest lines first,
    each marked done with a carriage return (which JSON text never holds raw)."""
    depth = 0
    while b"\n" + b"  " * (depth + 1) in text:
        depth += 1
    for level in range(depth, 0, -1):
        text = text.replace(b"\n" + b"  " * level, b"\r" + b" " * level)
    return text.replace(b"\r", b"\n")


def _python_float(match: re.Match[bytes]) -> bytes:
    return repr(float(match.group())).encode("ascii")


def json_bytes(value: Any, depth: int = 0) -> bytes:
    """`value` exactly as `dumps` writes it, in UTF-8, its lines after the first indented
    `depth` spaces more: where it sits in a document `depth` levels deep.

    Written by orjson (some 20 times faster than the standard library, which writes
    indented JSON in pure Python) and made byte-identical to
    ``json.dumps(value, ensure_ascii=False, allow_nan=False, indent=1)``: orjson indents
    by two spaces, halved here (one pass, or one per level when a string holds two spaces
    in a row), and writes floats below 1e-4 its own way, rewritten here as Python does.
    What orjson refuses (keys that are not text, integers beyond 64 bits, a lone
    surrogate, a type it does not know) is written by the standard library, which
    raises where it did. NaN and infinity: orjson would write null, so values must be
    finite; every record the explorer reads or keeps is checked to be (`geo.case`,
    `geo.records.json_problem`).
    """
    wrapped = value
    for _ in range(depth):
        wrapped = [wrapped]  # so orjson indents it as deep as it will sit
    try:
        compact = orjson.dumps(wrapped)
        text = orjson.dumps(wrapped, option=orjson.OPT_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError is one
        text = _stdlib_text(value)
        return text.replace(b"\n", b"\n" + b" " * depth) if depth else text
    # Compact JSON holds spaces only inside strings: without two in a row, every pair
    # of spaces in the indented text is indentation.
    text = _halved_indentation(text) if b"  " in compact else text.replace(b"  ", b" ")
    if may_hold_tiny(compact):
        text = _ORJSON_TINY.sub(_python_float, text)
    if depth:
        head = sum(level + 2 for level in range(depth)) + depth  # "[\n", " [\n", ...
        tail = sum(level + 2 for level in range(depth))  # "\n ]", ..., "\n]"
        text = text[head:-tail]
    return text


def dumps(collection: dict[str, Any]) -> str:
    """Serialise for files and downloads: UTF-8, no NaN, readable diffs."""
    return json_bytes(collection).decode("utf-8")


def write_collection(
    members: dict[str, Any],
    features: Iterable[dict[str, Any]],
    out: BinaryOut,
    *,
    chunk: int = CHUNK_FEATURES,
) -> None:
    """A FeatureCollection with `members` (type, foreign members) and then `features`,
    written to `out` as `dumps` writes it, byte for byte, `chunk` features at a time:
    however many features there are, the text of one chunk is held at once."""
    with collection_paused():
        write_collection_text(members, features_texts(features, chunk), out)


def features_texts(features: Iterable[dict[str, Any]], chunk: int) -> Iterator[bytes]:
    """`features`, `chunk` at a time, as `features_text` writes them."""
    batch: list[dict[str, Any]] = []
    for feature in features:
        batch.append(feature)
        if len(batch) >= chunk:
            yield features_text(batch)
            batch = []
    if batch:
        yield features_text(batch)


def features_text(features: list[dict[str, Any]]) -> bytes:
    """Features as `dumps` writes them in a collection's list (two spaces deep), each
    after a comma and its line break: ``,\n  {...},\n  {...}``."""
    if not features:
        return b""
    # "[\n  {...},\n  {...}\n ]": the list one level deep
    return b"," + json_bytes(features, depth=1)[1:-3]


def write_collection_text(members: dict[str, Any], texts: Iterable[bytes], out: BinaryOut) -> None:
    """A FeatureCollection with `members` and then features already written, a chunk at
    a time, as `features_text` writes them."""
    head = json_bytes({**members, "features": []})
    assert head.endswith(b'"features": []\n}')
    out.write(head[: -len(b"]\n}")])
    written = False
    for text in texts:
        if text:
            out.write(text if written else text[1:])  # no comma before the first
            written = True
    out.write(b"\n ]\n}" if written else b"]\n}")
