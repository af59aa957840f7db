"""The timeline chart's selection parameters, and reading what Streamlit reports for them.

The selection shapes in these tables were seen in headless Chromium with
Streamlit 1.67 (see ``read_selection``'s docstring).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.synthetic import dated, record, write_case
from geo.timeline import (
    PICK,
    PICK_FIELD,
    SPAN,
    SPAN_FIELD,
    TimelineChoice,
    read_selection,
    timeline_chart,
)

NOTHING = TimelineChoice()


def brush(low: Any, high: Any) -> dict[str, Any]:
    return {SPAN: {SPAN_FIELD: [low, high]}}


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        # --- as observed in Chromium
        pytest.param({PICK: {}, SPAN: {}}, NOTHING, id="untouched"),
        pytest.param({PICK: [{"id": "feat-1"}]}, TimelineChoice("feat-1"), id="first-click"),
        pytest.param(
            {PICK: [{"id": "ev-day"}], SPAN: {}}, TimelineChoice("ev-day"), id="click-diamond"
        ),
        pytest.param({PICK: {}}, NOTHING, id="click-empty-space"),
        pytest.param({PICK: [{}]}, NOTHING, id="click-mark-without-id"),
        pytest.param(
            {PICK: {}, SPAN: {SPAN_FIELD: [1361311956610, 1422650098983]}},
            TimelineChoice(None, date(2013, 2, 19), date(2015, 1, 30)),
            id="brush",
        ),
        pytest.param(
            # dragged from the left edge of January 2015's bar to its right edge,
            # the same numbers in UTC, Pacific/Auckland and America/Los_Angeles
            brush(1420070403637, 1422748810064),
            TimelineChoice(None, date(2015, 1, 1), date(2015, 2, 1)),
            id="brush-a-month-bar",
        ),
        pytest.param(
            # canvas charts keep the last pick beside a new brush
            {PICK: [{"id": "ev-1467"}], SPAN: {SPAN_FIELD: [1357421373134, 1420531773134]}},
            TimelineChoice("ev-1467", date(2013, 1, 5), date(2015, 1, 6)),
            id="canvas-pick-and-brush",
        ),
        # --- other forms of the same thing
        pytest.param(
            brush(1422650098983, 1361311956610),
            TimelineChoice(None, date(2013, 2, 19), date(2015, 1, 30)),
            id="reversed",
        ),
        pytest.param(
            brush(1361311956610.25, 1422650098983.9),
            TimelineChoice(None, date(2013, 2, 19), date(2015, 1, 30)),
            id="float-ms",
        ),
        pytest.param(
            brush(1420070400000, 1420070400000),
            TimelineChoice(None, date(2015, 1, 1), date(2015, 1, 1)),
            id="one-instant",
        ),
        pytest.param(
            brush("2013-02-19T22:12:36.610Z", "2015-01-30T20:34:58.983Z"),
            TimelineChoice(None, date(2013, 2, 19), date(2015, 1, 30)),
            id="iso-utc",
        ),
        pytest.param(
            # offsets are turned to UTC: 01:30 in Kyiv is the day before in UTC
            brush("2015-03-10T01:30:00+02:00", "2015-03-10T23:30:00-02:00"),
            TimelineChoice(None, date(2015, 3, 9), date(2015, 3, 11)),
            id="iso-offsets",
        ),
        pytest.param(
            brush("2015-03-10T12:00:00", "2015-03-12"),
            TimelineChoice(None, date(2015, 3, 10), date(2015, 3, 12)),
            id="iso-naive-and-date",
        ),
        pytest.param(
            brush("2015-06-01T00:00:00Z", 1420070400000),
            TimelineChoice(None, date(2015, 1, 1), date(2015, 6, 1)),
            id="mixed-and-reversed",
        ),
        pytest.param({PICK: {"id": ["feat-1"]}}, TimelineChoice("feat-1"), id="point-as-mapping"),
        pytest.param(
            {PICK: ({"id": "feat-1"},), SPAN: {SPAN_FIELD: (0, 86_399_999)}},
            TimelineChoice("feat-1", date(1970, 1, 1), date(1970, 1, 1)),
            id="tuples",
        ),
    ],
)
def test_read_selection(selection, expected):
    assert read_selection(selection) == expected


@pytest.mark.parametrize(
    "selection",
    [
        pytest.param(None, id="none"),
        pytest.param("pick", id="string"),
        pytest.param([{"id": "feat-1"}], id="list"),
        pytest.param(42, id="number"),
        pytest.param({}, id="empty"),
        pytest.param({"other": [{"id": "feat-1"}]}, id="unknown-parameter"),
        # picks that name no single record
        pytest.param({PICK: "feat-1"}, id="pick-string"),
        pytest.param({PICK: b"feat-1"}, id="pick-bytes"),
        pytest.param({PICK: None}, id="pick-none"),
        pytest.param({PICK: 3}, id="pick-number"),
        pytest.param({PICK: []}, id="pick-empty-list"),
        pytest.param({PICK: [{"id": "a"}, {"id": "b"}]}, id="pick-two"),
        pytest.param({PICK: [{"id": 7}]}, id="pick-number-id"),
        pytest.param({PICK: [{"id": ""}]}, id="pick-empty-id"),
        pytest.param({PICK: [{"id": None}]}, id="pick-null-id"),
        pytest.param({PICK: [{"id": ["feat-1"]}]}, id="pick-nested"),
        pytest.param({PICK: [{"name": "feat-1"}]}, id="pick-other-field"),
        pytest.param({PICK: ["feat-1"]}, id="pick-bare-id"),
        pytest.param({PICK: {"id": "feat-1"}}, id="pick-mapping-string"),
        pytest.param({PICK: {"id": []}}, id="pick-mapping-empty"),
        pytest.param({PICK: {"id": ["a", "b"]}}, id="pick-mapping-two"),
        # spans that are not two instants
        pytest.param({SPAN: [1, 2]}, id="span-list"),
        pytest.param({SPAN: None}, id="span-none"),
        pytest.param({SPAN: {"end": [1, 2]}}, id="span-other-field"),
        pytest.param({SPAN: {SPAN_FIELD: [1]}}, id="span-one-end"),
        pytest.param({SPAN: {SPAN_FIELD: [1, 2, 3]}}, id="span-three-ends"),
        pytest.param({SPAN: {SPAN_FIELD: "2015"}}, id="span-string"),
        pytest.param({SPAN: {SPAN_FIELD: "12"}}, id="span-two-char-string"),
        pytest.param({SPAN: {SPAN_FIELD: {"a": 1, "b": 2}}}, id="span-mapping"),
        pytest.param(brush(None, 1), id="span-null-end"),
        pytest.param(brush(True, 1), id="span-bool"),
        pytest.param(brush(float("nan"), 1), id="span-nan"),
        pytest.param(brush(float("inf"), 1), id="span-inf"),
        pytest.param(brush(1e30, 1), id="span-overflow"),
        pytest.param(brush(-1e16, 1), id="span-before-year-1"),
        pytest.param(brush("not a date", 1), id="span-text"),
        pytest.param(brush("", 1), id="span-blank"),
        pytest.param(brush("2015-13-45", 1), id="span-impossible-date"),
        pytest.param(brush([1], 2), id="span-nested"),
        pytest.param(brush({"t": 1}, 2), id="span-object-end"),
    ],
)
def test_read_selection_refuses_garbage(selection):
    assert read_selection(selection) == NOTHING


def test_one_broken_part_keeps_the_other():
    pick_and_bad_span = {PICK: [{"id": "a"}], SPAN: {SPAN_FIELD: ["bad", 1]}}
    assert read_selection(pick_and_bad_span) == TimelineChoice("a")
    bad_pick_and_span = {PICK: [{"id": 1}], SPAN: {SPAN_FIELD: [0, 0]}}
    assert read_selection(bad_pick_and_span) == TimelineChoice(
        None, date(1970, 1, 1), date(1970, 1, 1)
    )


def test_choice_is_frozen_and_has_a_span():
    choice = TimelineChoice("a", date(2015, 1, 1), date(2015, 1, 31))
    assert choice.span == (date(2015, 1, 1), date(2015, 1, 31))
    assert TimelineChoice("a").span is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        choice.record_id = "b"  # type: ignore[misc]


# --- the chart


def spec_of(records: pd.DataFrame, *args: Any, **kwargs: Any) -> dict[str, Any]:
    return timeline_chart(records, *args, **kwargs).to_dict()


def test_parameters_are_declared_once_on_the_bars(tiny_case):
    spec = spec_of(tiny_case.records, None, None)
    params = {param["name"]: param for param in spec["params"]}
    assert sorted(params) == sorted([PICK, SPAN])
    assert len(spec["params"]) == 2  # Vega-Lite refuses a name twice: "Duplicate signal name"
    assert params[PICK]["select"] == {"type": "point", "fields": [PICK_FIELD], "toggle": False}
    assert params[SPAN]["select"] == {"type": "interval", "encodings": ["x"]}
    # both on one view: the bars, whose x field is what the brush reports
    (view,) = params[PICK]["views"]
    assert params[SPAN]["views"] == [view]
    (bars,) = [layer for layer in spec["layer"] if layer.get("name") == view]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["x"]["field"] == SPAN_FIELD
    assert bars["encoding"]["x"]["scale"] == {"type": "utc"}
    assert all("params" not in layer for layer in spec["layer"])


def test_selected_record_is_outlined(tiny_case):
    chart = timeline_chart(tiny_case.records, None, None, selected="img-month")
    rows = chart.layer[1].data
    assert rows.loc[rows["selected"], "id"].tolist() == ["img-month"]
    assert not timeline_chart(tiny_case.records, None, None).layer[1].data["selected"].any()
    # an id that would break out of a Vega expression is only ever data
    hostile = "x' || true || '"
    chart = timeline_chart(tiny_case.records, None, None, selected=hostile)
    assert hostile not in str(chart.to_dict()["layer"])


def test_days_are_utc(tiny_case):
    chart = timeline_chart(tiny_case.records, date(2015, 1, 10), date(2015, 2, 1))
    rows = chart.layer[1].data
    assert str(rows["start"].dt.tz) == "UTC" and str(rows["end"].dt.tz) == "UTC"
    window = chart.layer[0].data
    assert window["from"].iloc[0] == pd.Timestamp("2015-01-10", tz="UTC")
    assert window["to"].iloc[0] == pd.Timestamp("2015-02-02", tz="UTC")  # the end day, whole
    # the filter shading and fading are unchanged
    assert dict(zip(rows["id"], rows["in view"], strict=True)) == {
        "img-month": True,
        "feat-1": True,
        "ev-day": False,
        "ev-year": False,
    }


def test_many_records_keep_the_parameters(tmp_path: Path):
    from geo.case import load_case

    events = [dated(f"ev-{i}", f"20{10 + i % 9}-0{1 + i % 9}-1{i % 9}") for i in range(80)]
    files = {"places.geojson": [record("p")], "events.geojson": events}
    case = load_case(write_case(tmp_path / "many", files=files))
    spec = spec_of(case.records, None, None)
    assert {param["name"] for param in spec["params"]} == {PICK, SPAN}
    assert spec["layer"][1]["encoding"]["y"]["field"] == "kind"  # one row per kind


def _page(case_dir: str) -> None:
    """A page with the chart as the app shows it; AppTest runs it."""
    from pathlib import Path

    import streamlit as st

    from geo.case import load_case
    from geo.timeline import PICK, SPAN, timeline_chart

    records = load_case(Path(case_dir)).records
    event = st.altair_chart(
        timeline_chart(records, None, None),
        on_select="rerun",
        selection_mode=[PICK, SPAN],
        key="timeline",
        width="stretch",
    )
    st.session_state["seen"] = dict(event.selection)


def test_streamlit_accepts_the_parameters(tiny_case_dir: Path):
    # Streamlit checks selection_mode against the spec it will send: an unknown
    # or missing parameter raises StreamlitAPIException here.
    at = AppTest.from_function(_page, args=(str(tiny_case_dir),), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.session_state["seen"] == {PICK: {}, SPAN: {}}
    assert read_selection(at.session_state["seen"]) == NOTHING
