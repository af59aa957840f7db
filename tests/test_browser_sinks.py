"""Every place the page shows a researcher's text, in Chromium: the text stays text.

A layer, two records, an analyst, property keys and values, all written as an
attacker would (HTML, script in template literals, Markdown links and images,
bare URLs and e-mail addresses), imported as clean data. Each sink is looked at
where a person sees it; nothing may run, link, load or reach another host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.escape import WORD_JOINER
from geo.records import Kind, LayerRecord
from geo.store import Store
from tests.browser import HOSTILE, Session, start_app

pytestmark = pytest.mark.browser

TRAP = "127.0.0.1:9"  # nothing listens there; any request to it is a leak
LINKS = (
    f"![t](http://{TRAP}/img.png) [l](http://{TRAP}/l) http://{TRAP}/bare "
    "www.evil.example a@evil.example"
)
LAYER = f"<img src=x onerror=window.pwned=9> {LINKS}"[:200]
ANALYST = f"<b>A</b> http://{TRAP}/analyst"
KEY = f"<i>key</i> http://{TRAP}/key"
SPOT = (33.70, 36.40)


def _point(record_id: str, name: str, date: str) -> LayerRecord:
    return LayerRecord(
        id=record_id,
        layer=LAYER,
        kind=Kind.EVENT,
        name=name,
        geometry={"type": "Point", "coordinates": [SPOT[1], SPOT[0]]},
        properties={KEY: LINKS, "note": HOSTILE},
        date=date,
        date_as_stated=f"{date} {LINKS}",
    )


@pytest.fixture(scope="module")
def hostile_store_url(tmp_path_factory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("store")
    records = [_point("h1", f"{HOSTILE} {LINKS}", "2015-01"), _point("h2", LINKS, "2016-09")]
    Store.open(data_dir).import_layer(
        LAYER,
        records,
        analyst=ANALYST,
        file_name=f"{LAYER}.geojson",
        file_bytes=json.dumps({"type": "FeatureCollection", "features": []}).encode(),
    )
    yield from start_app(None, data_dir)


def _visible(text: str) -> str:
    return text.replace(WORD_JOINER, "")


def _harmless(session: Session, leaks: list[str]) -> None:
    """Nothing ran, loaded, linked or left the machine, in the page or the map."""
    for where in (session.page, session.map_frame()):
        assert where.evaluate("() => window.pwned") is None
        assert where.locator("img[src=x]").count() == 0
        sources = where.evaluate("() => [...document.images].map(i => i.src)")
        assert not [src for src in sources if TRAP in src or "evil" in src]
        # links to elsewhere; headings' own anchors (#...) stay on the page
        links = where.evaluate(
            "() => [...document.links].filter(a => a.host !== location.host).map(a => a.href)"
        )
        assert not [href for href in links if TRAP in href or "evil" in href]
    assert session.dialogs == [] and session.errors == []
    assert leaks == [] and session.remote == []


def _hover_researcher_bars(session: Session, chart, wanted: str):
    """Hover each of the researcher's bars (drawn on a canvas, so found by their
    colour) until the chart's tooltip shows `wanted`; returns the tooltip."""
    import io

    from PIL import Image

    from geo.query import RESEARCHER_LABEL
    from geo.timeline import TIMELINE_COLOURS

    green = tuple(int(TIMELINE_COLOURS[RESEARCHER_LABEL][i : i + 2], 16) for i in (1, 3, 5))
    chart.scroll_into_view_if_needed()
    session.wait_idle()
    box = chart.bounding_box()
    assert box is not None
    image = Image.open(io.BytesIO(chart.screenshot())).convert("RGB")
    scale = image.width / box["width"]
    seen: set[tuple[int, int]] = set()
    tip = session.page.locator("#vg-tooltip-element")
    for y in range(0, image.height, 4):
        for x in range(0, image.width, 2):
            if image.getpixel((x, y)) != green:
                continue
            cell = (x // 12, y // 12)
            if cell in seen:
                continue
            seen.add(cell)
            session.page.mouse.move(box["x"] + x / scale + 2, box["y"] + y / scale + 2)
            session.page.wait_for_timeout(150)
            if tip.is_visible() and wanted in tip.inner_text():
                return tip
    raise AssertionError(f"no bar's tooltip showed {wanted!r} ({len(seen)} bars hovered)")


def test_every_sink_shows_hostile_text_as_text(browser, tmp_path: Path, hostile_store_url: str):
    session = Session(browser, tmp_path, viewport=(1440, 900))
    leaks: list[str] = []
    session.page.on("request", lambda r: leaks.append(r.url) if TRAP in r.url else None)
    page = session.page
    try:
        frame = session.open(f"{hostile_store_url}/?lat={SPOT[0]}&lon={SPOT[1]}&z=14")

        # the sidebar's switch for the layer (a widget label: Markdown)
        switch = page.locator(
            '[data-testid="stSidebar"] [data-testid="stCheckbox"]', has_text="onerror"
        )
        assert LAYER in _visible(switch.inner_text())

        # the map's legend
        legend = frame.locator(".geo-legend-title").filter(has_text="onerror").first
        assert LAYER[:40] in legend.inner_text()

        # the tooltip, then the list of records under the pointer
        x, y = session.screen_point(frame, *SPOT)
        page.mouse.move(x, y)
        tooltip = frame.locator(".leaflet-tooltip")
        tooltip.wait_for(timeout=10_000)
        assert "<img src=x" in tooltip.inner_text() or f"http://{TRAP}" in tooltip.inner_text()
        page.mouse.click(x, y)
        popup = session.map_frame().locator(".leaflet-popup-content")
        popup.wait_for(timeout=10_000)
        text = popup.inner_text()
        assert "<img src=x" in text and f"![t](http://{TRAP}/img.png)" in text
        _harmless(session, leaks)

        # the record panel (Markdown): name, layer, property key and value, dates
        popup.get_by_role("button").filter(has_text="onerror").click()
        heading = page.get_by_role("heading", name="onerror")
        heading.first.wait_for(timeout=30_000)
        column = page.locator('[data-testid="stColumn"]', has=heading.first)
        shown = _visible(column.first.inner_text())
        for expected in (LAYER, LINKS, "<i>key</i>", HOSTILE):
            assert expected in shown, expected
        _harmless(session, leaks)

        # the record choice (a select box) names the record as text
        select = page.locator('[data-testid="stSelectbox"]', has_text="Selected record")
        shown_choice = select.inner_text() + select.locator("input").input_value()
        assert "<img src=x" in shown_choice

        # the timeline (a chart): hover a bar, read its tooltip
        session.tab("Timeline")
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        chart.wait_for(timeout=30_000)
        tip = _hover_researcher_bars(session, chart, "onerror")
        assert "<img src=x" in tip.inner_text()
        assert tip.locator("img, a").count() == 0
        _harmless(session, leaks)

        # the history (a table): the analyst and the layer
        session.tab("History")
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Verify the history and the kept files").click()
        page.get_by_text("Intact:").wait_for(timeout=30_000)
        _harmless(session, leaks)
    finally:
        page.screenshot(path=str(tmp_path / "sinks.png"), full_page=True)
        session.close()
