"""The map's own behaviour in Chromium: which record a click picks, records in parts,
and measurements, on records the test puts in the store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from geo.records import Kind, LayerRecord
from geo.store import Store
from tests.browser import MAP_FRAME, Session, start_app

pytestmark = pytest.mark.browser

# An empty stretch of desert east of Saydnaya: nothing of the case is drawn here.
SPOT = (34.0, 37.0)
NEIGHBOURS = [("near-a", 34.0, 37.0), ("near-b", 34.0, 37.04)]  # 4 km apart: overlap at z 7


def _point(lat: float, lon: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def _records() -> list[LayerRecord]:
    lat, lon = SPOT
    square = [[lon + 0.1, lat - 0.1], [lon + 0.3, lat - 0.1], [lon + 0.3, lat + 0.1]]
    square += [[lon + 0.1, lat + 0.1], [lon + 0.1, lat - 0.1]]
    return [
        *[
            LayerRecord(rid, "Test marks", Kind.PLACE, f"Mark {rid}", _point(a, b))
            for rid, a, b in NEIGHBOURS
        ],
        LayerRecord(
            "yard",
            "Test marks",
            Kind.AREA,
            "The yard",
            {"type": "Polygon", "coordinates": [square]},
        ),
        LayerRecord(
            "in-yard", "Test marks", Kind.PLACE, "Gate in the yard", _point(lat, lon + 0.2)
        ),
        LayerRecord(
            "two-gates",
            "Test marks",
            Kind.OTHER,
            "Two gates",
            {"type": "MultiPoint", "coordinates": [[lon - 0.3, lat], [lon - 0.2, lat + 0.1]]},
        ),
    ]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    store = Store.open(data_dir).for_case("saydnaya")  # the shipped case's own records
    for record in _records():
        store.add(record, analyst="Test Analyst")
    yield from start_app(None, data_dir)


def _click(session: Session, lat: float, lon: float) -> str:
    """Click the map there and return the record the app selected."""
    session.wait_idle()
    frame = session.map_frame()
    before = session.page.url
    session.page.mouse.click(*session.screen_point(frame, lat, lon))
    session.page.wait_for_function("before => location.href !== before", arg=before, timeout=20_000)
    session.settled()
    return dict(p.split("=", 1) for p in session.page.url.split("?")[1].split("&"))["sel"]


def test_a_click_picks_the_record_under_the_pointer(session: Session, app_url: str):
    session.open(f"{app_url}/?lat={SPOT[0]}&lon={SPOT[1]}&z=7")
    # two dots drawn over each other: each is picked where it is, never its neighbour
    for rid, lat, lon in NEIGHBOURS:
        assert _click(session, lat, lon) == rid
    session.open(f"{app_url}/?lat={SPOT[0]}&lon={SPOT[1]}&z=10")
    # a dot inside an area: the dot; the area elsewhere; both are in the list
    assert _click(session, SPOT[0], SPOT[1] + 0.2) == "in-yard"
    frame = session.map_frame()
    listed = frame.locator(".record-picker button").all_inner_texts()
    assert [text.split(" · ")[0] for text in listed] == ["Gate in the yard", "The yard"]
    # the legend folds while the list is open (it covered its close button), and opens after
    assert frame.evaluate("() => document.querySelector('.geo-legend details').open") is False
    frame.locator(".leaflet-popup-close-button").click()
    assert frame.evaluate("() => document.querySelector('.geo-legend details').open") is True
    assert _click(session, SPOT[0] + 0.05, SPOT[1] + 0.15) == "yard"
    # a record in parts (a MultiPoint) is picked by any of its parts
    assert _click(session, SPOT[0] + 0.1, SPOT[1] - 0.2) == "two-gates"
    # a layer switched off takes the list of its records with it
    assert _click(session, SPOT[0], SPOT[1] + 0.2) == "in-yard"
    assert session.map_frame().locator(".record-picker").count() == 1
    sidebar = session.page.get_by_test_id("stSidebarUserContent")
    sidebar.get_by_text("Test marks", exact=True).click()
    session.settled()
    assert session.map_frame().locator(".record-picker").count() == 0
    sidebar.get_by_text("Test marks", exact=True).click()
    session.settled()


def _measure(session: Session, points: list[tuple[float, float]], end: str) -> None:
    page = session.page
    page.locator(MAP_FRAME).scroll_into_view_if_needed()
    frame = session.map_frame()
    frame.locator(".leaflet-control-measure").hover()
    frame.get_by_text("Create a new measurement").click()
    for lat, lon in points:
        page.mouse.click(*session.screen_point(frame, lat, lon))
        page.wait_for_timeout(300)
    frame.get_by_text(end, exact=True).click()


def test_a_measurement_is_offered_for_keeping_unless_cancelled(session: Session, app_url: str):
    session.open(f"{app_url}/?lat={SPOT[0]}&lon={SPOT[1]}&z=10")
    line = [(SPOT[0] - 0.05, SPOT[1] - 0.1), (SPOT[0] - 0.05, SPOT[1] + 0.05)]
    _measure(session, line, "Cancel")
    session.settled()
    assert session.page.get_by_text("Keep this measured").count() == 0
    _measure(session, line, "Finish measurement")
    session.page.get_by_text("Keep this measured line").wait_for(timeout=20_000)
    session.settled()
    assert session.errors == []  # leaflet-measure on a canvas map threw on every click
