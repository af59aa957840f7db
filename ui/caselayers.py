"""The sidebar's part for the layers shown on all cases: records made before records
were tied to a case (stores from before revision 0005), which every case shows. A
lead of the case whose page is open (alone: whoever uses the page) gives a layer's
records to that case (`geo.store.Store.assign_layer`): one history entry lists them,
and other cases no longer show them."""

from __future__ import annotations

import streamlit as st

from geo.access import Role
from geo.errors import GeoError
from geo.escape import escape_markdown as md
from geo.store import Store
from ui.annotate import require_analyst
from ui.state import page


def all_cases_section(store: Store, all_cases: frozenset[str]) -> None:
    """For a lead (or alone), the layers of `all_cases` and a form that gives one's
    records to this case; nothing for anyone else, or when there is no such layer."""
    if not all_cases or (page.signer is not None and page.role != Role.LEAD):
        return
    with st.sidebar.expander(f"Layers shown on all cases ({len(all_cases)})"):
        st.caption(
            "Their records were made before records were tied to a case, so every case "
            "shows them. Give a layer's records to this case and only it shows them; the "
            "history keeps one entry listing them. Records of this layer that another case "
            "already holds stay that case's."
        )
        with st.form("assign_form", clear_on_submit=True):
            layer = st.selectbox(
                "Layer", sorted(all_cases), key="assign_layer"
            )  # options are plain text
            sure = st.checkbox(
                "Other cases will no longer show its records",
                key="assign_confirmed",
                help="This is kept in the history and cannot be undone from the page.",
            )
            given = st.form_submit_button("Give to this case")
        if not given:
            return
        if not sure:
            st.warning("Tick the box to confirm: other cases will no longer show them.")
            return
        signer = require_analyst()
        if signer is None or layer is None:
            return
        try:
            store.assign_layer(layer, analyst=signer)
        except GeoError as exc:
            st.error(md(exc))
            return
        st.rerun()  # the layer loses its "all cases" mark; the History tab lists the entry
