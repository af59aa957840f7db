"""End to end in headless Chromium: the real app, the real map, no network.

Every request that does not go to the app is aborted and recorded; a test
fails if the page tried to reach anything else.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.case import read_export
from tests.conftest import TINY_FILES, TINY_META, write_case

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GEO_CHROMIUM") or shutil.which("chromium")
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
HOSTILE = '<img src=x onerror="window.pwned=1;alert(1)">${window.pwned=2}\\`;window.pwned=3;`'

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the browser tests: install Debian's chromium")
    pytest.skip("Chromium not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Frame, Page, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_app(cases_dir: Path | None) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if cases_dir is not None:
        env["GEO_CASES_DIR"] = str(cases_dir)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--server.fileWatcherType=none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.stdout.read().decode() if process.stdout else ""
            process.kill()
            raise RuntimeError(f"the app did not start:\n{output}")
        time.sleep(0.3)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    yield from _start_app(None)


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
    yield from _start_app(cases)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


class Session:
    """A page whose every request off this machine is refused and recorded."""

    def __init__(self, browser: Browser, tmp_path: Path) -> None:
        self.context = browser.new_context(
            viewport={"width": 1400, "height": 1300}, accept_downloads=True
        )
        self.page: Page = self.context.new_page()
        self.remote: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.tmp_path = tmp_path

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.remote.append(url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, url: str) -> Frame:
        self.page.goto(url)
        self.page.wait_for_selector(MAP_FRAME, timeout=60_000)
        frame = self.map_frame()
        frame.wait_for_function(
            "() => window.map_div && Object.keys(window.map_div._layers).length > 5",
            timeout=60_000,
        )
        return frame

    def map_frame(self) -> Frame:
        handle = self.page.wait_for_selector(MAP_FRAME, timeout=60_000)
        frame = handle.content_frame()
        assert frame is not None
        return frame

    def drawn(self, frame: Frame, kind: str) -> list[str]:
        return frame.evaluate(
            """kind => {
                const ids = [];
                window.map_div.eachLayer(layer => {
                    const props = layer.feature && layer.feature.properties;
                    if (props && props.kind === kind) ids.push(props.id);
                });
                return ids.sort();
            }""",
            kind,
        )

    def screen_point(self, frame: Frame, lat: float, lon: float) -> tuple[float, float]:
        """Where on the page a position of the map is (bounding boxes are page coordinates).

        The whole map is scrolled into view first: a click focuses the map, and Chromium
        would scroll a partly hidden map between mousedown and mouseup.
        """
        self.page.locator(MAP_FRAME).scroll_into_view_if_needed()
        point = frame.evaluate(
            "([lat, lon]) => window.map_div.latLngToContainerPoint([lat, lon])", [lat, lon]
        )
        box = frame.locator("#map_div").bounding_box()
        assert box is not None
        return box["x"] + point["x"], box["y"] + point["y"]

    def record_panel(self):
        """The column beside the map, once it shows a record (it then has a Sources heading)."""
        sources = self.page.get_by_role("heading", name="Sources", exact=True)
        panel = self.page.locator('[data-testid="stColumn"]', has=sources)
        panel.wait_for(timeout=30_000)
        return panel

    def metric(self, label: str) -> str:
        box = self.page.locator('[data-testid="stMetric"]', has_text=label)
        return box.locator('[data-testid="stMetricValue"]').inner_text()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser: Browser, tmp_path: Path) -> Iterator[Session]:
    opened = Session(browser, tmp_path)
    yield opened
    assert opened.remote == [], f"the page tried to reach other hosts: {opened.remote}"
    opened.close()


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
    session.page.mouse.click(*session.screen_point(frame, 33.665, 36.32861))
    panel = session.record_panel()
    text = panel.inner_text()
    assert "Saydnaya military prison" in text
    assert "US accuses Syria of mass executions" in text  # the article, cited as the source
    session.page.wait_for_url("**sel=saydnaya**", timeout=10_000)


def _set_date(page: Page, label: str, value: str) -> None:
    """Type a date as a keyboard user does: year, month and day segments, then leave."""
    segments = page.get_by_label(label, exact=True).get_by_role("spinbutton")
    for index, part in enumerate(value.split("-")):  # the field's format is YYYY-MM-DD
        segments.nth(index).focus()
        page.keyboard.type(part)
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")


def test_narrowing_the_dates_changes_the_counts(session: Session, app_url: str):
    session.open(app_url)
    assert session.metric("Imagery records") == "5 of 5"
    _set_date(session.page, "From", "2015-01-10")
    _set_date(session.page, "To", "2015-02-01")
    session.page.wait_for_url("**from=2015-01-10**", timeout=20_000)
    session.page.wait_for_url("**to=2015-02-01**", timeout=20_000)
    session.page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(
            m => m.innerText.includes('Imagery records') && !m.innerText.includes('5 of 5'))""",
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
    with session.page.expect_download() as download_info:
        session.page.get_by_role("button", name="Download the whole case").click()
    path = session.tmp_path / "download.geojson"
    download_info.value.save_as(path)
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
