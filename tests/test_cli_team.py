"""The command line's writes on a team's store (team mode): `import` of a data file or
an image and `georef --import` act as a member of the case named by e-mail (`--as`),
whose role the store checks inside the write's transaction; on SQLite (GEO_TEAM=1) and
PostgreSQL (GEO_DATABASE_URL)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from geo.access import Actor, Identity, Role
from geo.cli import main
from geo.imagery.synthetic import write_raster
from geo.store import Action, Store, default_data_dir
from geo.synthetic import TINY_META, write_case
from tests.store_worker import annotation

SITES = Path(__file__).parent / "data" / "imports" / "sites.geojson"
CASE = "tiny"
LEAD, ANALYST, VIEWER = "lead@example.org", "ana@example.org", "viv@example.org"


@pytest.fixture
def team_store(database_url, private_store, tmp_path, monkeypatch) -> Store:
    """A team's store (PostgreSQL, or SQLite with GEO_TEAM=1) whose case `CASE` has a
    lead, an analyst and a viewer, and another case `other` beside it."""
    monkeypatch.setenv("GEO_TEAM", "1")
    for case_id in (CASE, "other"):
        meta = copy.deepcopy(TINY_META)
        meta["id"] = case_id
        write_case(tmp_path / "cases" / case_id, meta=meta)
    monkeypatch.setenv("GEO_CASES_DIR", str(tmp_path / "cases"))
    store = Store.open(default_data_dir(), team=True)
    for email, role in ((LEAD, Role.LEAD), (ANALYST, Role.ANALYST), (VIEWER, Role.VIEWER)):
        store.set_member(CASE, email, role, by=None)
    return store


def imported(*extra: str) -> int:
    return main(["import", str(SITES), "--layer", "sites", *extra])


@pytest.mark.parametrize("email", [LEAD, ANALYST.upper()])
def test_a_lead_or_an_analyst_imports_as_themselves(team_store, email, capsys):
    assert imported("--case", CASE, "--as", email) == 0
    assert "as layer 'sites'" in capsys.readouterr().out
    [entry] = [e for e in team_store.history() if e.action == Action.IMPORT]
    assert entry.analyst == email.lower()  # the history names the member as given
    records = team_store.for_case(CASE).records()
    assert records
    owner = Identity.named(email).key
    assert {team_store.made_in(r.id) for r in records} == {(owner, CASE)}
    assert team_store.verify() == []


def test_the_member_edits_in_the_page_what_they_imported_on_the_command_line(team_store, capsys):
    assert imported("--case", CASE, "--as", ANALYST) == 0
    record = team_store.for_case(CASE).records()[0]
    # The same person signed in through the provider, with the e-mail the lead added.
    signed_in = Actor(Identity("https://id.example.org", "sub-ana", ANALYST, "Ana"), CASE)
    edited = team_store.for_case(CASE).edit(record.id, analyst=signed_in, name="Renamed")
    assert edited.name == "Renamed"
    # The import did not bind the membership: the sign-in did, to its own account.
    assert team_store.role(CASE, signed_in.identity) == Role.ANALYST
    [ana] = [m for m in team_store.members(CASE) if m.email == ANALYST]
    assert ana.signed_in


def test_a_member_who_has_signed_in_imports_on_the_command_line_too(team_store, capsys):
    signed_in = Actor(Identity("https://id.example.org", "sub-ana", ANALYST, "Ana"), CASE)
    team_store.for_case(CASE).add(annotation(1, "ana"), analyst=signed_in)  # binds the member
    assert imported("--case", CASE, "--as", ANALYST) == 0
    assert len(team_store.for_case(CASE).records()) > 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--case", CASE, "--as", VIEWER], "viewers of the case 'tiny' can read and export"),
        (["--case", CASE, "--as", "stranger@example.org"], "you are not a member of the case"),
        (["--case", "other", "--as", LEAD], "you are not a member of the case 'other'"),
        (["--case", CASE], "say which member of the case imports with --as EMAIL"),
        (["--as", LEAD], "say which case with --case ID"),
        (["--case", CASE, "--analyst", "Typed Name"], "not a typed name: give --as EMAIL"),
    ],
    ids=["viewer", "not a member", "member of another case", "no --as", "no --case", "typed"],
)
def test_refused_with_nothing_changed(team_store, args, says, capsys):
    before = team_store.latest()
    assert imported(*args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and "nothing was changed" in err
    assert "Traceback" not in err
    assert team_store.latest() == before
    assert team_store.records() == [] and team_store.files() == []


def test_an_image_is_imported_as_a_member_and_refused_for_a_viewer(team_store, tmp_path, capsys):
    tiff = write_raster(tmp_path / "image.tif", np.full((3, 64, 64), 200, dtype=np.uint8))
    facts = ["--date", "2015-01", "--case", CASE]
    assert main(["import", str(tiff), *facts, "--as", VIEWER]) == 2
    assert "viewers of the case" in capsys.readouterr().err
    assert team_store.files() == []
    assert main(["import", str(tiff), *facts, "--as", LEAD]) == 0
    [record] = team_store.for_case(CASE).records()
    assert team_store.made_in(record.id) == (Identity.named(LEAD).key, CASE)


def test_georef_import_needs_a_member_before_it_writes_anything(team_store, tmp_path, capsys):
    out = tmp_path / "out.tif"
    picture = tmp_path / "released.png"
    picture.write_bytes(b"not read: the signer is refused first")
    args = ["georef", str(picture), "--out", str(out), "--import", "--date", "2015"]
    assert main([*args, "--case", CASE]) == 2
    assert "--as EMAIL" in capsys.readouterr().err
    assert not out.exists() and team_store.files() == []


def test_alone_the_command_line_takes_a_typed_name_and_refuses_as(private_store, monkeypatch):
    monkeypatch.delenv("GEO_TEAM", raising=False)
    monkeypatch.setenv("GEO_ANALYST", "Ana Lyst")
    assert imported("--as", ANALYST) == 2
    assert imported() == 0
    store = Store.open(private_store)
    [entry] = [e for e in store.history() if e.action == Action.IMPORT]
    assert entry.analyst == "Ana Lyst"
    assert {store.made_in(r.id)[0] for r in store.records()} == {None}


def test_only_a_lead_assigns_a_layer_of_no_case_on_the_command_line(team_store, capsys):
    # a layer imported before cases were recorded: shown on every case
    record = annotation(0, "old")
    Store.open(team_store.data_dir).import_layer(
        "Old sites", [record], analyst="Old", file_name="old.kml", file_bytes=b"old"
    )
    args = ["assign", "--case", CASE, "--layer", "Old sites"]
    before = team_store.history()
    assert main([*args, "--analyst", "Lead"]) == 2  # a typed name signs nothing in a team
    assert main([*args, "--as", ANALYST]) == 2
    assert "only a lead" in capsys.readouterr().err
    assert team_store.history() == before and team_store.made_in(record.id) == (None, None)
    assert main([*args, "--as", LEAD]) == 0
    assert team_store.made_in(record.id)[1] == CASE
    assert team_store.history()[-1].analyst == LEAD
    assert team_store.verify() == []
