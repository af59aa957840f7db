"""An annotation from what the researcher entered: the form's decisions, not its widgets.

The page collects an `Observation` (label, kind, date, confidence, what it was
seen in, note); this module checks it and turns it into a new record for a drawn
shape, or into the changes of an existing annotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

import pandas as pd

from geo.case import Case
from geo.compare import Comparison, ImageLayer, image_title
from geo.dates import parse_date
from geo.errors import DataError, Problem
from geo.mapview import DrawnShape
from geo.measure import measure
from geo.records import ANNOTATIONS_LAYER, Kind, LayerRecord

# What a researcher's annotation can be, and how sure they are of it.
FORM_KINDS = (Kind.FEATURE, Kind.PLACE, Kind.AREA, Kind.OTHER)
CONFIDENCE = ("confirmed", "probable", "possible", "unverified")
NOT_STATED = "(not stated)"


@dataclass(frozen=True)
class Observation:
    """What the researcher entered about a shape, as entered."""

    label: str
    kind: Kind
    date_text: str = ""  # EDTF: 2015, 2015-01, 2015-01-18, 2013/2016; empty if unknown
    as_stated: str = ""  # the date in the researcher's words
    confidence: str = "unverified"
    observed_in: str = NOT_STATED  # "imagery: <id>" or "source: <id>"
    note: str = ""

    def dates(self) -> tuple[str | None, str | None]:
        """The EDTF date and the words it came from; DateError for a malformed date."""
        text = self.date_text.strip()
        words = self.as_stated.strip()
        if not text:
            return None, words or None
        parse_date(text)  # checked; kept as written
        return text, words or text

    def properties(self, analyst: str) -> dict[str, Any]:
        """The properties an annotation keeps from the form, signed by `analyst`."""
        return {
            "confidence": self.confidence,
            "observed_in": self.observed_in,
            "analyst": analyst,
            "note": self.note,
        }


def observation_sources(
    case: Case, images: Sequence[ImageLayer] = (), compared: Comparison | None = None
) -> dict[str, str]:
    """What an observation can cite, each with its words, the default first: the two
    images compared when comparing (what is drawn then was seen in them), else nothing
    stated; then the case's imagery records, the researcher's images, the sources."""
    imagery = case.records[case.records["kind"] == "imagery"]
    options: dict[str, str] = {}
    if compared is not None:
        pair = f"imagery: {compared.earlier.record_id} + {compared.later.record_id}"
        options[pair] = (
            f"Both compared images: {image_title(compared.earlier)} and "
            f"{image_title(compared.later)}"
        )
    options[NOT_STATED] = NOT_STATED
    options |= {f"imagery: {row.id}": f"Imagery: {row.name}" for row in imagery.itertuples()}
    options |= {f"imagery: {i.record_id}": f"Your image: {image_title(i)}" for i in images}
    options |= {f"source: {source.id}": f"Source: {source.title}" for source in case.meta.sources}
    return options


def new_annotation(
    observation: Observation, shape: DrawnShape, *, analyst: str, drawn_at: datetime
) -> LayerRecord:
    """The record for a drawn shape, ready for `Store.add`; DataError if the label is
    empty or the date malformed."""
    label = observation.label.strip()
    if not label:
        raise DataError(Problem("give the annotation a label", field="label"))
    date, as_stated = observation.dates()
    measured = measure(shape.geometry)
    properties = observation.properties(analyst) | {
        "shape": shape.shape,
        "drawn_at": drawn_at.isoformat(timespec="seconds"),
        "length_m": None if measured.length_m is None else round(measured.length_m, 1),
        "area_m2": None if measured.area_m2 is None else round(measured.area_m2, 1),
    }
    if shape.radius_m is not None and shape.centre is not None:
        properties |= {"radius_m": round(shape.radius_m, 2), "centre": list(shape.centre)}
    return LayerRecord(
        id="",
        layer=ANNOTATIONS_LAYER,
        kind=observation.kind,
        name=label,
        geometry=shape.geometry,
        properties=properties,
        date=date,
        date_as_stated=as_stated,
    )


class AnnotationChanges(TypedDict):
    """The fields of an annotation the form edits, as `Store.edit` takes them."""

    name: str
    kind: Kind
    date: str | None
    date_as_stated: str | None
    properties: dict[str, Any]


def annotation_changes(
    observation: Observation, current: LayerRecord | pd.Series, *, analyst: str
) -> AnnotationChanges:
    """The fields to give `Store.edit` for an edited annotation.

    `current` is the annotation as stored (a record, or a records frame's row, indexed
    by column: a Series's `.name` is its label). An empty label keeps the old one; the
    annotation keeps its author, and the history records who edited it.
    """
    properties = dict(_field(current, "properties") or {})
    author = properties.get("analyst") or analyst
    date, as_stated = observation.dates()
    return {
        "name": observation.label.strip() or _field(current, "name"),
        "kind": observation.kind,
        "date": date,
        "date_as_stated": as_stated,
        "properties": properties | observation.properties(author),
    }


def _field(current: LayerRecord | pd.Series, name: str) -> Any:
    return getattr(current, name) if isinstance(current, LayerRecord) else current[name]
