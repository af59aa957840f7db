"""The `Store` facade: each public operation checks its input, opens a connection
and a transaction, and calls the modules that know the tables, the chain, the
rows and the kept files.

The database is SQLite in the data folder, or PostgreSQL with PostGIS when
``GEO_DATABASE_URL`` names one (a team's shared store); kept files are in the data
folder's ``files/``, or where ``GEO_FILES_URL`` says (a folder, or an S3-compatible
bucket)."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, cast

import shapely
from shapely.geometry import shape
from sqlalchemy import Connection

from geo.access import (
    AccessDenied,
    Actor,
    Identity,
    Role,
    Signer,
    assign_refusal,
    comment_refusal,
)
from geo.bulk import collection_paused
from geo.errors import DataError, Problem, SkippedRecord, StoreError, StoreNotFound
from geo.geojson import bounds_problems
from geo.records import EDITABLE_FIELDS, Kind, LayerRecord
from geo.store import changes, connection, members, migrate, tables
from geo.store.chain import (
    Comment,
    FoundEntry,
    HistoryEntry,
    HistoryHead,
    comment_of,
    hash_prefix,
    history_entry,
)
from geo.store.files import FolderFiles, KeptFiles, files_url_from_env, is_sha256, kept_files
from geo.store.folder import DB_NAME, FILES_DIR, can_write, no_store_message
from geo.store.members import Member
from geo.store.rows import DamagedRow, current_records, to_row
from geo.store.tables import FileInfo, LayerInfo
from geo.store.validate import (
    change_problems,
    checked_analyst,
    checked_comment,
    checked_id,
    import_problems,
    imported_records_problems,
    new_record_problems,
    skipped_problems,
)
from geo.store.verify import unnamed_files, verify_snapshot


@dataclass(frozen=True)
class ImportReceipt:
    layer: str
    count: int
    sha256: str
    size: int
    file_name: str
    received_at: str  # UTC, ISO 8601
    skipped: int = 0  # records of the file left out at the analyst's choice


class _Unset(enum.Enum):
    UNSET = "unset"


_UNSET: Final = _Unset.UNSET


def _database_url(given: str | None) -> str:
    """The PostgreSQL URL to use, as SQLAlchemy takes it; "" for SQLite."""
    url = connection.database_url_from_env() if given is None else given.strip()
    return connection.server_url(url) if url else ""


def _files_url(given: str | None) -> str:
    """Where the kept files are (see `kept_files`): "" for the data folder's files/."""
    return files_url_from_env() if given is None else given.strip()


def _refuse_unsigned(analyst: Signer) -> None:
    """A typed name must be a name; an identity is checked in the write's transaction."""
    if not isinstance(analyst, Actor):
        checked_analyst(analyst)


def _case_of_write(analyst: Signer, case_id: str | None) -> str | None:
    """The case a new record belongs to: a signed-in actor's own case (the one its role
    is checked on), which must be the store's case (`case_id`) if it has one, or the
    store's case with a typed name; None: of no case, shown on every case (a store not
    opened for a case, as before cases were recorded)."""
    if isinstance(analyst, Actor):
        if case_id is not None and case_id != analyst.case_id:
            raise AccessDenied(
                f"you are working on the case {analyst.case_id!r}, not {case_id!r} "
                "(nothing was changed)"
            )
        return analyst.case_id
    return case_id


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Store:
    """A folder holding ``store.sqlite3`` and ``files/``, or a PostgreSQL database and
    the folder's ``files/``; the kept files may be elsewhere (`files_url`). Safe to
    share between threads and processes: it holds no connection, each operation takes
    its own (from a pool on PostgreSQL)."""

    data_dir: Path
    # Reads only, and writes nothing at all, not even SQLite's -wal and -shm files: for a
    # store on read-only media or in a folder this user may not write. See
    # geo.store.connection.read_only_uri.
    read_only: bool = False
    # A PostgreSQL database's URL (GEO_DATABASE_URL); "" for SQLite in `data_dir`.
    database_url: str = ""
    # Where the kept files are (GEO_FILES_URL): a folder, or s3://bucket/prefix; "" for
    # files/ in `data_dir`.
    files_url: str = ""
    # Team mode (geo.access): every write is signed by a signed-in identity whose role
    # on its case allows it, checked inside the write's transaction.
    team: bool = False
    # The case (its case.yaml's id) this store is seen from (`for_case`): its records
    # and those of no case are read; what is written belongs to it. None: every case's
    # records are read, and what is written belongs to no case.
    case_id: str | None = None

    def for_case(self, case_id: str) -> Store:
        """This store as the case `case_id` sees it: its own records and those made
        before cases were recorded; each new record and layer belongs to the case."""
        if not isinstance(case_id, str) or not case_id.strip():
            raise DataError(Problem(f"{case_id!r} is not a case's id", field="case"))
        if self.read_only:
            self._refuse_layout_before_cases()
        return replace(self, case_id=case_id)

    def _refuse_layout_before_cases(self) -> None:
        """A read-only store is not brought to the newest layout on open: one older than
        the layout that ties records and history entries to their case cannot be seen
        from a case. StoreError saying what can be done with it."""
        with self._read() as conn:
            current = migrate.revision(conn, self.where)
        if current is not None and current < migrate.CASES_REVISION:
            raise StoreError(
                f"the store {self.where} is read-only here and was made by an older version "
                f"of the explorer (revision {current}; a case's view needs revision "
                f"{migrate.CASES_REVISION}): `python -m geo verify` checks it as it is; to see "
                "it in the page, copy its folder where you may write and open the copy "
                "(the copy is brought up to date, its history unchanged)"
            )

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        database_url: str | None = None,
        files_url: str | None = None,
        team: bool = False,
    ) -> Store:
        """Open the store in `data_dir`, creating the folder, database and schema if new,
        and bringing an existing store's tables to the newest layout.

        `database_url` (default: ``$GEO_DATABASE_URL``) names a PostgreSQL database to
        hold the tables instead of SQLite in `data_dir`. An existing SQLite store that
        this user may not write is opened read-only: it can be read and verified, and
        every write raises StoreError. `files_url` (default: ``$GEO_FILES_URL``) says
        where the kept files are instead of ``files/`` in `data_dir`. With `team`, writes
        need a signed-in identity (`geo.access.Actor`) whose role on its case allows them."""
        folder = Path(data_dir).expanduser().resolve()
        url = _database_url(database_url)
        files = _files_url(files_url)
        if not url and (folder / DB_NAME).is_file() and not can_write(folder):
            return cls.open_existing(folder, files_url=files)
        store = cls(folder, database_url=url, files_url=files, team=team)
        try:
            # Private by default: the evidence may name witnesses and places to protect.
            store.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            if isinstance(store.kept, FolderFiles):
                store.kept.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {store.data_dir}: {exc}") from exc
        with store._session(create=True) as conn, connection.write_transaction(conn):
            migrate.upgrade(conn, store.where)
        return store

    @classmethod
    def open_existing(
        cls,
        data_dir: Path,
        *,
        read_only: bool = False,
        database_url: str | None = None,
        files_url: str | None = None,
    ) -> Store:
        """Open the store in `data_dir` (or in the database `database_url`, default
        ``$GEO_DATABASE_URL``) without creating anything: for reading commands, which
        must not answer "intact" about an empty store they just made.

        Raises StoreNotFound if there is no store there. A SQLite store is read-only if
        `read_only` is given or this user may not write its folder or database."""
        folder = Path(data_dir).expanduser().resolve()
        url = _database_url(database_url)
        files = _files_url(files_url)
        if url:
            store = cls(folder, read_only=read_only, database_url=url, files_url=files)
            with store._read() as conn:
                if migrate.revision(conn, store.where) is None:
                    raise StoreNotFound(
                        f"no store in the database {store.where}: nothing has been imported "
                        f"there, or {connection.ENV_DATABASE_URL} is mistyped (nothing was "
                        "created)"
                    )
            return store
        if not (folder / DB_NAME).is_file():
            raise StoreNotFound(no_store_message(folder))
        store = cls(folder, read_only=read_only or not can_write(folder), files_url=files)
        with store._read() as conn:
            migrate.check_existing(conn, store.where)
        return store

    @property
    def where(self) -> str:
        """The database, for messages: its file, or its URL without the password."""
        return connection.shown_url(self.database_url) if self.database_url else str(self.db_path)

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    @property
    def files_dir(self) -> Path:
        """The data folder's ``files/``: where the kept files are unless `files_url`
        names another place."""
        return self.data_dir / FILES_DIR

    @property
    def kept(self) -> KeptFiles:
        """Where the kept files are: `files_dir`, or the place `files_url` names."""
        return kept_files(self.files_url, self.files_dir)

    def _refuse_unknown_file(self, sha256: str) -> None:
        if not is_sha256(sha256):
            raise DataError(Problem(f"{sha256!r} is not a SHA-256 (64 lowercase hex digits)"))
        with self._session() as conn:
            known = tables.is_kept(conn, sha256)
        if not known:
            raise StoreError(f"no imported file has SHA-256 {sha256}")

    def read_file(self, sha256: str) -> bytes:
        """The kept copy of an imported file, as received: StoreError if no import kept
        it, or if the copy no longer matches its SHA-256."""
        self._refuse_unknown_file(sha256)
        return self.kept.read(sha256)

    def file_path(self, sha256: str) -> Path:
        """Where the kept copy of an imported file is, for files kept in a folder;
        refuses a hash no import kept. Prefer `read_file`, which checks the copy."""
        self._refuse_unknown_file(sha256)
        kept = self.kept
        if not isinstance(kept, FolderFiles):
            raise StoreError(f"the kept files are in {kept.where}, not in a folder")
        return kept.folder / sha256

    # --- connections and transactions ---

    def _session(self, *, create: bool = False) -> contextlib.AbstractContextManager[Connection]:
        return connection.session(
            self.db_path, self.database_url, create=create, read_only=self.read_only
        )

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One atomic write: everything inside commits together or not at all."""
        self._refuse_if_read_only()
        with self._session() as conn, connection.write_transaction(conn, self._before_commit):
            yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """Several reads from one snapshot, unaffected by writers meanwhile."""
        with self._session() as conn, connection.read_transaction(conn):
            yield conn

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

    def revision(self) -> str:
        """A cache key that changes with every write: the last history entry's seq and hash."""
        with self._session() as conn:
            last = tables.last_entry(conn)
        return f"{last[0]}:{last[1][:16]}" if last else "0"

    def history(self, newest: int | None = None, skip: int = 0) -> list[HistoryEntry]:
        """Every change ever made, oldest first, including those to deleted records; for
        a store opened for a case (`for_case`), those made in that case and those of no
        case (made before cases were recorded, or outside any case), not another case's.

        With `newest`, a page of it: the `newest` entries before the latest `skip`
        (still oldest first), read without reading the rest."""
        with self._session() as conn:
            rows = tables.history_rows(conn, newest, skip, self.case_id)
        return [history_entry(row) for row in rows]

    def history_count(self) -> int:
        """How many entries `history` lists: every entry, or for a store opened for a
        case that case's and those of no case. `latest` counts the whole chain."""
        with self._session() as conn:
            return tables.history_count(conn, self.case_id)

    def latest(self) -> HistoryHead | None:
        """The latest history entry's number and hash, and the number of entries; None
        while the history is empty. Kept outside the store (a report, an export's
        manifest), the hash anchors the store: see `find_entry`. The whole chain's,
        every case's entries, even for a store opened for a case (`history_count`
        counts what its `history` lists)."""
        with self._read() as conn:
            last = tables.last_entry(conn)
            count = tables.history_count(conn)
        return HistoryHead(last[0], last[1], count) if last else None

    def find_entry(self, expected: str) -> FoundEntry | None:
        """The history entry whose hash is `expected` (its 64 hex digits, or at least
        the first 12), and how many entries came after it; None if no entry has it.

        None means the store is behind the hash (entries were removed after it was
        noted) or is another store; a found entry with later entries means the store
        went on after the hash was noted, which is fine. DataError if `expected` is not
        such a hash or names more than one entry."""
        prefix = hash_prefix(expected)
        with self._read() as conn:
            rows = tables.entries_starting(conn, prefix)
            if len(rows) > 1:
                seqs = ", ".join(str(row.seq) for row in rows)
                raise DataError(
                    Problem(
                        f"the hash {prefix} starts the hashes of entries {seqs}: give more digits",
                        field="expect",
                    )
                )
            if not rows:
                return None
            later = tables.entries_after(conn, rows[0].seq)
        return FoundEntry(history_entry(rows[0]), later)

    # --- layers and files ---

    def layers(self, *, of_case: bool = False) -> list[LayerInfo]:
        """Every layer, in the order created, with its current record count and source
        file: a layer's name is the store's, whatever the case (a new layer's name
        must be free among them all). With `of_case`, for a store opened for a case,
        the layers holding records that case shows (its own, and those of no case),
        each counting those records only."""
        with self._session() as conn:
            return tables.layer_infos(conn, self.case_id if of_case else None)

    def files(self) -> list[FileInfo]:
        """Every imported file kept, in the order received."""
        with self._session() as conn:
            return tables.file_infos(conn)

    # --- records ---

    def records(self, layer: str | None = None) -> list[LayerRecord]:
        """Current (not deleted) records, in the order they were added; for a store
        opened for a case (`for_case`), those the case shows: its own, and those made
        before cases were recorded.

        A row that cannot be read back as a record is left out, never raised: one
        damaged row must not hide the others or the integrity check. `damaged` lists
        those rows."""
        return self.read_current(layer)[0]

    def records_in(self, west: float, south: float, east: float, north: float) -> list[LayerRecord]:
        """Current records whose geometry meets the box (degrees, EPSG:4326), in the
        order added: on PostgreSQL the spatial index on their positions answers; on
        SQLite each record's geometry is tested. DataError for a box that is not one
        (a box across the antimeridian is not supported)."""
        problems = bounds_problems([west, south, east, north], "a box")
        if problems:
            raise DataError([Problem(problem, field="bbox") for problem in problems])
        bbox = (float(west), float(south), float(east), float(north))
        with collection_paused(), self._session() as conn:
            rows = tables.current_rows(conn, None, bbox, self.case_id)
        found = current_records(rows)[0]
        if self.database_url:
            return found
        box = shapely.box(*bbox)
        return [record for record in found if shape(record.geometry).intersects(box)]

    def damaged(self, layer: str | None = None) -> list[DamagedRow]:
        """The current (not deleted) rows that `records` leaves out, and why."""
        return self.read_current(layer)[1]

    def read_current(self, layer: str | None = None) -> tuple[list[LayerRecord], list[DamagedRow]]:
        """`records` and `damaged` from one read of the table."""
        with collection_paused():  # tens of thousands of records, none garbage
            with self._session() as conn:
                rows = tables.current_rows(conn, layer, case_id=self.case_id)
            return current_records(rows)

    def get(self, record_id: str) -> LayerRecord:
        """The current state of one record; StoreError if unknown or deleted."""
        record_id = checked_id(record_id)
        with self._session() as conn:
            return LayerRecord.from_checked(tables.current_doc(conn, record_id))

    def add(self, record: LayerRecord, *, analyst: Signer) -> LayerRecord:
        """Keep a new record (an id is made if it has none) of the store's case
        (`for_case`); returns it as stored.

        `analyst` signs it: a typed name, or in team mode a signed-in `Actor` whose
        role on the case lets it add records (AccessDenied otherwise); the record then
        belongs to the actor's case. A layer an import made in another case takes no
        new record (StoreError)."""
        _refuse_unsigned(analyst)
        case_id = _case_of_write(analyst, self.case_id)
        if isinstance(record, LayerRecord) and record.id == "":
            record = replace(record, id=_new_id("ann"))
        problems = new_record_problems(record)
        if problems:
            raise DataError(problems)
        doc = record.to_dict()
        with self._write() as conn:
            who = members.signed(conn, analyst, team=self.team)
            changes.create(conn, doc, analyst=who.analyst, owner=who.owner, case_id=case_id)
        return LayerRecord.from_checked(doc)

    def edit(
        self,
        record_id: str,
        *,
        analyst: Signer,
        name: str | _Unset = _UNSET,
        kind: Kind | str | _Unset = _UNSET,
        geometry: dict[str, Any] | _Unset = _UNSET,
        properties: dict[str, Any] | _Unset = _UNSET,
        date: str | _Unset | None = _UNSET,
        date_as_stated: str | _Unset | None = _UNSET,
    ) -> LayerRecord:
        """Change the given fields only; the history keeps each one's before and after.

        Giving a field its current value changes nothing and writes no history entry.
        In team mode an analyst edits only their own records, a lead any (AccessDenied
        otherwise); an edit of another's record names both in its history entry."""
        _refuse_unsigned(analyst)
        record_id = checked_id(record_id)
        given: dict[str, object] = {
            field: value
            for field, value in zip(
                EDITABLE_FIELDS,
                (name, kind, geometry, properties, date, date_as_stated),
                strict=True,
            )
            if value is not _UNSET
        }
        problems = change_problems(record_id, given)
        if problems:
            raise DataError(problems)
        if "kind" in given:
            given["kind"] = Kind(cast(str, given["kind"])).value  # checked above
        with self._write() as conn:
            who = members.signed(conn, analyst, team=self.team)
            members.refuse_other_case(conn, record_id, self.case_id)
            record_by = members.check_edit(conn, who, record_id)
            after = changes.edit(
                conn,
                record_id,
                given,
                analyst=who.analyst,
                record_by=record_by,
                case_id=self._case_of_change(conn, analyst, record_id),
            )
        return LayerRecord.from_checked(after)

    def delete(self, record_id: str, *, analyst: Signer) -> None:
        """Remove a record from the map; the history keeps it as it was. The same rules
        as `edit` in team mode."""
        _refuse_unsigned(analyst)
        record_id = checked_id(record_id)
        with self._write() as conn:
            who = members.signed(conn, analyst, team=self.team)
            members.refuse_other_case(conn, record_id, self.case_id)
            record_by = members.check_edit(conn, who, record_id)
            changes.delete(
                conn,
                record_id,
                analyst=who.analyst,
                record_by=record_by,
                case_id=self._case_of_change(conn, analyst, record_id),
            )

    # --- comments ---

    def comment(self, record_id: str, text: str, *, analyst: Signer) -> Comment:
        """Keep a comment on the record `record_id`, as a history entry; returns it.

        The record may be the store's or the case's own (read from its folder, which
        the store does not hold: its id is enough); a deleted record takes no comments.
        In team mode an analyst or a lead of the case may comment on anyone's record
        (AccessDenied otherwise). DataError for an empty or too long comment."""
        _refuse_unsigned(analyst)
        record_id = checked_id(record_id)
        text = checked_comment(text)
        with self._write() as conn:
            who = members.signed(conn, analyst, team=self.team, rule=comment_refusal)
            time = changes.comment(
                conn,
                record_id,
                text,
                analyst=who.analyst,
                case_id=self._case_of_change(conn, analyst, record_id),
            )
            seq = tables.last_entry(conn)
        assert seq is not None  # the entry was just written
        return Comment(seq[0], time, who.analyst, text)

    def comments(self, record_id: str) -> list[Comment]:
        """The comments on the record, oldest first; for a store opened for a case, those
        made in it and those of no case (a comment on a record of a case's own files
        is listed only in the case it was made in)."""
        with self._session() as conn:
            rows = tables.comment_rows(conn, record_id, self.case_id)
        return [comment_of(history_entry(row)) for row in rows]

    def comments_by_record(self) -> dict[str, list[Comment]]:
        """The comments on each record that has any, oldest first, read at once: what
        an export carries (`comments` is one record's); for a store opened for a case,
        those its page lists."""
        with self._session() as conn:
            rows = tables.every_comment_row(conn, self.case_id)
        found: dict[str, list[Comment]] = {}
        for row in rows:
            entry = history_entry(row)
            if entry.record_id is not None:
                found.setdefault(entry.record_id, []).append(comment_of(entry))
        return found

    def _case_of_change(self, conn: Connection, analyst: Signer, record_id: str) -> str | None:
        """The case an edit, deletion or comment of `record_id` is made in, as its entry
        names it: the store's (`for_case`), else a signed-in actor's, else the record's
        own (None for a record of no case, or one the store does not hold)."""
        if self.case_id is not None:
            return self.case_id
        if isinstance(analyst, Actor):
            return analyst.case_id
        return members.made_in(conn, record_id)[1]

    # --- imports ---

    def import_layer(
        self,
        layer: str,
        records: list[LayerRecord],
        *,
        analyst: Signer,
        file_name: str,
        file_bytes: bytes,
        skipped: Sequence[SkippedRecord] = (),
    ) -> ImportReceipt:
        """Import `records` as the new layer `layer` of the store's case (`for_case`; an
        `Actor`'s own case in team mode) and keep `file_bytes` as received.

        All or nothing: the records, the file's row and the history entry commit in
        one transaction. Records without an id get one; every record gets `layer`.
        `skipped` are the file's records the analyst chose to leave out (see
        `geo.formats.read_upload`'s ``skip_bad``): the history entry lists them, with
        why, so the entry says what of the file was imported and what was not.
        """
        self._refuse_if_read_only()  # before the file is kept, not only at the transaction
        _refuse_unsigned(analyst)
        case_id = _case_of_write(analyst, self.case_id)
        problems = import_problems(layer, records, file_name, file_bytes)
        problems += skipped_problems(skipped)
        if problems:
            raise DataError(problems)
        source = file_name if isinstance(file_name, str) else None
        prepared: list[LayerRecord] = [
            replace(record, layer=layer, id=record.id or _new_id("imp"))
            if isinstance(record, LayerRecord)
            else record
            for record in records
        ]
        problems = imported_records_problems(prepared, source)
        if problems:
            raise DataError(problems)
        docs = [record.to_dict() for record in prepared]
        rows = [to_row(doc) for doc in docs]
        data = bytes(file_bytes)
        sha256 = hashlib.sha256(data).hexdigest()

        # Refuse a taken name, or a signer who may not import, before keeping the file;
        # both are checked again inside the transaction.
        with self._read() as conn:
            tables.refuse_taken_layer(conn, layer)
            members.signed(conn, analyst, team=self.team, bind=False)
        try:
            self.kept.keep(sha256, data)
        except OSError as exc:
            raise StoreError(f"cannot keep a copy of {file_name!r}: {exc}") from exc
        # A failure from here leaves the kept copy without a files row: harmless, and
        # reused if the same bytes are imported again.

        with self._write() as conn:
            who = members.signed(conn, analyst, team=self.team)
            received_at = changes.import_layer(
                conn,
                layer=layer,
                docs=docs,
                rows=rows,
                source=source,
                sha256=sha256,
                size=len(data),
                file_name=file_name,
                analyst=who.analyst,
                owner=who.owner,
                case_id=case_id,
                skipped=[record.to_dict() for record in skipped],
            )
        return ImportReceipt(
            layer, len(docs), sha256, len(data), file_name, received_at, len(skipped)
        )

    # --- records made before cases were recorded ---

    def assign_layer(self, layer: str, *, analyst: Signer) -> list[str]:
        """Give the records of no case in `layer` (made before cases were recorded,
        shown on every case, "all cases" on the page) to the store's case (`for_case`),
        as one history entry listing them; returns their ids. Other cases no longer
        show them.

        In team mode only a lead of the case may (AccessDenied otherwise, checked in
        the write's transaction). StoreError, with nothing changed, for a store not
        opened for a case, an unknown layer, a layer with no such records, or an
        imported layer whose records are another case's."""
        _refuse_unsigned(analyst)
        if self.case_id is None:
            raise StoreError(
                "say which case the records are given to (the store is not opened for a "
                "case): nothing was changed"
            )
        case_id = _case_of_write(analyst, self.case_id)
        assert case_id is not None  # the store's case
        if not isinstance(layer, str) or not layer.strip():
            raise DataError(Problem(f"{layer!r} is not a layer's name", field="layer"))
        with self._write() as conn:
            who = members.signed(conn, analyst, team=self.team, rule=assign_refusal)
            return changes.assign(conn, layer=layer, case_id=case_id, analyst=who.analyst)

    # --- members (team mode) ---

    def role(self, case_id: str, identity: Identity) -> Role | None:
        """The identity's role on the case; None if it is not a member."""
        with self._session() as conn:
            return members.role_of(conn, case_id, identity)

    def owner(self, record_id: str) -> str | None:
        """The identity (`geo.access.Identity.key`) that made the record in team mode;
        None if it was made otherwise, or there is no such record."""
        return self.made_in(record_id)[0]

    def made_in(self, record_id: str) -> tuple[str | None, str | None]:
        """The record's owner (as `owner`) and the case it belongs to (None: made before
        cases were recorded, shown on every case; or no such record)."""
        with self._session() as conn:
            return members.made_in(conn, record_id)

    def members(self, case_id: str) -> list[Member]:
        """The case's members, by e-mail."""
        with self._session() as conn:
            return members.case_members(conn, case_id)

    def set_member(self, case_id: str, email: str, role: Role, *, by: Actor | None) -> None:
        """Add a member to the case by e-mail, or change a member's role. `by` must lead
        the case (AccessDenied otherwise); None is an administrator (the command line,
        with the database's credentials). A case's only lead stays lead. The history
        notes each change: who gave whom which role."""
        with self._write() as conn:
            members.set_member(conn, case_id, email, Role(role), by=by, time=changes.now())

    def remove_member(self, case_id: str, email: str, *, by: Actor | None) -> None:
        """Remove a member from the case; the same rules as `set_member`."""
        with self._write() as conn:
            members.remove_member(conn, case_id, email, by=by, time=changes.now())

    # --- integrity ---

    def backup(self, path: Path) -> None:
        """A consistent copy of the database (not of files/, whose copies never change),
        taken with SQLite's online backup while others may be writing."""
        if self.database_url:
            raise StoreError(
                f"the store {self.where} is on a PostgreSQL server: back it up with the "
                "server's tools (pg_dump), and the files folder with it"
            )
        connection.backup(self.db_path, Path(path), read_only=self.read_only)

    def verify(self) -> list[str]:
        """Check the history chain; the records, layers and files rows against the
        history; and every kept file.

        Returns what is wrong, in words; an empty list means intact. The chain cannot
        show that its last entries were removed with care: compare `latest` with a hash
        noted outside the store (`find_entry`)."""
        with self._read() as conn:
            snapshot = tables.read_snapshot(conn)
        return verify_snapshot(snapshot, self.kept.problem)

    def unnamed_files(self) -> list[str]:
        """Kept files that no import names. Not a fault on its own: an import that
        failed or was stopped keeps its file (it is written before the import commits);
        but history entries removed with care leave theirs too, so `verify` reports
        them as notes."""
        with self._read() as conn:
            files = tables.read_snapshot(conn).files
        return unnamed_files(files, self.kept.names())
