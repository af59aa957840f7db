"""How to reach the online search: `GeocoderConfig`, checked when it is built.

Nominatim's usage policy (https://operations.osmfoundation.org/policies/nominatim/) asks
for an identifying user agent and at most one request a second; a config that breaks it is
refused here, with what to change, before anything is sent.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeGuard

from geopy.geocoders import SERVICE_TO_GEOCODER

from geo import __version__
from geo.errors import GeocodingConfigError

NOMINATIM = "nominatim"
DEFAULT_NOMINATIM_DOMAIN = "nominatim.openstreetmap.org"
OSM_ATTRIBUTION = "Data © OpenStreetMap contributors, ODbL 1.0"
OSM_COPYRIGHT_URL = "https://www.openstreetmap.org/copyright"
NOMINATIM_POLICY_URL = "https://operations.osmfoundation.org/policies/nominatim/"

# After a 429 without Retry-After the service did not say how long to wait; hammering it
# again at one request a second is what gets an application blocked.
DEFAULT_BACKOFF_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 3600.0

# Identifies the application, as Nominatim's usage policy asks.
DEFAULT_USER_AGENT = f"geo-evidence-explorer/{__version__} (satellite-evidence explorer)"
EXAMPLE_USER_AGENT = "geo-evidence-explorer/0.1 (+mailto:you@your-organisation.org)"

# The parameters this package sets itself; letting `options` override them would bypass the
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


def attribution(config: GeocoderConfig) -> str:
    """The line to show under online results, as the provider's terms ask."""
    if config.provider == NOMINATIM:
        return f"Search by Nominatim ({config.host}). {OSM_ATTRIBUTION} ({OSM_COPYRIGHT_URL})."
    if config.provider == "photon":
        return f"Search by Photon ({config.host}). {OSM_ATTRIBUTION} ({OSM_COPYRIGHT_URL})."
    name = SERVICE_TO_GEOCODER[config.provider].__name__
    return f"Search by {name} ({config.host}); see the provider's terms for its data."


def provider_label(config: GeocoderConfig) -> str:
    """The provider as a result's `source` names it."""
    if config.provider == NOMINATIM:
        if config.host == DEFAULT_NOMINATIM_DOMAIN:
            return "Nominatim (OpenStreetMap)"
        return f"Nominatim at {config.host} (OpenStreetMap)"
    return f"{SERVICE_TO_GEOCODER[config.provider].__name__} ({config.host})"


def is_seconds(value: object, *, allow_zero: bool = False) -> TypeGuard[float]:
    """Whether `value` is a finite, positive (or, if allowed, zero) number: not a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    return value >= 0 if allow_zero else value > 0


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
    if not is_seconds(config.timeout):
        problems.append(f"timeout must be a positive number of seconds, not {config.timeout!r}.")
    if not is_seconds(config.min_delay_seconds, allow_zero=True):
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


def _is_public_nominatim(config: GeocoderConfig) -> bool:
    provider = config.provider.strip().lower() if isinstance(config.provider, str) else ""
    domain = (config.domain or DEFAULT_NOMINATIM_DOMAIN).strip("/ ").lower()
    return provider == NOMINATIM and domain == DEFAULT_NOMINATIM_DOMAIN
