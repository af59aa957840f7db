"""A throw-away PostgreSQL server with PostGIS for the tests: a `Cluster` in a
temporary folder, a Unix socket there, and nothing kept afterwards.

Each test gets its own database, copied from a template that already has PostGIS
(CREATE EXTENSION takes a second; a copy takes a few milliseconds).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geo.store.cluster import INSTALL_HINT, Cluster, bin_dir

TEMPLATE = "geo_template"
# fsync off: nothing here must survive a power cut. The store keeps a pool of
# connections per database, and every test has its own.
SETTINGS = ("fsync=off", "max_connections=400")


class Server(Cluster):
    def start_fresh(self) -> None:
        self.make()
        self.start(*SETTINGS)
        self.create_database(TEMPLATE)

    def restart(self) -> None:
        self.start(*SETTINGS)

    def new_database(self) -> str:
        """A fresh database with PostGIS; returns its SQLAlchemy URL."""
        name = f"store_{uuid.uuid4().hex[:12]}"
        self.create_database(name, template=TEMPLATE)
        return self.url(name)


@contextmanager
def running_server() -> Iterator[Server | None]:
    """A started server, stopped and removed afterwards; None if PostgreSQL or PostGIS
    is not installed here (an error under CI=true, where .ci/run installs them)."""
    binaries = bin_dir()
    if binaries is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError(
                f"PostgreSQL with PostGIS is not installed ({INSTALL_HINT}): "
                ".ci/run installs it; the store's tests need it in CI"
            )
        yield None
        return
    # Under /tmp, not pytest's tmp_path: the postgres user must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="geo-pg-"))
    server = Server(binaries, folder)
    try:
        server.start_fresh()
        yield server
    finally:
        try:
            if server.running:
                server.stop("immediate")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
