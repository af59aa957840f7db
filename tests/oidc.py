"""Signing in as a person does, through the local OpenID Connect provider of the
browser tests of team mode (the `provider` fixture in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from tests.browser import Session


def auth_secrets(path: Path, redirect_uri: str, provider: str) -> Path:
    """A secrets.toml at `path` whose [auth] section signs in through the local
    `provider`, the browser coming back to `redirect_uri`; returns `path`."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        'cookie_secret = "a long random secret for the test only"\n'
        'client_id = "explorer"\n'
        'client_secret = "explorer-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    return path


def sign_in(session: Session, url: str, who: str) -> None:
    page = session.page
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    # the provider's form offers its known users, each a button
    page.locator(f'button[name="sub"][value="{who}"]').click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)
