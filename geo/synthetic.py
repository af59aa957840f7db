"""Small cases written on the fly, for the tests and the benchmark (plain code, no pytest).

`write_case(folder)` writes the tiny case (`TINY_META`, `TINY_FILES`, `TINY_TEXT`): two
places, one dated record of each kind, a claim and a shipped text. `record` and `dated`
build more records; `synthetic_files(n)` builds n of them for timing.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import yaml

TINY_META: dict[str, Any] = {
    "id": "tiny",
    "title": "A tiny case",
    "summary": "Made by the tests.",
    "sources": [
        {"id": "src-a", "title": "Source A", "date": "2017-05-15", "url": None},
        {"id": "src-text", "title": "A shipped text", "text_file": "texts/a.txt"},
    ],
    "claims": [
        {
            "id": "claim-a",
            "statement": "Somebody claims something.",
            "claimant": "Somebody",
            "date": "2017-05",
            "date_as_stated": "May 2017",
            "confidence": "probable",
            "status": "contested",
            "sources": [{"id": "src-text", "quote": "the quoted words"}],
            "contested_by": [
                {
                    "claimant": "Somebody else",
                    "statement": "denies it",
                    "sources": [{"id": "src-a", "quote": None}],
                }
            ],
        }
    ],
}

TINY_TEXT = "Some text with the quoted   words in it.\n"


def point(lon: float, lat: float) -> dict[str, Any]:
    """A GeoJSON Point."""
    return {"type": "Point", "coordinates": [lon, lat]}


def record(record_id: str, lon: float = 36.3, lat: float = 33.6, **extra: Any) -> dict[str, Any]:
    """An undated Feature as a case file holds it; `extra` adds or replaces properties."""
    properties = {
        "id": record_id,
        "name": f"Record {record_id}",
        "sources": [{"id": "src-a", "quote": None}],
        "claim": None,
        "uncertainty_m": 100,
        "position_basis": "made up for a test",
        **extra,
    }
    return {"type": "Feature", "geometry": point(lon, lat), "properties": properties}


def dated(record_id: str, date: str, **extra: Any) -> dict[str, Any]:
    """A record with a date and the date as its source wrote it."""
    return record(record_id, date=date, date_as_stated=f"as stated: {date}", **extra)


TINY_FILES: dict[str, list[dict[str, Any]]] = {
    "places.geojson": [record("p1", 36.3, 33.6), record("p2", 6.1, 46.2)],
    "imagery.geojson": [dated("img-month", "2015-01", confidence="asserted")],
    "features.geojson": [dated("feat-1", "2013/2016", claim="claim-a", confidence="probable")],
    "events.geojson": [dated("ev-day", "2017-05-15"), dated("ev-year", "2011")],
}


def write_case(
    folder: Path,
    meta: dict[str, Any] | None = None,
    files: dict[str, list[dict[str, Any]]] | None = None,
    text: str = TINY_TEXT,
) -> Path:
    """A case folder at `folder`: case.yaml, texts/a.txt and one GeoJSON file per kind."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.yaml").write_text(
        yaml.safe_dump(copy.deepcopy(meta or TINY_META), allow_unicode=True), encoding="utf-8"
    )
    (folder / "texts").mkdir(exist_ok=True)
    (folder / "texts" / "a.txt").write_text(text, encoding="utf-8")
    for name, features in (files or TINY_FILES).items():
        collection = {"type": "FeatureCollection", "features": copy.deepcopy(features)}
        (folder / name).write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return folder


CASE_FILES = ("places.geojson", "imagery.geojson", "features.geojson", "events.geojson")


def synthetic_files(count: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """`count` records for `write_case`: the first 50 places, then imagery, features and
    events dated with every precision, all within Syria; the same for the same seed."""
    rng = random.Random(seed)
    files: dict[str, list[dict[str, Any]]] = {name: [] for name in CASE_FILES}
    for index in range(count):
        name = CASE_FILES[0] if index < 50 else rng.choice(CASE_FILES[1:])
        year = rng.randint(2005, 2020)
        date_text = rng.choice(
            [
                f"{year}",
                f"{year}-{rng.randint(1, 12):02d}",
                f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                f"{year}/{year + rng.randint(1, 3)}",
            ]
        )
        properties: dict[str, Any] = {
            "id": f"r{index}",
            "name": f"Record {index} <b>{'x' * rng.randint(0, 40)}</b>",
            "sources": [{"id": "src-a", "quote": "a quote of some length " * 3}],
            "claim": "claim-a" if index % 3 else None,
            "uncertainty_m": float(rng.choice([50, 100, 700])),
            "position_basis": "synthetic",
        }
        if name != "places.geojson":
            properties |= {"date": date_text, "date_as_stated": f"as stated {date_text}"}
            properties["confidence"] = rng.choice(["asserted", "probable", "possible"])
        files[name].append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(rng.uniform(35.5, 42.0), 6),
                        round(rng.uniform(32.5, 37.0), 6),
                    ],
                },
                "properties": properties,
            }
        )
    return files
