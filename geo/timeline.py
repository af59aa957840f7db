"""The timeline chart: every dated record as a bar over the span its date covers.

A month-precise date is drawn as the whole month and a year as the whole year,
so the chart never looks more precise than the sources.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from geo.model import KIND_COLOURS, Kind
from geo.query import RESEARCHER_LABEL, date_mask, timeline_rows

# Past this many records one row per record is unreadable: one row per kind.
MAX_NAMED_ROWS = 60

_COLOURS = {kind.label: KIND_COLOURS[kind] for kind in Kind if kind.dated} | {
    RESEARCHER_LABEL: "#009E73"
}


def timeline_chart(records: pd.DataFrame, start: date | None, end: date | None) -> alt.LayerChart:
    rows = timeline_rows(records)
    rows["in view"] = date_mask(
        records.dropna(subset=["date_start"]).reset_index(drop=True), start, end
    ).to_numpy()
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
    encoding = {
        "y": y,
        "color": alt.Color(
            "kind:N",
            scale=alt.Scale(domain=list(_COLOURS), range=list(_COLOURS.values())),
            legend=alt.Legend(orient="bottom", title=None),
        ),
        "opacity": alt.condition("datum['in view']", alt.value(1.0), alt.value(0.2)),
        "tooltip": [
            alt.Tooltip("name:N"),
            alt.Tooltip("kind:N"),
            alt.Tooltip("date_as_stated:N", title="date as stated"),
            alt.Tooltip("date:N", title="recorded as"),
            alt.Tooltip("precision:N"),
        ],
    }
    base = alt.Chart(rows).encode(
        x=alt.X(
            "start:T",
            title="date (bars span the precision of the source)",
            axis=alt.Axis(format="%Y", tickCount="year", labelOverlap=True),
        ),
        **encoding,
    )
    bars = base.mark_bar(height=10 if by_name else 18, cornerRadius=2).encode(x2="end:T")
    # A day is too thin to see as a bar on a multi-year axis: mark it with a point too.
    days = base.transform_filter("datum.precision == 'day'").mark_point(
        shape="diamond", size=70, filled=True
    )
    lo = pd.Timestamp(start) if start else rows["start"].min()
    hi = pd.Timestamp(end) + pd.Timedelta(days=1) if end else rows["end"].max()
    window = (
        alt.Chart(pd.DataFrame({"from": [lo], "to": [hi]}))
        .mark_rect(color="#2563eb", opacity=0.08, stroke="#2563eb", strokeDash=[4, 3])
        .encode(x="from:T", x2="to:T")
    )
    # A step per row, not a fixed height: every record keeps a readable label.
    return alt.layer(window, bars, days).properties(height=alt.Step(24) if by_name else 160)
