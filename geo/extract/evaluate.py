"""How well the extractor does: precision and recall against hand-labelled texts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.extract.match import extract_places
from geo.extract.sentences import decode_text
from geo.gazetteer import Gazetteer, normalize_name


@dataclass(frozen=True)
class LabelledText:
    """A text and the places a person found in it (canonical gazetteer names)."""

    name: str
    text: str
    expected: tuple[str, ...]


def load_labelled(labels_file: Path) -> LabelledText:
    """A `NAME.labels.json` file and its text (`text_file`, else `NAME.txt` beside it).

    The labels file holds {"places": [names], "text_file": optional path relative
    to the labels file, "notes": optional}.
    """
    labels = json.loads(labels_file.read_text(encoding="utf-8"))
    stem = labels_file.name.removesuffix(".labels.json")
    text_file = labels_file.parent / labels.get("text_file", f"{stem}.txt")
    text = decode_text(text_file.read_bytes(), file=str(text_file))
    return LabelledText(stem, text, tuple(labels["places"]))


def evaluate(texts: Iterable[LabelledText], gazetteer: Gazetteer | None = None) -> dict[str, Any]:
    """Precision and recall of `extract_places` per text and overall (micro-averaged).

    A found place counts when its canonical name (the case's name for a case place,
    GeoNames' for a country or city) equals an expected one, once normalised.
    """
    gazetteer = gazetteer or Gazetteer.load()
    rows = []
    totals = {"expected": 0, "found": 0, "true_positives": 0}
    for item in texts:
        expected = {normalize_name(name): name for name in item.expected}
        found = {
            normalize_name(m.candidate.name): m.candidate.name
            for m in extract_places(item.text, gazetteer)
        }
        hits = expected.keys() & found.keys()
        counts = {"expected": len(expected), "found": len(found), "true_positives": len(hits)}
        rows.append(
            {"text": item.name, **counts, **_rates(counts)}
            | {
                "missed": sorted(expected[key] for key in expected.keys() - hits),
                "spurious": sorted(found[key] for key in found.keys() - hits),
            }
        )
        totals = {key: totals[key] + counts[key] for key in totals}
    return {"texts": rows, "overall": {"text": "overall (micro)", **totals, **_rates(totals)}}


def _rates(counts: dict[str, int]) -> dict[str, float]:
    tp = counts["true_positives"]
    return {
        "precision": round(tp / counts["found"], 3) if counts["found"] else 1.0,
        "recall": round(tp / counts["expected"], 3) if counts["expected"] else 1.0,
    }


def evaluation_table(result: dict[str, Any]) -> str:
    """The evaluation as a Markdown table, one row per text and one overall."""
    lines = [
        "| text | expected | found | true positives | precision | recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in [*result["texts"], result["overall"]]:
        lines.append(
            f"| {row['text']} | {row['expected']} | {row['found']} | {row['true_positives']} "
            f"| {row['precision']:.2f} | {row['recall']:.2f} |"
        )
    return "\n".join(lines)
