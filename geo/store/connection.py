"""SQLite connections and transactions: one connection per operation.

Several Streamlit sessions (threads) and processes may write at once, so every
operation opens its own connection, and every write transaction starts with
``BEGIN IMMEDIATE``: in WAL mode a plain ``BEGIN`` that reads and then writes
fails with "database is locked" when another writer commits in between,
whatever the busy timeout. ``synchronous=FULL`` because an acknowledged save of
evidence must survive a power cut.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from geo.durable import fsync_dir
from geo.errors import StoreError

BUSY_TIMEOUT_S: Final = 10.0


def _wal_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-wal")


def read_only_uri(db_path: Path) -> str:
    """Where a read-only connection goes, such that it writes no file at all.

    SQLite's WAL mode keeps its index in a -shm file beside the database; a plain
    ``mode=ro`` connection creates the -shm and -wal files, and fails where the
    folder is not writable ("attempt to write a readonly database"). With no -wal
    file there are no changes outside the database file, so ``immutable=1`` reads
    that file alone and locks nothing. With a -wal file (a writer is connected, or
    one was killed), ignoring it would read an older state, so the connection goes
    through the existing -wal and -shm files; SQLite reads those read-only."""
    uri = f"{db_path.absolute().as_uri()}?mode=ro"
    return uri if _wal_path(db_path).exists() else uri + "&immutable=1"


def _read_only_hint(db_path: Path, read_only: bool) -> str:
    if read_only and _wal_path(db_path).exists():
        return (
            f" (the store is read-only here, and its {db_path.name}-wal file holds changes "
            "that SQLite reads only with its -shm file, which it cannot create here: copy "
            "the whole folder somewhere writable and read it there)"
        )
    return ""


@contextlib.contextmanager
def session(
    db_path: Path, *, create: bool = False, read_only: bool = False
) -> Iterator[sqlite3.Connection]:
    """A connection for one operation, closed after it; SQLite's errors become
    StoreError. `create` may make the database file; `read_only` writes no file."""
    # mode=rw: an operation on a store whose folder was moved must fail, not
    # quietly start an empty store.
    if create:
        target = str(db_path)
    elif read_only:
        target = read_only_uri(db_path)
    else:
        target = f"{db_path.absolute().as_uri()}?mode=rw"
    try:
        conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, isolation_level=None, uri=not create)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store {db_path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        yield conn
    except sqlite3.Error as exc:
        raise StoreError(
            f"the store {db_path} failed: {exc}{_read_only_hint(db_path, read_only)}"
        ) from exc
    finally:
        conn.close()


def _nothing() -> None:
    pass


@contextlib.contextmanager
def write_transaction(
    conn: sqlite3.Connection, before_commit: Callable[[], None] = _nothing
) -> Iterator[None]:
    """One atomic write: everything inside commits together or not at all.
    `before_commit` runs inside the transaction just before COMMIT."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        before_commit()
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Several reads from one snapshot, unaffected by writers meanwhile."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def backup(db_path: Path, path: Path, *, read_only: bool) -> None:
    """A consistent copy of the database at `db_path` in `path`, taken with SQLite's
    online backup while others may be writing."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with session(db_path, read_only=read_only) as source:
            target = sqlite3.connect(tmp, isolation_level=None)
            try:
                source.backup(target)
            finally:
                target.close()
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # never a half-written backup under the final name
        fsync_dir(path.parent)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot back up the store to {path}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
