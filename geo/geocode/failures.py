"""What a failed search tells the user: geopy's errors to ours, through one table.

Every failure becomes a `GeocodingError` (geo.errors) whose message says what happened and
that the offline search is unaffected; the caller chains the geopy error as its cause.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.error import HTTPError, URLError

from geopy import exc as geopy_exc
from geopy.adapters import AdapterHTTPError

from geo.errors import (
    GeocodingBadResponse,
    GeocodingError,
    GeocodingQueryRejected,
    GeocodingQuotaExceeded,
    GeocodingRateLimited,
    GeocodingRefused,
    GeocodingTimedOut,
    GeocodingUnavailable,
    error_chain,
)
from geo.geocode.config import DEFAULT_BACKOFF_SECONDS, GeocoderConfig
from geo.geocode.results import finite_number

STILL_WORKS = "The offline place search still works."


@dataclass(frozen=True)
class _Failure:
    """A geopy error and what the table's rules ask about it."""

    error: BaseException
    status: int | None  # the HTTP status of the answer, if there was one

    def raised(self, *kinds: type[BaseException]) -> bool:
        return isinstance(self.error, kinds)

    @property
    def answered(self) -> bool:
        return self.status is not None


@dataclass(frozen=True)
class _Rule:
    applies: Callable[[_Failure], bool]
    error: type[GeocodingError]
    # A str.format template over host, status, status_text, timeout and when (see
    # `translate`); STILL_WORKS follows it.
    message: str


_TIMED_OUT = "The online search timed out after {timeout} (no answer from {host}); try again later."
_REJECTED = "{host} did not accept this search{status_text}; try other words."
_UNREADABLE = (
    "{host} sent an answer this application cannot read; the search found nothing it can show."
)

# The first rule that applies names the error; the order matters (an HTTP status says more
# than geopy's class for it, a cause underneath says more than a generic service error).
_RULES: tuple[_Rule, ...] = (
    _Rule(
        lambda f: f.raised(geopy_exc.GeocoderRateLimited) or f.status == 429,
        GeocodingRateLimited,
        "{host} is limiting requests from this application (HTTP 429): {when}.",
    ),
    _Rule(
        lambda f: f.raised(geopy_exc.GeocoderQuotaExceeded),
        GeocodingQuotaExceeded,
        "{host} says the usage quota of this account is used up{status_text}.",
    ),
    _Rule(
        lambda f: f.raised(
            geopy_exc.GeocoderAuthenticationFailure, geopy_exc.GeocoderInsufficientPrivileges
        ),
        GeocodingRefused,
        "{host} refused the request{status_text}: check the user agent and any API key in the "
        "settings (Nominatim blocks applications that break its usage policy). Trying again "
        "will not help.",
    ),
    # geopy reports 503 as "timed out" and 502 as a plain service error: both mean the
    # service is down or overloaded, which is what the user should read.
    _Rule(
        lambda f: f.status is not None and f.status >= 500,
        GeocodingUnavailable,
        "{host} answered with an error (HTTP {status}): the service is down or overloaded; "
        "try again later.",
    ),
    _Rule(lambda f: f.status == 408, GeocodingTimedOut, _TIMED_OUT),
    _Rule(
        lambda f: f.answered and f.raised(geopy_exc.GeocoderQueryError),
        GeocodingQueryRejected,
        _REJECTED,
    ),
    _Rule(lambda f: f.answered, GeocodingError, "{host} answered with an error (HTTP {status})."),
    _Rule(lambda f: f.raised(geopy_exc.GeocoderParseError), GeocodingBadResponse, _UNREADABLE),
    _Rule(
        lambda f: f.raised(geopy_exc.GeocoderTimedOut) or _caused_by_timeout(f.error),
        GeocodingTimedOut,
        _TIMED_OUT,
    ),
    _Rule(
        lambda f: f.raised(geopy_exc.GeocoderUnavailable) or _caused_by_network(f.error),
        GeocodingUnavailable,
        "Could not reach {host}: no network, or the service is down?",
    ),
    # Nominatim's {"error": "..."} answer, sent with HTTP 200.
    _Rule(lambda f: f.raised(geopy_exc.GeocoderQueryError), GeocodingQueryRejected, _REJECTED),
    # Whatever a provider's parser raises on an answer of the wrong shape: geopy lets
    # AttributeError, TypeError, ValueError through.
    _Rule(lambda f: True, GeocodingBadResponse, _UNREADABLE),
)


def translate(error: BaseException, config: GeocoderConfig) -> GeocodingError:
    """The `GeocodingError` to raise (from `error`) for a search that failed with `error`."""
    failure = _Failure(error, _http_status(error))
    rule = next(rule for rule in _RULES if rule.applies(failure))
    retry_after = finite_number(getattr(error, "retry_after", None))
    when = (
        f"try again in {seconds(retry_after)}"
        if retry_after is not None
        else f"the online search pauses for {seconds(DEFAULT_BACKOFF_SECONDS)}"
    )
    message = rule.message.format(
        host=config.host,
        status=failure.status,
        status_text=f" (HTTP {failure.status})" if failure.answered else "",
        timeout=seconds(config.timeout),
        when=when,
    )
    text = f"{message} {STILL_WORKS}"
    if rule.error is GeocodingRateLimited:
        return GeocodingRateLimited(
            text, host=config.host, status=failure.status, retry_after=retry_after
        )
    return rule.error(text, host=config.host, status=failure.status)


def seconds(value: float) -> str:
    """A duration as messages write it: "0.5 s", "60 s"."""
    return f"{value:g} s" if value < 10 else f"{math.ceil(value)} s"


def _http_status(error: BaseException) -> int | None:
    for link in error_chain(error):
        if isinstance(link, AdapterHTTPError) and isinstance(link.status_code, int):
            return link.status_code
    return None


def _caused_by_timeout(error: BaseException) -> bool:
    # A read timeout while the body is downloading comes out of requests as a
    # ConnectionError, so geopy calls it unavailable; the urllib adapter calls it a service
    # error. Underneath both is the socket's TimeoutError.
    return any(isinstance(link, TimeoutError) for link in error_chain(error))


def _caused_by_network(error: BaseException) -> bool:
    # geopy's urllib adapter reports a refused connection or an unknown host as a plain
    # GeocoderServiceError; the error underneath says what it was. (Not OSError at large:
    # requests' JSONDecodeError and geopy's own errors are OSErrors too.)
    return any(
        isinstance(link, ConnectionError | socket.gaierror | URLError)
        and not isinstance(link, HTTPError)
        for link in error_chain(error)
    )
