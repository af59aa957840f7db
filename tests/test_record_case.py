"""Each record belongs to the case it was made in (``records.case_id``, revision 0005):
a case's page, exports and imports see its own records and those made before cases
were recorded; a store made before upgrades with its records shown on every case;
a move of the store keeps each record's case; ``python -m geo import --case``."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text, update

from geo.access import AccessDenied, Actor, Identity, Role
from geo.cli import main
from geo.records import ANNOTATIONS_LAYER
from geo.store import Store
from geo.store import migrate as store_migrate
from geo.store.chain import GENESIS_HASH, canonical_json, entry_content, entry_hash
from geo.store.connection import session, write_transaction
from geo.store.relocate import move_store, open_target
from geo.store.rows import to_row
from geo.store.schema import history_written
from geo.synthetic import TINY_META, write_case
from tests.test_app import metrics, run_app
from tests.test_store import drawn

SITES = Path(__file__).parent / "data" / "imports" / "sites.geojson"
ISSUER = "http://127.0.0.1:9400"


def actor(name: str, case: str) -> Actor:
    return Actor(Identity(ISSUER, f"sub-{name}", f"{name}@example.org", name.title()), case)


def store_at_revision_0003(folder: Path, database_url: str, docs: list[dict]) -> str:
    """A store as revision 0003 left it (no record's case), holding `docs` drawn into
    their layer with a valid history chain; returns the latest hash."""
    (folder / "files").mkdir(parents=True)
    previous = GENESIS_HASH
    with (
        session(folder / "store.sqlite3", database_url, create=True) as conn,
        write_transaction(conn),
    ):
        command.upgrade(store_migrate._config(conn), "0003")
        for seq, doc in enumerate(docs, start=1):
            time = f"2024-01-0{seq}T00:00:00.000000Z"
            if seq == 1:
                conn.execute(
                    text("INSERT INTO layers (name, name_key, created_at) VALUES (:n, :k, :t)"),
                    {"n": doc["layer"], "k": doc["layer"].casefold(), "t": time},
                )
            values = dict(
                zip(
                    ("i", "l", "kind", "name", "g", "p", "d", "s"),
                    to_row(doc),
                    strict=True,
                )
            )
            conn.execute(
                text(
                    "INSERT INTO records (id, layer, kind, name, geometry, properties, date,"
                    " date_as_stated) VALUES (:i, :l, :kind, :name, :g, :p, :d, :s)"
                ),
                values,
            )
            change = {"record": doc}
            content = entry_content(seq, time, "Old", "create", doc["id"], doc["layer"], change)
            hash_ = entry_hash(previous, content)
            conn.execute(
                text(
                    "INSERT INTO history (seq, time, analyst, action, record_id, layer, change,"
                    " prev_hash, hash) VALUES (:q, :t, 'Old', 'create', :i, :l, :c, :p, :h)"
                ),
                {
                    "q": seq,
                    "t": time,
                    "i": doc["id"],
                    "l": doc["layer"],
                    "c": canonical_json(change),
                    "p": previous,
                    "h": hash_,
                },
            )
            previous = hash_
        if database_url:
            conn.execute(update(history_written).values(seq=len(docs)))
    return previous


def test_a_store_made_before_cases_were_recorded_shows_its_records_on_every_case(
    tmp_path, database_url
):
    folder = tmp_path / "old"
    docs = [drawn(f"old-{i}").to_dict() for i in range(2)]
    latest = store_at_revision_0003(folder, database_url, docs)
    store = Store.open(folder, team=True)
    with session(store.db_path, store.database_url) as conn:
        assert store_migrate.revision(conn, store.where) == store_migrate.head()
    assert store.latest() == (2, latest, 2) and store.verify() == []
    for case in ("a", "b"):
        assert [r.to_dict() for r in store.for_case(case).records()] == docs
        [layer] = store.for_case(case).layers(of_case=True)
        assert (layer.name, layer.count, layer.all_cases) == (ANNOTATIONS_LAYER, 2, True)
    assert store.made_in("old-0") == (None, None)
    # In a team's store such a record, on every case's page, is a lead's to change.
    store.set_member("a", "ann@example.org", Role.ANALYST, by=None)
    store.set_member("a", "lea@example.org", Role.LEAD, by=None)
    with pytest.raises(AccessDenied, match="only a lead"):
        store.for_case("a").edit("old-0", analyst=actor("ann", "a"), name="renamed")
    store.for_case("a").edit("old-0", analyst=actor("lea", "a"), name="renamed by the lead")
    # a record drawn now belongs to its case, beside the old ones
    store.for_case("a").add(drawn("new-a"), analyst=actor("ann", "a"))
    assert [r.id for r in store.for_case("b").records()] == ["old-0", "old-1"]
    assert [r.id for r in store.for_case("a").records()] == ["old-0", "old-1", "new-a"]
    assert store.verify() == []


def two_cases_store(folder: Path) -> Store:
    store = Store.open(folder)
    store.add(drawn("legacy"), analyst="Old")  # a store not opened for a case: no case
    store.for_case("a").add(drawn("in-a"), analyst="A")
    store.for_case("b").add(drawn("in-b"), analyst="B")
    store.for_case("b").import_layer(
        "B's sites", [drawn("b-site")], analyst="B", file_name="b.kml", file_bytes=b"b"
    )
    return store


def test_a_solo_store_keeps_each_case_apart(tmp_path):
    store = two_cases_store(tmp_path / "data")
    a, b = store.for_case("a"), store.for_case("b")
    assert [r.id for r in a.records()] == ["legacy", "in-a"]
    assert [r.id for r in b.records()] == ["legacy", "in-b", "b-site"]
    assert [i.name for i in a.layers(of_case=True)] == [ANNOTATIONS_LAYER]
    assert [i.name for i in b.layers(of_case=True)] == [ANNOTATIONS_LAYER, "B's sites"]
    with pytest.raises(AccessDenied, match="belongs to the case 'b'"):
        a.edit("in-b", analyst="A", name="renamed from a")
    with pytest.raises(AccessDenied, match="belongs to the case 'b'"):
        a.delete("b-site", analyst="A")
    with pytest.raises(Exception, match="imported in the case 'b'"):
        a.add(drawn("into-b", layer="B's sites"), analyst="A")
    a.edit("legacy", analyst="A", name="no roles in solo mode")
    assert store.verify() == []


def test_a_move_of_the_store_keeps_each_records_case(tmp_path):
    source = two_cases_store(tmp_path / "laptop")
    target = open_target(f"sqlite:///{tmp_path / 'copy'}")
    move_store(source, target)
    for case in ("a", "b"):
        assert target.for_case(case).records() == source.for_case(case).records()
        assert target.for_case(case).layers(of_case=True) == source.for_case(case).layers(
            of_case=True
        )
    assert target.made_in("b-site") == (None, "b")
    assert target.verify() == []


def cases(folder: Path, *ids: str) -> Path:
    for case_id in ids:
        meta = copy.deepcopy(TINY_META)
        meta["id"], meta["title"] = case_id, f"The case {case_id}"
        write_case(folder / f"folder-{case_id}", meta=meta)
    return folder


def test_import_belongs_to_the_case_given(tmp_path, private_store, monkeypatch, capsys):
    monkeypatch.setenv("GEO_CASES_DIR", str(cases(tmp_path / "cases", "a", "b")))
    assert main(["import", str(SITES), "--analyst", "A"]) == 1
    err = capsys.readouterr().err
    assert "say which case with --case ID (the cases there: a, b)" in err
    assert main(["import", str(SITES), "--analyst", "A", "--case", "c"]) == 1
    assert "no case in" in capsys.readouterr().err
    assert Store.open(private_store).records() == []  # nothing was imported
    assert main(["import", str(SITES), "--analyst", "A", "--case", "b"]) == 0
    store = Store.open(private_store)
    assert store.for_case("a").records() == []
    assert {store.made_in(r.id)[1] for r in store.for_case("b").records()} == {"b"}


def test_import_takes_the_only_case(tmp_path, private_store, monkeypatch):
    monkeypatch.setenv("GEO_CASES_DIR", str(cases(tmp_path / "cases", "only")))
    assert main(["import", str(SITES), "--analyst", "A"]) == 0
    store = Store.open(private_store)
    assert store.records() and store.for_case("other").records() == []


def test_a_cases_page_shows_its_own_layers_and_those_of_every_case(
    tmp_path, private_store, monkeypatch
):
    store = Store.open(private_store)
    store.add(drawn("legacy", name="Made before cases"), analyst="Old")
    store.for_case("b").import_layer(
        "B's sites", [drawn("b-site")], analyst="B", file_name="b.kml", file_bytes=b"b"
    )
    at = run_app(monkeypatch, cases(tmp_path / "cases", "a", "b"))
    assert not at.exception
    assert metrics(at)["Your records"] == "1 of 1"  # the old record only
    mine = {box.label: box.help for box in at.checkbox if box.key.startswith("mine_")}
    assert list(mine) == [f"{ANNOTATIONS_LAYER} · all cases"]
    assert "shown on every case" in mine[f"{ANNOTATIONS_LAYER} · all cases"]
    at.selectbox(key="case_name").set_value("folder-b").run()
    assert not at.exception
    assert metrics(at)["Your records"] == "2 of 2"
    labels = [box.label for box in at.checkbox if box.key.startswith("mine_")]
    assert labels == [f"{ANNOTATIONS_LAYER} · all cases", "B's sites"]


def test_alone_the_page_gives_a_layer_shown_on_all_cases_to_the_open_case(
    tmp_path, private_store, monkeypatch
):
    store = Store.open(private_store)
    store.add(drawn("legacy", name="Made before cases"), analyst="Old")
    at = run_app(monkeypatch, cases(tmp_path / "cases", "a", "b"))
    assert not at.exception
    next(c for c in at.sidebar.checkbox if c.label.startswith("Other cases")).check()
    next(b for b in at.sidebar.button if b.label == "Give to this case").click().run()
    assert any("Enter your name" in e.value for e in at.error)  # every change is signed
    assert store.made_in("legacy")[1] is None
    at.text_input(key="analyst").set_value("Ana").run()
    next(c for c in at.sidebar.checkbox if c.label.startswith("Other cases")).check()
    next(b for b in at.sidebar.button if b.label == "Give to this case").click().run()
    assert not at.exception
    assert store.made_in("legacy")[1] == "a"
    labels = [box.label for box in at.checkbox if box.key.startswith("mine_")]
    assert labels == [ANNOTATIONS_LAYER]
    at.selectbox(key="case_name").set_value("folder-b").run()
    assert metrics(at)["Your records"] == "0 of 0"  # case b no longer shows it
