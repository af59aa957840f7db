"""What a failed search or download tells the user: any error, through one table, to the
`CatalogueError` family of `geo.errors`.

The caller raises the result `from` the original error, so nothing is lost for a log.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.error import URLError

import requests
from pystac_client.exceptions import APIError

from geo.errors import (
    CatalogueBadResponse,
    CatalogueError,
    CatalogueRefused,
    CatalogueTimedOut,
    CatalogueUnavailable,
    error_chain,
)
from geo.geocode.failures import seconds

STILL_WORKS = "Nothing was stored; everything offline still works."


@dataclass(frozen=True)
class _Failure:
    error: BaseException
    status: int | None  # the HTTP status of the answer, if there was one

    def caused_by(self, *kinds: type[BaseException]) -> bool:
        return any(isinstance(link, kinds) for link in error_chain(self.error))


@dataclass(frozen=True)
class _Rule:
    applies: Callable[[_Failure], bool]
    error: type[CatalogueError]
    # A str.format template over host, status, timeout and action; STILL_WORKS follows.
    message: str


# The first rule that applies names the error: an HTTP status says the most, a timeout
# underneath a connection error is a timeout.
_RULES: tuple[_Rule, ...] = (
    _Rule(
        lambda f: f.status is not None and f.status >= 500,
        CatalogueRefused,
        "{host} answered the {action} with an error (HTTP {status}): the catalogue is down "
        "or overloaded; try again later.",
    ),
    _Rule(
        lambda f: f.status in (401, 403, 407),
        CatalogueRefused,
        "{host} refused the {action} (HTTP {status}): this catalogue or file needs "
        "permission this application does not have.",
    ),
    _Rule(
        lambda f: f.status == 404,
        CatalogueRefused,
        "{host} has nothing at that address (HTTP 404): check the catalogue address "
        "(GEO_STAC_URL) and the collection.",
    ),
    _Rule(
        lambda f: f.status == 429,
        CatalogueRefused,
        "{host} is limiting requests from this application (HTTP 429); wait a minute and "
        "try again.",
    ),
    _Rule(
        lambda f: f.status is not None,
        CatalogueRefused,
        "{host} did not accept the {action} (HTTP {status}); check the dates and collection.",
    ),
    _Rule(
        lambda f: f.caused_by(requests.Timeout, TimeoutError, socket.timeout),
        CatalogueTimedOut,
        "The {action} timed out after {timeout} (no answer from {host}); try again later.",
    ),
    _Rule(
        lambda f: f.caused_by(requests.ConnectionError, ConnectionError, socket.gaierror, URLError),
        CatalogueUnavailable,
        "Could not reach {host}: no network, a wrong address, or the catalogue is down.",
    ),
    _Rule(
        lambda f: f.caused_by(json.JSONDecodeError, UnicodeDecodeError),
        CatalogueBadResponse,
        "{host} did not answer with JSON: is the address that of a STAC API?",
    ),
    # pystac's STACTypeError, a missing key, a conformance class missing: not STAC.
    _Rule(
        lambda f: True,
        CatalogueBadResponse,
        "{host} answered something that is not the STAC this application asked for.",
    ),
)


def translate(
    error: BaseException, *, host: str, timeout: float, action: str = "search"
) -> CatalogueError:
    """The `CatalogueError` to raise (from `error`) for a search or download that failed."""
    if isinstance(error, CatalogueError):
        return error
    failure = _Failure(error, _http_status(error))
    rule = next(rule for rule in _RULES if rule.applies(failure))
    message = rule.message.format(
        host=host, status=failure.status, timeout=seconds(timeout), action=action
    )
    return rule.error(f"{message} {STILL_WORKS}", host=host, status=failure.status)


def _http_status(error: BaseException) -> int | None:
    for link in error_chain(error):
        if isinstance(link, APIError):
            status = getattr(link, "status_code", None)
            if isinstance(status, int):
                return status
        if isinstance(link, requests.HTTPError) and link.response is not None:
            return link.response.status_code
    return None
