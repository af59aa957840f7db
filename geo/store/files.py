"""Kept files: each imported file exactly as received, under ``files/<sha256>``.

A copy is named by its content and never rewritten: written under a temporary
name, made durable (fsync of the file and of the folder), made read-only, then
linked to its final name, so two imports of the same bytes never rewrite each
other's copy and a crash never leaves half a copy under the final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TypeGuard

from geo.durable import fsync_dir
from geo.errors import StoreError


def is_sha256(text: object) -> TypeGuard[str]:
    """Whether `text` is a SHA-256 as the store writes it: 64 lowercase hex digits."""
    return isinstance(text, str) and len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def file_digest(path: Path) -> tuple[str, int]:
    """The SHA-256 and size of the file at `path`, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def keep_file(files_dir: Path, sha256: str, data: bytes) -> None:
    """Keep `data`, whose SHA-256 is `sha256`, in `files_dir`, unless a copy is there.
    OSError if it cannot be written; StoreError if the copy there no longer matches."""
    final = files_dir / sha256
    if final.exists():
        # Same bytes imported before: the copy already kept is the evidence; never
        # replace it, but do not build on a copy that no longer matches its name.
        if file_digest(final) != (sha256, len(data)):
            raise StoreError(
                f"the kept copy {final} no longer matches its SHA-256; run verify() and "
                "restore it from a backup before importing this file again"
            )
        return
    fd, tmp_name = tempfile.mkstemp(dir=files_dir, prefix=f".{sha256[:16]}-", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o444)
        try:
            # link, unlike replace, fails if the name exists: two imports of the
            # same bytes at once never rewrite each other's copy.
            os.link(tmp, final)
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links
            if not final.exists():
                os.replace(tmp, final)
        fsync_dir(files_dir)
    finally:
        tmp.unlink(missing_ok=True)


def kept_copy_problem(files_dir: Path, sha256: str, size: int) -> str | None:
    """What is wrong with the kept copy of the file `sha256` of `size` bytes, or None."""
    path = files_dir / sha256
    if not path.is_file():
        return "missing"
    try:
        actual, actual_size = file_digest(path)
    except OSError as exc:
        return f"cannot be read: {exc}"
    if actual != sha256:
        return f"content changed (SHA-256 is now {short(actual)})"
    if actual_size != size:
        return f"size is {actual_size} bytes, not {size}"
    return None


def short(sha256: str) -> str:
    """A SHA-256 shortened for a message."""
    return f"{sha256[:12]}…"
