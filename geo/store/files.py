"""Kept files: each imported file exactly as received, named by its SHA-256, in a
folder (``files/<sha256>`` in the data folder, the default) or in an S3-compatible
bucket (`geo.store.bucket`), as the setting ``GEO_FILES_URL`` says.

Both places answer to `KeptFiles`; every read of a copy re-hashes it, so a copy
that no longer matches its name is never handed on as the file received.

In a folder, a copy is named by its content and never rewritten: written under a
temporary name, made durable (fsync of the file and of the folder), made
read-only, then linked to its final name, so two imports of the same bytes never
rewrite each other's copy and a crash never leaves half a copy under the final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol, TypeGuard

from geo.durable import fsync_dir
from geo.errors import StoreError


def is_sha256(text: object) -> TypeGuard[str]:
    """Whether `text` is a SHA-256 as the store writes it: 64 lowercase hex digits."""
    return isinstance(text, str) and len(text) == 64 and all(c in "0123456789abcdef" for c in text)


ENV_FILES_URL: Final = "GEO_FILES_URL"


class KeptFiles(Protocol):
    """Where the store keeps imported files, each under its SHA-256."""

    @property
    def where(self) -> str:
        """The place, for messages."""

    def keep(self, sha256: str, data: bytes) -> None:
        """Keep `data`, whose SHA-256 is `sha256`, unless a copy is there. OSError if it
        cannot be written; StoreError if the copy there no longer matches."""

    def read(self, sha256: str) -> bytes:
        """The kept copy of the file `sha256`; StoreError if it is missing or no longer
        matches its SHA-256."""

    def problem(self, sha256: str, size: int) -> str | None:
        """What is wrong with the kept copy of the file `sha256` of `size` bytes, or None."""

    def names(self) -> list[str]:
        """The names of the copies kept (temporary files left out)."""


def checked_copy(data: bytes, sha256: str, where: str) -> bytes:
    """`data` read from the copy of `sha256` at `where`, if its SHA-256 is that; else
    StoreError, so that a changed copy is never handed on as the file received."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise StoreError(
            f"the kept copy {where} no longer matches its SHA-256 (it is now {short(actual)}): "
            "run verify and restore it from a backup"
        )
    return data


@dataclass(frozen=True)
class FolderFiles:
    """Kept files in a folder of the machine, ``files/`` in the data folder by default."""

    folder: Path

    @property
    def where(self) -> str:
        return str(self.folder)

    def keep(self, sha256: str, data: bytes) -> None:
        keep_file(self.folder, sha256, data)

    def read(self, sha256: str) -> bytes:
        path = self.folder / sha256
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise StoreError(
                f"the kept copy {path} is missing: run verify and restore it from a backup"
            ) from exc
        return checked_copy(data, sha256, str(path))

    def problem(self, sha256: str, size: int) -> str | None:
        return kept_copy_problem(self.folder, sha256, size)

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return [path.name for path in self.folder.iterdir() if not path.name.startswith(".")]


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


def files_url_from_env() -> str:
    """``$GEO_FILES_URL``, or "" for ``files/`` in the data folder."""
    return os.environ.get(ENV_FILES_URL, "").strip()


def kept_files(files_url: str, default_folder: Path) -> KeptFiles:
    """Where the kept files are: `default_folder` if `files_url` is empty, an
    S3-compatible bucket for ``s3://bucket/prefix``, else the folder it names."""
    if not files_url:
        return FolderFiles(default_folder)
    if files_url.startswith("s3://"):
        from geo.store.bucket import BucketFiles  # boto3 only where a bucket is used

        return BucketFiles.from_url(files_url)
    if "://" in files_url and not files_url.startswith("file://"):
        raise StoreError(
            f"{ENV_FILES_URL} must be s3://bucket/prefix or a folder, not {files_url!r}"
        )
    return FolderFiles(Path(files_url.removeprefix("file://")).expanduser())
