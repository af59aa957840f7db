"""What a case must hold beyond each of its records: its sources and claims
(`check_meta`), where its map opens (`check_view`), and the references between them
(`check_references`): every source a record cites exists and its quote is verbatim
in the source's text, every claim and place a record names is the case's.

`geo.case` loads a case and calls these; every problem names its file, record and field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self

from pydantic import ValidationError

from geo.errors import Problem
from geo.model import CaseMeta
from geo.records import CASE_KINDS, Kind

# Fields that hold ids of other records, and the kind they must point to.
_RECORD_REFERENCES = {
    "site": Kind.PLACE,
    "place": Kind.PLACE,
    "observed_in": Kind.IMAGERY,
}


# Where a case may open the map: Leaflet's zoom levels run from 0 (the whole world)
# to 22 (closer than any imagery a case cites).
_VIEW_RANGES = {"lat": (-90, 90), "lon": (-180, 180), "zoom": (0, 22)}
_VIEW_FIELDS = (*_VIEW_RANGES, "note")


@dataclass(frozen=True)
class CaseView:
    """Where the map opens for a case (``view`` in case.yaml): a centre and a zoom level."""

    lat: float
    lon: float
    zoom: int
    note: str | None = None  # why this view, in words


@dataclass(frozen=True, slots=True)  # one for every record of a case
class RawFeature:
    """A feature as a case's file gives it, before it is checked: of which kind, from
    where. Its geometry and properties, not the feature's own object: over a large
    case, that object alone is a tenth of the files' size again (`feature` makes one)."""

    kind: Kind
    file: str
    geometry: Any
    properties: Any
    # what `geo.case_plain.plain_record` said of it as its file was read; None: not asked
    plain: bool | None = None

    @classmethod
    def of(cls, kind: Kind, file: str, feature: dict[str, Any], plain: bool | None = None) -> Self:
        return cls(kind, file, feature.get("geometry"), feature.get("properties"), plain)

    @property
    def feature(self) -> dict[str, Any]:
        """The feature, as `geo.case_plain.plain_record` reads one."""
        return {"type": "Feature", "geometry": self.geometry, "properties": self.properties}


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def pydantic_problems(
    error: ValidationError, *, file: str, record_of: Callable[[int], str] | None = None
) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        record = None
        if record_of is not None and loc and isinstance(loc[0], int):
            record, loc = record_of(loc[0]), loc[1:]
        message = item["msg"]
        if item["type"] == "missing":
            message = "required field is missing"
        elif "input" in item and item["type"] not in ("extra_forbidden",):
            message = f"{message} (got {item['input']!r})"[:300]
        problems.append(Problem(message, file=file, record=record, field=_field_path(loc) or None))
    return problems


def _source_refs(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every {id, quote} pointer to a source, found under keys ending in 'sources'.

    Depth first, in the order the value holds them; walked with a list of what is left
    to see rather than by recursion, so that no depth of nesting is too deep, and past
    what is neither a list nor an object (a case's record is mostly text and numbers)."""
    # (where, what, whether it is a list of pointers), the next to see last
    left: list[tuple[str, Any, bool]] = [(path, value, False)]
    while left:
        where, item, pointers = left.pop()
        if pointers:
            for index, ref in enumerate(item):
                if isinstance(ref, dict):
                    yield f"{where}[{index}]", ref
        elif isinstance(item, dict):
            inside = [
                (
                    f"{where}.{key}" if where else key,
                    child,
                    isinstance(child, list) and key.endswith("sources"),
                )
                for key, child in item.items()
                if isinstance(child, dict | list)
            ]
            left += reversed(inside)
        elif isinstance(item, list):
            inside = [
                (f"{where}[{index}]", child, False)
                for index, child in enumerate(item)
                if isinstance(child, dict | list)
            ]
            left += reversed(inside)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def check_meta(meta_data: Any, file: str) -> tuple[CaseMeta | None, list[Problem]]:
    if isinstance(meta_data, dict):  # the view is checked on its own (`check_view`)
        meta_data = {key: value for key, value in meta_data.items() if key != "view"}
    try:
        return CaseMeta.model_validate(meta_data), []
    except ValidationError as exc:
        return None, pydantic_problems(exc, file=file)


def check_view(meta_data: Any, file: str) -> tuple[CaseView | None, list[Problem]]:
    """The case's `view`, or None when it has none; every problem with its field."""
    value = meta_data.get("view") if isinstance(meta_data, dict) else None
    if value is None:
        return None, []
    if not isinstance(value, dict):
        message = (
            f"must be a mapping such as {{lat: 33.665, lon: 36.3286, zoom: 15}} (got {value!r})"
        )
        return None, [Problem(message[:300], file, field="view")]
    problems = [
        Problem(f"unknown field: a view has {', '.join(_VIEW_FIELDS)}", file, field=f"view.{key}")
        for key in value
        if key not in _VIEW_FIELDS
    ]
    for name, (low, high) in _VIEW_RANGES.items():
        number = value.get(name)
        whole = name == "zoom"
        # bool is an int to Python, and `zoom: 15.0` or `lat: "33.6"` is a slip worth naming
        if name not in value:
            message = "required field is missing"
        elif isinstance(number, bool) or not isinstance(number, int if whole else int | float):
            message = f"must be {'a whole number' if whole else 'a number'} (got {number!r})"
        elif not low <= number <= high:  # NaN fails this too
            message = f"must be from {low} to {high} (got {number!r})"
        else:
            continue
        problems.append(Problem(message[:300], file, field=f"view.{name}"))
    note = value.get("note")
    if note is not None and not isinstance(note, str):
        problems.append(Problem(f"must be text (got {note!r})"[:300], file, field="view.note"))
    if problems:
        return None, problems
    return CaseView(float(value["lat"]), float(value["lon"]), value["zoom"], note), []


def check_references(
    meta: CaseMeta | None, raw: list[RawFeature], meta_file: str, texts: dict[str, str]
) -> list[Problem]:
    assert meta is not None
    problems: list[Problem] = []
    source_ids = {source.id for source in meta.sources}
    claim_ids = {claim.id for claim in meta.claims}
    collapsed_texts = {key: _collapse(value) for key, value in texts.items()}

    seen: dict[str, str] = {}
    for collection, file, key in (
        (meta.sources, meta_file, "sources"),
        (meta.claims, meta_file, "claims"),
    ):
        for declared in collection:
            if declared.id in seen:
                problems.append(
                    Problem(
                        f"duplicate id (first in {seen[declared.id]})",
                        meta_file,
                        declared.id,
                        "id",
                    )
                )
            seen.setdefault(declared.id, f"{file} {key}")

    ids_by_kind: dict[Kind, set[str]] = {kind: set() for kind in CASE_KINDS}
    for item in raw:
        record_id = item.properties["id"]
        if record_id in seen:
            problems.append(
                Problem(
                    f"duplicate id (first in {seen[record_id]})",
                    item.file,
                    record_id,
                    "id",
                )
            )
        seen.setdefault(record_id, item.file)
        ids_by_kind[item.kind].add(record_id)

    def check_refs(value: Any, file: str, record: str | None, prefix: str) -> None:
        for path, ref in _source_refs(value, prefix):
            source_id = ref.get("id")
            if source_id not in source_ids:
                problems.append(
                    Problem(f"unknown source {source_id!r}", file, record, f"{path}.id")
                )
                continue
            quote = ref.get("quote")
            text = collapsed_texts.get(source_id)
            if isinstance(quote, str) and text is not None and _collapse(quote) not in text:
                problems.append(
                    Problem(
                        f"quote is not verbatim in the text of source {source_id!r}: {quote!r}",
                        file,
                        record,
                        f"{path}.quote",
                    )
                )

    meta_dump = meta.model_dump(by_alias=True)
    for key in ("claims", "stated_distances"):
        for index, item in enumerate(meta_dump[key]):
            check_refs(item, meta_file, item.get("id", f"{key}[{index}]"), f"{key}[{index}]")
    for index, distance in enumerate(meta.stated_distances):
        for place in (distance.from_place, distance.to_place):
            if place not in ids_by_kind[Kind.PLACE] and raw:
                problems.append(
                    Problem(
                        f"unknown place {place!r}",
                        meta_file,
                        f"stated_distances[{index}]",
                        "from/to",
                    )
                )

    for item in raw:
        props = item.properties
        record_id = props["id"]
        check_refs(props, item.file, record_id, "")
        claim = props.get("claim")
        if claim is not None and claim not in claim_ids:
            problems.append(Problem(f"unknown claim {claim!r}", item.file, record_id, "claim"))
        for key, kind in _RECORD_REFERENCES.items():
            targets = props.get(key)
            if targets is None:
                continue
            for target in targets if isinstance(targets, list) else [targets]:
                if target not in ids_by_kind[kind]:
                    problems.append(
                        Problem(
                            f"unknown {kind.value} {target!r}",
                            item.file,
                            record_id,
                            key,
                        )
                    )
    return problems
