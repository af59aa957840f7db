"""Which records' images the map draws: the researcher's imagery records whose pixels
the store holds, as `geo.compare.ImageLayer`s, and two of them in date order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from shapely.geometry import shape

from geo.compare import NO_DATE, ImageLayer
from geo.frame import record_rows
from geo.imagery.pixels import display_path, tile_url
from geo.records import CASE_LAYER, Kind
from geo.store.files import is_sha256


def _bounds(geometry: dict[str, Any]) -> tuple[float, float, float, float] | None:
    west, south, east, north = shape(geometry).bounds
    if not (west < east and south < north):
        return None  # no area to draw, or a footprint cut at the antimeridian
    return float(west), float(south), float(east), float(north)


def image_layers(records: pd.DataFrame, data_dir: Path) -> list[ImageLayer]:
    """The images of the imagery records in `records` that can be drawn: a researcher's
    record whose `sha256` names a display copy in the store at `data_dir`. In the
    frame's order; the case's imagery records are metadata only (no pixels shipped)."""
    images = []
    chosen = records[(records["kind"] == Kind.IMAGERY.value) & (records["layer"] != CASE_LAYER)]
    for row in record_rows(chosen):
        sha256 = row.properties.get("sha256")
        if not is_sha256(sha256) or not display_path(data_dir, sha256).exists():
            continue
        bounds = _bounds(row.geometry)
        if bounds is None:
            continue
        images.append(
            ImageLayer(
                record_id=row.id,
                name=row.name,
                date_as_stated=row.date_as_stated or row.date or NO_DATE,
                date=row.date,
                tile_url=tile_url(sha256),
                bounds=bounds,
            )
        )
    return images


def in_date_order(
    first: ImageLayer, second: ImageLayer, starts: dict[str, pd.Timestamp]
) -> tuple[ImageLayer, ImageLayer]:
    """The two images, earlier first, by the first day each one's date covers (`starts`:
    record id -> date_start); an undated image comes after a dated one, and two on the
    same day keep their order."""

    def key(image: ImageLayer) -> tuple[bool, pd.Timestamp]:
        start = starts.get(image.record_id)
        missing = start is None or pd.isna(start)
        return missing, pd.Timestamp.min if missing else start

    return (first, second) if key(first) <= key(second) else (second, first)
