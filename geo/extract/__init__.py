"""Places mentioned in a text: an article or a statement, turned into points to map.

Offline and rule-based: the text is split into sentences, capitalised word
sequences (and runs of Arabic words) are looked up, longest first, among the
gazetteer's names and aliases, never fuzzily, because a wrong place on an
evidence map costs more than a missed one. A few general rules then turn away
what only looks like a place: people's names, adjectives from country names,
common words, abbreviations, small towns named like ordinary words. Each rule
is one function or one word list, and says why.

- `sentences`: bytes decoded and checked, sentences, words and runs of words.
- `words`: the word lists the rules read.
- `match`: `extract_places` and its rules; a `Mention` per place.
- `features`: mentions and search results as GeoJSON (the command line's output).
- `records`: the mentions a researcher accepted, as place records citing the text.
- `evaluate`: precision and recall against hand-labelled texts.
"""

from geo.extract.evaluate import LabelledText, evaluate, evaluation_table, load_labelled
from geo.extract.features import candidates_geojson, mentions_geojson
from geo.extract.match import (
    MAX_ALTERNATIVES,
    MIN_SINGLE_WORD_POPULATION,
    Mention,
    extract_places,
)
from geo.extract.records import mention_records
from geo.extract.sentences import MAX_TEXT_CHARS, check_text, decode_text, split_sentences
from geo.extract.words import (
    ARABIC_COMMON_WORDS,
    COMMON_WORDS,
    CONNECTORS,
    NAME_NOUNS,
    TITLES,
)

__all__ = [
    "ARABIC_COMMON_WORDS",
    "COMMON_WORDS",
    "CONNECTORS",
    "MAX_ALTERNATIVES",
    "MAX_TEXT_CHARS",
    "MIN_SINGLE_WORD_POPULATION",
    "NAME_NOUNS",
    "TITLES",
    "LabelledText",
    "Mention",
    "candidates_geojson",
    "check_text",
    "decode_text",
    "evaluate",
    "evaluation_table",
    "extract_places",
    "load_labelled",
    "mention_records",
    "mentions_geojson",
    "split_sentences",
]
