"""Places mentioned in a text: an article or a statement, turned into points to map.

Offline and rule-based: the text is split into sentences, capitalised word
sequences (and runs of Arabic words) are looked up, longest first, among the
gazetteer's names and aliases, never fuzzily, because a wrong place on an
evidence map costs more than a missed one. A few general rules then turn away
what only looks like a place: people's names, adjectives from country names,
common words, abbreviations, small towns named like ordinary words. Each rule
is one function or one word list below, and says why.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from geo.errors import DataError, Problem
from geo.gazetteer import (
    FACILITY_WORDS,
    KIND_CASE_PLACE,
    KIND_CITY,
    KIND_COUNTRY,
    Candidate,
    Gazetteer,
    check_length,
    normalize_name,
)
from geo.geojson import point_feature

MAX_TEXT_CHARS = 1_000_000
MAX_ALTERNATIVES = 4
# A city named by one ordinary-looking word must be at least this large, unless it
# is a capital, a case place, or in a country the text names: GeoNames holds
# thousands of towns called "Obama", "Stuart", "March" or "Police", while a text
# about Syria that names "Saraqib" means the Syrian town.
MIN_SINGLE_WORD_POPULATION = 50_000
_MAX_SPAN_WORDS = 6  # "Democratic Republic of the Congo"; longer runs are names of other things
_BINARY_SHARE = 0.05  # control characters beyond this share of a text: not text
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f]")  # Unicode Cc, less whitespace


def _words(text: str) -> frozenset[str]:
    """A word list written as text, each word normalised as the gazetteer's names are."""
    return frozenset(normalize_name(word) for word in text.split())


# Words English capitalises for grammar, not because they name something: at the
# start of a sentence, days, months, the pronoun I. Every one of them is some
# town's name or alias in GeoNames ("The" is Teresina's airport code, "Most" a
# Czech city, "March" an English town).
COMMON_WORDS = _words(
    """a about according after again against all also although amid among an and another
    any are as at be because been before being between both but by can could despite did
    do during each earlier either even every few following for from had has have he her
    here hers him his how however i if in into is it its just later many may meanwhile
    might more most much must my neither no nor not now of on once one only or other our
    over related several she should since so some still such than that the their them
    then there these they this those though through thus to too under until upon us very
    was we were what when where whether which while who whom whose why will with within
    without would yet you your monday tuesday wednesday thursday friday saturday sunday
    january february march april june july august september october november december
    news"""
)
# Arabic function words that are also the Arabic spelling of a city ("كان", "was",
# is Cannes); Arabic has no capitals to tell them apart.
ARABIC_COMMON_WORDS = _words(
    """في من على إلى الى عن مع هذا هذه ذلك تلك التي الذي الذين كان كانت قال قالت
    بعد قبل حتى أن إن لا ما هو هي هم كما أو ثم عند بين منذ خلال حيث كل قد لم لن"""
)
# Words before a person's name, capitalised ("President Trump") or not ("envoy
# Staffan de Mistura", "Trump's predecessor Barack Obama").
TITLES = _words(
    """mr mrs ms miss dr prof professor sir lady lord president vice prime minister
    secretary envoy ambassador spokesman spokeswoman spokesperson general gen colonel col
    lieutenant lt major maj captain capt sergeant sgt brigadier commander officer king
    queen prince princess sheikh sheik imam father pope chancellor senator sen governor
    mayor judge prosecutor lawyer attorney journalist reporter activist witness defector
    photographer detainee prisoner survivor researcher analyst director chief leader
    dictator ruler wife husband son daughter brother sister mother uncle cousin
    predecessor successor counterpart"""
) | _words(
    # the president, Mr, sheikh, brigadier, major general, colonel, doctor, envoy, minister
    "الرئيس السيد الشيخ العميد اللواء العقيد الدكتور المبعوث الوزير"
)
_ARABIC_NAME_WORDS = 2  # after an Arabic title, the name taken to follow it: "بشار الأسد"
# Common nouns that make a capitalised run the name of an institution, an event, a
# building or a region ("Human Rights Watch", "Geneva Conventions", "Red Building",
# "Northern Syria"), not of a person.
NAME_NOUNS = FACILITY_WORDS | _words(
    """affairs agency agreement army assembly accords brigade building centre center
    commission committee conference convention council court declaration department
    division foundation forces front group institute international league media ministry
    movement nations network news observatory office party post process protocol radio
    report rights security service talks television times tribunal union watch
    north south east west northern southern eastern western central upper lower greater"""
)
# Lowercase words that may join the capitalised words of one name ("Staffan de
# Mistura", "Bosnia and Herzegovina", "Department of State").
CONNECTORS = _words("de del della di da du des la le van von der den bin ibn al el")
_SPLITTING_CONNECTORS = frozenset({"of", "and", "the"})  # they join names, not parts of one
# Endings that make an adjective or a people of a country ("Syrian", "Turkish",
# "Lebanese", "Israeli"), and of a movement ("Islamist").
_DEMONYM_ENDINGS = ("an", "ian", "ish", "ese", "i", "ic", "ians", "ans")
_MOVEMENT_ENDINGS = ("ist", "ists", "ism")

_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
# A word: a dotted abbreviation ("U.S.", "D.C."), or letters with inner apostrophes
# and hyphens ("Xi'an", "al-Assad", "Nur-Sultan", "Kazakhstan's").
_WORD = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W\d_]+(?:['’\-‐][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
# A name particle joined by a hyphen: "al-Assad", "el-Sisi", "ez-Zor".
_PARTICLE = re.compile(r"^[a-z]{1,3}[\-‐](?=[^\W\d_])")
_ARABIC_PROCLITICS = "وبلفك"  # and, in/with, for, so, like: written joined to the next word

# Sentence ends: . ! ? (Arabic ؟ and ۔ too) and closing quotes or brackets, before a
# space; or a blank line, however the lines end (\n or \r\n).
_SENTENCE_END = re.compile(r"[.!?…؟۔]+[\"'”’»)\]]*(?=\s)|\n[^\S\n]*\n\s*")
_APPOSITION = re.compile(r",\s*")  # "Amman, Jordan"
_DOTTED = re.compile(r"(?:[^\W\d_]\.){2,}$")  # "U.S.", "D.C."
_INITIAL = re.compile(r"(?:^|[\s(\"“])[A-Z]\.$")  # "George W."
_TITLE_ABBREVIATIONS = _words(
    """mr mrs ms dr prof st gen col lt maj capt sgt rev sen rep gov jr sr no vol fig
    e.g i.e etc vs approx jan feb mar apr jun jul aug sep sept oct nov dec mt ft"""
)


@dataclass(frozen=True)
class Mention:
    """One place a text mentions: the first time it does, and how often."""

    surface: str  # the words as the text writes them, the first time
    span: tuple[int, int]  # their character offsets in the text, [start, end)
    sentence: str  # the sentence they first appear in, an exact substring of the text
    candidate: Candidate  # the place they most likely name
    alternatives: tuple[Candidate, ...]  # other places they may name, at most four
    count: int  # how many times the text names this place, however spelt


class _Token(NamedTuple):
    start: int
    end: int  # without a possessive 's
    text: str
    key: str  # normalised
    kind: str  # "cap", "arabic", "connector" or "lower"


# --- bad input ----------------------------------------------------------------------


def check_text(text: str, *, file: str | None = None) -> None:
    """Refuse a text too long to extract from, or one that is really binary data."""
    check_length(text, limit=MAX_TEXT_CHARS, what="The text", file=file)
    if "\x00" in text:
        raise DataError(Problem("this looks like binary, not text (it holds NUL bytes)", file))
    controls = len(_CONTROL.findall(text))
    if text and controls > _BINARY_SHARE * len(text):
        raise DataError(
            Problem(f"this looks like binary, not text ({controls:,} control characters)", file)
        )


def decode_text(data: bytes, *, file: str) -> str:
    """Bytes of a text file as text: UTF-8 (with or without BOM), or UTF-16 with a BOM.

    Nothing is guessed: a file in Latin-1, Windows-1252 or any other encoding is
    refused with the offset of the first byte that is not UTF-8, because a wrong
    guess would silently change the names the extractor looks up.
    """
    if len(data) > 4 * MAX_TEXT_CHARS:  # four bytes at most per character
        raise DataError(
            Problem(
                f"the file is {len(data):,} bytes; the limit is {MAX_TEXT_CHARS:,} characters", file
            )
        )
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise DataError(Problem("the file is UTF-32, which is not read: save it as UTF-8", file))
    if data.startswith(codecs.BOM_UTF8):
        body, skipped, encoding = data[3:], 3, "UTF-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        body, skipped, encoding = data, 0, "UTF-16"  # the codec reads the BOM itself
    else:
        body, skipped, encoding = data, 0, "UTF-8"
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        offset = exc.start + skipped
        hint = "The file may be in Latin-1 or Windows-1252; " if encoding == "UTF-8" else ""
        raise DataError(
            Problem(
                f"not {encoding}: byte 0x{data[offset]:02x} at offset {offset} "
                f"({exc.reason}). {hint}Save it as UTF-8",
                file,
            )
        ) from None
    check_text(text, file=file)
    return text


# --- sentences and words ------------------------------------------------------------


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed, so text[start:end] is the sentence.

    A full stop after an initial ("George W. Bush"), a title ("Mr. Jones") or a
    dotted abbreviation ("the U.S. administration") does not end a sentence; after
    a dotted abbreviation it does when a new sentence plainly starts ("... in the
    U.S. The next day").
    """
    bounds: list[tuple[int, int]] = []
    start = 0
    for found in _SENTENCE_END.finditer(text):
        if found.group().startswith("\n"):
            end, after = found.start(), found.end()
        else:
            end = after = found.end()
            if not _ends_sentence(text, found.start(), found.end()):
                continue
        bounds.append((start, end))
        start = after
    bounds.append((start, len(text)))
    trimmed = []
    for first, last in bounds:
        chunk = text[first:last]
        stripped = chunk.strip()
        if stripped:
            first += len(chunk) - len(chunk.lstrip())
            trimmed.append((first, first + len(stripped)))
    return trimmed


def _ends_sentence(text: str, stop: int, after: int) -> bool:
    rest = text[after : after + 40].lstrip()
    if not rest or rest[0].islower():
        return False
    before = text[max(0, stop - 30) : stop + 1].split()
    word = before[-1].lstrip("\"“'(") if before else ""
    if text[stop] != ".":
        return True
    if _INITIAL.search(" " + word) or normalize_name(word[:-1]) in _TITLE_ABBREVIATIONS:
        return False
    if _DOTTED.search(word):
        next_word = _WORD.match(rest.lstrip("\"“'("))
        return next_word is not None and next_word.group().casefold() in COMMON_WORDS
    return True


def _tokens(text: str, start: int, end: int) -> list[_Token]:
    tokens = []
    for found in _WORD.finditer(text, start, end):
        word = found.group()
        stop = found.end()
        if possessive := _POSSESSIVE.search(word):
            word, stop = word[: possessive.start()], stop - 2
        if _ARABIC_LETTER.search(word):
            kind = "arabic"
        elif word[0].isupper() or _PARTICLE.match(word):
            kind = "cap"
        elif word in CONNECTORS or word in _SPLITTING_CONNECTORS:
            kind = "connector"  # only the lowercase forms: "Of" starts a sentence
        else:
            kind = "lower"
        tokens.append(_Token(found.start(), stop, word, normalize_name(word), kind))
    return tokens


def _runs(text: str, tokens: list[_Token]) -> Iterator[list[int]]:
    """Indices of tokens forming one run of capitalised words (or of Arabic words).

    Connectors stay inside a run only between two of its words; punctuation ends a
    run, except the full stop of an abbreviation ("St. Petersburg", "Mr. Homsi").
    """
    run: list[int] = []
    for index, token in enumerate(tokens):
        if run:
            previous = tokens[run[-1]]
            gap = text[previous.end : token.start].strip()
            same_script = (token.kind == "arabic") == (tokens[run[0]].kind == "arabic")
        joined = (
            run
            and (not gap or (gap == "." and previous.key in _TITLE_ABBREVIATIONS))
            and (token.kind == "connector" or (same_script and token.kind != "lower"))
        )
        if joined:
            run.append(index)
            continue
        while run and tokens[run[-1]].kind == "connector":
            run.pop()
        if run:
            yield run
        run = [index] if token.kind in ("cap", "arabic") else []
    while run and tokens[run[-1]].kind == "connector":
        run.pop()
    if run:
        yield run


# --- the rules ----------------------------------------------------------------------


def _particle_free(key: str) -> str:
    """ "al assad" -> "assad": a name is often written without its particle."""
    head, _, tail = key.partition(" ")
    return tail if tail and len(head) <= 3 else key


@functools.lru_cache(maxsize=4)
def _demonyms(country_names: frozenset[str]) -> frozenset[str]:
    """Every word a country's name makes with a demonym ending: "syrian", "turkish", ...

    The ending may replace up to three final letters ("Lebanon" -> "Lebanese",
    "Britain" -> "British"); words of four letters or fewer are left alone.
    """
    words = {word for name in country_names for word in name.split() if len(word) >= 4}
    forms = {
        word[:cut] + ending
        for word in words
        for cut in range(max(4, len(word) - 3), len(word) + 1)
        for ending in _DEMONYM_ENDINGS
    }
    return frozenset(forms - words)


def _is_demonym(key: str, demonyms: frozenset[str]) -> bool:
    """ "Syrian", "Turkish", "Lebanese", "Israeli", "Islamist": adjectives, not places."""
    return key in demonyms or key.endswith(_MOVEMENT_ENDINGS)


class _People(NamedTuple):
    words: set[str]  # every word of every person's name in the text
    starts: set[int]  # where those names' words stand in the text


def _people(
    text: str,
    sentences: list[list[_Token]],
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

    def cuts(token: _Token) -> bool:
        return (
            token.key in _SPLITTING_CONNECTORS
            or token.key in COMMON_WORDS
            or token.key in lowercase
            or token.key in NAME_NOUNS
            or token.key.rstrip("s") in NAME_NOUNS
            or token.text.isupper()
            or _is_demonym(token.key, demonyms)
        )

    def add(chunk: list[_Token]) -> None:
        for token in chunk:
            if token.kind in ("cap", "arabic"):
                people.words.update({token.key, _particle_free(token.key)})
                people.starts.add(token.start)

    for tokens in sentences:
        for run in _runs(text, tokens):
            if tokens[run[0]].kind == "arabic":
                # No capitals in Arabic: only a title marks a name ("الرئيس بشار الأسد").
                for at, index in enumerate(run):
                    if tokens[index].key in TITLES:
                        add([tokens[i] for i in run[at + 1 : at + 1 + _ARABIC_NAME_WORDS]])
                continue
            titled = _after_title(text, tokens, run[0])
            chunk: list[_Token] = []
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


def _after_title(text: str, tokens: list[_Token], index: int) -> bool:
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


def _admissible(candidate: Candidate, words: list[_Token], in_name: bool, ctx: _Context) -> bool:
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


def _spans(run: list[int], tokens: list[_Token]) -> Iterator[tuple[int, int]]:
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
    text: str, sentence: tuple[int, int], tokens: list[_Token], run: list[int], ctx: _Context
) -> Iterator[_Found]:
    taken: set[int] = set()
    for first, last in _spans(run, tokens):
        if taken.intersection(range(first, last + 1)):
            continue
        words = [tokens[index] for index in run[first : last + 1]]
        start, end = words[0].start, words[-1].end
        single = len(words) == 1
        if single and words[0].kind == "cap" and _is_demonym(words[0].key, ctx.demonyms):
            continue
        candidates = ctx.match(text[start:end])
        if not candidates and single and words[0].kind == "arabic":
            # "بدمشق" is "in Damascus": try the word without a one-letter proclitic.
            word = words[0].text
            if word[0] in _ARABIC_PROCLITICS and len(word) >= 4:
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
    tokens = [_tokens(text, start, end) for start, end in sentences]
    lowercase = {t.key for sentence in tokens for t in sentence if t.kind in ("lower", "connector")}
    demonyms = _demonyms(gazetteer.country_names)
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
                for run in _runs(text, sentence_tokens)
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


# --- GeoJSON for the command line ---------------------------------------------------


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


# --- evaluation ---------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledText:
    """A text and the places a person found in it (canonical gazetteer names)."""

    name: str
    text: str
    expected: tuple[str, ...]


def load_labelled(labels_file: Path) -> LabelledText:
    """A `NAME.labels.json` file and its text (`text_file`, else `NAME.txt` beside it).

    The labels file holds {"places": [names], "text_file": optional path relative
    to the labels file, "notes": optional}.
    """
    labels = json.loads(labels_file.read_text(encoding="utf-8"))
    stem = labels_file.name.removesuffix(".labels.json")
    text_file = labels_file.parent / labels.get("text_file", f"{stem}.txt")
    text = decode_text(text_file.read_bytes(), file=str(text_file))
    return LabelledText(stem, text, tuple(labels["places"]))


def evaluate(texts: Iterable[LabelledText], gazetteer: Gazetteer | None = None) -> dict[str, Any]:
    """Precision and recall of `extract_places` per text and overall (micro-averaged).

    A found place counts when its canonical name (the case's name for a case place,
    GeoNames' for a country or city) equals an expected one, once normalised.
    """
    gazetteer = gazetteer or Gazetteer.load()
    rows = []
    totals = {"expected": 0, "found": 0, "true_positives": 0}
    for item in texts:
        expected = {normalize_name(name): name for name in item.expected}
        found = {
            normalize_name(m.candidate.name): m.candidate.name
            for m in extract_places(item.text, gazetteer)
        }
        hits = expected.keys() & found.keys()
        counts = {"expected": len(expected), "found": len(found), "true_positives": len(hits)}
        rows.append(
            {"text": item.name, **counts, **_rates(counts)}
            | {
                "missed": sorted(expected[key] for key in expected.keys() - hits),
                "spurious": sorted(found[key] for key in found.keys() - hits),
            }
        )
        totals = {key: totals[key] + counts[key] for key in totals}
    return {"texts": rows, "overall": {"text": "overall (micro)", **totals, **_rates(totals)}}


def _rates(counts: dict[str, int]) -> dict[str, float]:
    tp = counts["true_positives"]
    return {
        "precision": round(tp / counts["found"], 3) if counts["found"] else 1.0,
        "recall": round(tp / counts["expected"], 3) if counts["expected"] else 1.0,
    }


def evaluation_table(result: dict[str, Any]) -> str:
    """The evaluation as a Markdown table, one row per text and one overall."""
    lines = [
        "| text | expected | found | true positives | precision | recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in [*result["texts"], result["overall"]]:
        lines.append(
            f"| {row['text']} | {row['expected']} | {row['found']} | {row['true_positives']} "
            f"| {row['precision']:.2f} | {row['recall']:.2f} |"
        )
    return "\n".join(lines)
