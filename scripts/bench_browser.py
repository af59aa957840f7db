"""The browser's side of the benchmark: the real app on a generated case, in headless Chromium.

`measure_page(cases_dir, data_dir)` starts the app (server.py) on the case in
`cases_dir`, opens it and returns what a researcher waits for:

- ``page_s``: from the address typed to the map on the page (the case loaded and the
  page's first run done, in Python);
- ``records_s``: from the address typed to every record drawn;
- ``redraw_ms``: one redraw of every layer at the opening view (what a pan's end or a
  zoom step costs after Leaflet's own animation);
- ``pan_fps``: frames a second while the map is panned for a second;
- ``pick_ms``: finding every record under the pointer at the centre (a click, a hover);
- ``heap_mb``: the map's JavaScript heap once drawn;
- ``rerun_kb``: what the page received over its websocket for one rerun (a layer
  switched off and on again, halved), widgets and map.

Chromium here renders in software (no GPU): a researcher's laptop is faster.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.browser import MAP_FRAME, launch, start_app, wait_idle, websocket_bytes

READY = """async () => {
    const layers = [];
    window.map_div.eachLayer(layer => { if (layer.recordLayer) layers.push(layer); });
    await Promise.all(layers.map(layer => layer.whenReady()));
    return layers.length;
}"""

REDRAW = """() => {
    const layers = [];
    window.map_div.eachLayer(layer => { if (layer.recordLayer) layers.push(layer); });
    const start = performance.now();
    for (const layer of layers) layer._drawRecords();
    return performance.now() - start;
}"""

PICK = """() => {
    const map = window.map_div, point = map.latLngToLayerPoint(map.getCenter());
    const start = performance.now();
    let hits = 0;
    map.eachLayer(layer => { if (layer.recordLayer) hits += layer.recordHits(point, 6).length; });
    return [performance.now() - start, hits];
}"""

PAN = """() => new Promise(done => {
    const map = window.map_div;
    let frames = 0, running = true;
    const count = () => { frames += 1; if (running) requestAnimationFrame(count); };
    requestAnimationFrame(count);
    const start = performance.now();
    map.panBy([300, 0], { animate: true, duration: 1.0 });
    map.once("moveend", () => {
        running = false;
        done(frames / ((performance.now() - start) / 1000));
    });
})"""


def measure_page(cases_dir: Path, data_dir: Path, *, timeout_s: int = 600) -> dict[str, Any]:
    server = start_app(cases_dir, data_dir)
    url = next(server)
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            received = websocket_bytes(page)
            start = time.perf_counter()
            page.goto(url, timeout=timeout_s * 1000)
            page.wait_for_selector(MAP_FRAME, timeout=timeout_s * 1000)
            frame = page.frame_locator(MAP_FRAME).first
            frame.locator("#map_div").wait_for(timeout=timeout_s * 1000)
            page_s = time.perf_counter() - start
            handle = page.wait_for_selector(MAP_FRAME).content_frame()
            assert handle is not None
            handle.wait_for_function(
                "() => window.map_div && window.L && L.GeoRecords", timeout=timeout_s * 1000
            )
            handle.evaluate(READY)
            records_s = time.perf_counter() - start
            redraw_ms = min(handle.evaluate(REDRAW) for _ in range(3))
            pick_ms, _ = handle.evaluate(PICK)
            pan_fps = handle.evaluate(PAN)
            heap = handle.evaluate(
                "() => performance.memory ? performance.memory.usedJSHeapSize : 0"
            )
            wait_idle(page, 1_500, 300)
            received["bytes"] = 0
            events = page.get_by_test_id("stSidebarUserContent").get_by_text("Events", exact=True)
            for _ in range(2):
                events.click()
                wait_idle(page, 1_500, 300)
            browser.close()
        return {
            "page_s": page_s,
            "records_s": records_s,
            "redraw_ms": redraw_ms,
            "pan_fps": pan_fps,
            "pick_ms": pick_ms,
            "heap_mb": heap / 1e6,
            "rerun_kb": received["bytes"] / 2 / 1000,
        }
    finally:
        server.close()
