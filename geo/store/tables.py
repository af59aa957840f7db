"""The SQL that reads and writes the store's tables, each function on an open
connection inside the caller's transaction.

This and `schema` and `connection` are all that speak SQLite; the rest of the
store works on the rows they return.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from geo.errors import DataError, Problem, StoreError
from geo.store.chain import (
    GENESIS_HASH,
    Action,
    HistoryRow,
    canonical_json,
    entry_content,
    entry_hash,
)
from geo.store.rows import COLUMN_ORDER, NO_LAYER_ROW, damaged, read_row
from geo.store.verify import FileRow, LayerRow, Snapshot

HISTORY_COLUMNS: Final = ", ".join(HistoryRow._fields)
RECORD_COLUMNS: Final = ", ".join(COLUMN_ORDER)
_RECORD_MARKS: Final = ", ".join("?" * len(COLUMN_ORDER))
# A records query's last column: whether the record's layer has its row.
_LAYER_KNOWN: Final = "layer IN (SELECT name FROM layers)"
_IDS_PER_QUERY: Final = 500  # under SQLite's limit on the parameters of one statement


@dataclass(frozen=True)
class LayerInfo:
    name: str
    count: int  # current records, deleted ones not counted
    file_sha256: str | None  # None for a layer drawn by hand (annotations)
    file_name: str | None
    created_at: str


@dataclass(frozen=True)
class FileInfo:
    sha256: str
    size: int
    file_name: str  # as the analyst's file was called
    received_at: str
    layer: str
    analyst: str


# --- history ---


def last_entry(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """The latest history entry's seq and hash; None while the history is empty."""
    row = conn.execute("SELECT seq, hash FROM history ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


def _highest_seq_written(conn: sqlite3.Connection) -> int:
    # Not a number only if changed outside the store (verify says so): it tells nothing.
    high = _recorded_high(conn)
    return 0 if high is None else high


def _recorded_high(conn: sqlite3.Connection) -> int | None:
    """The highest seq SQLite recorded as written, 0 if none; None if what it holds is
    not a whole number."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'history'").fetchone()
    if row is None:
        return 0
    return row[0] if isinstance(row[0], int) and not isinstance(row[0], bool) else None


def append_entry(
    conn: sqlite3.Connection,
    *,
    time: str,
    analyst: str,
    action: Action,
    record_id: str | None,
    layer: str,
    change: dict[str, Any],
) -> None:
    """Append one entry to the chain. Inside BEGIN IMMEDIATE: no other writer can
    append between the read of the last entry and the insert."""
    last = last_entry(conn)
    seq = max(last[0] if last else 0, _highest_seq_written(conn)) + 1
    prev_hash = last[1] if last else GENESIS_HASH
    content = entry_content(seq, time, analyst, action.value, record_id, layer, change)
    conn.execute(
        f"INSERT INTO history ({HISTORY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            time,
            analyst,
            action.value,
            record_id,
            layer,
            canonical_json(change),
            prev_hash,
            entry_hash(prev_hash, content),
        ),
    )


def history_rows(
    conn: sqlite3.Connection, newest: int | None = None, skip: int = 0
) -> list[HistoryRow]:
    """Every entry, oldest first; with `newest`, only the `newest` entries that come
    before the latest `skip` (still oldest first)."""
    if newest is None:
        rows = conn.execute(f"SELECT {HISTORY_COLUMNS} FROM history ORDER BY seq").fetchall()
    else:
        rows = conn.execute(
            f"SELECT {HISTORY_COLUMNS} FROM history ORDER BY seq DESC LIMIT ? OFFSET ?",
            (max(newest, 0), max(skip, 0)),
        ).fetchall()[::-1]
    return [HistoryRow._make(row) for row in rows]


def history_count(conn: sqlite3.Connection) -> int:
    count: int = conn.execute("SELECT count(*) FROM history").fetchone()[0]
    return count


def entries_starting(conn: sqlite3.Connection, prefix: str) -> list[HistoryRow]:
    """The entries whose hash starts with `prefix`, oldest first."""
    rows = conn.execute(
        f"SELECT {HISTORY_COLUMNS} FROM history WHERE substr(hash, 1, ?) = ? ORDER BY seq",
        (len(prefix), prefix),
    ).fetchall()
    return [HistoryRow._make(row) for row in rows]


def entries_after(conn: sqlite3.Connection, seq: int) -> int:
    count: int = conn.execute("SELECT count(*) FROM history WHERE seq > ?", (seq,)).fetchone()[0]
    return count


# --- layers and files ---


def ensure_layer(conn: sqlite3.Connection, name: str, time: str) -> None:
    """Make the drawn layer `name` at `time` unless it exists."""
    found = conn.execute(
        "SELECT name FROM layers WHERE name_key = ?", (name.casefold(),)
    ).fetchone()
    if found is None:
        conn.execute(
            "INSERT INTO layers (name, name_key, created_at) VALUES (?, ?, ?)",
            (name, name.casefold(), time),
        )
    elif found[0] != name:
        # Two layers differing only in case would look like one in the layer control.
        raise StoreError(f"a layer named {found[0]!r} exists; use that name, not {name!r}")


def refuse_taken_layer(conn: sqlite3.Connection, name: str) -> None:
    found = conn.execute(
        "SELECT name FROM layers WHERE name_key = ?", (name.casefold(),)
    ).fetchone()
    if found is not None:
        same = "" if found[0] == name else " (names differ only in case)"
        raise StoreError(
            f"a layer named {found[0]!r} already exists{same}; choose another name for the "
            "import (nothing was imported)"
        )


def add_imported_layer(
    conn: sqlite3.Connection,
    *,
    layer: str,
    sha256: str,
    size: int,
    file_name: str,
    received_at: str,
    analyst: str,
) -> None:
    """The files row of an imported file, and the layers row of the layer it made."""
    file_id = conn.execute(
        "INSERT INTO files (sha256, size, file_name, received_at, layer, analyst)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (sha256, size, file_name, received_at, layer, analyst),
    ).lastrowid
    conn.execute(
        "INSERT INTO layers (name, name_key, created_at, file_id) VALUES (?, ?, ?, ?)",
        (layer, layer.casefold(), received_at, file_id),
    )


def layer_infos(conn: sqlite3.Connection) -> list[LayerInfo]:
    rows = conn.execute(
        """
        SELECT l.name,
               (SELECT count(*) FROM records r
                 WHERE r.layer = l.name AND r.deleted_at IS NULL),
               f.sha256, f.file_name, l.created_at
          FROM layers l LEFT JOIN files f ON f.id = l.file_id
         ORDER BY l.id
        """
    ).fetchall()
    return [LayerInfo(*row) for row in rows]


def file_infos(conn: sqlite3.Connection) -> list[FileInfo]:
    rows = conn.execute(
        "SELECT sha256, size, file_name, received_at, layer, analyst FROM files ORDER BY id"
    ).fetchall()
    return [FileInfo(*row) for row in rows]


def is_kept(conn: sqlite3.Connection, sha256: str) -> bool:
    """Whether an import kept the file `sha256`."""
    return conn.execute("SELECT 1 FROM files WHERE sha256 = ?", (sha256,)).fetchone() is not None


# --- records ---


def current_rows(conn: sqlite3.Connection, layer: str | None) -> list[Sequence[object]]:
    """The rows of current (not deleted) records, in the order added, each followed by
    whether its layer has its row."""
    query = f"SELECT {RECORD_COLUMNS}, {_LAYER_KNOWN} FROM records WHERE deleted_at IS NULL"
    params: tuple[str, ...] = ()
    if layer is not None:
        query += " AND layer = ?"
        params = (layer,)
    rows: list[Sequence[object]] = conn.execute(query + " ORDER BY pk", params).fetchall()
    return rows


def current_doc(conn: sqlite3.Connection, record_id: str) -> dict[str, Any]:
    """The current record `record_id` as a document; StoreError if it is unknown,
    deleted or damaged."""
    row = conn.execute(
        f"SELECT {RECORD_COLUMNS}, deleted_at, {_LAYER_KNOWN} FROM records WHERE id = ?",
        (record_id,),
    ).fetchone()
    if row is None:
        raise StoreError(f"there is no record with id {record_id!r}")
    if row[8] is not None:
        raise StoreError(f"record {record_id!r} was deleted at {row[8]}")
    doc, reasons = read_row(row)
    if not row[9]:
        reasons.append(NO_LAYER_ROW)
    if reasons:
        raise StoreError(f"{damaged(doc, reasons)}; run verify")
    return doc


def refuse_taken_id(conn: sqlite3.Connection, record_id: str) -> None:
    taken = conn.execute("SELECT deleted_at FROM records WHERE id = ?", (record_id,)).fetchone()
    if taken is not None:
        gone = " (a deleted record had it; ids are never reused)" if taken[0] else ""
        raise StoreError(f"a record with id {record_id!r} already exists{gone}")


def refuse_taken_ids(conn: sqlite3.Connection, ids: list[str], source: str | None) -> None:
    """DataError naming every id of an import (from the file `source`) already kept."""
    taken = []
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        taken += conn.execute(f"SELECT id FROM records WHERE id IN ({marks})", chunk).fetchall()
    if taken:
        raise DataError(
            [
                Problem("a record with this id is already in the store", source, i, "id")
                for (i,) in taken
            ]
        )


def insert_records(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    conn.executemany(f"INSERT INTO records ({RECORD_COLUMNS}) VALUES ({_RECORD_MARKS})", rows)


def update_record(conn: sqlite3.Connection, record_id: str, row: tuple[Any, ...]) -> None:
    """Set the editable fields of `record_id` from its new `row` (id and layer stay)."""
    conn.execute(
        "UPDATE records SET kind = ?, name = ?, geometry = ?, properties = ?, date = ?,"
        " date_as_stated = ? WHERE id = ?",
        (*row[2:], record_id),
    )


def mark_deleted(conn: sqlite3.Connection, record_id: str, time: str) -> None:
    conn.execute("UPDATE records SET deleted_at = ? WHERE id = ?", (time, record_id))


# --- integrity ---


def read_snapshot(conn: sqlite3.Connection) -> Snapshot:
    """Every row the integrity check needs; call it inside one read transaction."""
    history = history_rows(conn)
    high = _recorded_high(conn)
    records = conn.execute(
        f"SELECT {RECORD_COLUMNS}, deleted_at FROM records ORDER BY pk"
    ).fetchall()
    layers = conn.execute(
        "SELECT name, name_key, created_at, file_id FROM layers ORDER BY id"
    ).fetchall()
    files = conn.execute(
        "SELECT id, sha256, size, file_name, received_at, layer, analyst FROM files ORDER BY id"
    ).fetchall()
    triggers = {
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    integrity = [row[0] for row in conn.execute("PRAGMA quick_check")]
    return Snapshot(
        integrity=integrity,
        triggers=triggers,
        history=history,
        high=high,
        records=records,
        layers=[LayerRow._make(row) for row in layers],
        files=[FileRow._make(row) for row in files],
    )
