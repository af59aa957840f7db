"""An export's manifest: what was exported, from what, how, and the hashes to check it.

A researcher hands an export to a colleague, a court or an archive; the
manifest lets them check that the files are the ones exported and trace each
back to the source files it was derived from.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geo import __version__

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
    exported: Mapping[str, bytes],
    *,
    case_id: str,
    view: Mapping[str, Any] | None,
    counts: Mapping[str, int],
    sources: list[SourceFile],
    exported_at: datetime | None = None,
) -> dict[str, Any]:
    """The manifest of `exported` (file name -> exact bytes written)."""
    moment = (exported_at or datetime.now(UTC)).astimezone(UTC)
    return {
        "tool": {"name": TOOL, "version": __version__},
        "exported_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "case": case_id,
        "filters": dict(view) if view else None,
        "record_counts": dict(counts),
        "files": [
            {"name": name, "sha256": sha256_hex(data), "size": len(data)}
            for name, data in exported.items()
        ],
        "derived_from": [
            {"name": s.name, "sha256": s.sha256, "size": s.size, "role": s.role} for s in sources
        ],
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
        path = folder / entry["name"]
        if not path.is_file():
            problems.append(f"{entry['name']}: missing")
        elif sha256_hex(path.read_bytes()) != entry["sha256"]:
            problems.append(f"{entry['name']}: content differs from the manifest")
    return problems
