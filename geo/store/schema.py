"""The store's tables, the version of their layout, and the check that this version
can read a store.

The version is SQLite's ``user_version``: 0 for a database that has no tables yet.
A store of an older layout would be migrated here; there is none yet, so a store
of any other version is refused with what to do.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

from geo.errors import StoreError
from geo.store.connection import write_transaction

SCHEMA_VERSION: Final = 1

SCHEMA: Final = (
    """
    CREATE TABLE files (
        id          INTEGER PRIMARY KEY,
        sha256      TEXT    NOT NULL CHECK (length(sha256) = 64),
        size        INTEGER NOT NULL CHECK (size >= 0),
        file_name   TEXT    NOT NULL,
        received_at TEXT    NOT NULL,
        layer       TEXT    NOT NULL UNIQUE,
        analyst     TEXT    NOT NULL
    )
    """,
    """
    CREATE TABLE layers (
        id         INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL UNIQUE,
        name_key   TEXT    NOT NULL UNIQUE,
        created_at TEXT    NOT NULL,
        file_id    INTEGER REFERENCES files(id)
    )
    """,
    """
    CREATE TABLE records (
        pk             INTEGER PRIMARY KEY,
        id             TEXT    NOT NULL UNIQUE,
        layer          TEXT    NOT NULL REFERENCES layers(name),
        kind           TEXT    NOT NULL,
        name           TEXT    NOT NULL,
        geometry       TEXT    NOT NULL,
        properties     TEXT    NOT NULL,
        date           TEXT,
        date_as_stated TEXT,
        deleted_at     TEXT
    )
    """,
    "CREATE INDEX records_by_layer ON records(layer, pk)",
    # AUTOINCREMENT so that sqlite_sequence remembers the highest entry ever
    # written: removing the last entries of the chain then still shows.
    """
    CREATE TABLE history (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        time      TEXT    NOT NULL,
        analyst   TEXT    NOT NULL,
        action    TEXT    NOT NULL CHECK (action IN ('create', 'edit', 'delete', 'import')),
        record_id TEXT,
        layer     TEXT    NOT NULL,
        change    TEXT    NOT NULL,
        prev_hash TEXT    NOT NULL,
        hash      TEXT    NOT NULL
    )
    """,
    # Guards against a slip in code or in a SQL shell; a deliberate tamperer can
    # drop them, which verify() reports.
    """
    CREATE TRIGGER history_no_update BEFORE UPDATE ON history
    BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END
    """,
    """
    CREATE TRIGGER history_no_delete BEFORE DELETE ON history
    BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END
    """,
)
GUARDS: Final = ("history_no_update", "history_no_delete")


def schema_version(conn: sqlite3.Connection) -> int:
    """The layout version of the open database; 0 if it has no tables."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def check_version(db_path: Path, version: int) -> None:
    """Refuse a store of a schema this version cannot read."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{db_path} was made by a newer version of the explorer "
            f"(schema {version}; this one reads {SCHEMA_VERSION})"
        )
    if version != SCHEMA_VERSION:
        raise StoreError(f"{db_path}: no migration from schema {version}")


def check_existing(db_path: Path, version: int) -> None:
    """Refuse to read a database that is not a store, or whose schema this version
    cannot read: a reading command must not answer about a store it cannot read."""
    if version == 0:
        raise StoreError(
            f"{db_path} is not an evidence store (it has no tables): was it created by "
            "another program, or emptied?"
        )
    check_version(db_path, version)


def create_or_check(conn: sqlite3.Connection, db_path: Path) -> None:
    """Put a new database in WAL mode and make its tables; check an existing one."""
    # journal_mode is a property of the database file, set once here.
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StoreError(
            f"{db_path}: SQLite could not use WAL mode here (got {mode!r}); "
            "is the folder on a network drive?"
        )
    with write_transaction(conn):
        version = schema_version(conn)
        if version == 0:
            for statement in SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        else:
            check_version(db_path, version)
