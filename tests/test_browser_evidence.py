"""A researcher's own evidence, end to end in Chromium: draw and annotate, import,
restart and find everything, export KML that GDAL opens, and hostile files harm nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import HOSTILE, Session, start_app

pytestmark = pytest.mark.browser

SAYDNAYA = (33.665, 36.32861)
# the layer import's uploader (the one taking KMZ), not the one for texts
LAYER_UPLOADER = '[data-testid="stFileUploaderDropzoneInput"][accept*=".kmz"]'


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


def _analyst(session: Session, name: str = "Test Analyst") -> None:
    field = session.page.get_by_role("textbox", name="Analyst")
    field.fill(name)
    field.press("Enter")


def _draw_polygon(session: Session) -> None:
    page = session.page
    page.get_by_text("Draw and annotate").click()
    session.wait_idle()
    frame = session.map_frame_with(".leaflet-draw-draw-polygon")
    frame.locator(".leaflet-draw-draw-polygon").click()
    lat, lon = SAYDNAYA
    corners = [(lat + 0.002, lon - 0.003), (lat + 0.002, lon + 0.003), (lat - 0.002, lon)]
    points = [session.screen_point(frame, a, b) for a, b in corners]
    for x, y in points:
        page.mouse.click(x, y)
        page.wait_for_timeout(200)
    page.mouse.click(*points[0])  # closing on the first vertex finishes the polygon


def _save_annotation(session: Session, label: str) -> None:
    page = session.page
    page.get_by_role("textbox", name="Label").first.wait_for(timeout=30_000)
    page.get_by_role("textbox", name="Label").first.fill(label)
    page.get_by_role("textbox", name="Note").first.fill(f"{HOSTILE} seen on the January 2015 image")
    page.get_by_role("button", name="Save annotation").click()
    session.record_panel_with(label)


def _edit_label(session: Session, old: str, new: str) -> None:
    """Rename the selected annotation; it stays selected through the next reruns."""
    page = session.page
    # The form of the drawing just saved may linger until its rerun ends: wait for it,
    # and look for the label in the edit section only.
    session.wait_idle()
    page.get_by_text("Edit this annotation").click()
    edit = page.get_by_test_id("stExpander").filter(has_text="Edit this annotation")
    field = edit.get_by_role("textbox", name="Label")
    field.wait_for(timeout=30_000)
    field.fill(new)
    page.get_by_role("button", name="Save changes").click()
    session.record_panel_with(new)
    # a rerun from elsewhere (a layer switched off and on) keeps the record selected
    for _ in range(2):
        page.get_by_test_id("stSidebarUserContent").get_by_text("Events", exact=True).click()
        session.wait_idle()
    session.record_panel_with(new)
    assert page.get_by_text("in this case: nothing is selected").count() == 0


def _upload(session: Session, path: Path) -> None:
    page = session.page
    session.tab("Import")
    # After an import the uploader is replaced by an empty one: retry until the new
    # one has taken the file.
    uploader = page.locator(LAYER_UPLOADER)
    for _ in range(3):
        session.wait_idle()
        page.wait_for_function(
            f"() => document.querySelectorAll('{LAYER_UPLOADER}').length === 1",
            timeout=30_000,
        )
        uploader.set_input_files(str(path))
        try:
            page.get_by_text(f"read from {path.name}").wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    page.wait_for_timeout(500)  # let the rerun that read the file settle
    page.get_by_role("button", name="Store as a new layer").click()
    page.get_by_text(f"Layer {path.stem}: ").wait_for(timeout=30_000)


def test_draw_import_restart_export(browser, tmp_path: Path, data_dir: Path):
    geojson = tmp_path / "team-sites.geojson"
    geojson.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [36.33, 33.66]},
                        "properties": {"name": HOSTILE, "date": "2015-01"},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    csv = tmp_path / "witness-points.csv"
    csv.write_text(
        'name,lat,lon,date\n"<script>window.pwned=7</script>",33.6662,36.3271,2016-09-18\n',
        encoding="utf-8",
    )
    kml = tmp_path / "earth-marks.kml"
    kml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>'
        "<name>&lt;img src=x onerror=alert(8)&gt;</name>"
        "<TimeStamp><when>2016-09</when></TimeStamp>"
        "<Point><coordinates>36.3262,33.6641</coordinates></Point>"
        "</Placemark></Document></kml>",
        encoding="utf-8",
    )

    server = start_app(None, data_dir)
    url = next(server)
    session = Session(browser, tmp_path)
    try:
        session.open(f"{url}/?lat={SAYDNAYA[0]}&lon={SAYDNAYA[1]}&z=15")
        _analyst(session)
        _draw_polygon(session)
        _save_annotation(session, "Probable air intake (my reading)")
        _edit_label(session, "Probable air intake (my reading)", "Probable air intake")
        _upload(session, geojson)
        _upload(session, csv)
        _upload(session, kml)
        assert session.dialogs == [] and session.errors == []
    finally:
        session.close()
        server.close()  # stops the app: what follows is a fresh process on the same store

    server = start_app(None, data_dir)
    url = next(server)
    session = Session(browser, tmp_path)
    try:
        frame = session.open(f"{url}/?lat={SAYDNAYA[0]}&lon={SAYDNAYA[1]}&z=15")
        drawn = {
            layer: len(labels)
            for layer, labels in session.drawn_layers(frame).items()
            if layer not in ("place", "imagery", "feature", "event")
        }
        assert drawn == {"Annotations": 1, "team-sites": 1, "witness-points": 1, "earth-marks": 1}
        # the hostile names of the imported GeoJSON, CSV and KML stay text in their tooltips
        for (lat, lon), shown in (
            ((33.66, 36.33), "<img src=x"),
            ((33.6662, 36.3271), "<script>window.pwned=7</script>"),
            ((33.6641, 36.3262), "<img src=x onerror=alert(8)>"),
        ):
            session.page.mouse.move(*session.screen_point(frame, lat, lon))
            tooltip = frame.locator(".leaflet-tooltip", has_text=shown)
            tooltip.wait_for(timeout=10_000)
            session.page.mouse.move(5, 5)
        assert frame.evaluate("() => window.pwned") is None
        assert session.page.evaluate("() => window.pwned") is None

        geojson_export = session.download(fmt="GeoJSON", everything=True, manifest=False)
        if shutil.which("ogrinfo"):
            info = subprocess.run(
                ["ogrinfo", "-ro", "-al", "-so", str(geojson_export)],
                capture_output=True,
                text=True,
                check=True,
            )
            assert "Feature Count: 23" in info.stdout

        kml = session.download(fmt="KML (Google Earth)", everything=True, manifest=True)
        with zipfile.ZipFile(kml) as archive:
            names = archive.namelist()
            manifest = json.loads(archive.read("manifest.json"))
            archive.extractall(tmp_path / "unzipped")
        assert any(name.endswith(".kml") for name in names)
        assert manifest["record_counts"]["total"] == 19 + 4
        assert any(d["role"] == "imported file" for d in manifest["derived_from"])
        if shutil.which("ogrinfo"):
            kml_file = next((tmp_path / "unzipped").glob("*.kml"))
            info = subprocess.run(
                ["ogrinfo", "-ro", "-al", "-so", str(kml_file)],
                capture_output=True,
                text=True,
                check=True,
            )
            assert "Feature Count" in info.stdout
        assert session.remote == [] and session.dialogs == [] and session.errors == []
    finally:
        session.close()
        server.close()

    verify = subprocess.run(
        [sys.executable, "-m", "geo", "verify"],
        env={"GEO_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert verify.returncode == 0, verify.stderr


def test_a_hostile_file_is_refused_with_reasons(session: Session, tmp_path: Path, data_dir: Path):
    server = start_app(None, data_dir)
    url = next(server)
    try:
        session.open(url)
        bad = tmp_path / "bad.geojson"
        bad.write_text(
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
            '{"name": "<script>window.pwned=1</script>"}, "geometry": {"type": "Point", '
            '"coordinates": [200, 33]}}]}',
            encoding="utf-8",
        )
        session.tab("Import")
        session.page.locator(LAYER_UPLOADER).set_input_files(str(bad))
        session.page.get_by_text("was not imported").wait_for(timeout=30_000)
        assert session.page.get_by_role("button", name="Store as a new layer").count() == 0
        assert session.page.evaluate("() => window.pwned") is None
        assert session.dialogs == []
        # the next file, chosen in its place, is offered under its own name, not bad's
        good = tmp_path / "checkpoints.geojson"
        good.write_text(
            '{"type": "Feature", "properties": {"name": "Checkpoint"}, '
            '"geometry": {"type": "Point", "coordinates": [36.3, 33.6]}}',
            encoding="utf-8",
        )
        session.page.locator(LAYER_UPLOADER).set_input_files(str(good))
        session.page.get_by_text("1 record read from checkpoints.geojson").wait_for(timeout=30_000)
        name = session.page.get_by_role("textbox", name="Layer name")
        assert name.input_value() == "checkpoints"
    finally:
        server.close()
