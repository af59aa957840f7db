"""Calling one of the app's routes (`ui.routes`) as the server would, without a server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from starlette.requests import Request
from starlette.responses import Response


def answer(route: Callable[[Request], Awaitable[Response]], path_params: dict) -> Response:
    """What `route` answers a GET whose path gave `path_params`."""
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    scope["path_params"] = path_params
    # In a thread of its own: a browser test earlier in the session leaves Playwright's
    # event loop running in this one, where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, route(Request(scope))).result()
