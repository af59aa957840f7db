"""How a file is fetched: the `Transport` seam (tests may pass their own) and
`RequestsTransport`, with a timeout on every request and no retries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

import requests

from geo.stac.config import StacConfig

CHUNK_BYTES = 256 * 1024


class Transport(Protocol):
    def head(self, url: str) -> Mapping[str, str]:
        """The headers of `url`'s answer to HEAD; raises for an HTTP error."""
        ...

    def get(self, url: str) -> AbstractContextManager[tuple[Mapping[str, str], Iterator[bytes]]]:
        """The headers of `url`'s answer to GET, and its body in chunks;
        raises for an HTTP error."""
        ...


class RequestsTransport:
    def __init__(self, config: StacConfig) -> None:
        self.timeout = (config.timeout, config.timeout)
        self.headers = {"User-Agent": config.user_agent}

    def head(self, url: str) -> Mapping[str, str]:
        response = requests.head(
            url, timeout=self.timeout, headers=self.headers, allow_redirects=True
        )
        response.raise_for_status()
        return response.headers

    @contextmanager
    def get(self, url: str) -> Iterator[tuple[Mapping[str, str], Iterator[bytes]]]:
        with requests.get(url, timeout=self.timeout, headers=self.headers, stream=True) as r:
            r.raise_for_status()
            yield r.headers, r.iter_content(CHUNK_BYTES)
