"""geo.formats.jsonline: many dicts' JSON text by orjson, byte for byte json.dumps's,
and the writers' chunked screening (`prepared`) against a record-by-record check."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import DataError, Problem
from geo.formats import to_csv, to_kml
from geo.formats.jsonline import dicts_json
from geo.formats.writing import Prepared, _checked, prepared
from geo.records import Kind, LayerRecord
from tests.test_export_formats_stream import elementtree_kml, one_writer_csv

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e-3, max_value=1e-3)
    | st.sampled_from([5e-05, 1e-07, 1e16, 1e22, -0.0, 1.5e300, 5e-324])
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=0x40)).map(np.str_)
    | st.sampled_from(["\x00", "\x1f\x7f\u2028", "\ud800", ",\n  {", "a, b: c", "\\u0000"])
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        | st.tuples(inner)
    ),
    max_leaves=20,
)
_dicts = st.lists(st.dictionaries(st.text(max_size=8), _values, max_size=6), max_size=6)


def _reference(values: list[dict[str, Any]]) -> list[str] | None:
    try:
        return [json.dumps(value, ensure_ascii=False, allow_nan=False) for value in values]
    except ValueError:
        return None


@settings(max_examples=400)
@given(_dicts)
def test_dicts_json_is_json_dumps_or_none(values: list[dict[str, Any]]) -> None:
    texts = dicts_json(values)
    if texts is not None:
        assert texts == _reference(values)


def test_dicts_json_writes_plain_dicts_itself() -> None:
    values = [
        {},
        {"a": [], "b": {}, "c": [1, {"x": 5e-05, "y": [1e-07, "a, b\n  {"]}]},
        {},
        {"k": np.str_("é\u2028\x7f\x1f"), "big": 1e300, "neg": -0.0, "t": True, "n": None},
    ]
    assert dicts_json(values) == _reference(values)


def test_dicts_json_leaves_what_orjson_writes_otherwise() -> None:
    for value in (math.nan, math.inf, (1,), 2**64, "\ud800"):
        assert dicts_json([{"a": value}]) is None
    assert dicts_json([{1: 2}]) is None
    assert dicts_json([[1]]) is None


# ---------------------------------------------------------------- the writers' fast paths

_text = st.text(max_size=12) | st.sampled_from(["=1+1", "-3.5", "'a", "\t", "a<&>\r", "\x01"])
_records = st.lists(
    st.builds(
        LayerRecord,
        id=_text,
        layer=st.sampled_from(["case", "Layer <1>", "=x"]),
        kind=st.sampled_from(list(Kind)),
        name=_text,
        geometry=st.tuples(
            st.floats(-180, 180) | st.sampled_from([1e-05, -3e-08, 179.99999995]),
            st.floats(-90, 90),
        ).map(lambda p: {"type": "Point", "coordinates": list(p)}),
        properties=st.dictionaries(st.text(max_size=8), _values, max_size=4),
        date=st.none() | st.sampled_from(["2014-01-02", "2014-01", "2013/2014", "2014-13"]),
        date_as_stated=st.none() | _text,
    ),
    max_size=5,
)


def _outcome(write: Any) -> Any:
    try:
        return write()
    except DataError as exc:
        return [(p.message, p.record, p.field) for p in exc.problems]


@settings(max_examples=200, deadline=None)
@given(_records)
def test_prepared_is_the_record_by_record_check(records: list[LayerRecord]) -> None:
    def one_by_one() -> list[Prepared]:
        problems: list[Problem] = []
        made = [_checked(record, problems, n, "x") for n, record in enumerate(records, 1)]
        if problems:
            raise DataError(problems)
        return [item for item in made if item is not None]

    assert _outcome(lambda: prepared(records, what="x")) == _outcome(one_by_one)


@settings(max_examples=200, deadline=None)
@given(_records)
def test_the_writers_write_what_the_reference_writers_wrote(records: list[LayerRecord]) -> None:
    assert _outcome(lambda: to_csv(records)) == _outcome(lambda: one_writer_csv(records))
    assert _outcome(lambda: to_kml(records, document_name="d")) == _outcome(
        lambda: elementtree_kml(records, "d")
    )
