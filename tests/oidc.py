"""Signing in as a person does, through the local OpenID Connect provider of the
browser tests of team mode (the `provider` fixture in tests/conftest.py)."""

from __future__ import annotations

from tests.browser import Session


def sign_in(session: Session, url: str, who: str) -> None:
    page = session.page
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    # the provider's form offers its known users, each a button
    page.locator(f'button[name="sub"][value="{who}"]').click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)
