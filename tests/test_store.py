"""The evidence store: faithful records, a history that shows tampering, no half saves.

Each test taking the `store` fixture runs on SQLite and on PostgreSQL (a throw-away
server, tests/postgres.py); `sqlite_store` marks what only SQLite has (its files,
WAL, read-only opening, values of another type in a column)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url

from geo.errors import DataError, GeoError
from geo.records import ANNOTATIONS_LAYER, Kind, LayerRecord
from geo.store import (
    GENESIS_HASH,
    Action,
    Store,
    StoreError,
    StoreNotFound,
    default_data_dir,
    entry_hash,
)
from tests.store_worker import annotation

ROOT = Path(__file__).resolve().parent.parent
FILE_BYTES = b'<?xml version="1.0"?>\r\n<kml>\xef\xbb\xbf as received, CRLF and all</kml>\r\n'


def point(lon: float = 36.3, lat: float = 33.6) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def drawn(record_id: str = "", **changes: Any) -> LayerRecord:
    record = LayerRecord(
        id=record_id,
        layer=ANNOTATIONS_LAYER,
        kind=Kind.AREA,
        name="Burnt area north of the compound",
        geometry={
            "type": "Polygon",
            "coordinates": [[[36.3, 33.6], [36.31, 33.6], [36.31, 33.61], [36.3, 33.6]]],
        },
        properties={"note": "seen on 2015-01 imagery", "confidence": "probable"},
        date="2015-01",
        date_as_stated="January 2015",
    )
    return replace(record, **changes)


def imported(count: int, prefix: str = "pm") -> list[LayerRecord]:
    return [
        LayerRecord(
            id=f"{prefix}{i}",
            layer="whatever the importer said",
            kind=Kind.PLACE,
            name=f"Placemark {i}",
            geometry=point(36 + i / 1000, 33.5),
            properties={"name": f"Placemark {i}", "description": None, "row": i},
        )
        for i in range(count)
    ]


def snapshot(store: Store) -> tuple[Any, ...]:
    return (
        store.records(),
        store.history(),
        store.layers(),
        store.files(),
        sorted(p.name for p in store.files_dir.iterdir()),
    )


@contextmanager
def raw(store: Store, *, constraints: bool = True) -> Iterator[Any]:
    """A plain connection, as someone tampering with the database would use: sqlite3 on
    the file (foreign keys off, as SQLite's default), or psycopg on the server, where
    `constraints=False` switches off foreign keys and triggers (replica mode) as a
    superuser can."""
    if not store.database_url:
        with sqlite3.connect(store.db_path, isolation_level=None) as conn:
            yield conn
        return
    url = make_url(store.database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        if not constraints:
            conn.execute("SET session_replication_role = replica")
        yield conn


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> Store:
    opened = Store.open(tmp_path / "data")
    assert bool(opened.database_url) == bool(database_url)
    return opened


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "data")


# --- records in and out -----------------------------------------------------------------


def test_open_creates_the_folder_database_and_schema(tmp_path):
    store = Store.open(tmp_path / "a" / "b")
    assert store.db_path == (tmp_path / "a" / "b" / "store.sqlite3").resolve()
    assert store.files_dir.is_dir()
    with raw(store) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert Store.open(tmp_path / "a" / "b") == store  # opening again changes nothing
    assert store.records() == [] and store.history() == [] and store.verify() == []


def test_records_read_back_equal(store):
    records = [
        drawn("a-1"),
        drawn(
            "a-2",
            kind=Kind.EVENT,
            name="Ṣaydnāyā — «crematorium» 火葬場",
            geometry={"type": "LineString", "coordinates": [[36.3, 33.6], [36.4, 33.7]]},
            properties={
                "nested": {"list": [1, 2.5, -0.0, None, True, "x"], "empty": {}},
                "big": 2**70,
                "tiny": 1e-300,
                "quote": 'he said "no"\n',
            },
            date="2013/2016",
            date_as_stated="2013 to 2016",
        ),
        drawn("a-3", properties={}, date=None, date_as_stated=None, name=""),
    ]
    returned = [store.add(record, analyst="Analyst A") for record in records]
    assert returned == records
    assert store.records() == records
    assert store.records(ANNOTATIONS_LAYER) == records
    assert store.records("no such layer") == []
    assert store.get("a-2") == records[1]
    assert isinstance(store.records()[1].kind, Kind)


def test_add_makes_an_id_and_never_reuses_one(store):
    first = store.add(drawn(), analyst="A")
    assert first.id.startswith("ann-") and len(first.id) == 16
    second = store.add(drawn(), analyst="A")
    assert second.id != first.id
    with pytest.raises(StoreError, match="already exists"):
        store.add(drawn(first.id), analyst="A")
    store.delete(first.id, analyst="A")
    with pytest.raises(StoreError, match="deleted record had it"):
        store.add(drawn(first.id), analyst="A")
    assert [r.id for r in store.records()] == [second.id]


def test_edit_changes_only_the_given_fields_and_keeps_before_and_after(store):
    original = store.add(drawn("r1"), analyst="A")
    edited = store.edit(
        "r1", analyst="  B  ", name="Burnt area (revised)", date=None, kind="feature"
    )
    assert edited == replace(original, name="Burnt area (revised)", date=None, kind="feature")
    assert store.records() == [edited]
    entry = store.history()[-1]
    assert (entry.action, entry.record_id, entry.analyst) == (Action.EDIT, "r1", "B")
    assert entry.change == {
        "changes": {
            "name": {"before": original.name, "after": "Burnt area (revised)"},
            "date": {"before": "2015-01", "after": None},
            "kind": {"before": "area", "after": "feature"},
        }
    }
    # The same values again: nothing changes, nothing is logged.
    assert store.edit("r1", analyst="B", name="Burnt area (revised)") == edited
    assert len(store.history()) == 2
    with pytest.raises(DataError, match="nothing to change"):
        store.edit("r1", analyst="B")
    with pytest.raises(StoreError, match="no record with id 'nope'"):
        store.edit("nope", analyst="B", name="x")


@pytest.mark.parametrize(
    ("newest", "skip", "records"),
    [
        (None, 0, ["a", "b", "c", "d", "e"]),  # all of it
        (2, 0, ["d", "e"]),  # the latest two, oldest first
        (2, 2, ["b", "c"]),  # the page before
        (2, 4, ["a"]),  # the last page is short
        (2, 5, []),  # past the start
        (10, 0, ["a", "b", "c", "d", "e"]),
        (0, 0, []),
    ],
)
def test_history_a_page_at_a_time(store, newest, skip, records):
    for name in "abcde":
        store.add(drawn(name), analyst="A")
    page = store.history(newest=newest, skip=skip)
    assert [entry.record_id for entry in page] == records
    everything = store.history()
    assert page == [entry for entry in everything if entry.record_id in records]


def test_delete_hides_the_record_but_the_history_keeps_it(store):
    kept = store.add(drawn("keep"), analyst="A")
    gone = store.add(drawn("gone", name="Mistaken marker"), analyst="A")
    store.delete("gone", analyst="B")
    assert store.records() == [kept]
    assert [layer.count for layer in store.layers()] == [1]
    history = store.history()
    assert [(e.action, e.record_id) for e in history] == [
        (Action.CREATE, "keep"),
        (Action.CREATE, "gone"),
        (Action.DELETE, "gone"),
    ]
    assert history[2].change["record"] == history[1].change["record"]  # as it was when deleted
    assert history[2].change["record"]["name"] == gone.name
    with pytest.raises(StoreError, match="'gone' was deleted at"):
        store.delete("gone", analyst="B")
    with pytest.raises(StoreError, match="'gone' was deleted at"):
        store.edit("gone", analyst="B", name="back")
    with pytest.raises(StoreError, match="no record with id 'never'"):
        store.delete("never", analyst="B")
    assert store.verify() == []


def test_the_revision_changes_with_every_write_and_only_then(store):
    seen = [store.revision()]
    store.add(drawn("r1"), analyst="A")
    seen.append(store.revision())
    store.edit("r1", analyst="A", name="same name twice")
    seen.append(store.revision())
    store.edit("r1", analyst="A", name="same name twice")  # no change, no new revision
    with pytest.raises(StoreError):
        store.delete("unknown", analyst="A")
    assert store.revision() == seen[-1]
    store.import_layer("L", imported(1), analyst="A", file_name="f", file_bytes=b"f")
    seen.append(store.revision())
    store.delete("r1", analyst="A")
    seen.append(store.revision())
    assert len(set(seen)) == 5 and seen[0] == "0"


# --- imports -----------------------------------------------------------------------------


def test_import_keeps_the_file_as_received(store):
    store.add(drawn("a1"), analyst="A")
    receipt = store.import_layer(
        "Prison placemarks", imported(3), analyst="B", file_name="places.kml", file_bytes=FILE_BYTES
    )
    sha256 = hashlib.sha256(FILE_BYTES).hexdigest()
    assert (receipt.layer, receipt.count, receipt.sha256, receipt.size, receipt.file_name) == (
        "Prison placemarks",
        3,
        sha256,
        len(FILE_BYTES),
        "places.kml",
    )
    assert receipt.received_at.endswith("Z")
    assert store.file_path(sha256).read_bytes() == FILE_BYTES
    assert not [p for p in store.files_dir.iterdir() if p.name != sha256]  # no temp files left
    got = store.records("Prison placemarks")
    assert got == [replace(r, layer="Prison placemarks") for r in imported(3)]
    layers = store.layers()
    assert [(info.name, info.count, info.file_sha256, info.file_name) for info in layers] == [
        (ANNOTATIONS_LAYER, 1, None, None),
        ("Prison placemarks", 3, sha256, "places.kml"),
    ]
    [info] = store.files()
    assert (info.sha256, info.size, info.file_name, info.layer, info.analyst) == (
        sha256,
        len(FILE_BYTES),
        "places.kml",
        "Prison placemarks",
        "B",
    )
    entry = store.history()[-1]
    assert (entry.action, entry.layer, entry.record_id, entry.change["count"]) == (
        Action.IMPORT,
        "Prison placemarks",
        None,
        3,
    )
    assert entry.change["file"]["sha256"] == sha256
    # Imported records can be edited and deleted like drawn ones; the file stays as received.
    store.edit("pm1", analyst="A", name="Renamed")
    store.delete("pm2", analyst="A")
    assert [r.id for r in store.records("Prison placemarks")] == ["pm0", "pm1"]
    assert store.verify() == []


@pytest.mark.parametrize(
    "name",
    [
        "case",
        "Case",
        " case ",
        "Annotations",
        "ANNOTATIONS",
        "annotations\u200b",  # an invisible character after it
        "\uff43\uff41\uff53\uff45",  # full-width letters
        "Anno\u00adtations",  # a soft hyphen
    ],
)
def test_the_cases_own_layer_names_are_reserved(store, name):
    from geo.records import ANNOTATIONS_LAYER, CASE_LAYER, RESERVED_LAYER_NAMES

    assert {CASE_LAYER, ANNOTATIONS_LAYER.casefold()} == RESERVED_LAYER_NAMES
    before = store.revision()
    with pytest.raises(DataError) as caught:
        store.import_layer(name, imported(1), analyst="A", file_name="f", file_bytes=b"f")
    assert caught.value.problems[0].field == "layer"
    assert "reserved" in caught.value.problems[0].message
    assert store.revision() == before and store.records() == []


@pytest.mark.parametrize("name", ["case", " CASE "])
def test_a_drawing_cannot_take_the_cases_layer(store, name):
    record = replace(imported(1)[0], id="", layer=name)
    with pytest.raises(DataError) as caught:
        store.add(record, analyst="A")
    assert caught.value.problems[0].field == "layer"
    assert store.records() == []


def test_importing_the_same_bytes_again_shares_the_kept_copy(store):
    first = store.import_layer("One", imported(2, "a"), analyst="A", file_name="x", file_bytes=b"")
    second = store.import_layer("Two", imported(0), analyst="A", file_name="y", file_bytes=b"")
    assert first.sha256 == second.sha256 == hashlib.sha256(b"").hexdigest()
    assert len(store.files()) == 2 and len(list(store.files_dir.iterdir())) == 1
    assert store.verify() == []


def test_a_taken_layer_name_is_refused_and_nothing_changes(store):
    store.add(drawn("a1"), analyst="A")
    store.import_layer("Placemarks", imported(2), analyst="A", file_name="a", file_bytes=b"a")
    before = snapshot(store)
    for name in ("Placemarks", "PLACEMARKS"):
        with pytest.raises(StoreError, match="already exists"):
            store.import_layer(
                name, imported(2, "new"), analyst="A", file_name="b", file_bytes=b"other bytes"
            )
    with pytest.raises(DataError, match="reserved"):  # the drawing layer, existing or not
        store.import_layer(
            ANNOTATIONS_LAYER, imported(2, "new"), analyst="A", file_name="b", file_bytes=b"x"
        )
    assert snapshot(store) == before  # not even the new file is kept


def test_a_bad_import_reports_every_problem_and_imports_nothing(store):
    store.add(drawn("taken"), analyst="A")
    before = snapshot(store)
    records = imported(4)
    records[1] = replace(records[1], properties={"area": math.nan})
    records[2] = replace(records[2], date="15/05/2017")
    records[3] = replace(records[3], id="pm0")
    with pytest.raises(DataError) as caught:
        store.import_layer("L", records, analyst="A", file_name="f.csv", file_bytes=b"x")
    assert [(p.file, p.record, p.field) for p in caught.value.problems] == [
        ("f.csv", "pm1", "properties"),
        ("f.csv", "pm2", "date"),
        ("f.csv", "pm0", "id"),
    ]
    assert snapshot(store) == before
    with pytest.raises(DataError, match="already in the store") as caught:
        store.import_layer(
            "L", [drawn("taken"), drawn("free")], analyst="A", file_name="f", file_bytes=b"y"
        )
    assert [p.record for p in caught.value.problems] == ["taken"]
    assert store.records() == before[0] and store.history() == before[1]
    assert store.verify() == []


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize("analyst", ["", "   ", None, 5, "x" * 201, "a\nb"])
def test_a_bad_analyst_is_refused(store, analyst):
    store.add(drawn("r1"), analyst="A")
    before = snapshot(store)
    with pytest.raises(DataError, match="analyst"):
        store.add(drawn(), analyst=analyst)
    with pytest.raises(DataError, match="analyst"):
        store.edit("r1", analyst=analyst, name="x")
    with pytest.raises(DataError, match="analyst"):
        store.delete("r1", analyst=analyst)
    with pytest.raises(DataError, match="analyst"):
        store.import_layer("L", [], analyst=analyst, file_name="f", file_bytes=b"")
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"properties": {"x": math.nan}}, "properties", "NaN"),
        ({"geometry": {"type": "Point", "coordinates": [math.inf, 0]}}, "geometry", "NaN"),
        ({"properties": {"when": object()}}, "properties", "not JSON serializable"),
        ({"properties": {"tags": {"a", "b"}}}, "properties", "not JSON serializable"),
        ({"properties": {1: "numeric key"}}, "properties", "would not read back"),
        ({"geometry": {"type": "Point", "coordinates": (36.3, 33.6)}}, "geometry", "tuple"),
        ({"geometry": "POINT (36.3 33.6)"}, "geometry", "must be a JSON object"),
        ({"properties": {"bad": "\ud800"}}, "properties", "Unicode"),
        ({"kind": "crematorium"}, "kind", "must be one of"),
        ({"date": "15/05/2017"}, "date", "YYYY"),
        ({"date": " 2015"}, "date", "spaces"),
        ({"id": "  "}, "id", "empty"),
        ({"id": "x" * 201}, "id", "at most 200"),
        ({"layer": ""}, "layer", "empty"),
        ({"name": None}, "name", "must be text"),
    ],
)
def test_values_that_would_not_read_back_are_refused(store, changes, field, words):
    with pytest.raises(DataError, match=words) as caught:
        store.add(drawn("r1", **changes), analyst="A")
    assert [p.field for p in caught.value.problems] == [field]
    assert store.records() == [] and store.history() == []
    if field not in ("id", "layer"):
        store.add(drawn("r1"), analyst="A")
        with pytest.raises(DataError, match=words):
            store.edit("r1", analyst="A", **changes)
        assert store.records() == [drawn("r1")] and len(store.history()) == 1


# --- nothing half saved --------------------------------------------------------------------


class FailingStore(Store):
    """Fails inside the transaction, after every statement has run, just before COMMIT."""

    def _before_commit(self) -> None:
        raise RuntimeError("power cut")


def test_a_failure_inside_an_operation_leaves_the_store_as_before(store):
    store.add(drawn("r1"), analyst="A")
    before = snapshot(store)
    failing = FailingStore(store.data_dir, database_url=store.database_url)
    operations = [
        lambda: failing.add(drawn("r2"), analyst="A"),
        lambda: failing.add(drawn("r3", layer="A new layer"), analyst="A"),
        lambda: failing.edit("r1", analyst="A", name="changed"),
        lambda: failing.delete("r1", analyst="A"),
    ]
    for operation in operations:
        with pytest.raises(RuntimeError, match="power cut"):
            operation()
        assert snapshot(store) == before
    with pytest.raises(RuntimeError, match="power cut"):
        failing.import_layer("L", imported(50), analyst="A", file_name="f", file_bytes=b"f")
    records, history, layers, files, _ = snapshot(store)
    assert (records, history, layers, files) == before[:4]
    assert store.verify() == []  # the kept copy without a row is not a problem
    receipt = store.import_layer("L", imported(50), analyst="A", file_name="f", file_bytes=b"f")
    assert receipt.count == 50 and store.verify() == []


def test_operations_on_a_missing_store_fail_instead_of_starting_an_empty_one(tmp_path):
    store = Store.open(tmp_path / "data")
    moved = Store(tmp_path / "elsewhere")
    with pytest.raises(StoreError, match="cannot open the store"):
        moved.records()
    assert not (tmp_path / "elsewhere").exists()
    assert isinstance(StoreError("x"), GeoError) and store.records() == []


def test_a_newer_schema_is_refused(sqlite_store):
    store = sqlite_store
    with raw(store) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer version"):
        Store.open(store.data_dir)


# --- the history chain and tampering ------------------------------------------------------


def busy_store(store: Store) -> Store:
    """A store with every kind of history entry: 3 creates, an import, an edit, a delete."""
    for i in range(3):
        store.add(drawn(f"r{i}"), analyst="A")
    store.import_layer("Imported", imported(5), analyst="B", file_name="f.kml", file_bytes=b"kml")
    store.edit("r1", analyst="A", name="renamed", properties={"note": "revised"})
    store.delete("r2", analyst="A")
    return store


def test_the_history_chain_can_be_recomputed_by_anyone(store):
    busy_store(store)
    history = store.history()
    assert [e.seq for e in history] == [1, 2, 3, 4, 5, 6]
    previous = GENESIS_HASH
    for entry in history:
        content = {
            "seq": entry.seq,
            "time": entry.time,
            "analyst": entry.analyst,
            "action": entry.action.value,
            "record_id": entry.record_id,
            "layer": entry.layer,
            "change": entry.change,
        }
        assert entry.prev_hash == previous
        assert entry.hash == entry_hash(previous, content)
        text = previous + json.dumps(
            content, ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
        )
        assert entry.hash == hashlib.sha256(text.encode()).hexdigest()
        previous = entry.hash
    assert store.verify() == []


def test_the_history_refuses_updates_and_deletes(store):
    busy_store(store)
    for statement in ("UPDATE history SET analyst = 'X'", "DELETE FROM history"):
        with raw(store) as conn, pytest.raises(Exception, match="append-only") as caught:
            conn.execute(statement)
        assert isinstance(caught.value, sqlite3.IntegrityError | psycopg.errors.RaiseException)
    assert store.verify() == []


def tamper(store: Store, *statements: str) -> None:
    on = " ON history" if store.database_url else ""
    with raw(store) as conn:
        conn.execute(f"DROP TRIGGER history_no_update{on}")
        conn.execute(f"DROP TRIGGER history_no_delete{on}")
        for statement in statements:
            conn.execute(statement)


def set_highest_written(store: Store, seq: int) -> str:
    """The statement that sets the highest history entry the database says was written."""
    if store.database_url:
        return f"UPDATE history_written SET seq = {seq}"
    return f"UPDATE sqlite_sequence SET seq = {seq} WHERE name = 'history'"


def restore_guards(store: Store) -> tuple[str, ...]:
    """The statements that put the history's guards back, as a careful tamperer would."""
    if store.database_url:
        return tuple(
            f"CREATE TRIGGER {guard} BEFORE {event} ON history"
            " FOR EACH ROW EXECUTE FUNCTION history_append_only()"
            for guard, event in (("history_no_update", "UPDATE"), ("history_no_delete", "DELETE"))
        )
    return (
        "CREATE TRIGGER history_no_update BEFORE UPDATE ON history"
        " BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END",
        "CREATE TRIGGER history_no_delete BEFORE DELETE ON history"
        " BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END",
    )


GUARDS_GONE = [
    "history: the guard history_no_update was removed, so the log is no longer append-only",
    "history: the guard history_no_delete was removed, so the log is no longer append-only",
]


def test_an_edited_history_entry_is_detected(store):
    busy_store(store)
    tamper(
        store,
        "UPDATE history SET change = replace(change, '\"renamed\"', '\"innocent\"') WHERE seq = 5",
    )
    problems = store.verify()
    assert problems[:2] == GUARDS_GONE
    assert "history entry 5: hash does not match its content (edited after the fact?)" in problems
    # The record no longer fits the edited log either.
    assert any(p.startswith("record r1: name is not what history entry 5 set") for p in problems)


def test_a_rehashed_history_entry_breaks_the_link_to_the_next(store):
    busy_store(store)
    entry = store.history()[2]
    content = {
        "seq": 3,
        "time": entry.time,
        "analyst": "Someone else",
        "action": "create",
        "record_id": entry.record_id,
        "layer": entry.layer,
        "change": entry.change,
    }
    forged = entry_hash(entry.prev_hash, content)
    tamper(store, f"UPDATE history SET analyst = 'Someone else', hash = '{forged}' WHERE seq = 3")
    problems = store.verify()
    assert problems[2:] == ["history entry 4: prev_hash does not match entry 3"]


def test_a_deleted_history_entry_is_detected(store):
    busy_store(store)
    tamper(store, "DELETE FROM history WHERE seq = 3")
    problems = store.verify()
    assert "history: entry 3 missing (deleted?)" in problems
    assert "history entry 4: prev_hash does not match entry 2" in problems
    assert "record r2: no history entry created it" in problems


def test_removing_the_last_history_entries_is_detected(store):
    busy_store(store)
    tamper(store, "DELETE FROM history WHERE seq >= 5")
    problems = store.verify()
    assert (
        "history: ends at entry 4, but entries up to 6 were written (the last entries were "
        "removed?)" in problems
    )
    store.add(drawn("after"), analyst="A")  # the gap stays visible, and the chain goes on
    assert "history: entries 5 to 6 missing (deleted?)" in store.verify()


def test_records_changed_around_the_store_are_detected(store):
    busy_store(store)
    with raw(store) as conn:
        conn.execute("UPDATE records SET name = 'quietly changed' WHERE id = 'r0'")
        conn.execute("UPDATE records SET properties = '{\"row\":99}' WHERE id = 'pm3'")
        conn.execute("UPDATE records SET deleted_at = NULL WHERE id = 'r2'")
        conn.execute(
            "INSERT INTO records (id, layer, kind, name, geometry, properties)"
            " VALUES ('planted', 'Annotations', 'place', 'x', '{}', '{}')"
        )
    assert store.verify() == [
        # the planted row is also unreadable: '{}' is no geometry
        "record planted in layer 'Annotations' is damaged: the geometry is not valid GeoJSON: "
        "geometry type None is not one of Point, MultiPoint, LineString, MultiLineString, "
        "Polygon, MultiPolygon",
        "record r2: history entry 6 deleted it, but it is not deleted",
        "layer 'Imported': its records differ from what history entry 4 imported and later "
        "entries changed (changed outside the store?)",
        "record r0: differs from what history entry 1 created and later entries changed "
        "(changed outside the store?)",
        "record planted: no history entry created it",
    ]


def kept_file(store: Store) -> Path:
    [info] = store.files()
    path = store.file_path(info.sha256)
    path.chmod(0o644)  # kept copies are read-only; a tamperer changes that first
    return path


def test_a_changed_kept_file_is_detected(store):
    busy_store(store)
    path = kept_file(store)
    path.write_bytes(b"KML")
    [problem] = store.verify()
    assert problem.startswith(f"file {path.name[:12]}… (f.kml): content changed (SHA-256 is now")
    with pytest.raises(StoreError, match="no longer matches"):  # and it is never built upon
        store.import_layer("Again", [], analyst="A", file_name="f.kml", file_bytes=b"kml")


def test_a_removed_kept_file_is_detected(store):
    busy_store(store)
    path = kept_file(store)
    path.unlink()
    assert store.verify() == [f"file {path.name[:12]}… (f.kml): missing"]


def test_a_changed_files_row_is_detected(store):
    busy_store(store)
    with raw(store) as conn:
        conn.execute("UPDATE files SET file_name = 'other.kml'")
    assert store.verify() == [
        f"file {store.files()[0].sha256[:12]}… (other.kml): its row differs from history entry 4"
    ]


# --- concurrency -------------------------------------------------------------------------


def test_eight_threads_adding_at_once(store):
    per_thread, threads = 100, 8
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(analyst: str) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                store.add(annotation(i, analyst), analyst=analyst)
        except BaseException as exc:  # collected: an exception in a thread is otherwise lost
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(store.records()) == per_thread * threads
    history = store.history()
    assert [e.seq for e in history] == list(range(1, per_thread * threads + 1))
    assert [e.time for e in history] == sorted(e.time for e in history)
    assert store.verify() == []


def worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store_worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def adding_at_once(data_dir: Path, tmp_path: Path, processes: int, each: int) -> list[str]:
    """`processes` workers each adding `each` records to the store in `data_dir`, let go
    together once all are ready; each one's standard error, once all succeeded."""
    go = tmp_path / "go"
    started = []
    for n in range(processes):
        ready = tmp_path / f"ready-{n}"
        process = worker("add", str(data_dir), f"p{n}", str(each), str(ready), str(go))
        started.append((process, ready))
    for process, ready in started:
        wait_for(ready, process)
    go.touch()
    errors = []
    for process, _ in started:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        errors.append(err)
    return errors


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"the worker ended early: {process.communicate()[1]}")
        assert time.monotonic() < deadline, f"timed out waiting for {path}"
        time.sleep(0.01)


def test_processes_adding_at_once(store, tmp_path):
    # SQLite: 4 processes on 2 cores; PostgreSQL, a team's server: 8 sessions x 200.
    per_process, processes = (200, 8) if store.database_url else (100, 4)
    for err in adding_at_once(store.data_dir, tmp_path, processes, per_process):
        assert "locked" not in err
    assert len(store.records()) == per_process * processes
    history = store.history()
    assert [e.seq for e in history] == list(range(1, per_process * processes + 1))
    assert [e.time for e in history] == sorted(e.time for e in history)
    assert {r.id for r in store.records()} == {
        f"p{n}-{i}" for n in range(processes) for i in range(per_process)
    }
    assert store.verify() == []


# --- a crash inside an import ------------------------------------------------------------


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_process_killed_inside_an_import_leaves_the_store_as_before(store, tmp_path):
    busy_store(store)
    before = snapshot(store)[:4]
    ready = tmp_path / "inside-the-transaction"
    process = worker("import-and-hang", str(store.data_dir), "20000", str(ready))
    try:
        wait_for(ready, process)
        # The worker is now between its last INSERT and COMMIT, holding the write lock,
        # (SQLite: with uncommitted pages spilled to the WAL); readers still see the
        # store as before.
        if not store.database_url:
            assert (store.data_dir / "store.sqlite3-wal").stat().st_size > 100_000
        assert store.records("Crashed import") == [] and store.history() == before[1]
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    reopened = Store.open(store.data_dir)
    assert reopened.records("Crashed import") == []
    assert "Crashed import" not in {info.name for info in reopened.layers()}
    assert snapshot(reopened)[:4] == before
    assert reopened.verify() == []
    # The lock died with the process: the store takes writes at once.
    reopened.add(drawn("after the crash"), analyst="A")
    assert reopened.verify() == []


# --- backup and configuration ------------------------------------------------------------


def test_backup_is_a_complete_store(sqlite_store, tmp_path):
    store = sqlite_store
    busy_store(store)
    copy_dir = tmp_path / "restored"
    copy_dir.mkdir()
    store.backup(copy_dir / "store.sqlite3")
    (copy_dir / "files").mkdir()
    for info in store.files():
        (copy_dir / "files" / info.sha256).write_bytes(store.file_path(info.sha256).read_bytes())
    restored = Store.open(copy_dir)
    assert snapshot(restored)[:4] == snapshot(store)[:4]
    assert restored.verify() == []
    assert [p.name for p in copy_dir.iterdir() if p.name.endswith(".partial")] == []


def test_default_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("GEO_DATA_DIR", raising=False)
    assert default_data_dir() == ROOT / "geo-data"
    monkeypatch.setenv("GEO_DATA_DIR", str(tmp_path / "mine"))
    assert default_data_dir() == tmp_path / "mine"


# --- damaged rows: hostile data stays data -------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("geometry", "'{not json'", "geometry is not readable JSON (Expecting property name"),
        ("geometry", f'\'{{"type": "Point", "coordinates": {DEEP}}}\'', "nested too deeply"),
        ("geometry", '\'{"type": "Point", "coordinates": [NaN, 0]}\'', "NaN is not JSON"),
        ("geometry", '\'{"type": "Point", "coordinates": "x"}\'', "not valid GeoJSON"),
        ("geometry", '\'{"type": "MultiPoint", "coordinates": []}\'', "no coordinates"),
        ("properties", "'[1, 2]'", "properties must be a JSON object (dict), not list"),
        ("kind", "'spaceship'", "kind must be one of place, imagery, feature, event, area"),
        ("date", "'yesterday'", "'yesterday'"),
        ("name", "CAST('x' AS BLOB)", "name is stored as bytes, not as text"),
        ("layer", "'ghost'", "its layer has no row in the layers table"),
    ],
)
def test_a_damaged_row_is_left_out_and_named(store, column, value, words):
    busy_store(store)
    intact = [r for r in store.records() if r.id != "r0"]
    if store.database_url and "BLOB" in value:
        pytest.skip("a PostgreSQL text column holds only text")
    with raw(store, constraints=False) as conn:  # no foreign keys: the layer may be a ghost
        conn.execute(f"UPDATE records SET {column} = {value} WHERE id = 'r0'")
    assert store.records() == intact  # never raises; the others are all there
    assert store.records(ANNOTATIONS_LAYER) == [r for r in intact if r.layer == ANNOTATIONS_LAYER]
    [damaged] = store.damaged()
    layer = "ghost" if column == "layer" else ANNOTATIONS_LAYER
    assert (damaged.record_id, damaged.layer) == ("r0", layer)
    assert words in damaged.reason
    assert store.damaged("Imported") == []
    assert str(damaged).startswith(f"record r0 in layer '{layer}' is damaged: ")
    for operation in (
        lambda: store.get("r0"),
        lambda: store.edit("r0", analyst="A", name="mended"),
        lambda: store.delete("r0", analyst="A"),
    ):
        with pytest.raises(
            StoreError, match=f"record r0 in layer '{layer}' is damaged: .*run verify"
        ):
            operation()
    problems = store.verify()
    assert str(damaged) in problems
    assert any("r0" in p and "history entry 1" in p for p in problems)  # and it differs


def test_a_damaged_deleted_row_is_reported_by_verify_only(store):
    busy_store(store)
    with raw(store) as conn:
        conn.execute("UPDATE records SET geometry = '{not json' WHERE id = 'r2'")  # deleted
    assert store.damaged() == [] and len(store.records()) == 7
    assert any(
        p.startswith("record r2 in layer 'Annotations' is damaged: ") for p in store.verify()
    )


def test_a_damaged_id_is_shown_escaped(store):
    store.add(drawn("r0"), analyst="A")
    with raw(store) as conn:
        conn.execute("UPDATE records SET id = 'r0\x1b[2J', kind = 'x' WHERE id = 'r0'")
    [damaged] = store.damaged()
    assert damaged.record_id == "r0\x1b[2J"  # the value as stored, for the app to escape
    assert "\x1b" not in str(damaged) and "'r0\\x1b[2J'" in str(damaged)


def test_a_geometry_the_map_cannot_draw_is_refused(store):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(DataError, match="not valid GeoJSON: invalid Polygon"):
        store.add(drawn("r1", geometry=bowtie), analyst="A")
    store.add(drawn("r1"), analyst="A")
    with pytest.raises(DataError, match="no coordinates"):
        store.edit("r1", analyst="A", geometry={"type": "MultiPolygon", "coordinates": []})
    assert store.records() == [drawn("r1")] and len(store.history()) == 1


# --- reading never creates, and never writes -------------------------------------------------


def test_reading_never_creates_a_store(tmp_path):
    missing = tmp_path / "mistyped"
    with pytest.raises(StoreNotFound, match="nothing has been imported there, or GEO_DATA_DIR"):
        Store.open_existing(missing)
    assert not missing.exists()
    assert issubclass(StoreNotFound, StoreError) and issubclass(StoreNotFound, FileNotFoundError)

    store = busy_store(Store.open(tmp_path / "data"))
    store.db_path.unlink()
    with pytest.raises(
        StoreNotFound, match=r"database store.sqlite3 is missing, but .* holds 1 kept"
    ):
        Store.open_existing(store.data_dir)
    assert not store.db_path.exists()

    store.db_path.touch()  # an empty file is an empty SQLite database, not a store
    with pytest.raises(StoreError, match="is not an evidence store"):
        Store.open_existing(store.data_dir)
    assert store.db_path.stat().st_size == 0

    other = Store.open(tmp_path / "other")
    with raw(other) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer version"):
        Store.open_existing(other.data_dir)


def file_states(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }


def test_a_store_opened_read_only_writes_nothing(sqlite_store):
    store = sqlite_store
    # Meaningful as root too, where chmod stops nothing: the read-only store must not
    # write a byte, not even SQLite's -wal and -shm files.
    busy_store(store)
    writable = Store.open_existing(store.data_dir)
    assert not writable.read_only
    expected = snapshot(store)
    verdict = store.verify()
    head = store.latest()
    before = file_states(store.data_dir)
    assert not [name for name in before if name.endswith(("-wal", "-shm"))]

    read_only = Store.open_existing(store.data_dir, read_only=True)
    assert read_only.read_only
    assert snapshot(read_only) == expected
    assert read_only.damaged() == [] and read_only.get("r0") == store.get("r0")
    assert read_only.verify() == verdict == []
    assert read_only.latest() == head and read_only.revision() == store.revision()
    assert read_only.find_entry(head.hash) is not None
    assert read_only.file_path(read_only.files()[0].sha256).is_file()
    for write in (
        lambda: read_only.add(drawn("new"), analyst="A"),
        lambda: read_only.edit("r0", analyst="A", name="x"),
        lambda: read_only.delete("r0", analyst="A"),
        lambda: read_only.import_layer("L", [], analyst="A", file_name="n", file_bytes=b"new"),
    ):
        with pytest.raises(StoreError, match="is read-only here"):
            write()
    assert file_states(store.data_dir) == before


def test_a_store_opened_read_only_reads_what_a_crashed_writer_left_in_the_wal(sqlite_store):
    store = sqlite_store
    busy_store(store)
    process = worker("add-and-die", str(store.data_dir), "crashed")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    wal = store.db_path.with_name("store.sqlite3-wal")
    assert wal.stat().st_size > 0  # the last entry is in the WAL only
    read_only = Store.open_existing(store.data_dir, read_only=True)
    assert "crashed-0" in {r.id for r in read_only.records()}  # immutable=1 would miss it
    assert read_only.verify() == [] and read_only.latest().seq == 7


# --- every table the app reads is checked against the history ------------------------------


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "UPDATE layers SET created_at = '2001-01-01T00:00:00.000000Z' WHERE name = 'Imported'",
            "layer 'Imported': made at 2001-01-01T00:00:00.000000Z, but history entry 4 made "
            "it at ",
        ),
        (
            "UPDATE layers SET name_key = 'something else' WHERE name = 'Annotations'",
            "layer 'Annotations': its case-blind key is 'something else' (changed outside",
        ),
        (
            "UPDATE layers SET name = 'Renamed' WHERE name = 'Imported'",
            "layer 'Renamed': no history entry created it (added or renamed outside the store?)",
        ),
        (
            "UPDATE layers SET name = 'Renamed' WHERE name = 'Imported'",
            "layer 'Imported': history entry 4 made it, but it has no row in the layers table",
        ),
        (
            "INSERT INTO layers (name, name_key, created_at) VALUES ('Planted', 'planted', 'x')",
            "layer 'Planted': no history entry created it",
        ),
        (
            "UPDATE layers SET file_id = NULL WHERE name = 'Imported'",
            "layer 'Imported': not linked to the file history entry 4 imported for it",
        ),
        (
            "UPDATE layers SET file_id = (SELECT id FROM files) WHERE name = 'Annotations'",
            "layer 'Annotations': linked to an imported file, but history entry 1 made it for "
            "a drawn record",
        ),
        (
            "UPDATE files SET analyst = 'Someone else'",
            "(f.kml): its row differs from history entry 4",
        ),
        (
            "UPDATE records SET deleted_at = '2001-01-01T00:00:00.000000Z' WHERE id = 'r2'",
            "record r2: marked deleted at 2001-01-01T00:00:00.000000Z, but history entry 6 "
            "deleted it at ",
        ),
    ],
)
def test_tables_changed_around_the_store_are_detected(store, statement, expected):
    busy_store(store)
    with raw(store, constraints=False) as conn:  # renaming a layer breaks a foreign key
        conn.execute(statement)
    problems = store.verify()
    assert any(expected in problem for problem in problems), problems


def test_an_existing_store_opened_by_earlier_code_still_verifies(store):
    # The checks of the layers and files rows need nothing new in the history:
    # a store written before them verifies intact.
    busy_store(store)
    store.add(drawn("r9", layer="A drawn layer"), analyst="C")
    assert Store.open(store.data_dir).verify() == []


# --- the latest hash anchors the store ----------------------------------------------------


def test_the_latest_hash_and_finding_an_entry_by_its_hash(store):
    assert store.latest() is None
    busy_store(store)
    history = store.history()
    assert store.latest() == (6, history[-1].hash, 6)
    found = store.find_entry(history[3].hash)
    assert found is not None and found.entry == history[3] and found.later == 2
    assert store.find_entry(" " + history[5].hash[:12].upper() + "\n") == (history[5], 0)
    assert store.find_entry(hashlib.sha256(b"another store").hexdigest()) is None
    for bad in ("", history[3].hash[:11], "x" * 64, history[3].hash + "0", 5):
        with pytest.raises(DataError, match="is not a history hash"):
            store.find_entry(bad)  # type: ignore[arg-type]


def test_a_careful_truncation_passes_verify_but_not_the_noted_hash(store):
    busy_store(store)
    kept = store.latest()
    store.add(drawn("late-1"), analyst="A")
    store.add(drawn("late-2"), analyst="A")
    noted = store.latest()
    assert noted is not None and noted.seq == 8
    tamper(
        store,
        "DELETE FROM history WHERE seq > 6",
        "DELETE FROM records WHERE id LIKE 'late-%'",
        set_highest_written(store, 6),
        *restore_guards(store),
    )
    assert store.verify() == []  # what the chain alone cannot see
    assert store.latest() == kept
    assert store.find_entry(noted.hash) is None  # the hash kept outside can


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        ([], "Places in a.txt"),
        (["Places in a.txt"], "Places in a.txt (2)"),
        (["PLACES IN A.TXT", "places in a.txt (2)"], "Places in a.txt (3)"),
        (["Places in b.txt"], "Places in a.txt"),
    ],
)
def test_a_free_layer_name_is_one_the_store_takes(store, taken, expected):
    from geo.records import free_layer_name

    for name in taken:
        store.import_layer(name, imported(1, name), analyst="A", file_name="f", file_bytes=b"f")
    name = free_layer_name("Places in a.txt", (info.name for info in store.layers()))
    assert name == expected
    store.import_layer(name, imported(1, "new"), analyst="A", file_name="f", file_bytes=b"f")


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE history SET change = x'ff00' WHERE seq = 2",
        "UPDATE history SET change = 5 WHERE seq = 2",
        "UPDATE history SET change = '[1, 2]' WHERE seq = 2",
        "UPDATE history SET hash = 7 WHERE seq = 2",
        "UPDATE history SET prev_hash = x'00' WHERE seq = 2",
        "UPDATE history SET analyst = x'ff' WHERE seq = 1",
        "UPDATE history SET record_id = 9 WHERE seq = 2",
        "UPDATE files SET sha256 = x'00'",
        "UPDATE files SET size = 'big'",
        "UPDATE layers SET created_at = x'00'",
        "UPDATE records SET properties = x'ff' WHERE layer = 'Annotations'",
        "UPDATE records SET deleted_at = 5",
        "UPDATE sqlite_sequence SET seq = 'x' WHERE name = 'history'",
    ],
)
def test_a_value_of_another_type_written_outside_the_store_is_reported_not_raised(
    sqlite_store, tamper
):
    store = sqlite_store
    store.import_layer("L", imported(1), analyst="A", file_name="f.geojson", file_bytes=b"{}")
    store.add(replace(imported(1, "ann")[0], id="", layer=ANNOTATIONS_LAYER), analyst="A")
    with sqlite3.connect(store.db_path) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DROP TRIGGER history_no_update")
        conn.execute(tamper)
    problems = store.verify()
    assert len(problems) >= 2  # the guard removed, and the value itself
    if "sqlite_sequence" in tamper:
        assert any("sqlite_sequence) is not a number" in problem for problem in problems)
    for entry in store.history():  # the log stays viewable, as text
        assert isinstance(entry.hash, str) and isinstance(entry.analyst, str)
    store.records(), store.damaged(), store.layers(), store.files(), store.latest()


def test_a_truncated_import_leaves_its_kept_file_and_verify_says_so(store):
    store.add(drawn("early"), analyst="A")
    store.import_layer("late", imported(1, "late"), analyst="A", file_name="f", file_bytes=b"f")
    sha256 = store.files()[0].sha256
    tamper(
        store,
        "DELETE FROM history WHERE seq > 1",
        "DELETE FROM records WHERE layer = 'late'",
        "DELETE FROM layers WHERE name = 'late'",
        "DELETE FROM files",
        set_highest_written(store, 1),
        *restore_guards(store),
    )
    assert store.verify() == []  # a failed import leaves its file too: not a fault alone
    assert store.unnamed_files() == [sha256]


# --- the layout's migrations ---------------------------------------------------------------


def old_store(folder: Path, docs: list[dict[str, Any]]) -> str:
    """A store as the explorer made it before the migrations (the old schema, kept in
    tests/data), holding `docs` drawn by hand; returns its latest hash."""
    from geo.store.chain import canonical_json, entry_content
    from geo.store.rows import to_row

    (folder / "files").mkdir(parents=True)
    previous = GENESIS_HASH
    with sqlite3.connect(folder / "store.sqlite3", isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript((ROOT / "tests" / "data" / "store-schema-1.sql").read_text())
        for seq, doc in enumerate(docs, start=1):
            time = f"2024-01-0{seq}T00:00:00.000000Z"
            if seq == 1:
                conn.execute(
                    "INSERT INTO layers (name, name_key, created_at) VALUES (?, ?, ?)",
                    (doc["layer"], doc["layer"].casefold(), time),
                )
            conn.execute(
                "INSERT INTO records (id, layer, kind, name, geometry, properties, date,"
                " date_as_stated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                to_row(doc),
            )
            change = {"record": doc}
            content = entry_content(seq, time, "Old", "create", doc["id"], doc["layer"], change)
            hash_ = entry_hash(previous, content)
            written = (canonical_json(change), previous, hash_)
            conn.execute(
                "INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, time, "Old", "create", doc["id"], doc["layer"], *written),
            )
            previous = hash_
    return previous


def test_a_store_made_before_the_migrations_opens_with_its_history_intact(tmp_path):
    from geo.store.migrate import head

    folder = tmp_path / "old"
    docs = [drawn(f"old-{i}").to_dict() for i in range(3)]
    latest = old_store(folder, docs)
    # Read without writing first: the old layout is read as it is.
    read_only = Store.open_existing(folder, read_only=True)
    assert read_only.verify() == [] and read_only.latest() == (3, latest, 3)

    store = Store.open(folder)
    assert [record.to_dict() for record in store.records()] == docs
    assert [entry.analyst for entry in store.history()] == ["Old"] * 3
    assert store.latest() == (3, latest, 3) and store.verify() == []
    with sqlite3.connect(store.db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head(),)]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1  # older explorers open it
    store.add(drawn("new"), analyst="New")
    assert store.history()[-1].prev_hash == latest and store.verify() == []
    assert Store.open(folder).latest() == store.latest()  # opening again changes nothing


def test_a_store_of_a_newer_revision_is_refused(store):
    with raw(store) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    for opening in (Store.open, Store.open_existing):
        with pytest.raises(StoreError, match=r"newer version of the explorer \(revision 9999"):
            opening(store.data_dir)


def test_two_processes_opening_a_new_store_at_once_make_it_once(database_url, tmp_path):
    adding_at_once(tmp_path / "data", tmp_path, 2, 1)
    store = Store.open(tmp_path / "data")
    assert {r.id for r in store.records()} == {"p0-0", "p1-0"} and store.verify() == []


# --- records in a view ------------------------------------------------------------------


def test_records_in_a_box(store):
    store.add(drawn("inside"), analyst="A")  # a polygon near 36.3, 33.6
    store.add(drawn("beside", geometry=point(36.0, 33.0)), analyst="A")
    store.add(drawn("edge", geometry=point(36.5, 33.6)), analyst="A")
    store.add(drawn("far", geometry=point(-70.0, 10.0)), analyst="A")
    store.add(
        drawn(
            "across",
            geometry={"type": "LineString", "coordinates": [[36.0, 33.6], [37.0, 33.65]]},
        ),
        analyst="A",
    )
    store.add(drawn("gone", geometry=point(36.35, 33.65)), analyst="A")
    store.delete("gone", analyst="A")
    store.edit("far", analyst="A", geometry=point(36.4, 33.61))  # moved into the box
    found = store.records_in(36.25, 33.55, 36.5, 33.7)
    assert [record.id for record in found] == ["inside", "edge", "far", "across"]
    assert store.records_in(0, 0, 1, 1) == []
    with pytest.raises(DataError, match="antimeridian"):
        store.records_in(170, 0, -170, 1)


def test_on_postgresql_positions_are_postgis_geometries_with_a_spatial_index(
    postgres_server, tmp_path
):
    if postgres_server is None:
        pytest.skip(
            "PostgreSQL with PostGIS is not installed (apt-get install postgresql-15-postgis-3)"
        )
    store = Store.open(tmp_path / "data", database_url=postgres_server.new_database())
    store.import_layer("Imported", imported(5), analyst="B", file_name="f", file_bytes=b"f")
    store.add(drawn("r1"), analyst="A")
    with raw(store) as conn:
        # As a team would ask it from QGIS or psql.
        found = conn.execute(
            "SELECT id, ST_SRID(position), GeometryType(position) FROM records"
            " WHERE ST_Intersects(position, ST_MakeEnvelope(36.0005, 33.4, 36.0025, 33.6, 4326))"
            " ORDER BY pk"
        ).fetchall()
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'records_by_position'"
        ).fetchone()
    assert found == [("pm1", 4326, "POINT"), ("pm2", 4326, "POINT")]
    assert 'USING gist ("position")' in index[0] or "USING gist (position)" in index[0]
