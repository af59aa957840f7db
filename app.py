"""Satellite-evidence explorer: the Streamlit page. Widgets and layout only; the work is in geo/."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.case import CASE_LAYER, DEFAULT_CASES_DIR, Case, case_folders, fingerprint, load_case
from geo.details import record_markdown
from geo.distances import place_distances, stated_distances
from geo.errors import GeoError
from geo.escape import escape_markdown as md
from geo.mapview import build_map, clicked_record_id, drawn_shape, layer_collections
from geo.model import Kind
from geo.query import colocated, counts, date_bounds
from geo.records import ANNOTATIONS_LAYER, kind_label
from geo.store import Store, default_data_dir
from geo.timeline import timeline_chart
from geo.viewstate import ViewState, from_query
from geo.workspace import (
    combined_records,
    filter_view,
    record_titles,
    researcher_layers,
)
from ui.annotate import annotation_form, edit_controls
from ui.places import places_section
from ui.transfer import export_section, history_section, import_section

CASES_DIR = Path(os.environ.get("GEO_CASES_DIR", DEFAULT_CASES_DIR))
PLACE_ZOOM = 13

st.set_page_config(page_title="Satellite-evidence explorer", page_icon="🛰", layout="wide")


@st.cache_resource(show_spinner="Loading the case…", max_entries=8)
def cached_case(path: str, version: str) -> Case:
    # `version` (the files' fingerprint) is part of the cache key: edited data reloads.
    return load_case(path)


@st.cache_resource(show_spinner="Opening the store…")
def cached_store(data_dir: str) -> Store:
    # One store for every session: SQLite serialises the writers (see geo/store.py).
    return Store.open(Path(data_dir))


@st.cache_data(show_spinner="Reading your layers…", max_entries=4)
def cached_records(case_key: str, _case: Case, _store: Store) -> pd.DataFrame:
    return combined_records(_case, _store.records())


@st.cache_data(show_spinner="Preparing the map…", max_entries=16)
def cached_layers(
    case_key: str,
    _case: Case,
    _records: pd.DataFrame,
    start: date | None,
    end: date | None,
    kinds: tuple[Kind, ...],
    researcher: tuple[str, ...],
) -> list:
    # Keyed on the case and store version and the filter; the records follow from them.
    shown = filter_view(_records, start, end, kinds)
    return layer_collections(_case, shown, kinds, researcher)


def initialise_view(case_name: str) -> None:
    """Seed the widgets once per browser session from the link, and again on a case change.

    A link describes a view of one case: after switching case the view starts afresh.
    """
    if st.session_state.get("view_of_case") == case_name:
        return
    first_load = "view_of_case" not in st.session_state
    view = (
        from_query(st.query_params.to_dict() | {"hide": st.query_params.get_all("hide")})
        if first_load
        else ViewState()
    )
    st.session_state.view_of_case = case_name
    st.session_state.url_problems = view.ignored
    st.session_state.selected = view.selected
    st.session_state.map_center = view.center
    st.session_state.map_zoom = view.zoom
    # The map opens here until the case changes: changing what the map is built with
    # would remount it; later moves go through st_folium's center and zoom.
    st.session_state.opening_view = (view.center, view.zoom)
    st.session_state.last_map_click = None
    st.session_state.hidden_layers = set(view.hidden)
    st.session_state.setdefault("handled_drawings", set())
    st.session_state.setdefault("pending_shape", None)
    for kind in Kind:
        st.session_state[f"layer_{kind.value}"] = kind in view.layers
    for key, value in (("date_from", view.start), ("date_to", view.end)):
        if value:
            st.session_state[key] = value
        else:
            st.session_state.pop(key, None)


def sidebar(
    records: pd.DataFrame,
) -> tuple[date | None, date | None, tuple[Kind, ...], tuple[str, ...], bool]:
    st.sidebar.text_input(
        "Analyst",
        key="analyst",
        placeholder="Your name or initials",
        help="Signs everything you draw, edit or import, in the store's history.",
    )
    bounds = date_bounds(records)
    st.sidebar.header("Filter")
    start = end = None
    if bounds:
        first, last = bounds
        # Widget values live in session_state (seeded from the link); no second default here.
        st.session_state.setdefault("date_from", first)
        st.session_state.setdefault("date_to", last)
        start = st.sidebar.date_input(
            "From",
            min_value=date(1900, 1, 1),
            key="date_from",
            format="YYYY-MM-DD",
            help="Records whose date overlaps the range are shown: a month or a year is "
            "shown if any of its days is in the range.",
        )
        end = st.sidebar.date_input(
            "To",
            min_value=date(1900, 1, 1),
            key="date_to",
            format="YYYY-MM-DD",
        )
        if start and end and end < start:
            st.sidebar.error("'To' is before 'From': showing nothing dated.")
    st.sidebar.subheader("Layers of the case")
    kinds = tuple(
        kind for kind in Kind if st.sidebar.checkbox(kind.label, key=f"layer_{kind.value}")
    )
    mine = researcher_layers(records)
    if mine:
        st.sidebar.subheader("Your layers")
    for name in mine:
        shown = st.sidebar.checkbox(
            name, value=name not in st.session_state.hidden_layers, key=f"mine_{name}"
        )
        if shown:
            st.session_state.hidden_layers.discard(name)
        else:
            st.session_state.hidden_layers.add(name)
    st.sidebar.subheader("Privacy")
    online = st.sidebar.toggle(
        "Online basemap tiles",
        value=False,
        key="online_tiles",
        help="Off: nothing leaves this machine; the map uses the shipped country outlines. "
        "On: street, satellite and light basemaps are fetched from OpenStreetMap and Esri, "
        "who then see which area you look at.",
    )
    st.sidebar.toggle(
        "Online place search",
        value=False,
        key="online_search",
        help="Off: place search uses only the offline gazetteer (the case's places and "
        "GeoNames). On: searches are also sent to OpenStreetMap's Nominatim, which then sees "
        "what you look for.",
    )
    st.sidebar.caption(
        "Both are off unless you turn them on, and a shared link never turns them on."
    )
    visible_mine = tuple(name for name in mine if name not in st.session_state.hidden_layers)
    return start, end, kinds, visible_mine, online


def select_record(record_id: str | None) -> None:
    st.session_state.selected = record_id


def centre_map_on(lat: float, lon: float) -> None:
    st.session_state.map_center = (lat, lon)
    st.session_state.map_zoom = PLACE_ZOOM


def zoom_to_place(case: Case) -> None:
    record = case.record(st.session_state.zoom_place) if st.session_state.zoom_place else None
    if record is not None:
        centre_map_on(float(record["lat"]), float(record["lon"]))


@st.fragment
def map_and_details(
    case: Case,
    store: Store,
    records: pd.DataFrame,
    case_name: str,
    case_key: str,
    start: date | None,
    end: date | None,
    kinds: tuple[Kind, ...],
    researcher: tuple[str, ...],
    online: bool,
) -> None:
    shown = filter_view(records, start, end, kinds, st.session_state.hidden_layers)
    places = case.records[case.records["kind"] == Kind.PLACE.value]
    drawing = st.toggle(
        "Draw and annotate",
        key="drawing",
        help="Adds drawing tools to the map: point, line, polygon, rectangle, circle. "
        "After drawing, a form asks what you observed.",
    )
    map_col, detail_col = st.columns([3, 2], gap="medium")
    with map_col:
        st.selectbox(
            "Zoom to place",
            options=[None, *places["id"]],
            format_func=lambda pid: "Choose a place…" if pid is None else case.record(pid)["name"],
            key="zoom_place",
            on_change=zoom_to_place,
            args=(case,),
        )
        # Built afresh each run: st_folium rewrites element ids in place, so a cached
        # map object renders broken the second time.
        opening_center, opening_zoom = st.session_state.opening_view
        folium_map = build_map(
            case,
            collections=cached_layers(case_key, case, records, start, end, kinds, researcher),
            online_tiles=online,
            center=opening_center,
            zoom=opening_zoom,
            drawing=drawing,
        )
        state = st_folium(
            folium_map,
            height=560,
            use_container_width=True,
            center=st.session_state.map_center,
            zoom=st.session_state.map_zoom,
            returned_objects=["last_active_drawing", "center", "zoom"],
            key="map",
        )
        clicked = clicked_record_id(state)
        # st_folium repeats the last click on every rerun: act only on a new one.
        if clicked and clicked != st.session_state.last_map_click:
            st.session_state.last_map_click = clicked
            st.session_state.selected = clicked
        shape = drawn_shape(state) if drawing else None
        if shape and shape.fingerprint not in st.session_state.handled_drawings:
            st.session_state.pending_shape = shape
        if state and state.get("center"):
            st.session_state.map_center = (state["center"]["lat"], state["center"]["lng"])
            st.session_state.map_zoom = state.get("zoom")
        st.caption(
            "Dashed circles: positions known only within that radius (the sources do not "
            "publish where in the compound). Click an object to read its record."
        )
        pending = st.session_state.pending_shape
        if drawing and pending is not None:
            saved = annotation_form(case, store, pending)
            if saved:
                st.session_state.selected = saved
                st.rerun()
    with detail_col:
        options = [None, *shown["id"]]
        if st.session_state.selected not in options:
            options.append(st.session_state.selected)
        titles = record_titles(records)
        st.selectbox(
            "Selected record",
            options=options,
            format_func=lambda rid: (
                "None (click the map or choose)" if rid is None else titles.get(rid, rid)
            ),
            key="selected",
            placeholder="Click the map or choose a record",
        )
        selected = st.session_state.selected
        text = record_markdown(case, selected, records) if selected else None
        if text is None:
            if selected:
                st.warning(f"No record {md(selected)} in this case.")
            st.info("Click a place, an imagery record, a feature or an event on the map.")
        else:
            row = records[records["id"] == selected].iloc[0]
            st.button(
                "Show on map",
                key="show_selected",
                on_click=centre_map_on,
                args=(float(row["lat"]), float(row["lon"])),
                help="Centre the map on this record",
            )
            with st.container(border=True, height=520):
                st.markdown(text)
                neighbours = colocated(shown, selected)
                if not neighbours.empty:
                    st.markdown(f"**{len(neighbours)} more records at this position:**")
                    for other in neighbours.itertuples(index=False):
                        st.button(
                            f"{kind_label(other.kind)} · {md(other.name)}",
                            key=f"goto_{other.id}",
                            on_click=select_record,
                            args=(other.id,),
                        )
            if row["layer"] == ANNOTATIONS_LAYER and edit_controls(case, store, row):
                st.rerun()
    view = ViewState(
        start=start,
        end=end,
        layers=kinds,
        selected=st.session_state.selected,
        center=st.session_state.map_center,
        zoom=st.session_state.map_zoom,
        hidden=tuple(sorted(st.session_state.hidden_layers)),
    )
    query = {"case": case_name, **view.to_query()}
    current = st.query_params.to_dict() | {"hide": st.query_params.get_all("hide")}
    if current != query | {"hide": query.get("hide", [])}:
        st.query_params.from_dict(query)


def main() -> None:
    folders = case_folders(CASES_DIR)
    if not folders:
        st.error(f"No case found in {md(CASES_DIR)}: a case is a folder with a case.yaml.")
        return
    names = [folder.name for folder in folders]
    wanted = st.query_params.get("case")
    case_name = st.sidebar.selectbox(
        "Case", names, index=names.index(wanted) if wanted in names else 0, key="case_name"
    )
    case_path = CASES_DIR / case_name
    version = fingerprint(case_path)
    try:
        case = cached_case(str(case_path), version)
        store = cached_store(str(default_data_dir()))
    except GeoError as exc:
        st.error(f"The case {md(case_name)} could not be loaded.")
        problems = getattr(exc, "problems", None) or [exc]
        st.dataframe({"problem": [str(p) for p in problems]}, width="stretch", hide_index=True)
        return

    # The case's files and the store's last change: any edit gives new cached results.
    case_key = f"{case_name}@{version}@{store.revision()}"
    records = cached_records(case_key, case, store)
    initialise_view(case_name)
    for problem in st.session_state.url_problems:
        st.warning(f"Ignored in the link: {md(problem)}")
    start, end, kinds, researcher, online = sidebar(records)

    st.title(md(case.meta.title))
    if case.meta.summary:
        st.markdown(md(case.meta.summary))
    if message := st.session_state.pop("import_message", None):
        st.success(md(message))

    shown = filter_view(records, start, end, kinds, st.session_state.hidden_layers)
    tally = counts(case.records, shown[shown["layer"] == CASE_LAYER])
    columns = st.columns(len(tally) + 1)
    for column, row in zip(columns, tally.itertuples(index=False), strict=False):
        column.metric(row.kind, f"{row.shown} of {row.total}")
    mine_total = int((records["layer"] != CASE_LAYER).sum())
    mine_shown = int((shown["layer"] != CASE_LAYER).sum())
    columns[-1].metric("Your records", f"{mine_shown} of {mine_total}")

    map_and_details(
        case, store, records, case_name, case_key, start, end, kinds, researcher, online
    )
    st.caption(
        "This page's address holds the view (dates, layers, selection, map position): "
        "copy it to cite exactly what you saw."
    )

    st.subheader("Timeline")
    if records["date_start"].notna().any():
        chart = timeline_chart(records, start, end)
        st.altair_chart(
            chart,
            width="stretch",
            alt=f"Timeline of {int(records['date_start'].notna().sum())} dated records; "
            "the same records are listed in the selector above the record panel.",
        )
        st.caption(
            "Bars span what the source states: a month-dated image covers the whole "
            "month. Faded bars are outside the date filter; the shaded band is the filter."
        )

    st.subheader("Distances between places")
    st.caption("Geodesic distance on the WGS84 ellipsoid (geopy)")
    st.dataframe(place_distances(case), hide_index=True, width="stretch")
    st.caption("What the sources say, beside the geodesic distance between the same places")
    st.dataframe(stated_distances(case), hide_index=True, width="stretch")

    st.subheader("Find places")
    if places_section(case_key, case, store, st.session_state.online_search):
        st.rerun()

    st.subheader("Import a layer")
    if import_section(store):
        st.rerun()

    with st.expander("History of changes, and an integrity check"):
        history_section(store)

    st.subheader("Export")
    st.caption(
        "GeoJSON (RFC 7946), KML for Google Earth, or CSV; each record carries its dates "
        "with precision, confidence, claim, claimant and sources with quotes. Opens in QGIS "
        "and GDAL, and imports back without loss."
    )
    view = {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "kinds": [k.value for k in kinds],
        "hidden_layers": sorted(st.session_state.hidden_layers),
    }
    export_section(case, case_path, store, shown, records, view, case_key)


try:
    main()
except GeoError as exc:
    st.error(md(exc))
