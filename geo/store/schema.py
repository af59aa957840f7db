"""The store's tables, in one place, for SQLite and PostgreSQL alike.

The layout is changed only by the migrations in ``geo/store/migrations`` (Alembic),
run when a store is opened; `geo.store.migrate` runs them. These Table objects say
what the code reads and writes; the migrations made the tables they describe.

Differences between the two databases are few and named here:

- SQLite remembers the highest history entry ever written in ``sqlite_sequence``
  (the history's AUTOINCREMENT); PostgreSQL keeps it in ``history_written``,
  updated in the same transaction as the entry, so a rolled-back change leaves
  no trace.
- On PostgreSQL, ``records.position`` holds the record's geometry as PostGIS
  geometry (EPSG:4326) with a spatial index, for QGIS and SQL; the GeoJSON text
  in ``records.geometry`` stays what the history hashes and the store reads.
"""

from __future__ import annotations

from typing import Final

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)

metadata: Final = MetaData()

files: Final = Table(
    "files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", Text, CheckConstraint("length(sha256) = 64"), nullable=False),
    Column("size", BigInteger, CheckConstraint("size >= 0"), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("received_at", Text, nullable=False),
    Column("layer", Text, nullable=False, unique=True),
    Column("analyst", Text, nullable=False),
)

layers: Final = Table(
    "layers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("name_key", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
    Column("file_id", Integer, ForeignKey("files.id")),
)

records: Final = Table(
    "records",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("layer", Text, ForeignKey("layers.name"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("geometry", Text, nullable=False),
    Column("properties", Text, nullable=False),
    Column("date", Text),
    Column("date_as_stated", Text),
    Column("deleted_at", Text),
    # who made it, in team mode (geo.access.Identity.key); migration 0003
    Column("owner", Text),
    # the case (its case.yaml's id) it was made in; empty for a record made before
    # cases were recorded, shown on every case; migration 0005
    Column("case_id", Text),
    Index("records_by_layer", "layer", "pk"),
    Index("records_by_case", "case_id", "pk"),
)

# The members of each case and their role (geo.access.Role), in team mode: added by
# e-mail; the identity (issuer, subject) is bound when the member first writes.
members: Final = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("issuer", Text),
    Column("subject", Text),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("added_at", Text, nullable=False),
    Column("added_by", Text, nullable=False),
)

# PostgreSQL only (see the module's docstring): the records table as seen with its
# PostGIS column, which migration 0002 adds there. Apart from `metadata`, whose tables
# both databases have.
SRID: Final = 4326
records_position: Final = Table(
    "records",
    MetaData(),
    Column("id", Text),
    Column("layer", Text),
    Column("geometry", Text),
    Column("deleted_at", Text),
    Column("position", Geometry("GEOMETRY", srid=SRID, spatial_index=False)),
)

# The history's actions (`geo.store.chain.Action`), as its CHECK constraint says.
HISTORY_ACTIONS: Final = (
    "action IN ('create', 'edit', 'delete', 'import', 'comment', 'member', 'assign')"
)

history: Final = Table(
    "history",
    metadata,
    # AUTOINCREMENT on SQLite so that sqlite_sequence remembers the highest entry ever
    # written: removing the last entries of the chain then still shows.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("time", Text, nullable=False),
    Column("analyst", Text, nullable=False),
    Column(
        "action",
        Text,
        # widened by migrations 0004 (comments and changes of members) and 0006 (assign)
        CheckConstraint(HISTORY_ACTIONS, name="history_action_check"),
        nullable=False,
    ),
    Column("record_id", Text),
    Column("layer", Text, nullable=False),
    Column("change", Text, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    # the case whose page lists the entry, as its change names it; empty: every case's
    # (migration 0006)
    Column("case_id", Text),
    Index("history_by_record", "record_id"),
    # a case's entries, newest first, a page at a time
    Index("history_by_case", "case_id", "seq"),
    sqlite_autoincrement=True,
)

# PostgreSQL's counterpart of sqlite_sequence for the history: one row.
history_written: Final = Table(
    "history_written",
    MetaData(),
    Column("seq", BigInteger, nullable=False),
)

# Guards against a slip in code or in a SQL shell; a deliberate tamperer can drop
# them, which verify() reports.
GUARDS: Final = ("history_no_update", "history_no_delete")
APPEND_ONLY: Final = "the history is append-only"
