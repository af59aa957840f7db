"""The tabs below the map, each a thin arrangement of one `ui` section: finding places,
importing a layer, the researcher's imagery, the history, exports, distances, and the
case's summary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from geo.case import Case
from geo.distances import (
    MAX_PAIRED_PLACES,
    distances_from,
    place_distances,
    stated_distances,
)
from geo.escape import escape_markdown as md
from geo.export import ExportView
from geo.records import Kind
from geo.store import DamagedRow, Store, default_data_dir
from geo.workspace import ViewFilter
from ui.basemap import basemap_section
from ui.georef import georeference_section
from ui.imagery import MapImages, import_image_section
from ui.places import places_section
from ui.stac import stac_section
from ui.state import page
from ui.transfer import export_section, history_section, import_section


def find_places_tab(case_key: str, case: Case, store: Store) -> None:
    if places_section(case_key, case, store, page.online_search):
        st.rerun()


def import_tab(store: Store) -> None:
    if import_section(store):
        st.rerun()


def imagery_tab(store: Store, images: MapImages) -> None:
    task = st.radio(
        "Imagery",
        ["import", "georeference", "catalogue", "basemap"],
        format_func={
            "import": "Import a georeferenced image",
            "georeference": "Georeference a released picture",
            "catalogue": "Search a catalogue (online)",
            "basemap": "Offline basemap",
        }.__getitem__,
        horizontal=True,
        label_visibility="collapsed",
        key="imagery_task",
    )
    if task == "import":
        stored = import_image_section(store)
    elif task == "catalogue":
        stored = stac_section(store, page.map_session.center, page.online_search)
    elif task == "basemap":
        stored = basemap_section(default_data_dir())
    else:
        session = page.map_session
        stored = georeference_section(
            store, images.every, session.center, session.zoom, page.online_tiles
        )
    if stored:
        st.rerun()


def history_tab(store: Store, damaged: list[DamagedRow]) -> None:
    st.caption(
        "This case's changes and those of no case, each signed by its analyst, in the "
        "store's hash chain (numbers missing here are other cases' changes); and an "
        "integrity check."
    )
    history_section(store, damaged)


def export_tab(
    case: Case,
    case_path: Path,
    case_key: str,
    store: Store,
    shown: pd.DataFrame,
    records: pd.DataFrame,
    view_filter: ViewFilter,
) -> None:
    st.caption(
        "GeoJSON (RFC 7946), KML for Google Earth, or CSV; each record carries its dates "
        "with precision, confidence, claim, claimant and sources with quotes. Opens in "
        "QGIS and GDAL, and imports back without loss."
    )
    view: ExportView = {
        "from": view_filter.start.isoformat() if view_filter.start else None,
        "to": view_filter.end.isoformat() if view_filter.end else None,
        "kinds": [k.value for k in view_filter.kinds],
        "hidden_layers": list(view_filter.hidden),
    }
    export_section(case, case_path, store, shown, records, view, case_key)


def distances_tab(case: Case) -> None:
    st.caption("Geodesic distance on the WGS84 ellipsoid (geopy)")
    places = case.records[case.records["kind"] == Kind.PLACE.value]
    if len(places) <= MAX_PAIRED_PLACES:
        st.dataframe(place_distances(case), hide_index=True, width="stretch")
    else:  # every pair would be too many: from one place at a time
        names = dict(zip(places["id"], places["name"], strict=True))
        origin = st.selectbox(
            "Distances from",
            options=list(names),
            format_func=names.__getitem__,  # an option is plain text
            key="distances_from",
            help=f"The case has {len(places):,} places: the distances from one of them to "
            "every other, nearest first.",
        )
        st.dataframe(distances_from(case, origin), hide_index=True, width="stretch")
    st.caption("What the sources say, beside the geodesic distance between the same places")
    st.dataframe(stated_distances(case), hide_index=True, width="stretch")


def about_tab(case: Case) -> None:
    if case.meta.summary:
        st.markdown(md(case.meta.summary))
