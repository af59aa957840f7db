"""A throw-away PostgreSQL server with PostGIS for the tests: Debian's binaries, a
temporary folder, a Unix socket there, and nothing kept afterwards.

initdb refuses to run as root (CI runs as root), so the server then runs as the
``postgres`` user that Debian's package creates. Each test gets its own database,
copied from a template that already has PostGIS (CREATE EXTENSION takes a second;
a copy takes a few milliseconds).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

BIN_DIRS = [Path(f"/usr/lib/postgresql/{major}/bin") for major in (17, 16, 15)]
POSTGIS_CONTROL = "extension/postgis.control"
TEMPLATE = "geo_template"
PORT = 5432  # only in the socket's name: the server listens on no TCP port


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


class Server:
    def __init__(self, binaries: Path, folder: Path) -> None:
        self.binaries = binaries
        self.folder = folder  # holds the data folder and the socket
        self.data = folder / "data"

    @property
    def user(self) -> str:
        return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.folder}&port={PORT}"

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            _as_server_user([str(self.binaries / command[0]), *command[1:]]),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8")
        # The store keeps a pool of connections per database, and every test has its own.
        options = (
            f"-k {self.folder} -p {PORT} -c listen_addresses='' -c fsync=off -c max_connections=400"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.folder / "log"),
            "start",
        )
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        with psycopg.connect(self._conninfo(TEMPLATE), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def _conninfo(self, database: str) -> str:
        return f"host={self.folder} port={PORT} user={self.user} dbname={database}"

    @contextmanager
    def admin(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as conn:
            yield conn

    def new_database(self) -> str:
        """A fresh database with PostGIS; returns its SQLAlchemy URL."""
        name = f"store_{uuid.uuid4().hex[:12]}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)


@contextmanager
def running_server() -> Iterator[Server | None]:
    """A started server, stopped and removed afterwards; None if PostgreSQL or PostGIS
    is not installed here (an error under CI=true, where .ci/run installs them)."""
    binaries = bin_dir()
    if binaries is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError(
                "PostgreSQL with PostGIS is not installed (postgresql-15-postgis-3): "
                ".ci/run installs it; the store's tests need it in CI"
            )
        yield None
        return
    # Under /tmp, not pytest's tmp_path: the postgres user must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="geo-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = Server(binaries, folder)
    try:
        server.start()
        yield server
    finally:
        try:
            if (server.data / "postmaster.pid").exists():
                server.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
