"""What the online search found: `OnlineCandidate`, read from geopy's answer, and its exports.

Result text (names, types) comes from a third party: it is kept verbatim and escaped where
it is shown (`geo.escape`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo.geocode.config import NOMINATIM, GeocoderConfig, attribution
from geo.geojson import point_feature
from geo.records import LayerRecord, place_at


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


def read_candidates(
    locations: object, config: GeocoderConfig, provider_label: str
) -> tuple[OnlineCandidate, ...]:
    """geopy's answer (a Location, a list of them, or None) as candidates; unusable ones dropped."""
    if locations is None:  # geopy's "nothing found"
        return ()
    if not isinstance(locations, list):
        locations = [locations]
    found = (_candidate(location, config, provider_label) for location in locations)
    return tuple(candidate for candidate in found if candidate is not None)


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


def finite_number(value: object) -> float | None:
    """A number as a provider writes it (a number or a numeric string), if finite; not a bool."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _candidate(
    location: Any, config: GeocoderConfig, provider_label: str
) -> OnlineCandidate | None:
    raw = location.raw if isinstance(location.raw, Mapping) else {}
    if "lat" in raw or "lon" in raw or config.provider == NOMINATIM:
        # geopy's Nominatim parser turns a result without coordinates into 0, 0 (a point in
        # the Gulf of Guinea): read them from the answer itself.
        lat, lon = finite_number(raw.get("lat")), finite_number(raw.get("lon"))
    else:
        lat, lon = finite_number(location.latitude), finite_number(location.longitude)
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
        importance=finite_number(raw.get("importance")),
        source=source,
        attribution=attribution(config),
        osm_type=osm_type,
        osm_id=osm_id,
        url=url,
        bbox=_bbox(raw.get("boundingbox")),
    )


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
    south, north, west, east = (finite_number(part) for part in value)
    if south is None or north is None or west is None or east is None:
        return None
    return (west, south, east, north)
