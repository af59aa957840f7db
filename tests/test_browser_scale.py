"""A case of 100,000 records, end to end: drawn, picked, cited, filtered, annotated and
compared.

How fast is measured by scripts/benchmark.py; this checks that nothing breaks or grows
with the case: every record is drawn, a click selects the record under the pointer and
the page's address cites it, a date filter re-sends none of the map's data, the drawing
tools still open the annotation form, and two images still compare with a swipe.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.imagery.importing import ImageryFacts, import_image
from geo.imagery.synthetic import SAYDNAYA, transform_around, write_raster
from geo.store import Store
from geo.synthetic import TINY_META, synthetic_files, write_case
from tests.browser import Session, start_app, websocket_bytes
from tests.test_browser_imagery import BLUE, RED, solid, wait_for_colour

pytestmark = pytest.mark.browser

RECORDS = 100_000


@pytest.fixture(scope="module")
def big_case(tmp_path_factory) -> tuple[Path, dict]:
    cases = tmp_path_factory.mktemp("cases")
    files = synthetic_files(RECORDS)
    write_case(cases / "big", TINY_META, files)
    return cases, files["places.geojson"][0]


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> tuple[Path, list[str]]:
    """A store holding two dated images of the site, red (2013) then blue (2019)."""
    folder = tmp_path_factory.mktemp("images")
    data = folder / "data"
    store = Store.open(data)
    for name, colour, when in (("site-2013", RED, "2013-09"), ("site-2019", BLUE, "2019")):
        path = write_raster(
            folder / f"{name}.tif", solid(colour), transform=transform_around(200, 200)
        )
        import_image(
            store,
            path.read_bytes(),
            file_name=path.name,
            facts=ImageryFacts(name=name, date=when, date_as_stated=when),
            analyst="Test Analyst",
        )
    records, _ = store.read_current()
    ids = [record.id for record in sorted(records, key=lambda record: record.date or "")]
    return data, ids


@pytest.fixture(scope="module")
def big_url(big_case, images) -> Iterator[str]:
    yield from start_app(big_case[0], images[0])


SHOWN = """async () => {
    const layers = [];
    window.map_div.eachLayer(layer => { if (layer.recordLayer) layers.push(layer); });
    await Promise.all(layers.map(layer => layer.whenReady()));
    return layers.reduce((sum, layer) => sum + layer.shownCount(), 0);
}"""


def test_a_case_of_100k_records_is_drawn_picked_filtered_and_annotated(
    browser, tmp_path: Path, big_case, big_url: str, images
):
    session = Session(browser, tmp_path)
    page = session.page
    bodies: list[str] = []
    page.on(
        "request",
        lambda request: (
            bodies.append(request.url)
            if "/maplayer/" in request.url and "/labels/" not in request.url
            else None
        ),
    )
    received = websocket_bytes(page)
    place = big_case[1]
    lon, lat = place["geometry"]["coordinates"]
    try:
        frame = session.open(f"{big_url}/?lat={lat}&lon={lon}&z=16")
        assert frame.evaluate(SHOWN) == RECORDS + 2  # and the two images' outlines

        session.click_until_selected(frame, lat, lon)
        session.record_panel_with("Record 0")
        page.wait_for_url("**sel=r0**", timeout=30_000)
        layers_fetched = len(set(bodies))
        # one body per layer (four kinds and the two images), each fetched once
        assert layers_fetched == len(bodies) == 6

        session.wait_idle()
        received["bytes"] = 0
        session.set_date("From", "2015-01-01")
        page.wait_for_url("**from=2015-01-01**", timeout=30_000)
        session.wait_idle()
        frame = session.map_frame_with(".leaflet-overlay-pane canvas")
        shown = frame.evaluate(SHOWN)
        assert 50 < shown < RECORDS  # the undated places stay
        assert len(bodies) == layers_fetched  # the filter was applied where the data is
        # the rerun sent the page's widgets and the map's few hundred bytes a layer
        assert received["bytes"] < 200_000, received["bytes"]
        session.record_panel_with("Record 0")  # the selection holds

        page.get_by_text("Draw and annotate").click()
        session.wait_idle()
        frame = session.map_frame_with(".leaflet-draw-draw-marker")
        frame.locator(".leaflet-draw-draw-marker").click()
        page.mouse.click(*session.screen_point(frame, lat + 0.001, lon + 0.001))
        page.get_by_role("textbox", name="Label").first.wait_for(timeout=60_000)

        earlier, later = images[1]
        lon, lat = SAYDNAYA
        frame = session.open(f"{big_url}/?lat={lat}&lon={lon}&z=17&earlier={earlier}&later={later}")
        session.map_frame_with(".leaflet-sbs-divider")
        step = 30 / 111_320  # some 30 m either side of the divider
        wait_for_colour(session, lat, lon - step, RED)
        wait_for_colour(session, lat, lon + step, BLUE)
        frame = session.map_frame_with(".leaflet-overlay-pane canvas")
        assert frame.evaluate(SHOWN) == RECORDS + 2  # the records are drawn over them
        assert session.errors == [] and session.remote == [] and session.dialogs == []
    finally:
        session.close()
