"""Two dated images side by side (geo.compare): swipe, fade, toggle; escaped text; offline."""

from __future__ import annotations

import io
import json
import math
import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import folium
import pytest

from geo.assets import VENDOR_DIR, localize_assets, remote_references
from geo.compare import (
    MAX_ZOOM,
    NO_DATE,
    CompareMode,
    ImageLayer,
    add_comparison,
    clamp_position,
    image_tile_layer,
    short_name,
    stated_date,
)
from geo.escape import isolated
from tests.browser import HOSTILE

BOUNDS = (36.0, 33.0, 38.0, 35.0)  # west, south, east, north


def image(
    record_id: str = "img-2015",
    name: str = "Yard, WorldView-2",
    date_as_stated: str = "January 2015",
    date: str | None = "2015-01",
    tile_url: str | None = None,
    bounds: tuple[float, float, float, float] = BOUNDS,
) -> ImageLayer:
    url = tile_url or f"/imagery/{record_id}/{{z}}/{{x}}/{{y}}.png"
    return ImageLayer(record_id, name, date_as_stated, date, url, bounds)


EARLIER = image()
LATER = image("img-2016", "Yard, Pleiades", "March 2016", "2016-03")


def rendered(
    earlier: ImageLayer = EARLIER,
    later: ImageLayer = LATER,
    mode: CompareMode | str = CompareMode.SWIPE,
    position: float = 0.5,
    **map_options: Any,
) -> str:
    m = folium.Map(location=[34.0, 37.0], zoom_start=10, tiles=None, **map_options)
    add_comparison(m, earlier, later, mode=mode, position=position)
    folium.LayerControl(collapsed=False).add_to(m)
    return localize_assets(m).get_root().render()


# --- reading the rendered page ---------------------------------------------------------------


def _js_object(text: str) -> Any:
    """folium's `tojavascript` output (JSON values, trailing commas) as Python data."""
    return json.loads(re.sub(r",(\s*[\]}])", r"\1", text))


def tile_layers(html: str) -> dict[str, dict[str, Any]]:
    """Each L.tileLayer by variable name: its URL template and options, in page order."""
    found = re.findall(
        r"var (tile_layer_\w+) = L\.tileLayer\(\s*(\"[^\"]*\"),\s*(\{.*?\n\})", html, re.DOTALL
    )
    return {name: {"url": json.loads(url), **_js_object(options)} for name, url, options in found}


def layer_by_url(html: str, url: str) -> str:
    return next(name for name, layer in tile_layers(html).items() if layer["url"] == url)


def overlays(html: str) -> dict[str, str]:
    """The layer control's overlays: name (the HTML Leaflet inserts) -> layer variable."""
    block = re.search(r"overlays :\s*\{(.*?)\n\s*\},", html, re.DOTALL)
    assert block, "no layer control"
    pairs = re.findall(r"^\s*(\"(?:[^\"\\]|\\.)*\") : (\w+),$", block.group(1), re.MULTILINE)
    return {json.loads(key): value for key, value in pairs}


def corner_labels(html: str) -> list[tuple[str, str]]:
    """The label boxes: (corner, HTML set as innerHTML)."""
    match = re.search(r"\}\)\(map_\w+, (\[\[.*?\]\])\);", html)
    assert match, "no labels"
    return [(corner, content) for corner, content in json.loads(match.group(1))]


def swipe(html: str) -> dict[str, Any]:
    """The swipe control: its left and right layers, divider position and accessible name."""
    match = re.search(
        r"L\.control\.sideBySide\(\s*(\w+), (\w+)\s*\).*?\}\)\(\s*\w+,\s*(\S+),\s*(\"[^\"]*\"),"
        r"\s*(\"(?:[^\"\\]|\\.)*\")\s*\);",
        html,
        re.DOTALL,
    )
    assert match, "no swipe control"
    left, right, position, label_id, label_html = match.groups()
    return {
        "left": left,
        "right": right,
        "position": json.loads(position),
        "label_id": json.loads(label_id),
        "label_html": json.loads(label_html),
    }


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text += data


def as_browser_reads(fragment: str) -> tuple[list[str], list[tuple[str, str | None]], str]:
    """The elements and the text a browser makes of `fragment` set as innerHTML."""
    parser = _Markup()
    parser.feed(fragment)
    parser.close()
    return parser.tags, parser.attrs, parser.text


# --- escaping --------------------------------------------------------------------------------

HOSTILE_TEXTS = [
    "<img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "</script><script>alert(2)</script>",
    "${alert(3)}`;alert(4);`",
    "\\`;alert(5);//",
    "&lt;b&gt;already escaped&lt;/b&gt;",
    "Yard \u202eevil",  # a right-to-left override
    HOSTILE,
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize("field", ["name", "date_as_stated"])
def test_hostile_text_is_text_everywhere(text: str, field: str) -> None:
    earlier = image(**{field: text})
    later = image("img-2016", **{field: text + " (later)"})
    html = rendered(earlier, later)
    # as shown: isolated from the text around it, a long text cut (the panel has it whole)
    name_e, date_e = isolated(short_name(earlier)), isolated(stated_date(earlier))
    name_l, date_l = isolated(short_name(later)), isolated(stated_date(later))

    # nothing of the text reaches the page as markup or script
    for raw in ("<img", "<script>alert", "</script><script>", "${", "`;", "\u202e"):
        assert raw not in html, raw

    # the layer control: each image named by its date as stated and its name, as text
    names = overlays(html)
    assert len(names) == 2
    shown_names = set()
    for key in names:
        tags, _, shown = as_browser_reads(key)
        assert tags == []
        shown_names.add(shown)
    if name_e == name_l and date_e == date_l:  # both cut to the same text
        assert shown_names == {
            f"{date_e} — {name_e} (earlier)",
            f"{date_l} — {name_l} (later)",
        }
    else:
        assert shown_names == {f"{date_e} — {name_e}", f"{date_l} — {name_l}"}

    # the label boxes: markup of our own only, the researcher's text as text
    labels = dict(corner_labels(html))
    for corner, side, date, name in (
        ("topleft", "Earlier", date_e, name_e),
        ("topright", "Later", date_l, name_l),
    ):
        tags, attrs, shown = as_browser_reads(labels[corner])
        assert tags == ["span"] and attrs == [("class", "geo-compare-side")]
        assert shown == f"{side}: {date} — {name}"

    # the divider's accessible name
    tags, _, shown = as_browser_reads(swipe(html)["label_html"])
    assert tags == []
    assert shown == f"Divider between {date_e} (left) and {date_l} (right)"

    # the attribution Leaflet shows in the corner
    for layer in tile_layers(html).values():
        tags, _, shown = as_browser_reads(layer["attribution"])
        assert tags == []
        assert shown in {
            f"{name_e} ({date_e})",
            f"{name_l} ({date_l})",
        }


def test_text_reaches_the_page_only_as_json_string_literals() -> None:
    html = rendered(image(name=HOSTILE), image("img-2016", date_as_stated=HOSTILE))
    # folium's and jinja's tojson write <, >, & and ' as \\u escapes inside <script>
    assert "<img src=x" not in html
    assert "window.pwned" in html  # the text is there, as text
    assert "${window.pwned" not in html  # escape_text wrote $ as &#36;


# --- swipe -----------------------------------------------------------------------------------


def test_swipe_puts_the_earlier_image_left_and_the_later_right() -> None:
    html = rendered(position=0.3)
    control = swipe(html)
    assert control["left"] == layer_by_url(html, EARLIER.tile_url)
    assert control["right"] == layer_by_url(html, LATER.tile_url)
    labels = corner_labels(html)
    assert [corner for corner, _ in labels] == ["topleft", "topright"]
    assert as_browser_reads(labels[0][1])[2] == "Earlier: January 2015 — Yard, WorldView-2"
    assert as_browser_reads(labels[1][1])[2] == "Later: March 2016 — Yard, Pleiades"
    # the layers exist on the map before the control that clips them
    assert html.index(f"{control['left']}.addTo(") < html.index("L.control.sideBySide(")
    assert html.index(f"{control['right']}.addTo(") < html.index("L.control.sideBySide(")


def test_swipe_names_its_divider_for_screen_readers() -> None:
    control = swipe(rendered())
    assert as_browser_reads(control["label_html"])[2] == (
        "Divider between January 2015 (left) and March 2016 (right)"
    )
    html = rendered()
    assert 'control._range.setAttribute("aria-labelledby", labelId);' in html
    assert re.fullmatch(r"swipe_control_\w+-label", control["label_id"])


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (0.0, 0.0),
        (0.3, 0.3),
        (0.5, 0.5),
        (1.0, 1.0),
        (-0.2, 0.0),
        (1.7, 1.0),
        (math.inf, 1.0),
        (-math.inf, 0.0),
        (math.nan, 0.5),
    ],
)
def test_divider_starts_at_the_clamped_position(position: float, expected: float) -> None:
    assert clamp_position(position) == expected
    html = rendered(position=position)
    assert swipe(html)["position"] == expected
    # the value is set on the plugin's range input, then the clip is redrawn
    assert "control._range.value = position;\n            control._updateClip();" in html


# --- the tile layers -------------------------------------------------------------------------


def test_tile_layer_requests_only_its_bounds_from_this_server() -> None:
    layer = image_tile_layer(EARLIER)
    assert layer.tiles == "/imagery/img-2015/{z}/{x}/{y}.png"
    assert layer.overlay is True and layer.control is True and layer.show is True
    west, south, east, north = BOUNDS
    assert layer.options["bounds"] == [[south, west], [north, east]]
    assert layer.options["max_zoom"] == MAX_ZOOM == 22
    html = rendered()
    for layer_options in tile_layers(html).values():
        assert layer_options["bounds"] == [[south, west], [north, east]]
        assert layer_options["maxZoom"] == 22


def test_tile_layer_hidden_and_translucent() -> None:
    layer = image_tile_layer(EARLIER, opacity=0.25, show=False)
    assert layer.options["opacity"] == 0.25 and layer.show is False


@pytest.mark.parametrize("opacity", [-0.1, 1.5, math.nan])
def test_tile_layer_refuses_an_opacity_outside_0_to_1(opacity: float) -> None:
    with pytest.raises(ValueError, match="opacity"):
        image_tile_layer(EARLIER, opacity=opacity)


def test_long_text_is_cut_and_same_names_told_apart() -> None:
    name, date = "N" * 100, "D" * 100
    html = rendered(image(name=name, date_as_stated=date), image("img-2016", name, date))
    cut = f"{'D' * 79}… — {'N' * 59}…"
    assert set(overlays(html)) == {f"{cut} (earlier)", f"{cut} (later)"}
    labels = [as_browser_reads(content)[2] for _, content in corner_labels(html)]
    assert labels == [f"Earlier: {cut}", f"Later: {cut}"]


def test_a_date_not_stated_says_so() -> None:
    html = rendered(image(date_as_stated="  "), LATER)
    assert f"{NO_DATE} — Yard, WorldView-2" in overlays(html)


# --- fade and toggle -------------------------------------------------------------------------


@pytest.mark.parametrize(("position", "opacity"), [(0.0, 0.0), (0.4, 0.4), (1.0, 1.0), (3, 1.0)])
def test_fade_puts_the_later_image_on_top_with_opacity_position(
    position: float, opacity: float
) -> None:
    html = rendered(mode=CompareMode.FADE, position=position)
    layers = tile_layers(html)
    assert [layer["url"] for layer in layers.values()] == [EARLIER.tile_url, LATER.tile_url]
    earlier, later = layers.values()
    assert earlier["opacity"] == 1.0 and later["opacity"] == opacity
    assert "sideBySide" not in html
    labels = [as_browser_reads(content)[2] for _, content in corner_labels(html)]
    assert labels[0].startswith("Earlier: January 2015")
    assert labels[1].startswith("Later: March 2016") and f"{opacity:.0%} opaque" in labels[1]


@pytest.mark.parametrize(
    ("position", "shown"),
    [(0.0, EARLIER), (0.49, EARLIER), (0.5, LATER), (1.0, LATER), (-4, EARLIER), (9, LATER)],
)
def test_toggle_adds_only_the_chosen_image(position: float, shown: ImageLayer) -> None:
    html = rendered(mode="toggle", position=position)
    assert [layer["url"] for layer in tile_layers(html).values()] == [shown.tile_url]
    assert "sideBySide" not in html
    ((corner, content),) = corner_labels(html)
    assert corner == ("topleft" if shown is EARLIER else "topright")
    assert shown.date_as_stated in as_browser_reads(content)[2]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(CompareMode))
def test_an_image_is_not_compared_with_itself(mode: CompareMode) -> None:
    m = folium.Map(tiles=None)
    with pytest.raises(ValueError, match="cannot compare image 'img-2015' with itself"):
        add_comparison(m, EARLIER, image(name="another name"), mode=mode, position=0.5)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="'blink' is not a valid CompareMode"):
        rendered(mode="blink")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tile_url": "https://tiles.example/{z}/{x}/{y}.png"}, "not a path on this server"),
        ({"tile_url": "//tiles.example/{z}/{x}/{y}.png"}, "not a path on this server"),
        ({"tile_url": "imagery/a/{z}/{x}/{y}.png"}, "not a path on this server"),
        ({"tile_url": "/\\tiles.example/{z}/{x}/{y}.png"}, "not a path on this server"),
        ({"tile_url": "/\t/tiles.example/{z}/{x}/{y}.png"}, "not a path on this server"),
        ({"tile_url": " //tiles.example/{z}/{x}/{y}.png"}, "not a path on this server"),
        ({"tile_url": "/imagery/a/{z}/{x}.png"}, "lacks {y}"),
        ({"bounds": (38.0, 33.0, 36.0, 35.0)}, "west 38.0 and east 36.0"),
        ({"bounds": (36.0, 35.0, 38.0, 33.0)}, "south 35.0 and north 33.0"),
        ({"bounds": (36.0, -91.0, 38.0, 35.0)}, "south -91.0"),
        ({"bounds": (-181.0, 33.0, 38.0, 35.0)}, "west -181.0"),
        ({"bounds": (36.0, 33.0, math.nan, 35.0)}, "not four finite numbers"),
        ({"bounds": (36.0, 33.0, 38.0)}, "not four finite numbers"),
    ],
)
def test_image_layer_refuses_what_the_map_cannot_draw(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        image(**changes)


# --- offline ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(CompareMode))
def test_localized_comparison_loads_nothing_from_outside(mode: CompareMode) -> None:
    html = rendered(mode=mode, position=0.3)
    assert remote_references(html) == []
    assert "https://" not in html and "http://" not in html
    if mode is CompareMode.SWIPE:
        for path in ("leaflet-side-by-side.js", "layout.css", "range.css"):
            assert f"/app/static/vendor/leaflet-side-by-side/{path}" in html


# --- in Chromium -----------------------------------------------------------------------------

RED, BLUE = (230, 0, 0), (0, 0, 230)


def _solid_png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def local_site() -> Iterator[tuple[str, dict[str, bytes], list[str]]]:
    """A server on 127.0.0.1: pages put in the dict, the vendored assets under
    /app/static/vendor/, red tiles under /imagery/red/ and blue under /imagery/blue/."""
    pages: dict[str, bytes] = {}
    requested: list[str] = []
    tiles = {"red": _solid_png(RED), "blue": _solid_png(BLUE)}
    vendor = VENDOR_DIR.resolve()
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            requested.append(path)
            body, kind = None, "text/html; charset=utf-8"
            if path in pages:
                body = pages[path]
            elif path.startswith("/imagery/"):
                colour = path.split("/")[2]
                body, kind = tiles.get(colour), "image/png"
            elif path.startswith("/app/static/vendor/"):
                file = (vendor / path.removeprefix("/app/static/vendor/")).resolve()
                if file.is_relative_to(vendor) and file.is_file():
                    body = file.read_bytes()
                    kind = types.get(file.suffix, "application/octet-stream")
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages, requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel[:3], colour, strict=True))


@pytest.mark.browser
def test_swipe_in_chromium_shows_earlier_left_later_right_offline(
    browser: Any, local_site: tuple[str, dict[str, bytes], list[str]], tmp_path: Path
) -> None:
    from PIL import Image

    from tests.browser import Session

    base, pages, requested = local_site
    earlier = image("red", name=HOSTILE, tile_url="/imagery/red/{z}/{x}/{y}.png")
    later = image("blue", "Yard, Pleiades", "March 2016", tile_url="/imagery/blue/{z}/{x}/{y}.png")
    pages["/map.html"] = rendered(earlier, later, position=0.3, fade_animation=False).encode()

    width, height = 800, 600
    session = Session(browser, tmp_path, viewport=(width, height))
    try:
        page = session.page
        page.goto(f"{base}/map.html")
        page.wait_for_function(
            """() => {
                const tiles = [...document.querySelectorAll("img.leaflet-tile")];
                return tiles.length >= 8
                    && tiles.every(t => t.classList.contains("leaflet-tile-loaded"));
            }""",
            timeout=30_000,
        )
        divider = page.evaluate(
            """() => {
                const range = document.querySelector(".leaflet-sbs-range");
                const divider = document.querySelector(".leaflet-sbs-divider");
                return {value: range.value, left: parseFloat(divider.style.left)};
            }"""
        )
        # leaflet-side-by-side's getPosition: width * v + (0.5 - v) * thumbSize (42 px)
        expected_x = width * 0.3 + (0.5 - 0.3) * 42
        assert divider["value"] == "0.3"
        assert abs(divider["left"] - expected_x) < 1

        def sample() -> Any:
            return Image.open(io.BytesIO(page.screenshot())).convert("RGB")

        shot = sample()
        y = int(height * 0.75)  # below the handle (mid-height), above the attribution
        for x in (20, 120, int(expected_x) - 12):
            assert _near(shot.getpixel((x, y)), RED), (x, shot.getpixel((x, y)))
        for x in (int(expected_x) + 12, 500, width - 20):
            assert _near(shot.getpixel((x, y)), BLUE), (x, shot.getpixel((x, y)))

        # the divider is a slider the keyboard moves, named for screen readers
        slider = page.get_by_role(
            "slider", name="Divider between January 2015 (left) and March 2016 (right)"
        )
        slider.focus()
        for _ in range(10):
            page.keyboard.press("ArrowRight")
        moved = page.evaluate(
            "() => parseFloat(document.querySelector('.leaflet-sbs-range').value)"
        )
        assert moved > 0.3
        moved_x = width * moved + (0.5 - moved) * 42
        shot = sample()
        assert _near(shot.getpixel((int(moved_x) - 12, y)), RED)
        assert _near(shot.getpixel((int(moved_x) + 12, y)), BLUE)

        # each side's label shows the researcher's text as text, and nothing ran
        labels = page.locator(".geo-compare-label")
        assert labels.nth(0).inner_text().startswith("Earlier: January 2015 — <img src=x")
        assert labels.nth(1).inner_text() == "Later: March 2016 — Yard, Pleiades"
        assert page.evaluate("() => window.pwned") is None
        assert session.dialogs == [] and session.errors == []
    finally:
        session.close()
    # every request went to the local server, and only for tiles of the two images' colours
    assert session.remote == []
    assert any(path.startswith("/imagery/red/") for path in requested)
    assert any(path.startswith("/imagery/blue/") for path in requested)
    assert "/app/static/vendor/leaflet-side-by-side/leaflet-side-by-side.js" in requested
