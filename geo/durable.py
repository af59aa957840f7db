"""Writing files so that they survive a crash or a power cut once written."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a new or removed name in `folder` durable, not just the file's bytes.

    Not possible on Windows, where opening a folder fails: there it does nothing.
    """
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
