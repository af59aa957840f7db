"""The view a researcher cites: date range, layers, selection, centre and zoom, in the URL.

Parsing is forgiving (a hand-edited link still opens, and every part that could
not be read is reported); writing is canonical, so the same view always gives
the same link. Online tiles are deliberately not part of the link: opening a
link must never make the app contact a third party.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from geo.compare import MIDDLE, CompareMode
from geo.escape import shorten
from geo.records import CASE_KINDS, Kind

ALL_LAYERS: tuple[Kind, ...] = CASE_KINDS


@dataclass(frozen=True)
class ViewState:
    start: date | None = None
    end: date | None = None
    layers: tuple[Kind, ...] = ALL_LAYERS
    selected: str | None = None
    center: tuple[float, float] | None = None  # (lat, lon)
    zoom: int | None = None
    hidden: tuple[str, ...] = ()  # researcher layers turned off (all are shown by default)
    # Two imagery records compared on the map (record ids, the earlier first), how, and
    # where the divider or the fade stands (0..1).
    compare: tuple[str, str] | None = None
    compare_mode: CompareMode = CompareMode.SWIPE
    divider: float = MIDDLE
    ignored: tuple[str, ...] = field(default=(), compare=False)

    def to_query(self) -> dict[str, str | list[str]]:
        query: dict[str, str | list[str]] = {}
        if self.start:
            query["from"] = self.start.isoformat()
        if self.end:
            query["to"] = self.end.isoformat()
        if self.layers != ALL_LAYERS:
            query["layers"] = ",".join(k.value for k in self.layers) or "none"
        if self.selected:
            query["sel"] = self.selected
        if self.center:
            query["lat"] = f"{self.center[0]:.5f}"
            query["lon"] = f"{self.center[1]:.5f}"
        if self.zoom is not None:
            query["z"] = str(self.zoom)
        if self.hidden:
            query["hide"] = sorted(self.hidden)
        if self.compare:
            query["earlier"], query["later"] = self.compare
            if self.compare_mode is not CompareMode.SWIPE:
                query["mode"] = self.compare_mode.value
            if self.divider != MIDDLE:
                query["at"] = f"{self.divider:.2f}"
        return query


def _one(query: Mapping[str, str | list[str]], key: str) -> str | None:
    value = query.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def quoted(text: str | None) -> str:
    """A link's value as quoted in a note: a hand-edited link can hold anything, at length."""
    return "None" if text is None else repr(shorten(text, 41))


def from_query(query: Mapping[str, str | list[str]]) -> ViewState:
    """Read a view from URL parameters; unreadable parts are listed in `ignored`."""
    ignored: list[str] = []

    def read_date(key: str) -> date | None:
        text = _one(query, key)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            ignored.append(f"{key}={quoted(text)} is not a date (YYYY-MM-DD)")
            return None

    # A range that ends before it starts is kept: it is what the researcher saw
    # (nothing dated), and the page says so.
    start, end = read_date("from"), read_date("to")

    layers = ALL_LAYERS
    text = _one(query, "layers")
    if text is not None:
        chosen: list[Kind] = []
        for name in text.split(","):
            name = name.strip()
            if name in {k.value for k in CASE_KINDS}:
                chosen.append(Kind(name))
            elif name and name != "none":
                ignored.append(f"layers: unknown layer {quoted(name)}")
        layers = tuple(k for k in CASE_KINDS if k in chosen)

    center = None
    lat_text, lon_text = _one(query, "lat"), _one(query, "lon")
    if lat_text is not None or lon_text is not None:
        try:
            lat, lon = float(lat_text or ""), float(lon_text or "")
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
            center = (lat, lon)
        except ValueError:
            ignored.append(f"lat={quoted(lat_text)}, lon={quoted(lon_text)} is not a position")

    zoom = None
    zoom_text = _one(query, "z")
    if zoom_text is not None:
        # ASCII digits only: str.isdigit() also takes '²', which int() refuses
        if re.fullmatch(r"[0-9]{1,2}", zoom_text) and int(zoom_text) <= 22:
            zoom = int(zoom_text)
        else:
            ignored.append(f"z={quoted(zoom_text)} is not a zoom level (0 to 22)")

    compare = None
    earlier, later = _one(query, "earlier"), _one(query, "later")
    if earlier is not None and later is not None and earlier != later:
        compare = (earlier, later)
    elif earlier is not None or later is not None:
        ignored.append(
            f"earlier={quoted(earlier)}, later={quoted(later)} are not two images to compare"
        )
    mode = CompareMode.SWIPE
    mode_text = _one(query, "mode")
    if mode_text is not None:
        if mode_text in CompareMode._value2member_map_:
            mode = CompareMode(mode_text)
        else:
            ignored.append(f"mode={quoted(mode_text)} is not one of swipe, fade, toggle")
    divider = MIDDLE
    at_text = _one(query, "at")
    if at_text is not None:
        if re.fullmatch(r"0(\.[0-9]{1,4})?|1(\.0{1,4})?", at_text):
            divider = float(at_text)
        else:
            ignored.append(f"at={quoted(at_text)} is not a position from 0 to 1")
    hidden = query.get("hide") or ()
    hidden_layers = tuple(sorted({hidden} if isinstance(hidden, str) else set(hidden)))

    return ViewState(
        hidden=hidden_layers,
        start=start,
        end=end,
        layers=layers,
        selected=_one(query, "sel"),
        center=center,
        zoom=zoom,
        compare=compare,
        compare_mode=mode,
        divider=divider,
        ignored=_at_most(MAX_NOTES, list(dict.fromkeys(ignored))),
    )


# Notes about a link shown at most: a hand-made link can repeat a bad value thousands
# of times, and each note is a box on the page.
MAX_NOTES = 10


def _at_most(limit: int, notes: list[str]) -> tuple[str, ...]:
    if len(notes) <= limit:
        return tuple(notes)
    return (*notes[: limit - 1], f"and {len(notes) - limit + 1:,} more unusable values")


@dataclass(frozen=True)
class MapMove:
    """A move the app asks of the map (zoom to a place, show a record), not one it reports.

    `serial` numbers the requests of a session: see `component_args`.
    """

    center: tuple[float, float]  # (lat, lon)
    zoom: int
    serial: int = 0

    def component_args(self) -> tuple[tuple[float, float], float]:
        """`center` and `zoom` for `st_folium`.

        streamlit-folium applies them only when they differ from what it applied last,
        so a second request for the same spot (zoom to the same place twice, after
        panning away) would be ignored. An offset far below a pixel, alternating with
        each request, makes every request new; Leaflet snaps the zoom to a whole level,
        so the zoom is a float on purpose.
        """
        nudge = (self.serial % 2) * 1e-9
        return (self.center[0] + nudge, self.center[1]), self.zoom + nudge


MapView = tuple[tuple[float, float], int]  # ((lat, lon), zoom)


@dataclass(frozen=True)
class MapSession:
    """What the app knows of its map across reruns: the one source of truth for the view.

    `center` and `zoom` are where the map is: what it last reported, or where the app
    last asked it to go. They go into the page address and never back to the map:
    echoing a reported position made the map jump between two positions forever. The
    map is moved only by a `MapMove`, sent until the map reports a move of its own.

    `st_folium` returns its last report and click on every rerun, whatever caused it:
    only a report or click unlike the last one is new. A new map script (another
    signature: tools, tiles, legend) remounts the map; it opens at the current view, and
    nothing asked of or reported by the old map carries over.
    """

    center: tuple[float, float]
    zoom: int
    opening: MapView  # where the current map script opens
    signature: Hashable = None
    move: MapMove | None = None
    moves: int = 0  # moves asked so far: the next move's serial
    last_report: MapView | None = None
    last_click: Hashable = None

    @classmethod
    def start(cls, center: tuple[float, float], zoom: int) -> MapSession:
        return cls(center=center, zoom=zoom, opening=(center, zoom))

    def for_map(self, signature: Hashable) -> MapSession:
        """The session for a map built with `signature`: a new one opens at the view."""
        if signature == self.signature:
            return self
        return replace(
            self,
            signature=signature,
            opening=(self.center, self.zoom),
            move=None,
            last_report=None,
            last_click=None,
        )

    def moved_to(self, center: tuple[float, float], zoom: int) -> MapSession:
        """Ask the map to go to `center` and `zoom`; the address shows it at once."""
        move = MapMove(center, zoom, self.moves)
        return replace(self, center=center, zoom=zoom, move=move, moves=self.moves + 1)

    def reported(self, view: MapView | None, click: Hashable) -> tuple[MapSession, bool]:
        """Take what the map returned; True when `click` is a new click to act on."""
        session = self
        if view is not None and view != self.last_report:
            # the map moved itself: a pending move is done, and the map is where it says
            session = replace(session, center=view[0], zoom=view[1], last_report=view, move=None)
        new_click = click is not None and click != self.last_click
        if new_click:
            session = replace(session, last_click=click)
        return session, new_click
