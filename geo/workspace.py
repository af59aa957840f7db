"""The case together with a researcher's own layers, as one records frame.

The shipped case is read-only evidence; what a researcher draws or imports
lives in the store (geo.store), belongs to the case it was made in, and is shown
beside that case, one map layer per researcher layer, filtered by the same dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from geo.case import Case
from geo.frame import records_frame
from geo.query import date_mask
from geo.records import ANNOTATIONS_LAYER, CASE_KINDS, CASE_LAYER, Kind, LayerRecord, kind_label

# How the page marks a researcher's layer holding records made before records were
# tied to a case (`geo.store`'s records of no case), which every case shows.
ALL_CASES = "all cases"
ALL_CASES_HELP = (
    "This layer holds records made before each record was tied to the case it was made "
    "in: they are shown on every case. 'Layers shown on all cases' below gives them to "
    "this case. In a team's explorer only a lead changes them or gives them."
)


def combined_records(case: Case, records: list[LayerRecord]) -> pd.DataFrame:
    """The case's records, then the researcher's."""
    if not records:
        return case.records
    return pd.concat([case.records, records_frame(records)], ignore_index=True)


def researcher_layers(records: pd.DataFrame) -> list[str]:
    """Names of the researcher's layers present in `records`, annotations first."""
    names = records.loc[records["layer"] != CASE_LAYER, "layer"].unique().tolist()
    return sorted(names, key=lambda name: (name != ANNOTATIONS_LAYER, name.casefold()))


def filter_view(
    records: pd.DataFrame,
    start: date | None,
    end: date | None,
    kinds: Iterable[Kind],
    hidden_layers: Iterable[str] = (),
) -> pd.DataFrame:
    """What the view shows: the case's chosen kinds and the researcher layers not hidden."""
    is_case = records["layer"] == CASE_LAYER
    shown_kind = records["kind"].isin([Kind(k).value for k in kinds])
    shown_layer = ~records["layer"].isin(list(hidden_layers))
    keep = date_mask(records, start, end) & ((is_case & shown_kind) | (~is_case & shown_layer))
    return records[keep]


@dataclass(frozen=True)
class ViewFilter:
    """What the view shows: a date range (by overlap), the case's kinds, and the
    researcher's layers that are not switched off."""

    start: date | None = None
    end: date | None = None
    kinds: tuple[Kind, ...] = CASE_KINDS
    hidden: tuple[str, ...] = ()  # the researcher's layers switched off

    def shown(self, records: pd.DataFrame) -> pd.DataFrame:
        return filter_view(records, self.start, self.end, self.kinds, self.hidden)

    def researcher(self, records: pd.DataFrame) -> tuple[str, ...]:
        """The researcher's layers this filter shows, in their order."""
        return tuple(name for name in researcher_layers(records) if name not in self.hidden)


def record_titles(records: pd.DataFrame, ids: Iterable[str] | None = None) -> dict[str, str]:
    """'facility feature · Probable firewall (layer)' for the records `ids` (default: all),
    by id; an id that is not in `records` is left out.

    A selector tells its choices apart by title (and keeps a choice by it between
    runs): a record whose kind, name and layer another record of `records` shares
    also gets its id, whichever records are asked for, so its title stays the same.
    Asked for a few ids, the work is a few vectorised look-ups, whatever the number
    of records.
    """
    if ids is None:
        rows = records
        alike = records
    else:
        rows = records[records["id"].isin(list(ids))]
        alike = records[records["name"].isin(rows["name"].unique())]
    repeated_ids = set(alike.loc[alike.duplicated(TITLE_FIELDS, keep=False), "id"])
    kinds = rows["kind"].map(kind_label)
    where = (" (" + rows["layer"] + ")").where(rows["layer"] != CASE_LAYER, "")
    titles = kinds + " · " + rows["name"] + where
    titles = titles.where(~rows["id"].isin(repeated_ids), titles + " [" + rows["id"] + "]")
    return dict(zip(rows["id"], titles, strict=True))


# What a record's title is made of: two records alike in these are told apart by id.
TITLE_FIELDS = ["kind", "name", "layer"]
# How many records a search offers at most: a list to choose from, not the case.
SEARCH_LIMIT = 50
# Words of a search beyond these are ignored: each is a pass over the records.
MAX_SEARCH_WORDS = 8


@dataclass(frozen=True)
class Found:
    """What a search found: the first ids to offer (best first), and how many matched."""

    ids: list[str]
    total: int


def search_records(records: pd.DataFrame, text: str, limit: int = SEARCH_LIMIT) -> Found:
    """The records matching `text`: at most `limit` ids, best first, and how many match.

    Each word of `text` must appear (case-insensitive, as typed: no pattern) in the
    record's name, id, kind ('event', 'facility feature') or layer; a record with
    the id typed comes first, then those whose name starts with it, then the rest
    in the frame's order. Blank text matches every record. Vectorised: the kinds
    and layers are few and matched once each; the names and ids are matched by
    pandas, one pass per word.
    """
    words = text.split()[:MAX_SEARCH_WORDS]
    if not words:
        return Found(records["id"].head(limit).tolist(), len(records))
    keep = pd.Series(True, index=records.index)
    for word in words:
        keep &= _matches(records, word)
    found = records[keep]
    if found.empty:
        return Found([], 0)
    whole = " ".join(words).casefold()
    rank = np.where(
        found["id"].str.casefold() == whole,
        0,
        np.where(found["name"].str.casefold().str.startswith(whole, na=False), 1, 2),
    )
    best = np.argsort(rank, kind="stable")[:limit]
    return Found(found["id"].iloc[best].tolist(), len(found))


def _matches(records: pd.DataFrame, word: str) -> pd.Series:
    """Records with `word` in their name, id, kind (value or words) or layer."""
    needle = word.casefold()
    kinds = [
        kind
        for kind in records["kind"].unique()
        if needle in kind.casefold() or needle in kind_label(kind).casefold()
    ]
    layers = [layer for layer in records["layer"].unique() if needle in layer.casefold()]
    hit: pd.Series = (
        records["kind"].isin(kinds)
        | records["layer"].isin(layers)
        | records["name"].str.contains(word, case=False, regex=False, na=False)
        | records["id"].str.contains(word, case=False, regex=False, na=False)
    )
    return hit
