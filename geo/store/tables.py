"""The SQL that reads and writes the store's tables, each function on an open
connection inside the caller's transaction, in SQLAlchemy Core: the same code for
SQLite and PostgreSQL, with the few differences (`geo.store.schema`) named where
they are.

This and `schema`, `migrate` and `connection` are all that speak SQL; the rest of
the store works on the rows they return.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Table,
    and_,
    exists,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    text,
    union_all,
    update,
)

from geo.errors import DataError, Problem, StoreError
from geo.store.chain import (
    CASE,
    GENESIS_HASH,
    Action,
    HistoryRow,
    canonical_json,
    entry_content,
    entry_hash,
)
from geo.store.rows import COLUMN_ORDER, NO_LAYER_ROW, damaged, read_row
from geo.store.schema import (
    SRID,
    files,
    history,
    history_written,
    layers,
    members,
    metadata,
    records,
    records_position,
)
from geo.store.verify import FileRow, LayerRow, MemberRow, RecordMade, Snapshot

# The hashed columns, which every revision's history has; case_id (0006) is read
# where a case's entries are asked for, and by verify.
_HISTORY_COLUMNS: Final = [history.c[name] for name in HistoryRow._fields if name != "case_id"]
_RECORD_COLUMNS: Final = [records.c[name] for name in COLUMN_ORDER]
_IDS_PER_QUERY: Final = 500  # under SQLite's limit on the parameters of one statement


def _on_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _layer_known() -> ColumnElement[bool]:
    """A records query's last column: whether the record's layer has its row."""
    return exists().where(layers.c.name == records.c.layer)


def _of_case(case_id: str) -> ColumnElement[bool]:
    """The records a case's page shows: its own, and those made before cases were
    recorded (no case), which every case shows."""
    return or_(records.c.case_id == case_id, records.c.case_id.is_(None))


@dataclass(frozen=True)
class LayerInfo:
    name: str
    count: int  # current records, deleted ones not counted
    file_sha256: str | None  # None for a layer drawn by hand (annotations)
    file_name: str | None
    created_at: str
    # whether it holds records made before cases were recorded, shown on every case
    all_cases: bool = False


@dataclass(frozen=True)
class FileInfo:
    sha256: str
    size: int
    file_name: str  # as the analyst's file was called
    received_at: str
    layer: str
    analyst: str


# --- history ---


def last_entry(conn: Connection) -> tuple[int, str] | None:
    """The latest history entry's seq and hash; None while the history is empty."""
    row = conn.execute(
        select(history.c.seq, history.c.hash).order_by(history.c.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def _highest_seq_written(conn: Connection) -> int:
    # Not a number only if changed outside the store (verify says so): it tells nothing.
    high = recorded_high(conn)
    return 0 if high is None else high


def recorded_high(conn: Connection) -> int | None:
    """The highest seq the database recorded as written, 0 if none; None if what it
    holds is not a whole number."""
    if _on_postgresql(conn):
        value = conn.execute(select(func.max(history_written.c.seq))).scalar()
    else:
        value = conn.execute(
            text("SELECT seq FROM sqlite_sequence WHERE name = 'history'")
        ).scalar()
    if value is None:
        return 0
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def append_entry(
    conn: Connection,
    *,
    time: str,
    analyst: str,
    action: Action,
    record_id: str | None,
    layer: str,
    change: dict[str, Any],
) -> None:
    """Append one entry to the chain. Inside a write transaction, which holds the
    writers' lock (`geo.store.connection`): no other writer can append between the
    read of the last entry and the insert."""
    last = last_entry(conn)
    seq = max(last[0] if last else 0, _highest_seq_written(conn)) + 1
    prev_hash = last[1] if last else GENESIS_HASH
    content = entry_content(seq, time, analyst, action.value, record_id, layer, change)
    listed = change.get(CASE)
    conn.execute(
        insert(history).values(
            # the case whose page lists the entry: the one its change names (verify checks)
            case_id=listed if isinstance(listed, str) else None,
            seq=seq,
            time=time,
            analyst=analyst,
            action=action.value,
            record_id=record_id,
            layer=layer,
            change=canonical_json(change),
            prev_hash=prev_hash,
            hash=entry_hash(prev_hash, content),
        )
    )
    if _on_postgresql(conn):
        conn.execute(update(history_written).values(seq=seq))


def _listed_parts(case_id: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The entries a case's page lists, in two parts the index on (case_id, seq) reads
    in order: the case's own, and those of no case (shown on every case)."""
    return history.c.case_id == case_id, history.c.case_id.is_(None)


def history_rows(
    conn: Connection, newest: int | None = None, skip: int = 0, case_id: str | None = None
) -> list[HistoryRow]:
    """Every entry, oldest first; with `newest`, only the `newest` entries that come
    before the latest `skip` (still oldest first). With `case_id`, only the entries
    that case's page lists (`_listed_parts`), each with its case_id."""
    if case_id is None:
        query = select(*_HISTORY_COLUMNS)
        if newest is None:
            rows = conn.execute(query.order_by(history.c.seq)).all()
        else:
            rows = conn.execute(
                query.order_by(history.c.seq.desc()).limit(max(newest, 0)).offset(max(skip, 0))
            ).all()[::-1]
        return [HistoryRow(*row) for row in rows]
    columns = [*_HISTORY_COLUMNS, history.c.case_id]
    if newest is None:
        listed = or_(*_listed_parts(case_id))
        rows = conn.execute(select(*columns).where(listed).order_by(history.c.seq)).all()
        return [HistoryRow(*row) for row in rows]
    # Each part's newest entries from the index, then the page from at most twice as
    # many rows: a page never reads the whole history, whatever the other cases wrote.
    wanted = max(newest, 0) + max(skip, 0)
    parts = [
        select(*columns).where(part).order_by(history.c.seq.desc()).limit(wanted).subquery()
        for part in _listed_parts(case_id)
    ]
    both = union_all(*(select(part) for part in parts)).subquery()
    page = select(both).order_by(both.c.seq.desc()).limit(max(newest, 0)).offset(max(skip, 0))
    return [HistoryRow(*row) for row in conn.execute(page).all()[::-1]]


def history_count(conn: Connection, case_id: str | None = None) -> int:
    """How many entries there are; with `case_id`, how many that case's page lists."""
    if case_id is None:
        count: int = conn.execute(select(func.count()).select_from(history)).scalar_one()
        return count
    return sum(
        conn.execute(select(func.count()).select_from(history).where(part)).scalar_one()
        for part in _listed_parts(case_id)
    )


def entries_starting(conn: Connection, prefix: str) -> list[HistoryRow]:
    """The entries whose hash starts with `prefix`, oldest first."""
    rows = conn.execute(
        select(*_HISTORY_COLUMNS)
        .where(func.substr(history.c.hash, 1, len(prefix)) == prefix)
        .order_by(history.c.seq)
    ).all()
    return [HistoryRow(*row) for row in rows]


def _comment_where(record_id: str | None = None, case_id: str | None = None) -> ColumnElement[bool]:
    """The history entries that are comments, on the record `record_id` if given, and
    with `case_id` those that case's page lists (made in it, or in no case): the one
    predicate of `comment_rows` and `every_comment_row`."""
    where = history.c.action == Action.COMMENT.value
    if record_id is not None:
        where = and_(where, history.c.record_id == record_id)
    if case_id is not None:
        where = and_(where, or_(*_listed_parts(case_id)))
    return where


def comment_rows(conn: Connection, record_id: str, case_id: str | None = None) -> list[HistoryRow]:
    """The comments on the record, oldest first; with `case_id`, those that case's page
    lists."""
    rows = conn.execute(
        select(*_HISTORY_COLUMNS).where(_comment_where(record_id, case_id)).order_by(history.c.seq)
    ).all()
    return [HistoryRow(*row) for row in rows]


def every_comment_row(conn: Connection, case_id: str | None = None) -> list[HistoryRow]:
    """The comments on every record, oldest first, in one query (an export's); with
    `case_id`, those that case's page lists."""
    rows = conn.execute(
        select(*_HISTORY_COLUMNS).where(_comment_where(case_id=case_id)).order_by(history.c.seq)
    ).all()
    return [HistoryRow(*row) for row in rows]


def commented_layer(conn: Connection, record_id: str) -> str:
    """The layer a comment on `record_id` names: the record's if the store holds it,
    "" if not (a record of the case's own, read from its folder). StoreError for a
    deleted record."""
    row = conn.execute(
        select(records.c.layer, records.c.deleted_at).where(records.c.id == record_id)
    ).first()
    if row is None:
        return ""
    if row[1] is not None:
        raise StoreError(f"record {record_id!r} was deleted at {row[1]}: nothing was changed")
    return str(row[0])


def entries_after(conn: Connection, seq: int) -> int:
    count: int = conn.execute(
        select(func.count()).select_from(history).where(history.c.seq > seq)
    ).scalar_one()
    return count


# --- layers and files ---


def _layer_named(conn: Connection, name: str) -> str | None:
    """The name of the layer whose case-blind key is that of `name`, if there is one."""
    found: str | None = conn.execute(
        select(layers.c.name).where(layers.c.name_key == name.casefold())
    ).scalar()
    return found


def ensure_layer(conn: Connection, name: str, time: str) -> None:
    """Make the drawn layer `name` at `time` unless it exists."""
    found = _layer_named(conn, name)
    if found is None:
        conn.execute(insert(layers).values(name=name, name_key=name.casefold(), created_at=time))
    elif found != name:
        # Two layers differing only in case would look like one in the layer control.
        raise StoreError(f"a layer named {found!r} exists; use that name, not {name!r}")


def refuse_taken_layer(conn: Connection, name: str) -> None:
    found = _layer_named(conn, name)
    if found is not None:
        same = "" if found == name else " (names differ only in case)"
        raise StoreError(
            f"a layer named {found!r} already exists{same}; choose another name for the "
            "import (nothing was imported)"
        )


def add_imported_layer(
    conn: Connection,
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
        insert(files)
        .values(
            sha256=sha256,
            size=size,
            file_name=file_name,
            received_at=received_at,
            layer=layer,
            analyst=analyst,
        )
        .returning(files.c.id)
    ).scalar_one()
    conn.execute(
        insert(layers).values(
            name=layer, name_key=layer.casefold(), created_at=received_at, file_id=file_id
        )
    )


def layer_infos(conn: Connection, case_id: str | None = None) -> list[LayerInfo]:
    """Every layer; with `case_id`, those holding a record (even a deleted one) the
    case shows, each counting only those records."""
    shown = records.c.layer == layers.c.name
    if case_id is not None:
        shown = and_(shown, _of_case(case_id))
    count = select(func.count()).where(shown, records.c.deleted_at.is_(None)).scalar_subquery()
    legacy = exists().where(records.c.layer == layers.c.name, records.c.case_id.is_(None))
    query = (
        select(layers.c.name, count, files.c.sha256, files.c.file_name, layers.c.created_at, legacy)
        .select_from(layers.outerjoin(files, files.c.id == layers.c.file_id))
        .order_by(layers.c.id)
    )
    if case_id is not None:
        query = query.where(exists().where(shown))
    return [LayerInfo(*row) for row in conn.execute(query).all()]


def refuse_other_case_layer(conn: Connection, name: str, case_id: str | None) -> None:
    """Refuse a new record of the case `case_id` in an imported layer whose records are
    another case's (or of no case): an import's layer belongs to the case it was made
    in. A drawn layer (such as the annotations) holds every case's drawings, each
    record of its own case."""
    other = conn.execute(
        select(records.c.case_id)
        .select_from(records.join(layers, layers.c.name == records.c.layer))
        .where(
            records.c.layer == name,
            layers.c.file_id.is_not(None),
            records.c.case_id.is_distinct_from(case_id),
        )
        .limit(1)
    ).first()
    if other is not None:
        whose = (
            "no case (it was made before cases were recorded)"
            if other[0] is None
            else (f"the case {other[0]!r}")
        )
        raise StoreError(
            f"the layer {name!r} was imported in {whose}: add the record to a layer of "
            "this case (nothing was changed)"
        )


def assign_to_case(conn: Connection, layer: str, case_id: str) -> list[str]:
    """Give the layer's records of no case (made before cases were recorded, deleted
    ones too) to the case `case_id`; returns their ids in the order added. StoreError,
    with nothing changed, for an unknown layer, one with no such records, or an
    imported layer whose records are another case's (an import belongs to one case;
    a drawn layer holds every case's drawings, which stay theirs)."""
    found = conn.execute(select(layers.c.file_id).where(layers.c.name == layer)).first()
    if found is None:
        raise StoreError(f"there is no layer named {layer!r} (nothing was changed)")
    rows = conn.execute(
        select(records.c.id, records.c.case_id)
        .where(records.c.layer == layer)
        .order_by(records.c.pk)
    ).all()
    ids = [str(record_id) for record_id, case in rows if case is None]
    others = sorted({str(case) for _, case in rows if case is not None and case != case_id})
    if others and (found[0] is not None or not ids):
        raise StoreError(
            f"the records of the layer {layer!r} are the case {others[0]!r}'s: they are "
            "assigned only from their own case (nothing was changed)"
        )
    if not ids:
        mine = " (they are all this case's already)" if rows else ""
        raise StoreError(
            f"the layer {layer!r} holds no records made before cases were recorded{mine}: "
            "nothing to assign (nothing was changed)"
        )
    conn.execute(
        update(records)
        .where(records.c.layer == layer, records.c.case_id.is_(None))
        .values(case_id=case_id)
    )
    return ids


# A kept file's columns, in `FileInfo` order.
_FILE_INFO = (
    files.c.sha256,
    files.c.size,
    files.c.file_name,
    files.c.received_at,
    files.c.layer,
    files.c.analyst,
)


def file_infos(conn: Connection) -> list[FileInfo]:
    rows = conn.execute(select(*_FILE_INFO).order_by(files.c.id)).all()
    return [FileInfo(*row) for row in rows]


def is_kept(conn: Connection, sha256: str) -> bool:
    """Whether an import kept the file `sha256`."""
    return conn.execute(select(files.c.id).where(files.c.sha256 == sha256)).first() is not None


# --- records ---


def current_rows(
    conn: Connection,
    layer: str | None,
    bbox: tuple[float, float, float, float] | None = None,
    case_id: str | None = None,
) -> list[Sequence[object]]:
    """The rows of current (not deleted) records, in the order added, each followed by
    whether its layer has its row. With `bbox` (west, south, east, north), on
    PostgreSQL only those whose position meets the box (the spatial index answers);
    on SQLite the caller filters. With `case_id`, only those the case shows."""
    query = select(*_RECORD_COLUMNS, _layer_known()).where(records.c.deleted_at.is_(None))
    if layer is not None:
        query = query.where(records.c.layer == layer)
    if case_id is not None:
        query = query.where(_of_case(case_id))
    if bbox is not None and _on_postgresql(conn):
        box = func.ST_MakeEnvelope(*bbox, SRID)
        # the PostGIS column, which `records` (the tables both databases have) lacks
        position: ColumnElement[Any] = literal_column("records.position")
        query = query.where(func.ST_Intersects(position, box))
    return [tuple(row) for row in conn.execute(query.order_by(records.c.pk))]


def current_doc(conn: Connection, record_id: str) -> dict[str, Any]:
    """The current record `record_id` as a document; StoreError if it is unknown,
    deleted or damaged."""
    row = conn.execute(
        select(*_RECORD_COLUMNS, records.c.deleted_at, _layer_known()).where(
            records.c.id == record_id
        )
    ).first()
    if row is None:
        raise StoreError(f"there is no record with id {record_id!r}")
    if row[8] is not None:
        raise StoreError(f"record {record_id!r} was deleted at {row[8]}")
    doc, reasons = read_row(tuple(row))
    if not row[9]:
        reasons.append(NO_LAYER_ROW)
    if reasons:
        raise StoreError(f"{damaged(doc, reasons)}; run verify")
    return doc


def refuse_taken_id(conn: Connection, record_id: str) -> None:
    taken = conn.execute(select(records.c.deleted_at).where(records.c.id == record_id)).first()
    if taken is not None:
        gone = " (a deleted record had it; ids are never reused)" if taken[0] else ""
        raise StoreError(f"a record with id {record_id!r} already exists{gone}")


def refuse_taken_ids(conn: Connection, ids: list[str], source: str | None) -> None:
    """DataError naming every id of an import (from the file `source`) already kept."""
    taken: list[str] = []
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        taken += conn.execute(select(records.c.id).where(records.c.id.in_(chunk))).scalars()
    if taken:
        raise DataError(
            [
                Problem("a record with this id is already in the store", source, i, "id")
                for i in taken
            ]
        )


def _fill_positions(conn: Connection, where: ColumnElement[bool]) -> None:
    """On PostgreSQL, set the PostGIS position of the records `where` selects from their
    GeoJSON, in the same transaction; nothing on SQLite."""
    if _on_postgresql(conn):
        conn.execute(
            update(records_position)
            .where(where)
            .values(
                position=func.ST_SetSRID(func.ST_GeomFromGeoJSON(records_position.c.geometry), SRID)
            )
        )


def insert_records(
    conn: Connection,
    rows: Sequence[tuple[Any, ...]],
    layer: str,
    owner: str | None = None,
    case_id: str | None = None,
) -> None:
    """Insert `rows`, all of the layer `layer`, which has no other records yet unless
    they are a single drawn record; `owner` made them (team mode), in the case
    `case_id` (None: of no case, shown on every case)."""
    if not rows:
        return
    conn.execute(
        insert(records),
        [dict(zip(COLUMN_ORDER, row, strict=True), owner=owner, case_id=case_id) for row in rows],
    )
    if len(rows) == 1:
        _fill_positions(conn, records_position.c.id == rows[0][0])
    else:
        _fill_positions(
            conn, and_(records_position.c.layer == layer, records_position.c.position.is_(None))
        )


def update_record(conn: Connection, record_id: str, row: tuple[Any, ...]) -> None:
    """Set the editable fields of `record_id` from its new `row` (id and layer stay)."""
    conn.execute(
        update(records)
        .where(records.c.id == record_id)
        .values(dict(zip(COLUMN_ORDER[2:], row[2:], strict=True)))
    )
    _fill_positions(conn, records_position.c.id == record_id)


def mark_deleted(conn: Connection, record_id: str, time: str) -> None:
    conn.execute(update(records).where(records.c.id == record_id).values(deleted_at=time))


# --- integrity ---


def _guards_present(conn: Connection) -> set[str]:
    """The names of the triggers on the history table."""
    if _on_postgresql(conn):
        query = text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'history'::regclass AND NOT tgisinternal"
        )
    else:
        query = text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return set(conn.execute(query).scalars())


def _integrity(conn: Connection) -> list[str]:
    """What the database's own check of its files says: ["ok"] if fine. PostgreSQL has
    no such check without an extension (amcheck); its pages carry checksums if the
    cluster was made with them, and it reports damage when it reads them."""
    if _on_postgresql(conn):
        return ["ok"]
    return [str(line) for line in conn.execute(text("PRAGMA quick_check")).scalars()]


def read_snapshot(conn: Connection) -> Snapshot:
    """Every row the integrity check needs; call it inside one read transaction."""
    layer_rows = conn.execute(
        select(layers.c.name, layers.c.name_key, layers.c.created_at, layers.c.file_id).order_by(
            layers.c.id
        )
    ).all()
    file_rows = conn.execute(select(files.c.id, *_FILE_INFO).order_by(files.c.id)).all()
    return Snapshot(
        integrity=_integrity(conn),
        triggers=_guards_present(conn),
        history=_every_entry_with_case(conn),
        high=recorded_high(conn),
        records=[
            tuple(row)
            for row in conn.execute(
                select(*_RECORD_COLUMNS, records.c.deleted_at).order_by(records.c.pk)
            )
        ],
        made=_records_made(conn),
        layers=[LayerRow._make(row) for row in layer_rows],
        files=[FileRow._make(row) for row in file_rows],
        members=_member_rows(conn),
    )


def _every_entry_with_case(conn: Connection) -> list[HistoryRow]:
    """Every entry, oldest first, with its case_id; a store older than revision 0006
    (read-only, so not upgraded) is read as it is, every entry of no case."""
    has_case = _has_column(conn, history, "case_id")
    columns = [*_HISTORY_COLUMNS, history.c.case_id] if has_case else _HISTORY_COLUMNS
    rows = conn.execute(select(*columns).order_by(history.c.seq)).all()
    return [HistoryRow(*row) for row in rows]


def _records_made(conn: Connection) -> list[RecordMade]:
    """Each record's owner and case; none in a store older than revision 0005
    (read-only, so not upgraded), read as it is."""
    if not _has_column(conn, records, "case_id"):
        return []
    query = select(records.c.id, records.c.layer, records.c.owner, records.c.case_id).order_by(
        records.c.pk
    )
    return [RecordMade._make(row) for row in conn.execute(query)]


def _has_column(conn: Connection, table: Table, column: str) -> bool:
    """Whether the database's `table` has `column`: a read-only store is not brought
    to the newest layout, and verify reads it as it is."""
    return any(found["name"] == column for found in inspect(conn).get_columns(table.name))


def _member_rows(conn: Connection) -> list[MemberRow]:
    """The members rows; none in a store older than revision 0003, read as it is."""
    if not inspect(conn).has_table(members.name):
        return []
    query = select(members.c.case_id, members.c.email, members.c.role).order_by(members.c.id)
    return [MemberRow._make(row) for row in conn.execute(query)]


# --- copying a whole store (geo.store.relocate) ---

_ROWS_PER_BATCH: Final = 1000


def store_tables() -> list[Table]:
    """The store's tables, each after the tables it refers to."""
    return list(metadata.sorted_tables)


def row_count(conn: Connection, table: Table) -> int:
    count: int = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return count


def table_batches(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    """Every row of `table`, in the order of its primary key, a batch at a time, each
    row as its columns' values exactly as stored."""
    result = conn.execution_options(yield_per=_ROWS_PER_BATCH).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    for batch in result.partitions():
        yield [dict(row._mapping) for row in batch]


def insert_batch(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` as they are, their ids included."""
    if rows:
        conn.execute(insert(table), rows)


def after_copy(conn: Connection, high: int) -> None:
    """After rows were copied in with their own ids: the highest history entry ever
    written is `high`, as in the store copied; on PostgreSQL each record's PostGIS
    position is made from its GeoJSON and each table's id counter continues after
    the highest id copied."""
    if not _on_postgresql(conn):
        # AUTOINCREMENT already moved sqlite_sequence to the highest seq inserted.
        conn.execute(
            text("UPDATE sqlite_sequence SET seq = :high WHERE name = 'history'"), {"high": high}
        )
        return
    conn.execute(update(history_written).values(seq=high))
    _fill_positions(conn, records_position.c.position.is_(None))
    for table in store_tables():
        keys = list(table.primary_key.columns)
        if len(keys) == 1 and isinstance(keys[0].type, Integer):
            name, column = table.name, keys[0].name
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                    f"COALESCE(MAX({column}), 0) + 1, false) FROM {name}"
                )
            )
