"""The team's store on a PostgreSQL server that goes down: a server stopped or
crashed in the middle of an import leaves the store as before, and it takes writes
again once the server is back."""

from __future__ import annotations

import pytest

from geo.store import Store, StoreError
from tests.postgres import Server, running_server
from tests.test_store import busy_store, drawn, imported, snapshot


@pytest.fixture(scope="module")
def own_server():
    """A server of this module's own: the tests stop it, which others must not see."""
    with running_server() as server:
        if server is None:
            pytest.skip("PostgreSQL with PostGIS is not installed (postgresql-15-postgis-3)")
        yield server


def stopping_store(server: Server, mode: str) -> type[Store]:
    class StoppedInsideTheTransaction(Store):
        """Stops the server after every statement of the operation ran, before COMMIT."""

        def _before_commit(self) -> None:
            server.stop(mode)

    return StoppedInsideTheTransaction


@pytest.mark.parametrize("mode", ["immediate", "fast"])
def test_a_server_stopped_inside_an_import_leaves_the_store_as_before(own_server, tmp_path, mode):
    url = own_server.new_database()
    store = busy_store(Store.open(tmp_path / "data", database_url=url))
    before = snapshot(store)
    latest = store.latest()
    stopping = stopping_store(own_server, mode)(store.data_dir, database_url=store.database_url)
    try:
        with pytest.raises(StoreError, match="failed"):
            big = imported(5000, "cut")
            stopping.import_layer("Cut off", big, analyst="A", file_name="b.kml", file_bytes=b"b")
        assert not own_server.running
    finally:
        if not own_server.running:
            own_server.restart()
    reopened = Store.open(store.data_dir, database_url=url)
    records, history, layers, files, kept = snapshot(reopened)
    assert (records, history, layers, files) == before[:4]
    assert reopened.latest() == latest
    assert reopened.verify() == []
    # The file kept before the transaction stays, named by no import: a note, no fault.
    assert len(kept) == len(before[4]) + 1 and len(reopened.unnamed_files()) == 1
    reopened.add(drawn("after the restart"), analyst="A")
    assert reopened.verify() == [] and len(reopened.history()) == len(history) + 1
