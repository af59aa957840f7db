"""GeoJSON and STAC uploads: a FeatureCollection, a Feature, a bare geometry, a STAC Item or
ItemCollection.

Parsing and geometry checks are geo.geojson's (strict JSON: no NaN; RFC 7946
positions); this module adds the limits, the ``crs`` member GDAL writes (read
by `geo.formats.crs`) and the mapping of each feature to a `LayerRecord`.
"""

from __future__ import annotations

import copy
from typing import Any

from geo.dates import day_of_datetime
from geo.errors import DataError
from geo.formats.crs import DeclaredCrs, declared_crs, transformed
from geo.formats.limits import check_json_shape
from geo.formats.reader import Format, Reader, Upload, lookup
from geo.geojson import COORDINATE_DEPTH, features_of, parse_json_text
from geo.records import Kind


def _crs_note(declared: DeclaredCrs) -> str:
    if declared.transform is None:
        return (
            f"the file names its coordinate system ('crs': {declared.name}): WGS84 "
            "longitude/latitude, read as such (RFC 7946 leaves 'crs' out, GDAL writes it)"
        )
    return (
        f"the coordinates were transformed from {declared.described}, the file's 'crs', to "
        "WGS84 longitude/latitude with pyproj (the file itself is kept as received)"
    )


STAC_ASSET_FIELDS = ("href", "type", "title")


def read_json(text: str, reader: Reader) -> Upload:
    check_json_shape(text, file=reader.file, limits=reader.limits)
    data = parse_json_text(text, file=reader.file)
    if not isinstance(data, dict):
        reader.refuse(
            "expected a GeoJSON object (FeatureCollection, Feature or geometry), "
            f"got a JSON {_json_type(data)}"
        )
    kind = data.get("type")
    if not isinstance(kind, str):
        reader.refuse(f"'type' must be text, got {kind!r}"[:200], field="type")
    declared = _declared(data, reader, record=None)
    if kind in ("Collection", "Catalog") and "stac_version" in data:
        reader.refuse(
            f"a STAC {kind} lists items without footprints of its own: "
            "upload a STAC Item or an ItemCollection (a FeatureCollection of items)"
        )
    if kind == "FeatureCollection":
        features = data.get("features")
        if isinstance(features, list):
            reader.check_feature_count(len(features))
        # The case's own files may not name a 'crs' (features_of refuses it); an upload may.
        features = features_of(
            {key: value for key, value in data.items() if key != "crs"}, file=reader.file
        )
        if _is_stac_collection(data, features):
            return _read_stac(features, reader, declared)
        return read_features(features, reader, declared)
    if kind == "Feature":
        reader.check_feature_count(1)
        if "stac_version" in data:
            return _read_stac([data], reader, declared)
        return read_features([data], reader, declared)
    if kind in COORDINATE_DEPTH or kind == "GeometryCollection":
        reader.check_feature_count(1)
        bare = {key: value for key, value in data.items() if key != "crs"}
        geometry = _in_wgs84(bare, declared, reader, "#1")
        if geometry is not None:
            reader.add_derived(number=1, record_id=None, properties={}, geometry=geometry)
        return reader.upload("geojson")
    reader.refuse(
        f"type {kind!r} is not GeoJSON: expected FeatureCollection, Feature or a geometry "
        f"({', '.join(COORDINATE_DEPTH)})",
        field="type",
    )


def _declared(data: dict[str, Any], reader: Reader, *, record: str | None) -> DeclaredCrs | None:
    """The coordinate system a collection or feature declares ('crs'), noted; None when it
    declares none; refused (the file) or a problem (a feature) when it cannot be read."""
    if "crs" not in data:
        return None
    if data["crs"] is None:
        reader.note("'crs': null (no coordinate system named) was read as WGS84 longitude/latitude")
        return None
    try:
        declared = declared_crs(data["crs"])
    except DataError as exc:
        if record is None:
            reader.refuse(exc.problems[0].message, field="crs")
        reader.problem(exc.problems[0].message, record=record, field="crs")
        raise
    reader.note(_crs_note(declared))
    return declared


def _in_wgs84(
    geometry: Any, declared: DeclaredCrs | None, reader: Reader, record: str
) -> Any | None:
    """The geometry in WGS84 longitude/latitude (as it is without a declared system);
    None after a problem."""
    if declared is None or declared.transform is None or not isinstance(geometry, dict):
        return geometry
    try:
        return transformed(geometry, declared)
    except DataError as exc:
        reader.problem(exc.problems[0].message, record=record, field="geometry")
        return None


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _is_stac_collection(data: dict[str, Any], features: list[dict[str, Any]]) -> bool:
    if "stac_version" in data:
        return True
    return bool(features) and all("stac_version" in feature for feature in features)


def read_features(
    features: list[dict[str, Any]],
    reader: Reader,
    declared: DeclaredCrs | None = None,
    fmt: Format = "geojson",
) -> Upload:
    """The records of GeoJSON features (checked by `geo.geojson.features_of`), read as
    `fmt`; their coordinates in the file's `declared` system (None: WGS84)."""
    if features and all(feature.get("geometry") is None for feature in features):
        reader.refuse(
            f"the file holds nothing to import: its {len(features):,} feature(s) have no "
            "geometry (null), only properties. Export them again with their geometry, or "
            "add latitude and longitude columns and import the table as CSV"
        )
    for number, feature in enumerate(features, start=1):
        record = f"#{number}"
        crs = declared
        if "crs" in feature:
            try:
                crs = _declared(feature, reader, record=record) or declared
            except DataError:
                continue
        geometry = _in_wgs84(feature.get("geometry"), crs, reader, record)
        if geometry is None and feature.get("geometry") is not None:
            continue
        properties = feature.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            reader.problem(
                f"properties must be an object or null, got {type(properties).__name__}",
                record=record,
                field="properties",
            )
            continue
        # Before the copy: a million properties take seconds to copy and check one by one.
        reader.check_keys(properties, record=record, field="properties")
        properties = copy.deepcopy(properties)
        record_id = feature.get("id")
        if record_id is None and (found := lookup(properties, ("id",))) is not None:
            record_id = found[1]
        reader.add_derived(
            number=number,
            record_id=record_id,
            properties=properties,
            geometry=geometry,
        )
    return reader.upload(
        fmt,
        found="an empty FeatureCollection (no features): if it was exported from a "
        "selection or a filter, check that it was not empty",
    )


def _stac_date(properties: dict[str, Any], reader: Reader, record: str) -> tuple[str, str] | None:
    """(EDTF, as stated) from datetime, or from start_datetime/end_datetime as days."""
    stated = properties.get("datetime")
    if stated is not None:
        day = day_of_datetime(stated) if isinstance(stated, str) else None
        if day is None:
            reader.problem(
                f"{stated!r} is not an RFC 3339 date-time such as 2017-05-15T08:30:00Z",
                record=record,
                field="properties.datetime",
            )
            return None
        return day, stated
    start, end = properties.get("start_datetime"), properties.get("end_datetime")
    if start is None or end is None:
        reader.problem(
            "a STAC Item needs properties.datetime, or start_datetime and end_datetime",
            record=record,
            field="properties.datetime",
        )
        return None
    days = []
    for key, value in (("start_datetime", start), ("end_datetime", end)):
        day = day_of_datetime(value) if isinstance(value, str) else None
        if day is None:
            reader.problem(
                f"{value!r} is not an RFC 3339 date-time", record=record, field=f"properties.{key}"
            )
        days.append(day)
    if days[0] is None or days[1] is None:
        return None
    if days[1] < days[0]:
        reader.problem(
            f"the interval ends ({end}) before it starts ({start})",
            record=record,
            field="properties.end_datetime",
        )
        return None
    return f"{days[0]}/{days[1]}", f"{start}/{end}"


def _stac_assets(assets: Any, reader: Reader, record: str) -> dict[str, Any] | None:
    if assets is None:
        return {}
    if not isinstance(assets, dict):
        reader.problem("assets must be an object", record=record, field="assets")
        return None
    reader.check_keys(assets, record=record, field="assets")
    kept: dict[str, Any] = {}
    for key, asset in assets.items():
        if not isinstance(asset, dict) or not isinstance(asset.get("href"), str):
            reader.problem(
                "an asset is an object with an href (text)", record=record, field=f"assets.{key}"
            )
            continue
        # Links are kept as text for the researcher to follow; nothing is fetched.
        kept[key] = {name: asset[name] for name in STAC_ASSET_FIELDS if name in asset}
    return kept


def _read_stac(items: list[dict[str, Any]], reader: Reader, declared: DeclaredCrs | None) -> Upload:
    if declared is not None and declared.transform is not None:
        reader.refuse(
            f"a STAC Item's geometry is WGS84 longitude/latitude, but the file's 'crs' names "
            f"{declared.described}",
            field="crs",
        )
    for number, item in enumerate(items, start=1):
        record = f"#{number}"
        item_id = item.get("id")
        if not isinstance(item_id, str) or not item_id.strip():
            reader.problem("a STAC Item needs an id (text)", record=record, field="id")
            continue
        record = f"#{number} ({item_id})"[:200]
        properties = item.get("properties")
        if not isinstance(properties, dict):
            reader.problem("properties must be an object", record=record, field="properties")
            continue
        if item.get("geometry") is None:
            reader.problem(
                "a STAC Item without geometry has no footprint to show",
                record=record,
                field="geometry",
            )
            continue
        date = _stac_date(properties, reader, record)
        assets = _stac_assets(item.get("assets"), reader, record)
        if date is None or assets is None:
            continue
        # Every property as the catalogue wrote it (view angles, sun elevation, proj:epsg,
        # providers, licence, ...); the date, name and kind are read into their fields.
        reader.check_keys(properties, record=record, field="properties")
        kept = copy.deepcopy(properties)
        own = {"assets": assets}
        if isinstance(item.get("collection"), str):
            own["collection"] = item["collection"]
        for key, value in own.items():
            if key in kept and kept[key] != value:
                reader.note(
                    "properties named like a part of the STAC Item were replaced by that part "
                    "(the item's own collection or assets)",
                    f"{record} {key}",
                )
            kept[key] = value
        reader.add_derived(
            number=number,
            record_id=item_id,
            properties=kept,
            geometry=item.get("geometry"),
            name=item_id,
            date=date,
            kind=Kind.IMAGERY,
        )
    return reader.upload("stac")
