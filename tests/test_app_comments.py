"""Commenting from the record panel, driven by AppTest: in solo mode with a typed
name, in team mode as the signed-in identity (the seam of tests/test_app_team.py),
on a record of the case's own and on a researcher's."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from geo.escape import escape_markdown
from geo.store import Store
from tests.store_worker import annotation
from tests.test_app_team import ANN, APP, TIMEOUT, page_as, team

__all__ = ["team"]  # the fixture

CASE_RECORD = "saydnaya"  # a place of the shipped case


def comment_box(at: AppTest, record_id: str):
    return at.text_area(key=f"comment_text_{record_id}")


def add_comment(at: AppTest, record_id: str, text: str) -> AppTest:
    comment_box(at, record_id).set_value(text)
    next(b for b in at.button if b.label == "Add comment").click()
    return at.run()


def test_a_comment_on_a_case_record_in_solo_mode(private_store):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["sel"] = CASE_RECORD
    at.run()
    assert not at.exception
    assert any(m.value == "*No comments yet.*" for m in at.markdown)
    # without a name nothing is kept, and the page says why
    add_comment(at, CASE_RECORD, "Unsigned")
    assert any("Enter your name" in e.value for e in at.error)
    store = Store.open(private_store)
    assert store.comments(CASE_RECORD) == []
    at.text_input(key="analyst").set_value("A. Analyst")
    add_comment(at, CASE_RECORD, "Is the <img src=x onerror=alert(1)> gate the [same](http://x)?")
    assert not at.exception
    [kept] = store.comments(CASE_RECORD)
    assert kept.analyst == "A. Analyst"
    assert kept.text == "Is the <img src=x onerror=alert(1)> gate the [same](http://x)?"
    shown = next(m.value for m in at.markdown if "onerror" in m.value)
    assert "Analyst" in shown and " UTC" in shown  # who and when
    assert escape_markdown(kept.text) in shown and "](http" not in shown  # text, not markup
    assert store.verify() == []


def test_an_empty_or_too_long_comment_is_refused_with_a_clear_error(private_store):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["sel"] = CASE_RECORD
    at.run()
    at.text_input(key="analyst").set_value("A. Analyst")
    add_comment(at, CASE_RECORD, "   ")
    assert any("the comment is empty" in e.value for e in at.error)
    assert Store.open(private_store).history() == []


def test_an_analyst_comments_on_anothers_record_in_team_mode(monkeypatch, team):
    team.add(annotation(1, "ann"), analyst=ANN)
    at = page_as(monkeypatch, "ben")
    at.query_params["sel"] = "ann-1"
    at.run()
    assert not at.exception
    assert not comment_box(at, "ann-1").proto.disabled
    add_comment(at, "ann-1", "Ben doubts the date")
    assert not at.exception
    [kept] = team.comments("ann-1")
    assert (kept.analyst, kept.text) == ("Ben <ben@example.org>", "Ben doubts the date")
    shown = next(m.value for m in at.markdown if "Ben doubts the date" in m.value)
    assert shown.startswith(f"**{escape_markdown(kept.analyst)}**")  # who, as text
    assert team.verify() == []


def test_a_viewer_sees_comments_but_the_box_is_disabled_with_the_reason(monkeypatch, team):
    team.comment(CASE_RECORD, "Ann's comment", analyst=ANN)
    at = page_as(monkeypatch, "viv")
    at.query_params["sel"] = CASE_RECORD
    at.run()
    assert not at.exception
    assert any("Ann's comment" in m.value for m in at.markdown)
    assert comment_box(at, CASE_RECORD).proto.disabled
    assert any("cannot comment" in c.value and "viewers" in c.value for c in at.caption)
    # AppTest cannot press a disabled button; a comment crafted anyway is refused by
    # the store: tests/test_comments.py, test_a_viewers_or_strangers_crafted_comment...
    assert [b.proto.disabled for b in at.button if b.label == "Add comment"] == [True]
