"""End to end in headless Chromium: the real app, the real map, no network.

Every request that does not go to the app is aborted and recorded; a test
fails if the page tried to reach anything else.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from geo.case import read_export
from geo.synthetic import TINY_FILES, TINY_META, write_case
from tests.browser import HOSTILE, Session, start_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    yield from start_app(None, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory) -> Iterator[str]:
    meta = copy.deepcopy(TINY_META)
    meta["title"] = f"Hostile {HOSTILE}"
    meta["summary"] = f"[link](javascript:window.pwned=4) {HOSTILE}"
    meta["sources"][0]["title"] = HOSTILE
    files = copy.deepcopy(TINY_FILES)
    place = files["places.geojson"][0]["properties"]
    place["name"] = HOSTILE
    place["note"] = "<script>window.pwned=5</script>"
    place["sources"] = [{"id": "src-a", "quote": HOSTILE}]
    cases = tmp_path_factory.mktemp("cases")
    write_case(cases / "hostile", meta=meta, files=files)
    yield from start_app(cases, tmp_path_factory.mktemp("data"))


def test_the_four_places_are_drawn_offline(session: Session, app_url: str):
    frame = session.open(app_url)
    assert session.drawn(frame, "place") == ["astana", "damascus", "geneva", "saydnaya"]
    assert len(session.drawn(frame, "feature")) == 3
    # the offline base layer is drawn from the app's own copy of Natural Earth
    outlines = frame.evaluate(
        """() => { let n = 0; window.map_div.eachLayer(l => { if (l.feature &&
            l.feature.properties.name === 'Syria') n++; }); return n; }"""
    )
    assert outlines >= 1
    assert frame.locator(".leaflet-control-scale").count() == 1
    assert frame.locator(".leaflet-control-measure").count() == 1
    assert session.errors == []


def test_click_saydnaya_and_read_its_source(session: Session, app_url: str):
    frame = session.open(f"{app_url}/?lat=33.665&lon=36.32861&z=15")
    panel = session.click_until_selected(frame, 33.665, 36.32861)
    text = panel.inner_text()
    assert "Saydnaya military prison" in text
    assert "US accuses Syria of mass executions" in text  # the article, cited as the source
    session.page.wait_for_url("**sel=saydnaya**", timeout=10_000)


def test_narrowing_the_dates_changes_the_counts(session: Session, app_url: str):
    session.open(app_url)
    assert session.metric("Imagery records") == "5 of 5"
    session.set_date("From", "2015-01-10")
    session.set_date("To", "2015-02-01")
    session.page.wait_for_url("**from=2015-01-10**", timeout=20_000)
    session.page.wait_for_url("**to=2015-02-01**", timeout=20_000)
    session.page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].some(
            m => m.innerText.startsWith('Shown: ')
                && !m.innerText.includes('Imagery records 5 of 5'))""",
        timeout=20_000,
    )
    imagery = session.metric("Imagery records")
    assert imagery.endswith("of 5") and not imagery.startswith("5")
    frame = session.map_frame()
    frame.wait_for_function(
        "() => window.map_div && Object.keys(window.map_div._layers).length > 5", timeout=30_000
    )
    assert "img-2015-01-latest" in session.drawn(frame, "imagery")
    assert "img-2010-03-03-amnesty-before" not in session.drawn(frame, "imagery")


def test_download_the_geojson_and_open_it(session: Session, app_url: str):
    session.open(app_url)
    path = session.download(fmt="GeoJSON", everything=True)
    data = json.loads(path.read_text(encoding="utf-8"))
    case = read_export(data, file=str(path))
    assert len(case.records) == 19
    if shutil.which("ogrinfo"):
        info = subprocess.run(
            ["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True
        )
        assert "Feature Count: 19" in info.stdout


def test_hostile_strings_stay_text(session: Session, hostile_url: str):
    frame = session.open(f"{hostile_url}/?sel=p1&lat=33.6&lon=36.3&z=12")
    # the record panel shows the characters, and nothing ran
    panel = session.record_panel()
    assert "<img src=x onerror=" in panel.inner_text()
    # open the tooltip and the popup of the hostile place on the map
    x, y = session.screen_point(frame, 33.6, 36.3)
    session.page.mouse.move(x, y)
    frame.locator(".leaflet-tooltip").wait_for(timeout=10_000)
    assert "<img src=x onerror=" in frame.locator(".leaflet-tooltip").inner_text()
    session.page.mouse.click(x, y)
    session.map_frame().locator(".leaflet-popup-content").wait_for(timeout=10_000)
    popup = session.map_frame().locator(".leaflet-popup-content").inner_text()
    assert "${window.pwned=2}" in popup
    assert "<img" in popup
    for where in (session.page, session.map_frame()):
        assert where.evaluate("() => window.pwned") is None
        assert where.locator("img[src=x]").count() == 0
    assert session.dialogs == []
    title = session.page.locator("h1").first.inner_text()
    assert "<img src=x" in title


def _stream_status(base: str, host: str) -> int:
    """The status of a request to open the page's connection, as a browser sends it."""
    import http.client
    from urllib.parse import urlparse

    port = urlparse(base).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "GET",
        "/_stcore/stream",
        headers={
            "Host": host,
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Protocol": "streamlit",
        },
    )
    status = conn.getresponse().status
    conn.close()
    return status


def test_a_page_that_rebinds_its_name_to_this_machine_is_refused(app_url: str):
    port = app_url.rsplit(":", 1)[1]
    for name in ("localhost", "127.0.0.1", "[::1]"):
        assert _stream_status(app_url, f"{name}:{port}") == 101
    for name in ("evil.example", "localhost.evil.example", "127.0.0.1.nip.io"):
        assert _stream_status(app_url, f"{name}:{port}") == 403
