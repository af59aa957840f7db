from datetime import date

import pytest

from geo.dates import Precision, parse_date
from geo.errors import DateError


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "words"),
    [
        # FACTS.md: "dated to January 2015" is a month, never 2015-01-01
        ("2015-01", date(2015, 1, 1), date(2015, 1, 31), Precision.MONTH, "January 2015"),
        # "beginning in 2013": a year
        ("2013", date(2013, 1, 1), date(2013, 12, 31), Precision.YEAR, "2013"),
        ("2017-05-15", date(2017, 5, 15), date(2017, 5, 15), Precision.DAY, "15 May 2017"),
        # "between 2013 and 2016": years at both ends
        ("2013/2016", date(2013, 1, 1), date(2016, 12, 31), Precision.INTERVAL, "2013 to 2016"),
        (
            "2011-09/2015-12",
            date(2011, 9, 1),
            date(2015, 12, 31),
            Precision.INTERVAL,
            "September 2011 to December 2015",
        ),
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29), Precision.MONTH, "February 2016"),
        (" 2010-03-03 ", date(2010, 3, 3), date(2010, 3, 3), Precision.DAY, "3 March 2010"),
    ],
)
def test_parse_keeps_precision(text, start, end, precision, words):
    parsed = parse_date(text)
    assert (parsed.start, parsed.end, parsed.precision) == (start, end, precision)
    assert parsed.describe() == words


@pytest.mark.parametrize(
    "text",
    [
        "",
        "15/05/2017",
        "2015-13",
        "2015-02-30",
        "2016/2013",
        "0000",
        "2015-1",
        "January 2015",
        "2015-01-01T00:00",
    ],
)
def test_parse_refuses_with_accepted_forms(text):
    with pytest.raises(DateError, match="YYYY, YYYY-MM, YYYY-MM-DD"):
        parse_date(text)


def test_non_string_is_refused():
    with pytest.raises(DateError):
        parse_date(2015)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "lo", "hi", "expected"),
    [
        # the issue's own example: a range from 2015-01-10 to 2015-02-01 includes January 2015
        ("2015-01", date(2015, 1, 10), date(2015, 2, 1), True),
        ("2015-01", date(2015, 2, 1), date(2015, 3, 1), False),
        ("2013", date(2013, 12, 31), None, True),
        ("2013", None, date(2012, 12, 31), False),
        ("2013/2016", date(2014, 6, 1), date(2014, 6, 2), True),
        ("2017-05-15", date(2017, 5, 15), date(2017, 5, 15), True),
        ("2017-05-15", date(2017, 5, 16), None, False),
    ],
)
def test_overlaps(text, lo, hi, expected):
    assert parse_date(text).overlaps(lo, hi) is expected
