from datetime import date

import pytest

from geo.model import Kind
from geo.viewstate import ALL_LAYERS, ViewState, from_query


def test_round_trip_of_a_full_view():
    view = ViewState(
        start=date(2013, 1, 1),
        end=date(2015, 1, 31),
        layers=(Kind.PLACE, Kind.FEATURE),
        selected="feat-discharge-stack",
        center=(33.665, 36.32861),
        zoom=14,
        hidden=("My import, 2024", "Annotations"),
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
        ({"from": "2016-01-01", "to": "2015-01-01"}, "to is before from"),
        ({"layers": "places,ufo"}, "unknown layer 'ufo'"),
        ({"lat": "120", "lon": "36"}, "is not a position"),
        ({"lat": "33"}, "is not a position"),
        ({"z": "99"}, "is not a zoom level"),
    ],
)
def test_bad_parts_are_ignored_and_reported(query, problem):
    view = from_query(query)
    assert any(problem in message for message in view.ignored)


def test_no_layers_is_kept():
    view = ViewState(layers=())
    assert view.to_query() == {"layers": "none"}
    assert from_query(view.to_query()).layers == ()
    assert from_query({"layers": "place"}).layers == (Kind.PLACE,)
    assert from_query({}).layers == ALL_LAYERS


def test_a_repeated_move_is_a_new_request_to_the_map():
    from geo.viewstate import next_move

    first = next_move(None, (33.66, 36.33), 13)
    second = next_move(first, (33.66, 36.33), 13)
    # streamlit-folium applies center/zoom only when they change: the same spot twice
    # must still differ, by far less than a pixel and a zoom level
    assert first.component_args() != second.component_args()
    for move in (first, second):
        (lat, lon), zoom = move.component_args()
        assert abs(lat - 33.66) < 1e-8 and lon == 36.33 and round(zoom) == 13
    third = next_move(second, (33.66, 36.33), 13)
    assert third.component_args() != second.component_args()
