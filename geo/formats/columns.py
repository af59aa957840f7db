"""Which columns of a table hold latitude and longitude, from their names.

Tools name them in many ways: ``latitude``/``longitude`` in any case,
``lat``/``lon``/``lng``/``long``, GTFS ``stop_lat``/``stop_lon``, Darwin Core
``decimalLatitude``/``decimalLongitude``, OurAirports ``latitude_deg``, GDELT
``ActionGeo_Lat``/``ActionGeo_Long``, ArcGIS ``POINT_Y``/``POINT_X``, and plain
``y``/``x``. A name is split into words (at underscores, spaces, punctuation and
camelCase); words that only say the unit (deg, dd, decimal, wgs84) are dropped;
what remains is a latitude or longitude word with the same other words around
it in both columns of a pair (``stop_lat`` goes with ``stop_lon``, not with
``parent_lon``).

`coordinate_pairs` gives every pair, best first; `chosen_pair` the one to read,
or None when there is none or more than one equally good (GDELT has three
prefixed pairs): then the researcher picks the columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LATITUDE_WORDS = ("latitude", "lat")
LONGITUDE_WORDS = ("longitude", "lon", "lng", "long")
# x and y name coordinates only alone or in these combinations: elsewhere (pixel_x,
# offset_y) they are other numbers.
Y_WORDS = ("y", "ycoord")
X_WORDS = ("x", "xcoord")
XY_PREFIXES = ((), ("point",), ("coord",), ("coords",))
UNIT_WORDS = frozenset({"deg", "degs", "degree", "degrees", "dd", "decimal", "dec", "wgs84"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^0-9a-zA-Z]+")


@dataclass(frozen=True, order=True)
class Pair:
    """A latitude and a longitude column (indexes into the headers), and how good a
    guess they are: lower `rank` is better, and pairs of one rank are equally good."""

    rank: tuple[int, int]  # (x/y rather than lat/lon, words around the axis word)
    preference: int  # among the pairs of one `words`: latitude before lat, ...
    latitude: int
    longitude: int
    words: tuple[str, ...]  # the words around the axis word ("_"): ("stop", "_")


def words_of(header: str) -> list[str]:
    """The words of a column name, lower case, without unit words."""
    spaced = _CAMEL.sub(" ", header.strip())
    return [
        word for word in _SEPARATORS.split(spaced.casefold()) if word and word not in UNIT_WORDS
    ]


def _axis(words: list[str]) -> tuple[str, int, bool, tuple[str, ...]] | None:
    """(axis, preference, is x/y, the other words with the axis word's place) of a name."""
    for at in (len(words) - 1, 0):  # the axis word ends the name (stop_lat) or starts it
        if not words:
            return None
        word = words[at]
        rest = (*words[:at], "_", *words[at + 1 :])
        for axis, names, is_xy in (
            ("lat", LATITUDE_WORDS, False),
            ("lon", LONGITUDE_WORDS, False),
            ("lat", Y_WORDS, True),
            ("lon", X_WORDS, True),
        ):
            if word in names:
                if is_xy and tuple(w for w in rest if w != "_") not in XY_PREFIXES:
                    return None
                return axis, names.index(word), is_xy, rest
    return None


def coordinate_pairs(headers: list[str]) -> list[Pair]:
    """Every (latitude, longitude) pair of columns the names suggest, best first."""
    latitudes: dict[tuple[bool, tuple[str, ...]], list[tuple[int, int]]] = {}
    longitudes: dict[tuple[bool, tuple[str, ...]], list[tuple[int, int]]] = {}
    for index, header in enumerate(headers):
        found = _axis(words_of(header))
        if found is None:
            continue
        axis, preference, is_xy, rest = found
        side = latitudes if axis == "lat" else longitudes
        side.setdefault((is_xy, rest), []).append((preference, index))
    pairs = [
        Pair(
            rank=(int(is_xy), len(rest) - 1),
            preference=lat_preference + lon_preference,
            latitude=lat,
            longitude=lon,
            words=rest,
        )
        for (is_xy, rest), lats in latitudes.items()
        for lat_preference, lat in lats
        for lon_preference, lon in longitudes.get((is_xy, rest), [])
    ]
    return sorted(pairs)


def chosen_pair(pairs: list[Pair]) -> Pair | None:
    """The best pair, unless another as good has other words around its axis words
    (GDELT's Actor1Geo_Lat and ActionGeo_Lat): then the researcher chooses."""
    if not pairs:
        return None
    best = pairs[0]
    if any(pair.rank == best.rank and pair.words != best.words for pair in pairs[1:]):
        return None
    return best
