"""Build the case's folium map: pure, it renders nothing and needs no Streamlit.

One GeoJSON layer per kind of record, drawn on canvas, so the map stays fast
with tens of thousands of records. Every string shown in a tooltip or popup
goes through `geo.escape.escape_text` here, the only place map text is made.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import folium
import pandas as pd
import xyzservices.providers as xyz
from folium.plugins import Draw, Fullscreen, MeasureControl, MousePosition

from geo.assets import (
    COUNTRY_OUTLINES_PATH,
    COUNTRY_OUTLINES_URL,
    fetched_geojson,
    localize_assets,
)
from geo.case import CASE_LAYER, Case
from geo.escape import escape_text
from geo.geojson import geometry_problems, normalise_geometry
from geo.measure import circle_polygon
from geo.model import KIND_COLOURS, Kind
from geo.records import kind_label

POPUP_LIMIT = 2_000

# Okabe-Ito colours not used by the case's kinds, then black.
RESEARCHER_COLOURS = ("#009E73", "#56B4E9", "#000000", "#F0E442")

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


def _is_case(row: Any) -> bool:
    return row.layer == CASE_LAYER


def _uncertainty_text(row: Any) -> str | None:
    if isinstance(row.uncertainty_m, float) and math.isnan(row.uncertainty_m):
        return None
    return f"position ±{row.uncertainty_m:,.0f} m"


def tooltip_html(case: Case, row: Any) -> str:
    """Short, escaped hover text: name, date as stated, confidence, uncertainty or layer."""
    parts = [f"<b>{escape_text(row.name)}</b>"]
    if row.date:
        parts.append(escape_text(_date_text(row)))
    confidence = _confidence_text(row.confidence, row.properties.get("confidence_as_stated"))
    if confidence:
        parts.append(f"confidence: {escape_text(confidence)}")
    if not _is_case(row):
        parts.append(f"layer: {escape_text(row.layer)}")
    elif row.kind != Kind.PLACE.value and _uncertainty_text(row):
        parts.append(escape_text(_uncertainty_text(row)))
    return "<br>".join(parts)


def popup_html(case: Case, row: Any) -> str:
    """Escaped popup: the record, its claim and claimant, and the first source's quote."""
    lines = [f"<b>{escape_text(row.name)}</b>", escape_text(kind_label(row.kind))]
    if row.date:
        lines.append(f"date: {escape_text(_date_text(row))}")
    confidence = _confidence_text(row.confidence, row.properties.get("confidence_as_stated"))
    if confidence:
        lines.append(f"confidence: {escape_text(confidence)}")
    if not _is_case(row):
        lines.append(f"layer: {escape_text(row.layer)}")
        for key in ("analyst", "observed_in", "note"):
            if row.properties.get(key):
                lines.append(f"{key.replace('_', ' ')}: {escape_text(row.properties[key])}")
        return "<br>".join(lines)
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
    lines.append(f"{_uncertainty_text(row)}: {escape_text(row.properties['position_basis'])}")
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
            "layer": row.layer,
            "uncertainty_m": None if math.isnan(row.uncertainty_m) else row.uncertainty_m,
            "tooltip": tooltip_html(case, row),
        }
        if with_popups:
            properties["popup"] = popup_html(case, row)
        features.append({"type": "Feature", "geometry": row.geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class MapLayer:
    """One overlay: a kind of the case's records, or one of the researcher's layers."""

    title: str
    kind: Kind | None = None
    layer: str = CASE_LAYER
    colour: str = "#333333"


def map_layers(
    records: pd.DataFrame, kinds: Iterable[Kind] = tuple(Kind), researcher: Iterable[str] = ()
) -> list[MapLayer]:
    layers = [MapLayer(kind.label, kind=kind, colour=KIND_COLOURS[kind]) for kind in kinds]
    for index, name in enumerate(researcher):
        colour = RESEARCHER_COLOURS[index % len(RESEARCHER_COLOURS)]
        layers.append(MapLayer(name, layer=name, colour=colour))
    return layers


def layer_collections(
    case: Case,
    records: pd.DataFrame,
    kinds: Iterable[Kind] = tuple(Kind),
    researcher: Iterable[str] = (),
) -> list[tuple[MapLayer, dict[str, Any]]]:
    """The map data of each layer: the costly part of a map, and what is worth caching."""
    collections = []
    for layer in map_layers(records, kinds, researcher):
        if layer.kind is not None:
            chosen = (records["layer"] == CASE_LAYER) & (records["kind"] == layer.kind.value)
        else:
            chosen = records["layer"] == layer.layer
        collections.append((layer, map_features(case, records[chosen])))
    return collections


def _popup(collection: dict[str, Any]) -> folium.GeoJsonPopup | None:
    if all("popup" in f["properties"] for f in collection["features"]):
        return folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=360)
    return None


def _overlay(layer: MapLayer, collection: dict[str, Any]) -> folium.GeoJson:
    colour = layer.colour
    if layer.kind in (Kind.FEATURE, Kind.IMAGERY):
        # Positions known only to within a radius: draw the radius, not a pin.
        # Imagery outlines only: several records share the site and fills would pile up.
        marker: folium.Circle | folium.CircleMarker = folium.Circle(
            radius=100,
            weight=2,
            fill=True,
            fill_opacity=0.06 if layer.kind is Kind.FEATURE else 0.0,
        )

        def style(feature: dict[str, Any]) -> dict[str, Any]:
            return {
                "radius": feature["properties"]["uncertainty_m"],
                "color": colour,
                "fillColor": colour,
                "dashArray": "6 4" if layer.kind is Kind.FEATURE else "2 4",
            }

        style_function: Any = style
    else:
        marker = folium.CircleMarker(
            radius=7 if layer.kind is Kind.PLACE else 5,
            color="#ffffff",
            weight=1.5,
            fill=True,
            fill_color=colour,
            fill_opacity=0.95,
        )
        # lines and areas of a researcher's layer; points use the marker above
        style_function = None if layer.kind else (lambda _: {"color": colour, "weight": 2})
    return folium.GeoJson(
        collection,
        name=f"{layer.title} ({len(collection['features'])})",
        marker=marker,
        style_function=style_function,
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        popup=_popup(collection),
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
    researcher: Iterable[str] = (),
    collections: list[tuple[MapLayer, dict[str, Any]]] | None = None,
    online_tiles: bool = False,
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
    drawing: bool = False,
) -> folium.Map:
    """The map of `records` (already filtered), one overlay per kind in `layers`.

    `researcher` names the researcher's layers to draw. `collections` (from
    `layer_collections`, e.g. cached) replaces `records`, `layers` and `researcher`.
    `drawing` adds the drawing tools (point, line, polygon, rectangle, circle).

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
        chosen = case.records if records is None else records
        collections = layer_collections(case, chosen, layers, researcher)
    for layer, collection in sorted(collections, key=lambda item: item[0].kind is Kind.PLACE):
        _overlay(layer, collection).add_to(m)
    if drawing:
        Draw(
            position="topleft",
            draw_options={
                "polyline": {"shapeOptions": {"color": "#111111"}},
                "polygon": {"allowIntersection": False, "shapeOptions": {"color": "#111111"}},
                "rectangle": {"shapeOptions": {"color": "#111111"}},
                "circle": {"shapeOptions": {"color": "#111111"}},
                "marker": True,
                "circlemarker": False,
            },
            edit_options={"edit": False, "remove": False},
        ).add_to(m)

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


@dataclass(frozen=True)
class DrawnShape:
    """A shape the user drew, ready to become an annotation."""

    geometry: dict[str, Any]  # RFC 7946: a drawn circle is its polygon
    shape: str  # point, line, polygon or circle
    radius_m: float | None = None  # a circle's radius; its centre is `centre`
    centre: tuple[float, float] | None = None  # (lon, lat)

    @property
    def fingerprint(self) -> str:
        """The same drawing gives the same fingerprint: st_folium repeats the last one."""
        text = json.dumps([self.geometry, self.radius_m], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def drawn_shape(map_state: dict[str, Any] | None) -> DrawnShape | None:
    """The shape last drawn with the drawing tools, or None (a click on a record is not one)."""
    state = map_state or {}
    drawing = state.get("last_active_drawing")
    if not isinstance(drawing, dict) or drawing.get("type") != "Feature":
        return None
    properties = drawing.get("properties") or {}
    if isinstance(properties, dict) and properties.get("id"):
        return None  # a record of a layer was clicked
    geometry = drawing.get("geometry")
    if geometry_problems(geometry):
        return None
    # streamlit-folium puts a drawn circle's radius, in metres, on the drawing itself
    # (its last_circle_radius is in kilometres and outlives the circle).
    radius = properties.get("radius") if isinstance(properties, dict) else None
    if geometry["type"] == "Point" and _is_number(radius) and radius > 0:
        lon, lat = geometry["coordinates"][:2]
        return DrawnShape(
            geometry=circle_polygon(lon, lat, float(radius)),
            shape="circle",
            radius_m=float(radius),
            centre=(float(lon), float(lat)),
        )
    shapes = {"Point": "point", "LineString": "line", "Polygon": "polygon"}
    if geometry["type"] not in shapes:
        return None
    return DrawnShape(geometry=normalise_geometry(geometry), shape=shapes[geometry["type"]])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
