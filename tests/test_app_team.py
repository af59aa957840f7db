"""The page in team mode, driven by AppTest. AppTest cannot sign in through a
provider, so the signed-in identity's claims come through `ui.identity.user_claims`,
the seam these tests replace; the sign-in itself is tested in a browser
(tests/test_browser_team.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.identity
from geo.access import Role
from geo.mapview import DrawnShape
from geo.store import Store
from tests.store_worker import annotation
from tests.test_access import AUTH, ISSUER, person

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60
CASE = "saydnaya"  # the shipped case's id
ANN, BEN, VIV = (person(name) for name in ("ann", "ben", "viv"))


@pytest.fixture
def team(monkeypatch, private_store) -> Store:
    monkeypatch.setenv("GEO_TEAM", "1")
    store = Store.open(private_store, team=True)
    store.set_member(CASE, "lea@example.org", Role.LEAD, by=None)
    for actor, role in ((ANN, Role.ANALYST), (BEN, Role.ANALYST), (VIV, Role.VIEWER)):
        store.set_member(CASE, actor.identity.email, role, by=None)
    return store


def page_as(monkeypatch, who: str | None, *, auth: dict | None = AUTH) -> AppTest:
    claims = (
        {}
        if who is None
        else {
            "is_logged_in": True,
            "iss": ISSUER,
            "sub": f"sub-{who}",
            "email": f"{who}@example.org",
            "name": who.title(),
        }
    )
    monkeypatch.setattr(ui.identity, "user_claims", lambda: claims)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if auth is not None:
        at.secrets["auth"] = auth
    return at


def test_team_mode_without_sign_in_configured_shows_nothing(monkeypatch, team):
    at = page_as(monkeypatch, "ann", auth=None).run()
    assert not at.exception
    assert any("requires sign-in" in e.value for e in at.error)
    assert not at.title  # not even the case's title


def test_nothing_is_shown_before_signing_in(monkeypatch, team):
    at = page_as(monkeypatch, None).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert "Saydnaya" not in " ".join(t.value for t in at.title)


def test_an_analyst_signs_with_the_signed_in_identity(monkeypatch, team):
    at = page_as(monkeypatch, "ann")
    at.session_state["pending_shape"] = DrawnShape(
        geometry={"type": "Point", "coordinates": [36.3, 33.6]}, shape="point"
    )
    at.run()
    assert not at.exception
    assert not [t for t in at.text_input if t.key == "analyst"]  # no typed name
    assert any(
        m.value.startswith("Signed in as **Ann") and "example" in m.value
        for m in at.sidebar.markdown
    )
    at.toggle(key="drawing").set_value(True).run()
    at.text_input(key="new_label").set_value("Gate")
    next(b for b in at.button if b.label == "Save annotation").click()
    at.run()
    assert not at.exception
    [saved] = team.records()
    assert saved.properties["analyst"] == "Ann <ann@example.org>"
    assert team.history()[-1].analyst == "Ann <ann@example.org>"
    assert team.owner(saved.id) == ANN.identity.key


def test_a_viewer_cannot_annotate_and_is_told_why(monkeypatch, team):
    at = page_as(monkeypatch, "viv").run()
    assert not at.exception
    toggle = at.toggle(key="drawing")
    assert toggle.proto.disabled and "viewers" in toggle.help
    assert any("viewer" in c.value for c in at.sidebar.caption)
    # a drawing handed in anyway (a crafted session) is refused when saved
    at.session_state["pending_shape"] = DrawnShape(
        geometry={"type": "Point", "coordinates": [36.3, 33.6]}, shape="point"
    )
    at.session_state["drawing"] = True
    at.run()
    assert team.records() == []


def test_an_analyst_cannot_edit_anothers_annotation_but_sees_it(monkeypatch, team):
    team.add(annotation(1, "ann"), analyst=ANN)
    at = page_as(monkeypatch, "ben")
    at.query_params["sel"] = "ann-1"
    at.run()
    assert not at.exception
    assert any("only their own" in c.value for c in at.caption)
    assert not [e for e in at.expander if e.label == "Edit this annotation"]
    at = page_as(monkeypatch, "ann")
    at.query_params["sel"] = "ann-1"
    at.run()
    assert [e for e in at.expander if e.label == "Edit this annotation"]


def test_a_lead_manages_members_in_the_sidebar(monkeypatch, team):
    at = page_as(monkeypatch, "lea").run()
    assert not at.exception
    assert [e for e in at.sidebar.expander if e.label == "Members of this case"]
    at.sidebar.text_input[0].set_value("new@example.org")
    next(b for b in at.sidebar.button if b.label == "Add or change").click()
    at.run()
    assert not at.exception
    assert team.role(CASE, person("new").identity) == Role.ANALYST
    # an analyst has no such section
    at = page_as(monkeypatch, "ann").run()
    assert not [e for e in at.sidebar.expander if e.label == "Members of this case"]


def test_a_signed_in_stranger_sees_nothing_of_the_case(monkeypatch, team):
    """A team's case is read by its members only: one signed in but not a member is
    told to ask the lead, and shown neither the case's title nor its records."""
    at = page_as(monkeypatch, "eve").run()
    assert not at.exception
    assert any("not a member of this case" in w.value for w in at.warning)
    assert not at.title and not at.dataframe
    assert "Sign out" in [b.label for b in at.sidebar.button]
    assert not [c for c in at.caption if c.value.startswith("Shown: ")]


def test_a_lead_gives_a_layer_shown_on_all_cases_to_the_case(monkeypatch, team):
    # a layer imported before records were tied to a case: every case shows it
    old = annotation(1, "old")
    Store.open(team.data_dir).import_layer(
        "Old sites", [old], analyst="Old", file_name="old.kml", file_bytes=b"old"
    )
    section = "Layers shown on all cases (1)"
    at = page_as(monkeypatch, "ann").run()  # an analyst: no such section
    assert not at.exception
    assert not [e for e in at.sidebar.expander if e.label == section]
    at = page_as(monkeypatch, "lea").run()
    assert [e for e in at.sidebar.expander if e.label == section]
    assert any(c.label.startswith("Old sites · all cases") for c in at.sidebar.checkbox)
    give = next(b for b in at.sidebar.button if b.label == "Give to this case")
    give.click().run()  # not confirmed: nothing changes
    assert any("Tick the box" in w.value for w in at.sidebar.warning)
    assert team.made_in(old.id)[1] is None
    confirm = next(
        c for c in at.sidebar.checkbox if c.label == "Other cases will no longer show its records"
    )
    confirm.check()
    next(b for b in at.sidebar.button if b.label == "Give to this case").click().run()
    assert not at.exception
    assert team.made_in(old.id)[1] == CASE
    assert team.history()[-1].analyst == "Lea <lea@example.org>"
    # the layer is now the case's own: no mark, no section
    assert not [e for e in at.sidebar.expander if e.label == section]
    assert any(c.label == "Old sites" for c in at.sidebar.checkbox)
    assert team.verify() == []
