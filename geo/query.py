"""Filters, counts and timeline rows over the records frame: pure and vectorised."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from geo.records import CASE_KINDS, CASE_LAYER, KIND_LABELS, Kind

RESEARCHER_LABEL = "Your records"


def date_bounds(records: pd.DataFrame) -> tuple[date, date] | None:
    """First and last day any dated record covers, or None if nothing is dated."""
    dated = records.dropna(subset=["date_start"])
    if dated.empty:
        return None
    return dated["date_start"].min().date(), dated["date_end"].max().date()


def date_mask(records: pd.DataFrame, start: date | None, end: date | None) -> pd.Series:
    """Records whose span overlaps ``[start, end]``; undated records (places) always pass.

    Overlap, not containment: "January 2015" is shown for a range from
    2015-01-10, since the source does not say which day of January it was. A range
    that ends before it starts holds no day: only undated records pass.
    """
    if start is not None and end is not None and end < start:
        return records["date_start"].isna()  # an empty range: nothing dated
    keep = pd.Series(True, index=records.index)
    if end is not None:
        keep &= ~(records["date_start"] > pd.Timestamp(end))
    if start is not None:
        keep &= ~(records["date_end"] < pd.Timestamp(start))
    return keep


def filter_records(
    records: pd.DataFrame,
    start: date | None = None,
    end: date | None = None,
    kinds: Iterable[Kind | str] | None = None,
) -> pd.DataFrame:
    keep = date_mask(records, start, end)
    if kinds is not None:
        keep &= records["kind"].isin([Kind(k).value for k in kinds])
    return records[keep]


def counts(records: pd.DataFrame, shown: pd.DataFrame) -> pd.DataFrame:
    """Per kind: how many records the view shows out of the whole case."""
    kinds = [kind.value for kind in CASE_KINDS]
    total = records["kind"].value_counts().reindex(kinds, fill_value=0)
    visible = shown["kind"].value_counts().reindex(kinds, fill_value=0)
    return pd.DataFrame(
        {
            "kind": [Kind(k).label for k in kinds],
            "shown": visible.to_numpy(),
            "total": total.to_numpy(),
        }
    )


def timeline_rows(records: pd.DataFrame) -> pd.DataFrame:
    """Dated records as bars: a day is a short bar, a month or a year spans its length."""
    dated = records.dropna(subset=["date_start"])
    # One row per record: records that share a name are told apart by their date.
    repeated = dated["name"].duplicated(keep=False)
    label = dated["name"].where(~repeated, dated["name"] + " [" + dated["date"] + "]")
    return pd.DataFrame(
        {
            "id": dated["id"],
            "label": label,
            "kind": timeline_kinds(dated),
            "name": dated["name"],
            "date": dated["date"],
            "date_as_stated": dated["date_as_stated"],
            "start": dated["date_start"],
            # the bar ends after the last day it covers, so a single day is visible
            "end": dated["date_end"] + pd.Timedelta(days=1),
            "precision": dated["date_precision"],
        }
    ).reset_index(drop=True)


def timeline_kinds(records: pd.DataFrame) -> pd.Series:
    """What a timeline groups a record by: the case's records by kind, a researcher's
    all together (as 'Your records'), beside them."""
    return records["kind"].map(KIND_LABELS).where(records["layer"] == CASE_LAYER, RESEARCHER_LABEL)


def colocated(records: pd.DataFrame, record_id: str) -> pd.DataFrame:
    """Other records drawn at the same position: one click on the map can only pick one."""
    row = records[records["id"] == record_id]
    if row.empty:
        return records.iloc[0:0]
    lon, lat = row["lon"].iloc[0], row["lat"].iloc[0]
    same = (records["lon"].round(6) == round(lon, 6)) & (records["lat"].round(6) == round(lat, 6))
    return records[same & (records["id"] != record_id)]
