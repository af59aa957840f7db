"""Connections and transactions, on SQLite (a file in the data folder, the default)
or on a PostgreSQL server (``GEO_DATABASE_URL``), through SQLAlchemy.

Several Streamlit sessions (threads) and processes may write at once, and every
change appends to one hash chain, so writers take turns:

- SQLite: every operation opens its own connection (no pool), and every write
  transaction starts with ``BEGIN IMMEDIATE``: in WAL mode a plain ``BEGIN`` that
  reads and then writes fails with "database is locked" when another writer
  commits in between, whatever the busy timeout. SQLAlchemy's pysqlite driver
  is told to leave transactions to us (``isolation_level=None``) and its
  ``begin`` event emits the BEGIN, as its documentation describes.
  ``synchronous=FULL`` because an acknowledged save of evidence must survive a
  power cut.
- PostgreSQL: a write transaction first takes a transaction-level advisory lock
  (`CHAIN_LOCK`), held until COMMIT or ROLLBACK, so writers run one after the
  other from their first read; readers are not blocked. A read of several
  tables runs in one REPEATABLE READ snapshot.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from geo.durable import fsync_dir
from geo.errors import StoreError

BUSY_TIMEOUT_S: Final = 10.0
ENV_DATABASE_URL: Final = "GEO_DATABASE_URL"
# Any number the explorer alone uses: pg_advisory_xact_lock's key for the chain's writers.
CHAIN_LOCK: Final = 0x6765_6F5F_6368_6E  # "geo_chn"
_WRITE: Final = "geo_write"  # execution option: this transaction writes


def database_url_from_env() -> str:
    """``$GEO_DATABASE_URL``, or "" for the SQLite database in the data folder."""
    return os.environ.get(ENV_DATABASE_URL, "").strip()


def server_url(url: str) -> str:
    """`url` as SQLAlchemy takes it: ``postgresql://`` goes through psycopg 3. StoreError
    if it is not a PostgreSQL URL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"{ENV_DATABASE_URL} is not a database URL: {exc}") from exc
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(
            f"{ENV_DATABASE_URL} must name a PostgreSQL database (postgresql://user@host/name), "
            f"not {parsed.get_backend_name()!r}; leave it unset for SQLite in the data folder"
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def shown_url(url: str) -> str:
    """`url` for a message: without its password."""
    return make_url(url).render_as_string(hide_password=True)


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


def _connect_sqlite(db_path: Path, mode: str) -> sqlite3.Connection:
    """A new SQLite connection; `mode` is "create", "rw" or "ro" (see `read_only_uri`)."""
    # mode=rw: an operation on a store whose folder was moved must fail, not quietly
    # start an empty store.
    if mode == "create":
        target = str(db_path)
    elif mode == "ro":
        target = read_only_uri(db_path)
    else:
        target = f"{db_path.absolute().as_uri()}?mode=rw"
    conn = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_S,
        isolation_level=None,
        uri=mode != "create",
        check_same_thread=False,
    )
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    if mode == "create":
        # journal_mode is a property of the database file, set when the store is opened.
        journal = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(journal).lower() != "wal":
            conn.close()
            raise StoreError(
                f"{db_path}: SQLite could not use WAL mode here (got {journal!r}); "
                "is the folder on a network drive?"
            )
    return conn


def _begin_sqlite(conn: Connection) -> None:
    """SQLAlchemy's `begin` event: a writer reserves the database at once."""
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@functools.lru_cache(maxsize=64)
def _sqlite_engine(db_path: Path, mode: str) -> Engine:
    # NullPool: a connection per operation, closed after it, as SQLite in WAL mode
    # across threads and processes wants; the creator reads read_only_uri afresh.
    engine = create_engine(
        "sqlite://", creator=lambda: _connect_sqlite(db_path, mode), poolclass=NullPool
    )
    event.listen(engine, "begin", _begin_sqlite)
    return engine


@functools.cache
def _server_engine(url: str) -> Engine:
    # One pool per process and server: the sessions (threads) share its connections.
    return create_engine(server_url(url), pool_pre_ping=True)


def _reason(exc: BaseException) -> str:
    """What the database said, without SQLAlchemy's wrapping."""
    original = exc.orig if isinstance(exc, DBAPIError) else None
    return str(original if original is not None else exc).strip()


@contextlib.contextmanager
def session(
    db_path: Path, database_url: str = "", *, create: bool = False, read_only: bool = False
) -> Iterator[Connection]:
    """A connection for one operation, closed after it; the database's errors become
    StoreError. On SQLite (`database_url` empty) `create` may make the database file
    and `read_only` writes no file; on PostgreSQL `read_only` makes the session so."""
    where = shown_url(database_url) if database_url else str(db_path)
    if database_url:
        engine = _server_engine(database_url)
    else:
        engine = _sqlite_engine(db_path, "create" if create else "ro" if read_only else "rw")
    try:
        conn = engine.connect()
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open the store {where}: {_reason(exc)}") from exc
    try:
        if database_url and read_only:
            conn.execution_options(postgresql_readonly=True)
        yield conn
    except SQLAlchemyError as exc:
        hint = "" if database_url else _read_only_hint(db_path, read_only)
        raise StoreError(f"the store {where} failed: {_reason(exc)}{hint}") from exc
    finally:
        conn.close()


def _nothing() -> None:
    pass


@contextlib.contextmanager
def write_transaction(
    conn: Connection, before_commit: Callable[[], None] = _nothing
) -> Iterator[None]:
    """One atomic write, writers in turn: everything inside commits together or not at
    all. `before_commit` runs inside the transaction just before COMMIT."""
    conn.execution_options(**{_WRITE: True})
    with conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
        yield
        before_commit()


@contextlib.contextmanager
def read_transaction(conn: Connection) -> Iterator[None]:
    """Several reads from one snapshot, unaffected by writers meanwhile."""
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ")
    transaction = conn.begin()
    try:
        yield
    finally:
        transaction.rollback()


def backup(db_path: Path, path: Path, *, read_only: bool) -> None:
    """A consistent copy of the SQLite database at `db_path` in `path`, taken with
    SQLite's online backup while others may be writing."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        source = _connect_sqlite(db_path, "ro" if read_only else "rw")
        try:
            target = sqlite3.connect(tmp, isolation_level=None)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # never a half-written backup under the final name
        fsync_dir(path.parent)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"cannot back up the store to {path}: {exc}{_read_only_hint(db_path, read_only)}"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
