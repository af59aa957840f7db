"""Comments and changes of members in the history: its ``action`` may also be
``comment`` or ``member`` (`geo.store.chain.Action`).

PostgreSQL changes the CHECK constraint in place; SQLite rebuilds the history
table, keeping its rows, its chain, its guards and its index
(`geo.store.migrations.history_table`)."""

from alembic import op

from geo.store.migrations.history_table import rebuild_on_sqlite, widen_on_postgresql

revision = "0004"
down_revision = "0003"

_ACTIONS = "action IN ('create', 'edit', 'delete', 'import', 'comment', 'member')"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        widen_on_postgresql(_ACTIONS)
        return
    rebuild_on_sqlite(_ACTIONS, indexes=[("history_by_record", ["record_id"])])
