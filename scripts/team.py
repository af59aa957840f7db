"""A team's explorer on one machine: the store in PostgreSQL with PostGIS, sign-in on.

    python3 scripts/dev.py team [--migrate STORE] [--folder geo-team] [STREAMLIT OPTIONS]

1. The database: ``$GEO_DATABASE_URL`` if set (a server you run elsewhere); else a
   cluster in ``FOLDER/postgres`` (made on first use with Debian's
   ``postgresql-15-postgis-3``, started, listening on a Unix socket there only)
   with the database ``evidence`` and PostGIS.
2. ``--migrate STORE`` moves a researcher's store there first (``python -m geo
   migrate``: history, files and hashes unchanged; only into an empty store).
3. The app, on 127.0.0.1 for a reverse proxy in front (README: "A team server"),
   with ``GEO_DATABASE_URL`` set and the kept files in ``FOLDER/data/files`` unless
   ``GEO_FILES_URL`` names another place. Sign-in is the ``[auth]`` section of
   ``.streamlit/secrets.toml``; the app is not started without it.

The cluster this script started is stopped (cleanly) when the app ends.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from pathlib import Path

# In .venv, where geo is installed (scripts/dev.py team runs it there).
from geo.cli import main as geo_main
from geo.store.cluster import Cluster
from geo.store.connection import ENV_DATABASE_URL
from geo.store.folder import ENV_DATA_DIR

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "evidence"
SECRETS = ROOT / ".streamlit" / "secrets.toml"
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


def local_database(folder: Path) -> tuple[str, Cluster | None]:
    """The URL of the team's database, and the cluster started here for it (None if
    it was running already)."""
    cluster = Cluster.installed(folder)
    if not cluster.made:
        print(f"making a PostgreSQL cluster in {folder} …", flush=True)
        cluster.make()
    started = None
    if not cluster.running:
        cluster.start()
        started = cluster
    if not cluster.has_database(DATABASE):
        cluster.create_database(DATABASE)
    return cluster.url(DATABASE), started


def missing_sign_in(secrets: Path) -> list[str]:
    """What the ``[auth]`` section of `secrets` lacks for sign-in (st.login)."""
    try:
        auth = tomllib.loads(secrets.read_text(encoding="utf-8")).get("auth", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return [f"{secrets}: {exc}"]
    return [f"[auth] {key}" for key in AUTH_KEYS if not auth.get(key)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=ROOT / "geo-team")
    parser.add_argument("--migrate", metavar="STORE", help="a researcher's store to move in")
    args, streamlit_options = parser.parse_known_args(argv)
    folder = args.folder.expanduser().resolve()
    url = os.environ.get(ENV_DATABASE_URL, "").strip()
    started = None
    if not url:
        url, started = local_database(folder / "postgres")
    try:
        os.environ[ENV_DATABASE_URL] = url
        os.environ.setdefault(ENV_DATA_DIR, str(folder / "data"))
        if args.migrate and geo_main(["migrate", "--from", args.migrate, "--to", url]) != 0:
            return 1
        missing = missing_sign_in(SECRETS)
        if missing:
            print(
                "not starting the app without sign-in: " + ", ".join(missing) + " missing "
                f"in {SECRETS} (see the README, 'A team server')",
                file=sys.stderr,
            )
            return 1
        command = [sys.executable, str(ROOT / "scripts" / "serve.py"), "run"]
        command += [str(ROOT / "server.py"), "--server.address=127.0.0.1", *streamlit_options]
        return subprocess.call(command, cwd=ROOT)
    finally:
        if started is not None:
            started.stop()


if __name__ == "__main__":
    sys.exit(main())
