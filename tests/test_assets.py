"""The map loads nothing from the internet: every script, style, font and image is vendored."""

from __future__ import annotations

import hashlib
import itertools
import json
import posixpath
import re
from pathlib import Path

import folium
import pytest
from folium.elements import JSCSSMixin
from folium.plugins import Draw, Fullscreen, MeasureControl, MousePosition, SideBySideLayers

from geo.assets import (
    BUNDLED_CSS,
    CDN_TO_VENDOR,
    COUNTRY_OUTLINES_PATH,
    COUNTRY_OUTLINES_URL,
    MANIFEST_PATH,
    MINIMAP_CDN_TO_VENDOR,
    SIDE_BY_SIDE_CDN_JS,
    STATIC_URL_PREFIX,
    VENDOR_DIR,
    css_references,
    is_remote,
    local_references,
    local_url,
    localize_assets,
    remote_references,
    static_file_for_url,
)

PLUGIN_CLASSES = (folium.Map, MeasureControl, Fullscreen, MousePosition, Draw, SideBySideLayers)
BUNDLED_VENDOR_PATHS = {path for paths in BUNDLED_CSS.values() for path in paths}


def tile_layer(name: str) -> folium.TileLayer:
    return folium.TileLayer(f"/imagery/{name}/{{z}}/{{x}}/{{y}}.png", attr=name, name=name)


def full_map() -> folium.Map:
    m = folium.Map(location=[48.0, 37.0], zoom_start=5, tiles=None, control_scale=True)
    outlines = folium.FeatureGroup(name="Country outlines (offline)", overlay=False)
    folium.GeoJson(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": "Square"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[30, 45], [40, 45], [40, 50], [30, 50], [30, 45]]],
                    },
                }
            ],
        },
        name="outlines",
    ).add_to(outlines)
    outlines.add_to(m)
    folium.CircleMarker([48.0, 37.0], radius=6, tooltip="circle").add_to(m)
    folium.Marker([47.0, 36.0], popup="default icon").add_to(m)
    folium.Marker([47.5, 36.5], icon=folium.Icon(color="red", icon="info-sign")).add_to(m)
    folium.Marker([46.5, 35.5], icon=folium.Icon(prefix="fa", icon="camera", angle=45)).add_to(m)
    MeasureControl().add_to(m)
    Fullscreen().add_to(m)
    MousePosition().add_to(m)
    Draw().add_to(m)
    left, right = tile_layer("earlier"), tile_layer("later")
    left.add_to(m)
    right.add_to(m)
    SideBySideLayers(left, right).add_to(m)
    folium.LayerControl().add_to(m)
    return m


@pytest.fixture(scope="module")
def localized_html() -> str:
    return localize_assets(full_map()).get_root().render()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


def test_localized_map_loads_nothing_remote(localized_html: str) -> None:
    assert remote_references(localized_html) == []


def test_unlocalized_map_does_load_remote_assets() -> None:
    # Guards the guard: if this finds nothing, remote_references has gone blind.
    refs = remote_references(full_map().get_root().render())
    assert set(refs) == set(CDN_TO_VENDOR)


def test_every_local_url_is_a_vendored_file(localized_html: str) -> None:
    urls = local_references(localized_html)
    assert len(urls) == len(set(CDN_TO_VENDOR.values()) | BUNDLED_VENDOR_PATHS)
    for url in urls:
        assert url.startswith(STATIC_URL_PREFIX + "/"), url
        path = static_file_for_url(url)
        assert path is not None and path.is_file(), url


def test_default_icon_image_path_is_set_before_markers(localized_html: str) -> None:
    image_path = f"{STATIC_URL_PREFIX}/leaflet/dist/images/"
    assert f'L.Icon.Default.imagePath = "{image_path}";' in localized_html
    assert localized_html.index("L.Icon.Default.imagePath") < localized_html.index("L.marker(")
    for name in ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"):
        assert (VENDOR_DIR / "leaflet/dist/images" / name).is_file()


def test_localize_leaves_folium_classes_alone() -> None:
    before = {cls: (list(cls.default_js), list(cls.default_css)) for cls in PLUGIN_CLASSES}
    localize_assets(full_map())
    after = {cls: (list(cls.default_js), list(cls.default_css)) for cls in PLUGIN_CLASSES}
    assert after == before
    assert remote_references(full_map().get_root().render()), "a fresh map still uses CDNs"


def test_localize_is_idempotent() -> None:
    m = localize_assets(localize_assets(full_map()))
    html = m.get_root().render()
    assert remote_references(html) == []
    assert html.count("L.Icon.Default.imagePath") == 1


def test_mapping_covers_exactly_the_cdn_urls_of_the_supported_classes() -> None:
    used = {url for cls in PLUGIN_CLASSES for _, url in [*cls.default_js, *cls.default_css]}
    assert used == set(CDN_TO_VENDOR)
    for vendor_path in CDN_TO_VENDOR.values():
        assert (VENDOR_DIR / vendor_path).is_file(), vendor_path


class _OnlinePlugin(JSCSSMixin):
    default_js = [("online_js", "https://example.org/plugin.js")]  # noqa: RUF012


class _ProtocolRelativeStyle(JSCSSMixin):
    default_css = [("online_css", "//example.org/plugin.css")]  # noqa: RUF012


class _RelativeLink(JSCSSMixin):
    default_js = [("relative_js", "static/vendor/plugin.js")]  # noqa: RUF012


@pytest.mark.parametrize(
    ("element", "message"),
    [
        (_OnlinePlugin(), "https://example.org/plugin.js"),
        (_ProtocolRelativeStyle(), "//example.org/plugin.css"),
        (_RelativeLink(), "static/vendor/plugin.js"),
    ],
    ids=["https", "protocol-relative", "relative"],
)
def test_localize_refuses_assets_without_a_local_copy(element: JSCSSMixin, message: str) -> None:
    m = folium.Map(tiles=None)
    group = folium.FeatureGroup().add_to(m)
    element.add_to(group)  # nested: the walk must reach grandchildren too
    with pytest.raises(ValueError, match=re.escape(message)):
        localize_assets(m)


def test_manifest_hashes_match_the_files(manifest: dict) -> None:
    listed: set[str] = set()
    for package in manifest["packages"]:
        assert package["version"] and package["license"], package["package"]
        assert package["license_file"] in package["files"], package["package"]
        for rel, digest in package["files"].items():
            data = (VENDOR_DIR / rel).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, rel
            listed.add(rel)
    on_disk = {
        p.relative_to(VENDOR_DIR).as_posix()
        for p in VENDOR_DIR.rglob("*")
        if p.is_file() and p != MANIFEST_PATH
    }
    assert on_disk == listed, "files under static/vendor and MANIFEST.json disagree"


def vendored_css() -> list[Path]:
    return sorted(VENDOR_DIR.rglob("*.css"))


@pytest.mark.parametrize(
    "css_file", vendored_css(), ids=lambda p: p.relative_to(VENDOR_DIR).as_posix()
)
def test_vendored_css_loads_only_vendored_files(css_file: Path) -> None:
    rel = css_file.relative_to(VENDOR_DIR).as_posix()
    for ref in css_references(css_file.read_text(encoding="utf-8")):
        assert not is_remote(ref), f"{rel} loads {ref}"
        if ref.startswith(("data:", "#")):
            continue
        assert not ref.startswith("/"), f"{rel} uses a site-absolute URL {ref}"
        target = posixpath.normpath(
            posixpath.join(posixpath.dirname(rel), re.split(r"[?#]", ref)[0])
        )
        assert (VENDOR_DIR / target).is_file(), f"{rel} references missing {ref}"


def test_all_expected_css_is_checked() -> None:
    names = {p.name for p in vendored_css()}
    assert {"all.min.css", "bootstrap.min.css", "leaflet.css", "leaflet.draw.css"} <= names


def test_country_outlines(manifest: dict) -> None:
    assert static_file_for_url(COUNTRY_OUTLINES_URL) == COUNTRY_OUTLINES_PATH.resolve()
    data = json.loads(COUNTRY_OUTLINES_PATH.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    names = {f["properties"]["name"] for f in data["features"]}
    assert {"Russia", "Fiji", "Antarctica", "Ukraine", "Brazil"} <= names
    for feature in data["features"]:
        assert set(feature["properties"]) == {"name"}
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        for polygon in polygons:
            for ring in polygon:
                assert ring[0] == ring[-1] and len(ring) >= 4
                for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                    assert -180 <= x0 <= 180 and -90 <= y0 <= 90
                    assert round(x0, 4) == x0 and round(y0, 4) == y0
                    # A jump across the antimeridian would draw a line over the whole map;
                    # only the edge along a pole may run from +180 to -180.
                    if abs(x1 - x0) > 180:
                        assert abs(y0) == abs(y1) == 90, feature["properties"]["name"]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<script src="https://cdn.example/x.js"></script>', ["https://cdn.example/x.js"]),
        ('<SCRIPT SRC="HTTP://cdn.example/X.JS"></SCRIPT>', ["HTTP://cdn.example/X.JS"]),
        ('<link rel="stylesheet" href="//cdn.example/x.css"/>', ["//cdn.example/x.css"]),
        (
            '<link rel="icon" href="https://cdn.example/favicon.ico">',
            ["https://cdn.example/favicon.ico"],
        ),
        ('<script src="/app/static/vendor/leaflet/dist/leaflet.js"></script>', []),
        ('<link rel="stylesheet" href="/app/static/vendor/x.css"/>', []),
        (
            '<style>@import url("https://fonts.example/a.css");</style>',
            ["https://fonts.example/a.css"],
        ),
        ("<style>@import 'http://fonts.example/b.css';</style>", ["http://fonts.example/b.css"]),
        (
            "<style>.a { background: url(https://img.example/a.png) }</style>",
            ["https://img.example/a.png"],
        ),
        (
            "<div style=\"background-image: url('//img.example/b.png')\"></div>",
            ["//img.example/b.png"],
        ),
        ("<style>.a { background: url(images/layers.png) }</style>", []),
        ("<style>/* url(https://img.example/commented.png) */</style>", []),
        (
            "<style>.a{background:url(\"data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg'/%3e\")}</style>",
            [],
        ),
        (
            '<script>L.tileLayer("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").addTo(m);</script>',
            [],
        ),
        ('<script>var s = "<script src=\\"https://cdn.example/in-js.js\\">";</script>', []),
        ('<a href="https://example.org/">a link is not a load</a>', []),
        (
            '<script src="https://cdn.example/x.js"></script><script src="https://cdn.example/x.js"></script>',
            ["https://cdn.example/x.js"],
        ),
        ("", []),
    ],
    ids=[
        "script-https",
        "script-uppercase",
        "link-protocol-relative",
        "link-any-rel",
        "script-local",
        "link-local",
        "style-import-url",
        "style-import-string",
        "style-url",
        "style-attribute",
        "style-relative",
        "style-comment",
        "data-uri-with-xmlns",
        "tile-template-in-js",
        "tag-text-inside-js",
        "anchor",
        "duplicates",
        "empty",
    ],
)
def test_remote_references(html: str, expected: list[str]) -> None:
    assert remote_references(html) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/app/static/vendor/leaflet/dist/leaflet.js", VENDOR_DIR / "leaflet/dist/leaflet.js"),
        (
            "/app/static/vendor/leaflet/dist/leaflet.css?v=1",
            VENDOR_DIR / "leaflet/dist/leaflet.css",
        ),
        ("/app/static/../pyproject.toml", None),
        ("https://cdn.example/x.js", None),
        ("static/vendor/x.js", None),
    ],
)
def test_static_file_for_url(url: str, expected: Path | None) -> None:
    got = static_file_for_url(url)
    assert got == (expected.resolve() if expected else None)


# --- folium.plugins.MiniMap: Leaflet-MiniMap, vendored for geo.mapparts' overview inset ----


def test_minimap_mapping_covers_exactly_folium_minimap() -> None:
    minimap = folium.plugins.MiniMap
    used = {url for _, url in [*minimap.default_js, *minimap.default_css]}
    assert used == set(MINIMAP_CDN_TO_VENDOR)
    assert not set(MINIMAP_CDN_TO_VENDOR) & set(CDN_TO_VENDOR)
    for vendor_path in MINIMAP_CDN_TO_VENDOR.values():
        assert (VENDOR_DIR / vendor_path).is_file(), vendor_path


def test_localize_maps_folium_minimap() -> None:
    m = full_map()
    folium.plugins.MiniMap(toggle_display=True).add_to(m)
    html = localize_assets(m).get_root().render()
    # The minimap's tile URL template stays in its script: a template is not a load, and
    # offline no tile arrives (geo.mapparts.OverviewMap draws no tiles).
    assert remote_references(html) == []
    local = local_references(html)
    for vendor_path in MINIMAP_CDN_TO_VENDOR.values():
        assert local_url(vendor_path) in local


def test_manifest_records_leaflet_minimap(manifest: dict) -> None:
    entry = next(p for p in manifest["packages"] if p["vendor_dir"] == "leaflet-minimap")
    assert (entry["package"], entry["version"]) == ("leaflet-minimap", "3.6.1")
    assert entry["license"] == "BSD-2-Clause"
    assert entry["license_file"] == "leaflet-minimap/LICENSE.txt"
    assert "Norkart AS" in (VENDOR_DIR / entry["license_file"]).read_text(encoding="utf-8")
    assert set(entry["files"]) == {
        "leaflet-minimap/LICENSE.txt",
        "leaflet-minimap/src/Control.MiniMap.js",
        "leaflet-minimap/src/Control.MiniMap.css",
        "leaflet-minimap/src/images/toggle.png",
        "leaflet-minimap/src/images/toggle.svg",
    }


# --- folium.plugins.SideBySideLayers: leaflet-side-by-side, vendored for geo.compare's swipe ---


def side_by_side_map() -> folium.Map:
    m = folium.Map(location=[34.0, 37.0], zoom_start=12, tiles=None)
    left, right = tile_layer("earlier"), tile_layer("later")
    left.add_to(m)
    right.add_to(m)
    SideBySideLayers(left, right).add_to(m)
    return m


def test_side_by_side_map_loads_nothing_remote() -> None:
    unlocalized = side_by_side_map().get_root().render()
    assert SIDE_BY_SIDE_CDN_JS in remote_references(unlocalized)
    html = localize_assets(side_by_side_map()).get_root().render()
    assert remote_references(html) == []
    assert "https://" not in html and "http://" not in html
    local = local_references(html)
    for vendor_path in (CDN_TO_VENDOR[SIDE_BY_SIDE_CDN_JS], *BUNDLED_CSS[SIDE_BY_SIDE_CDN_JS]):
        assert local_url(vendor_path) in local, vendor_path
    for url in local:
        path = static_file_for_url(url)
        assert path is not None and path.is_file(), url


def test_side_by_side_stylesheets_are_linked_once_and_only_where_used() -> None:
    html = localize_assets(localize_assets(side_by_side_map())).get_root().render()
    for vendor_path in BUNDLED_CSS[SIDE_BY_SIDE_CDN_JS]:
        assert html.count(local_url(vendor_path)) == 1, vendor_path
    assert SideBySideLayers.default_css == [], "the class's list was changed"
    plain = localize_assets(folium.Map(tiles=None)).get_root().render()
    assert "leaflet-side-by-side" not in plain


def test_vendored_side_by_side_is_a_browser_script() -> None:
    script = (VENDOR_DIR / CDN_TO_VENDOR[SIDE_BY_SIDE_CDN_JS]).read_text(encoding="utf-8")
    header, code = script.split("*/", 1)
    assert header.startswith("/*! leaflet-side-by-side v2.0.0") and "MIT" in header
    assert "require(" not in code and "module.exports" not in code
    assert "var L = window.L\n" in script
    assert "L.control.sideBySide = function" in script
    assert script.rstrip().endswith("})();")
    # the stylesheet finds its thumb icon next to it
    assert (VENDOR_DIR / "leaflet-side-by-side/range-icon.png").is_file()


def test_manifest_records_leaflet_side_by_side(manifest: dict) -> None:
    entry = next(p for p in manifest["packages"] if p["vendor_dir"] == "leaflet-side-by-side")
    assert (entry["package"], entry["version"]) == ("leaflet-side-by-side", "2.0.0")
    assert entry["source"] == "npm leaflet-side-by-side@2.0.0"
    assert entry["license"] == "MIT"
    assert entry["license_file"] == "leaflet-side-by-side/LICENSE"
    licence = (VENDOR_DIR / entry["license_file"]).read_text(encoding="utf-8")
    assert "Gregor MacLennan" in licence and "Permission is hereby granted" in licence
    assert set(entry["files"]) == {
        "leaflet-side-by-side/LICENSE",
        "leaflet-side-by-side/layout.css",
        "leaflet-side-by-side/leaflet-side-by-side.js",
        "leaflet-side-by-side/range-icon.png",
        "leaflet-side-by-side/range.css",
    }
    # the folium URL names the same release
    assert "@2.0.0/" in SIDE_BY_SIDE_CDN_JS
