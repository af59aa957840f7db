"""Finding places, end to end in Chromium: any spelling offline, a text's places onto the
map with their sentences as sources, and online search failing gracefully offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.case import DEFAULT_CASE_DIR
from tests.browser import Session, start_app

pytestmark = pytest.mark.browser


def test_find_places_and_turn_the_article_into_places(session: Session, tmp_path: Path):
    server = start_app(
        None,
        tmp_path / "store",
        # the online geocoder points at a port where nothing listens: no network
        {"GEO_GEOCODER_DOMAIN": "127.0.0.1:9", "GEO_GEOCODER_SCHEME": "http"},
    )
    url = next(server)
    page = session.page
    try:
        session.open(url)
        analyst = page.get_by_role("textbox", name="Analyst")
        analyst.fill("Test Analyst")
        analyst.press("Enter")
        session.tab("Find places")

        for spelling in ("Sednaya", "صيدنايا"):
            session.wait_idle()
            query = page.get_by_role("textbox", name="Place name")
            query.fill(spelling)
            page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(
                has_text="Search"
            ).click()
            page.get_by_text("Add which one as a place of your own?").wait_for(timeout=30_000)
            session.wait_idle()
            best = page.get_by_role("combobox", name="Add which one as a place of your own?")
            assert best.input_value().startswith("Saydnaya military prison")

        # online search with no network: a message, and the offline results still there
        page.get_by_text("Online place search").click()
        session.wait_idle()
        page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Search").click()
        page.get_by_text("offline place search still works").wait_for(timeout=30_000)
        best = page.get_by_role("combobox", name="Add which one as a place of your own?")
        assert best.input_value().startswith("Saydnaya military prison")

        page.get_by_role("tab", name="Places in a text").click()
        text = (DEFAULT_CASE_DIR / "texts" / "article-2017-05-15.txt").read_text(encoding="utf-8")
        page.get_by_role("textbox", name="…or paste the text").fill(text)
        session.wait_idle()
        page.get_by_role("button", name="Find the places in the text").click()
        page.get_by_text("Accept, correct or reject each").wait_for(timeout=30_000)
        session.wait_idle()
        page.get_by_role("button", name="Add the accepted places").click()
        page.get_by_text("places from the text; the text is kept as received").wait_for(
            timeout=30_000
        )
        frame = session.map_frame_with(".leaflet-overlay-pane canvas")
        names = " | ".join(
            label
            for layer, labels in session.drawn_layers(frame).items()
            if layer.startswith("Places in")
            for label in labels
        )
        for place in ("Saydnaya", "Damascus", "Astana", "Geneva", "Kazakhstan", "Iran"):
            assert place in names
        for person in ("Jones", "Trump", "Assad"):
            assert person not in names
        assert session.dialogs == [] and session.errors == []
    finally:
        server.close()
