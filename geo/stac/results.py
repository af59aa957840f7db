"""What a catalogue answered, as typed values: `StacItem` and its `StacAsset`s.

`parse_search_page` reads one page of a STAC API search (a GeoJSON FeatureCollection of
STAC Items). Whatever the page holds, it returns items or raises `CatalogueBadResponse`:
an answer that is no FeatureCollection is refused whole; an item the explorer cannot
show (no id, no date, no valid footprint) is left out and counted in `skipped`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from geo.dates import day_of_datetime
from geo.errors import CatalogueBadResponse
from geo.records import geometry_problems, json_problem, name_problem

# The asset a researcher fetches by default: the true-colour composite, a COG.
PREFERRED_ASSETS = ("visual", "tci", "true_color", "rendered_preview")
MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class StacAsset:
    """One file an item offers; `size` in bytes when the catalogue states it (file:size)."""

    key: str
    href: str
    media_type: str | None = None
    title: str | None = None
    roles: tuple[str, ...] = ()
    size: int | None = None

    @property
    def is_geotiff(self) -> bool:
        media = (self.media_type or "").lower()
        return "tiff" in media or self.href.lower().split("?")[0].endswith((".tif", ".tiff"))

    def to_dict(self) -> dict[str, Any]:
        """The asset as a record's properties keep it."""
        kept: dict[str, Any] = {"href": self.href}
        if self.media_type is not None:
            kept["type"] = self.media_type
        if self.title is not None:
            kept["title"] = self.title
        if self.roles:
            kept["roles"] = list(self.roles)
        if self.size is not None:
            kept["file:size"] = self.size
        return kept


@dataclass(frozen=True)
class StacItem:
    """One acquisition as the catalogue listed it.

    `day` is the EDTF date of the item (`item_date`: the day of its datetime, as
    stated, with no time-zone shift; or the days of its start and end where it has no
    datetime); `datetime_as_stated` is the catalogue's own words. `item_json` is the
    item as received (re-serialized from the parsed answer, keys in the catalogue's
    order).
    """

    id: str
    collection: str | None
    day: str
    datetime_as_stated: str
    geometry: dict[str, Any] = field(hash=False, compare=False)
    platform: str | None = None
    constellation: str | None = None
    cloud_cover: float | None = None
    self_href: str | None = None
    assets: tuple[StacAsset, ...] = ()
    item_json: str = field(default="", repr=False)
    # Every property as the catalogue wrote it (view angles, sun elevation, proj:epsg,
    # providers, licence, ...); the ones above are read from it.
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=False, repr=False)

    def asset(self, key: str) -> StacAsset | None:
        return next((a for a in self.assets if a.key == key), None)

    @property
    def preferred_asset(self) -> StacAsset | None:
        """The true-colour GeoTIFF (visual, TCI) if there is one, else the first GeoTIFF."""
        tiffs = [a for a in self.assets if a.is_geotiff]
        for wanted in PREFERRED_ASSETS:
            for asset in tiffs:
                if asset.key.casefold() == wanted:
                    return asset
        return tiffs[0] if tiffs else None


@dataclass(frozen=True)
class SearchPage:
    items: tuple[StacItem, ...]
    skipped: int  # items left out: no id, no usable date, no valid footprint
    next_link: dict[str, Any] | None = field(default=None, hash=False, compare=False)


def parse_search_page(data: Any, *, host: str = "the catalogue") -> SearchPage:
    """The items of one page of a STAC API search; `CatalogueBadResponse` for an answer that
    is not a FeatureCollection of items. Never raises anything else."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise CatalogueBadResponse(
            f"{host} did not answer with STAC search results (a GeoJSON FeatureCollection); "
            "is the address that of a STAC API?",
            host=host,
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise CatalogueBadResponse(
            f"{host} answered a FeatureCollection without a list of features.", host=host
        )
    items: list[StacItem] = []
    skipped = 0
    for feature in features:
        item = parse_item(feature)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    return SearchPage(tuple(items), skipped, _next_link(data.get("links")))


def item_date(properties: dict[str, Any]) -> tuple[str, str] | None:
    """An item's date (EDTF) and the catalogue's words for it: the day of its
    `datetime`; or, where that is null, the days from `start_datetime` to
    `end_datetime` (an interval, unless both fall on one day), as the STAC spec has
    it for an acquisition over a span. None when neither can be read."""
    stated = properties.get("datetime")
    if isinstance(stated, str):
        day = day_of_datetime(stated) if len(stated) <= 64 else None
        return (day, stated) if day is not None else None
    start, end = properties.get("start_datetime"), properties.get("end_datetime")
    if not (isinstance(start, str) and isinstance(end, str)) or len(start) + len(end) > 128:
        return None
    first, last = day_of_datetime(start), day_of_datetime(end)
    if first is None or last is None or last < first:
        return None
    return (first if first == last else f"{first}/{last}"), f"{start}/{end}"


def parse_item(feature: Any) -> StacItem | None:
    """A STAC Item as the explorer keeps it, or None when it cannot be shown."""
    if not isinstance(feature, dict):
        return None
    item_id = feature.get("id")
    if name_problem(item_id, "the id", limit=MAX_ID_LENGTH) is not None:
        return None
    assert isinstance(item_id, str)
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        return None
    dated = item_date(properties)
    if dated is None:
        return None
    day, stated = dated
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or json_problem(geometry) or geometry_problems(geometry):
        return None
    collection = feature.get("collection")
    try:
        item_json = json.dumps(feature, ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return None
    return StacItem(
        id=item_id,
        collection=_text(collection),
        day=day,
        datetime_as_stated=stated,
        geometry=geometry,
        platform=_text(properties.get("platform")),
        constellation=_text(properties.get("constellation")),
        cloud_cover=_percent(properties.get("eo:cloud_cover")),
        self_href=_self_link(feature.get("links")),
        assets=_assets(feature.get("assets")),
        item_json=item_json,
        properties=properties,
    )


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() and name_problem(value, "text") is None:
        return value
    return None


def _percent(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0 <= number <= 100 else None


def _size(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _http(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("http://", "https://")) and value.isprintable():
        return value
    return None


def _self_link(links: Any) -> str | None:
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("rel") == "self":
            return _http(link.get("href"))
    return None


def _next_link(links: Any) -> dict[str, Any] | None:
    """The link to the next page: a GET address, or a POST with its body (STAC API paging)."""
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("rel") == "next" and _http(link.get("href")):
            method = link.get("method", "GET")
            body = link.get("body", {})
            if method not in ("GET", "POST") or not isinstance(body, dict):
                return None
            kept = {"rel": "next", "href": link["href"], "method": method}
            if body:
                kept["body"] = body
            if isinstance(link.get("merge"), bool):
                kept["merge"] = link["merge"]
            return kept
    return None


def _assets(assets: Any) -> tuple[StacAsset, ...]:
    if not isinstance(assets, dict):
        return ()
    kept = []
    for key, asset in assets.items():
        if not isinstance(asset, dict) or _text(key) is None:
            continue
        href = _http(asset.get("href"))
        if href is None:  # s3:// and relative links cannot be fetched here
            continue
        roles = asset.get("roles")
        kept.append(
            StacAsset(
                key=key,
                href=href,
                media_type=_text(asset.get("type")),
                title=_text(asset.get("title")),
                roles=tuple(r for r in roles if isinstance(r, str))
                if isinstance(roles, list)
                else (),
                size=_size(asset.get("file:size")),
            )
        )
    return tuple(kept)
