"""A basemap on the map: a base layer drawn from the app's own tiles (`ui.routes`),
named for what it is, "Offline basemap: <label> (<date>) — not evidence". Pure: builds
a folium element only."""

from __future__ import annotations

import folium

from geo.basemap.record import NOT_EVIDENCE, Basemap
from geo.escape import escape_text, shorten

# Characters of a label, a date and a source in the layer control and the attribution:
# the Imagery tab lists each whole.
LABEL_LIMIT = 60
DATE_LIMIT = 40
SOURCE_LIMIT = 80
# Leaflet may zoom this far in; past the basemap's own deepest zoom it enlarges that
# zoom's tiles (maxNativeZoom), as it would any base layer.
MAX_ZOOM = 22


def basemap_url(basemap: Basemap) -> str:
    """The tile template of `basemap`, a path on the app's own host: nothing is fetched
    from elsewhere. The SHA-256 is checked by `Basemap` itself."""
    return f"/basemap/{basemap.sha256}/{{z}}/{{x}}/{{y}}"


def basemap_title(basemap: Basemap) -> str:
    """The basemap in plain words: "Offline basemap: Saydnaya (2019) — not evidence"."""
    label = shorten(" ".join(basemap.label.split()), LABEL_LIMIT)
    date = shorten(" ".join((basemap.date or "").split()), DATE_LIMIT)
    dated = f" ({date})" if date else " (undated)"
    return f"Offline basemap: {label}{dated} — {NOT_EVIDENCE}"


def basemap_layer_name(basemap: Basemap) -> str:
    """The name in the layer control, escaped (Leaflet inserts it as HTML); each part on
    its own, so a right-to-left override in the label cannot turn the words after it."""
    label = shorten(" ".join(basemap.label.split()), LABEL_LIMIT)
    date = shorten(" ".join((basemap.date or "").split()), DATE_LIMIT)
    dated = f" ({escape_text(date)})" if date else " (undated)"
    return f"Offline basemap: {escape_text(label)}{dated} — {NOT_EVIDENCE}"


def basemap_attribution(basemap: Basemap) -> str:
    source = shorten(" ".join(basemap.source.split()), SOURCE_LIMIT)
    said = escape_text(source) if source else "source not stated"
    return f"Basemap: {said}; {NOT_EVIDENCE}"


def basemap_tile_layer(basemap: Basemap, *, show: bool = False) -> folium.raster_layers.TileLayer:
    """A base layer (one of the layer control's radio choices) of `basemap`: requests
    only tiles within its bounds and its zoom levels' tiles, enlarged or reduced beyond."""
    west, south, east, north = basemap.bounds
    return folium.raster_layers.TileLayer(
        tiles=basemap_url(basemap),
        name=basemap_layer_name(basemap),
        attr=basemap_attribution(basemap),
        overlay=False,
        control=True,
        show=show,
        max_zoom=MAX_ZOOM,
        min_native_zoom=basemap.min_zoom,
        max_native_zoom=basemap.max_zoom,
        # Leaflet's GridLayer loads no tile outside these bounds
        bounds=[[south, west], [north, east]],
    )
