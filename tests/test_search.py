"""Finding a record by what a person types (geo.workspace.search_records), and the titles
of the few records a selector offers (record_titles)."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from geo.workspace import Found, record_titles, search_records


def frame(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """Records as (id, kind, name, layer); 'case' is the case's own layer."""
    return pd.DataFrame(rows, columns=["id", "kind", "name", "layer"])


RECORDS = frame(
    ("saydnaya", "place", "Saydnaya prison", "case"),
    ("damascus", "place", "Damascus", "case"),
    ("feat-firewall", "feature", "Probable firewall", "case"),
    ("feat-stack", "feature", "Discharge stack", "case"),
    ("ev-1", "event", "Transfer to Saydnaya", "case"),
    ("img-2015", "imagery", "Image of January 2015", "case"),
    ("ann-1", "area", "Yard", "Annotations"),
    ("imp-7", "event", "Convoy", "My Convoys"),
    ("r1", "event", "Record one", "case"),
    ("r10", "event", "Record ten", "case"),
    ("x-r1", "event", "Also r1 inside", "case"),
    ("md", "event", "**bold** [link](http://t.example) <b>", "case"),
)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        pytest.param("", [r[0] for r in RECORDS.itertuples(index=False)], id="blank-is-all"),
        pytest.param("   ", [r[0] for r in RECORDS.itertuples(index=False)], id="spaces-are-blank"),
        pytest.param("saydnaya", ["saydnaya", "ev-1"], id="id-first-then-name"),
        pytest.param("SAYDNAYA", ["saydnaya", "ev-1"], id="any-case"),
        pytest.param("prison", ["saydnaya"], id="inside-a-name"),
        pytest.param("firewall", ["feat-firewall"], id="name-and-id"),
        pytest.param("feat-", ["feat-firewall", "feat-stack"], id="part-of-an-id"),
        pytest.param("place", ["saydnaya", "damascus"], id="kind-value"),
        pytest.param("facility feature", ["feat-firewall", "feat-stack"], id="kind-in-words"),
        pytest.param("area of", ["ann-1"], id="kind-words-each-match"),
        pytest.param("annotations", ["ann-1"], id="layer"),
        pytest.param("convoy", ["imp-7"], id="layer-and-name"),
        pytest.param("transfer saydnaya", ["ev-1"], id="every-word"),
        pytest.param("saydnaya transfer", ["ev-1"], id="words-in-any-order"),
        pytest.param("event saydnaya", ["ev-1"], id="a-kind-and-a-name"),
        pytest.param("r1", ["r1", "r10", "x-r1"], id="exact-id-first"),
        # names that start with it, then the rest: 'imagery record' is a kind in words
        pytest.param("record", ["r1", "r10", "img-2015"], id="name-starts-first"),
        pytest.param("also", ["x-r1"], id="only-one"),
        pytest.param("[link](", ["md"], id="markdown-is-text"),
        pytest.param("<b>", ["md"], id="html-is-text"),
        pytest.param(".*", [], id="not-a-pattern"),
        pytest.param("nothing like it", [], id="no-match"),
    ],
)
def test_search_records(text, ids):
    found = search_records(RECORDS, text)
    assert found == Found(ids, len(ids))


def test_ranking_puts_name_starts_before_the_rest():
    records = frame(
        ("a", "event", "A convoy near Homs", "case"),
        ("b", "event", "Convoy at Homs", "case"),
    )
    assert search_records(records, "convoy").ids == ["b", "a"]


def test_the_limit_counts_every_match():
    records = frame(*[(f"r{i}", "event", f"Record {i}", "case") for i in range(500)])
    found = search_records(records, "record", limit=50)
    assert len(found.ids) == 50 and found.total == 500
    assert found.ids[:3] == ["r0", "r1", "r2"]  # the frame's order among equals
    blank = search_records(records, "", limit=50)
    assert len(blank.ids) == 50 and blank.total == 500
    assert search_records(records, "r7", limit=3).ids == ["r7", "r70", "r71"]


def test_a_filtered_frame_is_searched_as_it_is():
    shown = RECORDS[RECORDS["kind"] == "place"]
    assert search_records(shown, "saydnaya") == Found(["saydnaya"], 1)


def test_search_is_vectorised_at_a_million_records():
    n = 1_000_000
    records = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "kind": "event",
            "name": [f"Record {i}" for i in range(n)],
            "layer": "case",
        }
    )
    started = time.perf_counter()
    found = search_records(records, "r123456")
    took = time.perf_counter() - started
    assert found.ids == ["r123456"] and found.total == 1
    assert took < 5, took  # about 0.2 s here; a loop in Python would take minutes


def test_titles_for_a_few_records():
    titles = record_titles(RECORDS, ["feat-firewall", "ann-1", "no-such-id"])
    assert titles == {
        "feat-firewall": "facility feature · Probable firewall",
        "ann-1": "area of interest · Yard (Annotations)",
    }
    assert record_titles(RECORDS, []) == {}


def test_alike_records_get_their_ids_whichever_are_asked_for():
    records = frame(
        ("a", "event", "Strike", "case"),
        ("b", "event", "Strike", "case"),
        ("c", "feature", "Strike", "case"),  # another kind: told apart by it
        ("d", "event", "Strike", "Mine"),  # another layer: told apart by it
    )
    everything = record_titles(records)
    assert everything == {
        "a": "event · Strike [a]",
        "b": "event · Strike [b]",
        "c": "facility feature · Strike",
        "d": "event · Strike (Mine)",
    }
    # a title does not depend on which other records are offered beside it: the
    # selector keeps its choice by title from one search to the next
    for ids in (["a"], ["a", "c"], ["b", "d"], ["a", "b", "c", "d"]):
        assert record_titles(records, ids) == {i: everything[i] for i in ids}


def test_titles_keep_markdown_as_typed():
    # a select box's options are plain text: escaping would show the backslashes
    assert record_titles(RECORDS, ["md"]) == {"md": "event · **bold** [link](http://t.example) <b>"}
