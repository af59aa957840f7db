"""Catalogue search (STAC) against a local fake API: never the internet."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import morecantile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from geo.errors import DataError, GeoError
from geo.imagery.pixels import tile_png
from geo.records import Kind
from geo.stac import (
    CatalogueBadResponse,
    CatalogueConfigError,
    CatalogueError,
    CatalogueOff,
    CatalogueRefused,
    CatalogueTimedOut,
    CatalogueTooLarge,
    CatalogueUnavailable,
    SearchRequest,
    StacConfig,
    add_items,
    config_from_env,
    download_size,
    fetch_pixels,
    is_catalogue_record,
    parse_search_page,
    preferred_asset,
    search_catalogue,
)
from geo.store import Store
from tests.fake_stac import Behaviour, FakeStac, closed_port

SAYDNAYA = (36.3286, 33.665)  # lon, lat
MAY = SearchRequest(*SAYDNAYA, start=date(2024, 5, 1), end=date(2024, 5, 31))
TMS = morecantile.tms.get("WebMercatorQuad")


@pytest.fixture(scope="module")
def cogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cogs")


@pytest.fixture
def fake(cogs: Path) -> Iterator[FakeStac]:
    with FakeStac(cogs) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "store")


def config_for(url: str, **overrides: Any) -> StacConfig:
    return StacConfig(url=url, **({"timeout": 2.0} | overrides))


# -- search


def test_search_lists_the_items_over_the_position_in_date_order(fake: FakeStac) -> None:
    found = search_catalogue(config_for(fake.url), MAY, enabled=True)
    assert [(i.id, i.day, i.cloud_cover) for i in found.items] == [
        ("S2A_37SBT_20240503_0_L2A", "2024-05-03", 3.1),
        ("S2A_37SBT_20240508_0_L2A", "2024-05-08", 64.0),
        ("S2B_37SBT_20240513_0_L2A", "2024-05-13", 12.5),
    ]
    first = found.items[0]
    assert first.datetime_as_stated == "2024-05-03T08:25:51.020000Z"
    assert (first.platform, first.constellation) == ("sentinel-2a", "sentinel-2")
    assert first.geometry["type"] == "Polygon"
    assert first.preferred_asset is not None and first.preferred_asset.key == "visual"
    [sent] = fake.seen("/search")
    assert sent.method == "POST"
    assert sent.body["collections"] == ["sentinel-2-l2a"]
    assert sent.body["intersects"] == {"type": "Point", "coordinates": list(SAYDNAYA)}
    assert sent.body["datetime"].startswith("2024-05-01")


def test_cloud_cover_and_dates_narrow_the_search(fake: FakeStac) -> None:
    clear = SearchRequest(*SAYDNAYA, date(2024, 5, 1), date(2024, 5, 10), max_cloud_cover=20)
    found = search_catalogue(config_for(fake.url), clear, enabled=True)
    assert [i.id for i in found.items] == ["S2A_37SBT_20240503_0_L2A"]
    assert found.too_cloudy == 1


def test_search_is_refused_when_online_search_is_off(fake: FakeStac) -> None:
    with pytest.raises(CatalogueOff, match="Online search is off"):
        search_catalogue(config_for(fake.url), MAY, enabled=False)
    assert fake.requests == []


def test_a_request_that_makes_no_sense_is_not_sent(fake: FakeStac) -> None:
    backwards = SearchRequest(*SAYDNAYA, start=date(2024, 6, 1), end=date(2024, 5, 1))
    with pytest.raises(DataError, match="ends before it starts"):
        search_catalogue(config_for(fake.url), backwards, enabled=True)
    assert fake.requests == []


# -- failures, each with its clear message


@pytest.mark.parametrize(
    ("behaviour", "error", "words"),
    [
        (Behaviour(kind="status", status=500), CatalogueRefused, "HTTP 500"),
        (Behaviour(kind="status", status=503, prefix="/search"), CatalogueRefused, "HTTP 503"),
        (Behaviour(kind="status", status=403), CatalogueRefused, "HTTP 403"),
        (Behaviour(kind="body"), CatalogueBadResponse, "did not answer with JSON"),
        (Behaviour(kind="body", prefix="/search"), CatalogueBadResponse, "JSON"),
    ],
)
def test_failures_give_clear_errors(
    cogs: Path, behaviour: Behaviour, error: type[CatalogueError], words: str
) -> None:
    with FakeStac(cogs, behaviour) as fake, pytest.raises(error, match=words) as raised:
        search_catalogue(config_for(fake.url), MAY, enabled=True)
    assert "Nothing was stored" in str(raised.value)
    assert isinstance(raised.value, GeoError)


def test_json_that_is_not_stac_is_a_bad_answer(cogs: Path) -> None:
    with FakeStac(cogs) as fake:
        fake.search = lambda query: {"hello": "world"}  # type: ignore[method-assign]
        with pytest.raises(CatalogueBadResponse, match="STAC search results"):
            search_catalogue(config_for(fake.url), MAY, enabled=True)


def test_a_silent_catalogue_times_out(cogs: Path) -> None:
    with (
        FakeStac(cogs, Behaviour(kind="silent", delay=3.0)) as fake,
        pytest.raises(CatalogueTimedOut, match=r"timed out after 0\.3 s") as raised,
    ):
        search_catalogue(config_for(fake.url, timeout=0.3), MAY, enabled=True)
    assert isinstance(raised.value, TimeoutError)


def test_the_deadline_holds_whatever_the_transport_does(fake: FakeStac) -> None:
    class GivesUp:
        def now(self) -> float:
            return 0.0

        def sleep(self, seconds: float) -> None:
            pass

        def wait(self, event: threading.Event, timeout: float) -> bool:
            return False  # the deadline passes at once

    with pytest.raises(CatalogueTimedOut, match="did not finish within 6 s"):
        search_catalogue(config_for(fake.url), MAY, enabled=True, clock=GivesUp())


def test_nothing_listening_is_unavailable() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(CatalogueUnavailable, match=r"Could not reach 127\.0\.0\.1") as raised:
        search_catalogue(config_for(url), MAY, enabled=True)
    assert isinstance(raised.value, ConnectionError)


@pytest.mark.parametrize(
    "settings_", [{"url": "ftp://x"}, {"url": ""}, {"timeout": 0}, {"collection": " "}]
)
def test_configuration_is_checked(settings_: dict[str, Any]) -> None:
    with pytest.raises(CatalogueConfigError):
        StacConfig(**settings_)


def test_configuration_from_the_environment() -> None:
    config = config_from_env({"GEO_STAC_URL": "http://127.0.0.1:9/", "GEO_STAC_TIMEOUT": "3"})
    assert (config.url, config.collection, config.timeout) == (
        "http://127.0.0.1:9",
        "sentinel-2-l2a",
        3.0,
    )
    default = config_from_env({})
    assert default.url == "https://earth-search.aws.element84.com/v1"


# -- records


def test_added_items_become_imagery_records_with_footprint_and_day(
    fake: FakeStac, store: Store
) -> None:
    config = config_for(fake.url)
    found = search_catalogue(config, MAY, enabled=True)
    receipts = add_items(store, list(found.items[:2]), config=config, analyst="ana")
    assert [r.layer for r in receipts] == [
        "STAC: sentinel-2-l2a S2A_37SBT_20240503_0_L2A",
        "STAC: sentinel-2-l2a S2A_37SBT_20240508_0_L2A",
    ]
    [record] = store.records(receipts[0].layer)
    assert record.kind is Kind.IMAGERY and is_catalogue_record(record)
    assert (record.date, record.date_as_stated) == ("2024-05-03", "2024-05-03T08:25:51.020000Z")
    assert record.geometry["type"] == "Polygon"
    self_url = f"{fake.url}/collections/sentinel-2-l2a/items/S2A_37SBT_20240503_0_L2A"
    props = record.properties
    assert props["stac_catalogue"] == fake.url
    assert props["collection"] == "sentinel-2-l2a"
    assert props["stac_item_id"] == "S2A_37SBT_20240503_0_L2A"
    assert props["stac_item_url"] == self_url
    assert (props["platform"], props["constellation"], props["eo:cloud_cover"]) == (
        "sentinel-2a",
        "sentinel-2",
        3.1,
    )
    assert props["assets"]["visual"]["href"].endswith("S2A_37SBT_20240503_0_L2A_TCI.tif")
    assert props["sources"][0]["url"] == self_url
    # the store keeps the item as the catalogue gave it, under its SHA-256
    kept = store.file_path(receipts[0].sha256).read_bytes()
    assert hashlib.sha256(kept).hexdigest() == receipts[0].sha256
    assert json.loads(kept)["id"] == "S2A_37SBT_20240503_0_L2A"
    # adding the same item again gets a layer of its own
    [again] = add_items(store, [found.items[0]], config=config, analyst="ana")
    assert again.layer.endswith("(2)")


def test_an_added_item_keeps_every_property_the_catalogue_gave(
    fake: FakeStac, store: Store
) -> None:
    extra = {
        "view:sun_elevation": 64.9,
        "view:off_nadir": 0,
        "proj:epsg": 32637,
        "license": "proprietary",
        "providers": [{"name": "ESA", "roles": ["producer", "licensor"]}],
        "eo:cloud_cover": 250,  # not a percentage: kept as stated, not read as cloud cover
    }
    fake.behaviour = Behaviour(extra_properties=extra)
    config = config_for(fake.url)
    item = search_catalogue(config, MAY, enabled=True).items[0]
    assert item.cloud_cover is None
    [receipt] = add_items(store, [item], config=config, analyst="ana")
    [record] = store.records(receipt.layer)
    for key, value in extra.items():
        assert record.properties[key] == value, key
    assert record.properties["instruments"] == ["msi"]
    assert record.properties["datetime"] == record.date_as_stated
    # the explorer's own fields are there too
    assert record.properties["stac_item_id"] == item.id


# -- pixels


def test_fetching_pixels_shows_the_size_reports_progress_and_imports_a_drawn_image(
    fake: FakeStac, store: Store
) -> None:
    config = config_for(fake.url)
    found = search_catalogue(config, MAY, enabled=True)
    [receipt] = add_items(store, [found.items[0]], config=config, analyst="ana")
    [record] = store.records(receipt.layer)
    asset = preferred_asset(record)
    assert asset is not None and asset.key == "visual"
    file = fake.files["S2A_37SBT_20240503_0_L2A_TCI.tif"]
    assert download_size(asset, config) == len(file)  # from HEAD: the item states no size
    assert fake.seen("/files/S2A_37SBT_20240503_0_L2A_TCI.tif")[0].method == "HEAD"
    seen: list[tuple[int, int | None]] = []
    image = fetch_pixels(
        store,
        record,
        "visual",
        analyst="ana",
        config=config,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (len(file), len(file))
    assert image.sha256 == hashlib.sha256(file).hexdigest()
    [pixels] = store.records(image.layer)
    assert pixels.kind is Kind.IMAGERY
    assert (pixels.date, pixels.date_as_stated) == ("2024-05-03", "2024-05-03T08:25:51.020000Z")
    assert pixels.properties["provider"] == "sentinel-2"
    assert pixels.properties["sources"][0]["url"] == record.properties["stac_item_url"]
    lon, lat = SAYDNAYA
    tile = TMS.tile(lon, lat, 16)
    png = tile_png(store.data_dir, image.sha256, tile.z, tile.x, tile.y)
    assert png is not None
    bounds = TMS.xy_bounds(tile)
    x, y = TMS.xy(lon, lat)
    pixel = (
        int((x - bounds.left) / (bounds.right - bounds.left) * 256),
        int((bounds.top - y) / (bounds.top - bounds.bottom) * 256),
    )
    assert Image.open(io.BytesIO(png)).getpixel(pixel)[:3] == (120, 120, 120)


def test_a_file_over_the_maximum_is_refused_and_nothing_is_stored(
    fake: FakeStac, store: Store
) -> None:
    config = config_for(fake.url)
    found = search_catalogue(config, MAY, enabled=True)
    [receipt] = add_items(store, [found.items[0]], config=config, analyst="ana")
    [record] = store.records(receipt.layer)
    layers = len(store.layers())
    small = config_for(fake.url, max_download_bytes=1000)
    with pytest.raises(CatalogueTooLarge, match=r"more than the 1 kB"):
        fetch_pixels(store, record, "visual", analyst="ana", config=small)
    assert len(store.layers()) == layers


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        (Behaviour(kind="status", status=500, prefix="/files/"), CatalogueRefused),
        (Behaviour(kind="silent", delay=3.0, prefix="/files/"), CatalogueTimedOut),
    ],
)
def test_a_failed_download_stores_nothing(
    fake: FakeStac, store: Store, behaviour: Behaviour, error: type[CatalogueError]
) -> None:
    config = config_for(fake.url, timeout=0.5)
    found = search_catalogue(config, MAY, enabled=True)
    [receipt] = add_items(store, [found.items[0]], config=config, analyst="ana")
    [record] = store.records(receipt.layer)
    layers = len(store.layers())
    fake.behaviour = behaviour
    with pytest.raises(error):
        fetch_pixels(store, record, "visual", analyst="ana", config=config)
    assert len(store.layers()) == layers


# -- the parser


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
FEATURE = st.fixed_dictionaries(
    {},
    optional={
        "type": st.just("Feature") | JSON,
        "id": st.text(max_size=20) | JSON,
        "geometry": st.just({"type": "Point", "coordinates": [36.3, 33.6]}) | JSON,
        "properties": st.fixed_dictionaries(
            {},
            optional={
                "datetime": st.just("2024-05-03T08:25:51Z") | st.text(max_size=30) | JSON,
                "eo:cloud_cover": st.floats() | JSON,
                "platform": JSON,
            },
        )
        | JSON,
        "assets": st.dictionaries(
            st.text(max_size=8),
            st.fixed_dictionaries({"href": st.just("https://x.org/a.tif") | JSON}) | JSON,
        )
        | JSON,
        "links": JSON,
    },
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        JSON,
        st.fixed_dictionaries(
            {"type": st.just("FeatureCollection"), "features": st.lists(FEATURE | JSON)}
        ),
    )
)
def test_the_parser_raises_nothing_but_the_catalogue_error(data: Any) -> None:
    try:
        page = parse_search_page(data)
    except CatalogueBadResponse:
        return
    for item in page.items:
        assert item.day and item.id.strip()


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"datetime": "2017-03-03T10:12:00Z"}, ("2017-03-03", "2017-03-03T10:12:00Z")),
        # a span, as STAC has it when the datetime is null: the days, not the first alone
        (
            {
                "datetime": None,
                "start_datetime": "2017-03-03T23:00:00Z",
                "end_datetime": "2017-03-05T01:00:00Z",
            },
            ("2017-03-03/2017-03-05", "2017-03-03T23:00:00Z/2017-03-05T01:00:00Z"),
        ),
        (
            {"start_datetime": "2017-03-03T10:00:00Z", "end_datetime": "2017-03-03T11:00:00Z"},
            ("2017-03-03", "2017-03-03T10:00:00Z/2017-03-03T11:00:00Z"),
        ),
        ({"start_datetime": "2017-03-03T10:00:00Z"}, None),  # no end: no date said
        ({"start_datetime": "2017-03-05T00:00:00Z", "end_datetime": "2017-03-03T00:00:00Z"}, None),
        ({"datetime": "March 2017"}, None),
        ({}, None),
    ],
)
def test_an_items_date_is_its_day_or_its_span(properties, expected):
    from geo.stac.results import item_date

    assert item_date(properties) == expected
