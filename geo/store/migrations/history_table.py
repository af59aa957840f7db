"""What the revisions that change the history table share (0004, 0006).

SQLite cannot change a constraint: `rebuild_on_sqlite` copies the history into a
new table with the wider one, row for row as it is (a row changed outside the
store stays changed, for verify to report), and the copy takes the old one's
place. What the old table carried comes along: the highest entry ever written
(``sqlite_sequence``, which shows removed last entries), the indexes the revision
names, and those of the append-only guards that were there (a guard someone
removed stays removed: verify says so). PostgreSQL changes the constraint in place
(`widen_on_postgresql`); a revision that fills a new column there lifts the guards
for that while (`guards_lifted`).

Each revision passes its own layout: what a revision made must not change when a
later one does."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import sqlalchemy as sa
from alembic import op

_TEXT = sa.Text()
_GUARDS = (("history_no_update", "UPDATE"), ("history_no_delete", "DELETE"))
# The columns of revision 0001's history, which every later one has.
_HASHED = "seq, time, analyst, action, record_id, layer, change, prev_hash, hash"


def rebuild_on_sqlite(
    actions: str,
    *,
    added: Sequence[sa.Column[str]] = (),
    indexes: Sequence[tuple[str, list[str]]],
    fill: Callable[[sa.Connection], None] | None = None,
) -> None:
    """Rebuild the SQLite history with the CHECK `actions` and the columns `added` after
    revision 0001's; `fill` (if given) fills them before the guards come back."""
    conn = op.get_bind()
    guards = {
        row[0]
        for row in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'history'"
        )
    }
    high = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'history'").scalar()
    op.create_table(
        "history_wider",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time", _TEXT, nullable=False),
        sa.Column("analyst", _TEXT, nullable=False),
        sa.Column("action", _TEXT, sa.CheckConstraint(actions), nullable=False),
        sa.Column("record_id", _TEXT),
        sa.Column("layer", _TEXT, nullable=False),
        sa.Column("change", _TEXT, nullable=False),
        sa.Column("prev_hash", _TEXT, nullable=False),
        sa.Column("hash", _TEXT, nullable=False),
        *added,
        sqlite_autoincrement=True,
    )
    op.execute(f"INSERT INTO history_wider ({_HASHED}) SELECT {_HASHED} FROM history ORDER BY seq")
    # Dropping a table fires no DELETE trigger, and takes its triggers and indexes along.
    op.execute("DROP TABLE history")
    op.execute("ALTER TABLE history_wider RENAME TO history")
    if high is not None:
        # Kept as it was, even a value written outside the store (verify reports it).
        op.execute(
            sa.text("UPDATE sqlite_sequence SET seq = :high WHERE name = 'history'").bindparams(
                high=high
            )
        )
    for name, columns in indexes:
        op.create_index(name, "history", columns)
    if fill is not None:
        fill(conn)
    for guard, event in _GUARDS:
        if guard in guards:
            op.execute(
                f"CREATE TRIGGER {guard} BEFORE {event} ON history"
                " BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END"
            )


def widen_on_postgresql(actions: str) -> None:
    """Replace the history's CHECK on its action by `actions`."""
    op.drop_constraint("history_action_check", "history", type_="check")
    op.create_check_constraint("history_action_check", "history", actions)


@contextlib.contextmanager
def guards_lifted(conn: sa.Connection) -> Iterator[None]:
    """On PostgreSQL, the append-only guards that are on, off while the revision fills a
    column no hash covers, and on again, in the revision's transaction."""
    enabled = list(
        conn.exec_driver_sql(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'history'::regclass"
            " AND NOT tgisinternal AND tgenabled <> 'D'"
        ).scalars()
    )
    for guard in enabled:
        op.execute(f'ALTER TABLE history DISABLE TRIGGER "{guard}"')
    yield
    for guard in enabled:
        op.execute(f'ALTER TABLE history ENABLE TRIGGER "{guard}"')
