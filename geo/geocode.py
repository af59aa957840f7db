"""Online place search (Nominatim by default): off unless the user turns it on.

A search sends the user's words to a third party, so nothing here runs on its own: the
caller builds an `OnlineGeocoder` once the user has turned online search on, and calls
`search()` on an explicit action (never as they type).

The Nominatim usage policy (https://operations.osmfoundation.org/policies/nominatim/) asks
for an identifying user agent, at most one request a second from the whole application,
caching, and attribution. So: the user agent is checked when the config is built; every
`OnlineGeocoder` built from equal configs shares one geopy `RateLimiter`, one result cache
and one back-off after HTTP 429 (the app keeps one instance with `st.cache_resource`, the
CLI builds its own, both land on the same shared state); and `attribution()` gives the line
to show under the results.

Every failure becomes a `GeocodingError` whose message says what happened and that the
offline search is unaffected; the geopy error is chained as its cause. A search never takes
longer than `GeocoderConfig.deadline_seconds` (twice the timeout): geopy's HTTP adapter
retries a silent server twice by default (three times the timeout in all) and a server that
trickles bytes is never timed out at all, so the request runs in a worker thread that the
caller stops waiting for at the deadline.

Time (the rate limiter's clock and sleep, the deadline, the back-off) is taken from a `Clock`,
the system's unless a test passes `OnlineGeocoder(config, clock=...)` a fake one, so tests
check every limit without sleeping or measuring.

Result text (names, types) comes from a third party: keep it verbatim and escape it where it
is shown (`geo.escape`).
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol
from urllib.error import HTTPError, URLError

from geopy import exc as geopy_exc
from geopy.adapters import AdapterHTTPError, RequestsAdapter, URLLibAdapter
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import SERVICE_TO_GEOCODER, get_geocoder_for_service

from geo import __version__
from geo.errors import DataError, GeoError, Problem
from geo.geojson import point_feature
from geo.records import LayerRecord, place_at

__all__ = [
    "DEFAULT_NOMINATIM_DOMAIN",
    "MAX_LIMIT",
    "MAX_QUERY_CHARS",
    "OSM_ATTRIBUTION",
    "SYSTEM_CLOCK",
    "Clock",
    "GeocoderConfig",
    "GeocodingBadResponse",
    "GeocodingConfigError",
    "GeocodingError",
    "GeocodingQueryRejected",
    "GeocodingQuotaExceeded",
    "GeocodingRateLimited",
    "GeocodingRefused",
    "GeocodingTimedOut",
    "GeocodingUnavailable",
    "OnlineCandidate",
    "OnlineGeocoder",
    "attribution",
]

NOMINATIM = "nominatim"
DEFAULT_NOMINATIM_DOMAIN = "nominatim.openstreetmap.org"
OSM_ATTRIBUTION = "Data © OpenStreetMap contributors, ODbL 1.0"
OSM_COPYRIGHT_URL = "https://www.openstreetmap.org/copyright"
NOMINATIM_POLICY_URL = "https://operations.osmfoundation.org/policies/nominatim/"

MAX_QUERY_CHARS = 200
# Nominatim caps `limit` at 40; asking for more would look like a bug on our side.
MAX_LIMIT = 40
CACHE_SIZE = 256
# After a 429 without Retry-After the service did not say how long to wait; hammering it
# again at one request a second is what gets an application blocked.
DEFAULT_BACKOFF_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 3600.0

STILL_WORKS = "The offline place search still works."
# Identifies the application, as Nominatim's usage policy asks.
DEFAULT_USER_AGENT = f"geo-evidence-explorer/{__version__} (satellite-evidence explorer)"
EXAMPLE_USER_AGENT = "geo-evidence-explorer/0.1 (+mailto:you@your-organisation.org)"

# The parameters this module sets itself; letting `options` override them would bypass the
# user-agent check, the timeout bound or the no-retry adapter.
_MANAGED_OPTIONS = frozenset(
    {"user_agent", "timeout", "domain", "scheme", "adapter_factory", "ssl_context"}
)

try:
    from geopy.geocoders.nominatim import _REJECTED_USER_AGENTS as _GEOPY_SAMPLE_AGENTS
except ImportError:  # a private name: geopy may rename it
    _GEOPY_SAMPLE_AGENTS = (
        "my-application",
        "my_app/1",
        "my_user_agent/1.0",
        "specify_your_app_name_here",
    )

_SAMPLE_USER_AGENTS = frozenset(
    agent.casefold() for agent in (*_GEOPY_SAMPLE_AGENTS, EXAMPLE_USER_AGENT)
)
# The policy refuses "stock User-Agents as set by http libraries"; a browser's string
# pretends to be a person clicking around, which it also asks applications not to do.
_STOCK_USER_AGENT_PREFIXES = (
    "geopy/",
    "python-requests/",
    "python-urllib/",
    "python/",
    "curl/",
    "wget/",
    "mozilla/",
)


# -- errors ------------------------------------------------------------------------------


class GeocodingError(GeoError):
    """The online search failed or is misconfigured; the message is meant for the user."""

    def __init__(self, message: str, *, host: str | None = None, status: int | None = None):
        super().__init__(message)
        self.host = host
        self.status = status


class GeocodingConfigError(GeocodingError, ValueError):
    """The online search is configured wrongly: refused when the config or geocoder is built."""


class GeocodingUnavailable(GeocodingError):
    """The service could not be reached, or answered that it is down or overloaded."""


class GeocodingTimedOut(GeocodingUnavailable):
    """No answer in time (a kind of unavailability: the remedy is the same)."""


class GeocodingRefused(GeocodingError):
    """The service refused this application (HTTP 401/403/407): retrying will not help."""


class GeocodingQuotaExceeded(GeocodingError):
    """The account's quota is used up (HTTP 402)."""

    def __init__(
        self,
        message: str,
        *,
        host: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, host=host, status=status)
        self.retry_after = retry_after


class GeocodingRateLimited(GeocodingQuotaExceeded):
    """Too many requests (HTTP 429); `retry_after` is how many seconds to wait, when known."""


class GeocodingQueryRejected(GeocodingError):
    """The service did not accept the search itself (HTTP 400, or an error in its answer)."""


class GeocodingBadResponse(GeocodingError):
    """The service answered something this module cannot read."""


# -- configuration -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GeocoderConfig:
    """How to reach the online search. Equal configs share one rate limiter and one cache.

    `domain` is the host (and port) without scheme; None means the provider's own
    (nominatim.openstreetmap.org for Nominatim). `options` are passed to the geopy
    geocoder's constructor, e.g. `{"api_key": "..."}` for providers that need one; they are
    left out of `repr` so a key does not end up in a log.
    """

    user_agent: str
    provider: str = NOMINATIM
    domain: str | None = None
    scheme: str = "https"
    timeout: float = 5.0
    min_delay_seconds: float = 1.0
    options: Mapping[str, Any] = field(default_factory=dict, hash=False, repr=False)

    def __post_init__(self) -> None:
        problems = _config_problems(self)
        if problems:
            raise GeocodingConfigError(
                "The online place search is not configured correctly: " + " ".join(problems)
            )
        # Frozen means frozen: a caller must not change the options of a config that is a
        # key of the shared registry.
        object.__setattr__(self, "provider", self.provider.strip().lower())
        object.__setattr__(self, "user_agent", self.user_agent.strip())
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def deadline_seconds(self) -> float:
        """The longest a `search()` call waits, whatever the network does."""
        return 2 * self.timeout

    @property
    def host(self) -> str:
        """The host named in messages."""
        if self.domain is not None:
            return self.domain
        return DEFAULT_NOMINATIM_DOMAIN if self.provider == NOMINATIM else self.provider


def _config_problems(config: GeocoderConfig) -> list[str]:
    problems: list[str] = []
    agent_problem = _user_agent_problem(config.user_agent)
    if agent_problem:
        problems.append(agent_problem)
    if not isinstance(config.provider, str) or config.provider.strip().lower() not in (
        SERVICE_TO_GEOCODER
    ):
        problems.append(
            f"unknown provider {config.provider!r}; use one of "
            f"{', '.join(sorted(SERVICE_TO_GEOCODER))}."
        )
    if config.domain is not None:
        domain = config.domain
        if not isinstance(domain, str) or not domain.strip("/ "):
            problems.append("domain must be a host name such as nominatim.openstreetmap.org.")
        elif "://" in domain or "/" in domain.strip("/"):
            problems.append(
                f"domain {domain!r} must be a host name (and port) only, such as "
                "nominatim.openstreetmap.org or 127.0.0.1:8080; set the scheme separately."
            )
    if config.scheme not in ("http", "https"):
        problems.append(f"scheme must be 'http' or 'https', not {config.scheme!r}.")
    if not _positive(config.timeout):
        problems.append(f"timeout must be a positive number of seconds, not {config.timeout!r}.")
    if not _positive(config.min_delay_seconds, allow_zero=True):
        problems.append(
            "min_delay_seconds must be zero or a positive number of seconds, "
            f"not {config.min_delay_seconds!r}."
        )
    elif _is_public_nominatim(config) and config.min_delay_seconds < 1.0:
        problems.append(
            "min_delay_seconds must be at least 1 for nominatim.openstreetmap.org: its usage "
            f"policy allows one request a second ({NOMINATIM_POLICY_URL})."
        )
    if not isinstance(config.options, Mapping):
        problems.append("options must be a mapping of geocoder settings, such as api_key.")
    else:
        clashing = sorted(_MANAGED_OPTIONS & set(config.options))
        if clashing:
            problems.append(
                f"options may not set {', '.join(clashing)}: use the config's own fields."
            )
    return problems


def _user_agent_problem(user_agent: object) -> str | None:
    advice = (
        f'Set a user agent that names this application and how to reach you, such as "'
        f'{EXAMPLE_USER_AGENT}" with your own address; the Nominatim usage policy '
        f"({NOMINATIM_POLICY_URL}) blocks stock and sample ones."
    )
    if not isinstance(user_agent, str) or not user_agent.strip():
        return "the user agent is empty. " + advice
    agent = user_agent.strip()
    # A header value with a newline or other control character would be refused by the HTTP
    # library at the first search: better to say so now.
    if not all(32 <= ord(char) < 127 for char in agent):
        return f"the user agent {agent!r} must be printable ASCII on one line. " + advice
    folded = agent.casefold()
    if folded in _SAMPLE_USER_AGENTS or folded.startswith(_STOCK_USER_AGENT_PREFIXES):
        return f"the user agent {agent!r} is a stock or sample one. " + advice
    return None


def _positive(value: object, *, allow_zero: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    return value >= 0 if allow_zero else value > 0


def _is_public_nominatim(config: GeocoderConfig) -> bool:
    provider = config.provider.strip().lower() if isinstance(config.provider, str) else ""
    domain = (config.domain or DEFAULT_NOMINATIM_DOMAIN).strip("/ ").lower()
    return provider == NOMINATIM and domain == DEFAULT_NOMINATIM_DOMAIN


def attribution(config: GeocoderConfig) -> str:
    """The line to show under online results, as the provider's terms ask."""
    if config.provider == NOMINATIM:
        return f"Search by Nominatim ({config.host}). {OSM_ATTRIBUTION} ({OSM_COPYRIGHT_URL})."
    if config.provider == "photon":
        return f"Search by Photon ({config.host}). {OSM_ATTRIBUTION} ({OSM_COPYRIGHT_URL})."
    name = SERVICE_TO_GEOCODER[config.provider].__name__
    return f"Search by {name} ({config.host}); see the provider's terms for its data."


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineCandidate:
    """One place the online search found, with where it comes from.

    `category` and `kind` are the provider's own classification (Nominatim's `class` and
    `type`, such as "amenity" / "prison"); `bbox` is (min_lon, min_lat, max_lon, max_lat),
    the GeoJSON order.
    """

    name: str
    lat: float
    lon: float
    category: str | None
    kind: str | None
    importance: float | None
    source: str
    attribution: str
    osm_type: str | None = None
    osm_id: int | None = None
    url: str | None = None
    bbox: tuple[float, float, float, float] | None = None


def _candidates(
    locations: object, config: GeocoderConfig, provider_label: str
) -> tuple[OnlineCandidate, ...]:
    if locations is None:  # geopy's "nothing found"
        return ()
    if not isinstance(locations, list):
        locations = [locations]
    found = (_candidate(location, config, provider_label) for location in locations)
    return tuple(candidate for candidate in found if candidate is not None)


def _candidate(
    location: Any, config: GeocoderConfig, provider_label: str
) -> OnlineCandidate | None:
    raw = location.raw if isinstance(location.raw, Mapping) else {}
    if "lat" in raw or "lon" in raw or config.provider == NOMINATIM:
        # geopy's Nominatim parser turns a result without coordinates into 0, 0 (a point in
        # the Gulf of Guinea): read them from the answer itself.
        lat, lon = _number(raw.get("lat")), _number(raw.get("lon"))
    else:
        lat, lon = _number(location.latitude), _number(location.longitude)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    osm_type = raw.get("osm_type") if raw.get("osm_type") in ("node", "way", "relation") else None
    osm_id = _osm_id(raw.get("osm_id"))
    source = provider_label
    url = None
    if osm_type and osm_id is not None:
        source = f"{provider_label}, {osm_type} {osm_id}"
        url = f"https://www.openstreetmap.org/{osm_type}/{osm_id}"
    name = location.address if isinstance(location.address, str) and location.address else None
    return OnlineCandidate(
        name=name or f"{lat:.6f}, {lon:.6f}",
        lat=lat,
        lon=lon,
        category=_text(raw.get("class")) or _text(raw.get("category")),
        kind=_text(raw.get("type")) or _text(raw.get("addresstype")),
        importance=_number(raw.get("importance")),
        source=source,
        attribution=attribution(config),
        osm_type=osm_type,
        osm_id=osm_id,
        url=url,
        bbox=_bbox(raw.get("boundingbox")),
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _osm_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _bbox(value: object) -> tuple[float, float, float, float] | None:
    # Nominatim: [min_lat, max_lat, min_lon, max_lon], as strings.
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    south, north, west, east = (_number(part) for part in value)
    if south is None or north is None or west is None or east is None:
        return None
    return (west, south, east, north)


# -- time --------------------------------------------------------------------------------


class Clock(Protocol):
    """Where the online search takes its time from: `SYSTEM_CLOCK`, or a test's fake."""

    def now(self) -> float:
        """Seconds on a clock that never goes back (only differences mean anything)."""
        ...

    def sleep(self, seconds: float) -> None: ...

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Wait until `event` is set or `timeout` seconds pass; True if it was set."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wait(self, event: threading.Event, timeout: float) -> bool:
        return event.wait(timeout)


SYSTEM_CLOCK: Clock = SystemClock()


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


# -- the shared service ------------------------------------------------------------------


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
        self.provider_label = _provider_label(config)
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
        self.cache: OrderedDict[tuple[str, int], tuple[OnlineCandidate, ...]] = OrderedDict()
        self.flights: dict[tuple[str, int], _Flight] = {}
        self.blocked_until: float | None = None

    def search(self, query: str, key: tuple[str, int], limit: int) -> list[OnlineCandidate]:
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
                f"The online search did not finish within {_seconds(self.config.deadline_seconds)}"
                f" ({self.config.host} is slow or the network is). {STILL_WORKS}",
                host=self.config.host,
            )
        if flight.error is not None:
            raise _translate(flight.error, self.config) from flight.error
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
            f"resumes in {_seconds(wait)}. {STILL_WORKS}",
            host=self.config.host,
            status=429,
            retry_after=wait,
        )

    def _fly(self, flight: _Flight, key: tuple[str, int], query: str, limit: int) -> None:
        kwargs: dict[str, Any] = {"exactly_one": False}
        if self.accepts_limit:
            kwargs["limit"] = limit
        result: tuple[OnlineCandidate, ...] = ()
        error: BaseException | None = None
        try:
            locations = self.limiter(query, **kwargs)
            result = _candidates(locations, self.config, self.provider_label)[:limit]
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
                    if _positive(retry_after, allow_zero=True)
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
    return URLLibAdapter


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


def _provider_label(config: GeocoderConfig) -> str:
    if config.provider == NOMINATIM:
        if config.host == DEFAULT_NOMINATIM_DOMAIN:
            return "Nominatim (OpenStreetMap)"
        return f"Nominatim at {config.host} (OpenStreetMap)"
    return f"{SERVICE_TO_GEOCODER[config.provider].__name__} ({config.host})"


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


# -- errors from geopy -------------------------------------------------------------------


def _translate(error: BaseException, config: GeocoderConfig) -> GeocodingError:
    host = config.host
    status = _http_status(error)
    if isinstance(error, geopy_exc.GeocoderRateLimited) or status == 429:
        retry_after = _number(getattr(error, "retry_after", None))
        when = (
            f"try again in {_seconds(retry_after)}"
            if retry_after is not None
            else f"the online search pauses for {_seconds(DEFAULT_BACKOFF_SECONDS)}"
        )
        return GeocodingRateLimited(
            f"{host} is limiting requests from this application (HTTP 429): {when}. {STILL_WORKS}",
            host=host,
            status=status,
            retry_after=retry_after,
        )
    if isinstance(error, geopy_exc.GeocoderQuotaExceeded):
        return GeocodingQuotaExceeded(
            f"{host} says the usage quota of this account is used up"
            f"{_status_text(status)}. {STILL_WORKS}",
            host=host,
            status=status,
        )
    if isinstance(
        error,
        geopy_exc.GeocoderAuthenticationFailure | geopy_exc.GeocoderInsufficientPrivileges,
    ):
        return GeocodingRefused(
            f"{host} refused the request{_status_text(status)}: check the user agent and any "
            f"API key in the settings (Nominatim blocks applications that break its usage "
            f"policy). Trying again will not help. {STILL_WORKS}",
            host=host,
            status=status,
        )
    if status is not None:
        # geopy reports 503 as "timed out" and 502 as a plain service error: both mean the
        # service is down or overloaded, which is what the user should read.
        if status >= 500:
            return GeocodingUnavailable(
                f"{host} answered with an error (HTTP {status}): the service is down or "
                f"overloaded; try again later. {STILL_WORKS}",
                host=host,
                status=status,
            )
        if status == 408:
            return _timed_out(config, status)
        if isinstance(error, geopy_exc.GeocoderQueryError):
            return _query_rejected(host, status)
        return GeocodingError(
            f"{host} answered with an error (HTTP {status}). {STILL_WORKS}",
            host=host,
            status=status,
        )
    if isinstance(error, geopy_exc.GeocoderParseError):
        return _bad_response(host, status)
    if isinstance(error, geopy_exc.GeocoderTimedOut) or _caused_by_timeout(error):
        return _timed_out(config, status)
    if isinstance(error, geopy_exc.GeocoderUnavailable) or _caused_by_network(error):
        return GeocodingUnavailable(
            f"Could not reach {host}: no network, or the service is down? {STILL_WORKS}",
            host=host,
        )
    if isinstance(error, geopy_exc.GeocoderQueryError):
        # Nominatim's {"error": "..."} answer, sent with HTTP 200.
        return _query_rejected(host, status)
    # Whatever a provider's parser raises on an answer of the wrong shape: geopy lets
    # AttributeError, TypeError, ValueError through.
    return _bad_response(host, status)


def _timed_out(config: GeocoderConfig, status: int | None) -> GeocodingTimedOut:
    return GeocodingTimedOut(
        f"The online search timed out after {_seconds(config.timeout)} "
        f"(no answer from {config.host}); try again later. {STILL_WORKS}",
        host=config.host,
        status=status,
    )


def _query_rejected(host: str, status: int | None) -> GeocodingQueryRejected:
    return GeocodingQueryRejected(
        f"{host} did not accept this search{_status_text(status)}; try other words. {STILL_WORKS}",
        host=host,
        status=status,
    )


def _bad_response(host: str, status: int | None) -> GeocodingBadResponse:
    return GeocodingBadResponse(
        f"{host} sent an answer this application cannot read; the search found nothing it "
        f"can show. {STILL_WORKS}",
        host=host,
        status=status,
    )


def _chain(error: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        # requests wraps urllib3's errors in args rather than chaining them.
        for arg in current.args:
            if isinstance(arg, BaseException) and id(arg) not in seen:
                yield arg
        current = current.__cause__ or current.__context__


def _http_status(error: BaseException) -> int | None:
    for link in _chain(error):
        if isinstance(link, AdapterHTTPError) and isinstance(link.status_code, int):
            return link.status_code
    return None


def _caused_by_timeout(error: BaseException) -> bool:
    # A read timeout while the body is downloading comes out of requests as a
    # ConnectionError, so geopy calls it unavailable; the urllib adapter calls it a service
    # error. Underneath both is the socket's TimeoutError.
    return any(isinstance(link, TimeoutError) for link in _chain(error))


def _caused_by_network(error: BaseException) -> bool:
    # geopy's urllib adapter reports a refused connection or an unknown host as a plain
    # GeocoderServiceError; the error underneath says what it was. (Not OSError at large:
    # requests' JSONDecodeError and geopy's own errors are OSErrors too.)
    return any(
        isinstance(link, ConnectionError | socket.gaierror | URLError)
        and not isinstance(link, HTTPError)
        for link in _chain(error)
    )


def _status_text(status: int | None) -> str:
    return f" (HTTP {status})" if status is not None else ""


def _seconds(value: float) -> str:
    return f"{value:g} s" if value < 10 else f"{math.ceil(value)} s"


# -- the public class --------------------------------------------------------------------


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


def config_from_env(environ: Mapping[str, str] | None = None) -> GeocoderConfig:
    """The online geocoder the app and the CLI use, set by environment variables.

    GEO_GEOCODER (a geopy provider, default nominatim), GEO_GEOCODER_DOMAIN,
    GEO_GEOCODER_SCHEME, GEO_GEOCODER_USER_AGENT, GEO_GEOCODER_API_KEY and
    GEO_GEOCODER_TIMEOUT. Reading the configuration contacts nobody.
    """
    env = os.environ if environ is None else environ
    options: dict[str, Any] = {}
    if env.get("GEO_GEOCODER_API_KEY"):
        options["api_key"] = env["GEO_GEOCODER_API_KEY"]
    return GeocoderConfig(
        user_agent=env.get("GEO_GEOCODER_USER_AGENT") or DEFAULT_USER_AGENT,
        provider=env.get("GEO_GEOCODER") or NOMINATIM,
        domain=env.get("GEO_GEOCODER_DOMAIN") or None,
        scheme=env.get("GEO_GEOCODER_SCHEME") or "https",
        timeout=float(env.get("GEO_GEOCODER_TIMEOUT") or 5.0),
        options=options,
    )


def online_place_record(candidate: OnlineCandidate, *, layer: str) -> LayerRecord:
    """A chosen online result as a researcher's place, saying where its position is from."""
    return place_at(
        candidate.name,
        candidate.lon,
        candidate.lat,
        layer=layer,
        properties={
            "source": candidate.source,
            "position_source": f"{candidate.source}; {candidate.attribution}",
            "osm_type": candidate.osm_type,
            "osm_id": candidate.osm_id,
            "url": candidate.url,
            "category": candidate.category,
            "type": candidate.kind,
        },
    )


def online_geojson(candidates: Iterable[OnlineCandidate]) -> dict[str, Any]:
    """Online results as an RFC 7946 FeatureCollection, attribution in every feature."""
    features = [
        point_feature(
            c.lon,
            c.lat,
            {
                "name": c.name,
                "kind": "online",
                "category": c.category,
                "type": c.kind,
                "importance": c.importance,
                "source": c.source,
                "attribution": c.attribution,
                "url": c.url,
            },
        )
        for c in candidates
    ]
    return {"type": "FeatureCollection", "features": features}
