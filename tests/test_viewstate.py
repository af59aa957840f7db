from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.compare import CompareMode
from geo.records import CASE_KINDS, Kind
from geo.viewstate import ALL_LAYERS, MapSession, ViewState, from_query


def test_round_trip_of_a_full_view():
    view = ViewState(
        start=date(2013, 1, 1),
        end=date(2015, 1, 31),
        layers=(Kind.PLACE, Kind.FEATURE),
        selected="feat-discharge-stack",
        center=(33.665, 36.32861),
        zoom=14,
        hidden=("My import, 2024", "Annotations"),
        compare=("imp-2013", "imp-2016"),
        compare_mode=CompareMode.FADE,
        divider=0.25,
    )
    assert from_query(view.to_query()) == ViewState(
        **{**view.__dict__, "hidden": tuple(sorted(view.hidden))}
    )


def test_default_view_is_an_empty_query():
    assert ViewState().to_query() == {}
    assert from_query({}) == ViewState()


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"from": "January"}, "from='January' is not a date"),
        ({"layers": "places,ufo"}, "unknown layer 'ufo'"),
        ({"lat": "120", "lon": "36"}, "is not a position"),
        ({"lat": "33"}, "is not a position"),
        ({"z": "99"}, "is not a zoom level"),
        ({"earlier": "imp-1"}, "are not two images to compare"),
        ({"earlier": "imp-1", "later": "imp-1"}, "are not two images to compare"),
        ({"mode": "blink"}, "mode='blink' is not one of swipe, fade, toggle"),
        ({"at": "1.5"}, "at='1.5' is not a position from 0 to 1"),
        ({"at": "nan"}, "at='nan' is not a position from 0 to 1"),
    ],
)
def test_bad_parts_are_ignored_and_reported(query, problem):
    view = from_query(query)
    assert any(problem in message for message in view.ignored)


def test_a_range_that_ends_before_it_starts_is_kept():
    # the view showed nothing dated; the link must show the same
    view = from_query({"from": "2016-01-01", "to": "2015-01-01"})
    assert (view.start, view.end) == (date(2016, 1, 1), date(2015, 1, 1))
    assert view.ignored == ()


def test_no_layers_is_kept():
    view = ViewState(layers=())
    assert view.to_query() == {"layers": "none"}
    assert from_query(view.to_query()).layers == ()
    assert from_query({"layers": "place"}).layers == (Kind.PLACE,)
    assert from_query({}).layers == ALL_LAYERS


PRISON, DAMASCUS = (33.665, 36.32861), (33.5102, 36.29128)


def test_a_repeated_move_is_a_new_request_to_the_map():
    first = MapSession.start(PRISON, 15).moved_to(DAMASCUS, 13)
    second = first.moved_to(DAMASCUS, 13)
    # streamlit-folium applies center/zoom only when they change: the same spot twice
    # must still differ, by far less than a pixel and a zoom level
    assert first.move.component_args() != second.move.component_args()
    for move in (first.move, second.move):
        (lat, lon), zoom = move.component_args()
        assert abs(lat - DAMASCUS[0]) < 1e-8 and lon == DAMASCUS[1] and round(zoom) == 13
    # a move the map has made is no longer sent; the next one is still new
    done, _ = second.reported((DAMASCUS, 13), None)
    assert done.move is None
    third = done.moved_to(DAMASCUS, 13)
    assert third.move.component_args() != second.move.component_args()


# Each row: the session's story, then what the map returns on one rerun, and what follows.
OPENED = MapSession.start(PRISON, 15)
DRAGGED, _ = OPENED.reported(((33.7, 36.4), 15), None)
ASKED = DRAGGED.moved_to(DAMASCUS, 13)


@pytest.mark.parametrize(
    ("session", "report", "click", "center", "zoom", "move_sent", "acts_on_click"),
    [
        pytest.param(OPENED, None, None, PRISON, 15, False, False, id="opened"),
        pytest.param(OPENED, ((33.7, 36.4), 15), None, (33.7, 36.4), 15, False, False, id="drag"),
        # st_folium repeats the last report on every rerun: not a move
        pytest.param(DRAGGED, ((33.7, 36.4), 15), None, (33.7, 36.4), 15, False, False, id="same"),
        # a move asked for: the address shows the target before the map reports it
        pytest.param(ASKED, ((33.7, 36.4), 15), None, DAMASCUS, 13, True, False, id="asked"),
        # the map got there and says so: the move is done
        pytest.param(
            ASKED, ((33.51, 36.29), 13), None, (33.51, 36.29), 13, False, False, id="arrived"
        ),
        pytest.param(OPENED, None, ("saydnaya", 1), PRISON, 15, False, True, id="click"),
    ],
)
def test_what_the_map_returns(session, report, click, center, zoom, move_sent, acts_on_click):
    after, acts = session.reported(report, click)
    assert (after.center, after.zoom) == (center, zoom)
    assert (after.move is not None) == move_sent
    assert acts == acts_on_click
    # the map is never told where it reported itself to be
    assert after.move is None or after.move.center != report


def test_the_same_click_is_acted_on_once_and_a_second_click_again():
    once, first = OPENED.reported(None, ("saydnaya", 1))
    again, repeated = once.reported(None, ("saydnaya", 1))  # a rerun: st_folium repeats it
    _, second = again.reported(None, ("saydnaya", 3))  # clicked again
    assert (first, repeated, second) == (True, False, True)


def test_a_new_map_opens_at_the_view_and_forgets_the_old_one():
    clicked, _ = ASKED.reported(None, ("saydnaya", 2))
    signed = clicked.for_map("map A")
    assert signed.opening == (DAMASCUS, 13)  # where the view is now
    assert signed.move is None  # a new map is not sent the old map's move
    assert signed.last_click is None and signed.last_report is None
    assert signed.for_map("map A") is signed  # the same map: nothing changes
    # the new map's first click counts, even if its counter repeats the old map's
    assert signed.reported(None, ("saydnaya", 2))[1] is True


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"z": "²"}, "is not a zoom level"),  # str.isdigit() says yes, int() says no
        ({"z": "9" * 500}, "is not a zoom level"),
        ({"z": "-1"}, "is not a zoom level"),
        ({"lat": "nan", "lon": "inf"}, "is not a position"),
        ({"lat": "1e400", "lon": "36"}, "is not a position"),
    ],
)
def test_hostile_link_values_are_ignored_with_a_note(query, problem):
    view = from_query(query)
    assert any(problem in message for message in view.ignored)
    assert all(len(message) < 200 for message in view.ignored)  # a quote, not the value


LINK_KEYS = st.sampled_from(["from", "to", "layers", "sel", "lat", "lon", "z", "hide", "x"])
LINK_VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["nan", "inf", "-0", "²", "1e400", "0001-01-01", "9999-12-31", "22"]),
    st.lists(st.text(max_size=20), max_size=3),
)


# no time limits: a loaded test machine must not fail a test of correctness
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(LINK_KEYS, LINK_VALUES, max_size=9))
def test_any_link_gives_a_usable_view(query):
    view = from_query(query)
    if view.center is not None:
        lat, lon = view.center
        assert -90 <= lat <= 90 and -180 <= lon <= 180
    assert view.zoom is None or 0 <= view.zoom <= 22
    assert set(view.layers) <= set(CASE_KINDS)
    assert from_query(view.to_query()).to_query() == view.to_query()  # canonical


def test_notes_about_a_link_are_few_and_not_repeated():
    from geo.viewstate import MAX_NOTES

    same = from_query({"layers": ",".join(["bad"] * 5_000)})
    assert same.ignored == ("layers: unknown layer 'bad'",)
    many = from_query({"layers": ",".join(f"bad{n}" for n in range(20))})
    assert len(many.ignored) == MAX_NOTES
    assert many.ignored[-1] == "and 11 more unusable values"


def test_a_comparison_is_in_the_link_with_its_mode_and_divider():
    view = ViewState(compare=("imp-a", "imp-b"))
    assert view.to_query() == {"earlier": "imp-a", "later": "imp-b"}  # swipe at the middle
    assert ViewState(compare=None, compare_mode=CompareMode.FADE).to_query() == {}
    assert from_query({"earlier": "imp-a", "later": "imp-b", "at": "0.7"}).divider == 0.7
