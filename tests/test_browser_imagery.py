"""The researcher's images, end to end in Chromium: two dated GeoTIFFs imported and seen
on the map over the site, compared with a swipe (each side its own image and date), and
a released picture georeferenced by clicking the picture and the map; nothing leaves
the machine."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from geo.imagery.synthetic import SAYDNAYA, transform_around, write_raster
from geo.store import Store
from tests.browser import MAP_FRAME, Session, start_app

pytestmark = pytest.mark.browser

PICTURE_FRAME = 'iframe[title="streamlit_image_coordinates.streamlit_image_coordinates"]'
RED, BLUE, GREEN = (200, 30, 30), (30, 30, 200), (30, 160, 30)
BARE = (243, 244, 246)  # the offline base's land
# The picture is placed 400 m east of the GeoTIFFs, so each is seen alone.
PICTURE_CENTRE = (SAYDNAYA[0] + 400 / (111_320 * np.cos(np.radians(SAYDNAYA[1]))), SAYDNAYA[1])


def solid(colour, size=200):
    return np.stack([np.full((size, size), value, np.uint8) for value in colour])


def colour_at(session: Session, frame, lat: float, lon: float) -> tuple[int, int, int]:
    x, y = session.screen_point(frame, lat, lon)
    shot = Image.open(io.BytesIO(session.page.screenshot())).convert("RGB")
    return shot.getpixel((round(x), round(y)))


def nearest(found) -> tuple[int, int, int]:
    """Which image's colour `found` is (or the bare map's): the case's own translucent
    circles over the site tint each a little."""
    candidates = (RED, BLUE, GREEN, BARE)
    return min(candidates, key=lambda c: sum((a - b) ** 2 for a, b in zip(found, c, strict=True)))


def wait_for_colour(session: Session, lat, lon, wanted, timeout_ms=30_000):
    deadline = timeout_ms
    found = None
    while deadline > 0:
        session.wait_idle()
        try:
            frame = session.map_frame_with(".leaflet-tile-pane img")
            found = colour_at(session, frame, lat, lon)
        except PlaywrightError:  # the map was remounted while we looked: look again
            found = None
        if found is not None and nearest(found) == wanted:
            return
        session.page.wait_for_timeout(500)
        deadline -= 1000
    raise AssertionError(f"the map shows {found} at {lat}, {lon}, not {wanted}")


def import_geotiff(
    session: Session, path: Path, date: str, as_stated: str, *, refused: bool = False
) -> None:
    page = session.page
    session.file_input().set_input_files(path)
    page.get_by_text("Pixel size").wait_for(timeout=60_000)
    session.wait_idle()
    page.get_by_role("textbox", name="Acquisition date", exact=True).fill(date)
    page.get_by_role("textbox", name="Date in the source's words", exact=True).fill(as_stated)
    page.get_by_role("textbox", name="Source (title)", exact=True).fill("Synthetic test image")
    page.get_by_role("button", name="Store as an imagery record").click()
    if refused:
        page.get_by_text("Not stored: the form or the image has problems").wait_for(timeout=60_000)
        session.wait_idle()
        assert page.locator('[data-testid="stException"]').count() == 0
        # said once, in the form's words: not again by the page's last resort
        assert page.get_by_text("problem found").count() == 0
        return
    page.get_by_text("stored; the file is kept as received").wait_for(timeout=60_000)
    session.wait_idle()


def test_import_compare_and_georeference(session: Session, tmp_path: Path):
    earlier = write_raster(
        tmp_path / "site-2013.tif", solid(RED), transform=transform_around(200, 200)
    )
    later = write_raster(
        tmp_path / "site-2019.tif", solid(BLUE), transform=transform_around(200, 200)
    )
    picture = tmp_path / "released.png"
    Image.new("RGB", (300, 300), GREEN).save(picture)
    server = start_app(None, tmp_path / "store")
    url = next(server)
    page = session.page
    # 40 m north of the town's centre, where the case's place of Saydnaya is drawn
    lon, lat = SAYDNAYA[0], SAYDNAYA[1] + 40 / 110_950
    try:
        session.open(f"{url}/?lat={SAYDNAYA[1]}&lon={SAYDNAYA[0]}&z=17")
        analyst = page.get_by_role("textbox", name="Analyst")
        analyst.fill("Test Analyst")
        analyst.press("Enter")
        session.tab("Imagery")
        # a date in words is refused, the form keeps what was typed, and nothing is stored
        import_geotiff(session, earlier, "September 2013", "September 2013", refused=True)
        page.get_by_role("textbox", name="Acquisition date", exact=True).fill("2013-09")
        page.get_by_role("button", name="Store as an imagery record").click()
        page.get_by_text("stored; the file is kept as received").wait_for(timeout=60_000)
        session.wait_idle()
        # after the case's last date (2017): the date filter widens to show it
        import_geotiff(session, later, "2019", "2019")

        # both on the map over the site: the later import is drawn on top
        wait_for_colour(session, lat, lon, BLUE)

        # compared: the earlier left of the divider, the later right of it
        page.locator('[data-testid="stSidebar"]').get_by_text("Compare two dates").click()
        frame = session.map_frame_with(".leaflet-sbs-divider")
        frame.get_by_text("Earlier: September 2013").wait_for(timeout=30_000)
        frame.get_by_text("Later: 2019").wait_for(timeout=30_000)
        step = 30 / (111_320 * np.cos(np.radians(lat)))  # 30 m
        wait_for_colour(session, lat, lon - step, RED)
        wait_for_colour(session, lat, lon + step, BLUE)
        assert "earlier=" in page.url and "later=" in page.url

        # what is drawn while comparing was seen in the two images compared
        page.get_by_text("Draw and annotate").click()
        session.wait_idle()
        frame = session.map_frame_with(".leaflet-draw-draw-polygon")
        frame.locator(".leaflet-draw-draw-polygon").click()
        # south-east of the map's middle: clear of the divider's handle and of the legend
        south = SAYDNAYA[1] - 0.0002
        corners = [(south, lon + 0.0004), (south, lon + 0.0007), (south - 0.0004, lon + 0.0005)]
        points = [session.screen_point(frame, a, b) for a, b in corners]
        for x, y in [*points, points[0]]:  # closing on the first vertex finishes it
            page.mouse.click(x, y)
            page.wait_for_timeout(200)
        page.get_by_role("textbox", name="Label").first.wait_for(timeout=30_000)
        observed = page.get_by_role("combobox", name="Observed in")
        assert observed.input_value().startswith("Both compared images: September 2013")
        page.get_by_role("textbox", name="Label").first.fill("New stack")
        page.get_by_role("button", name="Save annotation").click()
        session.record_panel_with("New stack")
        page.get_by_text("Draw and annotate").click()
        page.locator('[data-testid="stSidebar"]').get_by_text("Compare two dates").click()
        session.wait_idle()

        # a released picture placed by four pairs of clicks
        session.open(f"{url}/?lat={PICTURE_CENTRE[1]}&lon={PICTURE_CENTRE[0]}&z=17")
        analyst = page.get_by_role("textbox", name="Analyst")
        analyst.fill("Test Analyst")
        analyst.press("Enter")
        session.tab("Imagery")
        page.get_by_text("Georeference a released picture").click()
        session.wait_idle()
        session.file_input().set_input_files(picture)
        page.get_by_text("Click a spot on the picture").wait_for(timeout=30_000)
        session.wait_idle()
        # picture pixel (column, row) is 1 m east and south of its top-left corner on the map
        metres_per_lon = 111_320 * np.cos(np.radians(PICTURE_CENTRE[1]))
        west = PICTURE_CENTRE[0] - 150 / metres_per_lon
        north = PICTURE_CENTRE[1] + 150 / 110_950
        for column, row in ((20, 30), (270, 40), (150, 160), (40, 260)):
            shown = page.frame_locator(
                'iframe[title="streamlit_image_coordinates.streamlit_image_coordinates"]'
            )
            shown.locator("img").click(position={"x": column, "y": row})
            session.wait_idle()
            handle = page.locator(MAP_FRAME).nth(1)
            handle.scroll_into_view_if_needed()
            mini = handle.element_handle().content_frame()
            mini.wait_for_function("() => !!window.map_div")
            spot = mini.evaluate(
                "([lat, lon]) => window.map_div.latLngToContainerPoint([lat, lon])",
                [north - (row + 0.5) / 110_950, west + (column + 0.5) / metres_per_lon],
            )
            box = mini.locator("#map_div").bounding_box()
            page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])
            session.wait_idle()
            page.get_by_role("button", name="Add this pair as a control point").click()
            session.wait_idle()
        rms = page.get_by_text(" px", exact=False).filter(has_text=" m · ")
        rms.first.wait_for(timeout=30_000)
        metres = float(rms.first.inner_text().split(" m")[0])
        assert metres < 3, f"RMS {metres} m from clicks a screen pixel apart"
        page.get_by_role("textbox", name="Acquisition date", exact=True).fill("2017-05")
        page.get_by_role("textbox", name="Released by", exact=True).fill("A ministry")
        page.get_by_role("button", name="Store as an imagery record").click()
        page.get_by_text("georeferenced (RMS").wait_for(timeout=60_000)
        wait_for_colour(session, PICTURE_CENTRE[1], PICTURE_CENTRE[0], GREEN)

        records = Store.open(tmp_path / "store").records()
        [stack] = [r for r in records if r.name == "New stack"]
        dated = {r.date: r.id for r in records if r.kind.value == "imagery"}
        assert stack.properties["observed_in"] == f"imagery: {dated['2013-09']} + {dated['2019']}"
        placed = [r for r in records if "georeferencing" in r.properties]
        assert len(placed) == 1 and placed[0].date == "2017-05"
        georeferencing = placed[0].properties["georeferencing"]
        assert len(georeferencing["points"]) == 4
        assert {p["placed_by"] for p in georeferencing["points"]} == {"Test Analyst"}
        assert georeferencing["rms_m"] < 3
        assert session.errors == []
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        server.close()
