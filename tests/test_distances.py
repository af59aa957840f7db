"""Distances between the case's places: every pair for a few places, from one for many."""

from __future__ import annotations

import pytest

from geo.distances import distances_from, place_distances


def test_every_pair_of_the_shipped_places(shipped_case):
    pairs = place_distances(shipped_case)
    assert len(pairs) == 4 * 3 // 2
    assert list(pairs.columns) == ["from", "to", "geodesic_km"]


def test_from_one_place_nearest_first(shipped_case):
    frame = distances_from(shipped_case, "saydnaya")
    assert list(frame.columns) == ["to", "geodesic_km"]
    assert frame["to"].tolist()[0] == "Damascus"  # some 25 km; Geneva and Astana are far
    assert frame["geodesic_km"].is_monotonic_increasing
    assert len(frame) == 3  # every other place, not itself
    pairs = place_distances(shipped_case)
    both = pairs[
        (pairs["from"] == "Saydnaya military prison") | (pairs["to"] == "Saydnaya military prison")
    ]
    assert sorted(frame["geodesic_km"]) == sorted(both["geodesic_km"])


@pytest.mark.parametrize("place_id", ["no-such-place", "feat-firewall"])
def test_from_something_that_is_no_place(shipped_case, place_id):
    assert distances_from(shipped_case, place_id).empty
