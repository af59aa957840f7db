"""Two dated images of one place on the map, to compare: swipe, fade or toggle. Pure: builds
folium elements only.

`image_tile_layer` draws one image from the app's own tile server. `add_comparison` puts an
earlier and a later image on a map:

- SWIPE: the earlier image left of a draggable divider, the later one right of it (folium's
  `SideBySideLayers`, leaflet-side-by-side 2.0.0, vendored), each side labelled with its date
  as stated. `position` (0..1) is where the divider starts: 0 at the left edge (all later
  image), 1 at the right edge (all earlier image).
- FADE: both images, the later one on top with opacity `position` (0: only the earlier shows).
- TOGGLE: one image only, the earlier below 0.5, the later from 0.5 on.

Which image is earlier is the caller's decision (they sort by date); comparing a record with
itself is refused. `position` is clamped to 0..1; NaN is the middle, 0.5.

Names and dates come from researchers' files. Each reaches the page as HTML escaped with
`geo.escape.escape_text` (layer control, attribution, labels, the divider's accessible name),
always inside a JSON string literal in the script. Each piece of text is escaped on its own,
so a right-to-left override in a name is isolated to the name and cannot turn the date or the
words around it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import folium
from branca.element import MacroElement
from folium.plugins import SideBySideLayers
from folium.template import Template

from geo.assets import is_remote
from geo.escape import escape_text, shorten
from geo.geojson import bounds_problems

# Leaflet may zoom this far in; the tile server answers each zoom (folium sets maxNativeZoom
# to the same value, so Leaflet never stretches tiles itself: the server decides what a tile
# past the image's own resolution looks like).
MAX_ZOOM = 22

# Characters of a name and of a date as stated in a label or a layer's name: the whole text is
# in the panel beside the map.
NAME_LIMIT = 60
DATE_LIMIT = 80

# The divider's starting place when none is given (and for NaN): the plugin's own default.
MIDDLE = 0.5

NO_DATE = "date not stated"


class CompareMode(StrEnum):
    SWIPE = "swipe"
    FADE = "fade"
    TOGGLE = "toggle"


@dataclass(frozen=True)
class ImageLayer:
    """One dated image, tiled by the app's tile server.

    `name` and `date_as_stated` are a researcher's text, shown as written (escaped, never
    reformatted); `date` is its EDTF reading. `tile_url` is a same-origin template such as
    ``/imagery/<sha256>/{z}/{x}/{y}.png``; `bounds` are west, south, east, north in WGS84.
    """

    record_id: str
    name: str
    date_as_stated: str
    date: str | None
    tile_url: str
    bounds: tuple[float, float, float, float]

    def __post_init__(self) -> None:
        problems = _url_problems(self.tile_url) + bounds_problems(self.bounds, "an image")
        if problems:
            raise ValueError(f"image {self.record_id!r}: " + "; ".join(problems))


def _url_problems(url: str) -> list[str]:
    # A browser reads a backslash as a slash and drops tabs and line breaks, so "/\host/" and
    # "/<tab>/host/" would be protocol-relative links to another host.
    odd = "\\" in url or any(char.isspace() or ord(char) < 0x20 for char in url)
    if odd or is_remote(url) or not url.startswith("/"):
        return [
            f"tile URL {url!r} is not a path on this server such as /imagery/<id>/{{z}}/{{x}}/"
            "{y}.png: the map loads nothing from elsewhere"
        ]
    missing = [part for part in ("{z}", "{x}", "{y}") if part not in url]
    return [f"tile URL {url!r} lacks {', '.join(missing)}"] if missing else []


def stated_date(image: ImageLayer) -> str:
    """The date as the source states it (cut if very long), or a note that it states none."""
    text = " ".join(image.date_as_stated.split())
    return shorten(text, DATE_LIMIT) if text else NO_DATE


def short_name(image: ImageLayer) -> str:
    text = " ".join(image.name.split())
    return shorten(text, NAME_LIMIT) if text else image.record_id


def image_title(image: ImageLayer) -> str:
    """The image in words, as plain text: "January 2015 — Saydnaya, west wing"."""
    return f"{stated_date(image)} — {short_name(image)}"


def layer_name(image: ImageLayer) -> str:
    """The image's name in the layer control, escaped (Leaflet inserts it as HTML)."""
    return f"{escape_text(stated_date(image))} — {escape_text(short_name(image))}"


def image_tile_layer(
    image: ImageLayer, *, opacity: float = 1.0, show: bool = True
) -> folium.raster_layers.TileLayer:
    """A tile layer of `image`: requests only tiles within its bounds, named by date and name."""
    if not (math.isfinite(opacity) and 0 <= opacity <= 1):
        raise ValueError(f"opacity {opacity!r} is not between 0 and 1")
    west, south, east, north = image.bounds
    return folium.raster_layers.TileLayer(
        tiles=image.tile_url,
        name=layer_name(image),
        # short: Leaflet's corner is narrow, and the record is named in the layer control
        attr=f"{escape_text(short_name(image))} ({escape_text(stated_date(image))})",
        overlay=True,
        control=True,
        show=show,
        max_zoom=MAX_ZOOM,
        opacity=opacity,
        # Leaflet's GridLayer loads no tile outside these bounds
        bounds=[[south, west], [north, east]],
    )


def clamp_position(position: float) -> float:
    """`position` within 0..1; NaN (no position) is the middle."""
    if math.isnan(position):
        return MIDDLE
    return min(1.0, max(0.0, float(position)))


def side_label_html(side: str, image: ImageLayer, detail: str = "") -> str:
    """One side's label: "Earlier: <date as stated> — <name>", escaped."""
    extra = f' <span class="geo-compare-detail">{escape_text(detail)}</span>' if detail else ""
    return (
        f'<span class="geo-compare-side">{escape_text(side)}:</span> '
        f"{escape_text(stated_date(image))} — {escape_text(short_name(image))}{extra}"
    )


def divider_label_html(earlier: ImageLayer, later: ImageLayer) -> str:
    """The divider's accessible name, escaped: it is read from a hidden element, so no text
    of a file goes through setAttribute."""
    return (
        f"Divider between {escape_text(stated_date(earlier))} (left) "
        f"and {escape_text(stated_date(later))} (right)"
    )


class ComparisonLabels(MacroElement):
    """Fixed label boxes in the map's top corners: the earlier image's top left, the later's
    top right. Leaflet controls, so they stack below the zoom and other controls there and
    stay clear of the divider's handle at mid-height."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .geo-compare-label {
            background: rgba(17, 24, 39, 0.9);
            color: #ffffff;
            border-radius: 4px;
            box-shadow: 0 1px 4px rgba(0, 0, 0, 0.4);
            padding: 4px 8px;
            font: 13px/1.3 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
            max-width: min(40vw, 340px);
            max-height: 20vh;
            overflow: hidden;
            overflow-wrap: anywhere;
        }
        .geo-compare-label .geo-compare-side { font-weight: 700; }
        .geo-compare-label .geo-compare-detail { color: #e5e7eb; }
        </style>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        (function (map, labels) {
            labels.forEach(function (label) {
                var control = L.control({position: label[0]});
                control.onAdd = function () {
                    var div = L.DomUtil.create("div", "geo-compare-label leaflet-control");
                    div.innerHTML = label[1];
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    return div;
                };
                control.addTo(map);
            });
        })({{ this._parent.get_name() }}, {{ this.labels|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[tuple[str, str]]) -> None:
        """`labels`: (Leaflet corner, escaped HTML) pairs."""
        super().__init__()  # type: ignore[no-untyped-call]  # branca's __init__ is unannotated
        self._name = "ComparisonLabels"
        self.labels = [list(label) for label in labels]


class SwipeControl(SideBySideLayers):
    """folium's SideBySideLayers with the divider starting at `position` and an accessible name.

    leaflet-side-by-side 2.0.0 has no way to set the divider (its ``setPosition`` does nothing):
    the divider sits where its range input's value (0..1) says, read by ``getPosition``, and
    ``_updateClip`` clips both layers and moves the divider to match. So, once the control is
    on the map: set ``_range.value``, then call ``_updateClip``. The range input is the
    keyboard's way to move the divider (arrow keys); it is named by a hidden element holding
    the escaped `label_html`.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .geo-compare-hidden {
            position: absolute !important;
            width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
            overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
        }
        /* range.css removes every focus outline: show where the keyboard is */
        .leaflet-sbs-range:focus-visible::-webkit-slider-thumb {
            box-shadow: 0 0 0 3px #ffffff, 0 0 0 6px #0072b2;
        }
        .leaflet-sbs-range:focus-visible::-moz-range-thumb {
            box-shadow: 0 0 0 3px #ffffff, 0 0 0 6px #0072b2;
        }
        </style>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control.sideBySide(
            {{ this.layer_left.get_name() }}, {{ this.layer_right.get_name() }}
        ).addTo({{ this._parent.get_name() }});
        (function (control, position, labelId, labelHtml) {
            var label = L.DomUtil.create("span", "geo-compare-hidden", control._container);
            label.id = labelId;
            label.innerHTML = labelHtml;
            control._range.setAttribute("aria-labelledby", labelId);
            control._range.value = position;
            control._updateClip();
        })(
            {{ this.get_name() }},
            {{ this.position|tojson }},
            {{ this.label_id|tojson }},
            {{ this.label_html|tojson }}
        );
        {% endmacro %}
        """
    )

    def __init__(
        self,
        layer_left: folium.raster_layers.TileLayer,
        layer_right: folium.raster_layers.TileLayer,
        *,
        position: float = MIDDLE,
        label_html: str = "",
    ) -> None:
        super().__init__(layer_left, layer_right)  # type: ignore[no-untyped-call]  # unannotated
        self._name = "SwipeControl"
        self.position = clamp_position(position)
        self.label_id = f"{self.get_name()}-label"
        self.label_html = label_html


def _distinct(
    earlier: folium.raster_layers.TileLayer, later: folium.raster_layers.TileLayer
) -> tuple[folium.raster_layers.TileLayer, folium.raster_layers.TileLayer]:
    """The two layers, told apart in the layer control when their names are the same (it
    keeps one entry per name: the earlier image would lose its switch)."""
    if earlier.layer_name == later.layer_name:
        earlier.layer_name += " (earlier)"
        later.layer_name += " (later)"
    return earlier, later


@dataclass(frozen=True)
class Comparison:
    """Two images compared on the map, and how (`add_comparison`)."""

    earlier: ImageLayer
    later: ImageLayer
    mode: CompareMode = CompareMode.SWIPE
    position: float = MIDDLE


def add_comparison(
    m: folium.Map,
    earlier: ImageLayer,
    later: ImageLayer,
    *,
    mode: CompareMode,
    position: float,
) -> None:
    """Put `earlier` and `later` on `m` to compare, as `mode` says (see the module's text).

    Add it before `geo.assets.localize_assets` (which points the swipe plugin at its vendored
    copy) and before a LayerControl, which lists the layers added here.
    """
    if earlier.record_id == later.record_id:
        raise ValueError(
            f"cannot compare image {earlier.record_id!r} with itself: choose two different images"
        )
    mode = CompareMode(mode)
    position = clamp_position(position)
    if mode is CompareMode.SWIPE:
        left, right = _distinct(image_tile_layer(earlier), image_tile_layer(later))
        left.add_to(m)
        right.add_to(m)
        SwipeControl(
            left, right, position=position, label_html=divider_label_html(earlier, later)
        ).add_to(m)
        labels = [
            ("topleft", side_label_html("Earlier", earlier)),
            ("topright", side_label_html("Later", later)),
        ]
    elif mode is CompareMode.FADE:
        for layer in _distinct(
            image_tile_layer(earlier), image_tile_layer(later, opacity=position)
        ):
            layer.add_to(m)
        labels = [
            ("topleft", side_label_html("Earlier", earlier, "(below)")),
            ("topright", side_label_html("Later", later, f"(on top, {position:.0%} opaque)")),
        ]
    else:
        chosen, side, corner = (
            (earlier, "Earlier", "topleft") if position < MIDDLE else (later, "Later", "topright")
        )
        image_tile_layer(chosen).add_to(m)
        labels = [(corner, side_label_html(side, chosen))]
    ComparisonLabels(labels).add_to(m)
