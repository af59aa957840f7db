"""Moving a store (``python -m geo migrate``): a researcher's SQLite store to a
PostgreSQL server, to another folder, or its files to a bucket, with every row,
number, time and hash unchanged and `verify` passing on both sides."""

from __future__ import annotations

import pytest

from geo.cli import main
from geo.records import ANNOTATIONS_LAYER
from geo.store import Store, StoreError, StoreNotFound
from geo.store.relocate import move_store, open_source, open_target, store_location
from tests.test_store import busy_store, drawn, imported, raw, snapshot


def full_state(store: Store) -> tuple[object, ...]:
    """What a researcher sees of a store, its kept files' bytes included."""
    files = {info.sha256: store.read_file(info.sha256) for info in store.files()}
    return (store.records(), store.history(), store.layers(), store.files(), files)


def researchers_store(folder) -> Store:
    store = busy_store(Store.open(folder))
    store.import_layer(
        "Second", imported(30, "s"), analyst="C", file_name="s.csv", file_bytes=b"id,x\n1,2\n"
    )
    store.delete("s3", analyst="C")
    store.add(drawn("late", layer="Notes"), analyst="A")
    return store


@pytest.fixture
def server_url(postgres_server) -> str:
    if postgres_server is None:
        pytest.skip("PostgreSQL with PostGIS is not installed (postgresql-15-postgis-3)")
    url: str = postgres_server.new_database()
    return url


def test_a_sqlite_store_moves_to_another_folder_unchanged(tmp_path):
    source = researchers_store(tmp_path / "laptop")
    target = open_target(f"sqlite:///{tmp_path / 'copy'}")
    report = move_store(source, target)
    latest = source.latest()
    assert latest is not None and report.latest == latest == target.latest()
    # every table, members too (none in a solo store): a team store moves with its roles
    assert report.rows == {"files": 2, "layers": 4, "records": 39, "history": 9, "members": 0}
    assert report.files == 2
    assert full_state(target) == full_state(source)
    assert snapshot(target) == snapshot(source)  # the same files/ folder too
    assert source.verify() == [] and target.verify() == []
    # The copy goes on from where the source was: numbers, ids and the chain.
    target.add(drawn("after the move"), analyst="A")
    target.import_layer("Third", imported(2, "t"), analyst="A", file_name="t", file_bytes=b"t")
    assert target.history()[-2].seq == latest.seq + 1 and target.verify() == []


def test_a_sqlite_store_moves_to_the_team_server_with_the_same_latest_hash(
    tmp_path, server_url, bucket_url
):
    source = researchers_store(tmp_path / "laptop")
    target = open_target(server_url, files_url=bucket_url)
    report = move_store(source, target)
    head = target.latest()
    assert head is not None and head == source.latest() == report.latest
    assert full_state(target) == full_state(source)
    assert target.verify() == [] and source.verify() == []
    # PostGIS positions were made, and the ids go on after the copied ones.
    north_east = target.records_in(36.0, 33.4, 36.1, 33.6)
    assert {r.id for r in north_east} == {r.id for r in source.records_in(36.0, 33.4, 36.1, 33.6)}
    assert north_east
    target.import_layer("Third", imported(2, "t"), analyst="A", file_name="t", file_bytes=b"t")
    target.add(drawn("after the move", layer=ANNOTATIONS_LAYER), analyst="A")
    assert target.verify() == [] and len(target.history()) == head.entries + 2
    # ... and back to SQLite, into another folder: still the same chain.
    back = open_target(str(tmp_path / "back"))
    move_store(target, back)
    assert back.latest() == target.latest() and back.verify() == []
    assert full_state(back) == full_state(target)


def test_a_target_that_is_not_empty_is_refused(tmp_path):
    source = researchers_store(tmp_path / "laptop")
    target = Store.open(tmp_path / "team")
    target.add(drawn("already here"), analyst="B")
    before = full_state(target)
    with pytest.raises(StoreError, match=r"is not empty.*nothing was copied"):
        move_store(source, target)
    assert full_state(target) == before
    with pytest.raises(StoreError, match="both the source and the target"):
        move_store(source, source)


def test_a_store_that_fails_verify_is_not_moved(tmp_path):
    source = researchers_store(tmp_path / "laptop")
    with raw(source) as conn:
        conn.execute("UPDATE records SET name = 'rewritten' WHERE id = 'pm1'")
    target = open_target(str(tmp_path / "copy"))
    with pytest.raises(StoreError, match=r"does not pass verify.*nothing was copied"):
        move_store(source, target)
    assert target.history() == [] and target.files() == []


def test_store_locations(tmp_path):
    folder = tmp_path / "laptop"
    assert store_location(f"sqlite:///{folder}") == (folder, "")
    assert store_location(f"sqlite:///{folder}/store.sqlite3") == (folder, "")
    assert store_location(str(folder)) == (folder, "")
    assert store_location("postgresql://team@db/evidence")[1] == "postgresql://team@db/evidence"
    with pytest.raises(StoreError, match="is neither a PostgreSQL URL"):
        store_location("mysql://x@y/z")
    with pytest.raises(StoreNotFound):
        open_source(f"sqlite:///{tmp_path / 'nothing here'}")


def test_the_migrate_command(tmp_path, server_url, capsys):
    source = researchers_store(tmp_path / "laptop")
    latest = source.latest()
    assert latest is not None
    code = main(["migrate", "--from", f"sqlite:///{source.db_path}", "--to", server_url])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert latest.hash in out and "verify passes on both" in out
    assert Store.open_existing(source.data_dir, database_url=server_url).latest() == latest
    # Again: the target is no longer empty.
    code = main(["migrate", "--from", str(source.data_dir), "--to", server_url])
    assert code == 1 and "is not empty" in capsys.readouterr().err
