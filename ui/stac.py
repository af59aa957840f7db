"""Where public imagery exists: a STAC catalogue searched online (only when online search
is on), items added as imagery records, and a record's pixels fetched on request. Widgets
only: the work is in `geo.stac`. Catalogue text reaches Markdown escaped, tables as text."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from shapely.geometry import shape

from geo.dates import parse_date
from geo.errors import DataError, GeoError
from geo.escape import escape_markdown as md
from geo.geojson import representative_lonlat
from geo.records import LayerRecord
from geo.stac import (
    CatalogueError,
    SearchRequest,
    SearchResults,
    StacConfig,
    StacItem,
    add_items,
    config_from_env,
    download_size,
    fetch_pixels,
    is_catalogue_record,
    megabytes,
    preferred_asset,
    search_catalogue,
)
from geo.store import Store
from ui.annotate import require_analyst
from ui.state import page
from ui.transfer import problems_table

MAP_CENTRE = "map"

OFF_TEXT = (
    "**Catalogue search is off.** Searching a catalogue sends the position and dates you "
    "look at to its operator, so nothing is sent unless you allow it. Turn on **Online "
    "place search** in the sidebar (under Privacy) to search a catalogue; that one switch "
    "allows both online searches for now."
)


def _config() -> StacConfig | None:
    try:
        return config_from_env()
    except CatalogueError as exc:
        st.error(md(exc))
        return None


def _where(store: Store, centre: tuple[float, float]) -> tuple[float, float] | None:
    """The position to search over (lon, lat): the map's centre or one of the researcher's
    records."""
    records = {r.id: r for r in store.records() if not is_catalogue_record(r)}
    lat, lon = centre
    options = [MAP_CENTRE, *records]
    choice = st.selectbox(
        "Over",
        options,
        format_func=lambda key: (
            f"The map's centre ({lat:.4f}, {lon:.4f})"
            if key == MAP_CENTRE
            else f"{records[key].name} ({records[key].layer})"
        ),
        key="stac_where",
    )
    if choice == MAP_CENTRE or choice not in records:
        return lon, lat
    return representative_lonlat(records[choice].geometry)


def _footprint(item: StacItem) -> str:
    west, south, east, north = shape(item.geometry).bounds
    return f"{south:.3f}–{north:.3f} N, {west:.3f}–{east:.3f} E"


def _results_table(results: SearchResults) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "date": [i.day for i in results.items],
                "as stated": [i.datetime_as_stated for i in results.items],
                "platform": [i.platform for i in results.items],
                "cloud cover %": [i.cloud_cover for i in results.items],
                "footprint": [_footprint(i) for i in results.items],
                "item": [i.id for i in results.items],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _search_form(store: Store, centre: tuple[float, float], config: StacConfig) -> None:
    position = _where(store, centre)
    today = date.today()
    with st.form("stac_search"):
        left, middle, right = st.columns(3)
        start = left.date_input("Acquired from", value=today - timedelta(days=60), key="stac_from")
        end = middle.date_input("Acquired to", value=today, key="stac_to")
        cloud = right.slider("Cloud cover at most (%)", 0, 100, 100, key="stac_cloud")
        collection = st.text_input("Collection", value=config.collection, key="stac_collection")
        go = st.form_submit_button("Search the catalogue")
    st.caption(f"Catalogue: {md(config.url)} (set GEO_STAC_URL to use another).")
    if not go or position is None:
        return
    if not isinstance(start, date) or not isinstance(end, date):
        st.error("Choose both dates.")
        return
    request = SearchRequest(
        lon=position[0],
        lat=position[1],
        start=start,
        end=end,
        max_cloud_cover=float(cloud),
        collection=collection.strip() or None,
    )
    try:
        with st.spinner(f"Asking {md(config.host)}…"):
            page.stac_results = search_catalogue(config, request, enabled=True)
    except DataError as exc:
        problems_table(exc)
    except CatalogueError as exc:
        st.warning(md(exc))


def _add_results(store: Store, config: StacConfig) -> bool:
    results = page.stac_results
    if results is None:
        return False
    if not results.items:
        st.info("The catalogue has no acquisition over this position between these dates.")
        return False
    notes = []
    if results.too_cloudy:
        notes.append(f"{results.too_cloudy} more were cloudier than asked")
    if results.skipped:
        notes.append(f"{results.skipped} could not be read (no date or footprint)")
    if results.truncated:
        notes.append("the catalogue has more: narrow the dates")
    st.markdown(
        f"**{len(results.items)} acquisitions** in {md(results.collection)}"
        + (f" ({'; '.join(notes)})" if notes else "")
        + "."
    )
    _results_table(results)
    items = {item.id: item for item in results.items}
    chosen = st.multiselect(
        "Add as imagery records (metadata and footprint; no pixels yet)",
        list(items),
        format_func=lambda key: f"{items[key].day} {items[key].platform or ''} {key}",
        key=f"stac_chosen_{page.imports_done}",  # a new list once these are added
    )
    if not st.button("Add to my records", key="stac_add", disabled=not chosen):
        return False
    analyst = require_analyst()
    if not analyst:
        return False
    try:
        receipts = add_items(store, [items[k] for k in chosen], config=config, analyst=analyst)
    except DataError as exc:
        st.error("Not stored: the catalogue's items have problems.")
        problems_table(exc)
        return False
    except GeoError as exc:
        st.error(md(exc))
        return False
    page.imports_done += 1
    spans = [parse_date(items[k].day) for k in chosen]
    page.reveal_later(min(s.start for s in spans), max(s.end for s in spans))
    page.import_message = (
        f"{len(receipts)} catalogue item{'s' if len(receipts) != 1 else ''} added as imagery "
        "records (footprint and metadata; each item's JSON kept as received)."
    )
    return True


def _fetch_pixels(store: Store, config: StacConfig) -> bool:
    stored = [r for r in store.records() if is_catalogue_record(r)]
    if not stored:
        return False
    st.subheader("Fetch the pixels of an added item")
    by_id: dict[str, LayerRecord] = {r.id: r for r in stored}
    choice = st.selectbox(
        "Item",
        list(by_id),
        format_func=lambda key: f"{by_id[key].date} {by_id[key].name}",
        key="stac_fetch_record",
    )
    record = by_id[choice]
    asset = preferred_asset(record)
    if asset is None:
        st.info("This item offers no GeoTIFF that can be downloaded.")
        return False
    sizes = page.stac_sizes
    if asset.href not in sizes:
        try:
            with st.spinner("Asking the size of the file…"):
                sizes[asset.href] = download_size(asset, config)
        except CatalogueError as exc:
            st.warning(md(exc))
            return False
    size = sizes[asset.href]
    st.caption(
        f"File {md(asset.key)}: {md(asset.title or asset.media_type or '')}. At most "
        f"{megabytes(config.max_download_bytes)} are downloaded (GEO_STAC_MAX_DOWNLOAD_MB)."
    )
    label = f"Fetch the pixels ({megabytes(size) if size is not None else 'size unknown'})"
    too_large = size is not None and size > config.max_download_bytes
    if too_large:
        st.warning(f"The file is larger than {megabytes(config.max_download_bytes)}.")
    if not st.button(label, key="stac_fetch", disabled=too_large):
        return False
    analyst = require_analyst()
    if not analyst:
        return False
    bar = st.progress(0.0, text="Downloading…")

    def progress(done: int, total: int | None) -> None:
        if total:
            bar.progress(min(done / total, 1.0), text=f"{megabytes(done)} of {megabytes(total)}")
        else:
            bar.progress(0.0, text=f"{megabytes(done)}")

    try:
        receipt = fetch_pixels(
            store, record, asset.key, analyst=analyst, config=config, progress=progress
        )
    except DataError as exc:
        bar.empty()
        st.error("Not stored: the downloaded image cannot be drawn.")
        problems_table(exc)
        return False
    except GeoError as exc:
        bar.empty()
        st.error(md(exc))
        return False
    if record.date is not None and len(record.date) == 10:
        day = date.fromisoformat(record.date)
        page.reveal_later(day, day)
    page.imports_done += 1
    page.import_message = (
        f"Layer {receipt.layer}: the pixels of {record.name}, {megabytes(receipt.size)}, kept "
        f"as received (SHA-256 {receipt.sha256[:16]}…)."
    )
    return True


def stac_section(store: Store, centre: tuple[float, float], online: bool) -> bool:
    """Search a catalogue over `centre` (the map's, lat and lon) or a record, add items as
    imagery records, fetch one's pixels; True when something was stored. Sends nothing
    unless `online`."""
    if not online:
        st.info(OFF_TEXT)
        return False
    config = _config()
    if config is None:
        return False
    _search_form(store, centre, config)
    if _add_results(store, config):
        return True
    return _fetch_pixels(store, config)
