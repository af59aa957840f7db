"""The history chain: how an entry is hashed, read back and checked.

Every change is an entry hash-chained to the one before:
``hash = sha256(prev_hash + canonical_json(content))`` with
``content = {seq, time, analyst, action, record_id, layer, change}`` and
``canonical_json`` as below; the first entry's ``prev_hash`` is 64 zeros
(`GENESIS_HASH`). Anyone can recompute it with a few lines of code.

An entry written by a store seen from a case names the case inside its change
(`CASE`), and a new record's entry (create, import) its owner in team mode
(`OWNER`): so the records table's ``case_id`` and ``owner`` and the history
table's ``case_id`` (which case's page lists the entry, migration 0006) are
covered by the chain, and verify compares them. Entries without these keys (made
before, or by a store not seen from a case) hash exactly as before.

Pure: the rows come in as `HistoryRow`; the SQL that appends and reads them is
in `geo.store.tables`.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from geo.errors import DataError, Problem, SkippedRecord
from geo.geojson import canonical_json as canonical_json  # the store's, re-exported

GENESIS_HASH: Final = "0" * 64
MIN_HASH_PREFIX: Final = 12  # 48 bits: no two entries of one store share it by chance
# In the change of an edit or deletion by someone other than whoever made the record
# (team mode): the analyst who made it, so the entry names both.
RECORD_BY: Final = "record_by"
# In the change of an entry written from a case: the case's id (its case.yaml's id).
CASE: Final = "case"
# In the change of a create or an import in team mode: the records' owner
# (`geo.access.Identity.key`), as records.owner holds it.
OWNER: Final = "owner"


class Action(enum.StrEnum):
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    IMPORT = "import"
    COMMENT = "comment"  # a comment on a record; migration 0004
    MEMBER = "member"  # a member added, removed or given another role; migration 0004
    # records made before cases were recorded, given to a case; migration 0006
    ASSIGN = "assign"


# The entries that change no record's document or layer: verify replays the others
# on the records (an assignment changes only records' case, checked on its own).
NOT_RECORD_CHANGES: Final = frozenset(
    {Action.COMMENT.value, Action.MEMBER.value, Action.ASSIGN.value}
)
# In a comment's change: its text.
COMMENT_TEXT: Final = "comment"


class HistoryRow(NamedTuple):
    """A row of the history table, its columns in this order. The types are what the
    store writes; a row changed outside the store may hold others."""

    seq: int
    time: str
    analyst: str
    action: str
    record_id: str | None
    layer: str
    change: str  # canonical JSON
    prev_hash: str
    hash: str
    # which case's page lists the entry, None for every case's (migration 0006); not
    # hashed, but equal to the change's CASE where it has one (verify checks)
    case_id: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    time: str
    analyst: str
    action: Action | str  # text only if the row was changed outside the store
    record_id: str | None  # None for an import
    layer: str
    # create/delete: {"record": ...}; edit: {"changes": {field: {"before", "after"}}};
    # an edit or deletion of another's record (team mode) also {RECORD_BY: analyst};
    # import: {"count", "file": {sha256, size, name, received_at}, "records_sha256"}, and
    # "skipped": [{record, name, reasons}] when the analyst chose to leave bad records out;
    # comment: {"comment": text} (its layer is the record's if the store holds it, else
    # "", e.g. for the case's own records); member: {"case", "email", "before", "after"}
    # (roles, None for not a member; record_id None, layer "");
    # assign: {"case", "records": [ids]}, the layer's records of no case given to the
    # case (record_id None). Written from a case, every entry also names {CASE: case_id}
    # (the case it was written in: for an edit or deletion from no case, the record's);
    # a create or import in team mode also {OWNER: records' owner}. Older entries
    # lack these keys.
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


class ReadableEntry(NamedTuple):
    """A history entry whose change could be read, as the checks need it."""

    seq: int
    action: str
    record_id: str | None
    layer: str
    change: dict[str, Any]
    time: str
    analyst: str
    case_id: object = None  # the history table's case_id column, as it is


class Comment(NamedTuple):
    """A comment on a record, as its history entry keeps it. Untrusted text: escape it
    in every sink."""

    seq: int
    time: str  # UTC, ISO 8601
    analyst: str
    text: str


def comment_of(entry: HistoryEntry) -> Comment:
    """The comment a comment entry keeps; one changed outside the store into another
    shape is shown as its text (verify reports the change)."""
    return Comment(entry.seq, entry.time, entry.analyst, _text(entry.change.get(COMMENT_TEXT)))


def entry_note(entry: HistoryEntry) -> str:
    """What a comment or a change of members said, in words for the history's table;
    "" for other entries (their record, layer and change say it)."""
    if entry.action == Action.COMMENT:
        return comment_of(entry).text
    if entry.action == Action.MEMBER:
        change = entry.change
        before, after = change.get("before"), change.get("after")
        what = (
            f"added as {_text(after)}"
            if before is None
            else "removed"
            if after is None
            else f"{_text(before)} → {_text(after)}"
        )
        return f"{_text(change.get('email'))}: {what} (case {_text(change.get(CASE))})"
    if entry.action == Action.ASSIGN:
        given = entry.change.get("records")
        count = len(given) if isinstance(given, list) else 0
        return (
            f"{count} record{'' if count == 1 else 's'} made before cases were recorded "
            f"given to the case {_text(entry.change.get(CASE))}"
        )
    return ""


def left_out(entry: HistoryEntry) -> list[SkippedRecord]:
    """The records of its file an import left out at the analyst's choice, as its entry
    lists them; none for other entries. An item changed outside the store into another
    shape is shown as its text (verify reports the change)."""
    listed = entry.change.get("skipped") if entry.action == Action.IMPORT else None
    if not isinstance(listed, list):
        return []
    found = []
    for item in listed:
        if isinstance(item, dict):
            reasons = item.get("reasons")
            found.append(
                SkippedRecord(
                    _text(item.get("record")),
                    None if item.get("name") is None else _text(item.get("name")),
                    tuple(map(_text, reasons)) if isinstance(reasons, list) else (),
                )
            )
        else:
            found.append(SkippedRecord(_text(item), None, ()))
    return found


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def entry_content(
    seq: int,
    time: str,
    analyst: str,
    action: str,
    record_id: str | None,
    layer: str,
    change: dict[str, Any],
) -> dict[str, Any]:
    """What an entry's hash covers, besides the hash before it."""
    return {
        "seq": seq,
        "time": time,
        "analyst": analyst,
        "action": action,
        "record_id": record_id,
        "layer": layer,
        "change": change,
    }


def history_entry(row: HistoryRow) -> HistoryEntry:
    """An entry as the history shows it. A row changed outside the store (an unknown
    action, a value that is not text, a change that is not JSON) is shown as its text:
    verify() reports it, and the log stays viewable."""
    seq, time, analyst, action, record_id, layer, change, prev_hash, hash_ = row[:9]
    try:
        parsed = json.loads(change)
    except (ValueError, TypeError):
        parsed = None
    if not isinstance(parsed, dict):
        parsed = {"unreadable": _text(change)}
    known = Action(action) if action in Action._value2member_map_ else _text(action)
    return HistoryEntry(
        seq if isinstance(seq, int) else -1,
        _text(time),
        _text(analyst),
        known,
        None if record_id is None else _text(record_id),
        _text(layer),
        parsed,
        _text(prev_hash),
        _text(hash_),
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else repr(value)


def hash_prefix(expected: object) -> str:
    """`expected` as the lowercase start of a history hash; DataError if it is not one."""
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


_TEXT_COLUMNS = ("time", "analyst", "action", "layer", "change", "prev_hash", "hash")


def _row_shape_problem(row: Sequence[object]) -> str | None:
    """Why a history row cannot be checked (a column of the wrong type), or None."""
    seq = row[0]
    where = f"history entry {seq!r}" if not isinstance(seq, int) else f"history entry {seq}"
    if not isinstance(seq, int) or isinstance(seq, bool):
        return f"{where}: its number is not a whole number (changed outside the store)"
    texts = dict(zip(("time", "analyst", "action"), row[1:4], strict=True))
    texts |= dict(zip(("layer", "change", "prev_hash", "hash"), row[5:9], strict=True))
    for column in _TEXT_COLUMNS:
        if not isinstance(texts[column], str):
            kind = type(texts[column]).__name__
            return f"{where}: its {column} is {kind}, not text (changed outside the store)"
    if row[4] is not None and not isinstance(row[4], str):
        return f"{where}: its record id is not text (changed outside the store)"
    return None


def check_chain(history: Sequence[HistoryRow], high: int) -> tuple[list[ReadableEntry], list[str]]:
    """Problems with the hash chain, and the readable entries. `high` is the highest
    seq ever written (0 if none), which shows entries removed from the end."""
    problems = []
    entries = []
    expected, prev_seq, prev_hash = 1, 0, GENESIS_HASH
    for row in history:
        if (shape := _row_shape_problem(row)) is not None:
            # A value of another type was written outside the store: no hash can be
            # recomputed from it, and it must not stop the check of the rest.
            problems.append(shape)
            if isinstance(row[0], int):
                expected, prev_seq, prev_hash = row[0] + 1, row[0], str(row[8])
            continue
        seq, time, analyst, action, record_id, layer, change_text, stored_prev, stored = row[:9]
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
            content = entry_content(seq, time, analyst, action, record_id, layer, change)
            if entry_hash(stored_prev, content) != stored:
                problems.append(
                    f"history entry {seq}: hash does not match its content (edited after the fact?)"
                )
            listed = row[9] if len(row) > 9 else None
            entries.append(
                ReadableEntry(seq, action, record_id, layer, change, time, analyst, listed)
            )
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
