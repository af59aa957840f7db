"""Shared fixtures: the shipped case, and small cases written on the fly (geo.synthetic)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.case import DEFAULT_CASE_DIR, Case, load_case
from geo.synthetic import write_case

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def private_store(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own store: tests never touch the researcher's real one."""
    data_dir = tmp_path_factory.mktemp("geo-data")
    monkeypatch.setenv("GEO_DATA_DIR", str(data_dir))
    # nor a team's database or files place named in the environment
    monkeypatch.delenv("GEO_DATABASE_URL", raising=False)
    monkeypatch.delenv("GEO_FILES_URL", raising=False)
    return data_dir


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL server with PostGIS for this test run (tests/postgres.py);
    None where it is not installed, outside CI."""
    from tests.postgres import running_server

    with running_server() as server:
        yield server


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible HTTP server on 127.0.0.1 for this test run (tests/s3.py)."""
    from tests.s3 import running_s3

    with running_s3() as endpoint:
        yield endpoint


@pytest.fixture
def bucket_url(s3_endpoint, monkeypatch) -> str:
    """A fresh prefix in the test bucket, with the endpoint and keys in the environment
    as a team's server would have them; returns its s3:// URL."""
    from tests.s3 import BUCKET, TEST_KEYS

    for name, value in TEST_KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GEO_S3_ENDPOINT_URL", s3_endpoint)
    return f"s3://{BUCKET}/store-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, monkeypatch) -> str:
    """Each store test on both databases: "" for SQLite in the data folder, or a fresh
    PostgreSQL database, which GEO_DATABASE_URL names for the test and its workers."""
    if request.param == "sqlite":
        monkeypatch.delenv("GEO_DATABASE_URL", raising=False)
        return ""
    server = request.getfixturevalue("postgres_server")
    if server is None:
        pytest.skip(
            "PostgreSQL with PostGIS is not installed (apt-get install postgresql-15-postgis-3)"
        )
    url = server.new_database()
    monkeypatch.setenv("GEO_DATABASE_URL", url)
    return url


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


@pytest.fixture
def provider() -> Iterator[str]:
    """A local OpenID Connect provider (oidc-provider-mock, on 127.0.0.1) for the
    browser tests of team mode: whoever signs in picks a subject; each person's claims
    are set here."""
    import oidc_provider_mock
    from werkzeug.serving import make_server

    users = [
        oidc_provider_mock.User(sub=name, claims={"email": f"{name}@example.org", "name": title})
        for name, title in (("ann", "Ann"), ("ben", "Ben"), ("viv", "Viv"))
    ]
    server = make_server("127.0.0.1", 0, oidc_provider_mock.app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
