"""Load a case and validate it, reporting every problem with file, record and field.

A case is a folder: ``case.yaml`` (sources, claims, and optionally where the map
opens) and one GeoJSON file per kind of record. It can also be a single GeoJSON
file written by `geo.export`, which is how an export is read back without loss.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import TypeAdapter, ValidationError

from geo.bulk import collection_paused
from geo.case_checks import (
    CaseView,
    RawFeature,
    check_meta,
    check_references,
    check_view,
    pydantic_problems,
)
from geo.case_plain import ValuePool, plain_record
from geo.errors import DataError, Problem
from geo.featurestream import collection_items
from geo.frame import RecordFields, fields_frame
from geo.geojson import features_of, geometry_problems, read_json_file
from geo.model import (
    KIND_FILES,
    CaseMeta,
    Claim,
    DatedRecordProperties,
    RecordProperties,
    Source,
    properties_model,
)
from geo.records import CASE_KINDS, CASE_LAYER, Kind, fields_problems
from geo.text import decode_text

CASE_FILE = "case.yaml"
ENV_CASES_DIR = "GEO_CASES_DIR"
DEFAULT_CASES_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_CASE_DIR = DEFAULT_CASES_DIR / "saydnaya"

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

# What `build_case` checks with the rules of every record: the geometry is checked in
# the words of a GeoJSON file's checks, and properties read from JSON are JSON.
_FIELDS_CHECKED_AS_A_RECORD = ("id", "layer", "kind", "name", "date", "date_as_stated")

# A kind's properties are validated as one list, so that a problem's place names its
# record; one validator per model (`properties_model` says which), built once.
_PROPERTIES_LISTS: dict[type[RecordProperties], TypeAdapter[list[Any]]] = {
    RecordProperties: TypeAdapter(list[RecordProperties]),
    DatedRecordProperties: TypeAdapter(list[DatedRecordProperties]),
}


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
        return list(self.place_names())

    def place_names(self) -> dict[str, str]:
        """The case's places' names by id, in the case's order."""
        return dict(self._place_names)

    @cached_property
    def _place_names(self) -> dict[str, str]:
        # looked up once per case: the page names the places on every rerun
        places = self.records[self.records["kind"] == Kind.PLACE.value]
        return dict(zip(places["id"], places["name"], strict=True))


def build_case(
    meta_data: Any,
    raw: list[RawFeature],
    *,
    origin: str,
    meta_file: str,
    texts: dict[str, str] | None = None,
) -> Case:
    """Validate everything, collect every problem, and build the case or raise `DataError`.

    A case's record is a `LayerRecord` of the case's layer, checked as every record
    is (`LayerRecord.problems`), whose properties also hold what the case's evidence
    needs: its sources, its uncertainty, how its position was found, and a date for
    every kind but a place (`geo.model.properties_model`). `raw` is emptied: its
    features are let go of as the records' frame is made (`_rows_of`).
    """
    texts = texts or {}
    meta, problems = check_meta(meta_data, meta_file)
    view, view_problems = check_view(meta_data, meta_file)
    problems += view_problems

    validated: list[RawFeature] = []
    pool = ValuePool()  # the case's repeated values kept once (`plain_record`)
    by_kind = {kind: [item for item in raw if item.kind is kind] for kind in CASE_KINDS}
    raw.clear()  # see `_rows_of`
    for kind, of_kind in by_kind.items():
        if not of_kind:
            continue
        # The rules are asked about the records `plain_record` cannot vouch for; the
        # others would pass them all.
        unsure = [
            index
            for index, item in enumerate(of_kind)
            if not (
                item.plain
                if item.plain is not None
                else plain_record(item.feature, dated=kind.dated, pool=pool)
            )
        ]
        if unsure:
            problems += _kind_problems(kind, of_kind, unsure)
        validated += of_kind
    del pool, by_kind, of_kind

    if not problems:
        problems += check_references(meta, validated, meta_file, texts)
    if problems:
        raise DataError(problems)
    assert meta is not None
    files = [item.file for item in validated]
    frame = fields_frame(_rows_of(validated), files=files, count=len(files))
    return Case(meta=meta, records=frame, origin=origin, texts=texts, view=view)


def _rows_of(validated: list[RawFeature]) -> Iterator[RecordFields]:
    """Each checked feature's fields, in order, each let go of as it is read, along with
    all of the feature the frame does not keep: a large case's parsed features and its
    frame are never held whole at once. (`build_case` empties the list it is given for
    the same reason.)"""
    validated.reverse()
    while validated:
        yield _case_record_fields(validated.pop())


def _kind_problems(kind: Kind, of_kind: list[RawFeature], which: list[int]) -> list[Problem]:
    """Every problem of the records `which` (indices into `of_kind`, all of one kind)."""
    properties = [of_kind[index].properties for index in which]

    def record_of(position: int) -> str:
        props = properties[position]
        record_id = props.get("id") if isinstance(props, dict) else None
        return record_id if isinstance(record_id, str) else f"#{which[position] + 1}"

    try:
        _PROPERTIES_LISTS[properties_model(kind)].validate_python(properties)
        evidence_problems: list[Problem] = []
    except ValidationError as exc:
        evidence_problems = pydantic_problems(exc, file=of_kind[0].file, record_of=record_of)
    problems = list(evidence_problems)
    for position, index in enumerate(which):
        item = of_kind[index]
        fields = _record_fields(item)
        label = record_of(position)
        # a field the evidence rules found wrong is told once, in their words
        told = {
            (problem.field or "").partition(".")[0].partition("[")[0]
            for problem in evidence_problems
            if problem.record == label
        }
        # the geometry in the words of a GeoJSON file's checks (`geometry_problems`),
        # which the record's own check quotes after "the geometry is not valid GeoJSON"
        problems += [
            Problem(message, item.file, label, "geometry")
            for message in geometry_problems(fields["geometry"])
        ]
        if "" not in told:  # the properties are an object, so the fields can be read
            problems += [
                replace(problem, record=label)
                for problem in fields_problems(
                    fields, file=item.file, fields=_FIELDS_CHECKED_AS_A_RECORD
                )
                if problem.field not in told
            ]
    return problems


def _case_record_fields(item: RawFeature) -> RecordFields:
    """A checked feature as the fields of the record it is, in `RECORD_FIELDS` order."""
    props = item.properties
    return (
        props["id"],
        CASE_LAYER,
        props["name"],
        item.kind.value,
        item.geometry,
        props,
        props.get("date"),
        props.get("date_as_stated"),
    )


def _record_fields(item: RawFeature) -> dict[str, Any]:
    """A case's feature as the fields of the record it is (`LayerRecord.to_dict`'s form)."""
    props = item.properties
    given = props if isinstance(props, dict) else {}
    return {
        "id": given.get("id"),
        "layer": CASE_LAYER,
        "kind": item.kind.value,
        "name": given.get("name"),
        "geometry": item.geometry,
        "properties": props,
        "date": given.get("date"),
        "date_as_stated": given.get("date_as_stated"),
    }


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
    # Each record is asked of `plain_record` as it is read, so that its repeated values
    # are shared (`ValuePool`) before the next is parsed (`collection_items`).
    pool = ValuePool()
    for kind, name in KIND_FILES.items():
        path = folder / name
        if not path.exists():
            continue
        try:
            raw += _raw_features(path, kind, pool)
        except DataError as exc:
            problems += exc.problems
    del pool
    if problems:
        raise DataError(problems)
    texts = _load_texts(meta_data, folder, str(meta_path))
    return build_case(meta_data, raw, origin=str(folder), meta_file=str(meta_path), texts=texts)


def _raw_features(path: Path, kind: Kind, pool: ValuePool) -> list[RawFeature]:
    file = str(path)  # one text for all the file's records (the frame's `file` column)
    dated = kind.dated
    return collection_items(
        path,
        lambda feature: RawFeature.of(
            kind, file, feature, plain_record(feature, dated=dated, pool=pool)
        ),
        file=file,
    )


def case_folders(cases_dir: Path) -> list[Path]:
    """The case folders (those holding a case.yaml) under `cases_dir`, sorted by name."""
    if not cases_dir.is_dir():
        return []
    return sorted(p for p in cases_dir.iterdir() if (p / CASE_FILE).is_file())


def cases_dir_from_env(env: Mapping[str, str] | None = None) -> Path:
    """The folder of cases the explorer offers: ``$GEO_CASES_DIR``, else ``data/``."""
    env = os.environ if env is None else env
    return Path(env.get(ENV_CASES_DIR) or DEFAULT_CASES_DIR)


def case_id_of(folder: Path) -> str | None:
    """The id its case.yaml gives the case in `folder`, read without loading the case;
    None if it gives none (`load_case` says what is wrong)."""
    meta = _load_yaml(folder / CASE_FILE)
    found = meta.get("id") if isinstance(meta, dict) else None
    return found.strip() if isinstance(found, str) and found.strip() else None


def chosen_case_id(given: str | None, cases_dir: Path) -> str:
    """The case a command works on: `given` if a case of `cases_dir` has that id, or
    the only case there; DataError naming the ids to choose from otherwise."""
    ids = sorted({i for folder in case_folders(cases_dir) if (i := case_id_of(folder))})
    choices = f"the cases there: {', '.join(ids)}" if ids else "it holds no case"
    if given is not None:
        if given.strip() in ids:
            return given.strip()
        problem = f"no case in {cases_dir} has the id {given!r} ({choices})"
    elif len(ids) == 1:
        return ids[0]
    else:
        problem = f"say which case with --case ID ({choices})"
    raise DataError(Problem(problem, field="case"))


def fingerprint(path: Path) -> str:
    """Changes whenever a file of the case changes, so caches reload edited data."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return "|".join(f"{p.name}:{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in files)


def load_case(path: str | Path) -> Case:
    """Load a case folder, or a GeoJSON file exported by this tool."""
    path = Path(path)
    if not path.exists():
        raise DataError(Problem("no such case folder or export file", file=str(path)))
    with collection_paused():  # a large case is millions of objects, none garbage
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
        raw.append(RawFeature(kind, file, feature.get("geometry"), kept))
    if problems:
        raise DataError(problems)
    return build_case(meta_data, raw, origin=file, meta_file=file)
