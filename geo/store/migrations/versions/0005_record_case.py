"""Each record belongs to the case it was made in: ``records.case_id``, the id of
the case (its case.yaml's id) whose page made or imported it.

One store holds every case's records. A case's page shows its own records, and a
write in team mode is checked against the role on the record's own case, read
from this column inside the write's transaction, not against the case the page
shows. Records made before this revision keep ``case_id`` empty: made before cases
were recorded, they stay shown on every case, and in team mode only a lead (of the
case the page shows) edits or deletes them (`geo.access.edit_refusal`)."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("records", sa.Column("case_id", sa.Text()))
    op.create_index("records_by_case", "records", ["case_id", "pk"])
