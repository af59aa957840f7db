"""Geodesic distances between the case's places, beside the distances sources state."""

from __future__ import annotations

from itertools import combinations

import pandas as pd
from geopy.distance import geodesic

from geo.case import Case
from geo.frame import record_rows
from geo.records import Kind

# Past this many places every pair is too many to list (their number grows as the
# square): the distances from one chosen place instead.
MAX_PAIRED_PLACES = 25


def place_distances(case: Case) -> pd.DataFrame:
    """Every pair of places, with the geodesic (WGS84 ellipsoid) distance in km."""
    places = case.records[case.records["kind"] == Kind.PLACE.value]
    rows = [
        {
            "from": a.name,
            "to": b.name,
            "geodesic_km": round(geodesic((a.lat, a.lon), (b.lat, b.lon)).km, 1),
        }
        for a, b in combinations(record_rows(places), 2)
    ]
    return pd.DataFrame(rows, columns=["from", "to", "geodesic_km"])


def distances_from(case: Case, place_id: str) -> pd.DataFrame:
    """From the place `place_id` to every other place, nearest first, in km (geodesic)."""
    places = case.records[case.records["kind"] == Kind.PLACE.value]
    origin = places[places["id"] == place_id]
    if origin.empty:
        return pd.DataFrame(columns=["to", "geodesic_km"])
    here = (float(origin["lat"].iloc[0]), float(origin["lon"].iloc[0]))
    rows = [
        {"to": other.name, "geodesic_km": round(geodesic(here, (other.lat, other.lon)).km, 1)}
        for other in record_rows(places[places["id"] != place_id])
    ]
    frame = pd.DataFrame(rows, columns=["to", "geodesic_km"])
    return frame.sort_values("geodesic_km", kind="stable", ignore_index=True)


def stated_distances(case: Case) -> pd.DataFrame:
    """What sources say about distances, next to the geodesic distance between the places."""
    places = case.records[case.records["kind"] == Kind.PLACE.value].set_index("id")
    rows = []
    for stated in case.meta.stated_distances:
        a, b = places.loc[stated.from_place], places.loc[stated.to_place]
        citations = "; ".join(case.sources[ref.id].title for ref in stated.sources)
        rows.append(
            {
                "from": a["name"],
                "to": b["name"],
                "as stated": stated.as_stated,
                "stated km": stated.value_km,
                "geodesic km": round(geodesic((a["lat"], a["lon"]), (b["lat"], b["lon"])).km, 1),
                "source": citations,
            }
        )
    return pd.DataFrame(
        rows, columns=["from", "to", "as stated", "stated km", "geodesic km", "source"]
    )
