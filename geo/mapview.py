"""Build the case's folium map: pure, it renders nothing and needs no Streamlit.

One layer per kind of record and per layer of the researcher's, each drawn from
columns on one canvas (`geo.recordlayer`, `geo.mapdata`): the map's script does
not grow with the case. A record's text on the map is made in `geo.maplabel`; the
parts of the map that hold no record text are in `geo.mapparts`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from typing import Any, TypeGuard

import folium
import numpy as np
import orjson
import pandas as pd
import xyzservices.providers as xyz
from folium.plugins import Draw, Fullscreen, MeasureControl, MousePosition
from xyzservices import TileProvider

from geo.assets import (
    COUNTRY_OUTLINES_PATH,
    COUNTRY_OUTLINES_URL,
    Bounds,
    fetched_geojson,
    localize_assets,
)
from geo.basemap import Basemap, basemap_tile_layer
from geo.case import Case
from geo.compare import Comparison, ImageLayer, add_comparison, image_tile_layer
from geo.geojson import geometry_problems, normalise_geometry
from geo.mapdata import MAP_DATA, LayerData, MapData, layer_data
from geo.mapmeasure import KeepMeasurements
from geo.mapparts import DEFAULT_NOTE, Legend, case_places, legend_entries, overview_map
from geo.measure import circle_polygon
from geo.model import KIND_COLOURS
from geo.picker import RecordPicker
from geo.recordlayer import RecordLayer, RecordLayerScript
from geo.records import CASE_KINDS, CASE_LAYER, Kind

# The researcher's layers' colours, apart from the case's kinds (Okabe-Ito's remaining
# three, then Paul Tol's muted scheme's darker ones).
RESEARCHER_COLOURS = (
    "#009E73",
    "#56B4E9",
    "#000000",
    "#332288",
    "#117733",
    "#882255",
    "#44AA99",
    "#999933",
)

OFFLINE_BASE_NAME = "Country outlines (offline, Natural Earth)"


@dataclass(frozen=True)
class BaseLayer:
    name: str
    provider: TileProvider


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
    outlines: dict[str, Any] = orjson.loads(COUNTRY_OUTLINES_PATH.read_bytes())
    return outlines


@lru_cache(maxsize=1)
def country_outline_bounds() -> Bounds:
    """[[south, west], [north, east]] of the outlines, ring by ring (folium's walk
    vertex by vertex took most of a second of the page's first run)."""
    rings = [
        np.asarray(ring, dtype="float64")
        for feature in country_outlines()["features"]
        for ring in _rings(feature["geometry"])
    ]
    points = np.concatenate(rings)
    (west, south), (east, north) = points.min(axis=0), points.max(axis=0)
    return [[float(south), float(west)], [float(north), float(east)]]


def _rings(geometry: dict[str, Any]) -> list[Any]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


@dataclass(frozen=True)
class MapLayer:
    """One overlay: a kind of the case's records, or one of the researcher's layers."""

    title: str
    kind: Kind | None = None
    layer: str = CASE_LAYER
    colour: str = "#333333"


def layer_colours(names: Iterable[str]) -> dict[str, str]:
    """Each of the researcher's layers' colour, by the order the layers were created.

    A layer keeps its colour when others are added, switched off or emptied, and the
    first eight layers have eight different colours.
    """
    return {
        name: RESEARCHER_COLOURS[index % len(RESEARCHER_COLOURS)]
        for index, name in enumerate(dict.fromkeys(names))
    }


def map_layers(
    kinds: Iterable[Kind] = CASE_KINDS,
    researcher: Iterable[str] = (),
    colours: Mapping[str, str] | None = None,
) -> list[MapLayer]:
    """The layers to draw; `colours` (from `layer_colours`) names the researcher's layers'
    colours, by default in the order given."""
    researcher = tuple(researcher)
    colours = {**layer_colours(researcher), **(colours or {})}
    layers = [MapLayer(kind.label, kind=kind, colour=KIND_COLOURS[kind]) for kind in kinds]
    layers += [MapLayer(name, layer=name, colour=colours[name]) for name in researcher]
    return layers


def layer_records(records: pd.DataFrame, layer: MapLayer) -> pd.DataFrame:
    """The records `layer` draws, of every date: the map filters them by date itself."""
    if layer.kind is not None:
        return records[(records["layer"] == CASE_LAYER) & (records["kind"] == layer.kind.value)]
    return records[records["layer"] == layer.layer]


def layer_style(layer: MapLayer) -> dict[str, Any]:
    """How `layer` is drawn (``static/js/record-layer.js``): one style per layer, no
    table per record."""
    if layer.kind in (Kind.FEATURE, Kind.IMAGERY):
        # Positions known only to within a radius: draw the radius, not a pin.
        # Imagery outlines only: several records share the site and fills would pile up.
        return {
            "colour": layer.colour,
            "marker": "circle",
            "dash": "6 4" if layer.kind is Kind.FEATURE else "2 4",
            "fillOpacity": 0.06 if layer.kind is Kind.FEATURE else 0.0,
        }
    return {"colour": layer.colour, "marker": "dot", "radius": 7 if layer.kind is Kind.PLACE else 5}


def map_layer_data(records: pd.DataFrame, layer: MapLayer) -> LayerData:
    """`layer`'s records (from all of `records`) as the map fetches them."""
    circles = layer.kind in (Kind.FEATURE, Kind.IMAGERY)
    return layer_data(layer_records(records, layer), radii=circles)


def drawn_layers(
    records: pd.DataFrame,
    case_version: str,
    store_version: str,
    kinds: Iterable[Kind] = CASE_KINDS,
    researcher: Iterable[str] = (),
    colours: Mapping[str, str] | None = None,
    cache: MapData = MAP_DATA,
) -> list[tuple[MapLayer, LayerData]]:
    """The layers to draw with their data, kept in `cache` for the route: the case's
    built once per `case_version` (its files), the researcher's once per
    `store_version` (the store's revision). An annotation saved rebuilds no layer of
    the case, which at a million records would take seconds."""
    return [
        (
            layer,
            cache.layer(
                (case_version if layer.kind else store_version, layer),
                partial(map_layer_data, records, layer),
            ),
        )
        for layer in map_layers(kinds, researcher, colours)
    ]


def record_groups(
    layers: Sequence[tuple[MapLayer, LayerData]],
    start: date | None = None,
    end: date | None = None,
    *,
    inline: bool = False,
) -> list[folium.FeatureGroup]:
    """The records' layers, one group each, for `st_folium(feature_group_to_add=...)`.

    Given apart from the map, they change without remounting it: a filter keeps the
    researcher's view. Their script holds where to fetch the data, not the data
    (`geo.recordlayer`), so a filter change re-sends a few bytes a layer. They are not
    in the map's layer control: the sidebar's switches are the one control of what is
    shown (they drive counts, link and export too). Places come last: drawn on top,
    they stay visible over the circles at their position.
    """
    groups = []
    for layer, data in sorted(layers, key=lambda item: item[0].kind is Kind.PLACE):
        group = folium.FeatureGroup(name=layer.title, control=False)
        about = {
            "title": layer.title,
            "kind": layer.kind.value if layer.kind else None,
            "layer": layer.layer,
        }
        RecordLayer(data, layer_style(layer), start, end, about=about, inline=inline).add_to(group)
        groups.append(group)
    return groups


def initial_bounds(records: pd.DataFrame) -> list[list[float]]:
    places = records[records["kind"] == Kind.PLACE.value]
    chosen = places if not places.empty else records
    if chosen.empty:
        return [[-60.0, -170.0], [75.0, 170.0]]
    return [
        [float(chosen["lat"].min()), float(chosen["lon"].min())],
        [float(chosen["lat"].max()), float(chosen["lon"].max())],
    ]


def opening_view(case: Case) -> tuple[tuple[float, float], int]:
    """Where the map opens without a link: the case's own `view`, else over its places."""
    if case.view is not None:
        return (case.view.lat, case.view.lon), case.view.zoom
    (south, west), (north, east) = initial_bounds(case.records)
    return ((south + north) / 2, (west + east) / 2), 3


# Leaflet's panes: tiles at 200, vectors at 400; the offline base under both.
BASE_PANE = "base"


def base_map(
    case: Case,
    *,
    researcher: Iterable[str] = (),
    colours: Mapping[str, str] | None = None,
    online_tiles: bool = False,
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
    drawing: bool = False,
    images: Sequence[ImageLayer] = (),
    image_opacity: float = 1.0,
    comparison: Comparison | None = None,
    basemaps: Sequence[Basemap] = (),
) -> folium.Map:
    """The map without the records' layers: base layer, controls, legend, overview, picker.

    The legend names every kind and each of the researcher's layers in `researcher`,
    shown or not: the map's script then does not change when a layer is switched off.
    `center` (lat, lon) and `zoom` set the opening view; by default `opening_view`.
    `drawing` adds the drawing tools (point, line, polygon, rectangle, circle).
    `images` are drawn under the records at `image_opacity`, from the app's own tiles;
    the two of a `comparison` are drawn as it says instead.
    `basemaps` are offered as base layers in the layer control, named as context and
    not evidence; the shipped outlines stay the base the map opens with.
    With `online_tiles` False nothing on the map asks a third party for
    anything: the base layer is the shipped country outlines and every script
    and stylesheet is served by the app.
    """
    default_center, default_zoom = opening_view(case)
    m = folium.Map(
        location=list(center or default_center),
        zoom_start=default_zoom if zoom is None else zoom,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    # The outlines are filled: in Leaflet's overlay pane (above the tile pane) they would
    # hide the researcher's images. Their own pane lies under the tiles, as a base should.
    folium.map.CustomPane(BASE_PANE, z_index=150, pointer_events=False).add_to(m)
    outlines = folium.FeatureGroup(name=OFFLINE_BASE_NAME, overlay=False, control=True)
    fetched_geojson(
        country_outlines(),
        COUNTRY_OUTLINES_URL,
        country_outline_bounds(),
        name="outlines",
        pane=BASE_PANE,
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
    compared = (
        {c.record_id for c in (comparison.earlier, comparison.later)} if comparison else set()
    )
    for image in images:
        if image.record_id not in compared:
            image_tile_layer(image, opacity=image_opacity).add_to(m)
    if comparison is not None:
        add_comparison(
            m,
            comparison.earlier,
            comparison.later,
            mode=comparison.mode,
            position=comparison.position,
        )
    # The offline basemaps come right after the outlines, the online ones after them:
    # the layer control lists base layers in that order.
    for basemap in basemaps:
        basemap_tile_layer(basemap).add_to(m)
    if online_tiles:
        for base in ONLINE_BASE_LAYERS:
            folium.TileLayer(base.provider, name=base.name, overlay=False, show=False).add_to(m)
    if online_tiles or basemaps:
        # base layers only: what is drawn is switched in the sidebar
        folium.LayerControl(collapsed=True).add_to(m)
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

    # before the measure tool: it binds its "Finish" link to the method this wraps
    KeepMeasurements().add_to(m)
    MeasureControl(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
    ).add_to(m)
    Fullscreen(position="topleft").add_to(m)
    MousePosition(
        position="bottomright",
        separator=" , ",
        prefix="lat , lon:",
        num_digits=5,
        empty_string="lat , lon: point at the map",
    ).add_to(m)
    # Top right, at most 30% of the map high, collapsible: the bottom corners hold the
    # scale and the overview, and a legend there covered records and swallowed clicks.
    Legend(
        legend_entries(map_layers(CASE_KINDS, researcher, colours)),
        note=DEFAULT_NOTE,
        position="topright",
    ).add_to(m)
    overview_map(case_places(case.records)).add_to(m)  # after MousePosition: above it
    RecordLayerScript().add_to(m)
    RecordPicker().add_to(m)
    return localize_assets(m)


def build_map(
    case: Case,
    records: pd.DataFrame | None = None,
    *,
    layers: Iterable[Kind] = CASE_KINDS,
    researcher: Iterable[str] = (),
    online_tiles: bool = False,
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
    drawing: bool = False,
) -> folium.Map:
    """One self-contained map of `records` (already filtered; default the whole case).

    One overlay per kind in `layers`, and the researcher's layers named in `researcher`.
    The app gives the layers to `st_folium` apart (`base_map`, `record_groups`), their
    data fetched from its own route; this is the same map in one piece, the data in
    its script, for saving as HTML and for measuring.
    """
    researcher = tuple(researcher)
    m = base_map(
        case,
        researcher=researcher,
        online_tiles=online_tiles,
        center=center,
        zoom=zoom,
        drawing=drawing,
    )
    chosen = case.records if records is None else records
    drawn = [(layer, map_layer_data(chosen, layer)) for layer in map_layers(layers, researcher)]
    for group in record_groups(drawn, inline=True):
        group.add_to(m)
    return m


@dataclass(frozen=True)
class RecordClick:
    """A click on a record, as `st_folium` reports it; `serial` tells two clicks apart.

    `st_folium` returns its last value on every rerun, whatever caused it: compare with
    the click last acted on, and act only on a new one.
    """

    record_id: str
    serial: int


def record_click(map_state: dict[str, Any] | None) -> RecordClick | None:
    """The record last clicked (or picked from the click list), from what `st_folium` returns."""
    state = map_state or {}
    drawing = state.get("last_active_drawing")
    if not isinstance(drawing, dict):
        return None
    properties = drawing.get("properties")
    record_id = properties.get("id") if isinstance(properties, dict) else None
    if not isinstance(record_id, str):
        return None
    serial = state.get("last_object_clicked_count")
    return RecordClick(record_id, serial if isinstance(serial, int) else 0)


def reported_view(map_state: dict[str, Any] | None) -> tuple[tuple[float, float], int] | None:
    """The centre (lat, lon) and zoom the map reports after a move, or None before one."""
    state = map_state or {}
    center, zoom = state.get("center"), state.get("zoom")
    if not isinstance(center, dict) or not _is_number(zoom):
        return None
    lat, lon = center.get("lat"), center.get("lng")
    if not (_is_number(lat) and _is_number(lon)):
        return None
    # Leaflet reports longitudes past ±180 after a pan across the antimeridian
    lon = (float(lon) + 180.0) % 360.0 - 180.0
    return (max(-90.0, min(90.0, float(lat))), lon), round(zoom)


@dataclass(frozen=True)
class DrawnShape:
    """A shape the user drew, ready to become an annotation."""

    geometry: dict[str, Any]  # RFC 7946: a drawn circle is its polygon
    shape: str  # point, line, polygon or circle
    radius_m: float | None = None  # a circle's radius; its centre is `centre`
    centre: tuple[float, float] | None = None  # (lon, lat)
    measured: bool = False  # a measurement offered for keeping, not a drawing

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
    if not isinstance(geometry, dict) or geometry_problems(geometry):
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
    return DrawnShape(
        geometry=normalise_geometry(geometry),
        shape=shapes[geometry["type"]],
        measured=isinstance(properties, dict) and properties.get("measured") is True,
    )


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
