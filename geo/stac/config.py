"""How to reach the STAC catalogue: `StacConfig`, checked when it is built.

Reading the configuration contacts nobody; a search is sent only when the caller passes
`enabled=True` (the user turned online search on).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from geo import __version__
from geo.errors import CatalogueConfigError

EARTH_SEARCH_URL = "https://earth-search.aws.element84.com/v1"
DEFAULT_COLLECTION = "sentinel-2-l2a"
DEFAULT_USER_AGENT = f"geo-evidence-explorer/{__version__} (satellite-evidence explorer)"
# A Sentinel-2 visual COG is 100-250 MB; a larger file is refused before a byte is read.
DEFAULT_MAX_DOWNLOAD_BYTES = 500 * 1024 * 1024
# Results listed for one search: enough for a year of Sentinel-2 passes over one spot.
DEFAULT_MAX_ITEMS = 100


@dataclass(frozen=True, kw_only=True)
class StacConfig:
    """Which STAC API to ask and how long to wait for it.

    `timeout` bounds each request (connect and each read); `deadline_seconds` bounds a
    whole search, however many pages it takes. `max_download_bytes` bounds a pixel download.
    """

    url: str = EARTH_SEARCH_URL
    collection: str = DEFAULT_COLLECTION
    timeout: float = 10.0
    user_agent: str = DEFAULT_USER_AGENT
    max_items: int = DEFAULT_MAX_ITEMS
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    max_download_seconds: float = 1800.0

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise CatalogueConfigError(
                "The catalogue search is not configured correctly: " + " ".join(problems)
            )
        object.__setattr__(self, "url", self.url.strip().rstrip("/"))
        object.__setattr__(self, "collection", self.collection.strip())

    @property
    def host(self) -> str:
        """The host named in messages."""
        return urlsplit(self.url).netloc or self.url

    @property
    def deadline_seconds(self) -> float:
        """The longest a search waits, whatever the network does."""
        return 3 * self.timeout


def config_from_env(environ: Mapping[str, str] | None = None) -> StacConfig:
    """The catalogue the app uses, set by environment variables: GEO_STAC_URL,
    GEO_STAC_COLLECTION, GEO_STAC_TIMEOUT (seconds) and GEO_STAC_MAX_DOWNLOAD_MB."""
    env = os.environ if environ is None else environ
    try:
        timeout = float(env.get("GEO_STAC_TIMEOUT") or 10.0)
        megabytes = float(env.get("GEO_STAC_MAX_DOWNLOAD_MB") or 500)
    except ValueError as exc:
        raise CatalogueConfigError(
            f"The catalogue search is not configured correctly: {exc} "
            "(GEO_STAC_TIMEOUT and GEO_STAC_MAX_DOWNLOAD_MB are numbers)."
        ) from exc
    if not math.isfinite(megabytes) or megabytes <= 0:
        raise CatalogueConfigError(
            "The catalogue search is not configured correctly: GEO_STAC_MAX_DOWNLOAD_MB "
            f"must be a positive number, not {megabytes!r}."
        )
    return StacConfig(
        url=env.get("GEO_STAC_URL") or EARTH_SEARCH_URL,
        collection=env.get("GEO_STAC_COLLECTION") or DEFAULT_COLLECTION,
        timeout=timeout,
        max_download_bytes=int(megabytes * 1024 * 1024),
    )


def _problems(config: StacConfig) -> list[str]:
    problems: list[str] = []
    url = config.url.strip() if isinstance(config.url, str) else ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(
            f"the catalogue address {config.url!r} must be an http(s) URL such as "
            f"{EARTH_SEARCH_URL} (set GEO_STAC_URL)."
        )
    if not isinstance(config.collection, str) or not config.collection.strip():
        problems.append("the collection must be named, such as sentinel-2-l2a.")
    timeout = config.timeout
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        problems.append(f"the timeout must be a positive number of seconds, not {timeout!r}.")
    if (
        isinstance(config.max_items, bool)
        or not isinstance(config.max_items, int)
        or not 1 <= config.max_items <= 10_000
    ):
        problems.append(f"max_items must be 1 to 10,000, not {config.max_items!r}.")
    if (
        isinstance(config.max_download_bytes, bool)
        or not isinstance(config.max_download_bytes, int)
        or config.max_download_bytes <= 0
    ):
        problems.append(
            f"max_download_bytes must be a positive number, not {config.max_download_bytes!r}."
        )
    agent = config.user_agent
    if not isinstance(agent, str) or not agent.strip() or not agent.isprintable():
        problems.append("the user agent must be printable text on one line.")
    return problems
