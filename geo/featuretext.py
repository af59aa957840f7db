"""An export's case records as GeoJSON text, assembled from pieces written once.

`geo.jsontext.json_bytes` writes any value as ``json.dumps(value, ensure_ascii=False,
indent=1)`` does, by orjson and a pass or more over the text to halve orjson's
indentation: over the whole of every feature, where most of an export's text is the
same for many records (a kind, the days of a date, a claim's columns, the details of
a list of citations). Here each such piece is written once, by `json_bytes`, already
indented as deep as it sits, and what is a record's own is written by one orjson call
for a chunk of records, where orjson's indentation is already right: its properties,
as the dicts of a list (whose members orjson indents four spaces, as deep as a
feature's properties' members sit), its citations and their details as lists in a
list (whose dicts' members sit six spaces deep, as they do), and its position, the
numbers only. The pieces are then joined once per chunk.

`CaseText.case_chunk` says when it cannot (a nested property other than the
citations, a property named as a derived column, a geometry other than a Point of two
floats, a value orjson refuses): the caller then writes that chunk as `json_bytes`
does. What it writes is byte for byte what ``json.dumps`` writes of the features
`geo.export` builds (tests/test_featuretext.py holds it to that, with generated
properties).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import orjson

from geo.case import DERIVED_PROPERTIES
from geo.geojson import DECIMALS
from geo.jsontext import fix_tiny_floats, json_bytes

# The columns a case record's feature adds to its properties (`geo.export`): a
# property of the same name takes the column's value, which the pieces cannot write.
# (all an export derives but "layer", which only a researcher's feature carries)
DERIVED_NAMES = DERIVED_PROPERTIES - {"layer"}
# How many lists of citations' details are kept at most (some 500 bytes each): the
# memory an export holds stays bounded, however many records cite alike or not.
DETAILS_KEPT = 10_000

# A feature (two spaces deep, in a collection's list) up to its first coordinate,
# after the comma and line break that end the feature before.
_NEXT_POINT = (
    b',\n  {\n   "type": "Feature",\n   "geometry": {\n    "type": "Point",\n'
    b'    "coordinates": [\n     '
)
_LATITUDE = b",\n     "
# A list of dicts as orjson indents it by two: the dicts' members are four spaces deep,
# as a feature's properties' members are. No string holds a line break, so these
# bytes are found only where one dict ends and the next begins.
_LIST_HEAD = b"[\n  {\n"
_BETWEEN_DICTS = b"\n  },\n  {\n"
_LIST_TAIL = b"\n  }\n]"
# The types of the values written here; any other is nested (or the citations, which
# are written apart, by `_lists_texts`, and given as fragments), and left to `json_bytes`.
_SCALARS = frozenset({str, int, float, bool, type(None), orjson.Fragment})
_sources_of = operator.itemgetter("sources")
_type_of = operator.itemgetter("type")
_coordinates_of = operator.itemgetter("coordinates")
_is_float = float.__instancecheck__


def members_texts(dicts: list[dict[str, Any]]) -> list[bytes]:
    """Each dict (none empty) as the members of a feature's properties (four spaces
    deep), as ``json.dumps(..., indent=1)`` writes them, one a line, with no comma after
    the last: all written at once, as a list's dicts, and cut apart. Dicts of scalars
    by orjson (a list's dicts' members are four spaces deep), others by `json_bytes`."""
    if not dicts:
        return []
    values = list(chain.from_iterable(map(dict.values, dicts)))
    types = set(map(type, values))
    if _SCALARS.issuperset(types) and orjson.Fragment not in types:
        try:
            text = orjson.dumps(dicts, option=orjson.OPT_INDENT_2)
        except TypeError:  # a key that is not text, an integer beyond 64 bits
            pass
        else:
            if float in types and _any_tiny(values):
                text = fix_tiny_floats(text)
            texts = text.split(_BETWEEN_DICTS)
            texts[0] = texts[0][len(_LIST_HEAD) :]
            texts[-1] = texts[-1][: -len(_LIST_TAIL)]
            return texts
    # The list two levels deep: its dicts three spaces deep, their members four.
    texts = json_bytes(dicts, depth=2).split(b"\n   },\n   {\n")
    texts[0] = texts[0][len(b"[\n   {\n") :]
    texts[-1] = texts[-1][: -len(b"\n   }\n  ]")]
    return texts


class CaseText:
    """The pieces of a case's features that many records share, each written once
    (`kinds_texts`, `dates_texts`, `claims_texts`, and the details of each list of
    citations), and `case_chunk`, which assembles a chunk of case records with them.

    `claim_columns(claim_id)` is a claim's columns (claim_statement, claimant,
    claim_status, claim_confidence) in their order; `source_details(refs)` the details
    of a list of citations (its "source_details")."""

    def __init__(
        self,
        claim_columns: Callable[[str | None], dict[str, Any]],
        source_details: Callable[[list[Any]], list[dict[str, Any]]],
        *,
        details_kept: int = DETAILS_KEPT,
    ) -> None:
        self._claim_columns = claim_columns
        self._source_details = source_details
        self._details_kept = details_kept
        # By a list of citations' text (`_cite`): the list as written, as the member
        # that replaces it in a copy of the properties; the details, and the feature's end.
        self._sources: dict[bytes, dict[str, orjson.Fragment]] = {}
        self._details: dict[bytes, bytes] = {}

    @staticmethod
    def kinds_texts(kinds: list[str | None]) -> list[bytes]:
        """For each kind, a Point's end, the properties' start and their "kind", as
        `case_chunk` takes them: before the record's own properties."""
        opening = b'\n    ]\n   },\n   "properties": {\n'
        texts = members_texts([{"kind": kind} for kind in kinds])
        return [opening + text + b",\n" for text in texts]

    @staticmethod
    def dates_texts(spans: list[tuple[str | None, str | None, str | None]]) -> list[bytes]:
        """For each (date_start, date_end, date_precision), the date columns as
        `case_chunk` takes them: after the comma that ends the member before."""
        names = ("date_start", "date_end", "date_precision")
        texts = members_texts([dict(zip(names, span, strict=True)) for span in spans])
        return [b",\n" + text for text in texts]

    def claims_texts(self, claims: list[str | None]) -> list[bytes]:
        """For each claim id, the claim columns, as `case_chunk` takes them."""
        texts = members_texts([self._claim_columns(claim) for claim in claims])
        return [b",\n" + text for text in texts]

    def case_chunk(
        self,
        properties: Sequence[dict[str, Any]],
        geometries: Sequence[Any],
        kinds: Sequence[bytes],
        dates: Sequence[bytes],
        claims: Sequence[bytes],
    ) -> bytes | None:
        """Case records' features as ``json.dumps(features, ensure_ascii=False,
        indent=1)`` writes them in a collection's list (two spaces deep), each after a
        comma and a line break: ``,\\n  {...},\\n  {...}``. None when the records are
        not all plain (see the module's words): the caller writes them otherwise.

        A record is its properties (verbatim, with their "sources"), its geometry and
        the texts of its kind, dates and claim (`kinds_texts`, `dates_texts`,
        `claims_texts`)."""
        if not properties:
            return b""
        positions = _point_texts(geometries)
        if positions is None:
            return None
        try:
            keys = self._cite(list(map(_sources_of, properties)))
            if keys is None or not DERIVED_NAMES.isdisjoint(chain.from_iterable(properties)):
                return None
            # Each record's properties with its citations as written: a copy, in order.
            members = list(map(dict.__or__, properties, map(self._sources.__getitem__, keys)))
            values = list(chain.from_iterable(map(dict.values, members)))
            types = set(map(type, values))
            if not _SCALARS.issuperset(types):  # a nested value
                return None
            text = orjson.dumps(members, option=orjson.OPT_INDENT_2)
        except (TypeError, KeyError):  # not dicts, no "sources", what orjson refuses
            return None
        if float in types and _any_tiny(values):
            text = fix_tiny_floats(text)
        pieces = text.split(_BETWEEN_DICTS)
        if len(pieces) != len(properties):
            return None
        pieces[0] = pieces[0][len(_LIST_HEAD) :]
        pieces[-1] = pieces[-1][: -len(_LIST_TAIL)]
        details = map(self._details.__getitem__, keys)
        return b"".join(
            chain.from_iterable(
                zip(repeat(_NEXT_POINT), positions, kinds, pieces, dates, claims, details)
            )
        )

    def _cite(self, citations: list[Any]) -> list[bytes] | None:
        """A key for each record's list of citations (its compact JSON), with the list
        as written (`_sources`) and its details (`_details`) kept by it: those not kept
        yet are written together (`_lists_texts`), up to `details_kept` kept at once.
        None if a list is not one of flat dicts."""
        # Compact JSON of the lists, "[[...],[...]]": cut apart where one ends and the
        # next begins, unless a string holds those bytes too (then all are cut here).
        text = orjson.dumps(citations)
        if text.count(b"],[") == len(citations) - 1:
            keys = text[2:-2].split(b"],[")
        else:  # the lists as written, after a line break (no compact JSON holds one)
            written = _lists_texts(citations)
            if written is None:
                return None
            keys = list(map(b"\n".__add__, written))
        cited = dict(zip(keys, citations, strict=True))
        missing = list(cited.keys() - self._sources.keys())
        if missing:
            written = _lists_texts([cited[key] for key in missing])
            details = _lists_texts([self._source_details(cited[key]) for key in missing])
            if written is None or details is None:
                return None
            if len(self._sources) + len(missing) > self._details_kept:
                self._sources.clear()
                self._details.clear()
            for key, value, detail in zip(missing, written, details, strict=True):
                self._sources[key] = {"sources": orjson.Fragment(value)}
                self._details[key] = b',\n    "source_details": ' + detail + b"\n   }\n  }"
        return keys


def _lists_texts(lists: list[Any]) -> list[bytes] | None:
    """Each list of flat dicts (citations, their details) as ``json.dumps(...,
    indent=1)`` writes it as the value of a feature's property (four spaces deep);
    None unless they are all lists of dicts of scalars.

    They are written by one orjson call, as the members of a list: a list's dicts are
    then four spaces deep, one short of where they sit, their members six, where they
    sit. Each dict's first and last lines move a space deeper, each list's last two."""
    if set(map(type, lists)) != {list}:
        return None
    items = list(chain.from_iterable(lists))
    values: list[Any] = []
    if items:
        if set(map(type, items)) != {dict}:
            return None
        values = list(chain.from_iterable(map(dict.values, items)))
        types = set(map(type, values))
        if not _SCALARS.issuperset(types) or orjson.Fragment in types:
            return None
    text = orjson.dumps(lists, option=orjson.OPT_INDENT_2)
    if values and float in types and _any_tiny(values):
        text = fix_tiny_floats(text)
    text = text.replace(b"\n    {", b"\n     {").replace(b"\n    }", b"\n     }")
    # No string holds a line break: these bytes begin each list after the first.
    texts = text.replace(b"\n  ]", b"\n    ]").split(b",\n  [")
    if len(texts) != len(lists):
        return None
    texts[0] = texts[0][len(b"[\n  [") :]  # "[\n  [\n     {", or "[\n  []"
    texts[-1] = texts[-1][: -len(b"\n]")]
    return list(map(b"[".__add__, texts))


def _tiny(floats: np.ndarray) -> np.ndarray:
    """Which floats orjson writes unlike Python (which ``json.dumps`` follows): those
    below 1e-4, but for zero (`geo.jsontext.fix_tiny_floats` rewrites them)."""
    tiny: np.ndarray = (floats != 0) & (np.abs(floats) < 1e-4)  # numpy's stubs say Any
    return tiny


def _any_tiny(values: list[Any]) -> bool:
    """Whether a float among `values` is one orjson writes unlike Python."""
    return bool(_tiny(np.fromiter(filter(_is_float, values), float)).any())


def _point_texts(geometries: Sequence[Any]) -> list[bytes] | None:
    """Each Point's "lon,\\n     lat", as `geo.geojson.normalise_geometry` rounds them
    and ``json.dumps`` writes them; None unless every geometry is a Point of two
    floats."""
    try:
        if set(map(_type_of, geometries)) != {"Point"}:
            return None
        positions = list(map(_coordinates_of, geometries))
    except (KeyError, TypeError):
        return None
    if set(map(type, positions)) != {list} or set(map(len, positions)) != {2}:
        return None
    numbers = list(chain.from_iterable(positions))
    if set(map(type, numbers)) != {float}:
        return None
    values = np.array(numbers)
    # numpy's rounding (x * 1e7, to an integer, / 1e7) gives x back only if x is the
    # double nearest a number of seven decimals, which Python's `round` then gives back.
    if not (np.round(values, DECIMALS) == values).all():
        rounded = iter(map(round, numbers, repeat(DECIMALS)))
        positions = list(map(list, zip(rounded, rounded, strict=True)))
    if _tiny(values).any():  # a longitude or latitude written as Python writes it
        return [b"%r,\n     %r" % (lon, lat) for lon, lat in positions]
    text = orjson.dumps(positions)
    return text[2:-2].replace(b"],[", b"|").replace(b",", _LATITUDE).split(b"|")
