"""On PostgreSQL, each record's position as PostGIS geometry with a spatial index,
for QGIS and SQL and for "records in this view". Nothing changes on SQLite.

No PostgreSQL store predates it, so no existing row needs its position filled."""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("ALTER TABLE records ADD COLUMN position geometry(Geometry, 4326)")
    op.execute("CREATE INDEX records_by_position ON records USING gist (position)")
