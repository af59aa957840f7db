"""The store's first layout: files, layers, records and the hash-chained history.

Stores made before the migrations (SQLite, ``user_version`` 1) have exactly these
tables; `geo.store.migrate` marks them as at this revision without touching them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_TEXT = sa.Text()


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", _TEXT, sa.CheckConstraint("length(sha256) = 64"), nullable=False),
        sa.Column("size", sa.BigInteger, sa.CheckConstraint("size >= 0"), nullable=False),
        sa.Column("file_name", _TEXT, nullable=False),
        sa.Column("received_at", _TEXT, nullable=False),
        sa.Column("layer", _TEXT, nullable=False, unique=True),
        sa.Column("analyst", _TEXT, nullable=False),
    )
    op.create_table(
        "layers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", _TEXT, nullable=False, unique=True),
        sa.Column("name_key", _TEXT, nullable=False, unique=True),
        sa.Column("created_at", _TEXT, nullable=False),
        sa.Column("file_id", sa.Integer, sa.ForeignKey("files.id")),
    )
    op.create_table(
        "records",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("id", _TEXT, nullable=False, unique=True),
        sa.Column("layer", _TEXT, sa.ForeignKey("layers.name"), nullable=False),
        sa.Column("kind", _TEXT, nullable=False),
        sa.Column("name", _TEXT, nullable=False),
        sa.Column("geometry", _TEXT, nullable=False),
        sa.Column("properties", _TEXT, nullable=False),
        sa.Column("date", _TEXT),
        sa.Column("date_as_stated", _TEXT),
        sa.Column("deleted_at", _TEXT),
    )
    op.create_index("records_by_layer", "records", ["layer", "pk"])
    op.create_table(
        "history",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time", _TEXT, nullable=False),
        sa.Column("analyst", _TEXT, nullable=False),
        sa.Column(
            "action",
            _TEXT,
            sa.CheckConstraint("action IN ('create', 'edit', 'delete', 'import')"),
            nullable=False,
        ),
        sa.Column("record_id", _TEXT),
        sa.Column("layer", _TEXT, nullable=False),
        sa.Column("change", _TEXT, nullable=False),
        sa.Column("prev_hash", _TEXT, nullable=False),
        sa.Column("hash", _TEXT, nullable=False),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "sqlite":
        for guard, event in (("history_no_update", "UPDATE"), ("history_no_delete", "DELETE")):
            op.execute(
                f"CREATE TRIGGER {guard} BEFORE {event} ON history"
                " BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END"
            )
        op.execute("PRAGMA user_version = 1")
        return
    # PostgreSQL: the highest entry ever written (SQLite's sqlite_sequence), one row.
    op.create_table("history_written", sa.Column("seq", sa.BigInteger, nullable=False))
    op.execute("INSERT INTO history_written (seq) VALUES (0)")
    op.execute(
        "CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'the history is append-only'; END $$"
    )
    for guard, event in (("history_no_update", "UPDATE"), ("history_no_delete", "DELETE")):
        op.execute(
            f"CREATE TRIGGER {guard} BEFORE {event} ON history"
            " FOR EACH ROW EXECUTE FUNCTION history_append_only()"
        )
