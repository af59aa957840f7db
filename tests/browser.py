"""The harness for the browser tests: the real app on a free port, headless Chromium,
and every request that does not go to the app aborted and recorded."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserType, Frame, Page

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GEO_CHROMIUM") or shutil.which("chromium")
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
HOSTILE = '<img src=x onerror="window.pwned=1;alert(1)">${window.pwned=2}\\`;window.pwned=3;`'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(playwright) -> Browser:
    """Debian's Chromium, headless, with its background connections switched off."""
    return launch_chromium(playwright.chromium)


def launch_chromium(chromium: BrowserType, *extra_args: str) -> Browser:
    """`launch` for a Playwright browser type, with more command-line switches."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: install Debian's chromium")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    return chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            *extra_args,
        ],
    )


def start_app(
    cases_dir: Path | None,
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    *,
    port: int | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Run the app until the generator is closed; yields its base URL once it answers."""
    port = port or free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "GEO_DATA_DIR": str(data_dir)}
    env |= extra_env or {}
    if cases_dir is not None:
        env["GEO_CASES_DIR"] = str(cases_dir)
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "serve.py"),
            "run",
            str(ROOT / "server.py"),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--server.fileWatcherType=none",
            *extra_args,
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
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """End a server started for a test: asked first, killed after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_idle(page: Page, quiet_ms: int = 1_000, limit_s: float = 60) -> None:
    """Until the app in `page` has not been running for `quiet_ms` (Streamlit's status
    widget), or `limit_s` has passed."""
    status = page.locator('[data-testid="stStatusWidget"]')
    deadline = time.monotonic() + limit_s
    quiet_since = None
    while time.monotonic() < deadline:
        if status.count() == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= quiet_ms / 1000:
                return
        else:
            quiet_since = None
        page.wait_for_timeout(100)


def websocket_bytes(page: Page) -> dict[str, int]:
    """A counter of the bytes `page` receives over its websockets from now on, kept in
    its "bytes" entry (set it to 0 to count afresh)."""
    received = {"bytes": 0}

    def count(payload: str | bytes) -> None:
        received["bytes"] += len(payload)

    page.on("websocket", lambda socket: socket.on("framereceived", count))
    return received


class Session:
    """A page whose every request off this machine is refused and recorded."""

    def __init__(
        self,
        browser: Browser,
        tmp_path: Path,
        viewport: tuple[int, int] = (1400, 1300),
        *,
        app_origin: str = "http://127.0.0.1",
        ignore_https_errors: bool = False,
        also_allowed: tuple[str, ...] = (),
    ) -> None:
        """`app_origin`: where the app is (the start of its URLs); `ignore_https_errors`
        for an app behind a proxy with a throw-away certificate; `also_allowed`: other
        origins the page may reach (a local sign-in provider)."""
        width, height = viewport
        self.allowed = (app_origin, *also_allowed, "data:", "blob:", "about:")
        self.context = browser.new_context(
            viewport={"width": width, "height": height},
            accept_downloads=True,
            ignore_https_errors=ignore_https_errors,
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
        if url.startswith(self.allowed):
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

    def map_frame_with(self, selector: str, timeout_s: float = 30) -> Frame:
        """The map's frame once it holds `selector`: a changed map remounts its iframe."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                frame = self.map_frame()
                if frame.locator(selector).count() and frame.evaluate(
                    "() => !!window.map_div && Object.keys(window.map_div._layers).length > 5"
                ):
                    return frame
            except Exception:  # the iframe was replaced while we looked: look again
                if time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError(f"the map never showed {selector}")
            self.page.wait_for_timeout(250)

    def map_frame(self) -> Frame:
        handle = self.page.wait_for_selector(MAP_FRAME, timeout=60_000)
        frame = handle.content_frame()
        assert frame is not None
        return frame

    def drawn(self, frame: Frame, kind: str) -> list[str]:
        """The ids of the case's records of `kind` the map shows."""
        return frame.evaluate(
            """async kind => {
                const layers = [];
                window.map_div.eachLayer(layer => {
                    if (layer.recordLayer && layer.about.kind === kind) layers.push(layer);
                });
                await Promise.all(layers.map(layer => layer.whenReady()));
                return layers.flatMap(layer => layer.shownIds()).sort();
            }""",
            kind,
        )

    def drawn_layers(self, frame: Frame) -> dict[str, list[str]]:
        """The records each layer of the map shows, by layer (the case's by kind), with
        their labels, once every layer has its records."""
        return frame.evaluate(
            """async () => {
                const layers = [];
                window.map_div.eachLayer(layer => { if (layer.recordLayer) layers.push(layer); });
                await Promise.all(layers.map(layer => layer.whenReady()));
                const drawn = {};
                for (const layer of layers) {
                    const shown = [];
                    for (let i = 0; i < layer._data.n; i++) if (layer._mask[i]) shown.push(i);
                    const key = layer.about.kind || layer.about.layer;
                    drawn[key] = await Promise.all(shown.map(i => layer.recordLabel(i)));
                }
                return drawn;
            }"""
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

    def click_until_selected(self, frame: Frame, lat: float, lon: float, tries: int = 3):
        """Click the map at a position until the record panel shows a record.

        A click that lands while the app reruns can be lost with the old map, as a
        user's would be; a user clicks again, and so does this.
        """
        for attempt in range(tries):
            self.wait_idle()
            frame = self.map_frame_with(".leaflet-overlay-pane canvas")
            self.page.mouse.click(*self.screen_point(frame, lat, lon))
            try:
                return self.record_panel(timeout_ms=15_000)
            except Exception:
                if attempt == tries - 1:
                    raise
        raise AssertionError("unreachable")

    def record_panel_with(self, text: str):
        """The record panel once it shows a record containing `text`."""
        panel = self.page.locator('[data-testid="stColumn"]', has_text=text).filter(
            has=self.page.get_by_role("heading", name=text)
        )
        try:
            panel.first.wait_for(timeout=30_000)
        except Exception as exc:
            raise AssertionError(f"no record panel with {text!r}; {self.seen()}") from exc
        return panel.first

    def seen(self) -> str:
        """What the page shows that says why a wait failed: its headings, alerts and
        error boxes, for the failure's message (CI keeps no screenshot)."""
        page = self.page
        headings = page.get_by_role("heading").all_inner_texts()
        alerts = page.locator('[data-testid="stAlert"], [data-testid="stException"]')
        return f"headings {headings!r}, alerts {alerts.all_inner_texts()!r}, errors {self.errors!r}"

    def record_panel(self, timeout_ms: int = 30_000):
        """The column beside the map, once it shows a record (it then has a Sources heading)."""
        sources = self.page.get_by_role("heading", name="Sources", exact=True)
        panel = self.page.locator('[data-testid="stColumn"]', has=sources)
        panel.wait_for(timeout=timeout_ms)
        return panel

    def tab(self, name: str) -> None:
        """Open one of the tabs below the map (Timeline, Find places, Import, Export, …).

        A click that lands while the app reruns can be lost with the old page, as a
        user's would be; a user clicks again, and so does this.
        """
        tab = self.page.get_by_role("tab", name=name, exact=True)
        for _ in range(3):
            self.wait_idle()
            tab.click()
            self.wait_idle()
            if tab.get_attribute("aria-selected") == "true":
                return
        raise AssertionError(f"the {name} tab did not open")

    def download(self, *, fmt: str = "GeoJSON", everything: bool = True, manifest: bool = False):
        """Choose an export in the Export tab and download it; returns the saved path."""
        page = self.page
        self.tab("Export")
        page.get_by_text(fmt, exact=True).click()
        scope = "Everything: case and my layers" if everything else "This view"
        page.locator('[data-testid="stRadio"]').get_by_text(scope, exact=False).click()
        box = page.get_by_role("checkbox", name="With a manifest (ZIP)")
        if box.is_checked() != manifest:
            page.get_by_text("With a manifest (ZIP)").click()
        suffix = (
            "zip"
            if manifest
            else {"GeoJSON": "geojson", "KML (Google Earth)": "kml"}.get(fmt, "csv")
        )
        button = page.locator('[data-testid="stDownloadButton"] button', has_text=f".{suffix}")
        button.wait_for(timeout=30_000)
        self.wait_idle()  # a rerun replaces the file behind the button: click after it
        with page.expect_download() as info:
            button.click()
        path = self.tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        return path

    def set_date(self, label: str, value: str) -> None:
        """Type a date as a keyboard user does: year, month and day segments, then leave."""
        page = self.page
        segments = page.get_by_label(label, exact=True).get_by_role("spinbutton")
        for index, part in enumerate(value.split("-")):  # the field's format is YYYY-MM-DD
            segments.nth(index).focus()
            page.keyboard.type(part)
        page.keyboard.press("Escape")
        page.keyboard.press("Tab")

    def file_input(self):
        """The first file uploader of the open tab below the map: the tabs that hold an
        uploader are drawn on every run (app.py), the others hidden."""
        return self.page.locator(
            '[role=tabpanel]:not([hidden]) [data-testid="stFileUploaderDropzoneInput"]'
        ).first

    def wait_idle(self, quiet_ms: int = 1_000) -> None:
        """Until the app has not been running for `quiet_ms` (Streamlit's status widget)."""
        wait_idle(self.page, quiet_ms)

    def map_view(self) -> tuple[float, float, int]:
        """Where the map is now: (lat, lon, zoom), read from Leaflet itself."""
        view = self.map_frame().evaluate(
            "() => { const c = window.map_div.getCenter(); "
            "return [c.lat, c.lng, window.map_div.getZoom()]; }"
        )
        return float(view[0]), float(view[1]), int(view[2])

    def settled(self, quiet_ms: int = 2_500, within_ms: int = 15_000) -> tuple[float, float, int]:
        """Wait as a person would after a step until the page settles, or fail.

        Settled: for `quiet_ms` together the app does not rerun, the map does not move and
        the address does not change, within `within_ms` of the step; then the address
        holds what the map shows and no exception box is on the page. A map that keeps
        jumping between two positions (as one drag once set it doing) never settles.
        """
        self.wait_idle()
        samples: list[tuple] = []
        quiet_since = time.monotonic()
        deadline = quiet_since + within_ms / 1000
        while True:
            try:
                view = self.map_view()
            except Exception:  # the map's iframe was being replaced: a change, not a view
                view = None
            running = self.page.locator('[data-testid="stStatusWidget"]').count() > 0
            sample = (view, self.page.url, running)
            if not samples or sample != samples[-1] or running or view is None:
                quiet_since = time.monotonic()
            samples.append(sample)
            if time.monotonic() - quiet_since >= quiet_ms / 1000:
                break
            assert time.monotonic() < deadline, f"never settled: {samples[-12:]}"
            self.page.wait_for_timeout(250)
        assert self.page.locator('[data-testid="stException"]').count() == 0
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.page.url).query))
        lat, lon, zoom = view
        # within a pixel: a map of odd width centres half a pixel off where it was set
        pixel = 360 / (256 * 2**zoom) + 1e-5
        assert abs(float(query["lat"]) - lat) < pixel, (query, view)
        assert abs(float(query["lon"]) - lon) < pixel, (query, view)
        assert int(query["z"]) == zoom, (query, view)
        return view

    def metric(self, label: str) -> str:
        """A count from the line above the map ("Shown: Places 4 of 4 · …"): "4 of 4"."""
        line = self.page.locator('[data-testid="stCaptionContainer"]', has_text="Shown: ")
        text = line.first.inner_text().removeprefix("Shown: ")
        match = re.search(rf"(?:^| · ){re.escape(label)} (\d+ of \d+)", text)
        assert match, f"no count for {label} in {text!r}"
        return match.group(1)

    def close(self) -> None:
        self.context.close()
