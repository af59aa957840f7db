"""The fast paths of a case's load agree with the checks they stand in for.

`plain_record` vouches for a record only when the rules would pass it; the case's
problems are the same whether it is asked first or not. orjson parses as `json.loads`
would. The walk for source pointers finds what the recursive walk found.
"""

from __future__ import annotations

import copy
import json
import math
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import geojson
from geo.case import _kind_problems
from geo.case_checks import RawFeature, _source_refs
from geo.case_plain import ValuePool, plain_record
from geo.errors import DataError
from geo.geojson import parse_json_text, plain_point
from geo.records import CASE_KINDS, CONTROL_OR_SURROGATE, Kind
from geo.synthetic import dated, record

MISSING = object()  # the property is left out

# Each field's usual value first, then values that are wrong, odd or hostile.
PROPERTY_VALUES: dict[str, list[Any]] = {
    "id": [
        "r1",
        "سجن صيدنايا",
        "",
        "  ",
        "a\x07b",
        "a\x85",
        "x" * 200,
        "x" * 201,
        "\ud800",
        5,
        None,
        MISSING,
    ],
    "name": ["A name", "صيدنايا", "", " ", "\x07", "\ud800", 3, None, MISSING],
    "sources": [
        [{"id": "src-a", "quote": None}],
        [{"id": "src-a"}],
        [{"id": "src-a", "quote": "words"}, {"id": "src-text", "quote": "صيدنايا"}],
        [],
        [{"id": ""}],
        [{"quote": "q"}],
        [{"id": "src-a", "page": 3}],
        [{"id": "src-a", "quote": 3}],
        [{"id": "src-a", "quote": "\ud800"}],
        [{"id": 1}],
        ["src-a"],
        ({"id": "src-a"},),
        "src-a",
        None,
        MISSING,
    ],
    "claim": [None, "claim-a", "", 1, "\ud800", MISSING],
    "uncertainty_m": [
        100,
        0.5,
        700.0,
        0,
        -1,
        0.0,
        True,
        math.nan,
        math.inf,
        "100",
        None,
        2**63,
        2**64,
        10**30,
        10**400,
        MISSING,
    ],
    "position_basis": ["satellite", "", 1, None, "\ud800", MISSING],
    "confidence": [None, "probable", "confirmed", "PROBABLE", " probable", "sure", 1, MISSING],
    "confidence_as_stated": [None, "likely", "", 2, "\ud800", MISSING],
    "date": [
        "2015",
        "2015-01",
        "2017-05-15",
        "2013/2016",
        "2016-02-29",
        "2015-02-29",
        "2015-13",
        " 2015",
        "2015 ",
        "2016/2015",
        "15/05/2017",
        "",
        2015,
        None,
        MISSING,
    ],
    "date_as_stated": ["in 2015", "", None, 1, "\ud800", MISSING],
}
EXTRA_PROPERTIES: list[dict[str, Any]] = [
    {"note": "anything"},
    {},
    {"site": ["p1"], "nested": {"sources": [{"id": "src-a"}]}},
    {"\ud800": 1},
    {"model_config": 1, "__class__": "x"},
    {"x": math.nan, "y": "\ud800"},
]
GEOMETRIES: list[Any] = [
    {"type": "Point", "coordinates": [36.3, 33.6]},
    {"type": "Point", "coordinates": [36, 33]},
    {"type": "Point", "coordinates": [-180, 90.0, 12.5]},
    {"type": "Point", "coordinates": [36.3, 33.6], "bbox": [36.3, 33.6, 36.3, 33.6]},
    {"type": "Point", "coordinates": [36.3, 33.6, math.nan]},
    {"type": "Point", "coordinates": [200, 33.6]},
    {"type": "Point", "coordinates": [36.3, -90.5]},
    {"type": "Point", "coordinates": [math.inf, 33.6]},
    {"type": "Point", "coordinates": [True, 33.6]},
    {"type": "Point", "coordinates": ["36.3", 33.6]},
    {"type": "Point", "coordinates": [36.3]},
    {"type": "Point", "coordinates": [36.3, 33.6, 1, 2]},
    {"type": "Point", "coordinates": [10**400, 33.6]},
    {"type": "Point", "coordinates": []},
    {"type": "Point"},
    {"type": "Point", "coordinates": [36.3, 33.6], "crs": {"type": "name"}},
    {"type": "point", "coordinates": [36.3, 33.6]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},  # bow tie
    {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
    {"type": "GeometryCollection", "geometries": []},
    None,
    [36.3, 33.6],
]


NOT_AN_OBJECT = [None, [], "props"]


@st.composite
def features(draw: st.DrawFn) -> dict[str, Any]:
    """A feature with every field as usual but a few (none, one, two or three), each
    of which takes one of its other values."""
    fields = [*PROPERTY_VALUES, "extra", "geometry", "properties"]
    spoiled = draw(st.sets(st.sampled_from(fields), max_size=3))

    def value(field: str, values: list[Any]) -> Any:
        return copy.deepcopy(draw(st.sampled_from(values[1:])) if field in spoiled else values[0])

    properties: dict[str, Any] = {}
    for field, values in PROPERTY_VALUES.items():
        given = value(field, values)
        if given is not MISSING:
            properties[field] = given
    properties |= value("extra", EXTRA_PROPERTIES)
    return {
        "type": "Feature",
        "geometry": value("geometry", GEOMETRIES),
        "properties": value("properties", [properties, *NOT_AN_OBJECT]),
    }


def rules_pass(kind: Kind, feature: dict[str, Any]) -> bool:
    """The rules themselves, as `build_case` asks them about a record."""
    return _kind_problems(kind, [RawFeature.of(kind, "f.geojson", feature)], [0]) == []


@given(feature=features(), kind=st.sampled_from(CASE_KINDS))
@settings(max_examples=1500, deadline=None)
def test_plain_record_vouches_only_for_what_the_rules_pass(feature, kind):
    if plain_record(feature, dated=kind.dated):
        assert rules_pass(kind, feature), feature


@given(features=st.lists(features(), min_size=1, max_size=6), kind=st.sampled_from(CASE_KINDS))
@settings(max_examples=400, deadline=None)
def test_a_kinds_problems_are_the_same_with_the_fast_path(features, kind):
    items = [RawFeature.of(kind, "f.geojson", feature) for feature in features]
    unsure = [i for i, item in enumerate(items) if not plain_record(item.feature, dated=kind.dated)]
    assert _kind_problems(kind, items, unsure) == _kind_problems(
        kind, items, list(range(len(items)))
    )


# Records in the usual forms, and the odd but lawful: the fast path takes them all.
USUAL_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(str.strip)


@given(
    record_id=USUAL_TEXT,
    name=USUAL_TEXT,
    date=st.sampled_from(["2015", "2015-01", "2016-02-29", "2011/2013", "2013-05/2013-06-02"]),
    radius=st.one_of(st.integers(1, 10**9), st.floats(min_value=1e-9, max_value=1e12)),
    lon=st.floats(-180, 180),
    lat=st.floats(-90, 90),
    confidence=st.sampled_from([None, "confirmed", "asserted", "probable", "possible"]),
    quote=st.one_of(st.none(), st.text(max_size=40)),
    extra=st.dictionaries(st.text(max_size=10), st.integers() | st.text(), max_size=3),
    kind=st.sampled_from(CASE_KINDS),
)
@settings(max_examples=300, deadline=None)
def test_plain_record_takes_every_usual_record(
    record_id, name, date, radius, lon, lat, confidence, quote, extra, kind
):
    feature = (
        dated(record_id, date, lon=lon, lat=lat) if kind.dated else record(record_id, lon, lat)
    )
    feature["properties"] |= {
        **extra,
        "name": name,
        "uncertainty_m": radius,
        "confidence": confidence,
        "sources": [{"id": "src-a", "quote": quote}],
    }
    assert rules_pass(kind, feature)
    assert plain_record(feature, dated=kind.dated)


def test_the_synthetic_records_are_plain():
    from geo.synthetic import synthetic_files

    for name, found in synthetic_files(200).items():
        assert all(plain_record(f, dated=name != "places.geojson") for f in found)


def test_a_pool_shares_records_repeated_values_and_changes_none():
    """Records read with one `ValuePool` hold one copy of each repeated value, equal in
    type and value to what they held: their ids, names and positions their own."""
    from geo.synthetic import synthetic_files

    found = synthetic_files(300)["events.geojson"]
    before = copy.deepcopy(found)
    pool = ValuePool()
    assert all(plain_record(json.loads(json.dumps(f)), dated=True) for f in found)
    parsed = [json.loads(json.dumps(f)) for f in found]  # each value a copy of its own
    assert all(plain_record(f, dated=True, pool=pool) for f in parsed)
    assert parsed == before
    assert json.dumps(parsed) == json.dumps(before)  # 50.0 is still not 50
    first, second = parsed[0]["properties"], parsed[1]["properties"]
    assert first["sources"][0]["quote"] is second["sources"][0]["quote"]
    assert first["position_basis"] is second["position_basis"]
    assert first["uncertainty_m"] is pool.numbers[first["uncertainty_m"]]
    assert parsed[0]["geometry"]["type"] is parsed[1]["geometry"]["type"]
    assert first["id"] not in pool.texts and first["name"] not in pool.texts


@pytest.mark.parametrize(
    ("geometry", "plain"),
    [
        ({"type": "Point", "coordinates": [36.3, 33.6]}, True),
        ({"type": "Point", "coordinates": [36.3, 33.6, -12]}, True),
        ({"type": "Point", "coordinates": [36.3, 33.6, math.inf]}, False),
        ({"type": "Point", "coordinates": [math.nan, 33.6]}, False),
        ({"type": "Point", "coordinates": [False, 33.6]}, False),
        ({"type": "Point", "coordinates": [180.0000001, 0]}, False),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, False),
    ],
)
def test_plain_point(geometry, plain):
    assert plain_point(geometry) is plain
    if plain:
        assert geojson.geometry_problems(geometry) == []


def test_the_control_characters_are_unicodes_category_cc():
    for code in range(0x110000):
        char = chr(code)
        expected = unicodedata.category(char) in ("Cc", "Cs")
        assert bool(CONTROL_OR_SURROGATE.search(char)) is expected, hex(code)


# ---------------------------------------------------------------- parsing


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0, nor 0.0 -0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return bool(a == b)


def slow_parse(text: str | bytes) -> Any:
    """`parse_json_text` with the standard parser only, as it was."""
    quickly = geojson.parsed_quickly
    geojson.parsed_quickly = lambda text: geojson.UNSURE
    try:
        return parse_json_text(text, file="f.json")
    finally:
        geojson.parsed_quickly = quickly


def outcome(parse: Any, text: str | bytes) -> tuple[str, Any]:
    try:
        return "parsed", parse(text)
    except DataError as exc:
        return "refused", [str(problem) for problem in exc.problems]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**70)
    | st.integers(min_value=-(2**70), max_value=-(2**62))
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # lone surrogates included: they are written as escapes
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(value=JSON_VALUES, ascii_only=st.booleans(), as_bytes=st.booleans(), bom=st.booleans())
@settings(max_examples=500, deadline=None)
def test_orjson_reads_what_json_loads_reads(value, ascii_only, as_bytes, bom):
    text = json.dumps(value, ensure_ascii=ascii_only)
    if as_bytes:
        try:
            given_text: str | bytes = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, unescaped: not UTF-8
            given_text = text.encode("utf-8", "surrogatepass")
    else:
        given_text = ("\ufeff" if bom else "") + text
    fast, slow = (
        outcome(lambda t: parse_json_text(t, file="f.json"), given_text),
        outcome(slow_parse, given_text),
    )
    assert fast[0] == slow[0]
    assert same(fast[1], slow[1]), (fast, slow)


@pytest.mark.parametrize(
    "text",
    [
        "[1e400]",
        "[-1e400]",
        "[NaN]",
        '{"a": Infinity}',
        "[-Infinity]",
        "[18446744073709551616]",
        "[-9223372036854775809]",
        "[9223372036854775808]",
        "[12345678901234567890.5]",
        '"\\ud800"',
        '"\\udc00\\ud800"',
        '"\\ud83d\\ude00"',
        '{"a": 1, "a": 2}',
        "[1,]",
        "01",
        "[1] x",
        '"\x01"',
        "",
        " ",
        "-0",
        "-0.0",
        "[" * 100_000 + "]" * 100_000,
        b"\xef\xbb\xbf[1]",
        b"\xff\xfe[\x001\x00]\x00",
        b'["Sa\xefdnaya"]',
        b'["\xed\xa0\x80"]',  # a surrogate encoded in UTF-8: not UTF-8
        "\ufeff[1]",
    ],
)
def test_hostile_json_is_read_or_refused_as_before(text):
    fast, slow = (
        outcome(lambda t: parse_json_text(t, file="f.json"), text),
        outcome(slow_parse, text),
    )
    assert fast[0] == slow[0]
    assert same(fast[1], slow[1]), (fast, slow)


# ---------------------------------------------------------------- source pointers


def recursive_source_refs(value: Any, path: str) -> Any:
    """The walk as it was written first, recursively."""
    if isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else key
            if key.endswith("sources") and isinstance(item, list):
                for index, ref in enumerate(item):
                    if isinstance(ref, dict):
                        yield f"{sub}[{index}]", ref
            else:
                yield from recursive_source_refs(item, sub)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from recursive_source_refs(item, f"{path}[{index}]")


NESTED = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["sources", "x_sources", "a", "b", "sources_b"]), inner)
    ),
    max_leaves=30,
)


@given(value=NESTED, path=st.sampled_from(["", "claims[0]"]))
@settings(max_examples=500, deadline=None)
def test_the_pointer_walk_finds_what_the_recursive_walk_found(value, path):
    assert list(_source_refs(value, path)) == list(recursive_source_refs(value, path))


def test_the_pointer_walk_has_no_depth_limit():
    deep: Any = {"sources": [{"id": "s"}]}
    for _ in range(5000):
        deep = {"a": [deep]}
    assert len(list(_source_refs(deep, ""))) == 1


def test_orjson_is_asked_first():
    assert geojson.parsed_quickly(b'{"a": [1, 2.5, "x", null]}') == {"a": [1, 2.5, "x", None]}
    assert geojson.parsed_quickly("[9223372036854775807]") is geojson.UNSURE  # 19 digits
    assert geojson.parsed_quickly("[NaN]") is geojson.UNSURE
