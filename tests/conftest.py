"""Shared fixtures: the shipped case, and small cases written on the fly."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from geo.case import DEFAULT_CASE_DIR, Case, load_case

ROOT = Path(__file__).resolve().parent.parent

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
    return {"type": "Point", "coordinates": [lon, lat]}


def record(record_id: str, lon: float = 36.3, lat: float = 33.6, **extra: Any) -> dict[str, Any]:
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


@pytest.fixture(autouse=True)
def private_store(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own store: tests never touch the researcher's real one."""
    data_dir = tmp_path_factory.mktemp("geo-data")
    monkeypatch.setenv("GEO_DATA_DIR", str(data_dir))
    return data_dir


@pytest.fixture
def tiny_case_dir(tmp_path: Path) -> Path:
    return write_case(tmp_path / "tiny")


@pytest.fixture
def tiny_case(tiny_case_dir: Path) -> Case:
    return load_case(tiny_case_dir)


@pytest.fixture(scope="session")
def shipped_case() -> Case:
    return load_case(DEFAULT_CASE_DIR)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium for the browser tests (skipped without it, except in CI)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch

    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def session(browser, tmp_path: Path):
    """A page that may reach only the app: any other request fails the test."""
    from tests.browser import Session

    opened = Session(browser, tmp_path)
    yield opened
    assert opened.remote == [], f"the page tried to reach other hosts: {opened.remote}"
    opened.close()
