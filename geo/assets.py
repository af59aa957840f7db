"""Serve every script, stylesheet and outline the folium map needs from the app itself.

folium takes Leaflet, jQuery, Bootstrap, Font Awesome and its plugins from CDNs. Offline, or
where the CDNs are blocked, one failed script stops streamlit-folium's loading chain and the map
never appears. `scripts/refresh_assets.py` vendors pinned copies under ``static/vendor``;
Streamlit serves ``static/`` at ``/app/static/`` (``server.enableStaticServing = true``), and
`localize_assets` points a map at those copies.

Links are absolute (``/app/static/...``): the map runs in a component iframe whose own URL is
not the app's, so a relative link would 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import get_bounds

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
MANIFEST_PATH = VENDOR_DIR / "MANIFEST.json"
STATIC_URL_PREFIX = "/app/static/vendor"

# Natural Earth 1:50m country outlines (world-atlas), converted to GeoJSON by the refresh script.
COUNTRY_OUTLINES_PATH = VENDOR_DIR / "world-atlas" / "countries-50m.geojson"
COUNTRY_OUTLINES_URL = f"{STATIC_URL_PREFIX}/world-atlas/countries-50m.geojson"

LEAFLET_IMAGE_PATH = f"{STATIC_URL_PREFIX}/leaflet/dist/images/"

SIDE_BY_SIDE_CDN_JS = (
    "https://cdn.jsdelivr.net/gh/digidem/leaflet-side-by-side@2.0.0/leaflet-side-by-side.min.js"
)

# Every CDN URL in the default_js / default_css of folium 0.20's Map, MeasureControl, Fullscreen,
# MousePosition, Draw and SideBySideLayers -> the vendored copy, relative to static/vendor.
# Versions differ where the pinned npm release is a compatible patch release of what folium
# names (Leaflet 1.9.3 -> 1.9.4, Bootstrap 5.2.2 -> 5.2.3, leaflet.draw 1.0.2 -> 1.0.4, ...);
# see MANIFEST.json.
CDN_TO_VENDOR: dict[str, str] = {
    # folium.Map
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/dist/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/dist/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap/dist/js/bootstrap.bundle.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "bootstrap/dist/css/bootstrap.min.css"
    ),
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        "bootstrap-3-glyphicons/css/bootstrap-glyphicons.css"
    ),
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "@fortawesome/fontawesome-free/css/all.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (  # noqa: E501
        "leaflet.awesome-markers/dist/leaflet.awesome-markers.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (  # noqa: E501
        "leaflet.awesome-markers/dist/leaflet.awesome-markers.css"
    ),
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": (  # noqa: E501
        "folium/leaflet.awesome.rotate.css"
    ),
    # folium.plugins.MeasureControl
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": (
        "leaflet-measure/dist/leaflet-measure.min.js"
    ),
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": (
        "leaflet-measure/dist/leaflet-measure.css"
    ),
    # folium.plugins.Fullscreen
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": (
        "leaflet.fullscreen/Control.FullScreen.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": (
        "leaflet.fullscreen/Control.FullScreen.css"
    ),
    # folium.plugins.MousePosition
    "https://cdn.jsdelivr.net/gh/ardhi/Leaflet.MousePosition/src/L.Control.MousePosition.min.js": (
        "leaflet-mouse-position/src/L.Control.MousePosition.js"
    ),
    "https://cdn.jsdelivr.net/gh/ardhi/Leaflet.MousePosition/src/L.Control.MousePosition.min.css": (
        "leaflet-mouse-position/src/L.Control.MousePosition.css"
    ),
    # folium.plugins.Draw
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.js": (
        "leaflet-draw/dist/leaflet.draw.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.css": (
        "leaflet-draw/dist/leaflet.draw.css"
    ),
    # folium.plugins.SideBySideLayers (npm leaflet-side-by-side 2.0.0, made a browser script)
    SIDE_BY_SIDE_CDN_JS: "leaflet-side-by-side/leaflet-side-by-side.js",
}

# Stylesheets a CDN script carries inside itself that the vendored copy serves apart: the
# browserified leaflet-side-by-side.min.js injects layout.css and range.css (with range-icon.png
# as a data: URI); npm has the source only. `localize_assets` links these from the element
# that loads the script.
BUNDLED_CSS: dict[str, tuple[str, ...]] = {
    SIDE_BY_SIDE_CDN_JS: ("leaflet-side-by-side/layout.css", "leaflet-side-by-side/range.css"),
}

# folium.plugins.MiniMap (Leaflet-MiniMap 3.6.1; geo.mapparts.OverviewMap loads the same files).
# Kept apart from CDN_TO_VENDOR, which tests/test_assets.py pins to exactly the URLs of its
# PLUGIN_CLASSES; merge the two once those tests list MiniMap.
MINIMAP_CDN_TO_VENDOR: dict[str, str] = {
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.js": (
        "leaflet-minimap/src/Control.MiniMap.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.css": (
        "leaflet-minimap/src/Control.MiniMap.css"
    ),
}

_ALL_CDN_TO_VENDOR = CDN_TO_VENDOR | MINIMAP_CDN_TO_VENDOR

_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_ICON_PATH_ELEMENT = "offline_leaflet_icon_image_path"


def is_remote(url: str) -> bool:
    """True for ``http(s)://...``, any other ``scheme://...`` and protocol-relative ``//...``."""
    return bool(_REMOTE.match(url))


def local_url(vendor_path: str) -> str:
    """The URL under which Streamlit serves ``static/vendor/<vendor_path>``."""
    return f"{STATIC_URL_PREFIX}/{vendor_path}"


def static_file_for_url(url: str) -> Path | None:
    """The file under ``static/`` that an ``/app/static/...`` URL serves, or None for others."""
    prefix = "/app/static/"
    if not url.startswith(prefix):
        return None
    relative = re.split(r"[?#]", url[len(prefix) :], maxsplit=1)[0]
    path = (STATIC_DIR / relative).resolve()
    # Never let a crafted "../" URL point a check outside static/.
    return path if path.is_relative_to(STATIC_DIR.resolve()) else None


def _walk(element: Element) -> Iterator[Element]:
    seen: set[int] = set()
    stack = [element]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(reversed(list(getattr(current, "_children", {}).values())))


def _localized(url: str, owner: Element) -> str:
    if url in _ALL_CDN_TO_VENDOR:
        return local_url(_ALL_CDN_TO_VENDOR[url])
    if is_remote(url):
        raise ValueError(
            f"{type(owner).__name__} loads {url}, which has no local copy: vendor it in "
            "scripts/refresh_assets.py and map it in geo.assets.CDN_TO_VENDOR"
        )
    if not url.startswith("/"):
        raise ValueError(
            f"{type(owner).__name__} loads the relative URL {url!r}: inside the st_folium "
            "iframe it resolves against the component's URL and 404s; use /app/static/..."
        )
    return url


class _LeafletIconImagePath(MacroElement):
    """Points Leaflet's default marker icon at the vendored images.

    Leaflet otherwise guesses the folder from where leaflet.css was loaded, which fails when the
    stylesheet has not finished loading before the first marker is drawn.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.Icon.Default.imagePath = {{ this.image_path|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, image_path: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's __init__ is unannotated
        self._name = "LeafletIconImagePath"
        self.image_path = image_path


def localize_assets(m: folium.Map) -> folium.Map:
    """Point `m` and every element in it at the vendored copies of their scripts and styles.

    Call it after the last element has been added (elements added later keep their CDN links).
    Only instance attributes change: folium's classes, shared by every map in the process, keep
    their CDN URLs. Raises ValueError naming the URL of any remote asset that has no local copy,
    so a newly used plugin cannot quietly go back online. Safe to call more than once. An element
    whose CDN script carried stylesheets inside it (`BUNDLED_CSS`) gets links to their copies.
    """
    for element in _walk(m):
        bundled = [
            (f"{name}_css_{index}", local_url(path))
            for name, url in getattr(element, "default_js", None) or ()
            for index, path in enumerate(BUNDLED_CSS.get(url, ()))
        ]
        for attr, extra in (("default_js", []), ("default_css", bundled)):
            links = [*(getattr(element, attr, None) or ()), *extra]
            if links:
                setattr(element, attr, [(name, _localized(url, element)) for name, url in links])

    if _ICON_PATH_ELEMENT not in m._children:
        m.add_child(_LeafletIconImagePath(LEAFLET_IMAGE_PATH), name=_ICON_PATH_ELEMENT)
        # First child, so it runs before any marker below it creates its icon.
        m._children.move_to_end(_ICON_PATH_ELEMENT, last=False)
    return m


# [[south, west], [north, east]], as folium gives them (None where it has none)
Bounds = list[list[float | None]]


class FetchedGeoJson(folium.GeoJson):
    """A `folium.GeoJson` loaded by the browser from a URL, with its bounds given."""

    def __init__(self, data: Any, bounds: Bounds, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self._bounds = bounds

    def _get_self_bounds(self) -> Bounds:
        # folium would walk every vertex for them, and st_folium asks on every rerun
        return self._bounds


def fetched_geojson(
    data: dict[str, Any], url: str, bounds: Bounds | None = None, **kwargs: Any
) -> folium.GeoJson:
    """A `folium.GeoJson` whose features the browser loads from `url` instead of the page.

    st_folium sends the whole map script on every rerun and hashes it for the component key,
    so embedding the 1.9 MB outlines costs that on each rerun; fetched, the script carries only
    the URL. `data` (the same features, e.g. from an lru_cache) still serves folium on the
    server for `style_function`, which it evaluates per feature there. `bounds`
    ([[south, west], [north, east]], e.g. cached with the data) spares walking every
    vertex of `data` for them; by default they are computed here.
    """
    if is_remote(url) or not url.startswith("/"):
        raise ValueError(
            f"fetched_geojson needs an app-absolute URL such as /app/static/..., got {url!r}"
        )
    if bounds is None:
        bounds = get_bounds(data, lonlat=True)
    layer = FetchedGeoJson(data, bounds, **kwargs)
    # folium then emits $.ajax(url, {async: false}): synchronous, so the layer exists before
    # the scripts after it (layer control, fitBounds) run, as with embedded data.
    layer.embed = False
    layer.embed_link = url
    return layer


def css_references(css: str) -> list[str]:
    """Every URL a stylesheet loads, from ``url(...)`` and ``@import``, comments ignored."""
    css = _CSS_COMMENT.sub("", css)
    refs = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(css)]
    refs += [next(g for g in m.groups() if g is not None) for m in _CSS_IMPORT.finditer(css)]
    return [r.strip() for r in refs if r.strip()]


class _ReferenceCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and "src" in values:
            self.urls.append(values["src"].strip())
        elif tag == "link" and "href" in values:
            self.urls.append(values["href"].strip())
        if "style" in values:
            self.urls.extend(css_references(values["style"]))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(css_references(data))


def remote_references(html: str) -> list[str]:
    """Remote URLs the page loads as scripts or styles, in order, without repeats.

    Looks at ``<script src>``, ``<link href>``, and ``url(...)`` / ``@import`` in ``<style>``
    blocks and ``style`` attributes. Strings inside inline JavaScript (tile URL templates such
    as ``https://{s}.tile...``) are not loads of a script or style and are not reported.
    """
    collector = _ReferenceCollector()
    collector.feed(html)
    collector.close()
    return list(dict.fromkeys(url for url in collector.urls if is_remote(url)))


def local_references(html: str) -> list[str]:
    """The non-remote script/stylesheet URLs of a rendered page (data: URIs left out)."""
    collector = _ReferenceCollector()
    collector.feed(html)
    collector.close()
    return list(
        dict.fromkeys(
            url
            for url in collector.urls
            if url and not is_remote(url) and not url.lower().startswith("data:")
        )
    )
