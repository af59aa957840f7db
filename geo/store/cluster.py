"""A PostgreSQL cluster with PostGIS in a folder of this machine, from Debian's
packages (``postgresql-15-postgis-3``): the team server on one machine
(``python3 scripts/dev.py team``) and the tests' throw-away server
(tests/postgres.py) both start theirs here.

The server listens on a Unix socket in the folder only, on no TCP port, so only
this machine's users who may enter the folder reach it; the owner of the folder
connects as themself without a password (``trust`` on the socket). initdb refuses
to run as root, so as root the server runs as the ``postgres`` user that Debian's
package creates, which then owns the folder.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import psycopg

from geo.errors import StoreError

BIN_DIRS: Final = [Path(f"/usr/lib/postgresql/{major}/bin") for major in (17, 16, 15)]
POSTGIS_CONTROL: Final = "extension/postgis.control"
PORT: Final = 5432  # only in the socket's name: the server listens on no TCP port
INSTALL_HINT: Final = "apt-get install postgresql-15-postgis-3"


def bin_dir() -> Path | None:
    """The folder of the newest PostgreSQL with PostGIS installed, or None."""
    for folder in BIN_DIRS:
        share = Path("/usr/share/postgresql") / folder.parent.name
        if (folder / "initdb").is_file() and (share / POSTGIS_CONTROL).is_file():
            return folder
    return None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class Cluster:
    """The cluster whose data and socket are in `folder`."""

    def __init__(self, binaries: Path, folder: Path) -> None:
        self.binaries = binaries
        self.folder = folder  # holds the data folder, the socket and the log
        self.data = folder / "data"

    @classmethod
    def installed(cls, folder: Path) -> Cluster:
        """The cluster in `folder`, with the newest PostgreSQL with PostGIS installed;
        StoreError if there is none."""
        binaries = bin_dir()
        if binaries is None:
            raise StoreError(f"PostgreSQL with PostGIS is not installed here ({INSTALL_HINT})")
        return cls(binaries, folder)

    @property
    def user(self) -> str:
        return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this cluster (GEO_DATABASE_URL)."""
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.folder}&port={PORT}"

    def conninfo(self, database: str) -> str:
        return f"host={self.folder} port={PORT} user={self.user} dbname={database}"

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            _as_server_user([str(self.binaries / command[0]), *command[1:]]),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise StoreError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    @property
    def made(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").is_file()

    def make(self) -> None:
        """Make the cluster's folder and data (initdb), private to the server's user."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8")

    def start(self, *settings: str) -> None:
        """Start the server and wait until it takes connections; `settings` are extra
        ``name=value`` server settings."""
        options = " ".join(
            [f"-k {self.folder} -p {PORT} -c listen_addresses=''"]
            + [f"-c {setting}" for setting in settings]
        )
        log = str(self.folder / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l", log, "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" rolls back open transactions and shuts down cleanly;
        "immediate" is a crash, recovered from the write-ahead log at the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @contextlib.contextmanager
    def admin(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            yield conn

    def has_database(self, name: str) -> bool:
        with self.admin() as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return found.fetchone() is not None

    def create_database(self, name: str, template: str | None = None) -> None:
        """Make the database `name` (a plain identifier), with PostGIS unless it is
        copied from `template`, which has it."""
        if not name.isidentifier():
            raise StoreError(f"{name!r} is not a plain database name (letters, digits, _)")
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        if template is None:
            with psycopg.connect(self.conninfo(name), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
