"""Which column of a foreign file holds the records' dates, and how its values read.

Other tools write dates their own way: ACLED's ``event_date`` as ``2017-03-03`` or
``03 March 2017``, UCDP GED's ``date_start``/``date_end``, USGS's earthquake feed
``time`` in epoch milliseconds, STAC's ``start_datetime``/``end_datetime``, GPX's
ISO times, a spreadsheet's ``03/04/2017``. This module turns one such value into
an EDTF date (`read_value`), picks the date column of a table of records and reads
it (`date_rows`), and names the other columns that look like dates, so that an
importer can say they were not used.

Precision is the value's, never more: "March 2017" is the month ``2017-03``; an
epoch time is an instant, kept as its UTC day (the model has no time of day), and
its date as stated is the same instant written in ISO 8601. A slash date that
could be day/month or month/day is read only when the column tells which (a value
such as 25/03/2017) or the researcher does; otherwise it stays undated, with a
warning. Nothing here raises on what a file holds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from geo.dates import edtf_of, parse_date


class DateFormat(StrEnum):
    """How a column's values are written; AUTO reads each value by its shape."""

    AUTO = "auto"
    ISO = "iso"
    DAY_MONTH_NAME = "day-month-name"
    DAY_MONTH_YEAR = "day/month/year"
    MONTH_DAY_YEAR = "month/day/year"
    EPOCH_SECONDS = "epoch-seconds"
    EPOCH_MILLISECONDS = "epoch-milliseconds"

    @property
    def label(self) -> str:
        return DATE_FORMAT_LABELS[self]


DATE_FORMAT_LABELS: dict[DateFormat, str] = {
    DateFormat.AUTO: "automatic (by the values' shape)",
    DateFormat.ISO: "ISO 8601 / EDTF (2017-03-03, 2017-03, 2017-03-01/2017-03-05)",
    DateFormat.DAY_MONTH_NAME: "day month year (03 March 2017, March 2017)",
    DateFormat.DAY_MONTH_YEAR: "day/month/year (03/04/2017 is 3 April)",
    DateFormat.MONTH_DAY_YEAR: "month/day/year (03/04/2017 is 4 March)",
    DateFormat.EPOCH_SECONDS: "epoch seconds (1488499200)",
    DateFormat.EPOCH_MILLISECONDS: "epoch milliseconds (1488499200000)",
}


@dataclass(frozen=True)
class DateOptions:
    """The researcher's choice: `column` None to detect it, "" for no date at all; an
    optional `end_column` makes each date an interval from `column` to it."""

    column: str | None = None
    end_column: str | None = None
    format: DateFormat = DateFormat.AUTO


@dataclass(frozen=True)
class DateChoice:
    """What an import used: every column (property name) the records have, in the order
    met, the date column and end column used (None: none), and the format asked for."""

    columns: tuple[str, ...] = ()
    column: str | None = None
    end_column: str | None = None
    format: DateFormat = DateFormat.AUTO


# Well-known date columns, first found wins: the explorer's own, ACLED's event date, UCDP
# GED's interval, STAC's datetime and interval, USGS's and GPX's time, then common names.
KNOWN_DATE_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("date", None),
    ("event_date", None),
    ("date_start", "date_end"),
    ("datetime", None),
    ("start_datetime", "end_datetime"),
    ("time", None),
    ("observed", None),
    ("when", None),
    ("start", "end"),
    ("begin", "end"),
    ("start_date", "end_date"),
    ("timestamp", None),
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_CLOCK = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_NAMED = (
    re.compile(rf"{_DAY}[ \-]+{_MONTH}[ ,\-]+{_YEAR}{_CLOCK}", re.ASCII),  # 03 March 2017
    re.compile(rf"{_MONTH}[ \-]+{_DAY},?[ \-]+{_YEAR}{_CLOCK}", re.ASCII),  # March 3, 2017
    re.compile(rf"{_MONTH}[ ,\-]+{_YEAR}", re.ASCII),  # March 2017
)
_NUMERIC = re.compile(r"(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)" + _YEAR + _CLOCK)
_NUMERIC_MONTH = re.compile(r"(?P<a>\d{1,2})[/.\-]" + _YEAR)
_EPOCH = re.compile(r"[+-]?\d{1,20}(?:\.\d{1,9})?", re.ASCII)
# Epoch values have at least 9 digits (1973 onwards in seconds): a shorter number is a
# year, a count or a code, and is never read as an epoch time unless asked.
_EPOCH_DIGITS = 9
# In milliseconds from 1973 (11 digits and more); in seconds that would be past year 5000.
_MILLISECONDS_FROM = 10**11
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)


def _iso_day(year: int, month: int, day: int | None) -> str | None:
    if not 1 <= month <= 12 or year < 1:
        return None
    text = f"{year:04d}-{month:02d}" if day is None else f"{year:04d}-{month:02d}-{day:02d}"
    return edtf_of(text)


def _named(text: str) -> str | None:
    for pattern in _NAMED:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        month = _MONTHS.get(match["month"].casefold())
        if month is None:
            return None
        day = int(match["day"]) if "day" in pattern.groupindex else None
        return _iso_day(int(match["year"]), month, day)
    return None


def _numeric(text: str, *, day_first: bool) -> str | None:
    match = _NUMERIC.fullmatch(text)
    if match is not None:
        a, b = int(match["a"]), int(match["b"])
        day, month = (a, b) if day_first else (b, a)
        return _iso_day(int(match["year"]), month, day)
    match = _NUMERIC_MONTH.fullmatch(text)
    if match is not None and "." not in text[:3]:  # 03/2017, 03-2017: a month
        return _iso_day(int(match["year"]), int(match["a"]), None)
    return None


def _epoch(text: str, unit: DateFormat) -> tuple[str, str] | None:
    """(EDTF day, the instant in ISO 8601) of an epoch time in seconds or milliseconds."""
    if not _EPOCH.fullmatch(text):
        return None
    whole, _, fraction = text.lstrip("+").partition(".")
    negative = whole.startswith("-")
    units = int(whole) * 10**9 + (-1 if negative else 1) * int((fraction or "0").ljust(9, "0"))
    nanoseconds = units if unit is DateFormat.EPOCH_SECONDS else units // 1000
    microseconds = nanoseconds // 1000
    try:
        instant = _EPOCH_START + timedelta(microseconds=microseconds)
    except OverflowError:
        return None
    if instant.year < 1 or instant.year > 9999:
        return None
    day = instant.date().isoformat()
    # The instant as precisely as the value states it, no more: 1488499200 to the second,
    # 1488499200000 to the millisecond, 1488499200.25 to the hundredth.
    digits = len(fraction) + (3 if unit is DateFormat.EPOCH_MILLISECONDS else 0)
    clock = f"{instant:%H:%M:%S}"
    if digits:
        clock += "." + f"{nanoseconds % 10**9:09d}"[: min(digits, 9)]
    return day, f"{day}T{clock}Z"


def read_value(value: Any, fmt: DateFormat = DateFormat.AUTO) -> tuple[str, str] | None:
    """(EDTF date, date as stated) of one value written in `fmt`, or None if it does not
    read as one. AUTO takes ISO 8601/EDTF and month names, never a slash date that could
    be either order nor a number as an epoch time (see `column_formats` for a column)."""
    text = _stated_text(value)
    if text is None:
        return None
    formats = (DateFormat.ISO, DateFormat.DAY_MONTH_NAME) if fmt is DateFormat.AUTO else (fmt,)
    return _read_text(text, formats)


def _stated_text(value: Any) -> str | None:
    """A value as the text a date could be read from (numbers count: 2015, 1488499200000)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        return text if text and len(text) <= 100 else None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value == value and abs(value) < 1e18:
        return repr(value) if not value.is_integer() else str(int(value))
    return None


def _read_text(text: str, formats: Sequence[DateFormat]) -> tuple[str, str] | None:
    for fmt in formats:
        if fmt is DateFormat.ISO:
            date = edtf_of(text)
        elif fmt is DateFormat.DAY_MONTH_NAME:
            date = _named(text)
        elif fmt in (DateFormat.DAY_MONTH_YEAR, DateFormat.MONTH_DAY_YEAR):
            date = _numeric(text, day_first=fmt is DateFormat.DAY_MONTH_YEAR)
        elif fmt in (DateFormat.EPOCH_SECONDS, DateFormat.EPOCH_MILLISECONDS):
            found = _epoch(text, fmt)
            if found is not None:
                return found
            continue
        else:
            continue
        if date is not None:
            return date, text
    return None


@dataclass(frozen=True)
class ColumnFormats:
    """How a column's values are read, one format after another; `ambiguous` counts the
    slash dates AUTO could not order (03/04/2017 in a column where no value tells)."""

    formats: tuple[DateFormat, ...]
    ambiguous: int = 0


def column_formats(values: Iterable[str], fmt: DateFormat = DateFormat.AUTO) -> ColumnFormats:
    """The formats to read a column's values with: `fmt` itself, or for AUTO, ISO and month
    names, plus the order of slash dates if a value tells it (25/03/2017 is day first) and
    epoch times if every value is a number of 9 digits or more (ms from 11: USGS's 13)."""
    if fmt is not DateFormat.AUTO:
        return ColumnFormats((fmt,))
    day_first = month_first = ambiguous = 0
    epochs, numbers, longest = 0, 0, 0
    for text in values:
        if _EPOCH.fullmatch(text):
            numbers += 1
            digits = len(text.lstrip("+-").partition(".")[0])
            if digits >= _EPOCH_DIGITS:
                epochs += 1
                longest = max(longest, abs(int(text.partition(".")[0])))
            continue
        match = _NUMERIC.fullmatch(text)
        if match is None:
            continue
        a, b = int(match["a"]), int(match["b"])
        if a > 12 >= b:
            day_first += 1
        elif b > 12 >= a:
            month_first += 1
        elif a != b:
            ambiguous += 1
    formats = [DateFormat.ISO, DateFormat.DAY_MONTH_NAME]
    if day_first and not month_first:
        formats.append(DateFormat.DAY_MONTH_YEAR)
        ambiguous = 0
    elif month_first and not day_first:
        formats.append(DateFormat.MONTH_DAY_YEAR)
        ambiguous = 0
    else:
        ambiguous += day_first + month_first
    if epochs and epochs == numbers:
        formats.insert(
            0,
            DateFormat.EPOCH_MILLISECONDS
            if longest >= _MILLISECONDS_FROM
            else DateFormat.EPOCH_SECONDS,
        )
    return ColumnFormats(tuple(formats), ambiguous)


# --- a table of records: which column is the date, and what else looks like one

# Past this many values a column's shape is judged on the first ones.
SAMPLE = 1000
# A column named like a date, or whose values mostly are dates written with separators.
_DATE_NAME = re.compile(r"(?i)date|time|day|year|month|when|updated|created|modified|period")
_DATED_SHARE = 0.8


def columns_of(rows: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Every key of `rows`, in the order first met."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return tuple(seen)


def _real_key(columns: Sequence[str], name: str) -> str | None:
    """The column `name`, matched exactly, else case-insensitively (Event_Date)."""
    if name in columns:
        return name
    folded = name.casefold()
    return next((column for column in columns if column.casefold() == folded), None)


def _texts(rows: Sequence[Mapping[str, Any]], column: str, limit: int | None = None) -> list[str]:
    texts: list[str] = []
    for row in rows:
        text = _stated_text(row.get(column))
        if text is not None:
            texts.append(text)
            if limit is not None and len(texts) >= limit:
                break
    return texts


def known_columns(columns: Sequence[str]) -> list[tuple[str, str | None]]:
    """The well-known date columns (and their ends) among `columns`, first choice first."""
    found: list[tuple[str, str | None]] = []
    for start, end in KNOWN_DATE_COLUMNS:
        real = _real_key(columns, start)
        if real is not None and real not in (column for column, _ in found):
            found.append((real, _real_key(columns, end) if end is not None else None))
    return found


def looks_like_dates(name: str, texts: Sequence[str]) -> bool:
    """Whether a column holds dates: named like one with a value that reads as a date (an
    epoch number counts when long enough), or most values are dates with separators."""
    if not texts:
        return False
    formats = column_formats(texts).formats
    read = sum(1 for text in texts if _read_text(text, formats) is not None)
    if _DATE_NAME.search(name) and read:
        return True
    written = sum(
        1
        for text in texts
        if not _EPOCH.fullmatch(text)
        and (_read_text(text, formats) is not None or _NUMERIC.fullmatch(text))
    )
    return written >= _DATED_SHARE * len(texts)


@dataclass(frozen=True)
class DatedRows:
    """The date of each row, what was used, and what a researcher should hear of."""

    dates: list[tuple[str | None, str | None]]
    choice: DateChoice
    # Rows with a value in the date column that did not read: (row index, "key=value").
    unread: list[tuple[int, str]] = field(default_factory=list)
    # Slash dates that could be day/month or month/day: (row index, value).
    ambiguous: list[tuple[int, str]] = field(default_factory=list)
    # Dates the file itself marks as less certain than the day given (ACLED's
    # time_precision 2 or 3): (row index, "event_date='2017-03-15', time_precision=3").
    approximate: list[tuple[int, str]] = field(default_factory=list)
    # Other columns that look like dates: "'updated' (1488499200000)".
    unused: list[str] = field(default_factory=list)
    # A chosen column that is not there: what to say.
    problem: str | None = None


Pair = tuple[str, str | None]  # a date column, and the column its intervals end in


def _chosen_pairs(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], options: DateOptions
) -> list[Pair | None] | str:
    """The date column (and end) of each row, or what to say when a chosen one is missing.

    Detected, each row takes the first well-known column it has a value in (features of one
    GeoJSON file need not share their properties); chosen, every row takes the same."""
    if options.column == "":
        return [None] * len(rows)
    if options.column is None:
        known = known_columns(columns)
        return [
            next((pair for pair in known if _stated_text(row.get(pair[0])) is not None), None)
            for row in rows
        ]
    column = _real_key(columns, options.column)
    end = _real_key(columns, options.end_column) if options.end_column else None
    for name, real in ((options.column, column), (options.end_column, end)):
        if name and real is None:
            listed = ", ".join(repr(name) for name in columns) or "none"
            return f"no column named {name!r} for the date: the columns are {listed}"
    assert column is not None
    if options.end_column is None:  # a well-known start column brings its end
        end = dict(known_columns(columns)).get(column)
    return [(column, end)] * len(rows)


def date_rows(rows: Sequence[Mapping[str, Any]], options: DateOptions) -> DatedRows:
    """The EDTF date and date as stated of every row (properties of records), from the
    chosen column (or the detected one) in the chosen format (or the one its values show)."""
    columns = columns_of(rows)
    pairs = _chosen_pairs(rows, columns, options)
    if isinstance(pairs, str):
        return DatedRows(
            [(None, None)] * len(rows), DateChoice(columns, format=options.format), problem=pairs
        )
    used = Counter(pair for pair in pairs if pair is not None)
    # Reported: the chosen column, or the one most rows took.
    shown = pairs[0] if options.column and pairs else used.most_common(1)[0][0] if used else None
    column, end = shown if shown is not None else (None, None)
    choice = DateChoice(columns, column, end, options.format)
    readings = {
        name: column_formats(_texts(rows, name), options.format)
        for pair in used
        for name in pair
        if name is not None
    }
    dates: list[tuple[str | None, str | None]] = []
    unread: list[tuple[int, str]] = []
    ambiguous: list[tuple[int, str]] = []
    for index, (row, pair) in enumerate(zip(rows, pairs, strict=True)):
        text = _stated_text(row.get(pair[0])) if pair is not None else None
        if pair is None or text is None:
            dates.append((None, None))
            continue
        start_column, end_column = pair
        first = _read_text(text, readings[start_column].formats)
        end_text = _stated_text(row.get(end_column)) if end_column else None
        if end_text is None or end_column is None:
            date = first
            stated = text
        else:
            last = _read_text(end_text, readings[end_column].formats)
            date = _joined(first, last)
            stated = f"{text}/{end_text}"
        if date is not None:
            words = row.get("date_as_stated") if start_column.casefold() == "date" else None
            # the explorer's own export says the date in words beside it
            dates.append((date[0], words if isinstance(words, str) and words.strip() else date[1]))
            continue
        dates.append((None, stated))
        if any(
            name is not None
            and part is not None
            and readings[name].ambiguous
            and _NUMERIC.fullmatch(part)
            for name, part in ((start_column, text), (end_column, end_text))
        ):
            ambiguous.append((index, stated))
        else:
            unread.append((index, f"{start_column}={stated!r}"))
    used_columns = {name for pair in used for name in pair}
    return DatedRows(
        dates,
        choice,
        unread,
        ambiguous,
        _approximate(rows, columns, pairs, dates),
        _unused(rows, columns, used_columns, dates),
    )


# ACLED's certainty of a date: 1 is the actual day; higher numbers are less certain.
PRECISION_COLUMN = "time_precision"


def _approximate(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    pairs: Sequence[Pair | None],
    dates: Sequence[tuple[str | None, str | None]],
) -> list[tuple[int, str]]:
    """Rows whose date the file marks as less certain than its day (ACLED time_precision
    above 1). The day stays as stated: what it stands for is the source's to say."""
    precision = _real_key(columns, PRECISION_COLUMN)
    if precision is None:
        return []
    found: list[tuple[int, str]] = []
    for index, (row, pair, (date, stated)) in enumerate(zip(rows, pairs, dates, strict=True)):
        level = _stated_text(row.get(precision))
        if pair is not None and date is not None and level not in (None, "1"):
            found.append((index, f"{pair[0]}={stated!r}, {precision}={level}"))
    return found


def _joined(first: tuple[str, str] | None, last: tuple[str, str] | None) -> tuple[str, str] | None:
    """The interval from one date to another: from the first day of one to the last day of
    the other (either may be a month or a year)."""
    if first is None or last is None:
        return None
    start = first[0].partition("/")[0]
    end = last[0].rpartition("/")[2]
    date = edtf_of(start if start == end else f"{start}/{end}")
    if date is None:
        return None
    return date, f"{first[1]}/{last[1]}"


# What the explorer's own GeoJSON export writes beside "date": the same date, restated.
EXPORT_DATE_COLUMNS = ("date_as_stated", "date_start", "date_end", "date_precision")


def _unused(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    used: set[str | None],
    dates: Sequence[tuple[str | None, str | None]],
) -> list[str]:
    """Columns that look like dates, other than those used, and other than one that only
    restates the date used less precisely (ACLED's and UCDP's year beside the day)."""
    found: list[str] = []
    restated = any(column and column.casefold() == "date" for column in used)
    for column in columns:
        if column in used or (restated and column.casefold() in EXPORT_DATE_COLUMNS):
            continue
        texts = _texts(rows, column, SAMPLE)
        if looks_like_dates(column, texts) and not _covers(rows, column, texts, dates):
            found.append(f"{column!r} ({texts[0][:40]!r})")
    return found


def _covers(
    rows: Sequence[Mapping[str, Any]],
    column: str,
    texts: Sequence[str],
    dates: Sequence[tuple[str | None, str | None]],
) -> bool:
    """Whether `column`'s date covers the date used, in every row (sampled) that has both."""
    formats = column_formats(texts).formats
    compared = 0
    for row, (date, _) in zip(rows, dates, strict=True):
        text = _stated_text(row.get(column))
        if date is None or text is None:
            continue
        other = _read_text(text, formats)
        if other is None:
            return False
        outer, inner = parse_date(other[0]), parse_date(date)
        if not (outer.start <= inner.start and inner.end <= outer.end):
            return False
        compared += 1
        if compared >= SAMPLE:
            break
    return compared > 0
