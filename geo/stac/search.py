"""The catalogue search: `search_catalogue`, sent only when the caller says online search
is on, and never waiting longer than `StacConfig.deadline_seconds`.

pystac-client does the STAC API work (landing page, conformance, POST or GET /search,
paging); its `StacApiIO` is the transport seam (`stac_io`: tests may pass their own), set
here with a timeout on every request and no retries. The search runs in a worker thread
that the caller stops waiting for at the deadline, on the `clock` given (the seam tests
use to run the deadline without sleeping).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pystac import Link
from pystac_client import Client
from pystac_client.stac_api_io import StacApiIO

from geo.errors import CatalogueOff, CatalogueTimedOut, DataError, Problem
from geo.geocode.clock import SYSTEM_CLOCK, Clock
from geo.geocode.failures import seconds
from geo.stac.config import StacConfig
from geo.stac.failures import STILL_WORKS, translate
from geo.stac.results import StacItem, parse_search_page

OFF_MESSAGE = (
    "Online search is off, so the catalogue was not asked: nothing left this machine. "
    "Turn on 'Online place search' in the sidebar to search a catalogue."
)

# A catalogue that keeps sending "next" links is not followed for ever.
MAX_PAGES = 20

StacIOFactory = Callable[[StacConfig], StacApiIO]


def default_stac_io(config: StacConfig) -> StacApiIO:
    """pystac-client's transport with a timeout on every request and no retries (its
    default retries five times with back-off: a hang, from the page's point of view)."""
    return StacApiIO(
        headers={"User-Agent": config.user_agent},
        timeout=(config.timeout, config.timeout),
        max_retries=None,
    )


@dataclass(frozen=True)
class SearchRequest:
    """Acquisitions over one position, between two days (both included)."""

    lon: float
    lat: float
    start: date
    end: date
    max_cloud_cover: float = 100.0  # percent; items of unknown cloud cover are kept
    collection: str | None = None  # None: the config's

    def problems(self) -> list[Problem]:
        problems = []
        if not _finite(self.lon) or not -180 <= self.lon <= 180:
            problems.append(Problem("the longitude must be -180 to 180", field="lon"))
        if not _finite(self.lat) or not -90 <= self.lat <= 90:
            problems.append(Problem("the latitude must be -90 to 90", field="lat"))
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            problems.append(Problem("the dates must be days", field="start"))
        elif self.end < self.start:
            problems.append(Problem("the search ends before it starts", field="end"))
        if not _finite(self.max_cloud_cover) or not 0 <= self.max_cloud_cover <= 100:
            problems.append(Problem("the cloud cover is 0 to 100 %", field="max_cloud_cover"))
        if self.collection is not None and not self.collection.strip():
            problems.append(Problem("name the collection", field="collection"))
        return problems


@dataclass(frozen=True)
class SearchResults:
    """What a search found, in date order (then id)."""

    catalogue: str  # the STAC API's URL
    collection: str
    items: tuple[StacItem, ...]
    skipped: int  # items the catalogue listed that cannot be shown (no date, no footprint)
    too_cloudy: int  # items left out for their cloud cover
    truncated: bool  # the catalogue had more than `max_items`


def search_catalogue(
    config: StacConfig,
    request: SearchRequest,
    *,
    enabled: bool,
    clock: Clock = SYSTEM_CLOCK,
    stac_io: StacIOFactory = default_stac_io,
) -> SearchResults:
    """Acquisitions in the catalogue over `request`'s position and days.

    Sends nothing unless `enabled` (`CatalogueOff`). Raises `DataError` for a request it
    will not send and a `CatalogueError` for a failure of the catalogue, within
    `config.deadline_seconds`.
    """
    if enabled is not True:
        raise CatalogueOff(OFF_MESSAGE, host=config.host)
    problems = request.problems()
    if problems:
        raise DataError(problems)
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = _search(config, request, stac_io)
        except BaseException as exc:  # every failure goes back to the waiting caller
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="stac-search", daemon=True).start()
    if not clock.wait(done, config.deadline_seconds):
        raise CatalogueTimedOut(
            f"The catalogue search did not finish within {seconds(config.deadline_seconds)} "
            f"({config.host} is slow, or the network is). {STILL_WORKS}",
            host=config.host,
        )
    if "error" in outcome:
        error: BaseException = outcome["error"]
        raise translate(error, host=config.host, timeout=config.timeout) from error
    result: SearchResults = outcome["result"]
    return result


def _search(config: StacConfig, request: SearchRequest, stac_io: StacIOFactory) -> SearchResults:
    collection = (request.collection or config.collection).strip()
    io = stac_io(config)
    # Client.open calls io.update(timeout=...) with its own argument: without it, the
    # transport's timeout is reset to None (no timeout at all).
    timeout = (config.timeout, config.timeout)
    client = Client.open(config.url, stac_io=io, timeout=timeout)
    io.timeout = timeout
    search = client.search(
        collections=[collection],
        intersects={"type": "Point", "coordinates": [request.lon, request.lat]},
        datetime=f"{request.start.isoformat()}/{request.end.isoformat()}",
        limit=min(config.max_items, 100),
    )
    # Page by page through pystac-client's transport, each page read by our parser (its
    # own pager takes an answer without features for "no results").
    parameters = search.get_parameters()
    page: Any = io.read_json(search.url, method=search.method, parameters=parameters)
    items: list[StacItem] = []
    skipped = too_cloudy = 0
    truncated = False
    for _ in range(MAX_PAGES):
        parsed = parse_search_page(page, host=config.host)
        skipped += parsed.skipped
        for item in parsed.items:
            if item.cloud_cover is not None and item.cloud_cover > request.max_cloud_cover:
                too_cloudy += 1
            elif len(items) >= config.max_items:
                truncated = True
            else:
                items.append(item)
        if truncated or parsed.next_link is None or not parsed.items:
            break
        page = io.read_json(Link.from_dict(parsed.next_link), parameters=parameters)
    else:
        truncated = True
    items.sort(key=lambda item: (item.day, item.datetime_as_stated, item.id))
    return SearchResults(
        catalogue=config.url,
        collection=collection,
        items=tuple(items),
        skipped=skipped,
        too_cloudy=too_cloudy,
        truncated=truncated,
    )


def _finite(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
