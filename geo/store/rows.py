"""Records as the store keeps them: a record, its document, its row, and back.

A *document* is a validated record as plain JSON values: what the history keeps
and hashes. A *row* is the document as the records table holds it, geometry and
properties as canonical JSON text, in `COLUMN_ORDER` order. A row that cannot
be read back as a record becomes a `DamagedRow`, never an exception.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from geo.geojson import json_loads
from geo.records import LayerRecord, field_problems, geometry_problems
from geo.store.chain import canonical_json

# The records table's columns that hold a record, in the order of a row.
COLUMN_ORDER: Final = (
    "id",
    "layer",
    "kind",
    "name",
    "geometry",
    "properties",
    "date",
    "date_as_stated",
)
NO_LAYER_ROW: Final = "its layer has no row in the layers table"


@dataclass(frozen=True)
class DamagedRow:
    """A row of the records table that cannot be read back as a record: changed
    outside the store, or damaged on disk. `Store.records` leaves it out."""

    record_id: str  # as stored; the repr() of it if it is not text
    layer: str  # likewise
    reason: str  # what is wrong, in words

    def __str__(self) -> str:
        return f"record {shown(self.record_id)} in layer {self.layer!r} is damaged: {self.reason}"


def shown(text: str) -> str:
    """`text` as is if it prints as itself, else its repr: a value from a damaged row
    may hold terminal control characters."""
    return text if text.isprintable() else repr(text)


def to_row(doc: dict[str, Any]) -> tuple[Any, ...]:
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


def records_digest(docs: list[dict[str, Any]]) -> str:
    """The SHA-256 of an import's documents, which its history entry keeps."""
    return hashlib.sha256(canonical_json(docs).encode("utf-8")).hexdigest()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _read_json(text: object) -> Any:
    if not isinstance(text, str):
        raise TypeError(f"it is stored as {type(text).__name__}, not as text")
    try:
        # json.loads accepts NaN and Infinity, which the store never writes.
        return json_loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise ValueError("it is nested too deeply") from exc


def read_row(row: Sequence[object]) -> tuple[dict[str, Any], list[str]]:
    """A records row (in `COLUMN_ORDER` order) as a document, and what keeps it from
    being read back as a record (nothing if it can be). Columns after those are ignored.

    JSON that cannot be read stays as its text in the document, so that the history
    replay in `verify` still finds the row and says it differs."""
    doc: dict[str, Any] = dict(zip(COLUMN_ORDER, row[:8], strict=True))
    reasons = []
    for field in COLUMN_ORDER:
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
            # that is left of json_problem to check (and the round trip would be slow).
            if not isinstance(value, dict):
                reasons.append(f"{field} must be a JSON object (dict), not {type(value).__name__}")
            elif field == "geometry":
                reasons += geometry_problems(value)
            continue
        reasons += field_problems(field, doc[field])
    return doc, reasons


def damaged(doc: dict[str, Any], reasons: list[str]) -> DamagedRow:
    def text(value: object) -> str:
        return value if isinstance(value, str) else repr(value)

    return DamagedRow(text(doc["id"]), text(doc["layer"]), "; ".join(reasons))


def current_records(
    rows: Sequence[Sequence[object]],
) -> tuple[list[LayerRecord], list[DamagedRow]]:
    """Rows of current records, each followed by whether its layer has its row, as
    records and the rows that cannot be read back as records."""
    records, damaged_rows = [], []
    for row in rows:
        doc, reasons = read_row(row)
        if not row[8]:
            reasons.append(NO_LAYER_ROW)
        if reasons:
            damaged_rows.append(damaged(doc, reasons))
        else:
            records.append(LayerRecord.from_checked(doc))
    return records, damaged_rows
