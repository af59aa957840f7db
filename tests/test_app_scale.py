"""Parts of the page that would grow with the case, on the page as AppTest runs it: the
record selector (a search, then a choice among its first matches), the timeline (counts
per bin past a few thousand records), the records at one position, the history (a page
at a time). Each is the same size for a large case as for a small one."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.escape import escape_markdown as md
from geo.synthetic import TINY_FILES, TINY_META, dated, synthetic_files, write_case
from geo.viewstate import quoted
from geo.workspace import SEARCH_LIMIT
from tests.test_app import run_app as run_app_with

TIMEOUT = 120
LARGE = 5_000
HOSTILE = "**bold** [link](http://t.example/x) ![i](http://t.example/i.png) <b>x</b>"


def run_app(monkeypatch, cases_dir: Path | None = None, query: dict | None = None) -> AppTest:
    return run_app_with(monkeypatch, cases_dir, query, timeout=TIMEOUT)


def search(at: AppTest, text: str) -> AppTest:
    at.text_input(key="record_search").set_value(text)
    return at.run()


@pytest.fixture(scope="module")
def large_cases(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("large-cases")
    write_case(folder / "large", TINY_META, synthetic_files(LARGE))
    return folder


def test_a_record_is_found_by_search_and_selected(monkeypatch):
    at = run_app(monkeypatch)
    select = at.selectbox(key="selected")
    assert select.label == "Selected record"
    assert at.text_input(key="record_search").label == "Find a record"
    search(at, "FIREWALL")
    assert not at.exception
    select = at.selectbox(key="selected")
    assert list(select.options) == [
        "None (click the map or choose)",
        "facility feature · Probable firewall",
    ]
    select.set_value("feat-firewall").run()
    assert not at.exception
    assert at.query_params["sel"] == "feat-firewall"
    assert any("Probable firewall" in m.value for m in at.markdown)
    # another search keeps the selection, offered beside what it finds
    search(at, "geneva")
    select = at.selectbox(key="selected")
    assert select.value == "feat-firewall"
    assert "facility feature · Probable firewall" in select.options
    assert "place · Geneva" in select.options
    # and a search that finds nothing says so
    search(at, "no such thing")
    assert any("No record shown matches 'no such thing'" in c.value for c in at.caption)
    assert at.selectbox(key="selected").value == "feat-firewall"


def test_the_choice_is_bounded_on_a_large_case(monkeypatch, large_cases):
    at = run_app(monkeypatch, large_cases)
    assert not at.exception
    select = at.selectbox(key="selected")
    assert len(select.options) == SEARCH_LIMIT + 1  # and "None"
    assert select.proto.ByteSize() < 10_000  # every record's title was some 290 kB here
    assert any(
        f"The first {SEARCH_LIMIT} of {LARGE:,} records shown: type to search" in c.value
        for c in at.caption
    )
    search(at, "record 4")  # both words: every name has the first; about 2,000 a 4
    select = at.selectbox(key="selected")
    assert len(select.options) == SEARCH_LIMIT + 1
    note = next(c.value for c in at.caption if c.value.startswith("The first"))
    assert re.fullmatch(
        rf"The first {SEARCH_LIMIT} of 2,\d\d\d matches: type more to narrow them\.", note
    )
    search(at, "r4321")
    select = at.selectbox(key="selected")
    assert [title.split(" · ", 1)[1][:12] for title in select.options[1:]] == ["Record 4321 "]
    select.set_value("r4321").run()
    assert not at.exception
    assert at.query_params["sel"] == "r4321"
    assert any("Record 4321" in m.value for m in at.markdown)


def test_the_timeline_of_a_large_case_is_counted_per_bin(monkeypatch, large_cases):
    at = run_app(monkeypatch, large_cases)
    (chart,) = at.get("vega_lite_chart")
    assert chart.proto.ByteSize() < 200_000  # a bar per record was some 1.3 MB here
    dated_count = LARGE - 50  # the first 50 are places
    assert any(c.value.startswith(f"Aggregated: {dated_count:,} dated records") for c in at.caption)


def test_a_linked_selection_shows_though_the_search_does_not_offer_it(monkeypatch, large_cases):
    at = run_app(monkeypatch, large_cases, query={"sel": "r4321"})
    assert not at.exception
    select = at.selectbox(key="selected")
    assert select.value == "r4321"
    assert len(select.options) == SEARCH_LIMIT + 2  # the first 50, and the one linked
    assert select.options[-1].split(" · ", 1)[1].startswith("Record 4321 ")
    assert any("Record 4321" in m.value for m in at.markdown)
    search(at, "r12")
    assert at.selectbox(key="selected").value == "r4321"
    assert at.query_params["sel"] == "r4321"


def test_markdown_in_a_record_name_stays_text(monkeypatch, tmp_path):
    files = copy.deepcopy(TINY_FILES)
    files["events.geojson"][0]["properties"]["name"] = HOSTILE  # ev-day, beside p1
    write_case(tmp_path / "hostile", files=files)
    at = run_app(monkeypatch, tmp_path, query={"sel": "p1"})
    # the record at the same position: a button, whose label is Markdown, escaped
    goto = next(b for b in at.button if b.key == "goto_ev-day")
    assert goto.label == f"event · {md(HOSTILE)}"
    assert "\\*\\*bold\\*\\*" in goto.label and "\\!\\[i\\]" in goto.label
    # a select box's option is plain text: the name as it is
    search(at, "bold")
    select = at.selectbox(key="selected")
    assert f"event · {HOSTILE}" in select.options
    select.set_value("ev-day").run()
    assert not at.exception
    assert at.selectbox(key="selected").value == "ev-day"
    # what was typed, quoted back in a caption (Markdown), is escaped
    search(at, "![j](http://t.example/j.png)")
    note = next(c.value for c in at.caption if c.value.startswith("No record shown matches"))
    assert md(quoted("![j](http://t.example/j.png)")) in note


def test_many_records_at_one_position_are_counted_not_all_listed(monkeypatch, tmp_path):
    files = copy.deepcopy(TINY_FILES)
    files["events.geojson"] += [dated(f"ev-{i}", "2016-01-01") for i in range(30)]
    write_case(tmp_path / "crowded", files=files)
    at = run_app(monkeypatch, tmp_path, query={"sel": "p1"})
    assert not at.exception
    goto = [b for b in at.button if b.key and b.key.startswith("goto_")]
    assert len(goto) == 20
    assert any("34 more records at this position" in m.value for m in at.markdown)
    assert any("…and 14 more here, not listed" in c.value for c in at.caption)
    goto[-1].click().run()
    assert not at.exception
    assert at.selectbox(key="selected").value == goto[-1].key.removeprefix("goto_")


def test_the_history_is_shown_a_page_at_a_time(monkeypatch, private_store):
    from geo.records import ANNOTATIONS_LAYER, Kind, LayerRecord
    from geo.store import Store
    from ui.transfer import HISTORY_PAGE

    store = Store.open(private_store)
    for index in range(HISTORY_PAGE + 5):
        store.add(
            LayerRecord(
                id=f"ann-{index}",
                layer=ANNOTATIONS_LAYER,
                kind=Kind.OTHER,
                name=f"Mark {index}",
                geometry={"type": "Point", "coordinates": [36.3, 33.6]},
            ),
            analyst="A. Analyst",
        )
    at = run_app(monkeypatch)
    at.session_state["tool"] = "History"
    at.run()
    assert not at.exception
    history = next(d for d in at.dataframe if "analyst" in d.value.columns)
    assert len(history.value) == HISTORY_PAGE
    assert history.value["record"].iloc[0] == f"ann-{HISTORY_PAGE + 4}"  # the latest first
    assert any(f"Changes 1 to {HISTORY_PAGE} of {HISTORY_PAGE + 5}" in c.value for c in at.caption)
    at.number_input(key="history_page").set_value(2).run()
    history = next(d for d in at.dataframe if "analyst" in d.value.columns)
    assert history.value["record"].tolist() == [f"ann-{i}" for i in range(4, -1, -1)]
    at.button(key="verify_store").click().run()
    assert any(f"Intact: {HISTORY_PAGE + 5} history entries" in s.value for s in at.success)


def test_many_places_give_distances_from_one(monkeypatch, large_cases):
    at = run_app(monkeypatch, large_cases)
    at.session_state["tool"] = "Distances"
    at.run()
    assert not at.exception
    origin = at.selectbox(key="distances_from")
    assert len(origin.options) == 50  # the synthetic case's places
    table = next(d for d in at.dataframe if "to" in d.value.columns)
    assert len(table.value) == 49  # not 50 x 49 / 2 pairs
    origin.set_value("r7").run()
    table = next(d for d in at.dataframe if "to" in d.value.columns)
    assert len(table.value) == 49 and not table.value["to"].str.startswith("Record 7 ").any()
