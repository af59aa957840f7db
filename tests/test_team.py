"""The team command's set-up (scripts/team.py): a cluster made in a folder, the
database with PostGIS, a researcher's store moved in, and no app without sign-in."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from geo.store import Store
from geo.store.cluster import bin_dir
from scripts import team
from tests.test_relocate import researchers_store


@pytest.fixture
def team_folder():
    if bin_dir() is None:
        pytest.skip("PostgreSQL with PostGIS is not installed (postgresql-15-postgis-3)")
    # Under /tmp and open to enter: as root, the cluster runs as the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="geo-team-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_team_command_sets_up_the_server_and_moves_a_store_in(
    team_folder, tmp_path, monkeypatch, capsys
):
    source = researchers_store(tmp_path / "laptop")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "https://evidence.example.org/oauth2callback"\n')
    monkeypatch.setattr(team, "SECRETS", secrets)
    monkeypatch.delenv("GEO_DATA_DIR")  # team.main sets both; monkeypatch restores them
    monkeypatch.setenv("GEO_DATABASE_URL", "")
    code = team.main(["--folder", str(team_folder), "--migrate", f"sqlite:///{source.db_path}"])
    out, err = capsys.readouterr()
    # The store moved in; the app was not started, sign-in being incomplete.
    assert code == 1
    assert "cookie_secret" in err and "client_id" in err and "redirect_uri" not in err
    latest = source.latest()
    assert latest is not None and latest.hash in out
    cluster = team.Cluster.installed(team_folder / "postgres")
    assert cluster.made and not cluster.running  # stopped again, cleanly
    cluster.start()
    try:
        moved = Store.open_existing(team_folder / "data", database_url=cluster.url("evidence"))
        assert moved.latest() == latest and moved.verify() == []
        assert os.environ["GEO_DATABASE_URL"] == cluster.url("evidence")
    finally:
        cluster.stop()
