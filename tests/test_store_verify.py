"""The integrity check on hand-made rows: no database, one table of cases a check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from geo.store.chain import (
    GENESIS_HASH,
    HistoryRow,
    ReadableEntry,
    canonical_json,
    check_chain,
    entry_content,
    entry_hash,
)
from geo.store.rows import records_digest, to_row
from geo.store.verify import (
    FileRow,
    LayerRow,
    Snapshot,
    check_files,
    check_layers,
    check_records,
    verify_snapshot,
)

T1, T2, T3 = "2024-01-01T00:00:00.000001Z", "2024-01-02T00:00:00.000001Z", "2024-01-03T00:00:00Z"
SHA = "ab" * 32
OUTSIDE = "(changed outside the store?)"


def doc(record_id: str = "r1", layer: str = "Annotations", **changes: Any) -> dict[str, Any]:
    return {
        "id": record_id,
        "layer": layer,
        "kind": "feature",
        "name": "Gate",
        "geometry": {"type": "Point", "coordinates": [36.3, 33.6]},
        "properties": {},
        "date": None,
        "date_as_stated": None,
    } | changes


def row(record: dict[str, Any], deleted_at: str | None = None) -> tuple[Any, ...]:
    return (*to_row(record), deleted_at)


def created(seq: int = 1, record: dict[str, Any] | None = None, time: str = T1) -> ReadableEntry:
    record = record or doc()
    return ReadableEntry(
        seq, "create", record["id"], record["layer"], {"record": record}, time, "A"
    )


def imported(seq: int, layer: str, records: list[dict[str, Any]]) -> ReadableEntry:
    change = {
        "count": len(records),
        "file": {"sha256": SHA, "size": 10, "name": "in.kml", "received_at": T1},
        "records_sha256": records_digest(records),
    }
    return ReadableEntry(seq, "import", None, layer, change, T1, "A")


# --- the chain ---


def chain(*changes: dict[str, Any]) -> list[HistoryRow]:
    """Entries 1, 2, ... creating records, hashed as the store hashes them."""
    rows, prev = [], GENESIS_HASH
    for seq, change in enumerate(changes, start=1):
        content = entry_content(seq, T1, "A", "create", f"r{seq}", "Annotations", change)
        hash_ = entry_hash(prev, content)
        rows.append(
            HistoryRow(
                seq,
                T1,
                "A",
                "create",
                f"r{seq}",
                "Annotations",
                canonical_json(change),
                prev,
                hash_,
            )
        )
        prev = hash_
    return rows


def _without_second(rows: list[HistoryRow]) -> list[HistoryRow]:
    # Entry 3 rehashed onto entry 1, as a careful tamperer would: only the gap shows.
    third = rows[2]._replace(prev_hash=rows[0].hash)
    content = entry_content(3, T1, "A", "create", "r3", "Annotations", json.loads(third.change))
    return [rows[0], third._replace(hash=entry_hash(rows[0].hash, content))]


THREE = chain({"record": {"n": 1}}, {"record": {"n": 2}}, {"record": {"n": 3}})


@pytest.mark.parametrize(
    ("history", "high", "expected"),
    [
        ([], 0, []),
        (THREE, 3, []),
        (_without_second(THREE), 3, ["history: entry 2 missing (deleted?)"]),
        (
            [THREE[0]],
            3,
            [
                "history: ends at entry 1, but entries up to 3 were written "
                "(the last entries were removed?)"
            ],
        ),
        (
            [THREE[0]._replace(analyst="B"), *THREE[1:]],
            3,
            ["history entry 1: hash does not match its content (edited after the fact?)"],
        ),
        (
            [THREE[0]._replace(change="{not json"), *THREE[1:]],
            3,
            ["history entry 1: its change is not readable"],
        ),
        (
            [THREE[0]._replace(change="[]"), *THREE[1:]],
            3,
            ["history entry 1: its change is not readable"],
        ),
        (
            [THREE[0], THREE[1]._replace(prev_hash="f" * 64), THREE[2]],
            3,
            [
                "history entry 2: hash does not match its content (edited after the fact?)",
                "history entry 2: prev_hash does not match entry 1",
            ],
        ),
        (
            [THREE[0]._replace(prev_hash="f" * 64)],
            1,
            [
                "history entry 1: hash does not match its content (edited after the fact?)",
                "history entry 1: prev_hash is not the start of the chain",
            ],
        ),
    ],
    ids=[
        "empty",
        "intact",
        "gap",
        "end removed",
        "content edited",
        "change not JSON",
        "change not an object",
        "link broken",
        "start moved",
    ],
)
def test_check_chain(history: list[HistoryRow], high: int, expected: list[str]) -> None:
    assert check_chain(history, high)[1] == expected


def test_check_chain_hands_on_the_entries_it_can_read() -> None:
    unreadable = THREE[1]._replace(change="{not json")
    entries, _ = check_chain([THREE[0], unreadable, THREE[2]], 3)
    assert [(entry.seq, entry.change) for entry in entries] == [
        (1, {"record": {"n": 1}}),
        (3, {"record": {"n": 3}}),
    ]


# --- records replayed against the history ---


@pytest.mark.parametrize(
    ("entries", "rows", "expected"),
    [
        ([created()], [row(doc())], []),
        ([], [], []),
        (
            [
                created(),
                ReadableEntry(2, "delete", "r1", "Annotations", {"record": doc()}, T2, "A"),
            ],
            [row(doc(), deleted_at=T2)],
            [],
        ),
        (
            [
                created(),
                ReadableEntry(
                    2,
                    "edit",
                    "r1",
                    "Annotations",
                    {"changes": {"name": {"before": "Gate", "after": "Gate 2"}}},
                    T2,
                    "A",
                ),
            ],
            [row(doc(name="Gate 2"))],
            [],
        ),
        ([], [row(doc("r9"))], ["record r9: no history entry created it"]),
        (
            [created()],
            [row(doc(name="Renamed in a SQL shell"))],
            [
                "record r1: differs from what history entry 1 created and later entries "
                f"changed {OUTSIDE}"
            ],
        ),
        (
            [created()],
            [row(doc(), deleted_at=T2)],
            ["record r1: marked deleted, but no history entry deleted it"],
        ),
        (
            [
                created(),
                ReadableEntry(2, "delete", "r1", "Annotations", {"record": doc()}, T2, "A"),
            ],
            [row(doc(), deleted_at=T3)],
            [
                f"record r1: marked deleted at {T3}, but history entry 2 deleted it at {T2} "
                f"{OUTSIDE}"
            ],
        ),
        (
            [
                created(),
                ReadableEntry(2, "delete", "r1", "Annotations", {"record": doc()}, T2, "A"),
            ],
            [row(doc())],
            ["record r1: history entry 2 deleted it, but it is not deleted"],
        ),
        (
            [created()],
            [(*row(doc())[:4], "{not json", *row(doc())[5:])],
            [
                "record r1 in layer 'Annotations' is damaged: geometry is not readable JSON "
                "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
                "record r1: differs from what history entry 1 created and later entries "
                f"changed {OUTSIDE}",
            ],
        ),
        (
            [created(record=doc(layer="Gone"))],
            [row(doc(layer="Gone"))],
            ["record r1 in layer 'Gone' is damaged: its layer has no row in the layers table"],
        ),
        (
            [imported(1, "Import", [doc("i1", "Import"), doc("i2", "Import")])],
            [row(doc("i1", "Import")), row(doc("i2", "Import"))],
            [],
        ),
        (
            [imported(1, "Import", [doc("i1", "Import"), doc("i2", "Import")])],
            [row(doc("i1", "Import"))],
            [
                "layer 'Import': its records differ from what history entry 1 imported and "
                f"later entries changed {OUTSIDE}"
            ],
        ),
        (
            [ReadableEntry(1, "edit", "r1", "Annotations", {"changes": 3}, T1, "A")],
            [],
            ["history entry 1: record r1 is not in the store"],
        ),
        (
            [created(), ReadableEntry(2, "edit", "r1", "Annotations", {"changes": 3}, T2, "A")],
            [row(doc())],
            [
                "history entry 2: its change has an unexpected shape: 'int' object has no "
                "attribute 'items'"
            ],
        ),
    ],
    ids=[
        "created",
        "empty",
        "deleted",
        "edited",
        "no creator",
        "changed outside",
        "deleted outside",
        "deleted at another time",
        "undeleted outside",
        "damaged row",
        "layer without a row",
        "imported",
        "imported record removed",
        "record missing",
        "change of another shape",
    ],
)
def test_check_records(
    entries: list[ReadableEntry], rows: list[tuple[Any, ...]], expected: list[str]
) -> None:
    assert check_records(entries, rows, {"Annotations", "Import"}) == expected


# --- the layers table against the history ---

DRAWN = LayerRow("Annotations", "annotations", T1, None)
IMPORT_LAYER = LayerRow("Import", "import", T1, 7)
IMPORT_FILE = FileRow(7, SHA, 10, "in.kml", T1, "Import", "A")


@pytest.mark.parametrize(
    ("entries", "layers", "expected"),
    [
        ([created()], [DRAWN], []),
        ([imported(1, "Import", [])], [IMPORT_LAYER], []),
        (
            [created()],
            [DRAWN._replace(created_at=T2)],
            [f"layer 'Annotations': made at {T2}, but history entry 1 made it at {T1} {OUTSIDE}"],
        ),
        (
            [created()],
            [DRAWN._replace(name_key="ANNOTATIONS")],
            [f"layer 'Annotations': its case-blind key is 'ANNOTATIONS' {OUTSIDE}"],
        ),
        (
            [],
            [DRAWN],
            [
                "layer 'Annotations': no history entry created it (added or renamed outside "
                "the store?)"
            ],
        ),
        (
            [created()],
            [],
            [
                "layer 'Annotations': history entry 1 made it, but it has no row in the layers "
                "table (removed or renamed outside the store?)"
            ],
        ),
        (
            [imported(1, "Import", [])],
            [IMPORT_LAYER._replace(file_id=None)],
            [f"layer 'Import': not linked to the file history entry 1 imported for it {OUTSIDE}"],
        ),
        (
            [created()],
            [DRAWN._replace(file_id=7)],
            [
                "layer 'Annotations': linked to an imported file, but history entry 1 made it "
                f"for a drawn record {OUTSIDE}"
            ],
        ),
    ],
    ids=[
        "drawn",
        "imported",
        "made at another time",
        "key changed",
        "no creator",
        "row removed",
        "file unlinked",
        "drawn layer linked",
    ],
)
def test_check_layers(
    entries: list[ReadableEntry], layers: list[LayerRow], expected: list[str]
) -> None:
    assert check_layers(entries, layers, [IMPORT_FILE]) == expected


# --- the files table and the kept copies ---


@pytest.mark.parametrize(
    ("entries", "files", "copies", "expected"),
    [
        ([imported(1, "Import", [])], [IMPORT_FILE], {SHA: None}, []),
        (
            [imported(1, "Import", [])],
            [IMPORT_FILE],
            {SHA: "missing"},
            ["file abababababab… (in.kml): missing"],
        ),
        (
            [],
            [IMPORT_FILE],
            {SHA: None},
            ["file abababababab… (in.kml): no history entry imported it as layer 'Import'"],
        ),
        (
            [imported(1, "Import", [])],
            [],
            {},
            ["history entry 1: the file abababababab… it imported has no row in the files table"],
        ),
        (
            [imported(1, "Import", [])],
            [IMPORT_FILE._replace(analyst="B")],
            {SHA: None},
            ["file abababababab… (in.kml): its row differs from history entry 1"],
        ),
    ],
    ids=["intact", "copy missing", "no import", "row removed", "analyst changed"],
)
def test_check_files(
    entries: list[ReadableEntry],
    files: list[FileRow],
    copies: dict[str, str | None],
    expected: list[str],
) -> None:
    asked: list[str] = []

    def kept_copy_problem(sha256: str, size: int) -> str | None:
        asked.append(sha256)
        return copies[sha256]

    assert check_files(entries, files, kept_copy_problem) == expected
    assert asked == [row.sha256 for row in files]  # each copy read once


def test_a_copy_kept_for_two_layers_is_read_once() -> None:
    second = IMPORT_FILE._replace(id=8, layer="Again")
    entries = [imported(1, "Import", []), imported(2, "Again", [])]
    asked: list[str] = []
    assert check_files(entries, [IMPORT_FILE, second], lambda s, _: asked.append(s)) == []
    assert asked == [SHA]


# --- the whole check ---


def snapshot(**changes: Any) -> Snapshot:
    history = chain({"record": doc()})
    fields: dict[str, Any] = {
        "integrity": ["ok"],
        "triggers": {"history_no_update", "history_no_delete"},
        "history": history,
        "high": 1,
        "records": [row(doc())],
        "layers": [DRAWN],
        "files": [],
    }
    return Snapshot(**(fields | changes))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        (
            {
                "integrity": [
                    "*** in database main ***",
                    "Page 3: btreeInitPage() returns error code 11",
                ]
            },
            [
                "database: *** in database main ***",
                "database: Page 3: btreeInitPage() returns error code 11",
            ],
        ),
        (
            {"triggers": {"history_no_update"}},
            [
                "history: the guard history_no_delete was removed, so the log is no longer "
                "append-only"
            ],
        ),
        ({"records": []}, ["history entry 1: record r1 is not in the store"]),
    ],
    ids=["intact", "database damaged", "guard dropped", "record removed"],
)
def test_verify_snapshot(changes: dict[str, Any], expected: list[str]) -> None:
    assert verify_snapshot(snapshot(**changes), lambda sha256, size: None) == expected
