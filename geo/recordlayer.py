"""The folium elements that put a layer of records on the map (``static/js/record-layer.js``).

`RecordLayer` is one layer: its script names where the layer's records are fetched
(`geo.mapdata`), its style and the date filter, and so stays a few hundred bytes
whatever the size of the case. `RecordLayerScript` loads the script that draws them;
add it to the map once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.mapdata import LayerData, epoch_day

RECORD_LAYER_JS_URL = "/app/static/js/record-layer.js"
# The layers' data and labels, served by `ui.routes` from `geo.mapdata.MAP_DATA`.
MAP_DATA_URL = "/maplayer"


def layer_url(sha256: str) -> str:
    return f"{MAP_DATA_URL}/{sha256}.json"


def labels_url(sha256: str) -> str:
    return f"{MAP_DATA_URL}/{sha256}/labels"


class RecordLayerScript(JSCSSMixin, MacroElement):
    """Loads the drawing script, served by the app itself."""

    default_js = [("geo_record_layer", RECORD_LAYER_JS_URL)]  # noqa: RUF012  # folium's name

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's __init__ is unannotated
        self._name = "RecordLayerScript"


class RecordLayer(MacroElement):
    """One layer of records, drawn from `data` with `style`, showing what `start` to
    `end` shows (`geo.query.date_mask`'s rule, applied in the browser). `about` says
    what the layer is (title, kind, layer name) to scripts that look at the map.

    `inline` puts the data, labels and all, into the script: a map saved as one file
    has no app to fetch it from. The page fetches it (`geo.mapdata.MAP_DATA`).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoRecords(
    {{ this.source }}, {{ this.style }}, {{ this.filter }}, {{ this.about }}
).addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(
        self,
        data: LayerData,
        style: dict[str, Any],
        start: date | None = None,
        end: date | None = None,
        *,
        about: dict[str, Any] | None = None,
        inline: bool = False,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "RecordLayer"
        self.sha256 = data.sha256
        source: Any = (
            {"body": orjson.Fragment(_with_labels(data))}
            if inline
            else {"url": layer_url(data.sha256), "labels": labels_url(data.sha256)}
        )
        # orjson escapes nothing for HTML: "</script>" in a name would end the script.
        self.source = _script_json(source)
        self.style = _script_json(style)
        self.filter = _script_json({"start": epoch_day(start), "end": epoch_day(end)})
        self.about = _script_json(about or {})


def _with_labels(data: LayerData) -> bytes:
    body = orjson.loads(data.body)
    body["labels"] = data.labels()
    return orjson.dumps(body)


def _script_json(value: Any) -> str:
    """JSON that is safe inside an HTML <script>: no tag can close it."""
    text = orjson.dumps(value).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
