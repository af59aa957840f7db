"""Online place search (Nominatim by default): off unless the user turns it on.

A search sends the user's words to a third party, so nothing here runs on its own: the
caller builds an `OnlineGeocoder` once the user has turned online search on, and calls
`search()` on an explicit action (never as they type).

The Nominatim usage policy (https://operations.osmfoundation.org/policies/nominatim/) asks
for an identifying user agent, at most one request a second from the whole application,
caching, and attribution. Where each is kept:

- `config`: `GeocoderConfig`, which checks the user agent and the delay when it is built;
  `attribution()`, the line to show under the results.
- `service`: `OnlineGeocoder`; equal configs share one rate limiter, cache and back-off,
  and a search never outlasts its deadline.
- `clock`: the `Clock` the service takes its time from (a test passes a fake one).
- `failures`: geopy's errors translated, through one table, into the `GeocodingError`
  family of `geo.errors` (re-exported here).
- `results`: `OnlineCandidate` and its exports (a place record, GeoJSON).
"""

from geo.errors import (
    GeocodingBadResponse,
    GeocodingConfigError,
    GeocodingError,
    GeocodingQueryRejected,
    GeocodingQuotaExceeded,
    GeocodingRateLimited,
    GeocodingRefused,
    GeocodingTimedOut,
    GeocodingUnavailable,
)
from geo.geocode.clock import SYSTEM_CLOCK, Clock
from geo.geocode.config import (
    DEFAULT_NOMINATIM_DOMAIN,
    OSM_ATTRIBUTION,
    GeocoderConfig,
    attribution,
    config_from_env,
)
from geo.geocode.results import OnlineCandidate, online_geojson, online_place_record
from geo.geocode.service import MAX_LIMIT, MAX_QUERY_CHARS, OnlineGeocoder

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
    "config_from_env",
    "online_geojson",
    "online_place_record",
]
