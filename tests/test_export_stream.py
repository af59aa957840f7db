"""The streaming GeoJSON writer: the same bytes as `dumps` of the whole collection,
written a chunk at a time (speed is the benchmark's business, not a test's)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from geo.case import load_case, read_export
from geo.export import export_text, feature_collection, write_geojson
from geo.jsontext import json_bytes, write_collection
from geo.synthetic import TINY_META, dated, record, synthetic_files, write_case

GOLDEN = Path(__file__).parent / "data" / "saydnaya-export.geojson"


def stdlib(value):
    """What `geo.jsontext.dumps` wrote before orjson: the reference for every byte."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=1)


class Recorder(io.RawIOBase):
    """A binary file that keeps every write apart."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.writes.append(bytes(data))
        return len(data)


def written(case, **kwargs) -> bytes:
    out = Recorder()
    write_geojson(out, case, **kwargs)
    return b"".join(out.writes)


def test_the_golden_file_byte_for_byte(shipped_case):
    # The golden file is `python -m geo export --out -`: the export and a newline.
    golden = GOLDEN.read_bytes()
    assert written(shipped_case) + b"\n" == golden
    assert export_text(shipped_case) + "\n" == golden.decode("utf-8")


def test_streamed_equals_the_collection_serialised_whole(shipped_case):
    view = {"from": "2015-01-10", "to": None, "kinds": ["event"]}
    whole = stdlib(feature_collection(shipped_case, view=view)).encode("utf-8")
    assert written(shipped_case, view=view) == whole
    assert export_text(shipped_case, view=view).encode("utf-8") == whole


# Floats Python and orjson write apart (below 1e-4), and the unicode and control
# characters `ensure_ascii=False` keeps or escapes.
ODD_FLOATS = [5e-05, -1e-07, 1.5e-10, 0.0001, 1e-4 * 0.99, 1e16, 1e22, -0.0, 123456789.125]
ODD_TEXT = [
    "Ṣaydnāyā — سجن صيدنايا 😀",
    "two  spaces   and a\ttab",
    "line\nbreak\r\u2028\u2029\x7f\x1f\x00",
    'quote " and \\ backslash </script>',
    "1e-7",
    "0.00005",
    "",
]


def odd_case(folder: Path):
    places = [
        record("p-tiny", 0.00005, -0.00001, note=ODD_TEXT[0]),
        record("p-zero", -0.0, 1e-7),
    ]
    events = [
        dated(
            f"ev-{index}",
            "2017-05-15",
            name=text or "unnamed",
            odd=text,
            numbers=ODD_FLOATS,
            nested={"deep": [[{"x": ODD_FLOATS[index]}]], "empty": {}, "none": []},
        )
        for index, text in enumerate(ODD_TEXT)
    ]
    files = {"places.geojson": places, "events.geojson": events}
    return load_case(write_case(folder, TINY_META, files))


def test_unicode_and_odd_floats_byte_for_byte(tmp_path):
    case = odd_case(tmp_path / "odd")
    whole = stdlib(feature_collection(case)).encode("utf-8")
    for chunk in (1, 2, 1000):
        out = Recorder()
        write_geojson(out, case, chunk=chunk)
        assert b"".join(out.writes) == whole
    assert read_export(json.loads(whole), file="odd.geojson").records["id"].tolist() == (
        case.records["id"].tolist()
    )


def test_a_synthetic_case_byte_for_byte_and_in_many_writes(tmp_path):
    case = load_case(write_case(tmp_path / "syn", TINY_META, synthetic_files(2_500)))
    out = Recorder()
    write_geojson(out, case, chunk=500)
    assert b"".join(out.writes) == stdlib(feature_collection(case)).encode("utf-8")
    # the head, five chunks of features, the end: never the whole text at once
    assert len(out.writes) >= 7
    assert max(map(len, out.writes)) < sum(map(len, out.writes)) / 4


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": []},
        [[[]]],
        {"f": ODD_FLOATS, "t": ODD_TEXT},
        [{"a": {"b": [1, 2.5, None, True, False]}}, "x"],
        {"  key  ": "  value  ", "k": [" ", "  "]},
        {"big": 2**70, "small": -(2**64)},  # beyond orjson: the standard library writes them
        {1: "a number as a key", None: "and null"},
        [5e-324, 1.7976931348623157e308, -1e-300],
    ],
)
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_json_bytes_is_json_dumps(value, depth):
    expected = stdlib(value).replace("\n", "\n" + " " * depth).encode("utf-8")
    assert json_bytes(value, depth) == expected


def test_what_the_standard_library_refuses_is_refused():
    with pytest.raises(TypeError):
        json_bytes({"x": object()})
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate is not UTF-8
        json_bytes({"x": "\ud800"})


def test_an_empty_collection():
    out = Recorder()
    write_collection({"type": "FeatureCollection"}, [], out)
    assert b"".join(out.writes).decode() == stdlib({"type": "FeatureCollection", "features": []})
