"""Moving a store to another place: a researcher's SQLite store to the team's
PostgreSQL server (``python -m geo migrate``), or to another folder, with its
history, rows, kept files and hashes unchanged.

Every row of every table is copied as stored, in the order of its id, ids and
numbers included: nothing is recomputed, so the history's hashes, which cover
each entry's number, time and analyst, stay those the researcher may have noted
in a report. The kept files are copied with their SHA-256 checked on the way.

Only a store that passes `Store.verify` is moved, only into an empty store, and
only in one transaction there; after the commit the copy must pass `verify` too
and end on the same latest hash, or the move is reported as failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, make_url
from sqlalchemy.exc import ArgumentError

from geo.errors import StoreError
from geo.store import connection, migrate, tables
from geo.store.chain import HistoryHead
from geo.store.folder import DB_NAME, default_data_dir
from geo.store.store import Store


@dataclass(frozen=True)
class MoveReport:
    rows: dict[str, int]  # how many rows of each table were copied
    files: int  # how many kept files were copied
    latest: HistoryHead | None  # the latest history entry, the same on both sides


def store_location(url: str) -> tuple[Path, str]:
    """The data folder and PostgreSQL URL ("" for SQLite) that `url` names: a
    ``postgresql://`` URL (its kept files where ``GEO_FILES_URL`` says, or in
    ``$GEO_DATA_DIR/files``), a ``sqlite:///`` URL of a store's folder or of its
    ``store.sqlite3``, or a folder."""
    text = url.strip()
    if text.startswith("postgresql"):
        return default_data_dir(), text
    if "://" not in text:
        path = Path(text)
    else:
        try:
            parsed = make_url(text)
        except ArgumentError as exc:
            raise StoreError(f"{text!r} is not a database URL: {exc}") from exc
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            raise StoreError(
                f"{connection.shown_url(text)} is neither a PostgreSQL URL "
                "(postgresql://user@host/name) nor a SQLite store (sqlite:///path/to/folder)"
            )
        path = Path(parsed.database)
    path = path.expanduser()
    if path.name == DB_NAME:
        return path.parent, ""
    if path.is_file():
        raise StoreError(f"{path} is a file, not a store's folder or its {DB_NAME}")
    return path, ""


def open_source(url: str, files_url: str | None = None) -> Store:
    """The existing store `url` names (see `store_location`), brought to the newest
    layout if it may be written, as any command that writes would. A SQLite store's
    kept files are in its folder unless `files_url` says otherwise."""
    folder, database_url = store_location(url)
    files = "" if files_url is None and not database_url else files_url
    found = Store.open_existing(folder, database_url=database_url, files_url=files)
    if found.read_only:
        return found
    return Store.open(folder, database_url=database_url, files_url=files)


def open_target(url: str, files_url: str | None = None) -> Store:
    """The store `url` names, made if new (see `open_source` for its kept files)."""
    folder, database_url = store_location(url)
    files = "" if files_url is None and not database_url else files_url
    return Store.open(folder, database_url=database_url, files_url=files)


def _place(store: Store) -> str:
    return f"{store.where} (kept files in {store.kept.where})"


def move_store(source: Store, target: Store) -> MoveReport:
    """Copy every row and kept file of `source` into the empty store `target`; see the
    module's docstring. StoreError, with nothing committed in `target`, if the source
    fails `verify`, the target holds anything, or the copy fails."""
    if (source.where, source.kept.where) == (target.where, target.kept.where):
        raise StoreError(f"{_place(source)} is both the source and the target: nothing to move")
    problems = source.verify()
    if problems:
        raise StoreError(
            f"the store {source.where} does not pass verify ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}, the first: {problems[0]}): run "
            "python -m geo verify there and fix or restore it first (nothing was copied)"
        )
    rows: dict[str, int] = {}
    with (
        connection.session(source.db_path, source.database_url, read_only=True) as src,
        connection.read_transaction(src),
        connection.session(target.db_path, target.database_url) as dst,
        connection.write_transaction(dst),
    ):
        _refuse_unready(src, source, dst, target)
        last = tables.last_entry(src)
        high = tables.recorded_high(src) or 0
        for table in tables.store_tables():
            rows[table.name] = 0
            for batch in tables.table_batches(src, table):
                tables.insert_batch(dst, table, batch)
                rows[table.name] += len(batch)
        tables.after_copy(dst, high)
        # The files before the commit, as an import keeps its file: a copy that fails
        # leaves the target's tables empty (and copies that are harmless, and reused).
        kept = {info.sha256 for info in tables.file_infos(src)}
        for sha256 in sorted(kept):
            target.kept.keep(sha256, source.kept.read(sha256))
    return MoveReport(rows, len(kept), _checked_copy(target, last))


def _refuse_unready(
    src_conn: Connection, source: Store, dst_conn: Connection, target: Store
) -> None:
    """Refuse a source of an older layout than the target's, and a target not empty."""
    newest = migrate.head()
    layout = migrate.revision(src_conn, source.where)
    if layout != newest:
        raise StoreError(
            f"the store {source.where} has the older layout {layout} and is read-only here: "
            f"open it once where it can be written, to bring it to {newest} (nothing was copied)"
        )
    filled = [t.name for t in tables.store_tables() if tables.row_count(dst_conn, t)]
    if filled or tables.recorded_high(dst_conn):
        held = ", ".join(filled) or "history entries once written"
        raise StoreError(
            f"the target {target.where} is not empty (it holds {held}): migrate only into "
            "a new, empty store (nothing was copied)"
        )


def _checked_copy(target: Store, last: tuple[int, str] | None) -> HistoryHead | None:
    """The copy's latest entry, after checking the copy whole."""
    problems = target.verify()
    if problems:
        raise StoreError(
            f"the copy in {target.where} does not pass verify: "
            + "; ".join(problems[:3])
            + " — do not use it; empty it and migrate again"
        )
    head = target.latest()
    expected = last[1] if last else None
    if (head.hash if head else None) != expected:
        raise StoreError(
            f"the copy in {target.where} ends on {head.hash if head else 'no entry'}, not on "
            f"{expected or 'no entry'} as the source: do not use it"
        )
    return head
