"""Catalogue items as the researcher's imagery records: metadata and footprint only.

Each added item becomes one `LayerRecord` of kind imagery in a layer of its own
("STAC: sentinel-2-l2a S2B_37SBT_20240503_0_L2A"), stored with `Store.import_layer` with
the item's JSON as the file kept (under its SHA-256), so the store holds what the
catalogue said. No pixel is fetched here (`geo.stac.pixels` does that, when asked).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from geo.access import Signer
from geo.errors import DataError, Problem
from geo.imagery.importing import ImageryFacts
from geo.records import MAX_NAME_LENGTH, Kind, LayerRecord, free_layer_name
from geo.stac.config import StacConfig
from geo.stac.results import StacAsset, StacItem, parse_item
from geo.store import ImportReceipt, Store

LAYER_PREFIX = "STAC: "
CATALOGUE_KEY = "stac_catalogue"  # the property that marks a record as a catalogue item


def item_url(item: StacItem, catalogue: str) -> str:
    """The item's own address: its self link, or where a STAC API keeps it."""
    if item.self_href:
        return item.self_href
    collection = item.collection or "unknown"
    return f"{catalogue.rstrip('/')}/collections/{collection}/items/{item.id}"


def item_record(item: StacItem, *, catalogue: str, layer: str) -> LayerRecord:
    """The imagery record for `item`: its footprint, its day (EDTF, precision day), the
    catalogue's datetime string as stated, every property of the item as it came, and the
    explorer's own fields (where it came from, its files, the source to cite)."""
    url = item_url(item, catalogue)
    own: dict[str, Any] = {
        CATALOGUE_KEY: catalogue,
        "collection": item.collection,
        "stac_item_id": item.id,
        "stac_item_url": url,
        "platform": item.platform,
        "constellation": item.constellation,
        "eo:cloud_cover": item.cloud_cover,
        "assets": {asset.key: asset.to_dict() for asset in item.assets},
        "sources": [
            {
                "title": f"STAC item {item.id} in {item.collection or 'the catalogue'}",
                "url": url,
            }
        ],
    }
    return LayerRecord(
        id="",
        layer=layer,
        kind=Kind.IMAGERY,
        name=item.id,
        geometry=item.geometry,
        properties={
            **item.properties,
            **{key: value for key, value in own.items() if value is not None},
        },
        date=item.day,
        date_as_stated=item.datetime_as_stated,
    )


def add_items(
    store: Store, items: list[StacItem], *, config: StacConfig, analyst: Signer
) -> list[ImportReceipt]:
    """Store each item as an imagery record in a layer of its own; every record is checked
    before the first is stored (DataError naming the item)."""
    taken = [info.name for info in store.layers()]
    planned: list[tuple[StacItem, LayerRecord]] = []
    problems: list[Problem] = []
    for item in items:
        collection = item.collection or config.collection
        base = f"{LAYER_PREFIX}{collection} {item.id}"[: MAX_NAME_LENGTH - 8]
        layer = free_layer_name(base, taken)
        taken.append(layer)
        record = item_record(item, catalogue=config.url, layer=layer)
        # the store gives the id; every other field is checked here, before any is stored
        problems += replace(record, id="stac").problems(file=item.id)
        planned.append((item, record))
    if problems:
        raise DataError(problems)
    return [
        store.import_layer(
            record.layer,
            [record],
            analyst=analyst,
            file_name=f"{item.id}.json",
            file_bytes=item.item_json.encode("utf-8"),
        )
        for item, record in planned
    ]


def is_catalogue_record(record: LayerRecord) -> bool:
    return record.kind == Kind.IMAGERY and isinstance(record.properties.get(CATALOGUE_KEY), str)


def _stored_item(record: LayerRecord) -> StacItem | None:
    return parse_item(
        {
            "id": record.properties.get("stac_item_id") or record.name,
            "properties": {"datetime": record.date_as_stated},
            "geometry": record.geometry,
            "assets": record.properties.get("assets"),
        }
    )


def record_assets(record: LayerRecord) -> tuple[StacAsset, ...]:
    """The files a stored catalogue record offers, read back from its properties."""
    item = _stored_item(record)
    return item.assets if item is not None else ()


def preferred_asset(record: LayerRecord) -> StacAsset | None:
    """The true-colour GeoTIFF of a stored catalogue record, if it offers one."""
    item = _stored_item(record)
    return item.preferred_asset if item is not None else None


def pixel_facts(record: LayerRecord, asset: StacAsset) -> ImageryFacts:
    """What the catalogue states about the downloaded image, as the import takes it."""
    properties = record.properties
    constellation = properties.get("constellation")
    platform = properties.get("platform")
    item_id = str(properties.get("stac_item_id") or record.name)
    url = properties.get("stac_item_url")
    return ImageryFacts(
        name=f"{item_id} {asset.key}"[:MAX_NAME_LENGTH],
        date=record.date,
        date_as_stated=record.date_as_stated,
        provider=_text(constellation) or _text(platform),
        sensor=_text(platform) if _text(constellation) else None,
        source_title=f"STAC item {item_id}, asset {asset.key}"[:MAX_NAME_LENGTH],
        source_url=url if isinstance(url, str) else None,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
