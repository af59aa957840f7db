"""The common case record, recognised at once: a point and the properties the rules ask for.

`geo.case.build_case` checks each of a case's records with three sets of rules: the
evidence's (`geo.model.properties_model`, pydantic), a record's (`geo.records.
fields_problems`) and a geometry's (`geo.geojson.geometry_problems`). Run one record
at a time, over 100,000 records, they took longer than reading the files.

`plain_record` says, in one pass over plain values, that a record passes all three;
it only says so of records whose every field is of the usual type and form (a
Point, text without control characters or lone surrogates, a finite positive
radius, ...). A record it does not vouch for is checked by the rules themselves,
which name what is wrong, so nothing is refused here: a record is either known
good, or checked as before. The tests hold both to the same answer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

from geo.dates import parse_date
from geo.errors import DateError
from geo.geojson import LARGEST_PLAIN_INT, plain_point
from geo.model import Confidence
from geo.records import CONTROL_OR_SURROGATE, MAX_NAME_LENGTH

# No text pydantic reads may hold a lone surrogate (it cannot be read as Unicode).
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# each confidence's one text, by any text equal to it
_CONFIDENCES: Final = {c.value: c.value for c in Confidence}
_SOURCE_REF_KEYS: Final = frozenset({"id", "quote"})
_INFINITY: Final = float("inf")
_POINT: Final = "Point"
_FEATURE: Final = "Feature"


class ValuePool:
    """The first of each equal text, number or list of sources a case's records hold,
    for the others to share (`plain_record`): a parser gives each record's values
    copies of their own, so 100,000 records held their source's id, quote, claim, dates
    and confidence 100,000 times. One pool a case, dropped once the case is read."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.numbers: dict[float, float] = {}  # floats above zero: equal in every way
        # a record's sources by the (id, quote, number of keys) of each: read, never
        # changed, so records citing the same passages can share one list
        self.sources: dict[tuple[tuple[str, str | None, int], ...], list[Any]] = {}


def _plain_date(value: object) -> bool:
    """An EDTF date as the record's rules want it: no spaces around it."""
    return type(value) is str and _plain_date_text(value)


@lru_cache(maxsize=4096)  # a case repeats its dates far more than records
def _plain_date_text(value: str) -> bool:
    try:
        return parse_date(value).text == value
    except DateError:
        return False


def plain_record(feature: dict[str, Any], *, dated: bool, pool: ValuePool | None = None) -> bool:
    """Whether a case's feature passes every rule `geo.case.build_case` checks one
    record by: True only when it surely does, False when the rules must be asked.

    `dated`: the record's kind is one whose records carry a date (`Kind.dated`,
    `geo.model.DatedRecordProperties`). What `geo.case_checks.check_references`
    checks across records (ids unique, sources, claims and places known) is not
    checked here. Written out rather than split into small functions: it runs once
    for every record of a case.

    `pool`: the values read here that records repeat (all but the id, name and
    position) are put back as the pool's equal ones (`ValuePool`), as they are read,
    so that a case holds one copy of each; equal in type and value, so the record
    reads the same whatever is said of it. Without a pool, values are shared within
    the record only (a confidence and the type "Point" always are: their one text).
    """
    props = feature.get("properties")
    if type(props) is not dict or not plain_point(feature.get("geometry")):
        return False
    get = props.get
    # each repeated value read here is written back as the pool's equal one
    share = (pool.texts if pool is not None else {}).setdefault
    record_id, name, basis = get("id"), get("name"), get("position_basis")
    if not (type(record_id) is str and type(name) is str and type(basis) is str):
        return False
    if not name or not basis:  # pydantic's min_length=1
        return False
    # an id is a name (`geo.records.name_problem`): not blank, not too long, no control
    if len(record_id) > MAX_NAME_LENGTH or not record_id.strip():
        return False
    if CONTROL_OR_SURROGATE.search(record_id):
        return False
    # text pydantic reads, looked at once for lone surrogates: the names of the
    # properties too (those it keeps as they are)
    try:
        texts = ["".join(props), name, basis]
    except TypeError:  # a name that is not text: not from JSON
        return False
    props["position_basis"] = share(basis, basis)
    for key in ("claim", "confidence_as_stated", "date_as_stated"):
        value = get(key)
        if value is not None:
            if type(value) is not str:
                return False
            texts.append(value)
            props[key] = share(value, value)
    date = get("date")
    if dated:
        if type(get("date_as_stated")) is not str or not _plain_date(date):
            return False
    elif date is not None and not _plain_date(date):
        return False
    if date is not None:
        props["date"] = share(date, date)
    confidence = get("confidence")
    if confidence is not None:
        if type(confidence) is not str or confidence not in _CONFIDENCES:
            return False
        props["confidence"] = _CONFIDENCES[confidence]
    radius = get("uncertainty_m")  # a float above zero, finite (an int is read as one)
    if type(radius) is float:
        if not 0 < radius < _INFINITY:
            return False
        if pool is not None:
            props["uncertainty_m"] = pool.numbers.setdefault(radius, radius)
    elif type(radius) is not int or not 0 < radius < LARGEST_PLAIN_INT:
        return False
    sources = get("sources")
    if type(sources) is not list or not sources:
        return False
    cited = []  # the (id, quote) of each source the record cites
    for ref in sources:
        if type(ref) is not dict or not _SOURCE_REF_KEYS.issuperset(ref):
            return False
        source_id, quote = ref.get("id"), ref.get("quote")
        if type(source_id) is not str or not source_id:
            return False
        texts.append(source_id)
        if quote is not None:
            if type(quote) is not str:
                return False
            texts.append(quote)
        cited.append((source_id, quote, len(ref)))
    if pool is not None:  # records citing the same passages share one list of them
        props["sources"] = pool.sources.setdefault(tuple(cited), sources)
    if feature.get("type") == _FEATURE:
        feature["type"] = _FEATURE
    feature["geometry"]["type"] = _POINT
    text = "".join(texts)
    return text.isascii() or not _SURROGATE.search(text)
