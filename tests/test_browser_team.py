"""Team mode end to end: the app on PostgreSQL with sign-in through a local OpenID
Connect provider (oidc-provider-mock, on 127.0.0.1), two analysts in two browsers
annotating one case at once, one commenting on the other's record, and a viewer who
cannot annotate."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.access import Role
from geo.store import Store
from tests.browser import Session, free_port, start_app
from tests.oidc import auth_secrets, sign_in
from tests.test_browser_evidence import _draw_polygon, _save_annotation

pytestmark = pytest.mark.browser

CASE = "saydnaya"


def test_two_analysts_annotate_one_case_and_a_viewer_cannot(
    browser, tmp_path: Path, database_url: str, provider: str
):
    if not database_url:
        pytest.skip("the team's store is PostgreSQL")
    data_dir = tmp_path / "store"
    store = Store.open(data_dir, team=True)
    for name, role in (("ann", Role.ANALYST), ("ben", Role.ANALYST), ("viv", Role.VIEWER)):
        store.set_member(CASE, f"{name}@example.org", role, by=None)
    port = free_port()
    secrets = auth_secrets(
        tmp_path / "secrets.toml", f"http://127.0.0.1:{port}/oauth2callback", provider
    )
    server = start_app(
        None, data_dir, {"GEO_TEAM": "1"}, port=port, extra_args=[f"--secrets.files={secrets}"]
    )
    url = next(server)
    sessions = [Session(browser, tmp_path) for _ in range(3)]
    ann, ben, viv = sessions
    try:
        for session, who in zip(sessions, ("ann", "ben", "viv"), strict=True):
            sign_in(session, url, who)
        for session in (ann, ben):
            session.map_frame_with(".leaflet-container", timeout_s=60)
        # both draw before either saves: one case, at once
        _draw_polygon(ann)
        _draw_polygon(ben)
        _save_annotation(ann, "Ann's reading")
        _save_annotation(ben, "Ben's reading")
        for session in (ann, ben):
            session.wait_idle()
        names = {record.name: record.properties["analyst"] for record in store.records()}
        assert names == {
            "Ann's reading": "Ann <ann@example.org>",
            "Ben's reading": "Ben <ben@example.org>",
        }
        # after a rerun each sees the other's
        for session in (ann, ben):
            session.page.reload()
            session.page.get_by_text("Signed in as").wait_for(timeout=60_000)
            session.wait_idle()
            assert session.metric("Your records") == "2 of 2"
            # the record search finds the other's annotation (the History tab is a grid
            # drawn on a canvas: its text is not in the page)
            session.page.get_by_role("textbox", name="Find a record").fill("reading")
            session.page.get_by_role("textbox", name="Find a record").press("Enter")
            session.wait_idle()
            session.page.get_by_test_id("stSelectbox").filter(has_text="Selected record").click()
            for label in ("Ann's reading", "Ben's reading"):
                session.page.get_by_role("option", name=label).first.wait_for(timeout=30_000)
            session.page.keyboard.press("Escape")
        # Ben comments on Ann's record, which he may not edit
        ann_id = next(record.id for record in store.records() if record.name == "Ann's reading")
        ben.page.get_by_test_id("stSelectbox").filter(has_text="Selected record").click()
        ben.page.get_by_role("option", name="Ann's reading").first.click()
        ben.wait_idle()
        ben.page.locator('textarea[aria-label="Your comment"]').fill("Ben doubts <b>Ann's</b> date")
        ben.page.get_by_role("button", name="Add comment").click()
        ben.page.get_by_text("Ben doubts <b>Ann's</b> date").wait_for(timeout=30_000)
        assert [(c.analyst, c.text) for c in store.comments(ann_id)] == [
            ("Ben <ben@example.org>", "Ben doubts <b>Ann's</b> date")
        ]
        # the viewer is told why, and cannot draw
        viv.page.get_by_text("Your role on this case: viewer").wait_for(timeout=30_000)
        viv.page.reload()
        viv.page.get_by_text("Your role on this case: viewer").wait_for(timeout=60_000)
        viv.wait_idle()
        assert viv.metric("Your records") == "2 of 2"  # reads everyone's
        toggle = viv.page.locator('label:has-text("Draw and annotate") input')
        assert toggle.is_disabled()
        viv.page.screenshot(path=str(tmp_path / "viewer.png"))
        assert len(store.records()) == 2
        assert store.verify() == []
        for session in sessions:
            assert session.errors == []
    finally:
        for session in sessions:
            session.close()
        server.close()
