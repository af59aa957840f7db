"""Map furniture: a legend and an offline overview inset. Pure: builds folium elements only.

`Legend` says what each colour and shape on the map means; `legend_entries` derives its rows
from the map's layers (anything with ``title``, ``colour`` and ``kind``, such as
`geo.mapview.MapLayer`). `overview_map` is folium's MiniMap made to work offline: instead of
a tile layer (there are none offline) the inset draws the shipped country outlines and the
case's places as dots.

Every string a user can influence (layer titles, place names) goes through
`geo.escape.escape_text` here; the HTML then reaches the page as a JSON string literal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import MiniMap
from folium.template import Template

from geo.assets import VENDOR_DIR, is_remote, local_url
from geo.escape import escape_text
from geo.records import Kind

Symbol = Literal["dot", "small dot", "dashed circle", "dotted circle", "line", "dot and line"]
Position = Literal["topleft", "topright", "bottomleft", "bottomright"]

SYMBOLS: tuple[Symbol, ...] = get_args(Symbol)
POSITIONS: tuple[Position, ...] = get_args(Position)

# How geo.mapview draws each kind (CircleMarker radius 7 and 5, Circle with dash "6 4" / "2 4").
KIND_SYMBOLS: dict[Kind, Symbol] = {
    Kind.PLACE: "dot",
    Kind.EVENT: "small dot",
    Kind.FEATURE: "dashed circle",
    Kind.IMAGERY: "dotted circle",
}
KIND_DETAILS: dict[Kind, str] = {
    Kind.PLACE: "",
    Kind.EVENT: "",
    Kind.FEATURE: "dashed circle: position uncertainty",
    Kind.IMAGERY: "dotted circle: area imaged / uncertainty",
}
RESEARCHER_SYMBOL: Symbol = "dot and line"
RESEARCHER_DETAIL = "your layer"
DEFAULT_NOTE = "Circles are to scale (radius in metres); dots are not."

# Hex colours (#rgb, #rgba, #rrggbb, #rrggbbaa) or a CSS colour name.
_COLOUR = re.compile(r"^(?:#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|[a-zA-Z]{3,30})$")


@dataclass(frozen=True)
class LegendEntry:
    """One row of the legend: a symbol drawn in `colour`, a title and an optional detail line."""

    title: str
    colour: str
    symbol: Symbol = "dot"
    detail: str = ""

    def __post_init__(self) -> None:
        if not _COLOUR.match(self.colour):
            raise ValueError(
                f"legend colour {self.colour!r} is not a hex colour or a CSS colour name"
            )
        if self.symbol not in SYMBOLS:
            raise ValueError(f"legend symbol {self.symbol!r} is not one of {SYMBOLS}")


class LayerLike(Protocol):
    """What `legend_entries` reads from a map layer (geo.mapview.MapLayer has it)."""

    @property
    def title(self) -> str: ...

    @property
    def colour(self) -> str: ...

    @property
    def kind(self) -> Kind | None: ...


def legend_entries(layers: Iterable[LayerLike]) -> list[LegendEntry]:
    """One entry per layer, drawn as geo.mapview draws it; a layer without a kind is the
    researcher's own."""
    entries = []
    for layer in layers:
        if layer.kind is None:
            # one line each: a case can hold many of the researcher's layers
            entries.append(LegendEntry(layer.title, layer.colour, RESEARCHER_SYMBOL))
        else:
            entries.append(
                LegendEntry(
                    layer.title, layer.colour, KIND_SYMBOLS[layer.kind], KIND_DETAILS[layer.kind]
                )
            )
    return entries


def symbol_svg(symbol: Symbol, colour: str) -> str:
    """A 16 px inline SVG of `symbol`, labelled with the symbol's name for screen readers."""
    c = escape_text(colour)
    shapes = {
        "dot": f'<circle cx="8" cy="8" r="6" fill="{c}" stroke="#fff" stroke-width="1.5"/>',
        "small dot": f'<circle cx="8" cy="8" r="4.5" fill="{c}" stroke="#fff" stroke-width="1"/>',
        "dashed circle": (
            f'<circle cx="8" cy="8" r="6.5" fill="{c}" fill-opacity="0.08" stroke="{c}" '
            'stroke-width="1.8" stroke-dasharray="3.2 2.1"/>'
        ),
        "dotted circle": (
            f'<circle cx="8" cy="8" r="6.5" fill="none" stroke="{c}" stroke-width="1.8" '
            'stroke-dasharray="0.1 3" stroke-linecap="round"/>'
        ),
        "line": (
            f'<path d="M1 11 L6 6 L10 9 L15 4" fill="none" stroke="{c}" stroke-width="2" '
            'stroke-linejoin="round" stroke-linecap="round"/>'
        ),
        "dot and line": (
            f'<path d="M1 13 L15 3" stroke="{c}" stroke-width="2" stroke-linecap="round"/>'
            f'<circle cx="8" cy="8" r="4" fill="{c}" stroke="#fff" stroke-width="1.2"/>'
        ),
    }
    return (
        f'<svg class="geo-legend-symbol" width="16" height="16" viewBox="0 0 16 16" '
        f'role="img" aria-label="{escape_text(symbol)}" focusable="false">{shapes[symbol]}</svg>'
    )


def legend_html(
    entries: Sequence[LegendEntry], *, note: str = "", title: str = "Legend", title_id: str = ""
) -> str:
    """The legend's inner HTML: a <details> (open) with one list item per entry; all text
    escaped."""
    rows = []
    for entry in entries:
        detail = (
            f'<span class="geo-legend-detail">{escape_text(entry.detail)}</span>'
            if entry.detail
            else ""
        )
        rows.append(
            f"<li>{symbol_svg(entry.symbol, entry.colour)}"
            f'<span class="geo-legend-title">{escape_text(entry.title)}</span>{detail}</li>'
        )
    body = (
        f'<ul class="geo-legend-entries">{"".join(rows)}</ul>'
        if rows
        else '<p class="geo-legend-note">No layer is shown.</p>'
    )
    note_html = f'<p class="geo-legend-note">{escape_text(note)}</p>' if note else ""
    summary_id = f' id="{escape_text(title_id)}"' if title_id else ""
    return (
        f"<details open><summary{summary_id}>{escape_text(title)}</summary>"
        f"{body}{note_html}</details>"
    )


class Legend(MacroElement):
    """A Leaflet control holding the legend: a labelled region, collapsible from the keyboard.

    Add it after the map's other controls in the same corner that should sit nearer the edge
    (in a bottom corner Leaflet stacks later controls above earlier ones).
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .geo-legend {
            background: rgba(255, 255, 255, 0.95);
            border-radius: 4px;
            box-shadow: 0 1px 4px rgba(0, 0, 0, 0.35);
            padding: 4px 8px 5px;
            font: 12px/1.3 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
            color: #1f2937;
            max-width: 220px;
            /* the iframe's height is the map's: at most 30% of it, scrolling past that */
            max-height: 30vh;
            overflow-y: auto;
        }
        .geo-legend summary { font-weight: 600; cursor: pointer; display: list-item; }
        .geo-legend summary:focus-visible { outline: 2px solid #0072B2; outline-offset: 2px; }
        .geo-legend .geo-legend-entries { list-style: none; margin: 3px 0 0; padding: 0; }
        .geo-legend .geo-legend-entries li {
            display: grid;
            grid-template-columns: 16px 1fr;
            column-gap: 6px;
            align-items: center;
            margin: 2px 0;
        }
        .geo-legend .geo-legend-symbol { display: block; }
        .geo-legend .geo-legend-title { overflow-wrap: anywhere; }
        .geo-legend .geo-legend-detail {
            grid-column: 2;
            color: #4b5563;
            font-size: 11px;
            line-height: 1.2;
        }
        .geo-legend .geo-legend-note {
            margin: 3px 0 0;
            color: #4b5563;
            font-size: 11px;
            line-height: 1.2;
        }
        </style>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "geo-legend leaflet-control");
            div.setAttribute("role", "region");
            div.setAttribute("aria-labelledby", {{ this.title_id|tojson }});
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        entries: Sequence[LegendEntry],
        *,
        note: str = "",
        title: str = "Legend",
        position: Position = "bottomleft",
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's __init__ is unannotated
        if position not in POSITIONS:
            raise ValueError(f"legend position {position!r} is not one of {POSITIONS}")
        self._name = "Legend"
        self.entries = tuple(entries)
        self.position = position
        # The region is named by its (escaped) summary, so no text goes through setAttribute.
        self.title_id = f"{self.get_name()}-title"
        self.html = legend_html(self.entries, note=note, title=title, title_id=self.title_id)


# --- overview inset ------------------------------------------------------------------------

# Natural Earth 1:110m outlines (215 kB): detailed enough for a 200 px inset; the main map
# uses the 1:50m file.
OVERVIEW_OUTLINES_PATH = VENDOR_DIR / "world-atlas" / "countries-110m.geojson"
OVERVIEW_OUTLINES_URL = local_url("world-atlas/countries-110m.geojson")

_MAX_MERCATOR_LAT = 85.0511287798
_TILE = 256.0


def _mercator_y(lat: float) -> float:
    """Web Mercator y at zoom 0, in pixels from the top of the 256 px world."""
    lat = max(-_MAX_MERCATOR_LAT, min(_MAX_MERCATOR_LAT, lat))
    phi = math.radians(lat)
    return _TILE * (0.5 - math.log(math.tan(math.pi / 4 + phi / 2)) / (2 * math.pi))


def overview_zoom(
    places: Sequence[tuple[float, float, str]],
    width: int,
    height: int,
    *,
    padding: int = 18,
    max_zoom: float = 6.0,
    step: float = 0.25,
) -> float:
    """The largest zoom (a multiple of `step`, at most `max_zoom`) at which every place fits
    in a `width` x `height` inset with `padding` pixels to spare on each side.

    No places: 0 (the world). One place, or all at one point: `max_zoom`.
    """
    if not places:
        return 0.0
    lons = [lon for _, lon, _ in places]
    ys = [_mercator_y(lat) for lat, _, _ in places]
    dx = (max(lons) - min(lons)) / 360.0 * _TILE
    dy = max(ys) - min(ys)
    room_x, room_y = max(width - 2 * padding, 1), max(height - 2 * padding, 1)
    scales = [room / span for room, span in ((room_x, dx), (room_y, dy)) if span > 0]
    if not scales:
        return max_zoom
    zoom = math.log2(min(scales))
    return max(0.0, min(max_zoom, math.floor(zoom / step) * step))


def _checked_places(places: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    checked = []
    for lat, lon, name in places:
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90):
            raise ValueError(f"place {name!r} has no valid position: lat {lat}, lon {lon}")
        if not -180 <= lon <= 180:
            raise ValueError(f"place {name!r} has longitude {lon}, outside -180..180")
        checked.append((float(lat), float(lon), escape_text(name)))
    return checked


class OverviewMap(JSCSSMixin, MacroElement):
    """folium's MiniMap without tiles: the inset shows country outlines and the places as dots.

    It loads the same plugin files as `folium.plugins.MiniMap` (Leaflet-MiniMap 3.6.1, from
    cdnjs); `geo.assets.localize_assets` points them at the vendored copy. The outlines are
    fetched by the browser from `outlines_url` (not embedded: st_folium resends the script on
    every rerun).
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .leaflet-control-minimap.geo-overview { background: #dbeafe; }
        .geo-overview .leaflet-tooltip { font-size: 11px; padding: 1px 4px; white-space: nowrap; }
        </style>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (mainMap) {
            var group = L.layerGroup();
            // Outlines go in the tile pane, below the place dots and the view rectangle,
            // whenever the fetch completes.
            var outlines = L.geoJSON(null, {
                pane: "tilePane",
                interactive: false,
                style: {color: "#6b7280", weight: 0.6, fillColor: "#f3f4f6", fillOpacity: 1}
            }).addTo(group);
            fetch({{ this.outlines_url|tojson }})
                .then(function (response) {
                    if (!response.ok) { throw new Error("HTTP " + response.status); }
                    return response.json();
                })
                .then(function (data) { outlines.addData(data); })
                .catch(function (error) {
                    console.warn("overview map: no country outlines:", error);
                });
            var places = {{ this.places|tojson }};
            // Places a few pixels apart in the inset (Saydnaya and Damascus, 17 km) share a
            // spot: the tooltip names every place under the pointer (names are escaped HTML),
            // on the side of the dot with room for it, since the inset clips what overflows.
            function namesNear(marker) {
                var inset = marker._map, size = inset.getSize();
                var here = inset.latLngToContainerPoint(marker.getLatLng());
                marker.getTooltip().options.direction =
                    here.x < size.x / 3 ? "right"
                    : here.x > size.x * 2 / 3 ? "left"
                    : here.y < size.y / 2 ? "bottom" : "top";
                return places.filter(function (place) {
                    return inset.latLngToContainerPoint([place[0], place[1]]).distanceTo(here) <= 6;
                }).map(function (place) { return place[2]; }).join("<br>");
            }
            places.forEach(function (place) {
                L.circleMarker([place[0], place[1]], {
                    radius: 3.5, color: "#ffffff", weight: 1,
                    fillColor: {{ this.colour|tojson }}, fillOpacity: 1
                }).bindTooltip(namesNear).addTo(group);
            });
            var control = new L.Control.MiniMap(group, {{ this.options|tojson }});
            // Leaflet-MiniMap 3.6.1 moves the main map to the inset's centre after any move of
            // the inset it is not expecting, including its own resize (when its stylesheet
            // arrives, or on a window resize while it is minimised). At a continental zoom
            // that centre is tens of kilometres off: the main map jumped 17 km on opening.
            // Only a drag of the inset now moves the main map, and the inset follows the
            // main map without animation, so the two never race.
            control._onMainMapMoved = function () {
                if (!this._miniMapMoving) {
                    var centre = this.options.centerFixed || this._mainMap.getCenter();
                    this._mainMapMoving = true;
                    this._miniMap.setView(centre, this._decideZoom(true), {animate: false});
                    this._setDisplay(this._decideMinimized());
                } else {
                    this._miniMapMoving = false;
                }
                this._aimingRect.setBounds(this._mainMap.getBounds());
            };
            control._onMiniMapMoved = function () {
                this._mainMapMoving = false;
                if (!this._insetDragged) { return; }
                this._insetDragged = false;
                this._miniMapMoving = true;
                this._mainMap.setView(this._miniMap.getCenter(), this._decideZoom(false));
                this._shadowRect.setStyle({opacity: 0, fillOpacity: 0});
            };
            mainMap.addControl(control);
            control._miniMap.on("dragend", function () { control._insetDragged = true; });
            var container = control.getContainer();
            container.classList.add("geo-overview");
            container.setAttribute("role", "region");
            container.setAttribute("aria-label", {{ this.label|tojson }});
            return control;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    # folium's own CDN links, so that localize_assets maps them (geo.assets.MINIMAP_CDN_TO_VENDOR).
    # Not ClassVar: folium's JSCSSMixin declares them as instance variables.
    default_js: list[tuple[str, str]] = list(MiniMap.default_js)  # noqa: RUF012
    default_css: list[tuple[str, str]] = list(MiniMap.default_css)  # noqa: RUF012

    def __init__(
        self,
        places: Sequence[tuple[float, float, str]],
        *,
        position: Position = "bottomright",
        width: int = 200,
        height: int = 140,
        zoom_level_offset: int | None = None,
        minimized: bool = False,
        colour: str = "#0072B2",
        outlines_url: str = OVERVIEW_OUTLINES_URL,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's __init__ is unannotated
        if position not in POSITIONS:
            raise ValueError(f"overview position {position!r} is not one of {POSITIONS}")
        if not _COLOUR.match(colour):
            raise ValueError(f"overview colour {colour!r} is not a hex colour or a CSS name")
        if is_remote(outlines_url) or not outlines_url.startswith("/"):
            raise ValueError(f"overview outlines need an app-absolute URL, got {outlines_url!r}")
        self._name = "OverviewMap"
        self.places = _checked_places(places)
        self.colour = colour
        self.outlines_url = outlines_url
        self.label = "Overview map"
        options: dict[str, Any] = {
            "position": position,
            "width": width,
            "height": height,
            "toggleDisplay": True,
            "minimized": minimized,
            "collapsedWidth": 22,
            "collapsedHeight": 22,
            "aimingRectOptions": {"color": "#b91c1c", "weight": 2, "interactive": False},
            "shadowRectOptions": {
                "color": "#000000",
                "weight": 1,
                "opacity": 0,
                "fillOpacity": 0,
                "interactive": False,
            },
            "strings": {"hideText": "Hide overview map", "showText": "Show overview map"},
            "mapOptions": {"zoomSnap": 0.25, "keyboard": False},
        }
        if zoom_level_offset is None:
            # Fixed: the inset keeps every place in view wherever the main map zooms, and
            # hides itself when the main map shows more than it does.
            options["zoomLevelFixed"] = overview_zoom(self.places, width, height)
            options["autoToggleDisplay"] = True
        else:
            options["zoomLevelOffset"] = zoom_level_offset
        self.options = options


def case_places(records: pd.DataFrame) -> list[tuple[float, float, str]]:
    """(lat, lon, name) of every place among `records` (e.g. ``case.records``)."""
    places = records[records["kind"] == Kind.PLACE.value]
    return [
        (float(lat), float(lon), str(name))
        for lat, lon, name in zip(places["lat"], places["lon"], places["name"], strict=True)
    ]


def overview_map(
    places: Sequence[tuple[float, float, str]],
    *,
    position: Position = "bottomright",
    width: int = 200,
    height: int = 140,
    zoom_level_offset: int | None = None,
) -> OverviewMap:
    """An offline overview inset of `places` ((lat, lon, name) each; names are escaped).

    By default the inset's zoom is fixed so that all places fit (it still follows the main
    map's centre); pass `zoom_level_offset` to follow the main map's zoom instead.
    """
    return OverviewMap(
        places,
        position=position,
        width=width,
        height=height,
        zoom_level_offset=zoom_level_offset,
    )
