from datetime import date

import pytest

from geo.query import colocated, counts, date_bounds, filter_records, timeline_rows
from geo.records import Kind


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, {"p1", "p2", "img-month", "feat-1", "ev-day", "ev-year"}),
        # the example: a range inside January 2015 keeps the month-dated image
        (date(2015, 1, 10), date(2015, 2, 1), {"p1", "p2", "img-month", "feat-1"}),
        (date(2015, 2, 1), date(2015, 12, 31), {"p1", "p2", "feat-1"}),
        (date(2011, 12, 31), date(2011, 12, 31), {"p1", "p2", "ev-year"}),
        (date(2017, 5, 15), None, {"p1", "p2", "ev-day"}),
        (None, date(2010, 1, 1), {"p1", "p2"}),
        (date(2018, 1, 1), date(2017, 1, 1), {"p1", "p2"}),  # inverted: nothing dated
    ],
)
def test_filter_by_overlap(tiny_case, start, end, expected):
    assert set(filter_records(tiny_case.records, start, end)["id"]) == expected


def test_filter_by_kind(tiny_case):
    shown = filter_records(tiny_case.records, kinds=[Kind.EVENT, "place"])
    assert set(shown["kind"]) == {"event", "place"}


def test_counts(tiny_case):
    shown = filter_records(tiny_case.records, date(2015, 1, 10), date(2015, 2, 1))
    table = counts(tiny_case.records, shown).set_index("kind")
    assert table.loc["Events", "shown"] == 0 and table.loc["Events", "total"] == 2
    assert table.loc["Places", "shown"] == 2


def test_bounds_and_timeline(tiny_case):
    assert date_bounds(tiny_case.records) == (date(2011, 1, 1), date(2017, 5, 15))
    rows = timeline_rows(tiny_case.records).set_index("id")
    assert len(rows) == 4
    assert str(rows.loc["img-month", "end"].date()) == "2015-02-01"  # the month, whole
    assert rows.loc["ev-day", "precision"] == "day"


def test_colocated(tiny_case):
    assert set(colocated(tiny_case.records, "img-month")["id"]) == {
        "p1",
        "feat-1",
        "ev-day",
        "ev-year",
    }
    assert colocated(tiny_case.records, "nope").empty


def test_a_range_that_ends_before_it_starts_shows_nothing_dated(tiny_case):
    records = tiny_case.records
    shown = filter_records(records, date(2015, 1, 10), date(2012, 1, 1))
    # not even a record whose span covers both days ("2013/2016")
    assert shown["date_start"].isna().all()
    assert len(shown) == int(records["date_start"].isna().sum())
