"""The online search itself: `OnlineGeocoder`, over one shared service per config.

Every `OnlineGeocoder` built from equal configs (and the same clock) shares one geopy
`RateLimiter`, one result cache and one back-off after HTTP 429: the app keeps one instance
with `st.cache_resource`, the CLI builds its own, and both land on the same shared state.

A search never takes longer than `GeocoderConfig.deadline_seconds` (twice the timeout):
geopy's HTTP adapter retries a silent server twice by default (three times the timeout in
all) and a server that trickles bytes is never timed out at all, so the request runs in a
worker thread that the caller stops waiting for at the deadline.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from geopy import exc as geopy_exc
from geopy.adapters import RequestsAdapter, URLLibAdapter
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service

from geo.errors import (
    DataError,
    GeocodingConfigError,
    GeocodingRateLimited,
    GeocodingTimedOut,
    Problem,
)
from geo.geocode.clock import SYSTEM_CLOCK, Clock
from geo.geocode.config import (
    DEFAULT_BACKOFF_SECONDS,
    MAX_BACKOFF_SECONDS,
    GeocoderConfig,
    attribution,
    is_seconds,
    provider_label,
)
from geo.geocode.failures import STILL_WORKS, seconds, translate
from geo.geocode.results import OnlineCandidate, read_candidates

MAX_QUERY_CHARS = 200
# Nominatim caps `limit` at 40; asking for more would look like a bug on our side.
MAX_LIMIT = 40
CACHE_SIZE = 256

_CacheKey = tuple[str, int]  # the query, casefolded, and the number of results


class OnlineGeocoder:
    """Online place search for one config; instances with equal configs share their state.

    `clock` is for tests (a fake one makes the rate limit, deadline and back-off run in
    fake time); instances share state only when their clocks are the same object too.
    """

    def __init__(self, config: GeocoderConfig, *, clock: Clock = SYSTEM_CLOCK) -> None:
        if not isinstance(config, GeocoderConfig):
            raise GeocodingConfigError(
                f"OnlineGeocoder needs a GeocoderConfig, not {type(config).__name__}."
            )
        self.config = config
        self._service = _shared_service(config, clock)

    @property
    def attribution(self) -> str:
        return attribution(self.config)

    def search(self, query: str, *, limit: int = 5) -> list[OnlineCandidate]:
        """Places matching `query`, best first; [] for an empty query or no match.

        Sends at most one request (none when the answer is cached), waits at most
        `config.deadline_seconds`, and raises only `GeocodingError` for a failure of the
        service and `DataError` for a query or limit it will not send.
        """
        if not isinstance(query, str):
            raise DataError(Problem("the search must be text", field="query"))
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise DataError(
                Problem(f"the number of results must be 1 to {MAX_LIMIT}", field="limit")
            )
        text = " ".join(query.split())
        if not text:
            return []
        if len(text) > MAX_QUERY_CHARS:
            raise DataError(
                Problem(
                    f"the search is {len(text)} characters long; an online search takes at "
                    f"most {MAX_QUERY_CHARS}: use a place name, not a description",
                    field="query",
                )
            )
        return self._service.search(text, (text.casefold(), limit), limit)


class _ClockedRateLimiter(RateLimiter):  # type: ignore[misc]  # geopy has no type hints
    """geopy's RateLimiter on our clock. geopy takes time through its `_clock` and `_sleep`
    methods, the seams its own tests replace; overriding them keeps geopy's slot logic."""

    def __init__(self, func: Callable[..., Any], *, clock: Clock, **kwargs: Any) -> None:
        super().__init__(func, **kwargs)
        self._time = clock

    def _clock(self) -> float:
        return self._time.now()

    def _sleep(self, seconds: float) -> None:
        self._time.sleep(seconds)


class _Flight:
    """One request under way; callers of the same search wait on it instead of sending
    their own, and it still fills the cache if they stopped waiting."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: tuple[OnlineCandidate, ...] = ()
        self.error: BaseException | None = None


class _Service:
    """Everything shared by the users of one config: geocoder, rate limiter, cache."""

    def __init__(self, config: GeocoderConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.geocoder = _build_geocoder(config)
        self.provider_label = provider_label(config)
        geocode_params = inspect.signature(self.geocoder.geocode).parameters
        self.accepts_limit = "limit" in geocode_params
        self.limiter = _ClockedRateLimiter(
            self.geocoder.geocode,
            clock=clock,
            min_delay_seconds=config.min_delay_seconds,
            # geopy's own retries wait 5 s and send again: that is the hang and the
            # extra load we are avoiding. The user can press the button again.
            max_retries=0,
            # RateLimiter asserts error_wait_seconds >= min_delay_seconds even when it never
            # waits on an error.
            error_wait_seconds=max(5.0, config.min_delay_seconds),
            swallow_exceptions=False,
        )
        self.lock = threading.Lock()
        self.cache: OrderedDict[_CacheKey, tuple[OnlineCandidate, ...]] = OrderedDict()
        self.flights: dict[_CacheKey, _Flight] = {}
        self.blocked_until: float | None = None

    def search(self, query: str, key: _CacheKey, limit: int) -> list[OnlineCandidate]:
        started = self.clock.now()
        with self.lock:
            cached = self.cache.get(key)
            if cached is not None:
                self.cache.move_to_end(key)
                return list(cached)
            flight = self.flights.get(key)
            if flight is None:
                self._check_backoff(started)
                flight = _Flight()
                self.flights[key] = flight
                worker = threading.Thread(
                    target=self._fly,
                    args=(flight, key, query, limit),
                    name="geocode",
                    daemon=True,
                )
                worker.start()
        remaining = self.config.deadline_seconds - (self.clock.now() - started)
        if not self.clock.wait(flight.done, max(remaining, 0.0)):
            raise GeocodingTimedOut(
                f"The online search did not finish within {seconds(self.config.deadline_seconds)}"
                f" ({self.config.host} is slow or the network is). {STILL_WORKS}",
                host=self.config.host,
            )
        if flight.error is not None:
            raise translate(flight.error, self.config) from flight.error
        return list(flight.result)

    def _check_backoff(self, now: float) -> None:
        if self.blocked_until is None:
            return
        wait = self.blocked_until - now
        if wait <= 0:
            self.blocked_until = None
            return
        raise GeocodingRateLimited(
            f"{self.config.host} asked this application to slow down; the online search "
            f"resumes in {seconds(wait)}. {STILL_WORKS}",
            host=self.config.host,
            status=429,
            retry_after=wait,
        )

    def _fly(self, flight: _Flight, key: _CacheKey, query: str, limit: int) -> None:
        kwargs: dict[str, Any] = {"exactly_one": False}
        if self.accepts_limit:
            kwargs["limit"] = limit
        result: tuple[OnlineCandidate, ...] = ()
        error: BaseException | None = None
        try:
            locations = self.limiter(query, **kwargs)
            result = read_candidates(locations, self.config, self.provider_label)[:limit]
        except Exception as exc:  # every failure goes back to the waiting caller
            error = exc
        with self.lock:
            if error is None:
                self.cache[key] = result
                self.cache.move_to_end(key)
                while len(self.cache) > CACHE_SIZE:
                    self.cache.popitem(last=False)
            elif isinstance(error, geopy_exc.GeocoderQuotaExceeded):
                retry_after = getattr(error, "retry_after", None)
                wait = (
                    retry_after
                    if is_seconds(retry_after, allow_zero=True)
                    else DEFAULT_BACKOFF_SECONDS
                )
                self.blocked_until = self.clock.now() + min(wait, MAX_BACKOFF_SECONDS)
            self.flights.pop(key, None)
            flight.result, flight.error = result, error
            flight.done.set()


def _adapter_factory() -> Callable[..., Any]:
    # requests' adapter retries a read timeout twice before geopy sees it (three timeouts
    # in all, reported as "unavailable"); without retries a silent server costs one timeout
    # and is reported as timed out.
    if RequestsAdapter.is_available:
        return functools.partial(RequestsAdapter, max_retries=0)
    adapter: Callable[..., Any] = URLLibAdapter  # geopy has no type hints
    return adapter


def _build_geocoder(config: GeocoderConfig) -> Any:
    cls = get_geocoder_for_service(config.provider)
    params = inspect.signature(cls.__init__).parameters
    kwargs: dict[str, Any] = dict(config.options)
    kwargs.update(user_agent=config.user_agent, timeout=config.timeout)
    kwargs["adapter_factory"] = _adapter_factory()
    if "scheme" in params:
        kwargs["scheme"] = config.scheme
    if config.domain is not None:
        if "domain" not in params:
            raise GeocodingConfigError(
                f"The online place search is not configured correctly: provider "
                f"{config.provider!r} has no domain setting; leave domain unset."
            )
        kwargs["domain"] = config.domain.strip("/ ")
    missing = [
        name
        for name, param in params.items()
        if name != "self"
        and param.default is inspect.Parameter.empty
        and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
        and name not in kwargs
    ]
    if missing:
        raise GeocodingConfigError(
            f"The online place search is not configured correctly: provider "
            f"{config.provider!r} needs {', '.join(missing)}; pass it in options."
        )
    unknown = sorted(set(config.options) - set(params))
    if unknown and not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        raise GeocodingConfigError(
            f"The online place search is not configured correctly: provider "
            f"{config.provider!r} has no setting {', '.join(unknown)}."
        )
    try:
        return cls(**kwargs)
    except (geopy_exc.GeopyError, TypeError, ValueError) as exc:
        raise GeocodingConfigError(
            f"The online place search is not configured correctly: {exc}"
        ) from exc


# Keyed by config and clock: the app and the CLI both use the system clock and so share
# one service per config; a test's fake clock gets services of its own.
_REGISTRY: dict[tuple[GeocoderConfig, Clock], _Service] = {}
_REGISTRY_LOCK = threading.Lock()


def _shared_service(config: GeocoderConfig, clock: Clock) -> _Service:
    with _REGISTRY_LOCK:
        service = _REGISTRY.get((config, clock))
        if service is None:
            service = _Service(config, clock)
            _REGISTRY[(config, clock)] = service
        return service
