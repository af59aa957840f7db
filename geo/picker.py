"""Which record a click on the map means: the one nearest the pointer, with the rest listed.

Leaflet gives a click on a canvas to the layer drawn last, so a place could open its
neighbour drawn above it, and records that share a position (the prison holds fifteen)
could never be reached at all. This element replaces that rule in the browser:

- every record under the pointer is found: a dot or a line within a few pixels, an
  area (a polygon, or an uncertainty circle, whose radius stays true) that holds it;
- dots and lines come before areas, the nearest first; areas the smallest first, so the
  most specific thing under the pointer wins; at one spot, the one drawn on top (places);
- the chosen record is reported to the app as a click on that record (streamlit-folium
  reports the clicked layer's GeoJSON), and a short popup lists every record under the
  pointer, each a button that picks it.

Labels are the records' pre-escaped ``label`` property (see `geo.mapview.map_features`):
the list never builds HTML from raw text.
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

# How far from a dot or a line, in screen pixels, a click still counts as on it.
TOLERANCE_PX = 6
# More than this many records under one click: the list says to zoom in.
LIST_LIMIT = 40


class RecordPicker(MacroElement):
    """Add to a folium map once; it acts on every layer whose features carry an ``id``."""

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
  /* long names wrap, but the box stays as wide as its text up to the limit */
  .leaflet-tooltip { white-space: normal; width: max-content; max-width: 260px; }
  .record-picker { font: 12px/1.35 system-ui, sans-serif; max-height: 220px; overflow-y: auto; }
  .record-picker p { margin: 0 0 4px; font-weight: 600; }
  .record-picker ol { margin: 0; padding: 0; list-style: none; }
  .record-picker button { display: block; width: 100%; text-align: left; margin: 2px 0;
    padding: 3px 6px; border: 1px solid #d1d5db; border-radius: 4px; background: #fff;
    cursor: pointer; font: inherit; color: #111827; }
  .record-picker button[aria-pressed="true"] { border-color: #2563eb; background: #eff6ff; }
  .record-picker button:focus-visible { outline: 2px solid #2563eb; outline-offset: 1px; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function (map) {
  const TOLERANCE = {{ this.tolerance }};
  const LIMIT = {{ this.limit }};
  let busy = 0;  // drawing or measuring: clicks place vertices, they pick nothing
  map.on("draw:drawstart measurestart", () => { busy += 1; });
  map.on("draw:drawstop measurefinish", () => { busy = Math.max(0, busy - 1); });
  // The list is what the researcher reads while it is open: the hover text of the
  // record under the pointer would cover it, and the legend (above the map's panes,
  // in the corner) hid its right side and its close button. Both give way to it.
  let legendWasOpen = false;
  const legend = () => map.getContainer().querySelector(".geo-legend details");
  map.on("popupopen", () => {
    map.getPane("tooltipPane").style.display = "none";
    const details = legend();
    legendWasOpen = !!(details && details.open);
    if (details) details.open = false;
  });
  map.on("popupclose", () => {
    map.getPane("tooltipPane").style.display = "";
    const details = legend();
    if (details && legendWasOpen) details.open = true;
  });
  // A filter or a layer switch replaces the records drawn: a list of the old ones
  // would offer records no longer shown. It closes with them.
  map.on("layerremove", (event) => {
    if (isRecord(event.layer) && map._popup && map._popup.isOpen()) map.closePopup();
  });

  function isRecord(layer) {
    const props = layer.feature && layer.feature.properties;
    return !!props && typeof props.id === "string";
  }
  // [tier, key]: tier 0 for dots and lines (key: distance), 1 for areas (key: size).
  // A record in parts (MultiPoint, GeometryCollection) is a group whose parts carry no
  // feature: give them the record's, so that they can be hovered (folium's tooltip
  // reads it, and threw, which also swallowed the click) and picked like the rest.
  map.on("layeradd", (event) => {
    const group = event.layer;
    if (group instanceof L.LayerGroup && group.feature) {
      group.eachLayer((part) => { if (!part.feature) part.feature = group.feature; });
    }
  });
  function hit(layer, point) {
    if (layer instanceof L.CircleMarker) {
      const d = point.distanceTo(map.latLngToLayerPoint(layer.getLatLng()));
      const r = layer._radius || 0;
      if (d > r + TOLERANCE) return null;
      return layer instanceof L.Circle ? [1, Math.PI * r * r] : [0, d];
    }
    if (!(layer instanceof L.Polyline) || !layer._parts) return null;
    if (layer instanceof L.Polygon && layer._containsPoint(point)) {
      const b = layer._pxBounds;
      return [1, b ? (b.max.x - b.min.x) * (b.max.y - b.min.y) : 0];
    }
    let best = Infinity;
    for (const part of layer._parts) {
      for (let i = 1; i < part.length; i++) {
        best = Math.min(best, L.LineUtil.pointToSegmentDistance(point, part[i - 1], part[i]));
      }
    }
    return best <= TOLERANCE ? [0, best] : null;
  }
  function choose(layer, latlng) {
    // streamlit-folium listens to clicks on every layer and reports the clicked one
    layer.fire("click", { latlng: latlng, layer: layer, sourceTarget: layer, target: layer });
  }
  function list(hits, latlng) {
    const box = document.createElement("div");
    box.className = "record-picker";
    const head = document.createElement("p");
    head.textContent = hits.length === 1 ? "1 record here" : hits.length + " records here";
    box.appendChild(head);
    const items = document.createElement("ol");
    const buttons = [];
    hits.slice(0, LIMIT).forEach((h, index) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      // escaped by the app; one line each where there are several
      const label = h.layer.feature.properties.label;
      button.innerHTML = hits.length === 1 ? label : label.split("<br>")[0];
      button.setAttribute("aria-pressed", index === 0 ? "true" : "false");
      button.addEventListener("click", (event) => {
        L.DomEvent.stop(event);
        buttons.forEach((b) => b.setAttribute("aria-pressed", "false"));
        button.setAttribute("aria-pressed", "true");
        choose(h.layer, latlng);
      });
      buttons.push(button);
      item.appendChild(button);
      items.appendChild(item);
    });
    box.appendChild(items);
    if (hits.length > LIMIT) {
      const more = document.createElement("p");
      more.textContent = (hits.length - LIMIT) + " more: zoom in to tell them apart.";
      box.appendChild(more);
    }
    L.DomEvent.disableClickPropagation(box);
    L.popup({ maxWidth: 320, className: "record-picker-popup" })
      .setLatLng(latlng).setContent(box).openOn(map);
  }
  map.on("click", (event) => {
    if (busy) return;
    // Where the pointer is: Leaflet gives a click on a small marker the marker's own
    // position as `latlng`, which would make the marker drawn on top the nearest.
    const point = event.originalEvent
      ? map.mouseEventToLayerPoint(event.originalEvent)
      : map.latLngToLayerPoint(event.latlng);
    const latlng = map.layerPointToLatLng(point);
    const hits = [];
    let order = 0;
    map.eachLayer((layer) => {
      if (!isRecord(layer)) return;
      const found = hit(layer, point);
      order += 1;
      if (found) hits.push({ layer: layer, tier: found[0], key: found[1], order: order });
    });
    // ties (records at one spot): the one drawn on top, which the user sees, first
    hits.sort((a, b) => a.tier - b.tier || a.key - b.key || b.order - a.order);
    // a record in parts is listed once, by its part nearest the pointer
    const seen = new Set();
    hits.splice(0, hits.length, ...hits.filter((h) => {
      const fresh = !seen.has(h.layer.feature);
      seen.add(h.layer.feature);
      return fresh;
    }));
    if (!hits.length) return;
    choose(hits[0].layer, latlng);
    list(hits, latlng);
  });
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, tolerance_px: int = TOLERANCE_PX, limit: int = LIST_LIMIT) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's __init__ is unannotated
        self._name = "RecordPicker"
        self.tolerance = int(tolerance_px)
        self.limit = int(limit)
