"""What the store checks before it keeps anything: a record's own checks
(`geo.records`), and the store's: who signs, which layer, which file.

A record is never kept, or read back, unless every field passes: the map, the
exports and the history rely on it. Problems are collected, then raised once as
DataError by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, cast

from geo.errors import DataError, Problem, SkippedRecord
from geo.records import (
    CASE_LAYER,
    CONTROL_OR_SURROGATE,
    MAX_NAME_LENGTH,
    LayerRecord,
    field_problems,
    is_reserved_layer,
    looks_like,
    name_problem,
    record_problems,
)

MAX_FILE_NAME_LENGTH: Final = 1000
MAX_REASON_LENGTH: Final = 1000  # characters of one reason a skipped record was left out
MAX_COMMENT_LENGTH: Final = 4000  # characters of one comment: a few paragraphs
# Line breaks and tabs are a comment's own; other control characters are not text.
_LINE_BREAKS: Final = str.maketrans("", "", "\n\r\t")


def checked_analyst(analyst: object) -> str:
    problem = name_problem(analyst, "the analyst's name", field="analyst")
    if problem is not None:
        raise DataError(problem)
    return cast(str, analyst).strip()


def checked_id(record_id: object) -> str:
    problem = name_problem(record_id, "the record id", field="id")
    if problem is not None:
        raise DataError(problem)
    return cast(str, record_id)


def checked_comment(comment: object) -> str:
    """A comment's text, without its surrounding blanks; DataError if it is none."""
    if not isinstance(comment, str):
        raise DataError(
            Problem(f"a comment must be text, not {type(comment).__name__}", field="comment")
        )
    text = comment.strip()
    if not text:
        raise DataError(Problem("the comment is empty: write something first", field="comment"))
    if len(text) > MAX_COMMENT_LENGTH:
        raise DataError(
            Problem(
                f"the comment is {len(text):,} characters long; the limit is "
                f"{MAX_COMMENT_LENGTH:,}: shorten it, or split it into several comments",
                field="comment",
            )
        )
    if CONTROL_OR_SURROGATE.search(text.translate(_LINE_BREAKS)):
        raise DataError(
            Problem(
                "the comment contains control characters or invalid Unicode: "
                "remove them (line breaks and tabs are fine)",
                field="comment",
            )
        )
    return text


def new_record_problems(record: LayerRecord) -> list[Problem]:
    """What keeps `record` from being added by hand: its fields, and its layer."""
    problems = record_problems(record)
    if not problems and looks_like(record.layer) == CASE_LAYER:
        problems = [
            Problem(
                f"the layer name {record.layer.strip()!r} is reserved for the case's own "
                "records: choose another name",
                record=record.id,
                field="layer",
            )
        ]
    return problems


def change_problems(record_id: str, given: dict[str, object]) -> list[Problem]:
    """What keeps the fields `given` from being set on the record `record_id`."""
    if not given:
        return [Problem("nothing to change: give at least one field", record=record_id)]
    return [
        Problem(message, record=record_id, field=field)
        for field, value in given.items()
        for message in field_problems(field, value)
    ]


def import_problems(
    layer: object, records: object, file_name: object, file_bytes: object
) -> list[Problem]:
    """What keeps an import's arguments, apart from its records, from being kept."""
    problems = [
        problem
        for problem in (
            name_problem(layer, "the layer name", field="layer"),
            name_problem(file_name, "the file name", field="file_name", limit=MAX_FILE_NAME_LENGTH),
        )
        if problem is not None
    ]
    if isinstance(layer, str) and is_reserved_layer(layer):
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
    return problems


def skipped_problems(skipped: object) -> list[Problem]:
    """What keeps the list of an import's skipped records from being kept in its history
    entry: each is a `SkippedRecord` whose position, name and reasons are short text
    (no control characters: `geo.formats.reader.visible` writes them as escapes)."""
    if not isinstance(skipped, (list, tuple)) or not all(
        isinstance(record, SkippedRecord) for record in skipped
    ):
        return [Problem("skipped must be a list of SkippedRecord", field="skipped")]
    problems = []
    for record in skipped:
        texts = [(record.record, MAX_NAME_LENGTH), (record.name or "x", MAX_NAME_LENGTH)]
        texts += [(reason, MAX_REASON_LENGTH) for reason in record.reasons]
        if not record.reasons or not all(
            isinstance(text, str)
            and text.strip()
            and len(text) <= limit
            and not CONTROL_OR_SURROGATE.search(text)
            for text, limit in texts
        ):
            problems.append(
                Problem(
                    "a skipped record needs a position, and a name and reasons in short text "
                    "without control characters",
                    record=str(record.record)[:MAX_NAME_LENGTH],
                    field="skipped",
                )
            )
    return problems


def imported_records_problems(records: Sequence[object], source: str | None) -> list[Problem]:
    """What keeps the records of one import, their layer and ids given, from being kept:
    each one's fields, and an id used twice."""
    problems = [problem for record in records for problem in record_problems(record, source)]
    seen: set[str] = set()
    for record in records:
        if isinstance(record, LayerRecord) and isinstance(record.id, str):
            if record.id in seen:
                problems.append(
                    Problem("the id is used twice in this file", source, record.id, "id")
                )
            seen.add(record.id)
    return problems
