"""Each history entry names the case whose page lists it: ``history.case_id``, empty
for an entry of no case, which every case lists (as records of no case are shown on
every case). An index on (case_id, seq) reads a case's entries newest first, a page
at a time. The history's ``action`` may also be ``assign``: records made before
cases were recorded, given to a case (`geo.store.chain.Action`).

Entries written from now on name their case inside their hashed change as well,
and the column follows it (verify checks). Existing entries are filled in as far
as the store can tell: a change of members from the case its change names; an
entry on a record from the record's case; an import from its layer's records'
case. What is left (a comment on a record of a case's own files, which the store
does not hold) stays of no case. The column is not hashed, so the chain is
unchanged.

PostgreSQL adds the column and widens the CHECK in place, lifting the append-only
guards while it fills the column; SQLite rebuilds the table
(`geo.store.migrations.history_table`)."""

import json

import sqlalchemy as sa
from alembic import op

from geo.store.migrations.history_table import (
    guards_lifted,
    rebuild_on_sqlite,
    widen_on_postgresql,
)

revision = "0006"
down_revision = "0005"

_ACTIONS = "action IN ('create', 'edit', 'delete', 'import', 'comment', 'member', 'assign')"
_INDEXES = [("history_by_record", ["record_id"]), ("history_by_case", ["case_id", "seq"])]
_BATCH = 1000

# Each entry after :after, a batch at a time: its seq, a change of members' change (only
# such entries named a case before this revision), its record's case, and an import's
# layer's records' case.
_KNOWN = sa.text(
    "SELECT h.seq,"
    " CASE WHEN h.action = 'member' THEN h.change END,"
    " (SELECT r.case_id FROM records r WHERE r.id = h.record_id),"
    " CASE WHEN h.action = 'import' THEN"
    "  (SELECT MIN(r.case_id) FROM records r WHERE r.layer = h.layer) END"
    " FROM history h WHERE h.seq > :after ORDER BY h.seq LIMIT :batch"
)
_SET = sa.text("UPDATE history SET case_id = :case WHERE seq = :seq")


def _named(change: object) -> str | None:
    """The case a change of members names; None if its change is not readable (a row
    changed outside the store, which verify reports)."""
    try:
        parsed = json.loads(change) if isinstance(change, str) else None
    except ValueError:
        return None
    case = parsed.get("case") if isinstance(parsed, dict) else None
    return case if isinstance(case, str) else None


def _fill(conn: sa.Connection) -> None:
    after = 0
    while rows := conn.execute(_KNOWN, {"after": after, "batch": _BATCH}).all():
        found = [
            {"seq": seq, "case": case}
            for seq, change, of_record, of_layer in rows
            if (case := _named(change) or of_record or of_layer) is not None
        ]
        if found:
            conn.execute(_SET, found)
        after = rows[-1][0]


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        rebuild_on_sqlite(
            _ACTIONS, added=[sa.Column("case_id", sa.Text())], indexes=_INDEXES, fill=_fill
        )
        return
    widen_on_postgresql(_ACTIONS)
    op.add_column("history", sa.Column("case_id", sa.Text()))
    name, columns = _INDEXES[1]
    op.create_index(name, "history", columns)
    with guards_lifted(conn):
        _fill(conn)
