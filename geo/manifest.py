"""An export's manifest: what was exported, from what, how, and the hashes to check it.

A researcher hands an export to a colleague, a court or an archive; the
manifest lets them check that the files are the ones exported and trace each
back to the source files it was derived from.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from geo import __version__
from geo.durable import fsync_dir

TOOL = "geo-evidence-explorer"


@dataclass(frozen=True)
class SourceFile:
    """A file an export derives from: a case file, or an imported file kept as received."""

    name: str
    sha256: str
    size: int
    role: str  # "case file" or "imported file"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Digest:
    """What a manifest says of an exported file's bytes: their SHA-256 and size."""

    sha256: str
    size: int

    @classmethod
    def of(cls, data: bytes) -> Digest:
        return cls(sha256_hex(data), len(data))


class HashingWriter:
    """A binary file that passes what is written to `out`, hashing it on the way: the
    digest of a file written a chunk at a time, without reading it back."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._hash = hashlib.sha256()
        self._size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self._size += len(data)
        self._out.write(data)
        return len(data)

    def digest(self) -> Digest:
        return Digest(self._hash.hexdigest(), self._size)


def case_source_files(case_dir: Path) -> list[SourceFile]:
    """Every file of a case folder, with its hash, in a stable order."""
    files = sorted(p for p in case_dir.rglob("*") if p.is_file())
    return [
        SourceFile(
            name=str(path.relative_to(case_dir)),
            sha256=sha256_hex(path.read_bytes()),
            size=path.stat().st_size,
            role="case file",
        )
        for path in files
    ]


def build_manifest(
    exported: Mapping[str, bytes | Digest],
    *,
    case_id: str,
    view: Mapping[str, Any] | None,
    counts: Mapping[str, int],
    sources: list[SourceFile],
    store: Mapping[str, Any] | None = None,
    exported_at: datetime | None = None,
) -> dict[str, Any]:
    """The manifest of `exported` (file name -> exact bytes written, or their `Digest`).

    `store` says what the export read from the researcher's store, above all its
    latest history hash (geo.transfer.store_state): kept with a report, that hash
    anchors the store, so entries removed later show (``verify --expect``). None
    when the export did not read the store."""
    moment = (exported_at or datetime.now(UTC)).astimezone(UTC)
    return {
        "tool": {"name": TOOL, "version": __version__},
        "exported_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "case": case_id,
        "filters": dict(view) if view else None,
        "record_counts": dict(counts),
        "files": [
            {"name": name, "sha256": digest.sha256, "size": digest.size}
            for name, digest in (
                (name, data if isinstance(data, Digest) else Digest.of(data))
                for name, data in exported.items()
            )
        ],
        "derived_from": [
            {"name": s.name, "sha256": s.sha256, "size": s.size, "role": s.role} for s in sources
        ],
        "store": dict(store) if store is not None else None,
    }


def manifest_text(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"


def bundle(exported: Mapping[str, bytes], manifest: Mapping[str, Any]) -> bytes:
    """The exported files and manifest.json in one ZIP, for a single download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in exported.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", manifest_text(manifest))
    return buffer.getvalue()


def check_manifest(manifest: Mapping[str, Any], folder: Path) -> list[str]:
    """Problems found checking the exported files next to a manifest (empty: all match)."""
    problems = []
    for entry in manifest.get("files", []):
        name = entry["name"]
        if Path(name).name != name or name in ("", ".", ".."):
            # a manifest vouches for files beside it, not for any path it names
            problems.append(f"{name!r}: not a file name beside the manifest")
            continue
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_hex(path.read_bytes()) != entry["sha256"]:
            problems.append(f"{name}: content differs from the manifest")
    return problems


def manifest_path(export_path: Path) -> Path:
    """Where an export's manifest lies: beside it, named after it."""
    return export_path.with_name(export_path.name + ".manifest.json")


def manifest_problems(export_path: Path) -> list[str] | None:
    """What is wrong with the manifest beside `export_path` (empty: it matches the
    export), or None if there is no manifest there."""
    path = manifest_path(export_path)
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:  # a decoding error is a ValueError
        return [f"{path.name} cannot be read as JSON: {exc}"]
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("sha256"), str)
        for entry in files
    ):
        return [f"{path.name} is not an export manifest (no list of files with their SHA-256)"]
    if export_path.name not in {entry["name"] for entry in files}:
        return [f"it does not list {export_path.name}: it belongs to another export"]
    return check_manifest(manifest, export_path.parent)


def write_export(
    path: Path,
    data: bytes,
    manifest: Mapping[str, Any] | None,
    *,
    rename: Callable[[Path, Path], object] = os.replace,
) -> None:
    """Write an export and, if given, its manifest beside it (`manifest_path`), such
    that the manifest beside an export always matches it, whenever the writing stops
    (`write_export_streamed`, which this is with the bytes already made)."""

    def write(out: HashingWriter) -> None:
        out.write(data)

    write_export_streamed(path, write, lambda _digest: manifest, rename=rename)


def write_export_streamed(
    path: Path,
    write: Callable[[HashingWriter], object],
    manifest_of: Callable[[Digest], Mapping[str, Any] | None],
    *,
    rename: Callable[[Path, Path], object] = os.replace,
) -> None:
    """Write an export with `write` (given the file, a chunk at a time if it likes:
    however large, the export is never held whole) and then, if `manifest_of` the
    written file's `Digest` gives one, its manifest beside it (`manifest_path`), such
    that the manifest beside an export always matches it, whenever the writing stops.

    Two files cannot appear at once: a rename moves one name (Linux's
    RENAME_EXCHANGE swaps one pair, not two), and writing both into a fresh folder
    renamed into place would change where the export is. So the order does it. Both
    files are first written in full and flushed to disk under temporary names (the
    export hashed as it is written); then the old manifest is removed (even if no new
    one is written: it would not match), then the export takes its name, then the
    manifest. Stopped at any point, the folder holds the old pair, the old export
    alone, the new export alone, or the new pair; never an export beside a manifest
    that does not match it, and `validate` says "no manifest" for an export alone.
    `rename` is a seam for tests."""
    target = manifest_path(path)
    token = uuid.uuid4().hex[:8]
    temporary = path.with_name(f".{path.name}.{token}.partial")
    temporary_manifest = target.with_name(f".{target.name}.{token}.partial")
    try:
        with temporary.open("wb") as fh:
            hashing = HashingWriter(fh)
            write(hashing)
            fh.flush()
            os.fsync(fh.fileno())
        manifest = manifest_of(hashing.digest())
        if manifest is not None:
            _write_synced(temporary_manifest, manifest_text(manifest).encode("utf-8"))
        target.unlink(missing_ok=True)
        fsync_dir(path.parent)  # the old manifest is gone on disk before the export changes
        rename(temporary, path)
        fsync_dir(path.parent)
        if manifest is not None:
            rename(temporary_manifest, target)
            fsync_dir(path.parent)
    finally:
        temporary.unlink(missing_ok=True)
        temporary_manifest.unlink(missing_ok=True)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
