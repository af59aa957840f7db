"""Each change as it is written inside its write transaction: the rows it changes
and the history entry that records it, so no row changes without its entry.

The time is read here, holding the write lock, so history order is time order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from geo.store import tables
from geo.store.chain import CASE, COMMENT_TEXT, OWNER, RECORD_BY, Action, canonical_json
from geo.store.rows import records_digest, to_row


def now() -> str:
    """The time now, as the store writes it: UTC, ISO 8601, microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def create(
    conn: Connection,
    doc: dict[str, Any],
    *,
    analyst: str,
    owner: str | None = None,
    case_id: str | None = None,
) -> None:
    """Keep the new record `doc` of the case `case_id`, making its layer if it is the
    first drawn there; `owner` is the signed-in identity that made it (team mode)."""
    time = now()
    tables.refuse_taken_id(conn, doc["id"])
    tables.ensure_layer(conn, doc["layer"], time)
    tables.refuse_other_case_layer(conn, doc["layer"], case_id)
    tables.insert_records(conn, [to_row(doc)], doc["layer"], owner, case_id)
    tables.append_entry(
        conn,
        time=time,
        analyst=analyst,
        action=Action.CREATE,
        record_id=doc["id"],
        layer=doc["layer"],
        change={"record": doc} | _made_in(case_id, owner),
    )


def edit(
    conn: Connection,
    record_id: str,
    given: dict[str, Any],
    *,
    analyst: str,
    record_by: str | None = None,
    case_id: str | None = None,
) -> dict[str, Any]:
    """Set the fields `given` on the record `record_id`; returns it as it then is.
    Fields given their current value are not changes; if none is, nothing is written.
    `record_by`: who made the record, when someone else edits it (team mode);
    `case_id`: the case the edit was made in, if known."""
    time = now()
    before = tables.current_doc(conn, record_id)
    after = {**before, **given}
    changes = {
        field: {"before": before[field], "after": after[field]}
        for field in given
        if canonical_json(before[field]) != canonical_json(after[field])
    }
    if not changes:
        return before
    tables.update_record(conn, record_id, to_row(after))
    tables.append_entry(
        conn,
        time=time,
        analyst=analyst,
        action=Action.EDIT,
        record_id=record_id,
        layer=before["layer"],
        change={"changes": changes} | _made_by(record_by) | _made_in(case_id),
    )
    return after


def delete(
    conn: Connection,
    record_id: str,
    *,
    analyst: str,
    record_by: str | None = None,
    case_id: str | None = None,
) -> None:
    """Mark the record `record_id` deleted; its history entry keeps it as it was, and
    `record_by`, who made it, when someone else deletes it (team mode), and the case
    it was deleted in, if known."""
    time = now()
    doc = tables.current_doc(conn, record_id)
    tables.mark_deleted(conn, record_id, time)
    tables.append_entry(
        conn,
        time=time,
        analyst=analyst,
        action=Action.DELETE,
        record_id=record_id,
        layer=doc["layer"],
        change={"record": doc} | _made_by(record_by) | _made_in(case_id),
    )


def comment(
    conn: Connection, record_id: str, text: str, *, analyst: str, case_id: str | None = None
) -> str:
    """Keep a comment on the record `record_id` (of the store, or of the case's own),
    made in the case `case_id` if known, which alone then lists it; returns when it
    was made. Changes no record."""
    time = now()
    tables.append_entry(
        conn,
        time=time,
        analyst=analyst,
        action=Action.COMMENT,
        record_id=record_id,
        layer=tables.commented_layer(conn, record_id),
        change={COMMENT_TEXT: text} | _made_in(case_id),
    )
    return time


def member(
    conn: Connection,
    *,
    time: str,
    case_id: str,
    email: str,
    before: str | None,
    after: str | None,
    analyst: str,
) -> None:
    """Note that `analyst` changed `email`'s role on the case from `before` to `after`
    (None: not a member), in the transaction that changes the members table."""
    tables.append_entry(
        conn,
        time=time,
        analyst=analyst,
        action=Action.MEMBER,
        record_id=None,
        layer="",
        change={CASE: case_id, "email": email, "before": before, "after": after},
    )


def assign(conn: Connection, *, layer: str, case_id: str, analyst: str) -> list[str]:
    """Give the records of no case in `layer` (made before cases were recorded) to the
    case `case_id`, as one entry listing them; returns their ids, oldest first."""
    time = now()
    ids = tables.assign_to_case(conn, layer, case_id)
    tables.append_entry(
        conn,
        time=time,
        analyst=analyst,
        action=Action.ASSIGN,
        record_id=None,
        layer=layer,
        change={CASE: case_id, "records": ids},
    )
    return ids


def _made_by(record_by: str | None) -> dict[str, str]:
    """An edit's or deletion's note of who made the record, if that was someone else.
    Part of the change the hash covers; entries without it hash as before."""
    return {} if record_by is None else {RECORD_BY: record_by}


def _made_in(case_id: str | None, owner: str | None = None) -> dict[str, str]:
    """An entry's note of the case it was written in and of the new records' owner,
    where known, so that the chain covers records.case_id, records.owner and
    history.case_id. Part of the change the hash covers; entries without them hash as
    before."""
    return ({} if case_id is None else {CASE: case_id}) | ({} if owner is None else {OWNER: owner})


def import_layer(
    conn: Connection,
    *,
    layer: str,
    docs: Sequence[dict[str, Any]],
    rows: Sequence[tuple[Any, ...]],
    source: str | None,
    sha256: str,
    size: int,
    file_name: str,
    analyst: str,
    skipped: Sequence[dict[str, Any]] = (),
    owner: str | None = None,
    case_id: str | None = None,
) -> str:
    """Make the layer `layer` of the records `docs` (as `rows`) from the kept file
    `sha256`; returns when it was received. Refuses a taken layer name or record id.
    The entry lists `skipped`, the file's records left out, when there are any (an
    import of a whole file has no such key, as before)."""
    received_at = now()
    tables.refuse_taken_layer(conn, layer)
    tables.refuse_taken_ids(conn, [doc["id"] for doc in docs], source)
    tables.add_imported_layer(
        conn,
        layer=layer,
        sha256=sha256,
        size=size,
        file_name=file_name,
        received_at=received_at,
        analyst=analyst,
    )
    tables.insert_records(conn, rows, layer, owner, case_id)
    tables.append_entry(
        conn,
        time=received_at,
        analyst=analyst,
        action=Action.IMPORT,
        record_id=None,
        layer=layer,
        change={
            "count": len(docs),
            "file": {
                "sha256": sha256,
                "size": size,
                "name": file_name,
                "received_at": received_at,
            },
            "records_sha256": records_digest(list(docs)),
        }
        | ({"skipped": list(skipped)} if skipped else {})
        | _made_in(case_id, owner),
    )
    return received_at
