"""The benchmark's synthetic case is a valid case, and the same for the same seed."""

from __future__ import annotations

from pathlib import Path

from geo.case import load_case
from geo.synthetic import CASE_FILES, TINY_META, synthetic_files, write_case


def test_a_synthetic_case_loads(tmp_path: Path) -> None:
    files = synthetic_files(120)
    assert sum(len(features) for features in files.values()) == 120
    assert set(files) == set(CASE_FILES)
    case = load_case(write_case(tmp_path / "bench", TINY_META, files))
    assert len(case.records) == 120
    assert synthetic_files(120) == files
    assert synthetic_files(120, seed=8) != files
