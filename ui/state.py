"""The page's state in ``st.session_state``: one typed name for each key.

Widgets take their key from here (``key=Page.selected.key``), and code reads and
writes ``page.selected`` rather than a string that a typo turns into a new key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Generic, TypeVar, overload

import streamlit as st

from geo.access import Actor, Role
from geo.compare import MIDDLE, CompareMode
from geo.georef import ControlPoint
from geo.mapview import DrawnShape
from geo.stac import SearchResults
from geo.viewstate import MapSession

T = TypeVar("T")


class Slot(Generic[T]):
    """One key of the session state, with its type and the value it starts with."""

    def __init__(self, key: str, default: Callable[[], T]) -> None:
        self.key = key
        self._default = default

    @overload
    def __get__(self, page: None, owner: type) -> Slot[T]: ...
    @overload
    def __get__(self, page: Page, owner: type) -> T: ...
    def __get__(self, page: Page | None, owner: type) -> Slot[T] | T:
        if page is None:
            return self  # on the class: the slot itself, for its key
        if self.key not in st.session_state:
            # kept, so that a mutable default (a set) is the one changed later
            st.session_state[self.key] = self._default()
        value: T = st.session_state[self.key]
        return value

    def __set__(self, page: Page, value: T) -> None:
        st.session_state[self.key] = value

    def __delete__(self, page: Page) -> None:
        st.session_state.pop(self.key, None)

    def present(self) -> bool:
        return self.key in st.session_state


def _none() -> None:
    return None


def _seeded_by_the_link() -> MapSession:
    raise RuntimeError("the map session is read before the view was seeded (initialise_view)")


class Page:
    """Everything the page keeps between reruns of one browser session."""

    # The case the view was seeded for from the link (a new case starts a new view).
    view_of_case: Slot[str | None] = Slot("view_of_case", _none)
    url_problems: Slot[list[str]] = Slot("url_problems", list)
    # The record in the panel: the selector's own value (a widget key).
    selected: Slot[str | None] = Slot("selected", _none)
    # What the record search above the selector holds (a widget key).
    record_search: Slot[str] = Slot("record_search", str)
    map_session: Slot[MapSession] = Slot("map_session", _seeded_by_the_link)
    hidden_layers: Slot[set[str]] = Slot("hidden_layers", set)
    # Drawings already turned into an annotation or discarded: st_folium repeats
    # the last drawing on every rerun.
    handled_drawings: Slot[set[str]] = Slot("handled_drawings", set)
    pending_shape: Slot[DrawnShape | None] = Slot("pending_shape", _none)
    # A selected record that is not there (a link's, or deleted): said until the next choice.
    missing_selection: Slot[str | None] = Slot("missing_selection", _none)
    # A selection asked for after the selector was drawn, made on the next run.
    select_next: Slot[str | None] = Slot("select_next", _none)
    import_message: Slot[str | None] = Slot("import_message", _none)
    imports_done: Slot[int] = Slot("imports_done", int)
    article: Slot[dict[str, Any] | None] = Slot("article", _none)
    timeline_version: Slot[int] = Slot("timeline_version", int)
    # Days a new record was stored with, for the date filter to take in on the next run
    # (its widgets are drawn before the record is stored).
    reveal_dates: Slot[tuple[date, date] | None] = Slot("reveal_dates", _none)
    # The last catalogue search's results (geo.stac.SearchResults), until the next search.
    stac_results: Slot[SearchResults | None] = Slot("stac_results", _none)
    # File sizes asked of the server (HEAD) for a download, by the file's address.
    stac_sizes: Slot[dict[str, int | None]] = Slot("stac_sizes", dict)
    # Widget values (their keys are these slots' keys).
    date_from: Slot[date | None] = Slot("date_from", _none)
    date_to: Slot[date | None] = Slot("date_to", _none)
    zoom_place: Slot[str | None] = Slot("zoom_place", _none)
    drawing: Slot[bool] = Slot("drawing", bool)
    online_tiles: Slot[bool] = Slot("online_tiles", bool)
    online_search: Slot[bool] = Slot("online_search", bool)
    analyst: Slot[str] = Slot("analyst", str)
    # Team mode (ui.identity): the signed-in identity on the case, and its role there.
    signer: Slot[Actor | None] = Slot("signer", _none)
    role: Slot[Role | None] = Slot("role", _none)
    # The researcher's images on the map (widget keys), and two of them compared.
    image_opacity: Slot[float] = Slot("image_opacity", lambda: 1.0)
    comparing: Slot[bool] = Slot("comparing", bool)
    compare_first: Slot[str | None] = Slot("compare_first", _none)
    compare_second: Slot[str | None] = Slot("compare_second", _none)
    compare_mode: Slot[CompareMode] = Slot("compare_mode", lambda: CompareMode.SWIPE)
    divider: Slot[float] = Slot("divider", lambda: MIDDLE)
    # An image asked to be compared (by a link, or deleted since) that is not one to draw:
    # said until the comparison is turned on again.
    compare_missing: Slot[str | None] = Slot("compare_missing", _none)
    # Georeferencing a released picture: which picture, its control points so far, and
    # the spot last clicked on the picture and on the map, not yet made a point.
    georef_picture: Slot[str | None] = Slot("georef_picture", _none)
    georef_points: Slot[list[ControlPoint]] = Slot("georef_points", list)
    georef_points_file: Slot[str | None] = Slot("georef_points_file", _none)
    georef_pixel: Slot[tuple[float, float] | None] = Slot("georef_pixel", _none)
    georef_lonlat: Slot[tuple[float, float] | None] = Slot("georef_lonlat", _none)
    georef_clicks: Slot[set[str]] = Slot("georef_clicks", set)

    @staticmethod
    def layer_key(kind: str) -> str:
        """The key of the switch for one of the case's layers."""
        return f"layer_{kind}"

    @staticmethod
    def my_layer_key(name: str) -> str:
        """The key of the switch for one of the researcher's layers."""
        return f"mine_{name}"

    def select_later(self, record_id: str | None) -> None:
        """Select `record_id` (None: nothing) on the next run: the selector, once
        drawn, cannot be changed in this one."""
        self.select_next = record_id

    def apply_selection_request(self) -> bool:
        """Apply a selection asked for by `select_later`, before the selector is drawn;
        True if there was one. It is asked again on every run until `selection_shown`:
        a run stopped by a click before the selector was drawn left the browser
        holding the old choice, which it sends back with the next run."""
        if not Page.select_next.present():
            return False
        self.selected = self.select_next
        return True

    def selection_shown(self) -> None:
        """The selector was drawn with the requested selection: the request is done."""
        del self.select_next

    def reveal_later(self, start: date, end: date) -> None:
        """Widen the date filter on the next run to take in `start` to `end`."""
        known = self.reveal_dates
        if known is not None:
            start, end = min(start, known[0]), max(end, known[1])
        self.reveal_dates = (start, end)

    def widen_dates(self, first: date, last: date) -> None:
        """Apply `reveal_later` before the date widgets are drawn, within their bounds."""
        wanted = self.reveal_dates
        if wanted is None:
            return
        del self.reveal_dates
        start, end = max(wanted[0], first), min(wanted[1], last)
        current_from, current_to = self.date_from, self.date_to
        if isinstance(current_from, date) and start < current_from:
            self.date_from = start
        if isinstance(current_to, date) and end > current_to:
            self.date_to = end

    def take_import_message(self) -> str | None:
        message = self.import_message
        del self.import_message
        return message


page = Page()
