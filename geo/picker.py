"""Which record a click on the map means: the one nearest the pointer, with the rest listed.

Leaflet gives a click on a canvas to the layer drawn last, so a place could open its
neighbour drawn above it, and records that share a position (the prison holds fifteen)
could never be reached at all. This element replaces that rule in the browser:

- every record under the pointer is found, in every layer of records
  (``static/js/record-layer.js``'s `recordHits`): a dot or a line within a few pixels,
  an area (a polygon, or an uncertainty circle, whose radius stays true) that holds it;
- dots and lines come before areas, the nearest first; areas the smallest first, so the
  most specific thing under the pointer wins; at one spot, the one drawn on top (places);
- the chosen record is reported to the app as a click on that record (streamlit-folium
  reports the clicked layer's GeoJSON), and a short popup lists every record under the
  pointer, each a button that picks it.

The hover text and the list show the records' labels, escaped by the app
(`geo.maplabel`) and fetched with the layer: nothing here builds HTML from raw text.
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
  .leaflet-tooltip { white-space: normal; width: max-content; max-width: 260px;
    overflow-wrap: anywhere; }
  .record-hover { font: 12px/1.35 system-ui, sans-serif; }
  .record-picker { font: 12px/1.35 system-ui, sans-serif; max-height: 220px; overflow-y: auto; }
  .record-picker p { margin: 0 0 4px; font-weight: 600; }
  .record-picker ol { margin: 0; padding: 0; list-style: none; }
  .record-picker button { display: block; width: 100%; text-align: left; margin: 2px 0;
    padding: 3px 6px; border: 1px solid #d1d5db; border-radius: 4px; background: #fff;
    cursor: pointer; font: inherit; color: #111827; overflow-wrap: anywhere; }
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
    if (event.layer.recordLayer && map._popup && map._popup.isOpen()) map.closePopup();
  });

  // Every record under the pointer, of every layer (geo.recordlayer's), best first.
  function hitsAt(point) {
    const hits = [];
    let order = 0;
    map.eachLayer((layer) => {
      if (!layer.recordLayer) return;
      order += 1;
      for (const [index, tier, key] of layer.recordHits(point, TOLERANCE)) {
        hits.push({ layer: layer, index: index, tier: tier, key: key, order: order });
      }
    });
    // ties (records at one spot): the layer drawn on top, which the user sees, first
    hits.sort((a, b) => a.tier - b.tier || a.key - b.key || b.order - a.order);
    return hits;
  }
  function choose(hit, latlng) {
    // streamlit-folium listens to clicks on every layer and reports the clicked
    // layer's GeoJSON: the record's, with its id
    const feature = hit.layer.recordFeature(hit.index);
    const clicked = { toGeoJSON: () => feature, feature: feature };
    hit.layer.fire("click", { latlng: latlng, layer: clicked, sourceTarget: hit.layer });
  }
  function list(hits, latlng, labels) {
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
      const label = labels[index] || "";
      button.innerHTML = hits.length === 1 ? label : label.split("<br>")[0];
      button.setAttribute("aria-pressed", index === 0 ? "true" : "false");
      button.addEventListener("click", (event) => {
        L.DomEvent.stop(event);
        buttons.forEach((b) => b.setAttribute("aria-pressed", "false"));
        button.setAttribute("aria-pressed", "true");
        choose(h, latlng);
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
  function pointerAt(event) {
    // Where the pointer is, not where Leaflet put the event's latlng
    return event.originalEvent
      ? map.mouseEventToLayerPoint(event.originalEvent)
      : map.latLngToLayerPoint(event.latlng);
  }
  map.on("click", (event) => {
    if (busy) return;
    const point = pointerAt(event);
    const latlng = map.layerPointToLatLng(point);
    const hits = hitsAt(point);
    if (!hits.length) return;
    choose(hits[0], latlng);
    const shown = hits.slice(0, LIMIT);
    Promise.all(shown.map((h) => h.layer.recordLabel(h.index).catch(() => "")))
      .then((labels) => list(hits, latlng, labels));
  });

  // The hover text of the record under the pointer, once per frame at most, beside the
  // pointer on the side with more room.
  const hover = L.tooltip({ direction: "auto", offset: [12, 0], className: "record-hover" });
  let pending = null;
  let scheduled = false;
  let shownKey = null;
  map.on("mousemove", (event) => {
    pending = event;
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      const last = pending;
      pending = null;
      if (!last || busy || (map._popup && map._popup.isOpen())) return;
      const hits = hitsAt(pointerAt(last));
      if (!hits.length) {
        shownKey = null;
        map.closeTooltip(hover);
        map.getContainer().style.cursor = "";
        return;
      }
      map.getContainer().style.cursor = "pointer";
      const top = hits[0];
      const key = top.layer._leaflet_id + ":" + top.index;
      hover.setLatLng(last.latlng);
      if (key === shownKey) return;
      shownKey = key;
      top.layer.recordLabel(top.index).then((label) => {
        if (shownKey !== key) return;
        hover.setContent(label || "");
        if (!map.hasLayer(hover)) map.openTooltip(hover);
      }, () => {});
    });
  });
  map.on("mouseout", () => { shownKey = null; map.closeTooltip(hover); });
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, tolerance_px: int = TOLERANCE_PX, limit: int = LIST_LIMIT) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's __init__ is unannotated
        self._name = "RecordPicker"
        self.tolerance = int(tolerance_px)
        self.limit = int(limit)
