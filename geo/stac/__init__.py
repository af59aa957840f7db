"""Where public imagery exists: a STAC catalogue searched online, only when the user has
turned online search on (the caller passes `enabled`; nothing here runs on its own).

- `config`: `StacConfig` (Earth Search's sentinel-2-l2a by default; GEO_STAC_URL and
  friends through `config_from_env`), checked when it is built.
- `search`: `search_catalogue` over pystac-client, a timeout on every request and a
  deadline on the whole search (`clock` and `stac_io` are the seams tests use).
- `results`: `StacItem`, `StacAsset`, `parse_search_page` (any JSON in, items or
  `CatalogueBadResponse` out).
- `failures`: every failure through one table into the `CatalogueError` family of
  `geo.errors` (re-exported here).
- `records`: items as imagery records (metadata and footprint), `add_items`.
- `pixels`: a record's file fetched when asked: `download_size`, `download`,
  `fetch_pixels` (imports it with `geo.imagery.importing.import_image`).
- `transport`: the `Transport` seam for downloads.
"""

from geo.errors import (
    CatalogueBadResponse,
    CatalogueConfigError,
    CatalogueError,
    CatalogueOff,
    CatalogueRefused,
    CatalogueTimedOut,
    CatalogueTooLarge,
    CatalogueUnavailable,
)
from geo.stac.config import (
    DEFAULT_COLLECTION,
    EARTH_SEARCH_URL,
    StacConfig,
    config_from_env,
)
from geo.stac.pixels import asset_of, download, download_size, fetch_pixels, megabytes
from geo.stac.records import (
    add_items,
    is_catalogue_record,
    item_record,
    preferred_asset,
    record_assets,
)
from geo.stac.results import SearchPage, StacAsset, StacItem, parse_search_page
from geo.stac.search import OFF_MESSAGE, SearchRequest, SearchResults, search_catalogue
from geo.stac.transport import RequestsTransport, Transport

__all__ = [
    "DEFAULT_COLLECTION",
    "EARTH_SEARCH_URL",
    "OFF_MESSAGE",
    "CatalogueBadResponse",
    "CatalogueConfigError",
    "CatalogueError",
    "CatalogueOff",
    "CatalogueRefused",
    "CatalogueTimedOut",
    "CatalogueTooLarge",
    "CatalogueUnavailable",
    "RequestsTransport",
    "SearchPage",
    "SearchRequest",
    "SearchResults",
    "StacAsset",
    "StacConfig",
    "StacItem",
    "Transport",
    "add_items",
    "asset_of",
    "config_from_env",
    "download",
    "download_size",
    "fetch_pixels",
    "is_catalogue_record",
    "item_record",
    "megabytes",
    "parse_search_page",
    "preferred_asset",
    "record_assets",
    "search_catalogue",
]
