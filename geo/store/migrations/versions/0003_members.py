"""Team mode: the members of each case with their role, and each record's owner.

``records.owner`` is the signed-in identity that made the record (its OpenID
Connect issuer and subject, `geo.access.Identity.key`); it stays empty for records
made in solo mode or by the command line, which only a case's lead may then edit.
The index on ``history.record_id`` finds the entry that made a record, whose
analyst an edit by someone else names beside its own."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

_TEXT = sa.Text()


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", _TEXT, nullable=False),
        sa.Column("email", _TEXT, nullable=False),
        # empty until the member first signs in and writes
        sa.Column("issuer", _TEXT),
        sa.Column("subject", _TEXT),
        sa.Column("name", _TEXT, nullable=False, server_default=""),
        sa.Column(
            "role",
            _TEXT,
            sa.CheckConstraint("role IN ('viewer', 'analyst', 'lead')"),
            nullable=False,
        ),
        sa.Column("added_at", _TEXT, nullable=False),
        sa.Column("added_by", _TEXT, nullable=False),
        sa.UniqueConstraint("case_id", "email"),
    )
    op.create_index("members_by_identity", "members", ["issuer", "subject"])
    op.add_column("records", sa.Column("owner", _TEXT))
    op.create_index("history_by_record", "history", ["record_id"])
