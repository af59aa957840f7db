"""Many dicts' JSON text on one line each, as ``json.dumps(value, ensure_ascii=False,
allow_nan=False)`` writes them (separators ", " and ": "), by one orjson call.

orjson writes compact JSON or JSON indented by two spaces; indented, every line
break and the spaces after it are outside strings (a string's line break is written
``\\n``), and a member's ": " is already Python's. So a list of dicts, indented, has
its dicts apart where a comma ends a line two spaces deep; each item separator
",\\n<spaces>" becomes ", ", and any other line break with its spaces goes. Floats
below 1e-4, which orjson writes otherwise, are rewritten as Python writes them
(`geo.jsontext.fix_tiny_floats`), before the lines are joined.

What orjson would write otherwise than ``json.dumps``, or not refuse where it
raises, is left to the caller (`dicts_json` gives None): a value of a type other than
dict, list, str (or numpy's str_), int, float, bool and None (a tuple, a
subclass, a date), a number
that is not finite (orjson writes null), a key that is not text, an integer beyond 64
bits, a lone surrogate, nesting deeper than orjson's limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import orjson

from geo.jsontext import fix_tiny_floats

# numpy's str_ (a str, as a frame's column may give one) is written as its text by both.
_PLAIN = frozenset({dict, list, str, np.str_, int, float, bool, type(None)})
_ITEM_SEPARATOR = re.compile(rb",\n +")
_INDENTATION = re.compile(rb"\n +")
_is_dict = dict.__instancecheck__
_is_list = list.__instancecheck__
_is_float = float.__instancecheck__


def _plain_and_finite(values: list[Any]) -> bool:
    """Whether `values` (a tree orjson has written, so of bounded depth) hold only the
    plain types, and only finite floats: one level of the tree at a time."""
    pending = values
    while pending:
        types = set(map(type, pending))
        if not _PLAIN.issuperset(types):
            return False
        if float in types and not np.isfinite(np.fromiter(filter(_is_float, pending), float)).all():
            return False
        pending = list(
            chain(
                chain.from_iterable(map(dict.values, filter(_is_dict, pending)))
                if dict in types
                else (),
                chain.from_iterable(filter(_is_list, pending)) if list in types else (),
            )
        )
    return True


def dicts_json(dicts: Sequence[Any]) -> list[str] | None:
    """Each dict as ``json.dumps(d, ensure_ascii=False, allow_nan=False)`` writes it, or
    None when one of them is not certain to be written alike (see the module's words):
    the caller then writes them with ``json.dumps``, which raises where it does."""
    if not dicts:
        return []
    listed = list(dicts)
    if set(map(type, listed)) != {dict}:
        return None
    try:
        text = orjson.dumps(listed, option=orjson.OPT_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError is one
        return None
    if not _plain_and_finite(listed):
        return None
    text = fix_tiny_floats(text)
    # Every item of the top list is a dict: a line two spaces deep starting with "{"
    # follows a comma only there (deeper lines are four spaces deep or more).
    text = text.replace(b",\n  {", b"\n{")
    text = _INDENTATION.sub(b"", _ITEM_SEPARATOR.sub(b", ", text))
    # "[{...}\n{...}\n]": only the line breaks put between the dicts are left
    texts = text[1:-2].decode("utf-8").split("\n")
    return texts if len(texts) == len(listed) else None
