"""An offline basemap end to end in Chromium: an MBTiles of the site added in the
Imagery tab, offered in the map's layer control with online tiles off, named as
context and not evidence, and its tiles drawn by the app once chosen; nothing leaves
the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.imagery.synthetic import SAYDNAYA
from tests.browser import MAP_FRAME, Session, start_app
from tests.test_basemap import png, tile_of

pytestmark = pytest.mark.browser

LABEL = "Saydnaya <b>test</b> tiles"
BOUNDS = (36.30, 33.645, 36.36, 33.685)


@pytest.fixture
def app(tmp_path: Path):
    yield from start_app(None, tmp_path / "data")


def site_mbtiles(path: Path) -> Path:
    from tests.test_basemap import mbtiles

    west, south, east, north = BOUNDS
    tiles = {}
    for z in range(13, 17):
        (x0, y0), (x1, y1) = tile_of(west, north, z), tile_of(east, south, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                tiles[(z, x, y)] = png((214, 196, 150))
    metadata = {"format": "png", "bounds": ",".join(map(str, BOUNDS))}
    mbtiles(path, tiles, metadata | {"minzoom": "13", "maxzoom": "16"})
    return path


def test_a_basemap_is_added_chosen_and_drawn(app: str, session: Session, tmp_path: Path):
    package = site_mbtiles(tmp_path / "saydnaya.mbtiles")
    lon, lat = SAYDNAYA
    session.open(f"{app}/?lat={lat}&lon={lon}&z=15")
    session.settled()
    session.tab("Imagery")
    page = session.page
    page.get_by_text("Offline basemap", exact=True).click()
    session.wait_idle()
    session.file_input().set_input_files(package)
    page.get_by_role("textbox", name="Label").wait_for(timeout=30_000)
    session.wait_idle()
    page.get_by_role("textbox", name="Label").fill(LABEL)
    page.get_by_role("textbox", name="Source").fill("Synthetic test package")
    page.get_by_role("textbox", name="Date, if known").fill("2019")
    page.get_by_role("button", name="Add as an offline basemap").click()
    page.get_by_text("added: choose it in the map").wait_for(timeout=60_000)
    session.wait_idle()

    frame = session.map_frame_with(".leaflet-control-layers")
    page.locator(MAP_FRAME).scroll_into_view_if_needed()
    frame.locator(".leaflet-control-layers").hover()
    names = [
        " ".join(text.split())
        for text in frame.locator(".leaflet-control-layers-base label").all_inner_texts()
    ]
    # the outlines stay the base the map opens with; the label is text, not markup
    assert names == [
        "Country outlines (offline, Natural Earth)",
        f"Offline basemap: {LABEL} (2019) — not evidence",
    ]
    assert frame.locator(".leaflet-control-layers-base input").first.is_checked()
    assert frame.locator(".leaflet-control-layers-base b").count() == 0
    frame.locator(".leaflet-control-layers-base label", has_text="Offline basemap").click()
    frame.wait_for_function(
        """() => {
            const tiles = [...document.querySelectorAll('.leaflet-tile-pane img')]
                .filter(img => img.src.includes('/basemap/'));
            return tiles.length > 0 && tiles.every(img => img.complete && img.naturalWidth === 256);
        }""",
        timeout=30_000,
    )
    assert "not evidence" in frame.locator(".leaflet-control-attribution").inner_text()
