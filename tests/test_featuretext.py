"""The features' text assembled from pieces (geo.featuretext) is what ``json.dumps``
writes of the features geo.export builds, byte for byte, for any properties: they are
untrusted input (unicode, control characters, two spaces in a row, floats orjson writes
its own way, nesting, names of derived columns). Where the pieces cannot write a chunk,
they say so (None), and the export writes it as before."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.case import load_case
from geo.export import _case_feature, _Derived, source_details
from geo.featuretext import DERIVED_NAMES, CaseText, _lists_texts, members_texts
from geo.synthetic import TINY_FILES, TINY_META, write_case

ODD_FLOATS = [5e-05, -1e-07, 1.5e-10, 0.0001, 0.000099, 1e16, 1e22, -0.0, 0.0, 5e-324, 1e308]
ODD_TEXT = [
    "",
    "  ",
    "two  spaces",
    "a\nb\r\t",
    "\x00\x1f\x7f",
    "\u2028\u2029",
    '"\\',
    "😀 صيدنايا",
    "a],[b",
    '"],["',
]

texts = st.one_of(st.text(max_size=12), st.sampled_from(ODD_TEXT))
floats = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(ODD_FLOATS))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), floats, texts)
keys = st.one_of(texts, st.sampled_from(sorted(DERIVED_NAMES)))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=6,
)
citation = st.fixed_dictionaries(
    {"id": st.sampled_from(["src-a", "src-text"]), "quote": st.one_of(st.none(), texts)}
)
plain_citation = st.one_of(
    citation,
    st.fixed_dictionaries({"id": st.just("src-a")}, optional={"quote": scalars, "page": scalars}),
)
coordinate = st.one_of(
    st.floats(-180, 180),
    st.sampled_from([*ODD_FLOATS[:5], -0.0, 0.0, 36.12345678912, 179.99999995]),
)
spans = st.sampled_from(
    [(None, None, None), ("2017-05-15", "2017-05-15", "day"), ("2011-01-01", "2011-12-31", "year")]
)


@st.composite
def plain_records(draw):
    """A case record the pieces write: flat properties, its citations, a Point."""
    properties = draw(
        st.dictionaries(texts.filter(lambda key: key not in DERIVED_NAMES), scalars, max_size=5)
    )
    properties["sources"] = draw(st.lists(plain_citation, max_size=3))
    geometry = {"type": "Point", "coordinates": [draw(coordinate), draw(coordinate)]}
    kind = draw(st.sampled_from(["place", "event", "imagery", "feature"]))
    return kind, properties, geometry, draw(st.sampled_from([None, "claim-a"])), draw(spans)


@st.composite
def any_records(draw):
    """A case record of any properties: nested, named as derived columns, ..."""
    kind, properties, geometry, claim, span = draw(plain_records())
    properties |= draw(st.dictionaries(keys, json_values, max_size=3))
    properties["sources"] = draw(st.lists(plain_citation | st.just({"id": "src-a", "x": [1]})))
    if draw(st.booleans()):
        geometry = draw(
            st.sampled_from(
                [
                    {"type": "Point", "coordinates": [1, 2]},
                    {"type": "Point", "coordinates": [1.5, 2.5, 3.5]},
                    {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]},
                ]
            )
        )
    return kind, properties, geometry, claim, span


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return load_case(write_case(tmp_path_factory.mktemp("tiny") / "case", TINY_META, TINY_FILES))


def stdlib_features(case, records) -> bytes:
    """The features as the export builds them, as ``json.dumps`` writes them in a
    collection's list: two spaces deep, each after a comma and a line break."""
    derived = _Derived(case)
    return b"".join(
        b",\n  "
        + json.dumps(
            _case_feature(derived, kind, properties, geometry, span, claim),
            ensure_ascii=False,
            indent=1,
        )
        .replace("\n", "\n  ")
        .encode("utf-8")
        for kind, properties, geometry, claim, span in records
    )


def assembled(case, records, assembler=None) -> bytes | None:
    assembler = assembler or CaseText(_Derived(case).claim, partial(source_details, case))
    kinds, properties, geometries, claims, days = zip(*records, strict=True)
    return assembler.case_chunk(
        list(properties),
        list(geometries),
        assembler.kinds_texts(list(kinds)),
        assembler.dates_texts(list(days)),
        assembler.claims_texts(list(claims)),
    )


SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(records=st.lists(plain_records(), min_size=1, max_size=6))
def test_plain_records_are_assembled_as_json_dumps_writes_them(case, records):
    text = assembled(case, records)
    assert text is not None
    assert text == stdlib_features(case, records)


@SETTINGS
@given(records=st.lists(any_records(), min_size=1, max_size=4))
def test_any_records_are_assembled_as_json_dumps_writes_them_or_refused(case, records):
    try:
        expected = stdlib_features(case, records)
    except (ValueError, TypeError, KeyError):  # what the export refuses too
        expected = None
    text = assembled(case, records)
    if text is not None:
        assert text == expected


@SETTINGS
@given(
    lists=st.lists(
        st.lists(st.dictionaries(texts, scalars, max_size=3), max_size=3), min_size=1, max_size=4
    )
)
def test_lists_of_flat_dicts_are_written_as_a_property_s_value(lists):
    expected = [
        json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n    ").encode("utf-8")
        for value in lists
    ]
    assert _lists_texts(lists) == expected


@SETTINGS
@given(dicts=st.lists(st.dictionaries(texts, json_values, min_size=1, max_size=3), max_size=4))
def test_members_are_written_as_a_feature_s_properties(dicts):
    expected = [
        json.dumps(value, ensure_ascii=False, indent=1)
        .replace("\n", "\n   ")[len("{\n") : -len("\n   }")]
        .encode("utf-8")
        for value in dicts
    ]
    assert members_texts(dicts) == expected


def test_what_the_pieces_cannot_write_they_refuse(case):
    kind, properties, geometry, claim, span = (
        "place",
        {"id": "p", "sources": [{"id": "src-a", "quote": None}]},
        {"type": "Point", "coordinates": [1.5, 2.5]},
        None,
        (None, None, None),
    )
    assert assembled(case, [(kind, properties, geometry, claim, span)]) is not None
    refused = [
        ({**properties, "nested": {"a": [1]}}, geometry),
        ({**properties, "kind": "mine"}, geometry),
        ({**properties, "date_end": "mine"}, geometry),
        ({**properties, "big": 2**64}, geometry),
        ({"id": "p"}, geometry),  # no citations
        ({**properties, "sources": "src-a"}, geometry),
        (properties, {"type": "Point", "coordinates": [1, 2]}),
        (properties, {"type": "Point", "coordinates": [1.5, 2.5, 3.5]}),
        (properties, {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]}),
    ]
    for odd_properties, odd_geometry in refused:
        assert assembled(case, [(kind, odd_properties, odd_geometry, claim, span)]) is None


def test_details_kept_are_bounded(case):
    assembler = CaseText(_Derived(case).claim, partial(source_details, case), details_kept=3)
    records = [
        (
            "place",
            {"id": f"p{index}", "sources": [{"id": "src-a", "quote": f"quote {index}"}]},
            {"type": "Point", "coordinates": [1.5, 2.5]},
            None,
            (None, None, None),
        )
        for index in range(5)
    ]
    for start in range(0, 5, 2):
        chunk = records[start : start + 2]
        assert assembled(case, chunk, assembler) == stdlib_features(case, chunk)
        assert len(assembler._details) <= 3


def test_citations_alike_as_text_are_told_apart(case):
    # A quote holding "],[" (cut apart otherwise), an empty list and a list in a list.
    assembler = CaseText(_Derived(case).claim, partial(source_details, case))
    point = {"type": "Point", "coordinates": [1.5, 2.5]}

    def chunk(*citations):
        return [
            ("place", {"id": "p", "sources": refs}, point, None, (None, None, None))
            for refs in citations
        ]

    quoted = chunk([{"id": "src-a", "quote": "],["}], [], [{"id": "src-a", "quote": "x"}])
    assert assembled(case, quoted, assembler) == stdlib_features(case, quoted)
    assert assembled(case, chunk([[]]), assembler) is None
    again = chunk([], [{"id": "src-a", "quote": "],["}])
    assert assembled(case, again, assembler) == stdlib_features(case, again)


def test_a_case_of_plain_records_is_written_by_the_pieces(tmp_path, monkeypatch):
    # The synthetic case's chunks are all assembled (none written the slow way).
    from geo import export
    from geo.synthetic import synthetic_files

    case = load_case(write_case(tmp_path / "syn", TINY_META, synthetic_files(300)))
    calls = []

    def written_slowly(features):
        calls.append(len(features))
        return b""

    monkeypatch.setattr(export, "features_text", written_slowly)
    export.export_text(case)
    assert calls == []


def test_the_golden_case_with_nested_properties_is_written_as_before(shipped_case):
    golden = Path(__file__).parent / "data" / "saydnaya-export.geojson"
    from geo.export import export_text

    assert export_text(shipped_case) + "\n" == golden.read_text(encoding="utf-8")
