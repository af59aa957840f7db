"""The store's layout version, and bringing a store to the newest layout.

The layout is made and changed only by the Alembic revisions in
``geo/store/migrations/versions``, which ship inside the package and run when a
store is opened, inside the writers' lock (two processes opening a new store at
once make its tables once). Alembic notes the revision in ``alembic_version``.

SQLite stores made before the migrations carry SQLite's ``user_version`` 1 and no
``alembic_version``: they have exactly revision 0001's tables, so they are marked
as at 0001 and upgraded from there, their rows untouched. Revision 0001 also sets
``user_version`` 1, so an older explorer still opens a store made here.
"""

from __future__ import annotations

from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from geo.errors import StoreError

# SQLite's user_version of the stores made before the migrations; what an older
# explorer checks.
SCHEMA_VERSION: Final = 1
FIRST_REVISION: Final = "0001"
# The first layout that ties records (0005) and history entries (0006) to their case:
# what a store seen from a case reads. Revisions are numbered "0001", "0002", …
CASES_REVISION: Final = "0006"
_STORE_TABLES: Final = {"files", "layers", "records", "history"}


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "geo.store:migrations")
    config.attributes["connection"] = conn
    return config


def _known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def head() -> str:
    """The newest revision this version of the explorer knows."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None  # the package ships its revisions
    return found


def _user_version(conn: Connection) -> int:
    if conn.dialect.name != "sqlite":
        return 0
    version: int = conn.execute(text("PRAGMA user_version")).scalar_one()
    return version


def revision(conn: Connection, where: str) -> str | None:
    """The store's revision; None for a database without the store's tables.
    StoreError if a newer explorer made it, or another program."""
    current = MigrationContext.configure(conn).get_current_revision()
    legacy = _user_version(conn)
    if legacy > SCHEMA_VERSION or (current is not None and current not in _known_revisions()):
        made = f"schema {legacy}" if legacy > SCHEMA_VERSION else f"revision {current}"
        raise StoreError(
            f"{where} was made by a newer version of the explorer "
            f"({made}; this one reads up to revision {head()}): update the explorer"
        )
    if current is not None:
        return current
    if legacy == SCHEMA_VERSION:
        return FIRST_REVISION  # made before the migrations
    # PostGIS brings its own table (spatial_ref_sys): only the store's names count.
    if _STORE_TABLES & set(inspect(conn).get_table_names()):
        raise StoreError(
            f"{where} holds tables named like the store's, but no evidence store: was it "
            "made by another program? Use an empty database for the store"
        )
    return None


def check_existing(conn: Connection, where: str) -> None:
    """Refuse to read a database that is not a store, or whose layout this version
    cannot read: a reading command must not answer about a store it cannot read."""
    if revision(conn, where) is None:
        raise StoreError(
            f"{where} is not an evidence store (it has no tables): was it created by "
            "another program, or emptied?"
        )


def upgrade(conn: Connection, where: str) -> None:
    """Make the store's tables in an empty database, or bring an existing store to the
    newest layout. Call it inside a write transaction."""
    current = revision(conn, where)
    config = _config(conn)
    if current is not None and MigrationContext.configure(conn).get_current_revision() is None:
        command.stamp(config, current)
    if current != head():
        command.upgrade(config, "head")
