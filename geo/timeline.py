"""The timeline chart: every dated record as a bar over the span its date covers.

A month-precise date is drawn as the whole month and a year as the whole year,
so the chart never looks more precise than the sources.

The chart is also a control. Clicking a bar, or a day's diamond, picks that
record; dragging across the chart brushes a span of dates. Both are Vega-Lite
selection parameters, ``PICK`` and ``SPAN``, and ``read_selection`` turns what
Streamlit reports for them into a ``TimelineChoice``.

Past ``MAX_RECORD_BARS`` dated records a bar per record is neither readable nor
cheap to send (the chart's data was every record): the chart counts records per
time bin instead (``geo.timebins``), a stacked bar per bin and kind, and its data
is at most bins x kinds rows. A bin picks no record; brushing still filters.
``timeline_caption`` says which chart it is and how a bar counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import altair as alt
import pandas as pd

from geo.model import KIND_COLOURS
from geo.query import RESEARCHER_LABEL, date_mask, timeline_kinds, timeline_rows
from geo.records import CASE_KINDS
from geo.timebins import Binning, BinUnit, choose_binning, count_by_bin

# Past this many records one row per record is unreadable: one row per kind.
MAX_NAMED_ROWS = 60
# Past this many dated records, a bar per record is too many: records counted per time bin.
MAX_RECORD_BARS = 2_000

# The selection parameters, by the names Streamlit's ``selection_mode`` and its
# event use; and the field each one reports: the record's id, and the x field.
PICK = "pick"
SPAN = "span"
PICK_FIELD = "id"
SPAN_FIELD = "start"

TIMELINE_COLOURS = {kind.label: KIND_COLOURS[kind] for kind in CASE_KINDS if kind.dated} | {
    RESEARCHER_LABEL: "#009E73"
}


def timeline_binning(records: pd.DataFrame, max_bars: int = MAX_RECORD_BARS) -> Binning | None:
    """The bins the timeline counts `records` in; None for a bar per record (at most
    `max_bars` dated records)."""
    dated = records.dropna(subset=["date_start"])
    if len(dated) <= max_bars:
        return None
    return choose_binning(dated["date_start"].min(), dated["date_end"].max())


def timeline_caption(records: pd.DataFrame, max_bars: int = MAX_RECORD_BARS) -> str:
    """What the chart of `records` shows, and how to use it (Markdown, no record text)."""
    binning = timeline_binning(records, max_bars)
    if binning is None:
        return (
            "Bars span what the source states: a month-dated image covers the whole "
            "month. Faded bars are outside the date filter; the shaded band is the filter. "
            "Click a bar to select its record; drag across dates to filter by them."
        )
    dated = int(records["date_start"].notna().sum())
    unit = binning.words
    example = {
        BinUnit.DAY: "a month-dated record in each day of its month",
        BinUnit.WEEK: "a month-dated record in each week of its month",
        BinUnit.MONTH: "a year-dated record in each month of its year",
        BinUnit.YEAR: "a record dated 2013/2016 in each bar those years fall in",
    }[binning.unit]
    return (
        f"Aggregated: {dated:,} dated records are more than {max_bars:,}, so each bar counts "
        f"the records of one kind whose date overlaps one {unit}, not one record. A record "
        f"is counted in every {unit} its date overlaps ({example}), so the bars can add up "
        f"to more than {dated:,}; a bar's tooltip also says how many lie wholly within its "
        f"{unit}. Faded bars are outside "
        "the date filter; the shaded band is the filter. Drag across dates to filter by "
        "them; find a single record with the search beside the map."
    )


def timeline_chart(
    records: pd.DataFrame,
    start: date | None,
    end: date | None,
    selected: str | None = None,
    max_bars: int = MAX_RECORD_BARS,
) -> alt.LayerChart:
    """Bars per record, the filter ``[start, end]`` shaded, with ``PICK`` and ``SPAN``;
    past `max_bars` dated records, counts per time bin (``binned_chart``).

    The record ``selected`` (the app's selection, from the map, the panel or
    this chart) is outlined. The outline follows the app, not the chart's own
    ``PICK`` state, which keeps its last click until the chart is remounted.

    Both parameters live on the bars' layer. One name on two layers is refused
    by Vega-Lite ("Duplicate signal name"), and it is not needed: a click
    anywhere in a layered chart reaches the point selection, so a day's
    diamond picks its record too, and a click on empty space picks nothing.
    Vega-Lite draws the brush's outline above every layer: while a brush is
    shown, the bars under it cannot be clicked.
    """
    binning = timeline_binning(records, max_bars)
    if binning is not None:
        return binned_chart(records, start, end, binning)
    rows = timeline_rows(records)
    rows["in view"] = date_mask(
        records.dropna(subset=["date_start"]).reset_index(drop=True), start, end
    ).to_numpy()
    # a column, not an expression: an id never has to be quoted into Vega's language
    rows["selected"] = rows["id"] == selected
    # Days are UTC days. Naive timestamps are read as the browser's local time,
    # so a brush would come back shifted by its UTC offset (a day early east of
    # Greenwich, once the offset reaches midnight).
    rows["start"] = _utc(rows["start"])
    rows["end"] = _utc(rows["end"])
    rows["about"] = rows["name"] + " (" + rows["kind"] + "), " + rows["date_as_stated"]
    by_name = len(rows) <= MAX_NAMED_ROWS
    y = (
        alt.Y(
            "label:N",
            sort=alt.EncodingSortField("start"),
            title=None,
            axis=alt.Axis(labelLimit=320),
        )
        if by_name
        else alt.Y("kind:N", title=None)
    )
    base = alt.Chart(rows).encode(
        x=alt.X(
            f"{SPAN_FIELD}:T",
            title="date (bars span the precision of the source); drag to choose dates",
            scale=alt.Scale(type="utc"),
            axis=alt.Axis(format="%Y", tickCount="year", labelOverlap=True),
        ),
        y=y,
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(domain=list(TIMELINE_COLOURS), range=list(TIMELINE_COLOURS.values())),
            legend=alt.Legend(orient="bottom", title=None),
        ),
        opacity=alt.condition("datum['in view']", alt.value(1.0), alt.value(0.2)),
        # the selected record is outlined, inside the filter window or not
        stroke=alt.condition("datum.selected", alt.value("#111827"), alt.value(None)),
        strokeWidth=alt.condition("datum.selected", alt.value(2.5), alt.value(0)),
        # what a screen reader says for a bar (by default: its dates, in local time)
        description=alt.Description("about:N"),
        tooltip=[
            alt.Tooltip("name:N"),
            alt.Tooltip("kind:N"),
            alt.Tooltip("date_as_stated:N", title="date as stated"),
            alt.Tooltip("date:N", title="recorded as"),
            alt.Tooltip("precision:N"),
        ],
    )
    bars = (
        base.mark_bar(height=10 if by_name else 18, cornerRadius=2, cursor="pointer")
        .encode(x2="end:T")
        .add_params(
            # one record at a time: without toggle=False shift-click adds to the pick
            alt.selection_point(name=PICK, fields=[PICK_FIELD], toggle=False),
            alt.selection_interval(name=SPAN, encodings=["x"]),
        )
    )
    # A day is too thin to see as a bar on a multi-year axis: mark it with a point too.
    days = base.transform_filter("datum.precision == 'day'").mark_point(
        shape="diamond", size=70, filled=True, cursor="pointer"
    )
    lo = pd.Timestamp(start) if start else rows["start"].min()
    hi = pd.Timestamp(end) + pd.Timedelta(days=1) if end else rows["end"].max()
    window = _window(lo, hi)
    # A step per row, not a fixed height: every record keeps a readable label. A LayerChart
    # itself, not `alt.layer`, which may return a FacetChart (for layers with facets: none here).
    layers = alt.LayerChart(layer=[window, bars, days])
    return layers.properties(height=alt.Step(24) if by_name else 160)


def binned_chart(
    records: pd.DataFrame, start: date | None, end: date | None, binning: Binning
) -> alt.LayerChart:
    """Dated records counted per bin of `binning` and kind (see ``geo.timebins``), as
    stacked bars, with the filter shaded and the same ``PICK`` and ``SPAN``.

    The data is one row per bin and kind that has a record, whatever the number of
    records. ``PICK`` is declared (the app asks for both parameters) but a bin has
    no record id: a click picks nothing. ``SPAN`` brushes dates as on the other chart.
    """
    dated = records.dropna(subset=["date_start"])
    counts, _ = count_by_bin(dated["date_start"], dated["date_end"], timeline_kinds(dated), binning)
    rows = counts.rename(columns={"group": "kind"})
    rows["when"] = rows["bin"].map({b: binning.label(b) for b in rows["bin"].unique()})
    rows["in view"] = _bins_in_view(rows["bin"], rows["bin_end"], start, end)
    rows["start"], rows["end"] = _utc(rows["bin"]), _utc(rows["bin_end"])
    rows["about"] = (
        rows["kind"]
        + ": "
        + rows["records"].astype(str)
        + " records whose date overlaps "
        + rows["when"]
    )
    rows = rows.drop(columns=["bin", "bin_end"])
    bars = (
        alt.Chart(rows)
        .mark_bar(cursor="crosshair")
        .encode(
            x=alt.X(
                f"{SPAN_FIELD}:T",
                title=f"date, in {binning.words} bins; drag to choose dates",
                scale=alt.Scale(type="utc"),
                axis=alt.Axis(format="%Y", tickCount="year", labelOverlap=True),
            ),
            x2="end:T",
            y=alt.Y("records:Q", title=f"records whose date overlaps the {binning.words}"),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=list(TIMELINE_COLOURS), range=list(TIMELINE_COLOURS.values())
                ),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            opacity=alt.condition("datum['in view']", alt.value(1.0), alt.value(0.2)),
            description=alt.Description("about:N"),
            tooltip=[
                alt.Tooltip("when:N", title=binning.words),
                alt.Tooltip("kind:N"),
                alt.Tooltip("records:Q", title="records whose date overlaps it", format=","),
                alt.Tooltip("within:Q", title="of them, dated wholly within it", format=","),
            ],
        )
        .add_params(
            alt.selection_point(name=PICK, fields=[PICK_FIELD], toggle=False),
            alt.selection_interval(name=SPAN, encodings=["x"]),
        )
    )
    lo = pd.Timestamp(start) if start else counts["bin"].min()
    hi = pd.Timestamp(end) + pd.Timedelta(days=1) if end else counts["bin_end"].max()
    layers = alt.LayerChart(layer=[_window(lo, hi), bars])
    return layers.properties(height=220)


def _bins_in_view(
    first: pd.Series, after: pd.Series, start: date | None, end: date | None
) -> pd.Series:
    """Bins `[first, after)` that overlap the filter `[start, end]` (both days included)."""
    if start is not None and end is not None and end < start:
        return pd.Series(False, index=first.index)  # an empty range: nothing dated
    keep = pd.Series(True, index=first.index)
    if end is not None:
        keep &= first <= pd.Timestamp(end)
    if start is not None:
        keep &= after > pd.Timestamp(start)
    return keep


def _window(lo: pd.Timestamp, hi: pd.Timestamp) -> alt.Chart:
    """The date filter, shaded."""
    window: alt.Chart = (
        alt.Chart(pd.DataFrame({"from": _utc(pd.Series([lo])), "to": _utc(pd.Series([hi]))}))
        .mark_rect(color="#2563eb", opacity=0.08, stroke="#2563eb", strokeDash=[4, 3])
        .encode(x="from:T", x2="to:T")
    )
    return window


def _utc(stamps: pd.Series) -> pd.Series:
    return stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps.dt.tz_convert("UTC")


@dataclass(frozen=True)
class TimelineChoice:
    """What a click or a brush on the timeline asks for; all None when nothing is chosen.

    ``start`` and ``end`` are both set or both None, ``start <= end``, and the
    span includes both days.
    """

    record_id: str | None = None
    start: date | None = None
    end: date | None = None

    @property
    def span(self) -> tuple[date, date] | None:
        return None if self.start is None or self.end is None else (self.start, self.end)


def read_selection(selection: Mapping[str, Any] | None) -> TimelineChoice:
    """Turn the chart event's ``selection`` into a picked record and a brushed span.

    What Streamlit 1.67 delivered in Chromium for ``st.altair_chart(chart,
    on_select=..., selection_mode=[PICK, SPAN], key=...)``:

    - before any interaction: ``{"pick": {}, "span": {}}``;
    - the first event has only the parameter that changed:
      ``{"pick": [{"id": "feat-1"}]}`` for a click on a bar or a day's diamond
      (a list of one object per picked point, Vega-Lite's ``vlPoint.or``);
    - a click on empty space: ``{"pick": {}}`` (``{"pick": [{}]}`` while the
      shaded window still took clicks: a mark without an id; read as nothing);
    - a brush: ``{"pick": {}, "span": {"start": [1361311956610, 1422650098983]}}``,
      integer epoch milliseconds, low end first whichever way the drag went.
      The drag's closing click empties ``pick`` on an SVG chart; on a canvas
      chart (past 2,000 marks) the last pick stays beside the new span;
    - a double click: ``{"pick": {}, "span": {}}``.

    Values stay in the event on later reruns until the chart changes them. Also
    accepted: ISO 8601 strings for the span ends (UTC when they carry no offset),
    the ends in either order, floats, and the ``{"id": ["feat-1"]}`` form of a
    point selection. The span is the UTC days the brush touches, both included
    (the chart draws UTC days). Anything else (several ids, a non-string id, a
    one-ended or non-finite span, wrong types) is dropped, part by part: a good
    pick survives a broken span and the reverse.
    """
    if not isinstance(selection, Mapping):
        return TimelineChoice()
    record_id = _picked_id(selection.get(PICK))
    span = _brushed_days(selection.get(SPAN))
    if span is None:
        return TimelineChoice(record_id)
    return TimelineChoice(record_id, *span)


def _picked_id(pick: Any) -> str | None:
    ids: Sequence[object]
    if isinstance(pick, Sequence) and not isinstance(pick, str | bytes):
        # the form Streamlit delivers: [{"id": ...}], one object per picked point
        ids = [p.get(PICK_FIELD) if isinstance(p, Mapping) else None for p in pick]
    elif isinstance(pick, Mapping):
        listed = pick.get(PICK_FIELD)
        if not isinstance(listed, Sequence) or isinstance(listed, str | bytes):
            return None
        ids = listed
    else:
        return None
    if len(ids) != 1:
        return None  # nothing picked, or several: no single record to follow
    (only,) = ids
    return only if isinstance(only, str) and only else None


def _brushed_days(span: Any) -> tuple[date, date] | None:
    if not isinstance(span, Mapping):
        return None
    ends = span.get(SPAN_FIELD)
    if not isinstance(ends, Sequence) or isinstance(ends, str | bytes) or len(ends) != 2:
        return None
    first, second = (_day(end) for end in ends)
    if first is None or second is None:
        return None
    low, high = sorted((first, second))
    return low, high


def _day(value: Any) -> date | None:
    """The UTC day an instant falls on: epoch milliseconds or an ISO 8601 string."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            if not math.isfinite(value):
                return None
            return datetime.fromtimestamp(value / 1000, tz=UTC).date()
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip())
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC)
            return parsed.date()
    except (ValueError, OverflowError, OSError):
        return None
    return None
