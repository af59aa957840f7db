"""The map's measuring tool: working on a canvas map, and a measurement that can be kept.

leaflet-measure 2.1.7 restyles its vertices through their SVG ``_path``, which a map
drawn on canvas (``prefer_canvas``, needed for large cases) does not have: every click
of a measurement threw "Cannot read properties of undefined (reading 'setAttribute')".
While a measurement is under way, new layers are drawn as SVG; the records' layers,
already on the canvas, are not touched.

When a measurement of two or more points is finished, it is handed to the app as a
drawing (Leaflet.draw's ``draw:created`` event, which streamlit-folium reports), with
``measured: true`` in its properties: the app then offers to keep it as an annotation.
Three or more points are an area, as leaflet-measure itself reports them. A cancelled
measurement is not offered: leaflet-measure ends both the same way (``measurefinish``),
so its finishing handler (a double click, or *Finish measurement*; private in the
pinned 2.1.7) is wrapped to say which it was.
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template


class KeepMeasurements(MacroElement):
    """Add to a folium map before its `folium.plugins.MeasureControl`: the control binds
    its *Finish measurement* link to the method wrapped here when it is added."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
  const svg = L.svg();
  let finishing = false;
  const control = L.Control.Measure.prototype;
  const finish = control._handleMeasureDoubleClick;
  control._handleMeasureDoubleClick = function () {
    finishing = true;
    try { return finish.apply(this, arguments); } finally { finishing = false; }
  };
  map.on("measurestart", () => { map.options.renderer = svg; });
  map.on("measurefinish", (result) => {
    delete map.options.renderer;
    const points = (result && result.points) || [];
    if (!finishing || points.length < 2) return;  // cancelled, or a single point
    const layer = points.length === 2 ? L.polyline(points) : L.polygon(points);
    layer.feature = { type: "Feature", properties: { measured: true } };
    map.fire("draw:created", {
      layer: layer,
      layerType: points.length === 2 ? "polyline" : "polygon",
    });
  });
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's __init__ is unannotated
        self._name = "KeepMeasurements"
