"""Find places: search by name (offline first) and turn a text's places into records."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from geo.case import Case
from geo.errors import DataError, GeoError
from geo.escape import escape_markdown as md
from geo.extract import Mention, decode_text, extract_places, mention_records
from geo.gazetteer import Candidate, Gazetteer, place_record
from geo.geocode import (
    GeocodingError,
    OnlineCandidate,
    OnlineGeocoder,
    config_from_env,
    online_place_record,
)
from geo.records import ANNOTATIONS_LAYER, free_layer_name
from geo.store import Store
from ui.annotate import require_analyst
from ui.state import page

REJECT = "reject"


@st.cache_resource(show_spinner="Loading the offline gazetteer…")
def gazetteer(case_key: str, _case: Case) -> Gazetteer:
    return Gazetteer.load(_case)


@st.cache_resource
def online_geocoder() -> OnlineGeocoder:
    # One for the whole app: its rate limiter keeps every session within the
    # provider's policy (Nominatim: one request a second).
    return OnlineGeocoder(config_from_env())


def _describe(candidate: Candidate | OnlineCandidate) -> str:
    if isinstance(candidate, OnlineCandidate):
        return f"{candidate.name} (online: {candidate.kind or candidate.category or 'place'})"
    population = f", pop. {candidate.population:,}" if candidate.population else ""
    country = f", {candidate.country}" if candidate.country and candidate.kind != "country" else ""
    return f"{candidate.name}{country} ({candidate.kind}{population})"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def search_tab(case_key: str, case: Case, store: Store, online: bool) -> bool:
    """Search by name; True once a place was added."""
    with st.form("place_search"):
        query = st.text_input(
            "Place name",
            key="place_query",
            help="Any spelling or alias (Sednaya, Saidnaya, صيدنايا; Nur-Sultan). Offline: "
            "the case's places and GeoNames. Online search only if turned on in the sidebar.",
        )
        st.form_submit_button("Search")
    query = query.strip()
    if not query:
        return False
    try:
        offline = gazetteer(case_key, case).search(query)
    except DataError as exc:
        st.error(md(exc))
        return False
    found: list[Candidate | OnlineCandidate] = list(offline)
    if online:
        try:
            with st.spinner("Asking the online service (at most one request a second)…"):
                found += online_geocoder().search(query)
            st.caption(md(online_geocoder().attribution))
        except GeocodingError as exc:
            st.warning(md(exc))
    if not found:
        st.info(f"No place found for {md(query)}.")
        return False
    st.dataframe(
        pd.DataFrame(
            {
                "name": [c.name for c in found],
                "where": ["online" if isinstance(c, OnlineCandidate) else c.kind for c in found],
                "country": [None if isinstance(c, OnlineCandidate) else c.country for c in found],
                "population": [
                    None if isinstance(c, OnlineCandidate) else c.population for c in found
                ],
                "lat": [c.lat for c in found],
                "lon": [c.lon for c in found],
                "source": [c.source for c in found],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    choice = st.selectbox(
        "Add which one as a place of your own?",
        range(len(found)),
        format_func=lambda i: _describe(found[i]),
        # one choice per list of results: a new search must not keep the last one's choice
        key="place_choice_" + _digest("\n".join(map(_describe, found))),
    )
    if not st.button("Add to my places", key="add_place"):
        return False
    analyst = require_analyst()
    if not analyst:
        return False
    chosen = found[choice]
    record = (
        online_place_record(chosen, layer=ANNOTATIONS_LAYER)
        if isinstance(chosen, OnlineCandidate)
        else place_record(chosen, layer=ANNOTATIONS_LAYER)
    )
    try:
        saved = store.add(record, analyst=analyst)
    except GeoError as exc:
        st.error(md(exc))
        return False
    # The record selector is already drawn in this run: select the place on the next.
    page.select_later(saved.id)
    return True


def _mention_options(mention: Mention) -> list[Candidate | str]:
    return [mention.candidate, *mention.alternatives, REJECT]


def article_tab(case_key: str, case: Case, store: Store) -> bool:
    """Text to places; True once the accepted places were stored."""
    upload = st.file_uploader("A .txt or .md file", type=["txt", "md"], key="article_file")
    pasted = st.text_area("…or paste the text", key="article_text", height=160)
    if st.button("Find the places in the text", key="article_go"):
        try:
            if upload is not None:
                data = upload.getvalue()
                text = decode_text(data, file=upload.name)
                name = upload.name
            else:
                text = pasted
                data = text.encode("utf-8")
                name = f"pasted text {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
            if not text.strip():
                st.warning("There is no text to read.")
                return False
            with st.spinner("Reading the text…"):
                mentions = extract_places(text, gazetteer(case_key, case))
        except DataError as exc:
            st.error(md(exc))
            return False
        page.article = {"name": name, "data": data, "mentions": mentions}
    article = page.article
    if not article:
        return False
    mentions: list[Mention] = article["mentions"]
    if not mentions:
        st.info("No place found in this text.")
        return False
    st.markdown(
        f"**{len(mentions)} places in {md(article['name'])}.** Accept, correct or reject each; "
        "accepted ones become places whose source is the text, with its sentence as the quote."
    )
    decisions = []
    for index, mention in enumerate(mentions):
        with st.container(border=True):
            options = _mention_options(mention)
            choice = st.selectbox(
                f"“{md(mention.surface)}”",
                range(len(options)),
                format_func=lambda i, o=options: (
                    "Reject: not a place, or not this one" if o[i] == REJECT else _describe(o[i])
                ),
                key=f"mention_{index}",
            )
            st.caption(md(mention.sentence))
            decisions.append((mention, options[choice]))
    if not st.button("Add the accepted places", type="primary", key="article_add"):
        return False
    analyst = require_analyst()
    if not analyst:
        return False
    records = mention_records(
        [(mention, chosen) for mention, chosen in decisions if isinstance(chosen, Candidate)],
        text_name=article["name"],
        text_bytes=article["data"],
    )
    if not records:
        st.warning("Every place was rejected: nothing to add.")
        return False
    try:
        receipt = store.import_layer(
            free_layer_name(f"Places in {article['name']}", (info.name for info in store.layers())),
            records,
            analyst=analyst,
            file_name=article["name"],
            file_bytes=article["data"],
        )
    except GeoError as exc:
        st.error(md(exc))
        return False
    del page.article
    page.import_message = (
        f"Layer {receipt.layer}: {receipt.count} places from the text; the text is kept as "
        f"received (SHA-256 {receipt.sha256[:16]}…)."
    )
    return True


def places_section(case_key: str, case: Case, store: Store, online: bool) -> bool:
    search, article = st.tabs(["Search by name", "Places in a text"])
    with search:
        added = search_tab(case_key, case, store, online)
    with article:
        added = article_tab(case_key, case, store) or added
    return added
