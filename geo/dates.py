"""Dates that keep their precision.

A source that says "January 2015" gives a month, not 2015-01-01. Dates are
written as EDTF level-0 strings (a subset of ISO 8601-2): ``YYYY``,
``YYYY-MM``, ``YYYY-MM-DD``, or an interval ``A/B`` of those. Each one covers
a span of days, ``[start, end]`` inclusive, and every filter and sort uses that
span: a range from 2015-01-10 to 2015-02-01 overlaps "2015-01".

This module is the only place a date string is turned into a span or back.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from geo.errors import DateError, Problem

_SINGLE = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?$")


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    INTERVAL = "interval"


@dataclass(frozen=True, order=True)
class StatedDate:
    """A date as precise as its source: the span of days it covers, and its text."""

    start: date
    end: date
    precision: Precision
    text: str

    def overlaps(self, lo: date | None, hi: date | None) -> bool:
        """True if any day of this date falls in ``[lo, hi]`` (open ends allowed)."""
        return (hi is None or self.start <= hi) and (lo is None or self.end >= lo)

    def describe(self) -> str:
        """Human wording that does not add precision: '2015-01' -> 'January 2015'."""
        if self.precision is Precision.INTERVAL:
            first, last = self.text.split("/")
            return f"{parse_date(first).describe()} to {parse_date(last).describe()}"
        if self.precision is Precision.YEAR:
            return f"{self.start.year}"
        if self.precision is Precision.MONTH:
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        return f"{self.start.day} {calendar.month_name[self.start.month]} {self.start.year}"

    def __str__(self) -> str:
        return self.text


def _parse_single(text: str) -> tuple[date, date, Precision]:
    match = _SINGLE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(match["y"])
    if year < 1:
        raise ValueError(f"{text!r}: year 0000 is not a date")
    if match["m"] is None:
        return date(year, 1, 1), date(year, 12, 31), Precision.YEAR
    month = int(match["m"])
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r}: month {month} is not 01 to 12")
    if match["d"] is None:
        last = calendar.monthrange(year, month)[1]
        return date(year, month, 1), date(year, month, last), Precision.MONTH
    day = int(match["d"])
    try:
        exact = date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from exc
    return exact, exact, Precision.DAY


def parse_date(text: object) -> StatedDate:
    """Parse an EDTF level-0 date or interval; raise `DateError` saying what is accepted.

    Any value is taken, as read from a file: one that is not text is refused with
    a `DateError` too."""
    if not isinstance(text, str):
        raise DateError(Problem(f"expected a date string such as '2015-01', got {text!r}"))
    return _parse_text(text)


# A case repeats a few thousand dates at most across its records, and each is checked by the
# case's rules, the record's and the frame's: parse each once (a StatedDate is frozen).
@lru_cache(maxsize=16384)
def _parse_text(text: str) -> StatedDate:
    cleaned = text.strip()
    try:
        if "/" in cleaned:
            first, _, last = cleaned.partition("/")
            try:
                start, _, _ = _parse_single(first)
                _, end, _ = _parse_single(last)
            except ValueError as exc:
                raise ValueError(f"in the interval {cleaned!r}, {exc}") from exc
            if end < start:
                raise ValueError(f"{cleaned!r}: the interval ends before it starts")
            return StatedDate(start, end, Precision.INTERVAL, cleaned)
        start, end, precision = _parse_single(cleaned)
    except ValueError as exc:
        raise DateError(
            Problem(f"{exc}; dates are YYYY, YYYY-MM, YYYY-MM-DD or an interval A/B (EDTF level 0)")
        ) from exc
    return StatedDate(start, end, precision, cleaned)


# --- dates as other tools write them (ISO 8601 date-times, GDAL's), as EDTF days


_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
# GDAL and QGIS write date-times as 2017/05/15 08:30:00+00.
_GDAL_DATETIME = re.compile(
    r"(\d{4})/(\d{2})/(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[+-]\d{2}(?::?\d{2})?)?)?"
)


def day_of_datetime(text: str) -> str | None:
    """The calendar day of an ISO 8601 / RFC 3339 date-time, as stated (no time-zone shift)."""
    match = _DATETIME.fullmatch(text.strip())
    if not match:
        return None
    day, hour, minute, second = match.groups()
    if int(hour) > 23 or int(minute) > 59 or (second is not None and int(second) > 60):
        return None
    try:
        return parse_date(day).text
    except DateError:
        return None


def _gdal_day(text: str) -> str | None:
    match = _GDAL_DATETIME.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, *clock = match.groups()
    return day_of_datetime(f"{year}-{month}-{day}T{clock[0] or '00'}:{clock[1] or '00'}")


def _single_day(text: str) -> str | None:
    try:
        return parse_date(text).text
    except DateError:
        return day_of_datetime(text) or _gdal_day(text)


def edtf_of(text: str) -> str | None:
    """An EDTF date for a stated value: EDTF as it is; a date-time (or interval) as its day."""
    text = text.strip()
    whole = _single_day(text)  # EDTF, intervals included, or one date-time
    if whole is not None or "/" not in text:
        return whole
    first, _, last = text.partition("/")
    start, end = _single_day(first), _single_day(last)
    if start is None or end is None:
        return None
    try:
        return parse_date(f"{start}/{end}").text
    except DateError:
        return None
