"""Team mode: the role rules (geo.access), and the store applying them inside its
write transactions on SQLite and PostgreSQL (geo.store.members)."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from geo.access import (
    AccessDenied,
    Actor,
    Identity,
    Role,
    edit_refusal,
    identity_from_claims,
    is_local_address,
    manage_refusal,
    startup_problems,
    team_mode,
    write_refusal,
)
from geo.errors import DataError, StoreError
from geo.store import RECORD_BY, Action, HistoryEntry, Store
from tests.store_worker import annotation

ISSUER = "http://127.0.0.1:9400"
CASE = "saydnaya"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a long random secret",
    "client_id": "explorer",
    "client_secret": "secret",
    "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
}


def person(name: str, case: str = CASE) -> Actor:
    return Actor(Identity(ISSUER, f"sub-{name}", f"{name}@example.org", name.title()), case)


ANN, BEN, VIV, LEA = (person(name) for name in ("ann", "ben", "viv", "lea"))


# --- the rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "may_write"),
    [(None, False), (Role.VIEWER, False), (Role.ANALYST, True), (Role.LEAD, True)],
)
def test_who_may_add(role, may_write):
    assert (write_refusal(role, CASE) is None) is may_write


ME, OTHER = (Identity(ISSUER, f"sub-{n}", f"{n}@example.org") for n in ("me", "other"))


@pytest.mark.parametrize(
    ("role", "owner", "record_case", "may_edit"),
    [
        (Role.ANALYST, ME.key, CASE, True),
        (Role.ANALYST, OTHER.key, CASE, False),
        (Role.ANALYST, None, CASE, False),  # made in solo mode
        # made on the command line by a member named with my e-mail, or with another's
        (Role.ANALYST, Identity.named("Me@Example.org").key, CASE, True),
        (Role.ANALYST, Identity.named("other@example.org").key, CASE, False),
        (Role.LEAD, OTHER.key, CASE, True),
        (Role.LEAD, None, CASE, True),
        (Role.VIEWER, ME.key, CASE, False),  # a viewer cannot edit even what they once made
        (None, ME.key, CASE, False),  # nor can a removed member
        # a record of another case is changed only from there, whatever the role here
        (Role.ANALYST, ME.key, "another case", False),
        (Role.LEAD, OTHER.key, "another case", False),
        # made before cases were recorded: shown on every case, so a lead's
        (Role.ANALYST, ME.key, None, False),
        (Role.LEAD, OTHER.key, None, True),
        (Role.VIEWER, ME.key, None, False),
    ],
)
def test_who_may_edit(role, owner, record_case, may_edit):
    assert (edit_refusal(role, CASE, ME, owner, record_case) is None) is may_edit


def test_an_unverified_email_owns_nothing_named_with_it():
    unverified = replace(ME, email_verified=False)
    assert not unverified.owns(Identity.named(ME.email).key) and unverified.owns(ME.key)


def test_a_provider_cannot_pass_for_a_named_member():
    assert identity_from_claims({"iss": "mailto", "sub": "me@example.org"}) is None


@pytest.mark.parametrize(
    ("role", "may_manage"),
    [(None, False), (Role.VIEWER, False), (Role.ANALYST, False), (Role.LEAD, True)],
)
def test_only_a_lead_manages_members(role, may_manage):
    assert (manage_refusal(role, CASE) is None) is may_manage


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({}, None),  # not signed in
        ({"is_logged_in": False}, None),
        ({"iss": ISSUER}, None),
        (
            {"iss": ISSUER, "sub": "42", "email": " Ann@Example.org ", "name": "Ann"},
            Identity(ISSUER, "42", "ann@example.org", "Ann"),
        ),
        (
            {"iss": ISSUER, "sub": "42", "email": "a@b.org", "email_verified": False},
            Identity(ISSUER, "42", "a@b.org", "", email_verified=False),
        ),
        ({"iss": ISSUER, "sub": 42}, None),
    ],
)
def test_identity_from_claims(claims, expected):
    assert identity_from_claims(claims) == expected


def test_the_signature_names_the_person():
    assert ANN.identity.signature == "Ann <ann@example.org>"
    assert Identity(ISSUER, "7").signature == "7"


@pytest.mark.parametrize(
    ("env", "team"),
    [
        ({}, False),
        ({"GEO_DATABASE_URL": "postgresql://db/x"}, True),
        ({"GEO_DATABASE_URL": "  "}, False),
        ({"GEO_TEAM": "1"}, True),
        ({"GEO_TEAM": "0"}, False),
    ],
)
def test_team_mode(env, team):
    assert team_mode(env) is team


@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_local_addresses(address, local):
    assert is_local_address(address) is local


@pytest.mark.parametrize(
    ("team", "address", "auth", "refused"),
    [
        (False, "127.0.0.1", None, []),
        (False, "0.0.0.0", None, ["listens on this machine only"]),
        (False, None, None, ["every network interface"]),
        (False, "0.0.0.0", AUTH, []),
        (True, "127.0.0.1", None, ["team mode", "no [auth] section"]),
        (True, "127.0.0.1", {"client_id": "x"}, ["lacks redirect_uri, cookie_secret"]),
        (True, "0.0.0.0", None, ["team mode", "listens on this machine only"]),
        (True, "0.0.0.0", AUTH, []),
    ],
)
def test_startup_refusals(team, address, auth, refused):
    problems = startup_problems(team=team, address=address, auth=auth)
    assert bool(problems) is bool(refused)
    for words in refused:
        assert words in " ".join(problems)


# --- the store ---------------------------------------------------------------------------


@pytest.fixture
def team_store(tmp_path: Path, database_url: str) -> Store:
    store = Store.open(tmp_path / "data", team=True)
    store.set_member(CASE, LEA.identity.email, Role.LEAD, by=None)  # the administrator
    for actor, role in ((ANN, Role.ANALYST), (BEN, Role.ANALYST), (VIV, Role.VIEWER)):
        store.set_member(CASE, actor.identity.email, role, by=LEA)
    return store


def record_entries(store: Store) -> list[HistoryEntry]:
    """The history but for the changes of members."""
    return [entry for entry in store.history() if entry.action != Action.MEMBER]


def test_members_and_roles(team_store):
    assert [(m.email, m.role) for m in team_store.members(CASE)] == [
        ("ann@example.org", Role.ANALYST),
        ("ben@example.org", Role.ANALYST),
        ("lea@example.org", Role.LEAD),
        ("viv@example.org", Role.VIEWER),
    ]
    assert team_store.role(CASE, ANN.identity) == Role.ANALYST
    assert team_store.role("another case", ANN.identity) is None
    stranger = Identity(ISSUER, "sub-x", "x@example.org")
    assert team_store.role(CASE, stranger) is None


def test_two_analysts_annotate_and_each_sees_the_others(team_store):
    team_store.add(annotation(1, "ann"), analyst=ANN)
    team_store.add(annotation(1, "ben"), analyst=BEN)
    assert {r.id for r in team_store.records()} == {"ann-1", "ben-1"}
    assert [e.analyst for e in record_entries(team_store)] == [
        "Ann <ann@example.org>",
        "Ben <ben@example.org>",
    ]
    assert team_store.verify() == []


def test_a_viewers_crafted_write_is_refused_by_the_store(team_store):
    team_store.add(annotation(1, "ann"), analyst=ANN)
    before = (team_store.records(), team_store.history())
    with pytest.raises(AccessDenied, match="viewers"):
        team_store.add(annotation(2, "viv"), analyst=VIV)
    with pytest.raises(AccessDenied, match="viewers"):
        team_store.edit("ann-1", analyst=VIV, name="renamed")
    with pytest.raises(AccessDenied, match="viewers"):
        team_store.delete("ann-1", analyst=VIV)
    with pytest.raises(AccessDenied, match="viewers"):
        team_store.import_layer(
            "Viv's layer", [annotation(3, "viv")], analyst=VIV, file_name="a.kml", file_bytes=b"x"
        )
    with pytest.raises(AccessDenied, match="lead"):
        team_store.set_member(CASE, VIV.identity.email, Role.LEAD, by=VIV)
    assert (team_store.records(), team_store.history()) == before
    assert team_store.role(CASE, VIV.identity) == Role.VIEWER


def test_a_typed_name_or_a_stranger_cannot_write_to_a_team_store(team_store):
    with pytest.raises(AccessDenied, match="signed-in identity"):
        team_store.add(annotation(1, "typed"), analyst="Ann")
    stranger = Actor(Identity(ISSUER, "sub-x", "x@example.org"), CASE)
    with pytest.raises(AccessDenied, match="not a member"):
        team_store.add(annotation(1, "x"), analyst=stranger)
    # membership is per case
    with pytest.raises(AccessDenied, match="not a member"):
        team_store.add(annotation(1, "ann"), analyst=person("ann", "another case"))
    assert team_store.records() == []


def test_an_analyst_edits_only_their_own_and_a_lead_any_keeping_both_names(team_store):
    team_store.add(annotation(1, "ann"), analyst=ANN)
    team_store.edit("ann-1", analyst=ANN, name="Ann's own edit")
    with pytest.raises(AccessDenied, match="only their own"):
        team_store.edit("ann-1", analyst=BEN, name="Ben's edit")
    with pytest.raises(AccessDenied, match="only their own"):
        team_store.delete("ann-1", analyst=BEN)
    team_store.edit("ann-1", analyst=LEA, name="The lead's edit")
    own, by_lead = record_entries(team_store)[1:]
    assert RECORD_BY not in own.change
    assert by_lead.analyst == "Lea <lea@example.org>"
    assert by_lead.change[RECORD_BY] == "Ann <ann@example.org>"
    team_store.delete("ann-1", analyst=LEA)
    assert team_store.history()[-1].change[RECORD_BY] == "Ann <ann@example.org>"
    assert team_store.verify() == []


def test_imported_records_belong_to_the_importer(team_store):
    records = [annotation(i, "imp") for i in range(2)]
    team_store.import_layer("Ben's layer", records, analyst=BEN, file_name="b.kml", file_bytes=b"b")
    team_store.edit("imp-0", analyst=BEN, name="renamed by Ben")
    with pytest.raises(AccessDenied):
        team_store.edit("imp-1", analyst=ANN, name="renamed by Ann")
    team_store.edit("imp-1", analyst=LEA, name="renamed by the lead")
    assert team_store.history()[-1].change[RECORD_BY] == "Ben <ben@example.org>"
    assert team_store.verify() == []


def test_a_member_is_bound_to_the_identity_that_first_signs_in_with_the_email(team_store):
    team_store.add(annotation(1, "ann"), analyst=ANN)
    assert next(m for m in team_store.members(CASE) if m.email == "ann@example.org").signed_in
    # another account with the same e-mail (another provider) is not Ann
    impostor = Actor(Identity("http://elsewhere", "sub-ann", "ann@example.org", "Ann"), CASE)
    assert team_store.role(CASE, impostor.identity) is None
    with pytest.raises(AccessDenied, match="not a member"):
        team_store.add(annotation(2, "ann"), analyst=impostor)
    # nor does an unverified e-mail make anyone a member
    unverified = Identity(ISSUER, "sub-new", "new@example.org", email_verified=False)
    team_store.set_member(CASE, "new@example.org", Role.ANALYST, by=LEA)
    assert team_store.role(CASE, unverified) is None


def test_managing_members(team_store):
    with pytest.raises(AccessDenied, match="only a lead"):
        team_store.set_member(CASE, "x@example.org", Role.ANALYST, by=ANN)
    with pytest.raises(StoreError, match="only lead"):
        team_store.set_member(CASE, LEA.identity.email, Role.ANALYST, by=LEA)
    with pytest.raises(StoreError, match="only lead"):
        team_store.remove_member(CASE, LEA.identity.email, by=LEA)
    with pytest.raises(DataError, match="not an e-mail"):
        team_store.set_member(CASE, "not an address", Role.VIEWER, by=LEA)
    team_store.set_member(CASE, "ANN@example.org", Role.LEAD, by=LEA)
    assert team_store.role(CASE, ANN.identity) == Role.LEAD
    team_store.remove_member(CASE, LEA.identity.email, by=ANN)
    assert team_store.role(CASE, LEA.identity) is None
    with pytest.raises(StoreError, match="not a member"):
        team_store.remove_member(CASE, "nobody@example.org", by=ANN)
    with pytest.raises(AccessDenied, match="not 'other'"):
        team_store.set_member("other", "x@example.org", Role.VIEWER, by=ANN)


OTHER = "another case"


def test_each_record_belongs_to_the_case_it_was_made_in(team_store):
    """An analyst of one case cannot change another case's record, even by calling the
    store with their own case's identity: the role is read on the record's case."""
    team_store.set_member(OTHER, "otto@example.org", Role.LEAD, by=None)
    otto = person("otto", OTHER)
    team_store.add(annotation(1, "otto"), analyst=otto)
    team_store.add(annotation(1, "ann"), analyst=ANN)
    assert team_store.made_in("otto-1") == (otto.identity.key, OTHER)
    assert team_store.made_in("ann-1") == (ANN.identity.key, CASE)
    # each case's view holds its own records only
    assert [r.id for r in team_store.for_case(CASE).records()] == ["ann-1"]
    assert [r.id for r in team_store.for_case(OTHER).records()] == ["otto-1"]
    before = (team_store.records(), team_store.history())
    for who in (ANN, LEA):  # an analyst, and even a lead, of the case the page shows
        with pytest.raises(AccessDenied, match="belongs to the case 'another case'"):
            team_store.edit("otto-1", analyst=who, name="renamed from the wrong case")
        with pytest.raises(AccessDenied, match="belongs to the case 'another case'"):
            team_store.delete("otto-1", analyst=who)
        with pytest.raises(AccessDenied, match="belongs to the case 'another case'"):
            team_store.for_case(CASE).edit("otto-1", analyst=who, name="renamed")
    # a store opened for one case does not write for another's actor
    with pytest.raises(AccessDenied, match="not 'another case'"):
        team_store.for_case(OTHER).add(annotation(2, "ann"), analyst=ANN)
    assert (team_store.records(), team_store.history()) == before


def test_a_layer_imported_in_a_case_takes_no_record_from_another(team_store):
    team_store.set_member(OTHER, "otto@example.org", Role.LEAD, by=None)
    otto = person("otto", OTHER)
    team_store.import_layer(
        "Otto's layer", [annotation(0, "imp")], analyst=otto, file_name="o.kml", file_bytes=b"o"
    )
    drawn = replace(annotation(1, "ann"), layer="Otto's layer")
    with pytest.raises(StoreError, match="imported in the case 'another case'"):
        team_store.add(drawn, analyst=ANN)
    team_store.add(replace(drawn, id="otto-2"), analyst=otto)  # its own case adds to it
    assert [i.name for i in team_store.for_case(CASE).layers(of_case=True)] == []
    [layer] = team_store.for_case(OTHER).layers(of_case=True)
    assert (layer.name, layer.count, layer.all_cases) == ("Otto's layer", 2, False)
    # the annotations layer holds every case's drawings, each of its own case
    team_store.add(annotation(1, "ann"), analyst=ANN)
    team_store.add(annotation(1, "otto"), analyst=otto)
    assert [r.id for r in team_store.for_case(CASE).records()] == ["ann-1"]
    assert team_store.verify() == []


def test_solo_mode_is_unchanged(tmp_path):
    store = Store.open(tmp_path / "data")
    store.add(annotation(1, "ann"), analyst="Ann")
    store.edit("ann-1", analyst="Ben", name="renamed")
    assert RECORD_BY not in store.history()[-1].change
    assert store.members(CASE) == []


def test_the_command_line_sets_the_first_lead(database_url, capsys):
    from geo.cli import main

    assert (
        main(["members", "add", "--case", CASE, "--email", "Lea@Example.org", "--role", "lead"])
        == 0
    )
    assert (
        main(["members", "add", "--case", CASE, "--email", "ann@example.org", "--role", "viewer"])
        == 0
    )
    assert main(["members", "list", "--case", CASE]) == 0
    out = capsys.readouterr().out
    assert "lead     lea@example.org (has not signed in yet)" in out
    assert "viewer   ann@example.org" in out
    # the only lead cannot be removed: said as a message, not a traceback
    assert main(["members", "remove", "--case", CASE, "--email", "lea@example.org"]) == 1
    assert "only lead" in capsys.readouterr().err
    assert main(["members", "remove", "--case", CASE, "--email", "ann@example.org"]) == 0
    store = Store.open_existing(Path(os.environ["GEO_DATA_DIR"]))
    assert [m.email for m in store.members(CASE)] == ["lea@example.org"]


# --- starting the app (ui.startup, as scripts/serve.py calls it) ---------------------------


def _secrets(folder: Path, auth: dict[str, str] | None) -> None:
    (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
    lines = ["[auth]", *(f'{key} = "{value}"' for key, value in auth.items())] if auth else []
    (folder / ".streamlit" / "secrets.toml").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("argv", "env", "auth", "started_with", "refused"),
    [
        (["run", "server.py"], {}, None, ["--server.address=127.0.0.1"], None),
        (["run", "server.py", "--server.address=::1"], {}, None, [], None),
        (["run", "server.py", "--server.address", "0.0.0.0"], {}, None, None, "listens on"),
        (["run", "server.py"], {"STREAMLIT_SERVER_ADDRESS": "10.0.0.2"}, None, None, "10.0.0.2"),
        (["run", "server.py"], {"GEO_TEAM": "1"}, None, None, "team mode"),
        (["run", "server.py"], {"GEO_TEAM": "1"}, AUTH, [], None),
        (["run", "server.py", "--server.address=0.0.0.0"], {"GEO_TEAM": "1"}, AUTH, [], None),
        (["--version"], {"GEO_TEAM": "1"}, None, [], None),
    ],
)
def test_the_app_starts_only_as_it_may(tmp_path, argv, env, auth, started_with, refused):
    from ui.startup import checked_arguments

    project, home = tmp_path / "project", tmp_path / "home"
    _secrets(project, auth)
    if refused:
        with pytest.raises(SystemExit, match=re.escape(refused)):
            checked_arguments(argv, env, project, home)
    else:
        assert checked_arguments(argv, env, project, home) == argv + started_with


def test_the_address_in_streamlits_config_counts(tmp_path):
    from ui.startup import checked_arguments

    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text('[server]\naddress = "0.0.0.0"\n')
    with pytest.raises(SystemExit, match=re.escape("0.0.0.0")):
        checked_arguments(["run", "app.py"], {}, tmp_path, tmp_path / "home")


def test_serve_refuses_team_mode_without_sign_in(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "serve.py"), "run", str(root / "server.py")],
        cwd=tmp_path,
        env={**os.environ, "GEO_TEAM": "1", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "team mode" in done.stderr and "[auth]" in done.stderr
