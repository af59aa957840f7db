"""A FeatureCollection read a feature at a time gives what reading it whole gives.

`collection_items` cuts the text where a feature may end; whatever the layout, the
cuts and the blocks the file is read in, it gives the features `features_of` gives
after a whole parse, or the same `DataError`; an ordinary file is read a feature at a
time (not whole).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import featurestream
from geo.errors import DataError
from geo.featurestream import _ReadWhole, _streamed, collection_items
from geo.geojson import features_of, parse_json_text

NASTY = '}, {"type": "Feature", "geometry": null}], "features": [{'


def feature(n: int, text: str = "") -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [36.3 + n / 1000, 33.6]},
        "properties": {"id": f"r{n}", "name": f"Record {n} {text}", "sources": [{"id": "s"}]},
    }


def whole(text: bytes, file: str = "f") -> list[dict[str, Any]] | str:
    try:
        return features_of(parse_json_text(text, file=file), file=file)
    except DataError as exc:
        return str(exc)


def streamed(text: bytes, cuts: list[int]) -> list[dict[str, Any]]:
    """`_streamed` of `text` given in blocks that end at `cuts`."""
    edges = [0, *sorted({c % (len(text) + 1) for c in cuts}), len(text)]
    blocks = iter([text[a:b] for a, b in itertools.pairwise(edges) if b > a])
    return _streamed(blocks, lambda f: f)


def through_file(tmp_path: Path, text: bytes) -> list[dict[str, Any]] | str:
    """`collection_items` of `text` in a file."""
    path = tmp_path / "f.geojson"
    path.write_bytes(text)
    try:
        return collection_items(path, lambda f: f, file=str(path))
    except DataError as exc:
        return str(exc)


LAYOUTS = {
    "compact": lambda c: json.dumps(c, separators=(",", ":")),
    "spaced": json.dumps,
    "pretty": lambda c: json.dumps(c, indent=2, ensure_ascii=False),
    "one per line": lambda c: (
        '{"type": "FeatureCollection", "features": [\n'
        + ",\n".join(json.dumps(f) for f in c["features"])
        + "\n]}"
    ),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("count", [0, 1, 2, 7])
def test_an_ordinary_file_is_read_a_feature_at_a_time(layout: str, count: int) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [feature(n, NASTY if n % 2 else "") for n in range(count)],
    }
    text = LAYOUTS[layout](collection).encode()
    # in blocks of 7 bytes: every cut and marker is split across blocks somewhere
    assert streamed(text, list(range(7, len(text), 7))) == collection["features"]
    assert streamed(text, []) == collection["features"]


def test_members_around_the_features_are_checked(tmp_path: Path) -> None:
    features = [feature(1), feature(2)]
    before = {"type": "FeatureCollection", "name": '"features": [', "features": features}
    assert through_file(tmp_path, json.dumps(before).encode()) == features
    after = {"type": "FeatureCollection", "features": features, "case": {"x": [{"a": 1}]}}
    assert through_file(tmp_path, json.dumps(after).encode()) == features
    # a second "features" member wins in a whole parse: so it does here
    twice = json.dumps(after)[:-1] + ', "features": []}'
    assert through_file(tmp_path, twice.encode()) == []
    nested = (
        '{"meta": {"features": []}, "type": "FeatureCollection", "features": ['
        + json.dumps(feature(3))
        + "]}"
    )
    assert through_file(tmp_path, nested.encode()) == [feature(3)]


@pytest.mark.parametrize(
    "text",
    [
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "x": NaN}]}',
        b'{"type": "FeatureCollection", "crs": {}, "features": []}',
        b'{"type": "Collection", "features": []}',
        b'{"type": "FeatureCollection", "features": [{"type": "Feature"},]}',
        b'{"type": "FeatureCollection", "features": [{"type": "Feature"}, 3]}',
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "n": 1234567890123456789'
        b"}]}",
        b'{"type": "FeatureCollection", "features": [{"type": "Feature"}',
        b"",
    ],
)
def test_what_is_odd_is_read_whole_and_told_as_before(tmp_path: Path, text: bytes) -> None:
    with pytest.raises(_ReadWhole):
        streamed(text, [])
    assert through_file(tmp_path, text) == whole(text, str(tmp_path / "f.geojson"))


def test_a_feature_that_cannot_be_cut_is_read_whole_after_a_few_tries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a feature holding features: each of their ends is a cut that is not its own end
    nested = feature(1)
    nested["properties"]["parts"] = [feature(n) for n in range(3)]
    many = {"type": "FeatureCollection", "features": [nested, feature(2)]}
    text = json.dumps(many).encode()
    assert streamed(text, []) == many["features"]  # two cuts tried, then its end
    monkeypatch.setattr(featurestream, "MAX_TRIES", 1)
    with pytest.raises(_ReadWhole):
        streamed(text, [])


# Text that is nearly a FeatureCollection: pieces of one, put together by chance.
PIECES = st.sampled_from(
    [
        "{",
        "}",
        "[",
        "]",
        ",",
        " ",
        "\n",
        ":",
        '"type"',
        '"Feature"',
        '"FeatureCollection"',
        '"features"',
        '"crs"',
        '"x"',
        "1",
        "null",
        '"\\"}, {\\"type\\": \\"Feature\\""',
        '{"type": "Feature", "geometry": null, "properties": {}}',
        '{"type":"Feature","properties":{"a":[{"b":"}, {"}]}}',
        '{"type": "FeatureCollection", "features": [',
        "]}",
        "}, ",
    ]
)


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(PIECES, max_size=40), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_any_text_reads_as_a_whole_parse_reads_it(pieces: list[str], cuts: list[int]) -> None:
    text = "".join(pieces).encode()
    try:
        got: list[dict[str, Any]] | str = streamed(text, cuts)
    except _ReadWhole:
        return  # read whole: the same answer by construction
    assert got == whole(text)


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(st.text(max_size=30), max_size=8),
    layout=st.sampled_from(sorted(LAYOUTS)),
    cuts=st.lists(st.integers(0, 5000), max_size=8),
)
def test_any_names_in_any_layout_stream(names: list[str], layout: str, cuts: list[int]) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [feature(n, name) for n, name in enumerate(names)],
    }
    data = LAYOUTS[layout](collection).encode()
    # an ordinary file, whatever its names: read a feature at a time, never whole
    assert streamed(data, cuts) == collection["features"] == whole(data)
