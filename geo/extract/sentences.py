"""A text read for extraction: its bytes decoded and checked, its sentences, its words.

Sentences bound what a mention quotes; words (tokens) and runs of capitalised (or Arabic)
words are what the rules in `geo.extract.match` look up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

import geo.text
from geo.errors import DataError, Problem
from geo.extract.words import (
    COMMON_WORDS,
    CONNECTORS,
    SPLITTING_CONNECTORS,
    TITLE_ABBREVIATIONS,
)
from geo.gazetteer import check_length, normalize_name

MAX_TEXT_CHARS = 1_000_000
_BINARY_SHARE = 0.05  # control characters beyond this share of a text: not text
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f]")  # Unicode Cc, less whitespace

_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
# A word: a dotted abbreviation ("U.S.", "D.C."), or letters with inner apostrophes
# and hyphens ("Xi'an", "al-Assad", "Nur-Sultan", "Kazakhstan's").
_WORD = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W\d_]+(?:['’\-‐][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
# A name particle joined by a hyphen: "al-Assad", "el-Sisi", "ez-Zor".
_PARTICLE = re.compile(r"^[a-z]{1,3}[\-‐](?=[^\W\d_])")
# Sentence ends: . ! ? (Arabic ؟ and ۔ too) and closing quotes or brackets, before a
# space; or a blank line, however the lines end (\n or \r\n).
_SENTENCE_END = re.compile(r"[.!?…؟۔]+[\"'”’»)\]]*(?=\s)|\n[^\S\n]*\n\s*")
_DOTTED = re.compile(r"(?:[^\W\d_]\.){2,}$")  # "U.S.", "D.C."
_INITIAL = re.compile(r"(?:^|[\s(\"“])[A-Z]\.$")  # "George W."


class Token(NamedTuple):
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

    Nothing is guessed (`geo.text.decode_text`): a file in Latin-1, Windows-1252 or any
    other encoding is refused with the offset of the first byte that does not decode,
    because a wrong guess would silently change the names the extractor looks up.
    """
    if len(data) > 4 * MAX_TEXT_CHARS:  # four bytes at most per character
        raise DataError(
            Problem(
                f"the file is {len(data):,} bytes; the limit is {MAX_TEXT_CHARS:,} characters", file
            )
        )
    text = geo.text.decode_text(data, file=file, encodings=geo.text.UTF8_OR_UTF16)
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
    if _INITIAL.search(" " + word) or normalize_name(word[:-1]) in TITLE_ABBREVIATIONS:
        return False
    if _DOTTED.search(word):
        next_word = _WORD.match(rest.lstrip("\"“'("))
        return next_word is not None and next_word.group().casefold() in COMMON_WORDS
    return True


def tokenize(text: str, start: int, end: int) -> list[Token]:
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
        elif word in CONNECTORS or word in SPLITTING_CONNECTORS:
            kind = "connector"  # only the lowercase forms: "Of" starts a sentence
        else:
            kind = "lower"
        tokens.append(Token(found.start(), stop, word, normalize_name(word), kind))
    return tokens


def runs(text: str, tokens: list[Token]) -> Iterator[list[int]]:
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
            and (not gap or (gap == "." and previous.key in TITLE_ABBREVIATIONS))
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
