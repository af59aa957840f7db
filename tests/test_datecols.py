"""Dates as other tools write them (geo.formats.datecols), through read_upload and the CLI."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.cli import main
from geo.dates import parse_date
from geo.errors import DataError
from geo.formats import DateFormat, DateOptions, Upload, read_upload
from geo.formats.datecols import column_formats, date_rows, read_value
from geo.formats.reader import AMBIGUOUS_DATE, APPROXIMATE_DATE, UNREAD_DATE, UNUSED_DATES
from geo.store import Store

IMPORTS = Path(__file__).resolve().parent / "data" / "imports"
F = DateFormat


def read(name: str, **options: Any) -> Upload:
    dates = DateOptions(**options) if options else None
    return read_upload(name, (IMPORTS / name).read_bytes(), layer="L", dates=dates)


def warning(upload: Upload, topic: str) -> str:
    found = [line for line in upload.warnings if line.startswith(topic)]
    assert len(found) == 1, upload.warnings
    return found[0]


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("2017-03-03", F.AUTO, ("2017-03-03", "2017-03-03")),
        ("2017-03", F.AUTO, ("2017-03", "2017-03")),  # a month stays a month
        ("2017", F.AUTO, ("2017", "2017")),
        (2017, F.AUTO, ("2017", "2017")),
        ("2017-03-01/2017-03-05", F.AUTO, ("2017-03-01/2017-03-05", "2017-03-01/2017-03-05")),
        ("2017-03-03T23:30:00-05:00", F.AUTO, ("2017-03-03", "2017-03-03T23:30:00-05:00")),
        ("03 March 2017", F.AUTO, ("2017-03-03", "03 March 2017")),  # ACLED's export
        ("3 Mar 2017", F.DAY_MONTH_NAME, ("2017-03-03", "3 Mar 2017")),
        ("03-March-2017", F.AUTO, ("2017-03-03", "03-March-2017")),
        ("March 3, 2017", F.AUTO, ("2017-03-03", "March 3, 2017")),
        ("March 2017", F.AUTO, ("2017-03", "March 2017")),
        ("Sept. 2017", F.AUTO, ("2017-09", "Sept. 2017")),
        ("31 February 2017", F.AUTO, None),
        ("03 Marchember 2017", F.AUTO, None),
        ("03/04/2017", F.AUTO, None),  # either order: never guessed
        ("03/04/2017", F.DAY_MONTH_YEAR, ("2017-04-03", "03/04/2017")),
        ("03/04/2017", F.MONTH_DAY_YEAR, ("2017-03-04", "03/04/2017")),
        ("03.04.2017 14:30", F.DAY_MONTH_YEAR, ("2017-04-03", "03.04.2017 14:30")),
        ("04/2017", F.DAY_MONTH_YEAR, ("2017-04", "04/2017")),
        ("13/04/2017", F.MONTH_DAY_YEAR, None),
        # epoch times: an instant, kept as its UTC day; as stated, the same instant
        (1488499200000, F.EPOCH_MILLISECONDS, ("2017-03-03", "2017-03-03T00:00:00.000Z")),
        ("1488585599999", F.EPOCH_MILLISECONDS, ("2017-03-03", "2017-03-03T23:59:59.999Z")),
        (1488499200, F.EPOCH_SECONDS, ("2017-03-03", "2017-03-03T00:00:00Z")),
        (1488499200.5, F.EPOCH_SECONDS, ("2017-03-03", "2017-03-03T00:00:00.5Z")),
        (-1, F.EPOCH_SECONDS, ("1969-12-31", "1969-12-31T23:59:59Z")),
        ("99999999999999999999", F.EPOCH_MILLISECONDS, None),
        (1488499200000, F.AUTO, None),  # a number is an epoch time only when asked or shown
        (float("nan"), F.EPOCH_SECONDS, None),
        (True, F.AUTO, None),
        (None, F.AUTO, None),
        ("", F.AUTO, None),
        ("spring 2015", F.AUTO, None),
        ("2017-03-03", F.EPOCH_SECONDS, None),
    ],
)
def test_values_read_with_their_precision(value: Any, fmt: DateFormat, expected: Any) -> None:
    assert read_value(value, fmt) == expected


def test_a_column_shows_its_own_format() -> None:
    assert column_formats(["25/03/2017", "03/04/2017"]).formats[-1] is F.DAY_MONTH_YEAR
    assert column_formats(["03/25/2017", "03/04/2017"]).formats[-1] is F.MONTH_DAY_YEAR
    unordered = column_formats(["03/04/2017", "05/06/2017"])
    assert (unordered.ambiguous, F.DAY_MONTH_YEAR in unordered.formats) == (2, False)
    both = column_formats(["25/03/2017", "03/25/2017"])  # contradicts itself: neither
    assert both.ambiguous == 2 and F.MONTH_DAY_YEAR not in both.formats
    assert column_formats(["1488499200000"]).formats[0] is F.EPOCH_MILLISECONDS
    assert column_formats(["1488499200"]).formats[0] is F.EPOCH_SECONDS
    assert F.EPOCH_SECONDS not in column_formats(["1488499200", "2017"]).formats  # mixed
    assert column_formats(["x"], F.MONTH_DAY_YEAR).formats == (F.MONTH_DAY_YEAR,)


# -- hypothesis: the parser of untrusted text


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.floats()), st.sampled_from(list(F)))
def test_any_value_reads_as_a_valid_date_or_none(value: Any, fmt: DateFormat) -> None:
    found = read_value(value, fmt)
    if found is not None:
        assert parse_date(found[0]).text == found[0]


days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


@given(days, st.sampled_from(["day", "month", "year"]))
def test_edtf_reads_back_with_its_precision(day: date, precision: str) -> None:
    text = {"day": day.isoformat(), "month": day.isoformat()[:7], "year": day.isoformat()[:4]}
    assert read_value(text[precision]) == (text[precision], text[precision])


@given(days, days)
def test_intervals_read_back(one: date, other: date) -> None:
    text = f"{min(one, other).isoformat()}/{max(one, other).isoformat()}"
    assert read_value(text) == (text, text)


@given(days, st.booleans())
def test_day_month_name_reads_back_as_the_day(day: date, short: bool) -> None:
    month = (calendar.month_abbr if short else calendar.month_name)[day.month]
    assert read_value(f"{day.day:02d} {month} {day.year:04d}") is not None
    assert read_value(f"{day.day} {month} {day.year:04d}", F.DAY_MONTH_NAME) == (
        day.isoformat(),
        f"{day.day} {month} {day.year:04d}",
    )
    assert (
        read_value(f"{calendar.month_name[day.month]} {day.year:04d}")[0]
        == (
            day.isoformat()[:7]  # a month, never its first day
        )
    )


@given(days)
def test_slash_dates_read_in_the_order_asked(day: date) -> None:
    dmy = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    mdy = f"{day.month:02d}/{day.day:02d}/{day.year:04d}"
    assert read_value(dmy, F.DAY_MONTH_YEAR)[0] == day.isoformat()
    assert read_value(mdy, F.MONTH_DAY_YEAR)[0] == day.isoformat()


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    )
)
def test_epoch_milliseconds_keep_the_utc_day_and_the_instant(moment: datetime) -> None:
    instant = moment.replace(tzinfo=UTC)
    milliseconds = (instant - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    day, stated = read_value(milliseconds, F.EPOCH_MILLISECONDS)
    assert day == instant.date().isoformat()
    assert datetime.fromisoformat(stated) == instant


# -- tables of records


def test_each_feature_takes_the_first_known_date_it_has() -> None:
    rows = [{"date": "2016-08"}, {"datetime": "2017-05-15T08:30:00Z"}, {"start": 2013, "end": 2016}]
    dated = date_rows(rows, DateOptions())
    assert [found for found, _ in dated.dates] == ["2016-08", "2017-05-15", "2013/2016"]
    assert not dated.unused


def test_a_chosen_column_that_is_missing_is_a_problem_naming_the_columns() -> None:
    with pytest.raises(DataError) as caught:
        read("acled-like.csv", column="evnt_date")
    [problem] = caught.value.problems
    assert "'evnt_date'" in problem.message and "'event_date'" in problem.message
    assert problem.field == "evnt_date"


def test_no_date_column_leaves_the_records_undated_and_says_what_looked_like_dates() -> None:
    upload = read("acled-like.csv", column="")
    assert {record.date for record in upload.records} == {None}
    assert "'event_date'" in warning(upload, UNUSED_DATES)


# -- real-shaped samples


def test_acled_iso_dates_and_their_stated_uncertainty() -> None:
    upload = read("acled-like.csv")
    assert [r.date for r in upload.records] == ["2017-03-03", "2017-03-05", "2017-03-15"]
    assert upload.dates.column == "event_date"
    approximate = warning(upload, APPROXIMATE_DATE)
    assert "#2 " in approximate and "time_precision=3" in approximate
    assert "#1 " not in approximate
    # the year restates the day; the upload timestamp does not, and is named
    unused = warning(upload, UNUSED_DATES)
    assert "'timestamp'" in unused and "'year'" not in unused


def test_acled_export_dates_in_words() -> None:
    upload = read("acled-like-export.csv")
    assert [(r.date, r.date_as_stated) for r in upload.records] == [
        ("2017-03-03", "03 March 2017"),
        ("2017-03-05", "05 March 2017"),
        ("2017-04-01", "1 April 2017"),
    ]


def test_ucdp_date_start_and_end_make_an_interval() -> None:
    upload = read("ucdp-ged-like.csv")
    assert (upload.dates.column, upload.dates.end_column) == ("date_start", "date_end")
    assert [r.date for r in upload.records] == [
        "2017-03-03",  # the same day twice is that day
        "2017-03-01/2017-03-07",
        "2017-04-01/2017-04-30",
    ]
    assert upload.records[1].date_as_stated == "2017-03-01 00:00:00.000/2017-03-07 00:00:00.000"
    assert "'source_date'" in warning(upload, UNUSED_DATES)


def test_ucdp_chosen_start_column_brings_its_end_unless_told_otherwise() -> None:
    assert read("ucdp-ged-like.csv", column="date_start").records[1].date == (
        "2017-03-01/2017-03-07"
    )
    alone = read("ucdp-ged-like.csv", column="date_start", end_column="")
    assert alone.records[1].date == "2017-03-01"


def test_usgs_epoch_milliseconds() -> None:
    upload = read("usgs-feed.geojson")
    assert upload.dates.column == "time"
    assert [(r.date, r.date_as_stated) for r in upload.records] == [
        ("2017-03-03", "2017-03-03T00:00:00.000Z"),
        ("2017-03-03", "2017-03-03T23:59:59.999Z"),
    ]
    assert upload.records[0].properties["time"] == 1488499200000  # kept verbatim
    assert "'updated'" in warning(upload, UNUSED_DATES)
    updated = read("usgs-feed.geojson", column="updated", format=F.EPOCH_MILLISECONDS)
    assert [r.date for r in updated.records] == ["2017-03-04", "2017-03-05"]


def test_google_earth_timestamps_and_timespans() -> None:
    upload = read("google-earth.kml")
    assert [(r.name, r.date, r.date_as_stated) for r in upload.records] == [
        # the view's gx:TimeStamp (inside LookAt) is not the Placemark's date
        ("Crater seen", "2017-03-03", "2017-03-03T10:15:00+03:00"),
        ("Tents, month only", "2017-03", "2017-03"),
        ("Earthworks", "2017-03-01/2017-03-05", "2017-03-01/2017-03-05"),
        ("Checkpoint", None, None),
    ]
    assert "'reported'" in warning(upload, UNUSED_DATES)
    chosen = read("google-earth.kml", column="reported")
    assert [r.date for r in chosen.records] == [
        "2017-03-03",  # a Placemark's own TimeStamp stays first
        "2017-03",
        "2017-03-01/2017-03-05",
        "2017-03-04",
    ]


def test_slash_dates_that_could_be_either_order_are_not_guessed() -> None:
    csv = b"lat,lon,date\n33.5,36.3,03/04/2017\n33.5,36.3,05/06/2017\n"
    upload = read_upload("s.csv", csv, layer="L")
    assert [(r.date, r.date_as_stated) for r in upload.records] == [
        (None, "03/04/2017"),
        (None, "05/06/2017"),
    ]
    assert "#1 '03/04/2017'" in warning(upload, AMBIGUOUS_DATE)
    chosen = read_upload("s.csv", csv, layer="L", dates=DateOptions(format=F.DAY_MONTH_YEAR))
    assert [r.date for r in chosen.records] == ["2017-04-03", "2017-06-05"]
    told = read_upload("s.csv", csv + b"33.5,36.3,25/12/2017\n", layer="L")
    assert [r.date for r in told.records] == ["2017-04-03", "2017-06-05", "2017-12-25"]


def test_values_that_do_not_read_in_the_chosen_format_are_named() -> None:
    upload = read("acled-like-export.csv", format=F.ISO)
    assert {r.date for r in upload.records} == {None}
    assert "#1 event_date='03 March 2017'" in warning(upload, UNREAD_DATE)
    assert upload.records[0].date_as_stated == "03 March 2017"


def test_the_explorers_own_export_restates_its_dates_without_warnings() -> None:
    data = json.loads((IMPORTS.parent / "saydnaya-export.geojson").read_text(encoding="utf-8"))
    upload = read_upload("e.geojson", json.dumps(data).encode(), layer="L")
    # date_start, date_end, date_precision restate "date"; when imagery was released is
    # another date, and is named
    assert warning(upload, UNUSED_DATES).endswith(": 'released' ('2017-02')")
    assert [line for line in upload.warnings if "date" in line] == [warning(upload, UNUSED_DATES)]


# -- the command line


def test_cli_date_column_and_format(private_store: Path, tmp_path: Path, capsys: Any) -> None:
    usgs = str(IMPORTS / "usgs-feed.geojson")
    assert main(["import", usgs, "--analyst", "A", "--layer", "quakes"]) == 0
    assert "warning: columns that look like dates" in capsys.readouterr().err
    args = ["--analyst", "A", "--layer", "updates", "--date-column", "updated"]
    assert main(["import", usgs, *args, "--date-format", "epoch-milliseconds"]) == 0
    records = Store.open(private_store).records()
    assert sorted((r.layer, r.date) for r in records) == [
        ("quakes", "2017-03-03"),
        ("quakes", "2017-03-03"),
        ("updates", "2017-03-04"),
        ("updates", "2017-03-05"),
    ]


def test_cli_refuses_a_missing_date_column(private_store: Path, capsys: Any) -> None:
    acled = str(IMPORTS / "acled-like.csv")
    assert main(["import", acled, "--analyst", "A", "--date-column", "when_it_was"]) == 1
    assert "no column named 'when_it_was'" in capsys.readouterr().err
    assert Store.open(private_store).records() == []


def test_cli_refuses_a_date_format_it_does_not_know(capsys: Any) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["import", "x.csv", "--date-format", "dd.mm.yy"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
