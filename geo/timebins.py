"""Dated records counted per time bin, for a timeline of more records than bars can show.

A record's date is a span (a day, a month, a year, an interval), and the count
keeps it one: a record is counted in every bin its span overlaps. A year-dated
record is in each of its twelve month bins; a day-dated record in one. So a bar
says "records whose date overlaps this bin", and the bars can add up to more
than the records: nothing is dropped, and nothing is made to look more precise
than its source. Each bin also counts the records that lie wholly within it
(``within``): the rest are dated more coarsely than the bin.

The bin unit follows the span of the dates (days, weeks, months, or years by
a step), so that there are at most about a hundred to three hundred bins, and
the counts are at most bins x kinds rows whatever the number of records.
Counting is vectorised: a running sum over the bins, not a row per record and bin.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pandas as pd

# Spans up to these many days get bins of a day, a week, a month; longer ones, years.
DAY_BINS_UP_TO = 92
WEEK_BINS_UP_TO = 2 * 366
MONTH_BINS_UP_TO = 25 * 366
# Year bins are grouped by a round step so that a span of centuries stays about this many bars.
MAX_YEAR_BINS = 100
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)

Days = npt.NDArray[np.int64]
YEAR_ONE = int(np.datetime64("0001-01-01", "D").astype(np.int64))
LAST_DAY = int(np.datetime64("9999-12-31", "D").astype(np.int64))


class BinUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class Binning:
    """Bins of `step` `unit`s (a step above one only for years): weeks start on Monday."""

    unit: BinUnit
    step: int = 1

    @property
    def words(self) -> str:
        """'day', 'week', 'month', 'year', or '10 years'."""
        return self.unit.value if self.step == 1 else f"{self.step} years"

    def index(self, days: Days) -> Days:
        """The bin of each day (days since 1970-01-01): bins are numbered in time order."""
        if self.unit is BinUnit.DAY:
            return days
        if self.unit is BinUnit.WEEK:
            return (days + 3) // 7  # 1970-01-01 was a Thursday: week 0 starts on 1969-12-29
        stamps = days.astype("datetime64[D]")
        if self.unit is BinUnit.MONTH:
            return stamps.astype("datetime64[M]").astype(np.int64)
        years = stamps.astype("datetime64[Y]").astype(np.int64) + 1970
        return years // self.step

    def first_day(self, bins: Days) -> Days:
        """The first day of each bin, as days since 1970-01-01."""
        if self.unit is BinUnit.DAY:
            return bins
        if self.unit is BinUnit.WEEK:
            return bins * 7 - 3
        if self.unit is BinUnit.MONTH:
            return bins.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        years = bins * self.step - 1970
        return years.astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)

    def label(self, first: pd.Timestamp) -> str:
        """A bin in words, from its first day: '2015-03-09', 'week of 2015-03-09',
        'March 2015', '2015', '2010–2019'."""
        day = f"{first.year:04d}-{first.month:02d}-{first.day:02d}"  # strftime: not year 1
        if self.unit is BinUnit.DAY:
            return day
        if self.unit is BinUnit.WEEK:
            return f"week of {day}"
        if self.unit is BinUnit.MONTH:
            return f"{calendar.month_name[first.month]} {first.year:04d}"
        if self.step == 1:
            return f"{first.year:04d}"
        # the first bin may start with year 1 rather than its round year 0 (see count_by_bin)
        low = first.year // self.step * self.step
        return f"{max(low, 1):04d}–{low + self.step - 1:04d}"


def choose_binning(first: pd.Timestamp, last: pd.Timestamp) -> Binning:
    """The bins for dates from `first` to `last` (both days included)."""
    days = (last - first).days + 1
    if days <= DAY_BINS_UP_TO:
        return Binning(BinUnit.DAY)
    if days <= WEEK_BINS_UP_TO:
        return Binning(BinUnit.WEEK)
    if days <= MONTH_BINS_UP_TO:
        return Binning(BinUnit.MONTH)
    years = last.year - first.year + 1
    step = next((s for s in YEAR_STEPS if -(-years // s) <= MAX_YEAR_BINS), YEAR_STEPS[-1])
    return Binning(BinUnit.YEAR, step)


def _days(stamps: pd.Series) -> Days:
    """Days since 1970-01-01 of each timestamp (naive, a day's midnight)."""
    values: Days = stamps.to_numpy(dtype="datetime64[D]").astype(np.int64)
    return values


def count_by_bin(
    starts: pd.Series, ends: pd.Series, groups: pd.Series, binning: Binning | None = None
) -> tuple[pd.DataFrame, Binning]:
    """Per bin and group: how many records overlap the bin, and how many lie within it.

    `starts` and `ends` are each record's first and last day (timestamps, no NaT),
    `groups` what the bars are stacked by (a kind). The bins are `binning`, or
    chosen from the span of the dates. One row per bin and group with a record:
    ``group``, ``bin`` (its first day), ``bin_end`` (the day after its last),
    ``records`` (overlapping), ``within`` (wholly inside), in bin order.
    """
    columns = ["group", "bin", "bin_end", "records", "within"]
    if starts.empty:
        return pd.DataFrame(columns=columns), binning or Binning(BinUnit.YEAR)
    first_days, last_days = _days(starts), _days(ends)
    if binning is None:
        binning = choose_binning(
            pd.Timestamp(first_days.min(), unit="D"), pd.Timestamp(last_days.max(), unit="D")
        )
    first_bins, last_bins = binning.index(first_days), binning.index(last_days)
    origin = int(first_bins.min())
    first_bins, last_bins = first_bins - origin, last_bins - origin
    size = int(last_bins.max()) + 1
    frames = []
    names = groups.to_numpy()
    for group in pd.unique(names):
        mine = names == group
        lo, hi = first_bins[mine], last_bins[mine]
        # a record adds one from its first bin and takes it away after its last
        steps = np.bincount(lo, minlength=size + 1) - np.bincount(hi + 1, minlength=size + 1)
        overlapping = np.cumsum(steps)[:size]
        within = np.bincount(lo[lo == hi], minlength=size)
        used = np.flatnonzero(overlapping)
        frames.append(
            pd.DataFrame(
                {
                    "group": group,
                    "bin_index": used,
                    "records": overlapping[used],
                    "within": within[used],
                }
            )
        )
    counts = pd.concat(frames, ignore_index=True).sort_values(
        ["bin_index", "group"], kind="stable", ignore_index=True
    )
    bins = counts["bin_index"].to_numpy(dtype=np.int64) + origin
    # Bins of years keep to years 1 to 9999, the dates a record can have (and a browser
    # reads): the first may start with year 1 (not numpy's year 0), the last end a day short.
    counts["bin"] = _stamps(np.maximum(binning.first_day(bins), YEAR_ONE))
    counts["bin_end"] = _stamps(np.minimum(binning.first_day(bins + 1), LAST_DAY))
    return counts[columns], binning


def _stamps(days: Days) -> pd.Series:
    return pd.Series(days.astype("datetime64[D]").astype("datetime64[s]"))
