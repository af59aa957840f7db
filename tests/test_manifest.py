"""An export and its manifest: written so that the manifest beside an export matches it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from geo.manifest import build_manifest, manifest_path, manifest_problems, write_export


def manifest_of(path: Path, data: bytes) -> dict:
    return build_manifest({path.name: data}, case_id="c", view=None, counts={}, sources=[])


def rename_failing_at(call: int) -> Callable[[Path, Path], None]:
    """os.replace, but the `call`-th rename fails: the process killed just before it."""
    calls = []

    def rename(source: Path, target: Path) -> None:
        calls.append(target)
        if len(calls) == call:
            raise OSError("killed")
        os.replace(source, target)

    return rename


def test_an_export_and_its_manifest_are_written_together(tmp_path):
    out = tmp_path / "all.geojson"
    write_export(out, b"new", manifest_of(out, b"new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "all.geojson",
        "all.geojson.manifest.json",
    ]
    assert out.read_bytes() == b"new" and manifest_problems(out) == []
    assert json.loads(manifest_path(out).read_bytes())["files"][0]["name"] == "all.geojson"


@pytest.mark.parametrize(
    ("failing_rename", "left"),
    [(1, b"old"), (2, b"new")],
    ids=["killed-before-the-export-is-renamed", "killed-before-the-manifest-is-renamed"],
)
def test_a_kill_during_an_export_never_leaves_a_manifest_that_does_not_match(
    tmp_path, failing_rename, left
):
    out = tmp_path / "all.geojson"
    write_export(out, b"old", manifest_of(out, b"old"))
    with pytest.raises(OSError, match="killed"):
        write_export(
            out, b"new", manifest_of(out, b"new"), rename=rename_failing_at(failing_rename)
        )
    # The export alone (old or new), without a manifest: never the new export beside the
    # old manifest, which the two renames of the old code left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.geojson"]
    assert out.read_bytes() == left
    assert manifest_problems(out) is None


def test_a_manifest_that_does_not_fit_is_reported(tmp_path):
    out = tmp_path / "all.geojson"
    write_export(out, b"data", manifest_of(out, b"data"))
    manifest = manifest_path(out)
    cases = [
        ({"files": [{"name": "all.geojson", "sha256": "0" * 64}]}, "content differs"),
        ({"files": [{"name": "other.geojson", "sha256": "0" * 64}]}, "belongs to another export"),
        (
            {"files": [{"name": "all.geojson", "sha256": "0"}, {"name": "../x", "sha256": "0"}]},
            "'../x': not a file name beside the manifest",
        ),
        ({"files": "all.geojson"}, "is not an export manifest"),
        ([], "is not an export manifest"),
    ]
    for content, words in cases:
        manifest.write_text(json.dumps(content))
        problems = manifest_problems(out)
        assert problems and any(words in p for p in problems), (content, problems)
    manifest.write_bytes(b"\xff\xfe not text")
    assert "cannot be read as JSON" in manifest_problems(out)[0]
