"""Drawing and annotating: the form after a drawing, and editing or deleting an annotation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from geo.access import Signer, signed_name
from geo.annotation import (
    CONFIDENCE,
    FORM_KINDS,
    Observation,
    annotation_changes,
    new_annotation,
    observation_sources,
)
from geo.case import Case
from geo.compare import Comparison, ImageLayer
from geo.details import comments_markdown
from geo.errors import GeoError
from geo.escape import escape_markdown as md
from geo.mapview import DrawnShape
from geo.measure import measure
from geo.records import Kind, kind_label
from geo.store import MAX_COMMENT_LENGTH, Store
from ui.identity import comment_refused, edit_refused, write_refused
from ui.state import page


def analyst_name() -> str:
    return str(page.analyst or "").strip()


def require_analyst(refused: str | None = None) -> Signer | None:
    """Who signs a change: the signed-in identity in team mode, if its role lets it
    change the case (or `refused` says why not), else the name typed in the sidebar;
    None after saying why not. (The store checks the role again as it writes.)"""
    refused = refused or write_refused()
    if refused is not None:
        st.error(md(f"Not saved: {refused}."))
        return None
    if page.signer is not None:
        return page.signer
    analyst = analyst_name()
    if not analyst:
        st.error("Enter your name as analyst in the sidebar: every change is signed.")
    return analyst or None


def _observation_widgets(
    case: Case,
    prefix: str,
    current: pd.Series | None = None,
    images: Sequence[ImageLayer] = (),
    compared: Comparison | None = None,
) -> Observation:
    props = current["properties"] if current is not None else {}
    label = st.text_input(
        "Label", value=current["name"] if current is not None else "", key=f"{prefix}_label"
    )
    kind_now = Kind(current["kind"]) if current is not None else Kind.FEATURE
    kind = st.selectbox(
        "Kind",
        FORM_KINDS,
        index=FORM_KINDS.index(kind_now) if kind_now in FORM_KINDS else 0,
        format_func=kind_label,
        key=f"{prefix}_kind",
    )
    left, right = st.columns(2)
    date_text = left.text_input(
        "Observed (date)",
        value=(current["date"] or "") if current is not None else "",
        help="As precise as you know it: 2015, 2015-01 or 2015-01-18; an interval as "
        "2013/2016. Leave empty if unknown.",
        key=f"{prefix}_date",
    )
    as_stated = right.text_input(
        "Date in your words",
        value=(current["date_as_stated"] or "") if current is not None else "",
        help="e.g. 'image of 18 Jan 2015 (Maxar)'",
        key=f"{prefix}_as_stated",
    )
    confidence_now = props.get("confidence", "unverified")
    confidence = st.selectbox(
        "Confidence",
        CONFIDENCE,
        index=CONFIDENCE.index(confidence_now) if confidence_now in CONFIDENCE else 3,
        key=f"{prefix}_confidence",
    )
    options = observation_sources(case, images, compared)
    default = next(iter(options))
    observed_now = props.get("observed_in", default) if current is not None else default
    if observed_now not in options:
        options[observed_now] = observed_now
    observed_in = st.selectbox(
        "Observed in",
        list(options),
        index=list(options).index(observed_now),
        format_func=options.__getitem__,  # plain text in a select box
        help="The imagery record or source this observation is based on",
        key=f"{prefix}_observed_in",
    )
    note = st.text_area("Note", value=props.get("note", ""), key=f"{prefix}_note")
    return Observation(label, kind, date_text, as_stated, confidence, observed_in, note)


def annotation_form(
    case: Case,
    store: Store,
    shape: DrawnShape,
    images: Sequence[ImageLayer] = (),
    compared: Comparison | None = None,
) -> str | None:
    """The form shown after a drawing; returns the new annotation's id once saved."""
    measured = measure(shape.geometry)
    what = f"Keep this measured {shape.shape}" if shape.measured else f"New {shape.shape}"
    st.markdown(f"**{md(what)}:** {md(measured.describe())}")
    # Not cleared on submit: a refused date must not wipe what was typed. The form is
    # gone once saved, and its fields start empty with the next drawing.
    with st.form("annotate"):
        values = _observation_widgets(case, "new", None, images, compared)
        save = st.form_submit_button("Save annotation", type="primary")
    if st.button("Discard this drawing", key="discard_drawing"):
        page.handled_drawings.add(shape.fingerprint)
        page.pending_shape = None
        st.rerun()
    if not save:
        return None
    analyst = require_analyst()
    if not analyst:
        return None
    try:
        record = new_annotation(
            values, shape, analyst=signed_name(analyst), drawn_at=datetime.now(UTC)
        )
        saved = store.add(record, analyst=analyst)
    except GeoError as exc:
        st.error(md(exc))
        return None
    page.handled_drawings.add(shape.fingerprint)
    page.pending_shape = None
    return saved.id


def edit_controls(
    case: Case, store: Store, row: pd.Series, images: Sequence[ImageLayer] = ()
) -> bool:
    """Edit and delete for an annotation; True when something changed. In team mode,
    only for whoever may change it (the store refuses the others anyway)."""
    refused = edit_refused(store, row["id"])
    if refused is not None:
        st.caption(md(f"You cannot edit or delete this annotation: {refused}."))
        return False
    with st.expander("Edit this annotation"):
        with st.form(f"edit_{row['id']}"):
            values = _observation_widgets(case, f"edit_{row['id']}", row, images)
            save = st.form_submit_button("Save changes")
        if save:
            analyst = require_analyst()
            if not analyst:
                return False
            try:
                changes = annotation_changes(values, row, analyst=signed_name(analyst))
                store.edit(row["id"], analyst=analyst, **changes)
            except GeoError as exc:
                st.error(md(exc))
                return False
            # The selector keeps its choice by the record's title, which the edit may
            # have changed: choose the record again, by its id, on the next run.
            page.select_later(row["id"])
            return True
    with st.expander("Delete this annotation"):
        st.caption("It leaves the map and the exports; the history keeps it.")
        sure = st.checkbox("Yes, delete it", key=f"sure_{row['id']}")
        if st.button("Delete", key=f"delete_{row['id']}", disabled=not sure):
            analyst = require_analyst()
            if not analyst:
                return False
            try:
                store.delete(row["id"], analyst=analyst)
            except GeoError as exc:
                st.error(md(exc))
                return False
            page.select_later(None)  # the selector is drawn: clear it next run
            return True
    return False


def comment_section(store: Store, record_id: str) -> None:
    """The comments on the record and, for whoever may comment, a box to add one; for
    the others the box is disabled, saying why. Any record: the case's or a researcher's."""
    st.markdown("#### Comments")
    st.markdown(comments_markdown(store.comments(record_id)))
    refused = comment_refused()
    with st.form(f"comment_{record_id}", clear_on_submit=True, border=False):
        text = st.text_area(
            "Your comment",
            max_chars=MAX_COMMENT_LENGTH,
            disabled=refused is not None,
            help=md(f"You cannot comment: {refused}.")
            if refused
            else "Signed and kept in "
            "the history with the time; it cannot be edited or removed afterwards.",
            key=f"comment_text_{record_id}",
        )
        send = st.form_submit_button("Add comment", disabled=refused is not None)
    if refused is not None:
        st.caption(md(f"You cannot comment: {refused}."))
    if not send:
        return
    analyst = require_analyst(comment_refused())
    if not analyst:
        return
    try:
        store.comment(record_id, text, analyst=analyst)
    except GeoError as exc:
        st.error(md(exc))
        return
    st.rerun()
