"""Places a text mentions: runs of words looked up in the gazetteer, then the rules.

Runs are looked up longest first, among the gazetteer's names and aliases, never fuzzily,
because a wrong place on an evidence map costs more than a missed one. A few general rules
then turn away what only looks like a place: people's names, adjectives from country names,
common words, abbreviations, small towns named like ordinary words.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from geo.extract.sentences import Token, check_text, runs, split_sentences, tokenize
from geo.extract.words import (
    ARABIC_COMMON_WORDS,
    ARABIC_NAME_WORDS,
    ARABIC_PROCLITICS,
    COMMON_WORDS,
    CONNECTORS,
    NAME_NOUNS,
    SPLITTING_CONNECTORS,
    TITLES,
    demonyms_of,
    is_demonym,
)
from geo.gazetteer import (
    KIND_CASE_PLACE,
    KIND_CITY,
    KIND_COUNTRY,
    Candidate,
    Gazetteer,
    normalize_name,
)

MAX_ALTERNATIVES = 4
# A city named by one ordinary-looking word must be at least this large, unless it
# is a capital, a case place, or in a country the text names: GeoNames holds
# thousands of towns called "Obama", "Stuart", "March" or "Police", while a text
# about Syria that names "Saraqib" means the Syrian town.
MIN_SINGLE_WORD_POPULATION = 50_000
_MAX_SPAN_WORDS = 6  # "Democratic Republic of the Congo"; longer runs are names of other things
_APPOSITION = re.compile(r",\s*")  # "Amman, Jordan"


@dataclass(frozen=True)
class Mention:
    """One place a text mentions: the first time it does, and how often."""

    surface: str  # the words as the text writes them, the first time
    span: tuple[int, int]  # their character offsets in the text, [start, end)
    sentence: str  # the sentence they first appear in, an exact substring of the text
    candidate: Candidate  # the place they most likely name
    alternatives: tuple[Candidate, ...]  # other places they may name, at most four
    count: int  # how many times the text names this place, however spelt


# --- the rules ----------------------------------------------------------------------


def _particle_free(key: str) -> str:
    """ "al assad" -> "assad": a name is often written without its particle."""
    head, _, tail = key.partition(" ")
    return tail if tail and len(head) <= 3 else key


class _People(NamedTuple):
    words: set[str]  # every word of every person's name in the text
    starts: set[int]  # where those names' words stand in the text


def _people(
    text: str,
    sentences: list[list[Token]],
    gazetteer: Gazetteer,
    lowercase: set[str],
    demonyms: frozenset[str],
) -> _People:
    """People's names in the text, so "Jones" after "Stuart Jones" is not a town.

    A name is a run of capitalised words after a title ("President Trump", "envoy
    Staffan de Mistura"), or a run of two to four capitalised words that is no
    place and holds no common word, institution noun, direction or adjective of
    a country ("Stuart Jones", "Bashar al-Assad"; not "Human Rights Watch",
    "Geneva Conventions" or "Northern Syria").
    """
    people = _People(set(), set())

    def cuts(token: Token) -> bool:
        return (
            token.key in SPLITTING_CONNECTORS
            or token.key in COMMON_WORDS
            or token.key in lowercase
            or token.key in NAME_NOUNS
            or token.key.rstrip("s") in NAME_NOUNS
            or token.text.isupper()
            or is_demonym(token.key, demonyms)
        )

    def add(chunk: list[Token]) -> None:
        for token in chunk:
            if token.kind in ("cap", "arabic"):
                people.words.update({token.key, _particle_free(token.key)})
                people.starts.add(token.start)

    for tokens in sentences:
        for run in runs(text, tokens):
            if tokens[run[0]].kind == "arabic":
                # No capitals in Arabic: only a title marks a name ("الرئيس بشار الأسد").
                for at, index in enumerate(run):
                    if tokens[index].key in TITLES:
                        add([tokens[i] for i in run[at + 1 : at + 1 + ARABIC_NAME_WORDS]])
                continue
            titled = _after_title(text, tokens, run[0])
            chunk: list[Token] = []
            for token in [*(tokens[index] for index in run), None]:
                if token is not None and not cuts(token) and token.key not in TITLES:
                    chunk.append(token)
                    continue
                names = [word for word in chunk if word.kind == "cap"]
                place = names and gazetteer.match(text[chunk[0].start : chunk[-1].end])
                if titled or (2 <= len(names) <= 4 and not place):
                    add(chunk)
                chunk, titled = [], token is not None and token.key in TITLES
    return people


def _after_title(text: str, tokens: list[Token], index: int) -> bool:
    """Whether the token at `index` follows a title word ("envoy", "Mr.") directly."""
    if index == 0:
        return False
    previous = tokens[index - 1]
    gap = text[previous.end : tokens[index].start]
    return previous.key in TITLES and re.fullmatch(r"\.?\s+", gap) is not None


class _Context(NamedTuple):
    people: _People
    lowercase: set[str]  # words the text writes in lowercase somewhere
    demonyms: frozenset[str]
    countries: frozenset[str]  # ISO codes of the countries the text names
    match: Callable[[str], list[Candidate]]  # the gazetteer's exact lookup, remembered


def _admissible(candidate: Candidate, words: list[Token], in_name: bool, ctx: _Context) -> bool:
    """Whether `words` may name `candidate`; `in_name` if they stand inside a longer name."""
    if candidate.kind == KIND_CASE_PLACE:
        return True  # the case's own places and their spellings were chosen by its authors
    # An abbreviation in the text ("UN", "NGO") or a city's alias in capitals (an
    # airport code: "SDF" is Louisville) names a country ("US", "UK") or nothing.
    letters = "".join(word.text for word in words if word.kind != "arabic").replace(".", "")
    if len(letters) >= 2 and letters.isupper():
        return candidate.kind == KIND_COUNTRY
    if candidate.kind == KIND_CITY and candidate.matched.replace(".", "").isupper():
        return False
    if len(words) > 1:
        return True
    key = words[0].key
    # A word in a person's name, here ("Michael Jordan") or anywhere for a city
    # ("Jones" after "Stuart Jones", "Trump" after "President Trump").
    if words[0].start in ctx.people.starts:
        return False
    if candidate.kind == KIND_COUNTRY:
        return True
    if key in ctx.people.words or _particle_free(key) in ctx.people.words:
        return False
    # An ordinary word: a function word, a title, or one the text also writes in lowercase.
    if key in COMMON_WORDS or key in ARABIC_COMMON_WORDS or key in TITLES or key in ctx.lowercase:
        return False
    small = (candidate.population or 0) < MIN_SINGLE_WORD_POPULATION
    if small and not candidate.capital and candidate.country_code not in ctx.countries:
        return False
    # A word inside a longer capitalised name ("Human" in "Human Rights Watch") that
    # matches a city only through one of its foreign or old names ("H'Uman" is Uman).
    return not (in_name and normalize_name(candidate.name) != key)


# --- extraction ---------------------------------------------------------------------


class _Found(NamedTuple):
    start: int
    end: int
    sentence: tuple[int, int]
    candidates: list[Candidate]


def _spans(run: list[int], tokens: list[Token]) -> Iterator[tuple[int, int]]:
    """(first, last) positions in `run`, longest first, each starting and ending on a word.

    None starts with "the": "The" begins many a run ("The UN", "The Geneva
    Conventions") and names are looked up without it anyway ("The Hague" = "Hague").
    """
    for size in range(min(len(run), _MAX_SPAN_WORDS), 0, -1):
        for first in range(len(run) - size + 1):
            head, tail = tokens[run[first]], tokens[run[first + size - 1]]
            if "connector" not in (head.kind, tail.kind) and head.key != "the":
                yield first, first + size - 1


def _find(
    text: str, sentence: tuple[int, int], tokens: list[Token], run: list[int], ctx: _Context
) -> Iterator[_Found]:
    taken: set[int] = set()
    for first, last in _spans(run, tokens):
        if taken.intersection(range(first, last + 1)):
            continue
        words = [tokens[index] for index in run[first : last + 1]]
        start, end = words[0].start, words[-1].end
        single = len(words) == 1
        if single and words[0].kind == "cap" and is_demonym(words[0].key, ctx.demonyms):
            continue
        candidates = ctx.match(text[start:end])
        if not candidates and single and words[0].kind == "arabic":
            # "بدمشق" is "in Damascus": try the word without a one-letter proclitic.
            word = words[0].text
            if word[0] in ARABIC_PROCLITICS and len(word) >= 4:
                candidates, start = ctx.match(word[1:]), start + 1
        # Inside a longer name: next to another capitalised word or a name particle
        # ("Human Rights Watch"), not merely listed with others ("Idlib, Hama and Daraa").
        neighbours = [tokens[run[at]] for at in (first - 1, last + 1) if 0 <= at < len(run)]
        in_name = words[0].kind == "cap" and any(
            n.kind == "cap" or n.key in CONNECTORS for n in neighbours
        )
        kept = [c for c in candidates if _admissible(c, words, in_name, ctx)]
        if not kept:
            continue
        taken.update(range(first, last + 1))
        if first and tokens[run[first - 1]].key == "the" and kept[0].name.startswith("The "):
            start = tokens[run[first - 1]].start  # "The Hague", as the text writes it
        yield _Found(start, end, sentence, kept)


def _identity(candidate: Candidate) -> tuple[Any, ...]:
    return (candidate.kind, candidate.case_place_id, candidate.geonameid, candidate.name)


def extract_places(text: str, gazetteer: Gazetteer) -> list[Mention]:
    """The places `text` mentions, in order of first mention, one Mention per place."""
    check_text(text)
    if not text.strip():
        return []
    sentences = split_sentences(text)
    tokens = [tokenize(text, start, end) for start, end in sentences]
    lowercase = {t.key for sentence in tokens for t in sentence if t.kind in ("lower", "connector")}
    demonyms = demonyms_of(gazetteer.country_names)
    ctx = _Context(
        people=_people(text, tokens, gazetteer, lowercase, demonyms),
        lowercase=lowercase,
        demonyms=demonyms,
        countries=frozenset(),
        match=functools.lru_cache(maxsize=None)(gazetteer.match),
    )

    def find_all() -> list[_Found]:
        return sorted(
            (
                item
                for sentence, sentence_tokens in zip(sentences, tokens, strict=True)
                for run in runs(text, sentence_tokens)
                for item in _find(text, sentence, sentence_tokens, run, ctx)
            ),
            key=lambda item: item.start,
        )

    # Twice: the countries the text names are known only once it has been read.
    found = find_all()
    countries = frozenset(
        item.candidates[0].country_code
        for item in found
        if item.candidates[0].kind == KIND_COUNTRY and item.candidates[0].country_code
    )
    if countries:
        ctx = ctx._replace(countries=countries)
        found = find_all()

    # Candidates keep the gazetteer's order (how well the name matched, case places,
    # countries, then population): a named country admits its small towns but does
    # not outrank a larger city of the same name elsewhere. Only a country written
    # right after the city does: "Tripoli, Lebanon" is the Lebanese Tripoli.
    for at, (item, following) in enumerate(itertools.pairwise(found)):
        country = following.candidates[0]
        if country.kind == KIND_COUNTRY and _APPOSITION.fullmatch(text, item.end, following.start):
            ranked = sorted(item.candidates, key=lambda c: c.country_code != country.country_code)
            found[at] = item._replace(candidates=ranked)
    mentions: dict[tuple[Any, ...], Mention] = {}
    for item in found:
        ranked = item.candidates
        key = _identity(ranked[0])
        if key in mentions:
            mention = mentions[key]
            mentions[key] = replace(mention, count=mention.count + 1)
            continue
        mentions[key] = Mention(
            surface=text[item.start : item.end],
            span=(item.start, item.end),
            sentence=text[item.sentence[0] : item.sentence[1]],
            candidate=ranked[0],
            alternatives=tuple(ranked[1 : 1 + MAX_ALTERNATIVES]),
            count=1,
        )
    return list(mentions.values())
