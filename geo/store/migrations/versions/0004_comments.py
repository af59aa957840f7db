"""Comments and changes of members in the history: its ``action`` may also be
``comment`` or ``member`` (`geo.store.chain.Action`).

PostgreSQL changes the CHECK constraint in place. SQLite cannot change a
constraint: the history is copied into a new table with the wider one, row for
row as it is (a row changed outside the store stays changed, for verify to
report), and the copy takes the old one's place. What the old table carried comes
along: the highest entry ever written (``sqlite_sequence``, which shows removed
last entries), the index on ``record_id``, and those of the append-only guards
that were there (a guard someone removed stays removed: verify says so)."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

_TEXT = sa.Text()
_ACTIONS = "action IN ('create', 'edit', 'delete', 'import', 'comment', 'member')"
_GUARDS = (("history_no_update", "UPDATE"), ("history_no_delete", "DELETE"))


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        op.drop_constraint("history_action_check", "history", type_="check")
        op.create_check_constraint("history_action_check", "history", _ACTIONS)
        return
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
        sa.Column("action", _TEXT, sa.CheckConstraint(_ACTIONS), nullable=False),
        sa.Column("record_id", _TEXT),
        sa.Column("layer", _TEXT, nullable=False),
        sa.Column("change", _TEXT, nullable=False),
        sa.Column("prev_hash", _TEXT, nullable=False),
        sa.Column("hash", _TEXT, nullable=False),
        sqlite_autoincrement=True,
    )
    columns = "seq, time, analyst, action, record_id, layer, change, prev_hash, hash"
    op.execute(f"INSERT INTO history_wider ({columns}) SELECT {columns} FROM history ORDER BY seq")
    # Dropping a table fires no DELETE trigger, and takes its triggers and index along.
    op.execute("DROP TABLE history")
    op.execute("ALTER TABLE history_wider RENAME TO history")
    if high is not None:
        # Kept as it was, even a value written outside the store (verify reports it).
        op.execute(
            sa.text("UPDATE sqlite_sequence SET seq = :high WHERE name = 'history'").bindparams(
                high=high
            )
        )
    op.create_index("history_by_record", "history", ["record_id"])
    for guard, event in _GUARDS:
        if guard in guards:
            op.execute(
                f"CREATE TRIGGER {guard} BEFORE {event} ON history"
                " BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END"
            )
