"""Routes served beside the page, on the same host and port: thin wrappers over `geo`."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
