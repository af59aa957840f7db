"""Load a case and validate it, reporting every problem with file, record and field.

A case is a folder: ``case.yaml`` (sources, claims, and optionally where the map
opens) and one GeoJSON file per kind of record. It can also be a single GeoJSON
file written by `geo.export`, which is how an export is read back without loss.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import yaml
from pydantic import TypeAdapter, ValidationError

from geo.dates import parse_date
from geo.errors import DataError, Problem
from geo.geojson import (
    features_of,
    geometry_problems,
    read_json_file,
    representative_lonlat,
)
from geo.model import (
    KIND_FILES,
    CaseMeta,
    Claim,
    DatedRecordProperties,
    RecordProperties,
    Source,
    properties_model,
)
from geo.records import CASE_KINDS, CASE_LAYER_NAME, Kind
from geo.text import decode_text

CASE_FILE = "case.yaml"
DEFAULT_CASES_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_CASE_DIR = DEFAULT_CASES_DIR / "saydnaya"

# Columns of the records frame, one per field the app filters, sorts or shows.
# Records of the case itself; a researcher's layers have their own names (geo.workspace).
CASE_LAYER = CASE_LAYER_NAME

RECORD_COLUMNS = [
    "id",
    "layer",
    "kind",
    "name",
    "lon",
    "lat",
    "uncertainty_m",
    "date",
    "date_as_stated",
    "date_start",
    "date_end",
    "date_precision",
    "confidence",
    "claim",
    "file",
    "geometry",
    "properties",
]


class RecordRow(Protocol):
    """A row of a records frame, as `record_rows` (pandas' `itertuples`) gives it.

    One attribute per column of `RECORD_COLUMNS`; the case's records and the
    researcher's (`geo.workspace.layer_frame`) have the same columns. Read-only:
    a row is a named tuple.
    """

    @property
    def id(self) -> str: ...
    @property
    def layer(self) -> str: ...  # CASE_LAYER, or the name of a researcher's layer
    @property
    def kind(self) -> str: ...  # a Kind's or a Kind's value
    @property
    def name(self) -> str: ...
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def uncertainty_m(self) -> float: ...  # NaN when a researcher's record gives none
    @property
    def date(self) -> str | None: ...  # EDTF
    @property
    def date_as_stated(self) -> str | None: ...
    @property
    def date_start(self) -> pd.Timestamp: ...  # NaT when undated
    @property
    def date_end(self) -> pd.Timestamp: ...  # NaT when undated
    @property
    def date_precision(self) -> str | None: ...
    @property
    def confidence(self) -> str | None: ...
    @property
    def claim(self) -> str | None: ...  # a claim's id
    @property
    def file(self) -> str: ...  # where the record was read from ("store": the researcher's)
    @property
    def geometry(self) -> dict[str, Any]: ...  # RFC 7946
    @property
    def properties(self) -> dict[str, Any]: ...  # as the file or the form gave them


def record_rows(records: pd.DataFrame) -> Iterator[RecordRow]:
    """The rows of a records frame (`RECORD_COLUMNS`), in order, as fast as pandas reads them."""
    yield from records.itertuples(index=False)


# Properties an export adds for GIS users (flat, readable columns); derived from
# the record and the case, so reading an export back drops them.
DERIVED_PROPERTIES = frozenset(
    {
        "kind",
        "layer",
        "date_start",
        "date_end",
        "date_precision",
        "claim_statement",
        "claimant",
        "claim_status",
        "claim_confidence",
        "source_details",
    }
)

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

# A kind's properties are validated as one list, so that a problem's place names its
# record; one validator per model (`properties_model` says which), built once.
_PROPERTIES_LISTS: dict[type[RecordProperties], TypeAdapter[list[Any]]] = {
    RecordProperties: TypeAdapter(list[RecordProperties]),
    DatedRecordProperties: TypeAdapter(list[DatedRecordProperties]),
}


@dataclass(frozen=True)
class CaseView:
    """Where the map opens for a case (``view`` in case.yaml): a centre and a zoom level."""

    lat: float
    lon: float
    zoom: int
    note: str | None = None  # why this view, in words


@dataclass(frozen=True)
class RawFeature:
    kind: Kind
    file: str
    feature: dict[str, Any]


@dataclass(frozen=True, eq=False)
class Case:
    meta: CaseMeta
    records: pd.DataFrame
    origin: str
    texts: dict[str, str] = field(default_factory=dict)
    view: CaseView | None = None  # None: the map fits the records

    @cached_property
    def sources(self) -> dict[str, Source]:
        return {source.id: source for source in self.meta.sources}

    @cached_property
    def claims(self) -> dict[str, Claim]:
        return {claim.id: claim for claim in self.meta.claims}

    def record(self, record_id: str) -> pd.Series | None:
        rows = self.records[self.records["id"] == record_id]
        return None if rows.empty else rows.iloc[0]

    def place_ids(self) -> list[str]:
        ids: list[str] = self.records.loc[self.records["kind"] == Kind.PLACE.value, "id"].tolist()
        return ids


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _pydantic_problems(
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
    """Every {id, quote} pointer to a source, found under keys ending in 'sources'."""
    if isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else key
            if key.endswith("sources") and isinstance(item, list):
                for index, ref in enumerate(item):
                    if isinstance(ref, dict):
                        yield f"{sub}[{index}]", ref
            else:
                yield from _source_refs(item, sub)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _source_refs(item, f"{path}[{index}]")


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _check_meta(meta_data: Any, file: str) -> tuple[CaseMeta | None, list[Problem]]:
    if isinstance(meta_data, dict):  # the view is checked on its own (`_check_view`)
        meta_data = {key: value for key, value in meta_data.items() if key != "view"}
    try:
        return CaseMeta.model_validate(meta_data), []
    except ValidationError as exc:
        return None, _pydantic_problems(exc, file=file)


def _check_view(meta_data: Any, file: str) -> tuple[CaseView | None, list[Problem]]:
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


def build_case(
    meta_data: Any,
    raw: list[RawFeature],
    *,
    origin: str,
    meta_file: str,
    texts: dict[str, str] | None = None,
) -> Case:
    """Validate everything, collect every problem, and build the case or raise `DataError`."""
    texts = texts or {}
    meta, problems = _check_meta(meta_data, meta_file)
    view, view_problems = _check_view(meta_data, meta_file)
    problems += view_problems

    validated: list[RawFeature] = []
    for kind in CASE_KINDS:
        of_kind = [item for item in raw if item.kind is kind]
        if not of_kind:
            continue
        properties = [item.feature.get("properties") for item in of_kind]

        def record_of(index: int, _props: list[Any] = properties) -> str:
            props = _props[index]
            record_id = props.get("id") if isinstance(props, dict) else None
            return record_id if isinstance(record_id, str) else f"#{index + 1}"

        try:
            _PROPERTIES_LISTS[properties_model(kind)].validate_python(properties)
        except ValidationError as exc:
            problems += _pydantic_problems(exc, file=of_kind[0].file, record_of=record_of)
        for index, item in enumerate(of_kind):
            for message in geometry_problems(item.feature.get("geometry")):
                problems.append(
                    Problem(
                        message,
                        file=item.file,
                        record=record_of(index),
                        field="geometry",
                    )
                )
        validated += of_kind

    if not problems:
        problems += _check_references(meta, validated, meta_file, texts)
    if problems:
        raise DataError(problems)
    assert meta is not None
    return Case(meta=meta, records=_records_frame(validated), origin=origin, texts=texts, view=view)


def _check_references(
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
        record_id = item.feature["properties"]["id"]
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
        props = item.feature["properties"]
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


def _records_frame(raw: list[RawFeature]) -> pd.DataFrame:
    props = [item.feature["properties"] for item in raw]
    geometries = [item.feature["geometry"] for item in raw]
    lonlat = [representative_lonlat(g) for g in geometries]
    frame = pd.DataFrame(
        {
            "id": [p["id"] for p in props],
            "layer": CASE_LAYER,
            "kind": [item.kind.value for item in raw],
            "name": [p["name"] for p in props],
            "lon": [ll[0] for ll in lonlat],
            "lat": [ll[1] for ll in lonlat],
            "uncertainty_m": [float(p["uncertainty_m"]) for p in props],
            "date": [p.get("date") for p in props],
            "date_as_stated": [p.get("date_as_stated") for p in props],
            "confidence": [p.get("confidence") for p in props],
            "claim": [p.get("claim") for p in props],
            "file": [item.file for item in raw],
            "geometry": geometries,
            "properties": props,
        }
    )
    return with_date_spans(frame)[RECORD_COLUMNS]


def with_date_spans(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the span of days each record's date covers; optional text stays None, not NaN."""
    # Parse each distinct date once: cases repeat dates far more than records.
    spans = {text: parse_date(text) for text in frame["date"].dropna().unique()}
    frame["date_start"] = pd.to_datetime(
        frame["date"].map({t: s.start for t, s in spans.items()})
    ).astype("datetime64[s]")
    frame["date_end"] = pd.to_datetime(
        frame["date"].map({t: s.end for t, s in spans.items()})
    ).astype("datetime64[s]")
    frame["date_precision"] = frame["date"].map({t: s.precision.value for t, s in spans.items()})
    for column in ("date", "date_as_stated", "date_precision", "confidence", "claim"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(decode_text(path.read_bytes(), file=str(path)))
    except OSError as exc:
        raise DataError(Problem(f"cannot read: {exc.strerror}", file=str(path))) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DataError(
            Problem(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", file=str(path))
        ) from exc


def _load_texts(meta_data: Any, folder: Path, meta_file: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    sources = meta_data.get("sources") if isinstance(meta_data, dict) else None
    for source in sources if isinstance(sources, list) else []:
        if not isinstance(source, dict) or not isinstance(source.get("text_file"), str):
            continue
        path = (folder / source["text_file"]).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise DataError(
                Problem(
                    "text_file must be inside the case folder",
                    meta_file,
                    source.get("id"),
                    "text_file",
                )
            )
        try:
            texts[source["id"]] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(
                Problem(
                    f"cannot read text file {source['text_file']!r}: {exc}",
                    meta_file,
                    source.get("id"),
                    "text_file",
                )
            ) from exc
    return texts


def load_case_folder(folder: Path) -> Case:
    meta_path = folder / CASE_FILE
    if not meta_path.is_file():
        raise DataError(Problem(f"no {CASE_FILE} in this folder", file=str(folder)))
    meta_data = _load_yaml(meta_path)
    raw: list[RawFeature] = []
    problems: list[Problem] = []
    for kind, name in KIND_FILES.items():
        path = folder / name
        if not path.exists():
            continue
        try:
            features = features_of(read_json_file(path), file=str(path))
        except DataError as exc:
            problems += exc.problems
            continue
        raw += [RawFeature(kind, str(path), feature) for feature in features]
    if problems:
        raise DataError(problems)
    texts = _load_texts(meta_data, folder, str(meta_path))
    return build_case(meta_data, raw, origin=str(folder), meta_file=str(meta_path), texts=texts)


def case_folders(cases_dir: Path) -> list[Path]:
    """The case folders (those holding a case.yaml) under `cases_dir`, sorted by name."""
    if not cases_dir.is_dir():
        return []
    return sorted(p for p in cases_dir.iterdir() if (p / CASE_FILE).is_file())


def fingerprint(path: Path) -> str:
    """Changes whenever a file of the case changes, so caches reload edited data."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return "|".join(f"{p.name}:{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in files)


def load_case(path: str | Path) -> Case:
    """Load a case folder, or a GeoJSON file exported by this tool."""
    path = Path(path)
    if not path.exists():
        raise DataError(Problem("no such case folder or export file", file=str(path)))
    if path.is_dir():
        return load_case_folder(path)
    return read_export(read_json_file(path), file=str(path))


def read_export(data: Any, *, file: str) -> Case:
    """Read back a FeatureCollection written by `geo.export`: the same case, nothing lost."""
    features = features_of(data, file=file)
    meta_data = data.get("case")
    if not isinstance(meta_data, dict):
        raise DataError(
            Problem(
                "not an export of this tool: no 'case' member with sources and claims",
                file=file,
            )
        )
    raw: list[RawFeature] = []
    problems: list[Problem] = []
    kinds = [k.value for k in CASE_KINDS]
    for index, feature in enumerate(features):
        props = feature.get("properties")
        if not isinstance(props, dict):
            props = {}  # so no kind: reported below
        if props.get("layer", CASE_LAYER) != CASE_LAYER:
            continue  # a researcher's record: geo.export.layer_records reads those
        kind_name = props.get("kind")
        if not isinstance(kind_name, str) or kind_name not in kinds:
            problems.append(
                Problem(f"kind {kind_name!r} is not one of {kinds}", file, f"#{index + 1}", "kind")
            )
            continue
        kind = Kind(kind_name)
        kept = {key: value for key, value in props.items() if key not in DERIVED_PROPERTIES}
        raw.append(
            RawFeature(
                kind,
                file,
                {
                    "type": "Feature",
                    "geometry": feature.get("geometry"),
                    "properties": kept,
                },
            )
        )
    if problems:
        raise DataError(problems)
    return build_case(meta_data, raw, origin=file, meta_file=file)
