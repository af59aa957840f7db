"""Exports carry the comments on each record (geo.transfer.record_comments, read from
the store's history at once): GeoJSON as the feature's property "comments", KML and
CSV among the properties they write as JSON text; imported back, they return as a
property of the record. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from geo.case import DEFAULT_CASE_DIR, load_case
from geo.cli import main
from geo.export import with_comments
from geo.formats import read_upload
from geo.records import CASE_LAYER
from geo.store import Store, default_data_dir
from geo.transfer import download, export, record_comments
from tests.store_worker import annotation

CASE_RECORD = "saydnaya"  # a place of the shipped case
MINE = annotation(1, "ana")  # a researcher's record, id "ana-1"
# Markup of every sink: HTML, Markdown, and text that would close a KML element.
HOSTILE = '<b>gate</b> & [link](http://x) </value></Data><Data name="id">'
PLAIN = {"view": None, "case_dir": None, "imported_files": [], "with_manifest": False}


@pytest.fixture
def commented(database_url, private_store) -> Store:
    """The shipped case's store with a researcher's record, two comments on it (the
    second hostile markup), one on another whose own properties name one "comments",
    and one on a record of the case."""
    store = Store.open(default_data_dir())
    store.add(MINE, analyst="Ana")
    store.add(replace(annotation(2, "ana"), properties={"comments": "their own"}), analyst="Ana")
    store.comment(MINE.id, "First look: a new wall.", analyst="Ana")
    store.comment(CASE_RECORD, "Matches the 2013 report.", analyst="Ben")
    store.comment(MINE.id, HOSTILE, analyst="Ben")
    store.comment("ana-2", "On the other one.", analyst="Ben")
    return store


def by_id(features: list[dict]) -> dict[str, dict]:
    """Each feature's properties by its record's id."""
    return {f["properties"]["id"]: f["properties"] for f in features}


def test_the_store_reads_every_records_comments_at_once(commented):
    found = commented.comments_by_record()
    assert set(found) == {MINE.id, CASE_RECORD, "ana-2"}
    assert [c.text for c in found[MINE.id]] == ["First look: a new wall.", HOSTILE]
    assert found[MINE.id] == commented.comments(MINE.id)  # the same as one record's read
    made = record_comments(commented)[MINE.id]
    assert [(c["by"], c["text"]) for c in made] == [
        ("Ana", "First look: a new wall."),
        ("Ben", HOSTILE),
    ]
    assert made[0]["at"] <= made[1]["at"]


def test_the_geojson_export_carries_the_comments_and_changes_nothing_else(
    commented, tmp_path, capsys
):
    out = tmp_path / "all.geojson"
    assert main(["export", "--out", str(out)]) == 0
    exported = by_id(json.loads(out.read_bytes())["features"])
    mine, place = exported[MINE.id], exported[CASE_RECORD]
    assert [c["text"] for c in mine["comments"]] == ["First look: a new wall.", HOSTILE]
    assert [c["by"] for c in mine["comments"]] == ["Ana", "Ben"]
    assert mine["properties"] == MINE.properties  # the researcher's own, untouched
    assert [c["text"] for c in place["comments"]] == ["Matches the 2013 report."]
    # a record's own property named "comments" is its own, not the history's
    assert exported["ana-2"]["properties"] == {"comments": "their own"}
    assert exported["ana-2"]["comments"][0]["text"] == "On the other one."
    # Every other record is written as it was before anyone commented.
    case = load_case(DEFAULT_CASE_DIR)
    plain = export(case, case.records, fmt="geojson", **PLAIN)
    uncommented = by_id(json.loads(plain.data)["features"])
    del uncommented[CASE_RECORD]
    assert uncommented and all(exported[k] == v for k, v in uncommented.items())


def test_a_geojson_export_imported_back_keeps_the_comments_as_a_property(commented, tmp_path):
    out = tmp_path / "all.geojson"
    assert main(["export", "--out", str(out)]) == 0
    upload = read_upload("all.geojson", out.read_bytes(), layer="again")
    back = {r.properties.get("id"): r for r in upload.records}
    assert [c["text"] for c in back[MINE.id].properties["comments"]][1] == HOSTILE
    assert back[CASE_RECORD].properties["comments"][0]["by"] == "Ben"
    assert main(["validate", str(out)]) == 0  # read back as a case and layers, too


@pytest.mark.parametrize("fmt", ["kml", "csv"])
def test_kml_and_csv_carry_the_comments_among_the_properties(commented, tmp_path, fmt):
    out = tmp_path / f"all.{fmt}"
    assert main(["export", "--format", fmt, "--out", str(out)]) == 0
    data = out.read_bytes()
    back = {r.id: r for r in read_upload(out.name, data, layer="again").records}
    assert [c["text"] for c in back[MINE.id].properties["comments"]] == [
        "First look: a new wall.",
        HOSTILE,
    ]
    assert back[MINE.id].properties["index"] == 1  # the record's own, beside them
    # the record's own "comments" stays; the history's take the next free name
    assert back["ana-2"].properties["comments"] == "their own"
    assert back["ana-2"].properties["comments_1"][0]["text"] == "On the other one."
    case_record = back[CASE_RECORD]
    assert case_record.layer == CASE_LAYER
    assert case_record.properties["comments"][0]["text"] == "Matches the 2013 report."
    if fmt == "kml":  # the markup is text in the XML: escaped, never an element
        text = data.decode("utf-8")
        assert "<b>" not in text and "&lt;b&gt;gate&lt;/b&gt;" in text
        assert text.count('<Data name="id">') == len(back)


def test_the_pages_download_carries_the_comments(commented):
    from ui.transfer import _cached_export

    case = load_case(DEFAULT_CASE_DIR)
    records = case.records  # the case's own: the comment on one of them travels
    name, data, mime = _cached_export(
        f"comments@{commented.revision()}",
        "all",
        "geojson",
        None,
        False,
        case,
        DEFAULT_CASE_DIR,
        commented,
        records,
    )
    assert name.endswith(".geojson") and mime
    exported = by_id(json.loads(data)["features"])
    assert exported[CASE_RECORD]["comments"][0]["text"] == "Matches the 2013 report."


def test_the_download_of_an_export_in_a_zip_carries_them_too(commented):
    case = load_case(DEFAULT_CASE_DIR)
    comments = record_comments(commented)
    result = export(
        case, case.records, fmt="geojson", **PLAIN | {"with_manifest": True}, comments=comments
    )
    name, _, _ = download(result)
    assert name.endswith(".zip")
    assert by_id(json.loads(result.data)["features"])[CASE_RECORD]["comments"]


@pytest.mark.parametrize(
    ("own", "key"),
    [
        ({}, "comments"),
        ({"comments": 1}, "comments_1"),
        ({"comments": 1, "comments_1": 2}, "comments_2"),
    ],
)
def test_the_comments_never_replace_a_records_own_property(own, key):
    added = with_comments(own, [{"by": "A", "at": "t", "text": "x"}])
    assert added == {**own, key: [{"by": "A", "at": "t", "text": "x"}]}


@pytest.mark.parametrize("fmt", ["geojson", "kml", "csv"])
def test_an_export_none_of_whose_records_has_comments_is_the_same_bytes(commented, fmt):
    case = load_case(DEFAULT_CASE_DIR)
    others = {MINE.id: record_comments(commented)[MINE.id]}  # on a record not exported
    plain = export(case, case.records, fmt=fmt, **PLAIN)
    assert export(case, case.records, fmt=fmt, **PLAIN, comments=others).data == plain.data


def test_a_case_exports_the_comments_made_in_it_and_not_another_cases(database_url, private_store):
    # The same id in two cases' files: each comment belongs to the case it was made in.
    store = Store.open(default_data_dir())
    store.for_case("saydnaya").comment(CASE_RECORD, "Made in this case.", analyst="Ana")
    store.for_case("other").comment(CASE_RECORD, "Made in another case.", analyst="Ben")
    mine = record_comments(store.for_case("saydnaya"))
    assert [c["text"] for c in mine[CASE_RECORD]] == ["Made in this case."]
    theirs = store.for_case("other").comments_by_record()
    assert [c.text for c in theirs[CASE_RECORD]] == ["Made in another case."]
