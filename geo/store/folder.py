"""Where a store lives: a folder holding ``store.sqlite3`` and ``files/``."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Final

DB_NAME: Final = "store.sqlite3"
FILES_DIR: Final = "files"
ENV_DATA_DIR: Final = "GEO_DATA_DIR"
# The repository: geo/store/folder.py is three levels below it.
_REPOSITORY: Final = Path(__file__).resolve().parent.parent.parent


def default_data_dir() -> Path:
    """``$GEO_DATA_DIR`` if set, else ``geo-data/`` in the repository (ignored by git)."""
    configured = os.environ.get(ENV_DATA_DIR, "").strip()
    if configured:
        return Path(configured).expanduser()
    return _REPOSITORY / "geo-data"


def can_write(folder: Path) -> bool:
    """Whether SQLite may write here: the database and, for its -wal and -shm files, the
    folder. (Root may write anything except on read-only media, which access() reports.)"""
    return os.access(folder, os.W_OK) and os.access(folder / DB_NAME, os.W_OK)


def no_store_message(folder: Path) -> str:
    """Why there is no store in `folder`, and what to do: a missing database beside
    kept files means a database lost, not a store never made."""
    files_dir = folder / FILES_DIR
    with contextlib.suppress(OSError):
        kept = sum(1 for path in files_dir.iterdir() if not path.name.startswith("."))
        if kept:
            return (
                f"no store at {folder}: the database {DB_NAME} is missing, but {files_dir} "
                f"holds {kept} kept file{'s' if kept != 1 else ''}; restore the database "
                "from a backup (nothing was created)"
            )
    return (
        f"no store at {folder}: nothing has been imported there, or {ENV_DATA_DIR} "
        "is mistyped (nothing was created)"
    )
