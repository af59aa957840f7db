"""The records' layers as the browser fetches them: built once per version, by content hash.

A map that carries its records in its script grows with the case, and streamlit-folium
sends the script again on every rerun: at 50,000 records a click re-sent 23 MB. Here
each layer's records become one compact, columnar JSON body (`layer_data`), kept in a
process-wide cache (`MapData`) under its SHA-256 and fetched by the map from the app's
own route (`/maplayer/<sha256>.json`, `ui.routes`). The map's script holds only that
address, the layer's style and the date filter: its size does not depend on the case,
and a filter change re-sends none of the data (the browser filters, see
``static/js/record-layer.js``).

The body holds, per record in the layer's order: the id, the position the map draws
(``lon``/``lat``: the point itself, or a point on a line or an area), the uncertainty
radius in metres where the layer draws it (``radius``), and the first and last day the
record's date covers, as days since 1970-01-01 (``start``/``end``; null when undated),
so that the browser applies the same overlap rule as `geo.query.date_mask`. Lines and
areas are in ``shapes`` as ``[index, geometry, filled]``, simplified for drawing where they are
too detailed (`geo.simplify`). The hover and click text of each record
(`geo.maplabel.label_html`, escaped) is fetched in chunks of `LABEL_CHUNK` only when
the pointer is on a record (`MapData.labels`): at a million records the labels alone
would be some 150 MB.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import orjson
import pandas as pd

from geo.frame import record_rows
from geo.maplabel import label_html
from geo.records import Kind
from geo.simplify import for_drawing, vertex_budget

# Labels fetched per request: one hover asks for at most this many.
LABEL_CHUNK = 1_000
# Layers kept for the map to fetch: a few filters' worth of every layer of a few cases.
KEPT_LAYERS = 64
# Decimal places of a drawn position: 6 is about 0.1 m, below any position a case holds.
DRAWN_DECIMALS = 6
# What a label is made of (`label_html`): all a kept layer holds of its records.
LABEL_COLUMNS = [
    "id",
    "layer",
    "kind",
    "name",
    "uncertainty_m",
    "date",
    "date_as_stated",
    "confidence",
    "properties",
]

_EPOCH = np.datetime64("1970-01-01", "D")


def epoch_day(day: date | None) -> int | None:
    """A day as the layer's ``start``/``end`` count it: days since 1970-01-01."""
    return None if day is None else int((np.datetime64(day, "D") - _EPOCH).astype(int))


def _days(column: pd.Series) -> np.ndarray:
    # NaT -> NaN, which orjson writes as null
    values = pd.to_datetime(column).to_numpy(dtype="datetime64[D]")
    days = (values - _EPOCH).astype("float64")
    days[np.isnat(values)] = np.nan
    return np.asarray(days)


@dataclass(frozen=True)
class LayerData:
    """One layer's records as the browser fetches them, and what its labels need."""

    body: bytes
    sha256: str
    records: pd.DataFrame = field(repr=False)  # `LABEL_COLUMNS` of the layer's, in order
    notes: dict[int, str] = field(repr=False)  # index -> how the drawing differs

    @property
    def count(self) -> int:
        return len(self.records)

    def labels(self, first: int = 0, count: int | None = None) -> list[str]:
        """The labels of `count` records from `first` (default: all), in the body's order."""
        rows = self.records.iloc[first : None if count is None else first + count]
        return [
            label_html(row, self.notes.get(first + offset))
            for offset, row in enumerate(record_rows(rows))
        ]


def layer_data(records: pd.DataFrame, *, radii: bool) -> LayerData:
    """`records` (one layer's) as the body the map fetches.

    `radii`: the layer draws each record's uncertainty as a circle of its radius.
    """
    records = records.reset_index(drop=True)
    geometry_types = records["geometry"].map(_geometry_type)
    shaped = np.flatnonzero((geometry_types != "Point").to_numpy())
    budget = vertex_budget(len(shaped))
    shapes: list[list[Any]] = []
    notes: dict[int, str] = {}
    for index in shaped.tolist():
        drawing = for_drawing(records["geometry"].iat[index], budget)
        # an image's outline is drawn without a fill, which would veil its pixels
        filled = records["kind"].iat[index] != Kind.IMAGERY.value
        shapes.append([index, drawing.geometry, filled])
        if (note := drawing.note()) is not None:
            notes[index] = note
    body: dict[str, Any] = {
        "ids": records["id"].tolist(),
        "lon": np.round(records["lon"].to_numpy(dtype="float64"), DRAWN_DECIMALS),
        "lat": np.round(records["lat"].to_numpy(dtype="float64"), DRAWN_DECIMALS),
        "radius": (
            records["uncertainty_m"].to_numpy(dtype="float64") if radii else None
        ),  # NaN (none given) -> null
        "start": _days(records["date_start"]),
        "end": _days(records["date_end"]),
        "shapes": shapes,
    }
    data = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    return LayerData(data, hashlib.sha256(data).hexdigest(), records[LABEL_COLUMNS], notes)


def _geometry_type(geometry: Any) -> Any:
    return geometry.get("type") if isinstance(geometry, dict) else None


class MapData:
    """The layers the map may fetch, by SHA-256; the least recently built go first.

    Thread-safe: the page builds layers in its script threads while the route reads
    them on the server's.
    """

    def __init__(self, kept: int = KEPT_LAYERS) -> None:
        self._kept = kept
        self._by_key: OrderedDict[Any, LayerData] = OrderedDict()
        self._by_sha: dict[str, LayerData] = {}
        self._lock = threading.Lock()

    def layer(self, key: Any, build: Callable[[], LayerData]) -> LayerData:
        """The layer built for `key` (a version of the records and the layer), building
        it once. Two threads asking at once may both build; the data is the same."""
        with self._lock:
            if (found := self._by_key.get(key)) is not None:
                self._by_key.move_to_end(key)
                return found
        built = build()
        with self._lock:
            self._by_key[key] = built
            self._by_sha[built.sha256] = built
            while len(self._by_key) > self._kept:
                _, dropped = self._by_key.popitem(last=False)
                if all(kept.sha256 != dropped.sha256 for kept in self._by_key.values()):
                    self._by_sha.pop(dropped.sha256, None)
        return built

    def body(self, sha256: str) -> bytes | None:
        with self._lock:
            found = self._by_sha.get(sha256)
        return None if found is None else found.body

    def labels(self, sha256: str, chunk: int) -> bytes | None:
        """Chunk `chunk` of a layer's labels (`LABEL_CHUNK` of them) as a JSON array, or
        None for a layer not kept or a chunk past its end."""
        with self._lock:
            found = self._by_sha.get(sha256)
        if found is None or chunk < 0 or chunk * LABEL_CHUNK >= max(found.count, 1):
            return None
        return orjson.dumps(found.labels(chunk * LABEL_CHUNK, LABEL_CHUNK))


# The page builds the layers and the route serves them: one of each per server.
MAP_DATA = MapData()
