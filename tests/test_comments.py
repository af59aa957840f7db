"""Comments on records and changes of members, as hash-chained history entries: kept
by the store on SQLite and PostgreSQL, checked against the role in team mode, covered
by verify, and carried through migration 0004 by a store made before it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.access import AccessDenied, Role, comment_refusal
from geo.errors import DataError, StoreError
from geo.records import CONTROL_OR_SURROGATE
from geo.store import MAX_COMMENT_LENGTH, Action, Store, entry_note
from geo.store.validate import checked_comment
from geo.store.verify import MemberRow, check_members
from tests.store_worker import annotation
from tests.test_access import ANN, BEN, CASE, LEA, VIV, person, record_entries, team_store
from tests.test_store import drawn, old_store, raw, tamper

__all__ = ["team_store"]  # the fixture, shared with tests/test_access.py

CASE_RECORD = "site-1"  # a record of the case's own, which the store does not hold


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> Store:
    return Store.open(tmp_path / "data")


@pytest.mark.parametrize(
    ("role", "may_comment"),
    [(None, False), (Role.VIEWER, False), (Role.ANALYST, True), (Role.LEAD, True)],
)
def test_who_may_comment(role, may_comment):
    assert (comment_refusal(role, CASE) is None) is may_comment


def test_a_comment_is_a_history_entry_and_changes_no_record(store):
    store.add(drawn("r1"), analyst="A")
    before = store.records()
    made = store.comment("r1", "  Is this the <b>same</b> building as in 2013?\n", analyst="B")
    assert made.text == "Is this the <b>same</b> building as in 2013?"  # kept verbatim
    assert made.analyst == "B" and made.seq == 2
    entry = store.history()[-1]
    assert (entry.action, entry.record_id, entry.layer) == (Action.COMMENT, "r1", drawn().layer)
    assert entry.change == {"comment": made.text}
    assert entry_note(entry) == made.text
    assert (entry.seq, entry.time) == (made.seq, made.time)
    assert store.records() == before
    store.comment("r1", "Second line\nand a third", analyst="A")
    assert [(c.analyst, c.text) for c in store.comments("r1")] == [
        ("B", made.text),
        ("A", "Second line\nand a third"),
    ]
    assert store.comments("another") == []
    assert store.verify() == []


def test_a_comment_on_a_record_of_the_cases_own(store):
    store.comment(CASE_RECORD, "The source dates this to March", analyst="A")
    assert [c.text for c in store.comments(CASE_RECORD)] == ["The source dates this to March"]
    assert store.history()[-1].layer == ""
    assert store.layers() == []  # a comment makes no layer
    assert store.verify() == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("x" * (MAX_COMMENT_LENGTH + 1), f"the limit is {MAX_COMMENT_LENGTH:,}"),
        ("bell\x07", "control characters"),
        ("\ud800", "invalid Unicode"),
        (42, "must be text"),
    ],
)
def test_a_bad_comment_is_refused_and_nothing_is_written(store, text, words):
    store.add(drawn("r1"), analyst="A")
    before = store.history()
    with pytest.raises(DataError, match=words):
        store.comment("r1", text, analyst="A")
    assert store.history() == before


# any code point, lone surrogates included
@given(st.text(st.characters(exclude_categories=()), max_size=MAX_COMMENT_LENGTH + 10))
def test_any_text_is_a_comment_or_a_clear_refusal(text):
    try:
        kept = checked_comment(text)
    except DataError as exc:
        assert exc.problems and all(p.field == "comment" for p in exc.problems)
        return
    assert kept == text.strip() and 0 < len(kept) <= MAX_COMMENT_LENGTH
    assert not CONTROL_OR_SURROGATE.search(
        kept.replace("\n", "").replace("\r", "").replace("\t", "")
    )


def test_the_longest_comment_is_kept(store):
    store.comment(CASE_RECORD, "y" * MAX_COMMENT_LENGTH, analyst="A")
    assert store.comments(CASE_RECORD)[0].text == "y" * MAX_COMMENT_LENGTH


def test_a_deleted_record_takes_no_comment(store):
    store.add(drawn("r1"), analyst="A")
    store.delete("r1", analyst="A")
    with pytest.raises(StoreError, match="was deleted"):
        store.comment("r1", "too late", analyst="A")
    assert store.history()[-1].action == Action.DELETE


def test_a_comment_needs_a_typed_name_in_solo_mode(store):
    with pytest.raises(DataError, match="analyst"):
        store.comment(CASE_RECORD, "who am I?", analyst="  ")
    assert store.history() == []


def test_an_edited_comment_is_detected(store):
    store.add(drawn("r1"), analyst="A")
    store.comment("r1", "probably a checkpoint", analyst="A")
    tamper(store, "UPDATE history SET change = replace(change, 'probably', 'surely') WHERE seq = 2")
    assert "history entry 2: hash does not match its content (edited after the fact?)" in (
        store.verify()
    )
    assert store.comments("r1")[0].text == "surely a checkpoint"  # shown as it now is


def test_a_removed_comment_is_detected(store):
    store.add(drawn("r1"), analyst="A")
    store.comment("r1", "one", analyst="A")
    store.comment("r1", "two", analyst="A")
    tamper(store, "DELETE FROM history WHERE seq = 2")
    problems = store.verify()
    assert "history: entry 2 missing (deleted?)" in problems
    assert "history entry 3: prev_hash does not match entry 1" in problems


def test_the_history_refuses_an_unknown_action(store):
    with raw(store) as conn, pytest.raises(Exception, match=r"(?i)check"):
        conn.execute(
            "INSERT INTO history (seq, time, analyst, action, record_id, layer, change,"
            " prev_hash, hash) VALUES (1, 't', 'a', 'bogus', NULL, '', '{}', 'p', 'h')"
        )


# --- team mode ---------------------------------------------------------------------------


def test_analysts_and_leads_comment_on_anyones_record(team_store):
    team_store.add(annotation(1, "ann"), analyst=ANN)
    team_store.comment("ann-1", "Ben's doubt about Ann's record", analyst=BEN)
    team_store.comment("ann-1", "Ann answers", analyst=ANN)
    team_store.comment(CASE_RECORD, "The lead on the case's record", analyst=LEA)
    assert [c.analyst for c in team_store.comments("ann-1")] == [
        "Ben <ben@example.org>",
        "Ann <ann@example.org>",
    ]
    assert team_store.comments(CASE_RECORD)[0].analyst == "Lea <lea@example.org>"
    assert team_store.verify() == []


def test_a_viewers_or_strangers_crafted_comment_is_refused_and_nothing_written(team_store):
    team_store.add(annotation(1, "ann"), analyst=ANN)
    before = team_store.history()
    with pytest.raises(AccessDenied, match=r"viewers .* not comment"):
        team_store.comment("ann-1", "a viewer's comment", analyst=VIV)
    with pytest.raises(AccessDenied, match="not a member"):
        team_store.comment("ann-1", "from another case", analyst=person("ann", "other"))
    with pytest.raises(AccessDenied, match="signed-in identity"):
        team_store.comment("ann-1", "a typed name", analyst="Ann")
    assert team_store.history() == before


def test_each_change_of_members_is_a_history_entry(team_store):
    team_store.set_member(CASE, BEN.identity.email, Role.LEAD, by=LEA)
    team_store.set_member(CASE, BEN.identity.email, Role.LEAD, by=LEA)  # no change
    team_store.remove_member(CASE, VIV.identity.email, by=BEN)
    members = [e for e in team_store.history() if e.action == Action.MEMBER]
    assert [(e.analyst, e.change) for e in members] == [
        (
            "administrator",
            {"case": CASE, "email": "lea@example.org", "before": None, "after": "lead"},
        ),
        *[
            ("Lea <lea@example.org>", {"case": CASE, "email": email, "before": None, "after": role})
            for email, role in (
                ("ann@example.org", "analyst"),
                ("ben@example.org", "analyst"),
                ("viv@example.org", "viewer"),
            )
        ],
        (
            "Lea <lea@example.org>",
            {"case": CASE, "email": "ben@example.org", "before": "analyst", "after": "lead"},
        ),
        (
            "Ben <ben@example.org>",
            {"case": CASE, "email": "viv@example.org", "before": "viewer", "after": None},
        ),
    ]
    assert all(e.record_id is None and e.layer == "" for e in members)
    assert [entry_note(e) for e in members[-2:]] == [
        "ben@example.org: analyst → lead (case saydnaya)",
        "viv@example.org: removed (case saydnaya)",
    ]
    assert entry_note(members[0]) == "lea@example.org: added as lead (case saydnaya)"
    assert record_entries(team_store) == []
    assert team_store.verify() == []


def test_a_refused_change_of_members_writes_no_entry(team_store):
    before = team_store.history()
    with pytest.raises(AccessDenied):
        team_store.set_member(CASE, "x@example.org", Role.LEAD, by=ANN)
    with pytest.raises(StoreError, match="only lead"):
        team_store.remove_member(CASE, LEA.identity.email, by=LEA)
    with pytest.raises(StoreError, match="not a member"):
        team_store.remove_member(CASE, "nobody@example.org", by=LEA)
    assert team_store.history() == before


def test_a_role_given_around_the_store_is_detected(team_store):
    with raw(team_store) as conn:
        conn.execute("UPDATE members SET role = 'lead' WHERE email = 'viv@example.org'")
        conn.execute("DELETE FROM members WHERE email = 'ben@example.org'")
    problems = team_store.verify()
    assert any(
        p.startswith(
            "member viv@example.org of the case 'saydnaya': history entry 4 made them "
            "viewer, but their role is lead"
        )
        for p in problems
    )
    assert any(
        p.startswith(
            "member ben@example.org of the case 'saydnaya': history entry 3 made them "
            "analyst, but they are not a member"
        )
        for p in problems
    )


@pytest.mark.parametrize(
    ("noted", "rows", "problems"),
    [
        ([], [MemberRow("c", "a@x", "lead")], 0),  # added before migration 0004
        ([("a@x", None, "lead")], [MemberRow("c", "a@x", "lead")], 0),
        ([("a@x", None, "lead"), ("a@x", "lead", None)], [], 0),
        ([("a@x", None, "lead"), ("a@x", "lead", None)], [MemberRow("c", "a@x", "lead")], 1),
        ([("a@x", None, "viewer")], [MemberRow("c", "a@x", "lead")], 1),
        ([("a@x", None, "viewer")], [], 1),
        ([("a@x", None, "viewer")], [MemberRow("other", "a@x", "viewer")], 1),
    ],
)
def test_members_against_their_entries(noted, rows, problems):
    from geo.store.chain import ReadableEntry

    entries = [
        ReadableEntry(
            seq, "member", None, "", {"case": "c", "email": e, "before": b, "after": a}, "t", "x"
        )
        for seq, (e, b, a) in enumerate(noted, start=1)
    ]
    assert len(check_members(entries, rows)) == problems


# --- migration 0004 ----------------------------------------------------------------------


def test_a_store_made_before_comments_upgrades_with_its_chain_intact(tmp_path):
    folder = tmp_path / "old"
    docs = [drawn(f"old-{i}").to_dict() for i in range(3)]
    latest = old_store(folder, docs)
    store = Store.open(folder)
    assert store.latest() == (3, latest, 3) and store.verify() == []
    with sqlite3.connect(store.db_path) as conn:
        triggers = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        indexes = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'history'"
            )
        }
    assert triggers == {"history_no_update", "history_no_delete"}
    assert "history_by_record" in indexes
    made = store.comment("old-1", "commented after the upgrade", analyst="New")
    assert store.history()[-1].prev_hash == latest and made.seq == 4
    assert store.verify() == []
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), raw(store) as conn:
        conn.execute("DELETE FROM history WHERE seq = 4")
    with (
        sqlite3.connect(store.db_path) as conn,
        pytest.raises(sqlite3.IntegrityError, match="CHECK"),
    ):
        conn.execute(
            "INSERT INTO history (time, analyst, action, layer, change, prev_hash,"
            " hash) VALUES ('t', 'a', 'bogus', '', '{}', 'p', 'h')"
        )


def test_the_upgrade_keeps_what_verify_must_still_report(tmp_path):
    """Removed last entries and a removed guard stay visible after the table is rebuilt."""
    folder = tmp_path / "old"
    old_store(folder, [drawn(f"old-{i}").to_dict() for i in range(3)])
    with sqlite3.connect(folder / "store.sqlite3", isolation_level=None) as conn:
        conn.execute("DROP TRIGGER history_no_delete")
        conn.execute("DELETE FROM history WHERE seq = 3")
    store = Store.open(folder)
    problems = store.verify()
    assert (
        "history: the guard history_no_delete was removed, so the log is no longer append-only"
        in problems
    )
    assert (
        "history: ends at entry 2, but entries up to 3 were written (the last entries were "
        "removed?)" in problems
    )
