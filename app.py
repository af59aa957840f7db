"""Satellite-evidence explorer: the Streamlit page. Widgets and layout only; the work is in geo/.

Why some 600 lines: this is the page as Streamlit runs it, top to bottom, on every
interaction: its caches, the sidebar, the map and the record beside it, in the order
they are drawn. The sections below the map are in ui/ (`ui.tabs`).
"""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.access import team_mode
from geo.basemap import basemaps
from geo.case import Case, case_folders, cases_dir_from_env, fingerprint, load_case
from geo.compare import ImageLayer
from geo.details import record_markdown
from geo.errors import GeoError
from geo.escape import escape_markdown as md
from geo.imagery.layers import image_layers
from geo.mapview import (
    base_map,
    drawn_layers,
    drawn_shape,
    layer_colours,
    opening_view,
    record_click,
    record_groups,
    reported_view,
)
from geo.query import colocated, counts, date_bounds
from geo.records import (
    ANNOTATIONS_LAYER,
    CASE_KINDS,
    CASE_LAYER,
    Kind,
    kind_label,
    records_in_words,
)
from geo.store import DamagedRow, Store, default_data_dir
from geo.timeline import PICK, SPAN, read_selection, timeline_caption, timeline_chart
from geo.viewstate import MapSession, ViewState, from_query, quoted
from geo.workspace import (
    ALL_CASES,
    ALL_CASES_HELP,
    SEARCH_LIMIT,
    Found,
    ViewFilter,
    combined_records,
    record_titles,
    researcher_layers,
    search_records,
)
from ui.annotate import annotation_form, comment_section, edit_controls
from ui.caselayers import all_cases_section
from ui.identity import members_only, members_section, sign_in, write_refused
from ui.imagery import MapImages, image_controls
from ui.offline import keep_streamlit_offline
from ui.state import Page, page
from ui.tabs import (
    about_tab,
    distances_tab,
    export_tab,
    find_places_tab,
    history_tab,
    imagery_tab,
    import_tab,
)

CASES_DIR = cases_dir_from_env()
# Zoom for "zoom to place" and "show on map": a place's streets, a site's buildings.
PLACE_ZOOM = 13
SITE_ZOOM = 15
MAP_HEIGHT = 560
# Buttons for the other records at the selected one's position: the rest are counted.
MAX_NEIGHBOUR_BUTTONS = 20
# The tabs below the map that hold a file uploader, and the keys of their uploaders
# (each with the number of imports done): see `holds_a_chosen_file`.
UPLOADING_TOOLS = {
    "Import": ("upload",),
    "Imagery": ("image_upload", "georef_upload", "basemap_upload"),
}

# Also when started with `streamlit run app.py` rather than scripts/dev.py.
keep_streamlit_offline()

st.set_page_config(page_title="Satellite-evidence explorer", page_icon="🛰", layout="wide")


@st.cache_resource(show_spinner="Loading the case…", max_entries=8)
def cached_case(path: str, version: str) -> Case:
    # `version` (the files' fingerprint) is part of the cache key: edited data reloads.
    return load_case(path)


@st.cache_resource(show_spinner="Opening the store…")
def cached_store(data_dir: str) -> Store:
    # One store for every session: SQLite serialises the writers (see geo/store/connection.py).
    # In team mode every write is checked against the signed-in identity's role.
    return Store.open(Path(data_dir), team=team_mode())


@st.cache_resource(show_spinner="Reading your layers…", max_entries=4)
def cached_records(
    case_key: str, _case: Case, _store: Store
) -> tuple[pd.DataFrame, list[DamagedRow]]:
    # One read gives the records, and the rows left out (changed outside the app, or
    # damaged on disk). A resource, not data: every rerun would otherwise unpickle a
    # copy of the whole frame (1.9 s at 100,000 records). Nothing changes it in place.
    records, damaged = _store.read_current()
    return combined_records(_case, records), damaged


@st.cache_data(max_entries=4)
def cached_image_layers(case_key: str, _records: pd.DataFrame) -> list[ImageLayer]:
    # An image's display copy is made with its record: a new one changes the store's
    # revision, and so the key. A click then costs no look at the disk.
    return image_layers(_records, default_data_dir())


@st.cache_data(max_entries=4)
def cached_layer_colours(case_key: str, _store: Store) -> dict[str, str]:
    # by the order the layers were created: a layer keeps its colour
    return layer_colours(info.name for info in _store.layers())


@st.cache_data(max_entries=4)
def cached_all_cases_layers(case_key: str, _store: Store) -> frozenset[str]:
    # the case's layers that hold records made before records were tied to a case
    return frozenset(info.name for info in _store.layers(of_case=True) if info.all_cases)


@st.cache_data(max_entries=16)
def cached_search(case_key: str, view_filter: ViewFilter, text: str, _shown: pd.DataFrame) -> Found:
    # Keyed on what decides the shown records, and the text: a rerun from elsewhere
    # (a map click) does not search again.
    return search_records(_shown, text, SEARCH_LIMIT)


def initialise_view(case: Case, case_name: str) -> None:
    """Seed the view once per browser session from the link, and again on a case change.

    A link describes a view of one case: after switching case the view starts afresh.
    Where the link says nothing, the map opens where the case says (its `view`).
    """
    if page.view_of_case == case_name:
        return
    first_load = page.view_of_case is None
    view = (
        from_query(st.query_params.to_dict() | {"hide": st.query_params.get_all("hide")})
        if first_load
        else ViewState()
    )
    default_center, default_zoom = opening_view(case)
    page.view_of_case = case_name
    page.url_problems = list(view.ignored)
    page.selected = view.selected
    page.map_session = MapSession.start(
        view.center or default_center, default_zoom if view.zoom is None else view.zoom
    )
    page.hidden_layers = set(view.hidden)
    page.comparing = view.compare is not None
    if view.compare is not None:
        page.compare_first, page.compare_second = view.compare
    page.compare_mode, page.divider = view.compare_mode, view.divider
    for kind in CASE_KINDS:
        st.session_state[Page.layer_key(kind.value)] = kind in view.layers
    # A date the link does not give is left to the widget (bounded by the data).
    del page.date_from, page.date_to
    if view.start:
        page.date_from = view.start
    if view.end:
        page.date_to = view.end


def sidebar(
    records: pd.DataFrame, all_cases: frozenset[str] = frozenset()
) -> tuple[ViewFilter, bool]:
    """The filter the sidebar sets, and whether online tiles are on. `all_cases`: the
    researcher's layers holding records of no case, which every case shows."""
    if page.signer is None:  # in team mode the signed-in identity signs
        st.sidebar.text_input(
            "Analyst",
            key=Page.analyst.key,
            placeholder="Your name or initials",
            help="Signs everything you draw, edit or import, in the store's history.",
        )
    bounds = date_bounds(records)
    st.sidebar.header("Filter")
    start = end = None
    if bounds:
        first, last = bounds
        page.widen_dates(first, last)  # a record just stored is shown
        # Widget values live in session_state (seeded from the link); no second default here.
        for slot, default in ((Page.date_from, first), (Page.date_to, last)):
            wanted = st.session_state.setdefault(slot.key, default)
            # the widgets refuse a value outside their bounds, and the bounds are the data's
            if isinstance(wanted, date) and not first <= wanted <= last:
                used = min(max(wanted, first), last)
                st.session_state[slot.key] = used
                st.sidebar.caption(
                    f"{wanted.isoformat()} is outside the case's dates "
                    f"({first.isoformat()} to {last.isoformat()}): {used.isoformat()} is used."
                )
        start = st.sidebar.date_input(
            "From",
            min_value=first,
            max_value=last,
            key=Page.date_from.key,
            format="YYYY-MM-DD",
            help="Records whose date overlaps the range are shown: a month or a year is "
            "shown if any of its days is in the range.",
        )
        end = st.sidebar.date_input(
            "To",
            min_value=first,
            max_value=last,
            key=Page.date_to.key,
            format="YYYY-MM-DD",
        )
        if start and end and end < start:
            st.sidebar.error("'To' is before 'From': showing nothing dated.")
    st.sidebar.subheader("Layers of the case")
    kinds = tuple(
        kind
        for kind in CASE_KINDS
        if st.sidebar.checkbox(kind.label, key=Page.layer_key(kind.value))
    )
    mine = researcher_layers(records)
    if mine:
        st.sidebar.subheader("Your layers")
    for name in mine:
        shown = st.sidebar.checkbox(
            md(name) + (f" · {ALL_CASES}" if name in all_cases else ""),
            value=name not in page.hidden_layers,
            key=Page.my_layer_key(name),
            help=ALL_CASES_HELP if name in all_cases else None,
        )
        if shown:
            page.hidden_layers.discard(name)
        else:
            page.hidden_layers.add(name)
    st.sidebar.caption(
        "These switches are the map's layers: they set what the map, the counts, the "
        "page's address and the export of this view hold."
    )
    st.sidebar.subheader("Privacy")
    online = st.sidebar.toggle(
        "Online basemap tiles",
        value=False,
        key=Page.online_tiles.key,
        help="Off: nothing leaves this machine; the map uses the shipped country outlines. "
        "On: street, satellite and light basemaps are fetched from OpenStreetMap and Esri, "
        "who then see which area you look at.",
    )
    st.sidebar.toggle(
        "Online place search",
        value=False,
        key=Page.online_search.key,
        help="Off: place search uses only the offline gazetteer (the case's places and "
        "GeoNames). On: searches are also sent to OpenStreetMap's Nominatim, which then sees "
        "what you look for, and the Imagery tab can search an imagery catalogue (STAC), "
        "which then sees the position and dates.",
    )
    st.sidebar.caption(
        "Both are off unless you turn them on, and a shared link never turns them on."
    )
    hidden = tuple(sorted(page.hidden_layers))
    return ViewFilter(start=start, end=end, kinds=kinds, hidden=hidden), online


def select_record(record_id: str | None) -> None:
    page.selected = record_id


def move_map(lat: float, lon: float, zoom: int) -> None:
    """Ask the map to move (a callback: runs before the widgets of the next run)."""
    page.map_session = page.map_session.moved_to((lat, lon), zoom)


def show_record(records: pd.DataFrame, record_id: str) -> None:
    row = records[records["id"] == record_id]
    if row.empty:
        return
    zoom = PLACE_ZOOM if row["kind"].iloc[0] == Kind.PLACE.value else SITE_ZOOM
    move_map(float(row["lat"].iloc[0]), float(row["lon"].iloc[0]), zoom)


def zoom_to_place(case: Case) -> None:
    place_id = page.zoom_place
    record = case.record(place_id) if place_id else None
    if record is not None:
        move_map(float(record["lat"]), float(record["lon"]), PLACE_ZOOM)
    # Back to the prompt: choosing the same place again, after panning away, moves again.
    page.zoom_place = None


def map_panel(
    case: Case,
    store: Store,
    records: pd.DataFrame,
    case_key: str,
    case_version: str,
    view_filter: ViewFilter,
    online: bool,
    drawing: bool,
    images: MapImages,
) -> None:
    # Every layer there is, shown or not: switching one off must not change the map's script.
    every_layer = tuple(researcher_layers(records))
    colours = cached_layer_colours(case_key, store)
    try:
        offline_bases = basemaps(default_data_dir())
    except GeoError as exc:  # the map is drawn without them, and says why
        st.warning(f"The offline basemaps are left out: {md(exc)}")
        offline_bases = []
    # What the map's script is built from: another one remounts the map (at the view).
    signature = (
        case_version,
        online,
        drawing,
        every_layer,
        tuple(colours.items()),
        images.signature,
        tuple(basemap.sha256 for basemap in offline_bases),
    )
    session = page.map_session.for_map(signature)
    with st.spinner("Preparing the map's layers…", show_time=True):
        layers = drawn_layers(
            records,
            case_version,
            case_key,
            view_filter.kinds,
            view_filter.researcher(records),
            colours,
        )
    center, zoom = session.opening
    # Built afresh each run: st_folium rewrites element ids in place, so a cached
    # map object renders broken the second time.
    folium_map = base_map(
        case,
        researcher=every_layer,
        colours=colours,
        online_tiles=online,
        center=center,
        zoom=zoom,
        drawing=drawing,
        images=images.shown,
        image_opacity=images.opacity,
        comparison=images.comparison,
        basemaps=offline_bases,
    )
    move_center, move_zoom = session.move.component_args() if session.move else (None, None)
    state = st_folium(
        folium_map,
        height=MAP_HEIGHT,
        use_container_width=True,
        feature_group_to_add=record_groups(layers, view_filter.start, view_filter.end),
        center=move_center,
        zoom=move_zoom,
        returned_objects=["last_active_drawing", "last_object_clicked_count", "center", "zoom"],
        key="map",
    )
    click = record_click(state)
    session, clicked = session.reported(reported_view(state), click)
    page.map_session = session
    if clicked and click is not None:
        page.selected = click.record_id
    shape = drawn_shape(state)
    new = shape is not None and shape.fingerprint not in page.handled_drawings
    if new and (drawing or shape.measured):
        page.pending_shape = shape
    pending = page.pending_shape
    if pending is not None and (drawing or pending.measured):
        saved = annotation_form(case, store, pending, images.every, images.comparison)
        if saved:
            page.selected = saved
            st.rerun()


def record_panel(
    case: Case,
    store: Store,
    records: pd.DataFrame,
    shown: pd.DataFrame,
    images: MapImages,
    case_key: str,
    view_filter: ViewFilter,
) -> None:
    # A choice whose record is gone (a link's, or deleted) is cleared before the selector:
    # it would not be among the selector's options. Said until something is selected.
    if (gone := page.selected) is not None and not (records["id"] == gone).any():
        page.selected = None
        page.missing_selection = gone
    if page.selected is None and page.missing_selection is not None:
        st.warning(
            f"No record {md(quoted(page.missing_selection))} in this case: nothing is selected."
        )
    elif page.selected is not None:
        page.missing_selection = None
    record_selector(records, shown, case_key, view_filter)
    selected = page.selected
    text = record_markdown(case, selected, records) if selected else None
    if text is None:
        st.info(
            "Click a place, an imagery record, a feature or an event on the map. Where "
            "several records lie under the pointer, the map lists them all."
        )
        return
    row = records[records["id"] == selected].iloc[0]
    st.button(
        "Show on map",
        key="show_selected",
        on_click=show_record,
        args=(records, selected),
        help="Centre the map on this record",
    )
    with st.container(border=True, height=MAP_HEIGHT - 110):
        st.markdown(text)
        neighbours = colocated(shown, selected)
        if not neighbours.empty:
            st.markdown(f"**{len(neighbours):,} more records at this position:**")
            for other in neighbours.head(MAX_NEIGHBOUR_BUTTONS).itertuples(index=False):
                st.button(
                    f"{md(kind_label(other.kind))} · {md(other.name)}",
                    key=f"goto_{other.id}",
                    on_click=select_record,
                    args=(other.id,),
                )
            if len(neighbours) > MAX_NEIGHBOUR_BUTTONS:
                st.caption(
                    f"…and {len(neighbours) - MAX_NEIGHBOUR_BUTTONS:,} more here, not listed: "
                    "find them by name or id with the search above."
                )
    comment_section(store, selected)
    if row["layer"] == ANNOTATIONS_LAYER and edit_controls(case, store, row, images.every):
        st.rerun()


def record_selector(
    records: pd.DataFrame, shown: pd.DataFrame, case_key: str, view_filter: ViewFilter
) -> None:
    """A search of the records shown, and a choice among its first matches.

    The choice offers at most SEARCH_LIMIT records (and the selected one, found or
    not): what the page sends stays the same size however large the case.
    """
    text = st.text_input(
        "Find a record",
        key=Page.record_search.key,
        placeholder="Part of a name, an id, a kind or a layer",
        help="Searches the records the view shows (the filter applies) by name, id, kind or "
        f"layer, in any case; with several words, a record has them all. The first "
        f"{SEARCH_LIMIT} matches are offered below, an exact id first.",
    )
    found = cached_search(case_key, view_filter, text.strip(), shown)
    options: list[str | None] = [None, *found.ids]
    if page.selected not in options:  # the selection, whether the search finds it or not
        options.append(page.selected)
    titles = record_titles(records, [rid for rid in options if rid is not None])
    # Option labels are plain text: the titles are not escaped.
    st.selectbox(
        "Selected record",
        options=options,
        format_func=lambda rid: (
            "None (click the map or choose)" if rid is None else titles.get(rid, rid)
        ),
        key=Page.selected.key,
        placeholder="Click the map or choose a record",
        help="The records the search above finds; the map and the timeline select too.",
    )
    page.selection_shown()
    if text.strip() and found.total == 0:
        st.caption(f"No record shown matches {md(quoted(text.strip()))}.")
    elif found.total > len(found.ids):
        shown_words = "matches" if text.strip() else "records shown"
        st.caption(
            f"The first {len(found.ids)} of {found.total:,} {shown_words}: "
            + ("type more to narrow them." if text.strip() else "type to search them all.")
        )


@st.fragment
def map_and_details(
    case: Case,
    store: Store,
    records: pd.DataFrame,
    shown: pd.DataFrame,
    case_name: str,
    case_key: str,
    view_filter: ViewFilter,
    online: bool,
    images: MapImages,
) -> None:
    # A selection asked for outside this fragment (a place just added), before the
    # selector exists: a widget's value cannot change once it is drawn.
    page.apply_selection_request()
    # the case's files, not the store: the map's script holds the case's places
    case_version = case_key.rsplit("@", 1)[0]
    place_names = case.place_names()
    zoom_col, draw_col = st.columns([3, 2], vertical_alignment="bottom")
    zoom_col.selectbox(
        "Zoom to place",
        options=list(place_names),
        index=None,
        placeholder="Choose a place…",
        format_func=place_names.__getitem__,
        key=Page.zoom_place.key,
        on_change=zoom_to_place,
        args=(case,),
    )
    refused = write_refused()  # team mode: a viewer, or not a member of the case
    drawing = (
        draw_col.toggle(
            "Draw and annotate",
            key=Page.drawing.key,
            disabled=refused is not None,
            help=md(f"You cannot annotate: {refused}.")
            if refused
            else "Adds drawing tools to the map: point, line, polygon, rectangle, circle. "
            "After drawing, a form asks what you observed.",
        )
        and refused is None
    )
    map_col, detail_col = st.columns([3, 2], gap="medium")
    with map_col:
        map_panel(
            case, store, records, case_key, case_version, view_filter, online, drawing, images
        )
    with detail_col:
        record_panel(case, store, records, shown, images, case_key, view_filter)
    view = ViewState(
        start=view_filter.start,
        end=view_filter.end,
        layers=view_filter.kinds,
        selected=page.selected,
        center=page.map_session.center,
        zoom=page.map_session.zoom,
        hidden=view_filter.hidden,
        **(
            {
                "compare": (images.comparison.earlier.record_id, images.comparison.later.record_id),
                "compare_mode": images.comparison.mode,
                "divider": images.comparison.position,
            }
            if images.comparison
            else {}
        ),
    )
    query = {"case": case_name, **view.to_query()}
    current = st.query_params.to_dict() | {"hide": st.query_params.get_all("hide")}
    if current != query | {"hide": query.get("hide", [])}:
        st.query_params.from_dict(query)


def counts_line(case: Case, records: pd.DataFrame, shown: pd.DataFrame) -> str:
    tally = counts(case.records, shown[shown["layer"] == CASE_LAYER])
    parts = [f"{row.kind} {row.shown} of {row.total}" for row in tally.itertuples(index=False)]
    mine_total = int((records["layer"] != CASE_LAYER).sum())
    mine_shown = int((shown["layer"] != CASE_LAYER).sum())
    parts.append(f"Your records {mine_shown} of {mine_total}")
    return "Shown: " + " · ".join(parts)


def timeline_key() -> str:
    return f"timeline_{page.timeline_version}"


def follow_timeline(records: pd.DataFrame, key: str) -> None:
    """A bar clicked selects its record (and the map shows it); a brushed span filters."""
    event = st.session_state.get(key)
    if event is None:  # the chart that fired was already replaced (two quick clicks)
        return
    choice = read_selection(event.selection)
    if choice.record_id is not None:
        page.selected = choice.record_id
        show_record(records, choice.record_id)
    if choice.start is not None and choice.end is not None:
        page.date_from, page.date_to = choice.start, choice.end
    # A chart keeps its pick and brush, and repeats them: a new chart for the next choice
    # (the same bar clicked twice is two choices; the brush, now the filter, is cleared).
    page.timeline_version += 1


@st.cache_resource(max_entries=8)
def cached_timeline(
    case_key: str,
    _records: pd.DataFrame,
    start: date | None,
    end: date | None,
    selected: str | None,
) -> tuple[alt.TopLevelMixin, int, str]:
    # A rerun from elsewhere (a map click, a pan) draws the same chart: built once.
    dated = int(_records["date_start"].notna().sum())
    if not dated:
        return alt.Chart(), 0, ""
    chart = timeline_chart(_records, start, end, selected=selected)
    return chart, dated, timeline_caption(_records)


def timeline_tab(case_key: str, records: pd.DataFrame, view_filter: ViewFilter) -> None:
    chart, dated, caption = cached_timeline(
        case_key, records, view_filter.start, view_filter.end, page.selected
    )
    if not dated:
        st.info("No record of this case is dated.")
        return
    st.altair_chart(
        chart,
        width="stretch",
        on_select=partial(follow_timeline, records, timeline_key()),
        selection_mode=[PICK, SPAN],
        key=timeline_key(),
        alt=f"Timeline of {dated:,} dated records; "
        "the search beside the map finds a record by its name or id.",
    )
    st.caption(caption)


def main() -> None:
    identity = sign_in()  # team mode: stops here until someone signs in
    folders = case_folders(CASES_DIR)
    if not folders:
        st.error(f"No case found in {md(CASES_DIR)}: a case is a folder with a case.yaml.")
        return
    names = [folder.name for folder in folders]
    wanted = st.query_params.get("case")
    case_name = st.sidebar.selectbox(
        "Case",
        names,
        index=names.index(wanted) if wanted in names else 0,
        key="case_name",
    )
    case_path = CASES_DIR / case_name
    version = fingerprint(case_path)
    try:
        case = cached_case(str(case_path), version)
        # The store as this case sees it: its own records and those of no case; what is
        # drawn or imported here belongs to it.
        store = cached_store(str(default_data_dir())).for_case(case.meta.id)
    except GeoError as exc:
        st.error(f"The case {md(case_name)} could not be loaded.")
        problems = getattr(exc, "problems", None) or [exc]
        st.dataframe({"problem": [str(p) for p in problems]}, width="stretch", hide_index=True)
        return

    members_only(store, case.meta.id, identity)  # team mode: a case is its members'
    members_section(store)
    # The case's files and the store's last change: any edit gives new cached results.
    case_key = f"{case_name}@{version}@{store.revision()}"  # case files, then the store
    records, damaged = cached_records(case_key, case, store)
    initialise_view(case, case_name)
    for problem in page.url_problems:
        st.warning(f"Ignored in the link: {md(problem)}")
    all_cases = cached_all_cases_layers(case_key, store)
    view_filter, online = sidebar(records, all_cases)
    all_cases_section(store, all_cases)

    st.title(md(case.meta.title), anchor=False)
    shown = view_filter.shown(records)
    st.caption(counts_line(case, records, shown))
    if damaged:
        st.warning(
            f"{records_in_words(len(damaged))} of yours could not be read and "
            f"{'is' if len(damaged) == 1 else 'are'} left out of the map, the counts and the "
            "exports: the History tab says which and why."
        )
    if message := page.take_import_message():
        st.success(md(message))

    every_image = cached_image_layers(case_key, records)
    # The images' records only: a set or a dict of every record's would grow with the case.
    image_ids = [image.record_id for image in every_image]
    imaged = records[records["id"].isin(image_ids)]
    shown_ids = set(shown.loc[shown["id"].isin(image_ids), "id"])
    opacity, comparison = image_controls(
        every_image, dict(zip(imaged["id"], imaged["date_start"], strict=True))
    )
    images = MapImages(
        shown=tuple(i for i in every_image if i.record_id in shown_ids),
        every=tuple(every_image),
        opacity=opacity,
        comparison=comparison,
    )
    map_and_details(case, store, records, shown, case_name, case_key, view_filter, online, images)
    st.caption(
        "This page's address holds the view (dates, layers, selection, map position): "
        "copy it to cite exactly what you saw."
    )

    tools = {
        "Timeline": lambda: timeline_tab(case_key, records, view_filter),
        "Find places": lambda: find_places_tab(case_key, case, store),
        "Import": lambda: import_tab(store),
        "Imagery": lambda: imagery_tab(store, images),
        "History": lambda: history_tab(store, damaged),
        "Export": lambda: export_tab(case, case_path, case_key, store, shown, records, view_filter),
        "Distances": lambda: distances_tab(case),
        "About the case": lambda: about_tab(case),
    }
    # Tabs that remember which is open (an import or a new place keeps you where you
    # were), and only the open one is built, but for one whose uploader holds a file.
    for (name, tool), tab in zip(
        tools.items(), st.tabs(list(tools), key="tool", on_change="rerun"), strict=True
    ):
        if tab.open or holds_a_chosen_file(name):
            with tab:
                tool()


def holds_a_chosen_file(tool: str) -> bool:
    """Whether the tab's uploader holds a file the researcher chose: Streamlit forgets
    a widget on a run that does not draw it, so that file would be gone after a look at
    another tab. The last run's value is still there when this run asks."""
    done = page.imports_done
    return any(st.session_state.get(f"{key}_{done}") for key in UPLOADING_TOOLS.get(tool, ()))


try:
    main()
except GeoError as exc:
    st.error(md(exc))
