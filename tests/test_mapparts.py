"""Map furniture: the legend and the offline overview inset."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import folium
import pytest
from folium.plugins import MiniMap
from streamlit_folium import generate_leaflet_string

from geo.assets import (
    MINIMAP_CDN_TO_VENDOR,
    VENDOR_DIR,
    local_references,
    localize_assets,
    remote_references,
    static_file_for_url,
)
from geo.case import Case
from geo.mapparts import (
    DEFAULT_NOTE,
    KIND_SYMBOLS,
    OVERVIEW_OUTLINES_PATH,
    OVERVIEW_OUTLINES_URL,
    RESEARCHER_SYMBOL,
    SYMBOLS,
    Legend,
    LegendEntry,
    OverviewMap,
    _mercator_y,
    case_places,
    legend_entries,
    legend_html,
    overview_map,
    overview_zoom,
    symbol_svg,
)
from geo.model import KIND_COLOURS
from geo.records import CASE_KINDS, Kind

HOSTILE = "<img src=x onerror=alert(1)>${x}`\\"
HOSTILE_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;&#36;{x}&#96;&#92;"

# The shipped case's places (lat, lon, name): Saydnaya and Damascus are 17 km apart.
CASE_PLACES = [
    (33.665, 36.32861, "Saydnaya military prison"),
    (33.5102, 36.29128, "Damascus"),
    (51.1801, 71.44598, "Astana"),
    (46.20222, 6.14569, "Geneva"),
]


@dataclass(frozen=True)
class Layer:
    title: str
    colour: str
    kind: Kind | None = None


def rendered(*elements: folium.Element) -> str:
    m = folium.Map(location=[33.665, 36.32861], zoom_start=15, tiles=None, prefer_canvas=True)
    for element in elements:
        element.add_to(m)
    return localize_assets(m).get_root().render()


def legend_payload(html: str) -> str:
    """The HTML the legend's script assigns to innerHTML, decoded from its JSON literal."""
    match = re.search(r"div\.innerHTML = (\".*?(?<!\\)\");", html)
    assert match, "no legend innerHTML in the page"
    return json.loads(match.group(1))


# --- legend ---------------------------------------------------------------------------------


def test_legend_lists_every_entry_with_its_symbol() -> None:
    entries = [
        LegendEntry("Places", "#0072B2", "dot"),
        LegendEntry("Facility features", "#D55E00", "dashed circle", "radius = uncertainty"),
        LegendEntry("Imagery records", "#E69F00", "dotted circle"),
    ]
    html = legend_payload(rendered(Legend(entries, note="A note")))
    assert html.startswith("<details open><summary id=")
    assert '-title">Legend</summary>' in html
    for entry in entries:
        assert f'<span class="geo-legend-title">{entry.title}</span>' in html
        assert f'aria-label="{entry.symbol}"' in html
        assert entry.colour in html
    assert '<span class="geo-legend-detail">radius = uncertainty</span>' in html
    assert '<p class="geo-legend-note">A note</p>' in html
    # the dashed and dotted circles differ in the map too ("6 4" and "2 4")
    assert 'stroke-dasharray="3.2 2.1"' in html
    assert 'stroke-dasharray="0.1 3"' in html


def test_legend_is_a_labelled_control_in_its_corner() -> None:
    page = rendered(Legend([LegendEntry("Places", "#0072B2")], position="bottomleft"))
    assert 'L.control({position: "bottomleft"})' in page
    assert 'div.setAttribute("role", "region");' in page
    # named by its visible summary ("Legend"): no text goes through setAttribute
    labelled_by = re.search(r'div\.setAttribute\("aria-labelledby", "([\w-]+)"\);', page)
    assert labelled_by
    assert f'<summary id="{labelled_by.group(1)}">Legend</summary>' in legend_payload(page)
    assert "L.DomEvent.disableClickPropagation(div);" in page
    assert ".geo-legend {" in page  # its stylesheet, in the header st_folium passes on


@pytest.mark.parametrize("field", ["title", "detail", "note", "legend title"])
def test_hostile_text_reaches_the_page_only_escaped(field: str) -> None:
    entry = LegendEntry(
        HOSTILE if field == "title" else "Places",
        "#0072B2",
        "line",
        HOSTILE if field == "detail" else "",
    )
    legend = Legend(
        [entry],
        note=HOSTILE if field == "note" else "",
        title=HOSTILE if field == "legend title" else "Legend",
    )
    page = rendered(legend)
    for raw in ("<img", "onerror=alert(1)>", "${x}", "`\\"):
        assert raw not in page
    assert HOSTILE_ESCAPED in legend_payload(page)


def test_legend_html_escapes_every_string() -> None:
    html = legend_html([LegendEntry(HOSTILE, "#000", "dot", HOSTILE)], note=HOSTILE, title=HOSTILE)
    assert "<img" not in html and "${" not in html and "`" not in html
    assert html.count(HOSTILE_ESCAPED) == 4


def test_empty_legend_says_so() -> None:
    html = legend_html([])
    assert "No layer is shown." in html and "<ul" not in html


@pytest.mark.parametrize(
    "colour",
    ["red;background:url(https://x.example/)", '#000" onload="x', "#12345g", "", "#12", "url(x)"],
)
def test_legend_refuses_a_colour_that_is_not_one(colour: str) -> None:
    with pytest.raises(ValueError, match="colour"):
        LegendEntry("Places", colour)


@pytest.mark.parametrize("colour", ["#0072B2", "#fff", "#0072B2cc", "black", "RebeccaPurple"])
def test_legend_accepts_hex_and_named_colours(colour: str) -> None:
    assert LegendEntry("Places", colour).colour == colour


def test_legend_refuses_unknown_symbol_and_position() -> None:
    with pytest.raises(ValueError, match="symbol"):
        LegendEntry("Places", "#000", "star")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="position"):
        Legend([], position="middle")  # type: ignore[arg-type]


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_every_symbol_draws_an_svg(symbol: str) -> None:
    svg = symbol_svg(symbol, "#123456")  # type: ignore[arg-type]
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "#123456" in svg and f'aria-label="{symbol}"' in svg


def test_legend_entries_follow_how_the_map_draws_each_layer() -> None:
    layers = [Layer(kind.label, KIND_COLOURS[kind], kind) for kind in CASE_KINDS]
    layers.append(Layer("My notes", "#009E73"))
    entries = legend_entries(layers)
    assert [e.title for e in entries] == [*(kind.label for kind in CASE_KINDS), "My notes"]
    by_title = {e.title: e for e in entries}
    assert by_title["Places"].symbol == "dot"
    assert by_title["Events"].symbol == "small dot"
    assert by_title["Facility features"].symbol == "dashed circle"
    assert "uncertainty" in by_title["Facility features"].detail
    assert by_title["Imagery records"].symbol == "dotted circle"
    assert by_title["My notes"].symbol == RESEARCHER_SYMBOL
    assert by_title["My notes"].colour == "#009E73"
    assert set(KIND_SYMBOLS) == set(CASE_KINDS)
    assert DEFAULT_NOTE


# --- overview inset -------------------------------------------------------------------------


def test_overview_loads_only_vendored_files() -> None:
    page = rendered(overview_map(CASE_PLACES))
    assert remote_references(page) == []
    local = local_references(page)
    for vendor_path in MINIMAP_CDN_TO_VENDOR.values():
        assert f"/app/static/vendor/{vendor_path}" in local
    for url in local:
        path = static_file_for_url(url)
        assert path is not None and path.is_file(), url


def test_overview_script_names_no_outside_url() -> None:
    overview = overview_map(CASE_PLACES)
    page = rendered(overview)
    script = overview._template.module.script(overview)
    assert not re.search(r"(https?:)?//[a-z0-9]", script, re.IGNORECASE)
    assert f"fetch({json.dumps(OVERVIEW_OUTLINES_URL)})" in script
    assert static_file_for_url(OVERVIEW_OUTLINES_URL) == OVERVIEW_OUTLINES_PATH.resolve()
    assert OVERVIEW_OUTLINES_PATH.is_file()
    assert "L.tileLayer" not in page and "L.TileLayer" not in page
    assert "new L.Control.MiniMap(group," in page


def test_overview_links_the_same_files_as_folium_minimap() -> None:
    # localize_assets maps them: an upgrade of folium that moves MiniMap fails here.
    folium_urls = {url for _, url in [*MiniMap.default_js, *MiniMap.default_css]}
    ours = {url for _, url in [*OverviewMap.default_js, *OverviewMap.default_css]}
    assert ours == folium_urls == set(MINIMAP_CDN_TO_VENDOR)
    for vendor_path in MINIMAP_CDN_TO_VENDOR.values():
        assert (VENDOR_DIR / vendor_path).is_file()


def test_overview_escapes_place_names() -> None:
    page = rendered(overview_map([*CASE_PLACES, (40.0, 20.0, HOSTILE)]))
    for raw in ("<img", "onerror=alert(1)>", "${x}", "`\\"):
        assert raw not in page
    places = json.loads(re.search(r"var places = (\[.*?\]);", page).group(1))
    assert places[-1] == [40.0, 20.0, HOSTILE_ESCAPED]
    assert places[0] == [33.665, 36.32861, "Saydnaya military prison"]


def test_overview_options() -> None:
    fixed = overview_map(CASE_PLACES).options
    assert fixed["toggleDisplay"] is True
    assert fixed["position"] == "bottomright"
    assert fixed["zoomLevelFixed"] == overview_zoom(CASE_PLACES, 200, 140)
    assert fixed["autoToggleDisplay"] is True
    assert "zoomLevelOffset" not in fixed
    following = overview_map(CASE_PLACES, zoom_level_offset=-6, position="topright").options
    assert following["zoomLevelOffset"] == -6
    assert following["position"] == "topright"
    assert "zoomLevelFixed" not in following
    page = rendered(overview_map(CASE_PLACES))
    assert 'container.setAttribute("aria-label", "Overview map");' in page


@pytest.mark.parametrize(
    "place",
    [(120.0, 0.0, "north of north"), (0.0, 200.0, "east of east"), (math.nan, 0.0, "nowhere")],
)
def test_overview_refuses_invalid_positions(place: tuple[float, float, str]) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(place[2]))):
        overview_map([place])


@pytest.mark.parametrize(
    "url", ["https://cdn.example/outlines.geojson", "//cdn.example/o.geojson", "static/o.json"]
)
def test_overview_refuses_outlines_that_are_not_app_urls(url: str) -> None:
    with pytest.raises(ValueError, match="app-absolute"):
        OverviewMap(CASE_PLACES, outlines_url=url)


def _fits(places: list[tuple[float, float, str]], zoom: float, width: int, height: int) -> bool:
    scale = 2**zoom
    xs = [(lon + 180) / 360 * 256 * scale for _, lon, _ in places]
    ys = [_mercator_y(lat) * scale for lat, _, _ in places]
    return max(xs) - min(xs) <= width - 36 and max(ys) - min(ys) <= height - 36


def test_overview_zoom_is_the_largest_that_fits() -> None:
    zoom = overview_zoom(CASE_PLACES, 200, 140)
    assert zoom == 1.75  # Geneva to Astana across a 200 px inset
    assert _fits(CASE_PLACES, zoom, 200, 140)
    assert not _fits(CASE_PLACES, zoom + 0.25, 200, 140)
    assert overview_zoom(CASE_PLACES, 400, 280) == zoom + 1


@pytest.mark.parametrize(
    ("places", "expected"),
    [
        ([], 0.0),
        ([(33.665, 36.32861, "one")], 6.0),
        ([(33.665, 36.32861, "a"), (33.665, 36.32861, "b")], 6.0),
        ([(33.665, 36.32861, "a"), (33.6651, 36.3287, "b")], 6.0),  # capped
        ([(-80.0, -179.0, "a"), (80.0, 179.0, "b")], 0.0),  # floored
    ],
    ids=["none", "one", "same-point", "close", "world"],
)
def test_overview_zoom_edges(places: list[tuple[float, float, str]], expected: float) -> None:
    assert overview_zoom(places, 200, 140) == expected


def test_case_places(shipped_case: Case) -> None:
    places = case_places(shipped_case.records)
    names = {name for _, _, name in places}
    assert {"Damascus", "Astana", "Geneva"} <= names
    assert len(places) == (shipped_case.records["kind"] == Kind.PLACE.value).sum()
    for lat, lon, _ in places:
        assert -90 <= lat <= 90 and -180 <= lon <= 180


def test_legend_and_overview_together_load_nothing_remote() -> None:
    layers = [Layer(kind.label, KIND_COLOURS[kind], kind) for kind in CASE_KINDS]
    page = rendered(Legend(legend_entries(layers), note=DEFAULT_NOTE), overview_map(CASE_PLACES))
    assert remote_references(page) == []
    assert page.index("geo-legend leaflet-control") < page.index("new L.Control.MiniMap")


def test_st_folium_sees_the_same_script_on_every_build() -> None:
    # st_folium keys the component on its script: a changing id would remount the map.
    def script() -> str:
        m = folium.Map(location=[33.665, 36.32861], zoom_start=15, tiles=None)
        Legend([LegendEntry("Places", "#0072B2")]).add_to(m)
        overview_map(CASE_PLACES).add_to(m)
        localize_assets(m).render()
        return generate_leaflet_string(m)

    first = script()
    assert first == script()
    labelled_by = re.search(r'"aria-labelledby", "([\w-]+)"', first)
    assert labelled_by and f'summary id=\\"{labelled_by.group(1)}\\"' in first
