"""The catalogue search end to end in Chromium, against a fake STAC API on 127.0.0.1:
online search turned on, a search, two items added, one's pixels fetched and seen on the
map over the site; the page reaches nothing but the app."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from geo.imagery.synthetic import SAYDNAYA
from geo.stac import is_catalogue_record
from geo.store import Store
from tests.browser import Session, start_app
from tests.fake_stac import FakeStac

pytestmark = pytest.mark.browser

GREY = (120, 120, 120)  # the fake's COG of 2024-05-03
# 80 m east of the site: inside the 256 m image, clear of the case's marker at its centre
EAST_80_M = 80 / (111_320 * math.cos(math.radians(SAYDNAYA[1])))
SHOTS = os.environ.get("GEO_SHOTS")  # a folder to keep screenshots in, when set


def shot(session: Session, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        session.page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def colour_at(session: Session, lat: float, lon: float) -> tuple[int, int, int]:
    frame = session.map_frame_with(".leaflet-tile-pane img")
    x, y = session.screen_point(frame, lat, lon)
    picture = Image.open(io.BytesIO(session.page.screenshot())).convert("RGB")
    return picture.getpixel((round(x), round(y)))


def test_search_add_and_fetch_pixels(session: Session, tmp_path: Path):
    with FakeStac(tmp_path) as fake:
        server = start_app(None, tmp_path / "store", {"GEO_STAC_URL": fake.url})
        url = next(server)
        page = session.page
        lon, lat = SAYDNAYA
        try:
            session.open(f"{url}/?lat={lat}&lon={lon}&z=16")
            analyst = page.get_by_role("textbox", name="Analyst")
            analyst.fill("Test Analyst")
            analyst.press("Enter")
            session.tab("Imagery")
            page.get_by_text("Search a catalogue (online)").click()
            page.get_by_text("Catalogue search is off").wait_for(timeout=30_000)
            shot(session, "1-off")
            page.locator('[data-testid="stSidebar"]').get_by_text("Online place search").click()
            page.get_by_role("button", name="Search the catalogue").wait_for(timeout=30_000)
            session.wait_idle()
            session.set_date("Acquired from", "2024-05-01")
            session.set_date("Acquired to", "2024-05-31")
            session.wait_idle()
            page.get_by_role("button", name="Search the catalogue").click()
            page.get_by_text("3 acquisitions").wait_for(timeout=30_000)
            session.wait_idle()
            page.get_by_text("3 acquisitions").scroll_into_view_if_needed()
            shot(session, "2-results")
            chooser = page.get_by_role("combobox", name="Add as imagery records")
            for item in ("S2A_37SBT_20240503_0_L2A", "S2B_37SBT_20240513_0_L2A"):
                chooser.click()
                page.get_by_role("option", name=item).click()
                session.wait_idle()
            page.keyboard.press("Escape")
            page.get_by_role("button", name="Add to my records").click()
            page.get_by_text("2 catalogue items added").wait_for(timeout=30_000)
            session.wait_idle()
            page.get_by_role("button", name="Fetch the pixels (").scroll_into_view_if_needed()
            shot(session, "3-added")
            added = [r for r in Store.open(tmp_path / "store").records() if is_catalogue_record(r)]
            assert len(added) == 2
            page.get_by_role("button", name="Fetch the pixels (").click()
            page.get_by_text("the pixels of").wait_for(timeout=60_000)
            session.wait_idle()
            shot(session, "4-fetched")
            # the new image remounts the map: wait for the map that draws it
            session.map_frame_with(".leaflet-tile-pane img")
            page.wait_for_timeout(3000)
            shot(session, "4b-map")
            deadline = 30
            found = None
            while deadline > 0:
                try:
                    found = colour_at(session, lat, lon + EAST_80_M)
                except PlaywrightError:  # the map was remounted while we looked: look again
                    found = None
                    page.wait_for_timeout(500)
                    deadline -= 1
                    continue
                # the case's translucent circles over the site tint it a little
                if all(abs(a - b) < 35 for a, b in zip(found, GREY, strict=True)):
                    break
                page.wait_for_timeout(1000)
                session.wait_idle()
                deadline -= 1
            shot(session, "5-map")
            assert deadline > 0, f"the map shows {found} over the site, not the fetched image"
            assert session.errors == []
        finally:
            page.get_by_text("Acquired from").scroll_into_view_if_needed()
            shot(session, "last")
            server.close()
