"""Mentions and search results as GeoJSON, for the command line."""

from __future__ import annotations

from typing import Any

from geo.extract.match import Mention
from geo.gazetteer import Candidate
from geo.geojson import point_feature


def _feature(candidate: Candidate, properties: dict[str, Any]) -> dict[str, Any]:
    return point_feature(
        candidate.lon,
        candidate.lat,
        {
            "name": candidate.name,
            "country": candidate.country,
            "country_code": candidate.country_code,
            "kind": candidate.kind,
            "population": candidate.population,
            "geonameid": candidate.geonameid,
            "case_place_id": candidate.case_place_id,
            "source": candidate.source,
            "position_source": candidate.position_source,
            "score": candidate.score,
            **properties,
        },
    )


def mentions_geojson(mentions: list[Mention]) -> dict[str, Any]:
    """The mentions as an RFC 7946 FeatureCollection of points, one per place."""
    return {
        "type": "FeatureCollection",
        "features": [
            _feature(
                mention.candidate,
                {
                    "matched": mention.surface,
                    "sentence": mention.sentence,
                    "span": list(mention.span),
                    "count": mention.count,
                    "alternatives": [
                        f"{c.name}, {c.country} ({c.kind})" if c.country else f"{c.name} ({c.kind})"
                        for c in mention.alternatives
                    ],
                },
            )
            for mention in mentions
        ],
    }


def candidates_geojson(candidates: list[Candidate]) -> dict[str, Any]:
    """Search results as an RFC 7946 FeatureCollection of points, best first."""
    return {
        "type": "FeatureCollection",
        "features": [
            _feature(candidate, {"matched": candidate.matched, "sentence": None})
            for candidate in candidates
        ],
    }
