"""Satellite-evidence explorer: the Streamlit page. Widgets and layout only; the work is in geo/."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from geo.case import DEFAULT_CASES_DIR, Case, case_folders, fingerprint, load_case
from geo.details import record_markdown
from geo.distances import place_distances, stated_distances
from geo.errors import GeoError
from geo.escape import escape_markdown as md
from geo.export import export_text
from geo.mapview import build_map, clicked_record_id, layer_collections
from geo.model import Kind
from geo.query import colocated, counts, date_bounds, filter_records
from geo.timeline import timeline_chart
from geo.viewstate import ViewState, from_query

CASES_DIR = Path(os.environ.get("GEO_CASES_DIR", DEFAULT_CASES_DIR))
PLACE_ZOOM = 13

st.set_page_config(page_title="Satellite-evidence explorer", page_icon="🛰", layout="wide")


@st.cache_resource(show_spinner="Loading the case…", max_entries=8)
def cached_case(path: str, version: str) -> Case:
    # `version` (the files' fingerprint) is part of the cache key: edited data reloads.
    return load_case(path)


@st.cache_data(show_spinner="Preparing the map…", max_entries=16)
def cached_layers(
    case_key: str,
    _case: Case,
    start: date | None,
    end: date | None,
    layers: tuple[Kind, ...],
) -> dict[Kind, dict]:
    return layer_collections(_case, filter_records(_case.records, start, end), layers)


@st.cache_data(show_spinner="Preparing the export…", max_entries=16)
def cached_export(
    case_key: str,
    _case: Case,
    start: date | None,
    end: date | None,
    layers: tuple[Kind, ...],
    whole: bool,
) -> str:
    if whole:
        return export_text(_case)
    shown = filter_records(_case.records, start, end, layers)
    view = {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "kinds": [k.value for k in layers],
    }
    return export_text(_case, shown, view=view)


def initialise_view(case_name: str) -> None:
    """Seed the widgets once per browser session from the link, and again on a case change.

    A link describes a view of one case: after switching case the view starts afresh.
    """
    if st.session_state.get("view_of_case") == case_name:
        return
    first_load = "view_of_case" not in st.session_state
    view = from_query(st.query_params.to_dict()) if first_load else ViewState()
    st.session_state.view_of_case = case_name
    st.session_state.url_problems = view.ignored
    st.session_state.selected = view.selected
    st.session_state.map_center = view.center
    st.session_state.map_zoom = view.zoom
    # The map opens here until the case changes: changing what the map is built with
    # would remount it; later moves go through st_folium's center and zoom.
    st.session_state.opening_view = (view.center, view.zoom)
    st.session_state.last_map_click = None
    for kind in Kind:
        st.session_state[f"layer_{kind.value}"] = kind in view.layers
    for key, value in (("date_from", view.start), ("date_to", view.end)):
        if value:
            st.session_state[key] = value
        else:
            st.session_state.pop(key, None)


def sidebar(case: Case) -> tuple[date | None, date | None, tuple[Kind, ...], bool]:
    bounds = date_bounds(case.records)
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
    st.sidebar.subheader("Layers")
    layers = tuple(
        kind for kind in Kind if st.sidebar.checkbox(kind.label, key=f"layer_{kind.value}")
    )
    st.sidebar.subheader("Privacy")
    online = st.sidebar.toggle(
        "Online basemap tiles",
        value=False,
        key="online_tiles",
        help="Off: nothing leaves this machine; the map uses the shipped country outlines. "
        "On: street, satellite and light basemaps are fetched from OpenStreetMap, Esri and "
        "CARTO, who then see which area you look at.",
    )
    st.sidebar.caption(
        "Online tiles are off unless you turn them on, and a shared link never turns them on."
    )
    return start, end, layers, online


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
    case_name: str,
    case_key: str,
    start: date | None,
    end: date | None,
    layers: tuple[Kind, ...],
    online: bool,
) -> None:
    shown = filter_records(case.records, start, end, layers)
    places = case.records[case.records["kind"] == Kind.PLACE.value]
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
            collections=cached_layers(case_key, case, start, end, layers),
            online_tiles=online,
            center=opening_center,
            zoom=opening_zoom,
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
        if state and state.get("center"):
            st.session_state.map_center = (state["center"]["lat"], state["center"]["lng"])
            st.session_state.map_zoom = state.get("zoom")
        st.caption(
            "Dashed circles: positions known only within that radius (the sources do not "
            "publish where in the compound). Click an object to read its record."
        )
    with detail_col:
        options = [None, *shown["id"]]
        if st.session_state.selected not in options:
            options.append(st.session_state.selected)
        names = dict(zip(case.records["id"], case.records["name"], strict=True))
        kinds = dict(zip(case.records["id"], case.records["kind"], strict=True))
        st.selectbox(
            "Selected record",
            options=options,
            format_func=lambda rid: (
                "None (click the map or choose)"
                if rid is None
                else f"{Kind(kinds[rid]).label.rstrip('s')} · {names.get(rid, rid)}"
            ),
            key="selected",
            placeholder="Click the map or choose a record",
        )
        selected = st.session_state.selected
        text = record_markdown(case, selected) if selected else None
        if text is None:
            if selected:
                st.warning(f"No record {md(selected)} in this case.")
            st.info("Click a place, an imagery record, a feature or an event on the map.")
        else:
            record = case.record(selected)
            st.button(
                "Show on map",
                key="show_selected",
                on_click=centre_map_on,
                args=(float(record["lat"]), float(record["lon"])),
                help="Centre the map on this record",
            )
            with st.container(border=True, height=520):
                st.markdown(text)
                neighbours = colocated(shown, selected)
                if not neighbours.empty:
                    st.markdown(f"**{len(neighbours)} more records at this position:**")
                    for row in neighbours.itertuples(index=False):
                        st.button(
                            f"{Kind(row.kind).label.rstrip('s')} · {md(row.name)}",
                            key=f"goto_{row.id}",
                            on_click=select_record,
                            args=(row.id,),
                        )
    view = ViewState(
        start=start,
        end=end,
        layers=layers,
        selected=st.session_state.selected,
        center=st.session_state.map_center,
        zoom=st.session_state.map_zoom,
    )
    query = {"case": case_name, **view.to_query()}
    if st.query_params.to_dict() != query:
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
    except GeoError as exc:
        st.error(f"The case {md(case_name)} could not be loaded.")
        problems = getattr(exc, "problems", None) or [exc]
        st.dataframe({"problem": [str(p) for p in problems]}, width="stretch", hide_index=True)
        return

    initialise_view(case_name)
    for problem in st.session_state.url_problems:
        st.warning(f"Ignored in the link: {md(problem)}")
    start, end, layers, online = sidebar(case)

    st.title(md(case.meta.title))
    if case.meta.summary:
        st.markdown(md(case.meta.summary))

    shown = filter_records(case.records, start, end, layers)
    tally = counts(case.records, shown)
    for column, row in zip(st.columns(len(tally)), tally.itertuples(index=False), strict=True):
        column.metric(row.kind, f"{row.shown} of {row.total}")

    case_key = f"{case_name}@{version}"
    map_and_details(case, case_name, case_key, start, end, layers, online)
    st.caption(
        "This page's address holds the view (dates, layers, selection, map position): "
        "copy it to cite exactly what you saw."
    )

    st.subheader("Timeline")
    if shown["date_start"].notna().any() or case.records["date_start"].notna().any():
        chart = timeline_chart(case.records, start, end)
        st.altair_chart(
            chart,
            width="stretch",
            alt=f"Timeline of the case's {int(case.records['date_start'].notna().sum())} dated "
            "records; the same records are listed in the selector above the record panel.",
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

    st.subheader("Export GeoJSON")
    st.caption(
        "RFC 7946: WGS84 longitude/latitude, opens in QGIS and GDAL. Each feature carries "
        "its dates with precision, confidence, claim, claimant and sources with quotes."
    )
    left, right = st.columns(2)
    left.download_button(
        f"Download this view ({len(shown)} records)",
        data=cached_export(case_key, case, start, end, layers, False),
        file_name=f"{case_name}-view.geojson",
        mime="application/geo+json",
        key="download_view",
    )
    right.download_button(
        f"Download the whole case ({len(case.records)} records)",
        data=cached_export(case_key, case, None, None, tuple(Kind), True),
        file_name=f"{case_name}.geojson",
        mime="application/geo+json",
        key="download_case",
    )


try:
    main()
except GeoError as exc:
    st.error(md(exc))
