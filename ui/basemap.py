"""Offline basemaps: adding one (a GeoTIFF, MBTiles or PMTiles file) and removing one.
Widgets only: the work is in `geo.basemap`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from geo.basemap import MAX_BASEMAP_BYTES, add_basemap, basemaps, remove_basemap
from geo.basemap.storage import SUFFIX_KINDS
from geo.errors import DataError, GeoError
from geo.escape import escape_markdown as md
from ui.state import page
from ui.transfer import problems_table

BASEMAP_TYPES = [suffix.lstrip(".") for suffix in SUFFIX_KINDS]


def _added(message: str) -> bool:
    page.imports_done += 1  # a new uploader: the file just added is not offered again
    page.import_message = message
    return True


def _upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def _add_form(data_dir: Path) -> bool:
    upload = st.file_uploader(
        "A basemap: GeoTIFF, MBTiles or PMTiles of picture tiles (PNG, JPEG, WebP)",
        type=BASEMAP_TYPES,
        key=f"basemap_upload_{page.imports_done}",
        help=f"Up to {_upload_limit_mb()} MB here. A larger package can be added on the "
        "command line: python -m geo basemap add FILE --label LABEL --source SOURCE "
        f"--date DATE (up to {MAX_BASEMAP_BYTES // 1024**3} GB). Vector tiles are not drawn.",
    )
    if upload is None:
        return False
    with st.form(f"basemap_form_{page.imports_done}"):
        label = st.text_input(
            "Label", value=Path(upload.name).stem, help="What it shows: 'Saydnaya, 2019 mosaic'"
        )
        left, right = st.columns(2)
        source = left.text_input("Source", help="Who made it, or where it comes from")
        date = right.text_input(
            "Date, if known",
            help="As the source states it; shown beside the label, never "
            "used as a date of evidence",
        )
        add = st.form_submit_button("Add as an offline basemap", type="primary")
    if not add:
        return False
    try:
        with st.spinner("Checking the basemap…"):
            basemap = add_basemap(data_dir, upload.getvalue(), upload.name, label, source, date)
    except DataError as exc:
        st.error(f"{md(upload.name)} was not added as a basemap. Nothing was stored.")
        problems_table(exc)
        return False
    return _added(
        f"Basemap {basemap.label} added: choose it in the map's layer control (top right). "
        "It is context, not evidence: in no export and on no timeline."
    )


def _listing(data_dir: Path) -> bool:
    try:
        kept = basemaps(data_dir)
    except GeoError as exc:
        st.error(md(exc))
        return False
    if not kept:
        st.caption("No offline basemap yet.")
        return False
    st.dataframe(
        pd.DataFrame(
            {
                "label": [b.label for b in kept],
                "date": [b.date or "" for b in kept],
                "source": [b.source for b in kept],
                "kind": [b.kind.value for b in kept],
                "zoom": [f"{b.min_zoom}–{b.max_zoom}" for b in kept],
                "where (W, S, E, N)": [", ".join(f"{v:.4f}" for v in b.bounds) for b in kept],
                "SHA-256": [b.sha256[:16] + "…" for b in kept],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    by_sha = {b.sha256: b for b in kept}
    chosen = left.selectbox(
        "Basemap to remove",
        list(by_sha),
        format_func=lambda sha: f"{by_sha[sha].label} ({sha[:12]}…)",
        key="basemap_to_remove",
    )
    if not right.button("Remove", key="basemap_remove") or chosen is None:
        return False
    try:
        gone = remove_basemap(data_dir, chosen)
    except GeoError as exc:
        st.error(md(exc))
        return False
    page.import_message = f"Basemap {gone.label} removed."
    return True


def basemap_section(data_dir: Path) -> bool:
    """Add an offline basemap, list and remove them; True once one was added or removed."""
    st.caption(
        "A basemap gives a site context without online tiles: a GeoTIFF, or tiles packed "
        "as MBTiles or PMTiles. It is offered in the map's layer control, labelled as a "
        "basemap and not evidence; it is not an imagery record, not exported, not on the "
        "timeline."
    )
    added = _add_form(data_dir)
    st.subheader("Offline basemaps", anchor=False)
    return _listing(data_dir) or added
