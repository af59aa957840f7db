"""The researcher's own evidence: drawn annotations and imported layers, in SQLite.

Several Streamlit sessions (threads) and processes may write at once, so every
operation opens its own connection, and every write transaction starts with
``BEGIN IMMEDIATE``: in WAL mode a plain ``BEGIN`` that reads and then writes
fails with "database is locked" when another writer commits in between,
whatever the busy timeout (see KNOWN-PITFALLS.md). ``synchronous=FULL``
because an acknowledged save of evidence must survive a power cut.

What the store keeps, and why:

- ``records``: the current state, what the map shows. A deleted record is only
  marked deleted, so its id is never reused and the history stays unambiguous.
- ``history``: an append-only log of every change, each entry hash-chained to
  the one before: ``hash = sha256(prev_hash + canonical_json(content))`` with
  ``content = {seq, time, analyst, action, record_id, layer, change}`` and
  ``canonical_json`` as in `canonical_json` below; the first entry's
  ``prev_hash`` is 64 zeros. Anyone can recompute it with a few lines of code.
- ``files/<sha256>``: each imported file exactly as received, named by its
  content, never rewritten, with a ``files`` row saying who handed it in, when,
  and under which name.

`Store.verify` checks the chain, replays the history backwards against the
records table (so an edit made with a raw SQL tool shows up), checks each
``layers`` and ``files`` row against the history entry that made it, and
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
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import os
import sqlite3
import tempfile
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NamedTuple, cast

from geo.dates import parse_date
from geo.durable import fsync_dir
from geo.errors import DataError, GeoError, Problem
from geo.geojson import geometry_problems
from geo.records import CASE_LAYER_NAME, RESERVED_LAYER_NAMES, LayerRecord, RecordKind

SCHEMA_VERSION: Final = 1
DB_NAME: Final = "store.sqlite3"
FILES_DIR: Final = "files"
ENV_DATA_DIR: Final = "GEO_DATA_DIR"
MAX_NAME_LENGTH: Final = 200  # ids, layer names, analysts
MAX_FILE_NAME_LENGTH: Final = 1000
BUSY_TIMEOUT_S: Final = 10.0
GENESIS_HASH: Final = "0" * 64

# Fields an edit may change; id and layer are fixed for a record's life so the
# history of a record and of a layer can be followed by name.
EDITABLE_FIELDS: Final = ("name", "kind", "geometry", "properties", "date", "date_as_stated")
_RECORD_FIELDS: Final = ("id", "layer", *EDITABLE_FIELDS)

_SCHEMA: Final = (
    """
    CREATE TABLE files (
        id          INTEGER PRIMARY KEY,
        sha256      TEXT    NOT NULL CHECK (length(sha256) = 64),
        size        INTEGER NOT NULL CHECK (size >= 0),
        file_name   TEXT    NOT NULL,
        received_at TEXT    NOT NULL,
        layer       TEXT    NOT NULL UNIQUE,
        analyst     TEXT    NOT NULL
    )
    """,
    """
    CREATE TABLE layers (
        id         INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL UNIQUE,
        name_key   TEXT    NOT NULL UNIQUE,
        created_at TEXT    NOT NULL,
        file_id    INTEGER REFERENCES files(id)
    )
    """,
    """
    CREATE TABLE records (
        pk             INTEGER PRIMARY KEY,
        id             TEXT    NOT NULL UNIQUE,
        layer          TEXT    NOT NULL REFERENCES layers(name),
        kind           TEXT    NOT NULL,
        name           TEXT    NOT NULL,
        geometry       TEXT    NOT NULL,
        properties     TEXT    NOT NULL,
        date           TEXT,
        date_as_stated TEXT,
        deleted_at     TEXT
    )
    """,
    "CREATE INDEX records_by_layer ON records(layer, pk)",
    # AUTOINCREMENT so that sqlite_sequence remembers the highest entry ever
    # written: removing the last entries of the chain then still shows.
    """
    CREATE TABLE history (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        time      TEXT    NOT NULL,
        analyst   TEXT    NOT NULL,
        action    TEXT    NOT NULL CHECK (action IN ('create', 'edit', 'delete', 'import')),
        record_id TEXT,
        layer     TEXT    NOT NULL,
        change    TEXT    NOT NULL,
        prev_hash TEXT    NOT NULL,
        hash      TEXT    NOT NULL
    )
    """,
    # Guards against a slip in code or in a SQL shell; a deliberate tamperer can
    # drop them, which verify() reports.
    """
    CREATE TRIGGER history_no_update BEFORE UPDATE ON history
    BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END
    """,
    """
    CREATE TRIGGER history_no_delete BEFORE DELETE ON history
    BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END
    """,
)
_GUARDS: Final = ("history_no_update", "history_no_delete")


class StoreError(GeoError):
    """The store cannot do what was asked: unknown record, name taken, damaged store."""


class StoreNotFound(StoreError, FileNotFoundError):
    """There is no store where one was expected; a reading command never creates one."""


class Action(enum.StrEnum):
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    IMPORT = "import"


@dataclass(frozen=True)
class ImportReceipt:
    layer: str
    count: int
    sha256: str
    size: int
    file_name: str
    received_at: str  # UTC, ISO 8601


@dataclass(frozen=True)
class LayerInfo:
    name: str
    count: int  # current records, deleted ones not counted
    file_sha256: str | None  # None for a layer drawn by hand (annotations)
    file_name: str | None
    created_at: str


@dataclass(frozen=True)
class FileInfo:
    sha256: str
    size: int
    file_name: str  # as the analyst's file was called
    received_at: str
    layer: str
    analyst: str


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    time: str
    analyst: str
    action: Action | str  # text only if the row was changed outside the store
    record_id: str | None  # None for an import
    layer: str
    # create/delete: {"record": ...}; edit: {"changes": {field: {"before", "after"}}};
    # import: {"count", "file": {sha256, size, name, received_at}, "records_sha256"}
    change: dict[str, Any]
    prev_hash: str
    hash: str


class HistoryHead(NamedTuple):
    seq: int  # the latest entry's number
    hash: str  # its hash, to note outside the store
    entries: int  # how many entries there are: seq, unless entries were removed


class FoundEntry(NamedTuple):
    entry: HistoryEntry
    later: int  # how many entries came after it


_HISTORY_COLUMNS: Final = "seq, time, analyst, action, record_id, layer, change, prev_hash, hash"
MIN_HASH_PREFIX: Final = 12  # 48 bits: no two entries of one store share it by chance


def _history_entry(row: Sequence[Any]) -> HistoryEntry:
    seq, time, analyst, action, record_id, layer, change, prev_hash, hash_ = row
    try:
        parsed = json.loads(change)
    except ValueError:
        parsed = {"unreadable": change}  # verify() says so; the log stays viewable
    # An action no version writes (the row was changed outside the store) is kept as
    # its text: verify() reports it, and the log stays viewable.
    known = Action(action) if action in Action._value2member_map_ else str(action)
    return HistoryEntry(seq, time, analyst, known, record_id, layer, parsed, prev_hash, hash_)


def _check_schema(db_path: Path, version: int) -> None:
    """Refuse a store of a schema this version cannot read."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{db_path} was made by a newer version of the explorer "
            f"(schema {version}; this one reads {SCHEMA_VERSION})"
        )
    if version != SCHEMA_VERSION:
        raise StoreError(f"{db_path}: no migration from schema {version}")


def _hash_prefix(expected: object) -> str:
    text = expected.strip().lower() if isinstance(expected, str) else ""
    if not (MIN_HASH_PREFIX <= len(text) <= 64 and all(c in "0123456789abcdef" for c in text)):
        raise DataError(
            Problem(
                f"{expected!r} is not a history hash: give its 64 hex digits, or at least "
                f"the first {MIN_HASH_PREFIX}",
                field="expect",
            )
        )
    return text


class _Unset(enum.Enum):
    UNSET = "unset"


_UNSET: Final = _Unset.UNSET


def canonical_json(value: Any) -> str:
    """The one serialisation that is stored and hashed: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
    )


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def default_data_dir() -> Path:
    """``$GEO_DATA_DIR`` if set, else ``geo-data/`` in the repository (ignored by git)."""
    configured = os.environ.get(ENV_DATA_DIR, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path(__file__).resolve().parent.parent / "geo-data"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- validation at the boundary -------------------------------------------------------


def _is_unicode(text: str) -> bool:
    # Lone surrogates pass as str but cannot be written to SQLite or hashed as UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _name_problem(
    value: object,
    what: str,
    *,
    field: str | None = None,
    record: str | None = None,
    limit: int = MAX_NAME_LENGTH,
) -> Problem | None:
    def problem(message: str) -> Problem:
        return Problem(f"{what} {message}", record=record, field=field)

    if not isinstance(value, str):
        return problem(f"must be text, not {type(value).__name__}")
    if not value.strip():
        return problem("is empty")
    if len(value) > limit:
        return problem(f"is {len(value)} characters long; at most {limit} are allowed")
    if not _is_unicode(value) or any(unicodedata.category(c) == "Cc" for c in value):
        return problem("contains control characters or invalid Unicode")
    return None


def _checked_analyst(analyst: object) -> str:
    problem = _name_problem(analyst, "the analyst's name", field="analyst")
    if problem is not None:
        raise DataError(problem)
    return cast(str, analyst).strip()


def _checked_id(record_id: object) -> str:
    problem = _name_problem(record_id, "the record id", field="id")
    if problem is not None:
        raise DataError(problem)
    return cast(str, record_id)


def _json_problem(value: object) -> str | None:
    """Why `value` cannot be kept as JSON that reads back equal, or None."""
    if not isinstance(value, dict):
        return f"must be a JSON object (dict), not {type(value).__name__}"
    try:
        text = canonical_json(value)
    except ValueError as exc:  # NaN, infinity, circular reference
        return f"cannot be stored as JSON: {exc} (NaN and infinity are not JSON)"
    except (TypeError, RecursionError) as exc:
        return f"cannot be stored as JSON: {exc}"
    if not _is_unicode(text):
        return "contains invalid Unicode (a lone surrogate)"
    if json.loads(text) != value:
        return (
            "would not read back as given: JSON keys are text and sequences are lists "
            "(a tuple or a number used as a key would change)"
        )
    return None


def _field_problems(field: str, value: object) -> list[str]:
    if field in ("id", "layer"):
        what = "the record id" if field == "id" else "the layer name"
        problem = _name_problem(value, what)
        return [problem.message] if problem else []
    if field == "kind":
        if isinstance(value, str) and value in RecordKind._value2member_map_:
            return []
        choices = ", ".join(k.value for k in RecordKind)
        return [f"kind must be one of {choices}, not {value!r}"]
    if field == "name":
        if not isinstance(value, str) or not _is_unicode(value):
            return [f"the name must be text, not {type(value).__name__}"]
        return []
    if field in ("geometry", "properties"):
        problem = _json_problem(value)
        if problem:
            return [f"{field} {problem}"]
        return _geometry_problems(cast(dict[str, Any], value)) if field == "geometry" else []
    if field == "date":
        if value is None:
            return []
        if not isinstance(value, str):
            return [f"the date must be text or None, not {type(value).__name__}"]
        try:
            parsed = parse_date(value)
        except DataError as exc:
            return [problem.message for problem in exc.problems]
        if parsed.text != value:
            return [f"the date {value!r} has spaces around it; give {parsed.text!r}"]
        return []
    if field == "date_as_stated":
        if value is None or (isinstance(value, str) and _is_unicode(value)):
            return []
        return [f"date_as_stated must be text or None, not {type(value).__name__}"]
    raise AssertionError(field)


def _geometry_problems(geometry: dict[str, Any]) -> list[str]:
    # What every importer and the drawing tool check: the map and the exports rely on
    # it, so a record is never kept, or read back, without it.
    if geometry.get("coordinates") == []:
        return ["the geometry has no coordinates"]
    return [f"the geometry is not valid GeoJSON: {m}" for m in geometry_problems(geometry)]


def _record_problems(record: object, file: str | None = None) -> list[Problem]:
    if not isinstance(record, LayerRecord):
        return [Problem(f"expected a LayerRecord, not {type(record).__name__}", file=file)]
    label = record.id if isinstance(record.id, str) and record.id.strip() else None
    return [
        Problem(message, file=file, record=label, field=field)
        for field in _RECORD_FIELDS
        for message in _field_problems(field, getattr(record, field))
    ]


def _doc(record: LayerRecord) -> dict[str, Any]:
    """A validated record as plain JSON values: what history keeps and hashes."""
    return {
        "id": record.id,
        "layer": record.layer,
        "kind": RecordKind(record.kind).value,
        "name": record.name,
        "geometry": record.geometry,
        "properties": record.properties,
        "date": record.date,
        "date_as_stated": record.date_as_stated,
    }


def _from_doc(doc: dict[str, Any]) -> LayerRecord:
    return LayerRecord(
        id=doc["id"],
        layer=doc["layer"],
        kind=RecordKind(doc["kind"]),
        name=doc["name"],
        geometry=doc["geometry"],
        properties=doc["properties"],
        date=doc["date"],
        date_as_stated=doc["date_as_stated"],
    )


def _row(doc: dict[str, Any]) -> tuple[Any, ...]:
    return (
        doc["id"],
        doc["layer"],
        doc["kind"],
        doc["name"],
        canonical_json(doc["geometry"]),
        canonical_json(doc["properties"]),
        doc["date"],
        doc["date_as_stated"],
    )


_COLUMN_ORDER: Final = (
    "id",
    "layer",
    "kind",
    "name",
    "geometry",
    "properties",
    "date",
    "date_as_stated",
)
_RECORD_COLUMNS: Final = ", ".join(_COLUMN_ORDER)


@dataclass(frozen=True)
class DamagedRow:
    """A row of the records table that cannot be read back as a record: changed
    outside the store, or damaged on disk. `Store.records` leaves it out."""

    record_id: str  # as stored; the repr() of it if it is not text
    layer: str  # likewise
    reason: str  # what is wrong, in words

    def __str__(self) -> str:
        return f"record {_shown(self.record_id)} in layer {self.layer!r} is damaged: {self.reason}"


def _shown(text: str) -> str:
    """`text` as is if it prints as itself, else its repr: a value from a damaged row
    may hold terminal control characters."""
    return text if text.isprintable() else repr(text)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _read_json(text: object) -> Any:
    if not isinstance(text, str):
        raise TypeError(f"it is stored as {type(text).__name__}, not as text")
    try:
        # json.loads accepts NaN and Infinity, which the store never writes.
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise ValueError("it is nested too deeply") from exc


def _read_row(row: Sequence[Any]) -> tuple[dict[str, Any], list[str]]:
    """A records row (in `_RECORD_COLUMNS` order) as a document, and what keeps it from
    being read back as a record (nothing if it can be).

    JSON that cannot be read stays as its text in the document, so that the history
    replay in `verify` still finds the row and says it differs."""
    doc = dict(zip(_COLUMN_ORDER, row[:8], strict=True))
    reasons = []
    for field in _COLUMN_ORDER:
        if isinstance(doc[field], bytes):  # a BLOB, which only a raw SQL write makes
            reasons.append(f"{field} is stored as bytes, not as text")
            doc[field] = repr(doc[field])  # JSON, for the replay, and never what history holds
            continue
        if field in ("geometry", "properties"):
            try:
                doc[field] = value = _read_json(doc[field])
            except (ValueError, TypeError) as exc:
                reasons.append(f"{field} is not readable JSON ({exc})")
                continue
            # Read from JSON text without NaN, it writes back the same: the type is all
            # that is left of _json_problem to check (and the round trip would be slow).
            if not isinstance(value, dict):
                reasons.append(f"{field} must be a JSON object (dict), not {type(value).__name__}")
            elif field == "geometry":
                reasons += _geometry_problems(value)
            continue
        reasons += _field_problems(field, doc[field])
    return doc, reasons


def _damaged(doc: dict[str, Any], reasons: list[str]) -> DamagedRow:
    def text(value: object) -> str:
        return value if isinstance(value, str) else repr(value)

    return DamagedRow(text(doc["id"]), text(doc["layer"]), "; ".join(reasons))


_NO_LAYER_ROW: Final = "its layer has no row in the layers table"
# A records query's last column: whether the record's layer has its row.
_LAYER_KNOWN: Final = "layer IN (SELECT name FROM layers)"


def _records_digest(docs: list[dict[str, Any]]) -> str:
    return hashlib.sha256(canonical_json(docs).encode("utf-8")).hexdigest()


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _short(sha256: str) -> str:
    return f"{sha256[:12]}…"


def _can_write(folder: Path) -> bool:
    """Whether SQLite may write here: the database and, for its -wal and -shm files, the
    folder. (Root may write anything except on read-only media, which access() reports.)"""
    return os.access(folder, os.W_OK) and os.access(folder / DB_NAME, os.W_OK)


def _no_store_message(folder: Path) -> str:
    files_dir = folder / FILES_DIR
    with contextlib.suppress(OSError):
        kept = sum(1 for path in files_dir.iterdir() if not path.name.startswith("."))
        if kept:
            return (
                f"no store at {folder}: the database {DB_NAME} is missing, but {files_dir} "
                f"holds {kept} kept file{'s' if kept != 1 else ''}; restore the database "
                "from a backup (nothing was created)"
            )
    return (
        f"no store at {folder}: nothing has been imported there, or {ENV_DATA_DIR} "
        "is mistyped (nothing was created)"
    )


# --- the store ------------------------------------------------------------------------


@dataclass(frozen=True)
class Store:
    """A folder holding ``store.sqlite3`` and ``files/``. Safe to share between threads
    and processes: it holds no connection, each operation opens its own."""

    data_dir: Path
    # Reads only, and writes nothing at all, not even SQLite's -wal and -shm files: for a
    # store on read-only media or in a folder this user may not write. See _read_only_uri.
    read_only: bool = False

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """Open the store in `data_dir`, creating the folder, database and schema if new.

        An existing store that this user may not write is opened read-only: it can be
        read and verified, and every write raises StoreError."""
        folder = Path(data_dir).expanduser().resolve()
        if (folder / DB_NAME).is_file() and not _can_write(folder):
            return cls.open_existing(folder)
        store = cls(folder)
        try:
            # Private by default: the evidence may name witnesses and places to protect.
            store.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            store.files_dir.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {store.data_dir}: {exc}") from exc
        with store._session(create=True) as conn:
            # journal_mode is a property of the database file, set once here.
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(
                    f"{store.db_path}: SQLite could not use WAL mode here (got {mode!r}); "
                    "is the folder on a network drive?"
                )
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version == 0:
                    for statement in _SCHEMA:
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                else:
                    _check_schema(store.db_path, version)
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        return store

    @classmethod
    def open_existing(cls, data_dir: Path, *, read_only: bool = False) -> Store:
        """Open the store in `data_dir` without creating anything: for reading commands,
        which must not answer "intact" about an empty store they just made.

        Raises StoreNotFound if there is no database there. The store is read-only if
        `read_only` is given or this user may not write its folder or database."""
        folder = Path(data_dir).expanduser().resolve()
        db_path = folder / DB_NAME
        if not db_path.is_file():
            raise StoreNotFound(_no_store_message(folder))
        store = cls(folder, read_only=read_only or not _can_write(folder))
        with store._session() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            raise StoreError(
                f"{db_path} is not an evidence store (it has no tables): was it created by "
                "another program, or emptied?"
            )
        _check_schema(db_path, version)
        return store

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    @property
    def files_dir(self) -> Path:
        return self.data_dir / FILES_DIR

    def file_path(self, sha256: str) -> Path:
        """Where the kept copy of an imported file is; refuses a hash no import kept."""
        if not (
            isinstance(sha256, str)
            and len(sha256) == 64
            and all(c in "0123456789abcdef" for c in sha256)
        ):
            raise DataError(Problem(f"{sha256!r} is not a SHA-256 (64 lowercase hex digits)"))
        with self._session() as conn:
            known = conn.execute("SELECT 1 FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        if not known:
            raise StoreError(f"no imported file has SHA-256 {sha256}")
        return self.files_dir / sha256

    # --- connections and transactions ---

    def _read_only_uri(self) -> str:
        """Where a read-only connection goes, such that it writes no file at all.

        SQLite's WAL mode keeps its index in a -shm file beside the database; a plain
        ``mode=ro`` connection creates the -shm and -wal files, and fails where the
        folder is not writable ("attempt to write a readonly database"). With no -wal
        file there are no changes outside the database file, so ``immutable=1`` reads
        that file alone and locks nothing. With a -wal file (a writer is connected, or
        one was killed), ignoring it would read an older state, so the connection goes
        through the existing -wal and -shm files; SQLite reads those read-only."""
        wal = self.db_path.with_name(DB_NAME + "-wal")
        uri = f"{self.db_path.absolute().as_uri()}?mode=ro"
        return uri if wal.exists() else uri + "&immutable=1"

    @contextlib.contextmanager
    def _session(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        # mode=rw: an operation on a store whose folder was moved must fail, not
        # quietly start an empty store.
        if create:
            target = str(self.db_path)
        elif self.read_only:
            target = self._read_only_uri()
        else:
            target = f"{self.db_path.absolute().as_uri()}?mode=rw"
        try:
            conn = sqlite3.connect(
                target, timeout=BUSY_TIMEOUT_S, isolation_level=None, uri=not create
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.db_path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"the store {self.db_path} failed: {exc}{self._hint()}") from exc
        finally:
            conn.close()

    def _hint(self) -> str:
        if self.read_only and self.db_path.with_name(DB_NAME + "-wal").exists():
            return (
                f" (the store is read-only here, and its {DB_NAME}-wal file holds changes "
                "that SQLite reads only with its -shm file, which it cannot create here: copy "
                "the whole folder somewhere writable and read it there)"
            )
        return ""

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        self._refuse_if_read_only()
        with self._session() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                self._before_commit()
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Several reads from one snapshot, unaffected by writers meanwhile."""
        with self._session() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise StoreError(
                f"the store {self.data_dir} is read-only here (opened read-only, or its folder "
                "or database cannot be written by this user): nothing was changed"
            )

    def _before_commit(self) -> None:
        """Runs inside every write transaction just before COMMIT. Tests override it to
        fail or to be killed there; it does nothing in use."""

    # --- history ---

    def _append(
        self,
        conn: sqlite3.Connection,
        *,
        time: str,
        analyst: str,
        action: Action,
        record_id: str | None,
        layer: str,
        change: dict[str, Any],
    ) -> None:
        # Inside BEGIN IMMEDIATE: no other writer can append between this read and the insert.
        last = conn.execute("SELECT seq, hash FROM history ORDER BY seq DESC LIMIT 1").fetchone()
        high = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'history'").fetchone()
        seq = max(last[0] if last else 0, high[0] if high else 0) + 1
        prev_hash = last[1] if last else GENESIS_HASH
        content = {
            "seq": seq,
            "time": time,
            "analyst": analyst,
            "action": action.value,
            "record_id": record_id,
            "layer": layer,
            "change": change,
        }
        conn.execute(
            "INSERT INTO history (seq, time, analyst, action, record_id, layer, change,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                time,
                analyst,
                action.value,
                record_id,
                layer,
                canonical_json(change),
                prev_hash,
                entry_hash(prev_hash, content),
            ),
        )

    def revision(self) -> str:
        """A cache key that changes with every write: the last history entry's seq and hash."""
        with self._session() as conn:
            row = conn.execute("SELECT seq, hash FROM history ORDER BY seq DESC LIMIT 1").fetchone()
        return f"{row[0]}:{row[1][:16]}" if row else "0"

    def history(self) -> list[HistoryEntry]:
        """Every change ever made, oldest first, including those to deleted records."""
        with self._session() as conn:
            rows = conn.execute(f"SELECT {_HISTORY_COLUMNS} FROM history ORDER BY seq").fetchall()
        return [_history_entry(row) for row in rows]

    def latest(self) -> HistoryHead | None:
        """The latest history entry's number and hash, and the number of entries; None
        while the history is empty. Kept outside the store (a report, an export's
        manifest), the hash anchors the store: see `find_entry`."""
        with self._read() as conn:
            row = conn.execute("SELECT seq, hash FROM history ORDER BY seq DESC LIMIT 1").fetchone()
            count = conn.execute("SELECT count(*) FROM history").fetchone()[0]
        return HistoryHead(row[0], row[1], count) if row else None

    def find_entry(self, expected: str) -> FoundEntry | None:
        """The history entry whose hash is `expected` (its 64 hex digits, or at least
        the first 12), and how many entries came after it; None if no entry has it.

        None means the store is behind the hash (entries were removed after it was
        noted) or is another store; a found entry with later entries means the store
        went on after the hash was noted, which is fine. DataError if `expected` is not
        such a hash or names more than one entry."""
        prefix = _hash_prefix(expected)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_HISTORY_COLUMNS} FROM history WHERE substr(hash, 1, ?) = ? ORDER BY seq",
                (len(prefix), prefix),
            ).fetchall()
            if len(rows) > 1:
                seqs = ", ".join(str(row[0]) for row in rows)
                raise DataError(
                    Problem(
                        f"the hash {prefix} starts the hashes of entries {seqs}: give more digits",
                        field="expect",
                    )
                )
            if not rows:
                return None
            later = conn.execute(
                "SELECT count(*) FROM history WHERE seq > ?", (rows[0][0],)
            ).fetchone()[0]
        return FoundEntry(_history_entry(rows[0]), later)

    # --- layers ---

    def _ensure_layer(self, conn: sqlite3.Connection, name: str, time: str) -> None:
        found = conn.execute(
            "SELECT name FROM layers WHERE name_key = ?", (name.casefold(),)
        ).fetchone()
        if found is None:
            conn.execute(
                "INSERT INTO layers (name, name_key, created_at) VALUES (?, ?, ?)",
                (name, name.casefold(), time),
            )
        elif found[0] != name:
            # Two layers differing only in case would look like one in the layer control.
            raise StoreError(f"a layer named {found[0]!r} exists; use that name, not {name!r}")

    def _refuse_taken_layer(self, conn: sqlite3.Connection, name: str) -> None:
        found = conn.execute(
            "SELECT name FROM layers WHERE name_key = ?", (name.casefold(),)
        ).fetchone()
        if found is not None:
            same = "" if found[0] == name else " (names differ only in case)"
            raise StoreError(
                f"a layer named {found[0]!r} already exists{same}; choose another name for the "
                "import (nothing was imported)"
            )

    def layers(self) -> list[LayerInfo]:
        """Every layer, in the order created, with its current record count and source file."""
        with self._session() as conn:
            rows = conn.execute(
                """
                SELECT l.name,
                       (SELECT count(*) FROM records r
                         WHERE r.layer = l.name AND r.deleted_at IS NULL),
                       f.sha256, f.file_name, l.created_at
                  FROM layers l LEFT JOIN files f ON f.id = l.file_id
                 ORDER BY l.id
                """
            ).fetchall()
        return [LayerInfo(*row) for row in rows]

    def files(self) -> list[FileInfo]:
        """Every imported file kept, in the order received."""
        with self._session() as conn:
            rows = conn.execute(
                "SELECT sha256, size, file_name, received_at, layer, analyst FROM files ORDER BY id"
            ).fetchall()
        return [FileInfo(*row) for row in rows]

    # --- records ---

    def records(self, layer: str | None = None) -> list[LayerRecord]:
        """Current (not deleted) records, in the order they were added.

        A row that cannot be read back as a record is left out, never raised: one
        damaged row must not hide the others or the integrity check. `damaged` lists
        those rows."""
        return self._current(layer)[0]

    def damaged(self, layer: str | None = None) -> list[DamagedRow]:
        """The current (not deleted) rows that `records` leaves out, and why."""
        return self._current(layer)[1]

    def _current(self, layer: str | None) -> tuple[list[LayerRecord], list[DamagedRow]]:
        query = f"SELECT {_RECORD_COLUMNS}, {_LAYER_KNOWN} FROM records WHERE deleted_at IS NULL"
        params: tuple[str, ...] = ()
        if layer is not None:
            query += " AND layer = ?"
            params = (layer,)
        with self._session() as conn:
            rows = conn.execute(query + " ORDER BY pk", params).fetchall()
        records, damaged = [], []
        for row in rows:
            doc, reasons = _read_row(row)
            if not row[8]:
                reasons.append(_NO_LAYER_ROW)
            if reasons:
                damaged.append(_damaged(doc, reasons))
            else:
                records.append(_from_doc(doc))
        return records, damaged

    def _current_doc(self, conn: sqlite3.Connection, record_id: str) -> dict[str, Any]:
        row = conn.execute(
            f"SELECT {_RECORD_COLUMNS}, deleted_at, {_LAYER_KNOWN} FROM records WHERE id = ?",
            (record_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"there is no record with id {record_id!r}")
        if row[8] is not None:
            raise StoreError(f"record {record_id!r} was deleted at {row[8]}")
        doc, reasons = _read_row(row)
        if not row[9]:
            reasons.append(_NO_LAYER_ROW)
        if reasons:
            raise StoreError(f"{_damaged(doc, reasons)}; run verify")
        return doc

    def get(self, record_id: str) -> LayerRecord:
        """The current state of one record; StoreError if unknown or deleted."""
        record_id = _checked_id(record_id)
        with self._session() as conn:
            return _from_doc(self._current_doc(conn, record_id))

    def add(self, record: LayerRecord, *, analyst: str) -> LayerRecord:
        """Keep a new record (an id is made if it has none); returns it as stored."""
        who = _checked_analyst(analyst)
        if isinstance(record, LayerRecord) and record.id == "":
            record = replace(record, id=_new_id("ann"))
        problems = _record_problems(record)
        if not problems and record.layer.strip().casefold() == CASE_LAYER_NAME:
            problems = [
                Problem(
                    f"the layer name {record.layer.strip()!r} is reserved for the case's own "
                    "records: choose another name",
                    record=record.id,
                    field="layer",
                )
            ]
        if problems:
            raise DataError(problems)
        doc = _doc(record)
        with self._write() as conn:
            # The time is read holding the write lock, so history order is time order.
            time = _now()
            taken = conn.execute(
                "SELECT deleted_at FROM records WHERE id = ?", (doc["id"],)
            ).fetchone()
            if taken is not None:
                gone = " (a deleted record had it; ids are never reused)" if taken[0] else ""
                raise StoreError(f"a record with id {doc['id']!r} already exists{gone}")
            self._ensure_layer(conn, doc["layer"], time)
            conn.execute(
                f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                _row(doc),
            )
            self._append(
                conn,
                time=time,
                analyst=who,
                action=Action.CREATE,
                record_id=doc["id"],
                layer=doc["layer"],
                change={"record": doc},
            )
        return _from_doc(doc)

    def edit(
        self,
        record_id: str,
        *,
        analyst: str,
        name: str | _Unset = _UNSET,
        kind: RecordKind | str | _Unset = _UNSET,
        geometry: dict[str, Any] | _Unset = _UNSET,
        properties: dict[str, Any] | _Unset = _UNSET,
        date: str | _Unset | None = _UNSET,
        date_as_stated: str | _Unset | None = _UNSET,
    ) -> LayerRecord:
        """Change the given fields only; the history keeps each one's before and after.

        Giving a field its current value changes nothing and writes no history entry."""
        who = _checked_analyst(analyst)
        record_id = _checked_id(record_id)
        given = {
            field: value
            for field, value in zip(
                EDITABLE_FIELDS,
                (name, kind, geometry, properties, date, date_as_stated),
                strict=True,
            )
            if value is not _UNSET
        }
        if not given:
            raise DataError(Problem("nothing to change: give at least one field", record=record_id))
        problems = [
            Problem(message, record=record_id, field=field)
            for field, value in given.items()
            for message in _field_problems(field, value)
        ]
        if problems:
            raise DataError(problems)
        if "kind" in given:
            given["kind"] = RecordKind(given["kind"]).value
        with self._write() as conn:
            time = _now()
            before = self._current_doc(conn, record_id)
            after = {**before, **given}
            changes = {
                field: {"before": before[field], "after": after[field]}
                for field in given
                if canonical_json(before[field]) != canonical_json(after[field])
            }
            if not changes:
                return _from_doc(before)
            row = _row(after)
            conn.execute(
                "UPDATE records SET kind = ?, name = ?, geometry = ?, properties = ?, date = ?,"
                " date_as_stated = ? WHERE id = ?",
                (*row[2:], record_id),
            )
            self._append(
                conn,
                time=time,
                analyst=who,
                action=Action.EDIT,
                record_id=record_id,
                layer=before["layer"],
                change={"changes": changes},
            )
        return _from_doc(after)

    def delete(self, record_id: str, *, analyst: str) -> None:
        """Remove a record from the map; the history keeps it as it was."""
        who = _checked_analyst(analyst)
        record_id = _checked_id(record_id)
        with self._write() as conn:
            time = _now()
            doc = self._current_doc(conn, record_id)
            conn.execute("UPDATE records SET deleted_at = ? WHERE id = ?", (time, record_id))
            self._append(
                conn,
                time=time,
                analyst=who,
                action=Action.DELETE,
                record_id=record_id,
                layer=doc["layer"],
                change={"record": doc},
            )

    # --- imports ---

    def _keep_file(self, sha256: str, data: bytes) -> None:
        final = self.files_dir / sha256
        if final.exists():
            # Same bytes imported before: the copy already kept is the evidence; never
            # replace it, but do not build on a copy that no longer matches its name.
            if _file_digest(final) != (sha256, len(data)):
                raise StoreError(
                    f"the kept copy {final} no longer matches its SHA-256; run verify() and "
                    "restore it from a backup before importing this file again"
                )
            return
        fd, tmp_name = tempfile.mkstemp(
            dir=self.files_dir, prefix=f".{sha256[:16]}-", suffix=".partial"
        )
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.chmod(0o444)
            try:
                # link, unlike replace, fails if the name exists: two imports of the
                # same bytes at once never rewrite each other's copy.
                os.link(tmp, final)
            except FileExistsError:
                pass
            except OSError:  # a filesystem without hard links
                if not final.exists():
                    os.replace(tmp, final)
            fsync_dir(self.files_dir)
        finally:
            tmp.unlink(missing_ok=True)

    def import_layer(
        self,
        layer: str,
        records: list[LayerRecord],
        *,
        analyst: str,
        file_name: str,
        file_bytes: bytes,
    ) -> ImportReceipt:
        """Import `records` as the new layer `layer` and keep `file_bytes` as received.

        All or nothing: the records, the file's row and the history entry commit in
        one transaction. Records without an id get one; every record gets `layer`.
        """
        self._refuse_if_read_only()  # before the file is kept, not only at the transaction
        who = _checked_analyst(analyst)
        problems = [
            problem
            for problem in (
                _name_problem(layer, "the layer name", field="layer"),
                _name_problem(
                    file_name, "the file name", field="file_name", limit=MAX_FILE_NAME_LENGTH
                ),
            )
            if problem is not None
        ]
        if isinstance(layer, str) and layer.strip().casefold() in RESERVED_LAYER_NAMES:
            # a layer named "case" lost its records from exports and broke the map; one
            # named "Annotations" took over the drawing layer
            problems.append(
                Problem(
                    f"the layer name {layer.strip()!r} is reserved for the case's own records "
                    "and for your drawings: choose another name",
                    field="layer",
                )
            )
        if not isinstance(records, list):
            problems.append(Problem("records must be a list of LayerRecord", field="records"))
        if not isinstance(file_bytes, (bytes, bytearray, memoryview)):
            problems.append(Problem("the file's content must be bytes", field="file_bytes"))
        if problems:
            raise DataError(problems)
        source = file_name if isinstance(file_name, str) else None
        prepared: list[LayerRecord] = []
        for record in records:
            if isinstance(record, LayerRecord):
                record = replace(record, layer=layer, id=record.id or _new_id("imp"))
            problems.extend(_record_problems(record, source))
            prepared.append(record)
        seen: set[str] = set()
        for record in prepared:
            if isinstance(record, LayerRecord) and isinstance(record.id, str):
                if record.id in seen:
                    problems.append(
                        Problem("the id is used twice in this file", source, record.id, "id")
                    )
                seen.add(record.id)
        if problems:
            raise DataError(problems)
        docs = [_doc(record) for record in prepared]
        rows = [_row(doc) for doc in docs]
        data = bytes(file_bytes)
        sha256 = hashlib.sha256(data).hexdigest()

        # Refuse a taken name before keeping the file; checked again inside the transaction.
        with self._session() as conn:
            self._refuse_taken_layer(conn, layer)
        try:
            self._keep_file(sha256, data)
        except OSError as exc:
            raise StoreError(f"cannot keep a copy of {file_name!r}: {exc}") from exc
        # A failure from here leaves the kept copy without a files row: harmless, and
        # reused if the same bytes are imported again.

        with self._write() as conn:
            received_at = _now()
            self._refuse_taken_layer(conn, layer)
            ids = [doc["id"] for doc in docs]
            taken = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                taken += conn.execute(
                    f"SELECT id FROM records WHERE id IN ({marks})", chunk
                ).fetchall()
            if taken:
                raise DataError(
                    [
                        Problem("a record with this id is already in the store", source, i, "id")
                        for (i,) in taken
                    ]
                )
            file_id = conn.execute(
                "INSERT INTO files (sha256, size, file_name, received_at, layer, analyst)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (sha256, len(data), file_name, received_at, layer, who),
            ).lastrowid
            conn.execute(
                "INSERT INTO layers (name, name_key, created_at, file_id) VALUES (?, ?, ?, ?)",
                (layer, layer.casefold(), received_at, file_id),
            )
            conn.executemany(
                f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            self._append(
                conn,
                time=received_at,
                analyst=who,
                action=Action.IMPORT,
                record_id=None,
                layer=layer,
                change={
                    "count": len(docs),
                    "file": {
                        "sha256": sha256,
                        "size": len(data),
                        "name": file_name,
                        "received_at": received_at,
                    },
                    "records_sha256": _records_digest(docs),
                },
            )
        return ImportReceipt(layer, len(docs), sha256, len(data), file_name, received_at)

    # --- integrity ---

    def backup(self, path: Path) -> None:
        """A consistent copy of the database (not of files/, whose copies never change),
        taken with SQLite's online backup while others may be writing."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            with self._session() as source:
                target = sqlite3.connect(tmp, isolation_level=None)
                try:
                    source.backup(target)
                finally:
                    target.close()
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)  # never a half-written backup under the final name
            fsync_dir(path.parent)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot back up the store to {path}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)

    def verify(self) -> list[str]:
        """Check the history chain; the records, layers and files rows against the
        history; and every kept file.

        Returns what is wrong, in words; an empty list means intact. The chain cannot
        show that its last entries were removed with care: compare `latest` with a hash
        noted outside the store (`find_entry`)."""
        with self._read() as conn:
            history = conn.execute(
                "SELECT seq, time, analyst, action, record_id, layer, change, prev_hash, hash"
                " FROM history ORDER BY seq"
            ).fetchall()
            high = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'history'").fetchone()
            records = conn.execute(
                f"SELECT {_RECORD_COLUMNS}, deleted_at FROM records ORDER BY pk"
            ).fetchall()
            layers = conn.execute(
                "SELECT name, name_key, created_at, file_id FROM layers ORDER BY id"
            ).fetchall()
            files = conn.execute(
                "SELECT id, sha256, size, file_name, received_at, layer, analyst"
                " FROM files ORDER BY id"
            ).fetchall()
            guards = {
                name
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            }
            check = [row[0] for row in conn.execute("PRAGMA quick_check")]
        problems = [] if check == ["ok"] else [f"database: {line}" for line in check]
        problems += [
            f"history: the guard {name} was removed, so the log is no longer append-only"
            for name in _GUARDS
            if name not in guards
        ]
        entries, chain_problems = _check_chain(history, high[0] if high else 0)
        problems += chain_problems
        problems += _check_records(entries, records, {row[0] for row in layers})
        problems += _check_layers(entries, layers, files)
        problems += self._check_files(entries, files)
        return problems

    def _check_files(self, entries: list[_Entry], files: list[Sequence[Any]]) -> list[str]:
        problems = []
        imports = {
            (entry.change["file"].get("sha256"), entry.layer): entry
            for entry in entries
            if entry.action == Action.IMPORT and isinstance(entry.change.get("file"), dict)
        }
        checked: dict[str, str | None] = {}
        for _, sha256, size, file_name, received_at, layer, analyst in files:
            found = imports.pop((sha256, layer), None)
            if found is None:
                problems.append(
                    f"file {_short(sha256)} ({file_name}): no history entry imported it "
                    f"as layer {layer!r}"
                )
            else:
                kept = found.change["file"]
                # The analyst who handed the file in is the one who signed the import.
                if (kept.get("size"), kept.get("name"), kept.get("received_at"), found.analyst) != (
                    size,
                    file_name,
                    received_at,
                    analyst,
                ):
                    problems.append(
                        f"file {_short(sha256)} ({file_name}): its row differs from history "
                        f"entry {found.seq}"
                    )
            if sha256 not in checked:
                checked[sha256] = self._check_kept_copy(sha256, size)
            if checked[sha256]:
                problems.append(f"file {_short(sha256)} ({file_name}): {checked[sha256]}")
        for entry in imports.values():
            problems.append(
                f"history entry {entry.seq}: the file {_short(entry.change['file']['sha256'])} "
                "it imported has no row in the files table"
            )
        return problems

    def _check_kept_copy(self, sha256: str, size: int) -> str | None:
        path = self.files_dir / sha256
        if not path.is_file():
            return "missing"
        try:
            actual, actual_size = _file_digest(path)
        except OSError as exc:
            return f"cannot be read: {exc}"
        if actual != sha256:
            return f"content changed (SHA-256 is now {_short(actual)})"
        if actual_size != size:
            return f"size is {actual_size} bytes, not {size}"
        return None


class _Entry(NamedTuple):
    """A history entry whose change could be read, as the checks need it."""

    seq: int
    action: str
    record_id: str | None
    layer: str
    change: dict[str, Any]
    time: str
    analyst: str


def _check_chain(history: list[Sequence[Any]], high: int) -> tuple[list[_Entry], list[str]]:
    """Problems with the hash chain, and the readable entries."""
    problems = []
    entries = []
    expected, prev_seq, prev_hash = 1, 0, GENESIS_HASH
    for seq, time, analyst, action, record_id, layer, change_text, stored_prev, stored in history:
        if seq != expected:
            gap = f"entry {expected}" if seq == expected + 1 else f"entries {expected} to {seq - 1}"
            problems.append(f"history: {gap} missing (deleted?)")
        try:
            change = json.loads(change_text)
        except ValueError:
            change = None
        if not isinstance(change, dict):
            problems.append(f"history entry {seq}: its change is not readable")
        else:
            content = {
                "seq": seq,
                "time": time,
                "analyst": analyst,
                "action": action,
                "record_id": record_id,
                "layer": layer,
                "change": change,
            }
            if entry_hash(stored_prev, content) != stored:
                problems.append(
                    f"history entry {seq}: hash does not match its content (edited after the fact?)"
                )
            entries.append(_Entry(seq, action, record_id, layer, change, time, analyst))
        if stored_prev != prev_hash:
            if prev_seq == 0:
                problems.append(f"history entry {seq}: prev_hash is not the start of the chain")
            else:
                problems.append(f"history entry {seq}: prev_hash does not match entry {prev_seq}")
        expected, prev_seq, prev_hash = seq + 1, seq, stored
    if high > prev_seq:
        problems.append(
            f"history: ends at entry {prev_seq}, but entries up to {high} were written "
            "(the last entries were removed?)"
        )
    return entries, problems


def _check_records(
    entries: list[_Entry], rows: list[Sequence[Any]], layer_names: set[str]
) -> list[str]:
    """Undo the history, newest first, on the records table; every step must fit.

    What remains must be nothing: a record no entry created, or a value no entry
    set, was written around the store. A row that cannot be read as a record is
    named first, with the reason."""
    problems = []
    state: dict[str, dict[str, Any]] = {}
    deleted: dict[str, str | None] = {}  # when each record was deleted, None if it is not
    for row in rows:
        doc, reasons = _read_row(row)
        if doc["layer"] not in layer_names:
            reasons.append(_NO_LAYER_ROW)
        if reasons:
            problems.append(str(_damaged(doc, reasons)))
        state[doc["id"]] = doc
        deleted[doc["id"]] = row[8]
    for entry in reversed(entries):
        try:
            problems += _undo(entry, state, deleted)
        except (AttributeError, KeyError, TypeError) as exc:
            # Only a change rewritten by hand has another shape; its hash says so too.
            problems.append(f"history entry {entry.seq}: its change has an unexpected shape: {exc}")
    problems += [f"record {rid}: no history entry created it" for rid in state]
    return problems


def _check_layers(
    entries: list[_Entry], layers: list[Sequence[Any]], files: list[Sequence[Any]]
) -> list[str]:
    """Each layers row against the history entry that created the layer: the first one
    naming it (an import, or the first record drawn in it), at whose time it was made."""
    outside = "(changed outside the store?)"
    creators: dict[str, _Entry] = {}
    for entry in entries:
        creators.setdefault(entry.layer, entry)
    files_by_id = {row[0]: row for row in files}
    problems = []
    for name, name_key, created_at, file_id in layers:
        entry = creators.pop(name, None)
        if entry is None:
            problems.append(
                f"layer {name!r}: no history entry created it (added or renamed outside the store?)"
            )
            continue
        if not isinstance(name, str) or name_key != name.casefold():
            # the key keeps two layers differing only in case apart
            problems.append(f"layer {name!r}: its case-blind key is {name_key!r} {outside}")
        if created_at != entry.time:
            problems.append(
                f"layer {name!r}: made at {created_at}, but history entry {entry.seq} made it "
                f"at {entry.time} {outside}"
            )
        if entry.action == Action.IMPORT:
            imported = entry.change.get("file")
            sha256 = imported.get("sha256") if isinstance(imported, dict) else None
            linked = files_by_id.get(file_id)
            if linked is None or (linked[1], linked[5]) != (sha256, name):
                problems.append(
                    f"layer {name!r}: not linked to the file history entry {entry.seq} "
                    f"imported for it {outside}"
                )
        elif file_id is not None:
            problems.append(
                f"layer {name!r}: linked to an imported file, but history entry {entry.seq} "
                f"made it for a drawn record {outside}"
            )
    problems += [
        f"layer {name!r}: history entry {entry.seq} made it, but it has no row in the layers "
        "table (removed or renamed outside the store?)"
        for name, entry in creators.items()
    ]
    return problems


def _undo(
    entry: _Entry, state: dict[str, dict[str, Any]], deleted: dict[str, str | None]
) -> list[str]:
    """Undo one entry on `state`, saying where the state does not fit it."""
    seq, action, rid, layer, change, time, _ = entry
    outside = "(changed outside the store?)"
    if action == Action.IMPORT:
        # Records added to this layer later were already undone, so what is left of
        # it is what the import brought in, in the order it was inserted.
        ids = [i for i, doc in state.items() if doc["layer"] == layer]
        docs = [state.pop(i) for i in ids]
        problems = []
        if any([deleted.pop(i) is not None for i in ids]):
            problems.append(f"layer {layer!r}: a record is marked deleted without history")
        if len(docs) != change["count"] or _records_digest(docs) != change["records_sha256"]:
            problems.append(
                f"layer {layer!r}: its records differ from what history entry {seq} imported "
                f"and later entries changed {outside}"
            )
        return problems
    if rid not in state:
        return [f"history entry {seq}: record {rid} is not in the store"]
    if action == Action.DELETE:
        problems = []
        if deleted[rid] is None:
            problems.append(f"record {rid}: history entry {seq} deleted it, but it is not deleted")
        elif deleted[rid] != time:
            problems.append(
                f"record {rid}: marked deleted at {deleted[rid]}, but history entry {seq} "
                f"deleted it at {time} {outside}"
            )
        deleted[rid] = None
        if canonical_json(state[rid]) != canonical_json(change["record"]):
            problems.append(f"record {rid}: not what history entry {seq} deleted {outside}")
        return problems
    if action == Action.EDIT:
        problems = []
        for field, values in change["changes"].items():
            if canonical_json(state[rid].get(field)) != canonical_json(values["after"]):
                problems.append(
                    f"record {rid}: {field} is not what history entry {seq} set {outside}"
                )
            state[rid][field] = values["before"]
        return problems
    # create
    problems = []
    doc = state.pop(rid)
    if deleted.pop(rid) is not None:
        problems.append(f"record {rid}: marked deleted, but no history entry deleted it")
    if canonical_json(doc) != canonical_json(change["record"]):
        problems.append(
            f"record {rid}: differs from what history entry {seq} created and later entries "
            f"changed {outside}"
        )
    return problems
