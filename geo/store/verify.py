"""The integrity check, as pure functions over the rows of the store's tables.

`verify_snapshot` checks the history chain; replays the history backwards against
the records table (so an edit made with a raw SQL tool shows up); checks each
``layers`` and ``files`` row against the history entry that made it, and each
member's role against the entry that last changed it; and asks after every kept
file; and each record's case and owner, and each entry's case_id, against what the
hashed changes name. The rows come in a `Snapshot` read in one transaction
(`geo.store.tables.read_snapshot`), so every check here runs on hand-made rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from geo.store.chain import (
    CASE,
    NOT_RECORD_CHANGES,
    OWNER,
    Action,
    HistoryRow,
    ReadableEntry,
    canonical_json,
    check_chain,
)
from geo.store.files import is_sha256, short
from geo.store.rows import NO_LAYER_ROW, damaged, read_row, records_digest
from geo.store.schema import GUARDS

_OUTSIDE = "(changed outside the store?)"


class LayerRow(NamedTuple):
    """A row of the layers table, as the store writes it."""

    name: str
    name_key: str  # name.casefold(), which keeps names differing only in case apart
    created_at: str
    file_id: int | None  # the files row of an imported layer


class FileRow(NamedTuple):
    """A row of the files table, as the store writes it."""

    id: int
    sha256: str
    size: int
    file_name: str
    received_at: str
    layer: str
    analyst: str


class MemberRow(NamedTuple):
    """A row of the members table, as far as the history speaks of it."""

    case_id: str
    email: str
    role: str


class RecordMade(NamedTuple):
    """A records row's owner and case (migrations 0003 and 0005), which the history's
    create, import and assign entries name."""

    id: object
    layer: object
    owner: object
    case_id: object


@dataclass(frozen=True)
class Snapshot:
    """What the integrity check reads from the database, all from one snapshot."""

    integrity: Sequence[str]  # what the database's own check says: ["ok"] if fine
    triggers: Collection[str]  # the names of the triggers there are
    history: Sequence[HistoryRow]  # in seq order
    high: int | None  # the highest seq ever written, 0 if none; None if unreadable
    records: Sequence[Sequence[object]]  # every records row: COLUMN_ORDER, deleted_at
    layers: Sequence[LayerRow]  # in the order created
    files: Sequence[FileRow]  # in the order received
    members: Sequence[MemberRow] = ()  # in the order added
    made: Sequence[RecordMade] = ()  # every record's owner and case, in the order added


# How a kept file is: given its SHA-256 and size, what is wrong with its copy, or None.
KeptCopyCheck = Callable[[str, int], "str | None"]


def verify_snapshot(snapshot: Snapshot, kept_copy_problem: KeptCopyCheck) -> list[str]:
    """What is wrong, in words; an empty list means intact."""
    problems = (
        [] if snapshot.integrity == ["ok"] else [f"database: {line}" for line in snapshot.integrity]
    )
    problems += [
        f"history: the guard {name} was removed, so the log is no longer append-only"
        for name in GUARDS
        if name not in snapshot.triggers
    ]
    if snapshot.high is None:
        problems.append(
            "history: the count of entries written (sqlite_sequence) is not a number: "
            "changed outside the store"
        )
    entries, chain_problems = check_chain(snapshot.history, snapshot.high or 0)
    problems += chain_problems
    problems += check_records(entries, snapshot.records, {row.name for row in snapshot.layers})
    problems += check_layers(entries, snapshot.layers, snapshot.files)
    problems += check_files(entries, snapshot.files, kept_copy_problem)
    problems += check_members(entries, snapshot.members)
    problems += check_entry_cases(entries)
    problems += check_record_cases(entries, snapshot.made)
    return problems


def unnamed_files(files: Sequence[FileRow], kept: Sequence[str]) -> list[str]:
    """The names of kept files (in `kept`, the files folder's names) that no files row
    names."""
    named = {row.sha256 for row in files}
    return [name for name in sorted(kept) if is_sha256(name) and name not in named]


def check_records(
    entries: Sequence[ReadableEntry], rows: Sequence[Sequence[object]], layer_names: set[str]
) -> list[str]:
    """Undo the history, newest first, on the records table; every step must fit.

    What remains must be nothing: a record no entry created, or a value no entry
    set, was written around the store. A row that cannot be read as a record is
    named first, with the reason."""
    problems = []
    state: dict[str, dict[str, Any]] = {}
    # When each record was deleted, None if it is not: text as the store writes it, or
    # whatever a write around the store left there.
    deleted: dict[str, object] = {}
    for row in rows:
        doc, reasons = read_row(row)
        if doc["layer"] not in layer_names:
            reasons.append(NO_LAYER_ROW)
        if reasons:
            problems.append(str(damaged(doc, reasons)))
        state[doc["id"]] = doc
        deleted[doc["id"]] = row[8]  # deleted_at
    for entry in reversed(entries):
        try:
            problems += _undo(entry, state, deleted)
        except (AttributeError, KeyError, TypeError) as exc:
            # Only a change rewritten by hand has another shape; its hash says so too.
            problems.append(f"history entry {entry.seq}: its change has an unexpected shape: {exc}")
    problems += [f"record {rid}: no history entry created it" for rid in state]
    return problems


def _undo(
    entry: ReadableEntry, state: dict[str, dict[str, Any]], deleted: dict[str, object]
) -> list[str]:
    """Undo one entry on `state`, saying where the state does not fit it."""
    seq, action, rid, layer, change, time = entry[:6]
    if action == Action.COMMENT:
        # A comment changes no record. One on a record of the case's own (layer "")
        # names no record of the store.
        if layer and rid not in state:
            return [f"history entry {seq}: a comment on record {rid}, which is not in the store"]
        return []
    if action in NOT_RECORD_CHANGES:
        return []
    if action == Action.IMPORT:
        # Records added to this layer later were already undone, so what is left of
        # it is what the import brought in, in the order it was inserted.
        ids = [i for i, doc in state.items() if doc["layer"] == layer]
        docs = [state.pop(i) for i in ids]
        problems = []
        if any([deleted.pop(i) is not None for i in ids]):
            problems.append(f"layer {layer!r}: a record is marked deleted without history")
        if len(docs) != change["count"] or records_digest(docs) != change["records_sha256"]:
            problems.append(
                f"layer {layer!r}: its records differ from what history entry {seq} imported "
                f"and later entries changed {_OUTSIDE}"
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
                f"deleted it at {time} {_OUTSIDE}"
            )
        deleted[rid] = None
        if canonical_json(state[rid]) != canonical_json(change["record"]):
            problems.append(f"record {rid}: not what history entry {seq} deleted {_OUTSIDE}")
        return problems
    if action == Action.EDIT:
        problems = []
        for field, values in change["changes"].items():
            if canonical_json(state[rid].get(field)) != canonical_json(values["after"]):
                problems.append(
                    f"record {rid}: {field} is not what history entry {seq} set {_OUTSIDE}"
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
            f"changed {_OUTSIDE}"
        )
    return problems


def check_layers(
    entries: Sequence[ReadableEntry], layers: Sequence[LayerRow], files: Sequence[FileRow]
) -> list[str]:
    """Each layers row against the history entry that created the layer: the first one
    naming it (an import, or the first record drawn in it), at whose time it was made."""
    creators: dict[str, ReadableEntry] = {}
    for entry in entries:
        if entry.action not in NOT_RECORD_CHANGES:
            creators.setdefault(entry.layer, entry)
    files_by_id = {row.id: row for row in files}
    problems = []
    for name, name_key, created_at, file_id in layers:
        creator = creators.pop(name, None)
        if creator is None:
            problems.append(
                f"layer {name!r}: no history entry created it (added or renamed outside the store?)"
            )
            continue
        if not isinstance(name, str) or name_key != name.casefold():
            # the key keeps two layers differing only in case apart
            problems.append(f"layer {name!r}: its case-blind key is {name_key!r} {_OUTSIDE}")
        if created_at != creator.time:
            problems.append(
                f"layer {name!r}: made at {created_at}, but history entry {creator.seq} made it "
                f"at {creator.time} {_OUTSIDE}"
            )
        if creator.action == Action.IMPORT:
            imported = creator.change.get("file")
            sha256 = imported.get("sha256") if isinstance(imported, dict) else None
            linked = files_by_id.get(file_id) if file_id is not None else None
            if linked is None or (linked.sha256, linked.layer) != (sha256, name):
                problems.append(
                    f"layer {name!r}: not linked to the file history entry {creator.seq} "
                    f"imported for it {_OUTSIDE}"
                )
        elif file_id is not None:
            problems.append(
                f"layer {name!r}: linked to an imported file, but history entry {creator.seq} "
                f"made it for a drawn record {_OUTSIDE}"
            )
    problems += [
        f"layer {name!r}: history entry {entry.seq} made it, but it has no row in the layers "
        "table (removed or renamed outside the store?)"
        for name, entry in creators.items()
    ]
    return problems


def check_files(
    entries: Sequence[ReadableEntry], files: Sequence[FileRow], kept_copy_problem: KeptCopyCheck
) -> list[str]:
    """Each files row against the history entry that imported it, and its kept copy;
    and each import against its files row."""
    problems = []
    imports = {
        (entry.change["file"].get("sha256"), entry.layer): entry
        for entry in entries
        if entry.action == Action.IMPORT and isinstance(entry.change.get("file"), dict)
    }
    checked: dict[str, str | None] = {}
    for _, sha256, size, file_name, received_at, layer, analyst in files:
        if not is_sha256(sha256):
            problems.append(
                f"file {sha256!r} ({file_name!r}): its SHA-256 is not one (changed outside "
                "the store)"
            )
            continue
        found = imports.pop((sha256, layer), None)
        if found is None:
            problems.append(
                f"file {short(sha256)} ({file_name}): no history entry imported it "
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
                    f"file {short(sha256)} ({file_name}): its row differs from history "
                    f"entry {found.seq}"
                )
        if sha256 not in checked:
            checked[sha256] = kept_copy_problem(sha256, size)
        if checked[sha256]:
            problems.append(f"file {short(sha256)} ({file_name}): {checked[sha256]}")
    for entry in imports.values():
        problems.append(
            f"history entry {entry.seq}: the file {short(entry.change['file']['sha256'])} "
            "it imported has no row in the files table"
        )
    return problems


def check_members(entries: Sequence[ReadableEntry], rows: Sequence[MemberRow]) -> list[str]:
    """Each member's role against the history entry that last changed it: a role given
    or taken with a raw SQL tool shows up. Members added before the history noted such
    changes (migration 0004) have no entry, and are not checked."""
    noted: dict[tuple[object, object], tuple[int, object]] = {}
    for entry in entries:
        if entry.action == Action.MEMBER:
            key = (entry.change.get(CASE), entry.change.get("email"))
            noted[key] = (entry.seq, entry.change.get("after"))
    problems = []
    for case_id, email, role in rows:
        found = noted.pop((case_id, email), None)
        if found is None:
            continue
        seq, noted_role = found
        if noted_role != role:
            did = "removed them" if noted_role is None else f"made them {noted_role}"
            problems.append(
                f"member {email} of the case {case_id!r}: history entry {seq} {did}, "
                f"but their role is {role} {_OUTSIDE}"
            )
    for (case, address), (seq, left) in noted.items():
        if left is not None:
            problems.append(
                f"member {address} of the case {case!r}: history entry {seq} made them "
                f"{left}, but they are not a member {_OUTSIDE}"
            )
    return problems


def _case_text(case: object) -> str:
    return "none" if case is None else repr(case)


def check_entry_cases(entries: Sequence[ReadableEntry]) -> list[str]:
    """Each entry's case_id column (which case's page lists it, not hashed) against the
    case its hashed change names, where it names one: an entry moved to another case's
    page with a raw SQL tool shows up."""
    return [
        f"history entry {entry.seq}: its case is {entry.case_id!r} in the history table, "
        f"but its change says {entry.change[CASE]!r} {_OUTSIDE}"
        for entry in entries
        if CASE in entry.change and entry.case_id != entry.change[CASE]
    ]


def check_record_cases(entries: Sequence[ReadableEntry], made: Sequence[RecordMade]) -> list[str]:
    """Each record's case and owner against what the history says: the create or
    import that made it, where that entry names them, and any later assignment to a
    case. Records made before entries named them are not checked."""
    in_layer: dict[object, list[object]] = {}
    known = {row.id for row in made}
    for row in made:
        in_layer.setdefault(row.layer, []).append(row.id)
    # record id -> (the entry that last named it, what it named), replayed oldest first:
    # a record drawn later into an imported layer is named by its own entry after
    cases: dict[object, tuple[int, object]] = {}
    owners: dict[object, tuple[int, object]] = {}
    problems = []
    for entry in entries:
        change = entry.change
        named: list[object]
        if entry.action == Action.CREATE:
            named = [entry.record_id]
        elif entry.action == Action.IMPORT:
            named = in_layer.get(entry.layer, [])
        elif entry.action == Action.ASSIGN:
            listed = change.get("records")
            # only ids: anything else was written outside the store (its hash says so)
            named = [i for i in listed if isinstance(i, str)] if isinstance(listed, list) else []
            problems += [
                f"history entry {entry.seq}: it gave record {rid} to the case "
                f"{_case_text(change.get(CASE))}, but the record is not in the store {_OUTSIDE}"
                for rid in named
                if rid not in known
            ]
        else:
            continue
        for rid in named:
            if CASE in change:
                cases[rid] = (entry.seq, change[CASE])
            if OWNER in change:
                owners[rid] = (entry.seq, change[OWNER])
    for rid, _, owner, case in made:
        if rid in cases and cases[rid][1] != case:
            seq, said_case = cases[rid]
            problems.append(
                f"record {rid}: its case is {_case_text(case)} in the records table, but "
                f"its history says {_case_text(said_case)} (entry {seq}) {_OUTSIDE}"
            )
        if rid in owners and owners[rid][1] != owner:
            seq, said_owner = owners[rid]
            problems.append(
                f"record {rid}: its owner is {owner!r} in the records table, but its history "
                f"says {said_owner!r} (entry {seq}) {_OUTSIDE}"
            )
    return problems
