"""The history does not leak between cases (issue 12): each entry written from a case
names it inside its hashed change and in ``history.case_id`` (revision 0006); a
case's history, counts, pages and comments are its own and those of no case; verify
compares records' case and owner and entries' case with what the chain says; a
layer of records made before cases were recorded is given to one case (``assign``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from geo.access import AccessDenied, Role
from geo.cli import main
from geo.errors import StoreError
from geo.store import Action, Store
from geo.store import migrate as store_migrate
from geo.store.chain import ReadableEntry
from geo.store.connection import session, write_transaction
from geo.store.verify import RecordMade, check_entry_cases, check_record_cases
from tests.test_access import ANN, CASE, LEA, person, team_store
from tests.test_app import run_app
from tests.test_record_case import cases, store_at_revision_0003
from tests.test_store import drawn, raw, restore_guards, tamper

__all__ = ["team_store"]  # the fixture, shared with tests/test_access.py

OTHER = "other-case"
CASE_FILE_RECORD = "site-1"  # a record of a case's own files, which the store does not hold


def listed_records(store: Store) -> list[str | None]:
    return [entry.record_id for entry in store.history()]


def two_cases(folder: Path) -> Store:
    """Entries of no case, of the case 'a' and of the case 'b', interleaved."""
    store = Store.open(folder)
    store.add(drawn("legacy"), analyst="Old")  # a store not opened for a case
    a, b = store.for_case("a"), store.for_case("b")
    a.add(drawn("in-a"), analyst="A")
    b.add(drawn("in-b"), analyst="B")
    a.edit("in-a", analyst="A", name="renamed in a")
    b.import_layer("B's sites", [drawn("b-site")], analyst="B", file_name="b.kml", file_bytes=b"b")
    b.delete("in-b", analyst="B")
    a.comment("legacy", "seen from a", analyst="A")
    return store


def test_each_case_lists_its_own_entries_and_those_of_no_case(tmp_path, database_url):
    store = two_cases(tmp_path / "data")
    a, b = store.for_case("a"), store.for_case("b")
    assert listed_records(a) == ["legacy", "in-a", "in-a", "legacy"]
    assert listed_records(b) == ["legacy", "in-b", None, "in-b"]
    assert [entry.action for entry in b.history()][2] == Action.IMPORT
    # each new entry names its case inside the change its hash covers
    assert all(entry.change.get("case") == "a" for entry in a.history()[1:])
    assert all(entry.change.get("case") == "b" for entry in b.history()[1:])
    assert "case" not in store.history()[0].change  # written from no case: as before
    # a store not opened for a case lists everything; the head is the whole chain's
    assert len(store.history()) == store.history_count() == 7
    assert (a.history_count(), b.history_count()) == (4, 4)
    assert a.latest() == b.latest() == store.latest() and store.latest().entries == 7
    assert store.verify() == []


def test_a_cases_pages_hold_its_entries_only(tmp_path, database_url):
    store = Store.open(tmp_path / "data")
    store.add(drawn("legacy-0"), analyst="Old")
    a, b = store.for_case("a"), store.for_case("b")
    for i in range(6):
        a.add(drawn(f"a-{i}"), analyst="A")
        b.add(drawn(f"b-{i}"), analyst="B")
        b.add(drawn(f"b-{i}-more"), analyst="B")
    store.add(drawn("legacy-1"), analyst="Old")
    everything = a.history()
    assert [e.record_id for e in everything] == [
        "legacy-0",
        *(f"a-{i}" for i in range(6)),
        "legacy-1",
    ]
    for newest, skip in [(3, 0), (3, 3), (3, 6), (3, 9), (5, 2), (100, 0), (0, 0)]:
        end = len(everything) - skip
        assert a.history(newest=newest, skip=skip) == everything[max(end - newest, 0) : max(end, 0)]
    assert b.history(newest=2, skip=0)[-1].record_id == "legacy-1"
    assert b.history(newest=2, skip=1)[-1].record_id == "b-5-more"


def test_comments_are_listed_in_the_case_they_were_made_in(tmp_path, database_url):
    store = Store.open(tmp_path / "data")
    store.add(drawn("legacy"), analyst="Old")
    a, b = store.for_case("a"), store.for_case("b")
    store.comment(CASE_FILE_RECORD, "made outside any case", analyst="Old")
    a.comment(CASE_FILE_RECORD, "about a's own site", analyst="A")
    b.comment(CASE_FILE_RECORD, "about b's own site", analyst="B")
    a.comment("legacy", "a's reading", analyst="A")
    assert [c.text for c in a.comments(CASE_FILE_RECORD)] == [
        "made outside any case",
        "about a's own site",
    ]
    assert [c.text for c in b.comments(CASE_FILE_RECORD)] == [
        "made outside any case",
        "about b's own site",
    ]
    assert [c.text for c in b.comments("legacy")] == []
    assert len(store.comments(CASE_FILE_RECORD)) == 3  # no case: every comment
    assert store.verify() == []


# --- assign ------------------------------------------------------------------------------


def legacy_layer(folder: Path, name: str = "Old sites") -> list[str]:
    """A layer imported before cases were recorded (by a store not opened for one)."""
    records = [drawn(f"old-{i}") for i in range(3)]
    Store.open(folder).import_layer(
        name, records, analyst="Old", file_name="old.kml", file_bytes=b"old"
    )
    return [record.id for record in records]


def test_a_lead_gives_a_layer_of_no_case_to_the_case(team_store):
    ids = legacy_layer(team_store.data_dir)
    case, other = team_store.for_case(CASE), team_store.for_case(OTHER)
    before = team_store.history()
    with pytest.raises(AccessDenied, match="only a lead"):
        case.assign_layer("Old sites", analyst=ANN)
    assert team_store.history() == before and team_store.made_in("old-0")[1] is None
    assert case.assign_layer("Old sites", analyst=LEA) == ids
    assert [r.id for r in other.records()] == []  # no longer shown on every case
    assert [r.id for r in case.records()] == ids
    entry = team_store.history()[-1]
    assert (entry.action, entry.layer, entry.record_id) == (Action.ASSIGN, "Old sites", None)
    assert entry.change == {"case": CASE, "records": ids}
    assert entry in case.history() and entry not in other.history()
    assert team_store.verify() == []
    with pytest.raises(StoreError, match="no records made before cases were recorded"):
        case.assign_layer("Old sites", analyst=LEA)


def test_a_layer_of_another_case_is_not_assigned(tmp_path, database_url):
    store = Store.open(tmp_path / "data")
    legacy_layer(store.data_dir)
    b = store.for_case("b")
    b.import_layer("B's sites", [drawn("b-site")], analyst="B", file_name="b.kml", file_bytes=b"b")
    before = store.history()
    with pytest.raises(StoreError, match="are the case 'b''s"):
        store.for_case("a").assign_layer("B's sites", analyst="A")
    with pytest.raises(StoreError, match="no layer named 'Nowhere'"):
        store.for_case("a").assign_layer("Nowhere", analyst="A")
    with pytest.raises(StoreError, match="not opened for a case"):
        store.assign_layer("Old sites", analyst="A")
    assert store.history() == before and store.made_in("b-site") == (None, "b")
    # the drawn layer holds every case's drawings: only those of no case move
    store.add(drawn("legacy-drawn"), analyst="Old")
    b.add(drawn("b-drawn"), analyst="B")
    assert store.for_case("a").assign_layer("Annotations", analyst="A") == ["legacy-drawn"]
    assert store.made_in("b-drawn") == (None, "b")
    assert store.verify() == []


def test_the_command_line_assigns_a_layer(tmp_path, private_store, monkeypatch, capsys):
    monkeypatch.setenv("GEO_CASES_DIR", str(cases(tmp_path / "cases", "a", "b")))
    ids = legacy_layer(private_store)
    args = ["assign", "--layer", "Old sites", "--analyst", "Lead"]
    assert main([*args, "--case", "c"]) == 1
    assert "no case in" in capsys.readouterr().err
    assert main([*args, "--case", "b"]) == 0
    assert "3 records of the layer 'Old sites' now belong to the case 'b'" in (
        capsys.readouterr().out
    )
    store = Store.open(private_store)
    assert [r.id for r in store.for_case("b").records()] == ids
    assert store.for_case("a").records() == []
    assert main([*args, "--case", "a"]) == 1
    assert "are the case 'b''s" in capsys.readouterr().err


# --- migration 0006 ----------------------------------------------------------------------


def test_a_store_at_revision_0005_fills_each_entrys_case(tmp_path, database_url):
    folder = tmp_path / "old"
    docs = [drawn(f"old-{i}").to_dict() for i in range(3)]
    latest = store_at_revision_0003(folder, database_url, docs)
    with (
        session(folder / "store.sqlite3", database_url) as conn,
        write_transaction(conn),
    ):
        command.upgrade(store_migrate._config(conn), "0005")
        # as revision 0005 wrote a record drawn from the case 'a'
        conn.execute(text("UPDATE records SET case_id = 'a' WHERE id = 'old-1'"))
    store = Store.open(folder)
    with session(store.db_path, store.database_url) as conn:
        assert store_migrate.revision(conn, store.where) == store_migrate.head()
        filled = conn.execute(text("SELECT seq, case_id FROM history ORDER BY seq")).all()
    assert [tuple(row) for row in filled] == [(1, None), (2, "a"), (3, None)]
    assert store.latest() == (3, latest, 3) and store.verify() == []
    assert listed_records(store.for_case("b")) == ["old-0", "old-2"]
    assert listed_records(store.for_case("a")) == ["old-0", "old-1", "old-2"]
    # the guards came along, and the chain goes on
    with pytest.raises(Exception, match="append-only"), raw(store) as conn:
        conn.execute("UPDATE history SET case_id = 'b'")
    store.for_case("a").add(drawn("new"), analyst="A")
    assert store.history()[-1].prev_hash == latest and store.verify() == []


def test_a_read_only_store_of_an_older_layout_is_verified_but_not_seen_from_a_case(
    tmp_path, monkeypatch
):
    # A read-only store is not brought up to date on open (read-only media, say).
    folder = tmp_path / "old"
    store_at_revision_0003(folder, "", [drawn("old-0").to_dict()])
    old = Store.open_existing(folder, read_only=True)
    assert old.verify() == [] and [r.id for r in old.records()] == ["old-0"]
    with pytest.raises(StoreError, match=r"read-only.*\(revision 0003;.*geo verify"):
        old.for_case("a")
    # the page says so, instead of failing on a missing column
    monkeypatch.setattr("geo.store.store.can_write", lambda folder: False)
    monkeypatch.setenv("GEO_DATA_DIR", str(folder))
    at = run_app(monkeypatch)
    assert not at.exception
    assert "could not be loaded" in at.error[0].value
    assert "read-only here" in " ".join(str(v) for v in at.dataframe[0].value["problem"])


# --- verify ------------------------------------------------------------------------------


def test_verify_sees_a_records_case_or_owner_or_an_entrys_case_changed(team_store):
    team_store.for_case(CASE).add(drawn("r1"), analyst=ANN)
    assert team_store.verify() == []
    seq = team_store.history()[-1].seq
    key = ANN.identity.key
    tamper(
        team_store,
        "UPDATE records SET case_id = 'b' WHERE id = 'r1'",
        "UPDATE records SET owner = 'someone else' WHERE id = 'r1'",
        f"UPDATE history SET case_id = 'b' WHERE seq = {seq}",
        *restore_guards(team_store),
    )
    assert team_store.verify() == [
        f"history entry {seq}: its case is 'b' in the history table, but its change says "
        f"'{CASE}' (changed outside the store?)",
        f"record r1: its case is 'b' in the records table, but its history says '{CASE}' "
        f"(entry {seq}) (changed outside the store?)",
        f"record r1: its owner is 'someone else' in the records table, but its history says "
        f"'{key}' (entry {seq}) (changed outside the store?)",
    ]


def test_verify_sees_an_assigned_record_moved_back(tmp_path, database_url):
    store = Store.open(tmp_path / "data")
    legacy_layer(store.data_dir)
    store.for_case("a").assign_layer("Old sites", analyst="A")
    tamper(store, "UPDATE records SET case_id = NULL WHERE id = 'old-2'", *restore_guards(store))
    [problem] = store.verify()
    assert problem.startswith(
        "record old-2: its case is none in the records table, but its history says 'a'"
    )


def entry(seq: int, action: str, change: dict, *, rid=None, layer="L", case=None):
    return ReadableEntry(seq, action, rid, layer, change, "t", "x", case)


@pytest.mark.parametrize(
    ("entries", "problems"),
    [
        ([entry(1, "create", {"record": {}}, rid="r")], 0),  # made before: not checked
        ([entry(1, "create", {"record": {}, "case": "a"}, rid="r", case="a")], 0),
        ([entry(1, "create", {"record": {}, "case": "a"}, rid="r", case="b")], 1),
        ([entry(1, "create", {"record": {}, "case": "a"}, rid="r", case=None)], 1),
        ([entry(1, "member", {"case": "a", "email": "e"}, case="a")], 0),
        ([entry(1, "comment", {"comment": "c"}, rid="r", case="a")], 0),  # filled in
    ],
)
def test_an_entrys_case_against_its_change(entries, problems):
    assert len(check_entry_cases(entries)) == problems


def assigned(seq: int, *ids: str) -> ReadableEntry:
    return entry(seq, "assign", {"case": "a", "records": list(ids)})


MADE = [RecordMade("r", "L", "owner-1", "a"), RecordMade("s", "L", None, None)]


@pytest.mark.parametrize(
    ("entries", "problems"),
    [
        ([entry(1, "create", {"record": {}}, rid="r")], 0),  # made before: not checked
        ([entry(1, "create", {"record": {}, "case": "a", "owner": "owner-1"}, rid="r")], 0),
        ([entry(1, "create", {"record": {}, "case": "b"}, rid="r")], 1),
        ([entry(1, "create", {"record": {}, "case": "a", "owner": "other"}, rid="r")], 1),
        ([entry(1, "import", {"count": 2, "case": "a"})], 1),  # s is of no case
        (
            [entry(1, "import", {"count": 2}), entry(2, "assign", {"case": "a", "records": ["r"]})],
            0,
        ),
        (
            [entry(1, "import", {"count": 2}), entry(2, "assign", {"case": "a", "records": ["s"]})],
            1,
        ),
        ([entry(1, "assign", {"case": "a", "records": ["r", "gone"]})], 1),  # not in the store
        # a record drawn later into an imported layer is named by its own entry
        (
            [
                entry(1, "import", {"count": 1, "case": "b"}),
                entry(2, "create", {"record": {}, "case": "a"}, rid="r"),
            ],
            1,  # s: 'b' by the import, none in the table
        ),
    ],
)
def test_a_records_case_and_owner_against_the_history(entries, problems):
    assert len(check_record_cases(entries, MADE)) == problems


# --- the page ----------------------------------------------------------------------------


def test_the_history_tab_of_a_case_shows_none_of_another_cases_records(monkeypatch, private_store):
    from tests.test_app import open_tool
    from tests.test_app_team import page_as

    monkeypatch.setenv("GEO_TEAM", "1")
    solo = Store.open(private_store)
    solo.for_case(OTHER).add(drawn("secret-of-other"), analyst="Other")
    solo.for_case(OTHER).comment("secret-of-other", "not for saydnaya", analyst="Other")
    store = Store.open(private_store, team=True)
    store.set_member(CASE, "lea@example.org", Role.LEAD, by=None)
    store.set_member(CASE, ANN.identity.email, Role.ANALYST, by=None)
    store.set_member(OTHER, "olga@example.org", Role.LEAD, by=None)
    store.for_case(CASE).add(drawn("mine"), analyst=person("ann"))
    at = open_tool(page_as(monkeypatch, "ann"), "History")
    assert not at.exception
    history = next(d for d in at.dataframe if "analyst" in d.value.columns).value
    assert "mine" in history["record"].tolist()
    shown = history.to_string()
    assert "secret-of-other" not in shown and "not for saydnaya" not in shown
    assert "olga" not in shown  # nor the other case's members
