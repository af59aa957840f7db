"""The timeline past a few thousand records: records counted per time bin (geo.timebins),
and a chart whose data is bins x kinds rows, not a row per record (geo.timeline)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from geo.timebins import Binning, BinUnit, choose_binning, count_by_bin
from geo.timeline import (
    MAX_RECORD_BARS,
    PICK,
    SPAN,
    SPAN_FIELD,
    timeline_binning,
    timeline_caption,
    timeline_chart,
)

DAY, WEEK, MONTH = Binning(BinUnit.DAY), Binning(BinUnit.WEEK), Binning(BinUnit.MONTH)


def years(step: int = 1) -> Binning:
    return Binning(BinUnit.YEAR, step)


def stamps(*days: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(days)).astype("datetime64[s]"))


@pytest.mark.parametrize(
    ("first", "last", "binning"),
    [
        pytest.param("2015-01-01", "2015-01-01", DAY, id="one-day"),
        pytest.param("2015-01-01", "2015-04-02", DAY, id="92-days"),
        pytest.param("2015-01-01", "2015-04-03", WEEK, id="93-days"),
        pytest.param("2015-01-01", "2016-12-31", WEEK, id="two-years"),
        pytest.param("2015-01-01", "2017-01-03", MONTH, id="just-over-two-years"),
        pytest.param("2005-01-01", "2020-12-31", MONTH, id="sixteen-years"),
        pytest.param("1990-01-01", "2020-12-31", years(), id="thirty-one-years"),
        pytest.param("1921-01-01", "2020-12-31", years(), id="a-hundred-years"),
        pytest.param("1920-01-01", "2020-12-31", years(2), id="a-hundred-and-one-years"),
        pytest.param("1500-01-01", "2020-12-31", years(10), id="five-centuries"),
        pytest.param("0001-01-01", "2020-12-31", years(50), id="since-year-one"),
        pytest.param("0001-01-01", "9999-12-31", years(100), id="every-date-there-is"),
    ],
)
def test_choose_binning(first, last, binning):
    assert choose_binning(pd.Timestamp(first), pd.Timestamp(last)) == binning


def counted(starts, ends, groups=None, binning=None):
    groups = pd.Series(groups or ["a"] * len(starts))
    counts, used = count_by_bin(stamps(*starts), stamps(*ends), groups, binning)
    rows = [(g, str(b)[:10], str(e)[:10], n, w) for g, b, e, n, w in counts.itertuples(index=False)]
    return rows, used


@pytest.mark.parametrize(
    ("starts", "ends", "binning", "rows"),
    [
        pytest.param(
            ["2015-03-10"], ["2015-03-10"], DAY,
            [("a", "2015-03-10", "2015-03-11", 1, 1)],
            id="a-day-in-its-day",
        ),
        pytest.param(
            # Monday 9 March to Sunday 15 March 2015 is one week
            ["2015-03-09", "2015-03-15", "2015-03-16"], ["2015-03-09", "2015-03-15", "2015-03-16"],
            WEEK,
            [("a", "2015-03-09", "2015-03-16", 2, 2), ("a", "2015-03-16", "2015-03-23", 1, 1)],
            id="weeks-start-on-monday",
        ),
        pytest.param(
            ["2015-01-01"], ["2015-01-31"], MONTH,
            [("a", "2015-01-01", "2015-02-01", 1, 1)],
            id="a-month-in-its-month",
        ),
        pytest.param(
            # a month-dated record spans its month: in every week it overlaps, within none
            ["2015-02-01"], ["2015-02-28"], WEEK,
            [
                ("a", "2015-01-26", "2015-02-02", 1, 0),
                ("a", "2015-02-02", "2015-02-09", 1, 0),
                ("a", "2015-02-09", "2015-02-16", 1, 0),
                ("a", "2015-02-16", "2015-02-23", 1, 0),
                ("a", "2015-02-23", "2015-03-02", 1, 0),
            ],
            id="a-month-in-each-of-its-weeks",
        ),
        pytest.param(
            ["2015-01-01", "2015-02-10"], ["2015-03-31", "2015-02-10"], MONTH,
            [
                ("a", "2015-01-01", "2015-02-01", 1, 0),
                ("a", "2015-02-01", "2015-03-01", 2, 1),
                ("a", "2015-03-01", "2015-04-01", 1, 0),
            ],
            id="a-span-and-a-day",
        ),
        pytest.param(
            # nothing from April to June: no rows for empty bins
            ["2015-03-01", "2015-07-01"], ["2015-03-01", "2015-07-01"], MONTH,
            [("a", "2015-03-01", "2015-04-01", 1, 1), ("a", "2015-07-01", "2015-08-01", 1, 1)],
            id="empty-bins-have-no-row",
        ),
        pytest.param(
            ["2013-01-01", "2015-06-01"], ["2016-12-31", "2015-06-30"], years(),
            [
                ("a", "2013-01-01", "2014-01-01", 1, 0),
                ("a", "2014-01-01", "2015-01-01", 1, 0),
                ("a", "2015-01-01", "2016-01-01", 2, 1),
                ("a", "2016-01-01", "2017-01-01", 1, 0),
            ],
            id="years",
        ),
        pytest.param(
            ["2013-01-01", "2019-06-01"], ["2013-12-31", "2021-06-30"], years(10),
            [("a", "2010-01-01", "2020-01-01", 2, 1), ("a", "2020-01-01", "2030-01-01", 1, 0)],
            id="decades-start-at-round-years",
        ),
        pytest.param(
            ["0001-01-01"], ["0001-12-31"], years(50),
            [("a", "0001-01-01", "0050-01-01", 1, 1)],
            id="year-one",
        ),
        pytest.param(
            ["9999-01-01"], ["9999-12-31"], years(100),
            [("a", "9900-01-01", "9999-12-31", 1, 1)],
            id="year-9999",
        ),
    ],
)  # fmt: skip
def test_count_by_bin(starts, ends, binning, rows):
    assert counted(starts, ends, binning=binning) == (rows, binning)


def test_count_by_bin_per_group_in_bin_order():
    rows, _ = counted(
        ["2015-02-01", "2015-01-05", "2015-01-20"],
        ["2015-02-01", "2015-01-05", "2015-01-20"],
        ["event", "imagery", "event"],
        MONTH,
    )
    assert rows == [
        ("event", "2015-01-01", "2015-02-01", 1, 1),
        ("imagery", "2015-01-01", "2015-02-01", 1, 1),
        ("event", "2015-02-01", "2015-03-01", 1, 1),
    ]


def test_count_by_bin_chooses_from_the_span():
    rows, used = counted(["2015-01-01", "2015-01-02"], ["2015-01-01", "2015-01-03"])
    assert used == DAY
    assert rows == [
        ("a", "2015-01-01", "2015-01-02", 1, 1),
        ("a", "2015-01-02", "2015-01-03", 1, 0),
        ("a", "2015-01-03", "2015-01-04", 1, 0),
    ]
    empty, _ = count_by_bin(stamps(), stamps(), pd.Series([], dtype=object))
    assert empty.empty and list(empty.columns) == ["group", "bin", "bin_end", "records", "within"]


@pytest.mark.parametrize(
    ("binning", "first", "label"),
    [
        (DAY, "2015-03-09", "2015-03-09"),
        (WEEK, "2015-03-09", "week of 2015-03-09"),
        (MONTH, "2015-03-01", "March 2015"),
        (years(), "2015-01-01", "2015"),
        (years(10), "2010-01-01", "2010–2019"),
        (years(50), "0000-01-01", "0001–0049"),
        (years(50), "0001-01-01", "0001–0049"),  # the first bin, as count_by_bin starts it
        (years(100), "9900-01-01", "9900–9999"),
        (years(), "0900-01-01", "0900"),
    ],
)
def test_bin_labels(binning, first, label):
    assert binning.label(pd.Timestamp(first)) == label


# --- the chart


def many_records(count: int, seed: int = 3) -> pd.DataFrame:
    """`count` dated records (days, months, years, intervals) from 2005 to 2020."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2005-01-01") + rng.integers(0, 5800, count).astype("timedelta64[D]")
    length = rng.choice([0, 30, 364, 1000], count).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(count)],
            "layer": np.where(rng.random(count) < 0.1, "Mine", "case"),
            "kind": rng.choice(["imagery", "feature", "event"], count),
            "name": [f"Record {i}" for i in range(count)],
            "date": "as stated",
            "date_as_stated": "as stated",
            "date_start": start.astype("datetime64[s]"),
            "date_end": (start + length).astype("datetime64[s]"),
            "date_precision": "interval",
        }
    )


def bars_of(spec: dict) -> dict:
    (bars,) = [layer for layer in spec["layer"] if layer["mark"]["type"] == "bar"]
    return bars


def test_a_hundred_thousand_records_make_a_bounded_chart():
    records = many_records(100_000)
    assert timeline_binning(records) == MONTH  # sixteen years
    spec = timeline_chart(records, None, None).to_dict()
    sizes = {name: len(rows) for name, rows in spec["datasets"].items()}
    # at most a row per month and kind: 2005 to 2023 (an interval reaches past 2020) x 4
    # kinds (three, and "Your records")
    months = (2023 - 2005 + 1) * 12
    assert max(sizes.values()) <= months * 4
    assert len(json.dumps(spec)) < 300_000  # the per-record chart was some 270 bytes a record
    bars = bars_of(spec)
    assert bars["encoding"]["y"]["field"] == "records"
    assert bars["encoding"]["x"]["field"] == SPAN_FIELD
    # both parameters, as the app asks Streamlit for them; the brush reports the x field
    params = {param["name"]: param for param in spec["params"]}
    assert sorted(params) == sorted([PICK, SPAN])
    assert params[SPAN]["select"] == {"type": "interval", "encodings": ["x"]}
    assert params[SPAN]["views"] == [bars["name"]]
    rows = spec["datasets"][bars["data"]["name"]]
    assert {row["kind"] for row in rows} == {
        "Imagery records",
        "Facility features",
        "Events",
        "Your records",
    }


def test_the_counts_add_up_to_each_record_in_each_bin_it_overlaps():
    records = many_records(5_000, seed=11)
    chart = timeline_chart(records, None, None)
    rows = chart.layer[1].data
    # a record is in every month from its first to its last
    months = (records["date_end"].dt.year * 12 + records["date_end"].dt.month) - (
        records["date_start"].dt.year * 12 + records["date_start"].dt.month
    )
    assert rows["records"].sum() == (months + 1).sum()
    assert rows["within"].sum() == (months == 0).sum()
    assert (rows["within"] <= rows["records"]).all()


def test_the_filter_fades_bins_outside_it():
    records = many_records(3_000)
    rows = timeline_chart(records, date(2010, 1, 15), date(2010, 3, 1)).layer[1].data
    shown = rows.loc[rows["in view"], "start"].dt.strftime("%Y-%m").unique().tolist()
    assert shown == ["2010-01", "2010-02", "2010-03"]
    window = timeline_chart(records, date(2010, 1, 15), date(2010, 3, 1)).layer[0].data
    assert window["from"].iloc[0] == pd.Timestamp("2010-01-15", tz="UTC")
    backwards = timeline_chart(records, date(2010, 3, 1), date(2010, 1, 15)).layer[1].data
    assert not backwards["in view"].any()


def test_up_to_the_threshold_a_bar_per_record():
    records = many_records(MAX_RECORD_BARS)
    assert timeline_binning(records) is None
    rows = timeline_chart(records, None, None).layer[1].data
    assert len(rows) == MAX_RECORD_BARS and "id" in rows
    assert "Click a bar to select its record" in timeline_caption(records)
    undated = pd.concat([records, records.assign(date_start=pd.NaT, date_end=pd.NaT)])
    assert timeline_binning(undated) is None  # only dated records count
    assert timeline_binning(many_records(MAX_RECORD_BARS + 1)) == MONTH


def test_the_caption_says_it_is_aggregated_and_how_a_bar_counts():
    caption = timeline_caption(many_records(MAX_RECORD_BARS + 1))
    assert caption.startswith("Aggregated: 2,001 dated records")
    assert "each bar counts the records of one kind whose date overlaps one month" in caption
    assert "counted in every month its date overlaps" in caption
    assert "can add up to more than 2,001" in caption
    assert "wholly within" in caption
    assert "Click a bar" not in caption  # a bin is not a record
