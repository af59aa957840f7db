"""The text of a record on the map: its hover text and its line in the click list.

The one place map text about a record is made: every string goes through
`geo.escape.escape_text` here, and the browser inserts the result as HTML
(`geo.mapdata` serves it, ``static/js/record-layer.js`` and `geo.picker` show it).
"""

from __future__ import annotations

import math
from typing import Any

from geo.escape import escape_text, shorten
from geo.frame import RecordRow
from geo.records import CASE_LAYER, Kind, kind_label

# Characters in a line of a record's label on the map (hover text, click list).
LABEL_LIMIT = 90


def _confidence_text(confidence: Any, as_stated: Any) -> str:
    if not confidence:
        return ""
    if as_stated and as_stated != confidence:
        return f"{confidence} (source: {as_stated})"
    return str(confidence)


def _is_case(row: RecordRow) -> bool:
    return row.layer == CASE_LAYER


def _uncertainty_text(row: RecordRow) -> str | None:
    if isinstance(row.uncertainty_m, float) and math.isnan(row.uncertainty_m):
        return None
    return f"position ±{row.uncertainty_m:,.0f} m"


def label_html(row: RecordRow, drawing_note: str | None = None) -> str:
    """The short, escaped text of a record on the map (tooltip and click list).

    Name and kind, the date as stated, confidence, and the uncertainty of the position
    or the researcher's layer, and how the drawing differs from the record if it was
    simplified. The whole record (claim, claimant, sources and quotes) is in the
    panel beside the map.
    """
    lines = [f"<b>{escape_text(_short(row.name))}</b> · {escape_text(kind_label(row.kind))}"]
    if row.date:
        # the words cut, the recorded date (and so its precision) whole
        lines.append(escape_text(f"{_short(row.date_as_stated or '')} [{row.date}]"))
    confidence = _confidence_text(row.confidence, row.properties.get("confidence_as_stated"))
    if confidence:
        lines.append(f"confidence: {escape_text(_short(confidence))}")
    if not _is_case(row):
        lines.append(f"layer: {escape_text(_short(row.layer))}")
    elif row.kind != Kind.PLACE.value and _uncertainty_text(row):
        lines.append(escape_text(_uncertainty_text(row)))
    if drawing_note:
        lines.append(f"<i>{escape_text(drawing_note)}</i>")
    return "<br>".join(lines)


def _short(text: str) -> str:
    """A line of a label: the panel beside the map has the whole text."""
    return shorten(text, LABEL_LIMIT)
