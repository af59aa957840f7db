"""The researcher's own evidence: drawn annotations and imported layers, in SQLite
(the default, a file in the data folder) or in a team's PostgreSQL database with
PostGIS (``GEO_DATABASE_URL``), with the same behaviour on both.

What the store keeps, and why:

- ``records``: the current state, what the map shows. A deleted record is only
  marked deleted, so its id is never reused and the history stays unambiguous.
- ``history``: an append-only log of every change, each entry hash-chained to
  the one before: ``hash = sha256(prev_hash + canonical_json(content))`` with
  ``content = {seq, time, analyst, action, record_id, layer, change}`` and
  ``canonical_json`` as in `canonical_json`; the first entry's ``prev_hash`` is
  64 zeros. Anyone can recompute it with a few lines of code. An entry written
  from a case names it inside its change, and in ``history.case_id``: a case's
  page lists its own entries and those of no case, not other cases'.
- ``files/<sha256>``: each imported file exactly as received, named by its
  content, never rewritten, with a ``files`` row saying who handed it in, when,
  and under which name; in the data folder, or in another folder or an
  S3-compatible bucket that ``GEO_FILES_URL`` names. Every read re-hashes it.

`Store.verify` checks the chain, replays the history backwards against the
records table (so an edit made with a raw SQL tool shows up), checks each
``layers`` and ``files`` row against the history entry that made it, each
record's case and owner and each entry's case against what the chain says, and
re-hashes every kept file. A hash chain kept in the same database is not a
signature: someone who rewrites the whole chain consistently, or removes its
last entries with care, is not caught. Keep the latest hash (`Store.latest`;
every export's manifest carries it) outside the store, e.g. in a report, and
look it up later with `Store.find_entry` (``python -m geo verify --expect``).

Hostile data stays data: a records row that cannot be read back as a record
is left out by `Store.records` and listed by `Store.damaged`, never raised, so
one bad row cannot hide the rest or the integrity check. Reading never
creates a store (`Store.open_existing`), and a store this user may not write
is read without writing a byte (``read_only``).

The modules, one concern each:

- `store`: the `Store` facade; checks input, opens transactions, delegates.
- `validate`: what a record, a name or an import must be to be kept.
- `rows`: a record as a document (what history hashes) and as a table row.
- `chain`: hashing, reading and checking the history chain (pure).
- `verify`: the integrity check over the tables' rows (pure).
- `files`: kept copies of imported files, named by SHA-256, in a folder;
  `bucket`: the same in an S3-compatible bucket.
- `relocate`: moving a whole store elsewhere unchanged (``python -m geo migrate``).
- `members`: team mode: each case's members and the role checks every write
  makes in its transaction (the rules are `geo.access`'s).
- `tables`, `schema`, `migrate`, `connection`: all that speaks SQL (SQLAlchemy
  Core); `migrations/`: the layout's Alembic revisions, run when a store opens.
- `folder`: where a store lives; `errors`: what it raises.
"""

from geo.errors import StoreError, StoreNotFound
from geo.records import EDITABLE_FIELDS, MAX_NAME_LENGTH
from geo.store.chain import (
    GENESIS_HASH,
    MIN_HASH_PREFIX,
    RECORD_BY,
    Action,
    Comment,
    FoundEntry,
    HistoryEntry,
    HistoryHead,
    canonical_json,
    entry_hash,
    entry_note,
    left_out,
)
from geo.store.connection import BUSY_TIMEOUT_S, ENV_DATABASE_URL
from geo.store.files import ENV_FILES_URL
from geo.store.folder import DB_NAME, ENV_DATA_DIR, FILES_DIR, default_data_dir
from geo.store.members import Member
from geo.store.migrate import SCHEMA_VERSION
from geo.store.rows import DamagedRow
from geo.store.store import ImportReceipt, Store
from geo.store.tables import FileInfo, LayerInfo
from geo.store.validate import MAX_COMMENT_LENGTH, MAX_FILE_NAME_LENGTH

__all__ = [
    "BUSY_TIMEOUT_S",
    "DB_NAME",
    "EDITABLE_FIELDS",
    "ENV_DATABASE_URL",
    "ENV_DATA_DIR",
    "ENV_FILES_URL",
    "FILES_DIR",
    "GENESIS_HASH",
    "MAX_COMMENT_LENGTH",
    "MAX_FILE_NAME_LENGTH",
    "MAX_NAME_LENGTH",
    "MIN_HASH_PREFIX",
    "RECORD_BY",
    "SCHEMA_VERSION",
    "Action",
    "Comment",
    "DamagedRow",
    "FileInfo",
    "FoundEntry",
    "HistoryEntry",
    "HistoryHead",
    "ImportReceipt",
    "LayerInfo",
    "Member",
    "Store",
    "StoreError",
    "StoreNotFound",
    "canonical_json",
    "default_data_dir",
    "entry_hash",
    "entry_note",
    "left_out",
]
