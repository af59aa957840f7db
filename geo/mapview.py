"""Build the case's folium map: pure, it renders nothing and needs no Streamlit.

One GeoJSON layer per kind of record, drawn on canvas, so the map stays fast
with tens of thousands of records. Every string shown in a tooltip or popup
goes through `geo.escape.escape_text` here, the only place map text is made.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import folium
import pandas as pd
import xyzservices.providers as xyz
from folium.plugins import Fullscreen, MeasureControl, MousePosition

from geo.assets import (
    COUNTRY_OUTLINES_PATH,
    COUNTRY_OUTLINES_URL,
    fetched_geojson,
    localize_assets,
)
from geo.case import Case
from geo.escape import escape_text
from geo.model import KIND_COLOURS, Kind

POPUP_LIMIT = 2_000

OFFLINE_BASE_NAME = "Country outlines (offline, Natural Earth)"


@dataclass(frozen=True)
class BaseLayer:
    name: str
    provider: Any


# Satellite basemaps are undated mosaics: say so, so nobody cites them as evidence.
ONLINE_BASE_LAYERS = (
    BaseLayer("Street map (OpenStreetMap, online)", xyz.OpenStreetMap.Mapnik),
    BaseLayer(
        "Satellite (Esri World Imagery, online; undated mosaic, not evidence)",
        xyz.Esri.WorldImagery,
    ),
    BaseLayer("Light map (Esri World Gray Canvas, online)", xyz.Esri.WorldGrayCanvas),
)


@lru_cache(maxsize=1)
def country_outlines() -> dict[str, Any]:
    return json.loads(COUNTRY_OUTLINES_PATH.read_text(encoding="utf-8"))


def _confidence_text(confidence: Any, as_stated: Any) -> str:
    if not confidence:
        return ""
    if as_stated and as_stated != confidence:
        return f"{confidence} (source: {as_stated})"
    return str(confidence)


def _date_text(row: Any) -> str:
    if not row.date:
        return ""
    return f"{row.date_as_stated} [{row.date}]"


def tooltip_html(case: Case, row: Any) -> str:
    """Short, escaped hover text: name, date as stated, confidence, uncertainty."""
    parts = [f"<b>{escape_text(row.name)}</b>"]
    if row.date:
        parts.append(escape_text(_date_text(row)))
    confidence = _confidence_text(row.confidence, row.properties.get("confidence_as_stated"))
    if confidence:
        parts.append(f"confidence: {escape_text(confidence)}")
    if row.kind != Kind.PLACE.value:
        parts.append(f"position ±{row.uncertainty_m:,.0f} m")
    return "<br>".join(parts)


def popup_html(case: Case, row: Any) -> str:
    """Escaped popup: the record, its claim and claimant, and the first source's quote."""
    lines = [
        f"<b>{escape_text(row.name)}</b>",
        escape_text(Kind(row.kind).label.rstrip("s").lower()),
    ]
    if row.date:
        lines.append(f"date: {escape_text(_date_text(row))}")
    confidence = _confidence_text(row.confidence, row.properties.get("confidence_as_stated"))
    if confidence:
        lines.append(f"confidence: {escape_text(confidence)}")
    claim = case.claims.get(row.claim) if row.claim else None
    if claim:
        lines.append(
            f"claim ({escape_text(claim.status.value)}): {escape_text(claim.statement)}"
            f" <i>by {escape_text(claim.claimant)}</i>"
        )
    first = row.properties["sources"][0]
    source = case.sources[first["id"]]
    quote = f": &ldquo;{escape_text(first['quote'])}&rdquo;" if first.get("quote") else ""
    lines.append(f"source: {escape_text(source.title)}{quote}")
    lines.append(
        f"position ±{row.uncertainty_m:,.0f} m: {escape_text(row.properties['position_basis'])}"
    )
    return "<br>".join(lines)


def map_features(case: Case, records: pd.DataFrame) -> dict[str, Any]:
    """A slim FeatureCollection for the map: geometry, id and pre-escaped display text.

    Past `POPUP_LIMIT` records the popups are left out: every rerun sends the whole
    map script to the browser, and the panel beside the map shows the clicked record.
    """
    with_popups = len(records) <= POPUP_LIMIT
    features = []
    for row in records.itertuples(index=False):
        properties = {
            "id": row.id,
            "kind": row.kind,
            "uncertainty_m": row.uncertainty_m,
            "tooltip": tooltip_html(case, row),
        }
        if with_popups:
            properties["popup"] = popup_html(case, row)
        features.append({"type": "Feature", "geometry": row.geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def layer_collections(
    case: Case, records: pd.DataFrame, layers: Iterable[Kind] = tuple(Kind)
) -> dict[Kind, dict[str, Any]]:
    """The map data of each layer: the costly part of a map, and what is worth caching."""
    return {kind: map_features(case, records[records["kind"] == kind.value]) for kind in layers}


def _kind_layer(kind: Kind, collection: dict[str, Any]) -> folium.GeoJson:
    colour = KIND_COLOURS[kind]
    if kind in (Kind.FEATURE, Kind.IMAGERY):
        # Positions known only to within a radius: draw the radius, not a pin.
        # Imagery outlines only: several records share the site and fills would pile up.
        marker: folium.Circle | folium.CircleMarker = folium.Circle(
            radius=100, weight=2, fill=True, fill_opacity=0.06 if kind is Kind.FEATURE else 0.0
        )

        def style(feature: dict[str, Any]) -> dict[str, Any]:
            return {
                "radius": feature["properties"]["uncertainty_m"],
                "color": colour,
                "fillColor": colour,
                "dashArray": "6 4" if kind is Kind.FEATURE else "2 4",
            }

        style_function: Any = style
    else:
        marker = folium.CircleMarker(
            radius=7 if kind is Kind.PLACE else 5,
            color="#ffffff",
            weight=1.5,
            fill=True,
            fill_color=colour,
            fill_opacity=0.95,
        )
        style_function = None
    return folium.GeoJson(
        collection,
        name=f"{kind.label} ({len(collection['features'])})",
        marker=marker,
        style_function=style_function,
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=360)
        if all("popup" in f["properties"] for f in collection["features"])
        else None,
        zoom_on_click=False,
        highlight_function=None,
    )


def initial_bounds(records: pd.DataFrame) -> list[list[float]]:
    places = records[records["kind"] == Kind.PLACE.value]
    chosen = places if not places.empty else records
    if chosen.empty:
        return [[-60.0, -170.0], [75.0, 170.0]]
    return [
        [float(chosen["lat"].min()), float(chosen["lon"].min())],
        [float(chosen["lat"].max()), float(chosen["lon"].max())],
    ]


def build_map(
    case: Case,
    records: pd.DataFrame | None = None,
    *,
    layers: Iterable[Kind] = tuple(Kind),
    collections: dict[Kind, dict[str, Any]] | None = None,
    online_tiles: bool = False,
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
) -> folium.Map:
    """The map of `records` (already filtered), one overlay per kind in `layers`.

    `collections` (from `layer_collections`, e.g. cached) replaces `records` and `layers`.

    `center` (lat, lon) and `zoom` set the opening view; by default the case's places.
    With `online_tiles` False nothing on the map asks a third party for
    anything: the base layer is the shipped country outlines and every script
    and stylesheet is served by the app.
    """
    (south, west), (north, east) = initial_bounds(case.records)
    m = folium.Map(
        location=list(center or ((south + north) / 2, (west + east) / 2)),
        zoom_start=3 if zoom is None else zoom,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    outlines = folium.FeatureGroup(name=OFFLINE_BASE_NAME, overlay=False, control=True)
    fetched_geojson(
        country_outlines(),
        COUNTRY_OUTLINES_URL,
        name="outlines",
        style_function=lambda _: {
            "color": "#6b7280",
            "weight": 0.8,
            "fillColor": "#f3f4f6",
            "fillOpacity": 1,
        },
        interactive=False,
        control=False,
    ).add_to(outlines)
    outlines.add_to(m)
    if online_tiles:
        for base in ONLINE_BASE_LAYERS:
            folium.TileLayer(base.provider, name=base.name, overlay=False, show=False).add_to(m)

    # Places last: on a canvas the last layer drawn takes the click, and a place must stay
    # clickable under the events and features that sit at it.
    if collections is None:
        collections = layer_collections(case, case.records if records is None else records, layers)
    for kind in sorted(collections, key=lambda k: k is Kind.PLACE):
        _kind_layer(kind, collections[kind]).add_to(m)

    MeasureControl(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
    ).add_to(m)
    Fullscreen(position="topleft").add_to(m)
    MousePosition(
        position="bottomright", separator=" , ", prefix="lat , lon:", num_digits=5
    ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return localize_assets(m)


def clicked_record_id(map_state: dict[str, Any] | None) -> str | None:
    """The id of the record the user last clicked, from what `st_folium` returns."""
    drawing = (map_state or {}).get("last_active_drawing")
    if not isinstance(drawing, dict):
        return None
    properties = drawing.get("properties")
    record_id = properties.get("id") if isinstance(properties, dict) else None
    return record_id if isinstance(record_id, str) else None
