"""The word lists the extractor's rules read, and the words derived from them.

Each list says why it exists: most guard against a GeoNames town that is named like an
ordinary word, a title, or a part of a person's name.
"""

from __future__ import annotations

import functools

from geo.gazetteer import FACILITY_WORDS, normalize_name


def word_set(text: str) -> frozenset[str]:
    """A word list written as text, each word normalised as the gazetteer's names are."""
    return frozenset(normalize_name(word) for word in text.split())


# Words English capitalises for grammar, not because they name something: at the
# start of a sentence, days, months, the pronoun I. Every one of them is some
# town's name or alias in GeoNames ("The" is Teresina's airport code, "Most" a
# Czech city, "March" an English town).
COMMON_WORDS = word_set(
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
ARABIC_COMMON_WORDS = word_set(
    """في من على إلى الى عن مع هذا هذه ذلك تلك التي الذي الذين كان كانت قال قالت
    بعد قبل حتى أن إن لا ما هو هي هم كما أو ثم عند بين منذ خلال حيث كل قد لم لن"""
)
# Words before a person's name, capitalised ("President Trump") or not ("envoy
# Staffan de Mistura", "Trump's predecessor Barack Obama").
TITLES = word_set(
    """mr mrs ms miss dr prof professor sir lady lord president vice prime minister
    secretary envoy ambassador spokesman spokeswoman spokesperson general gen colonel col
    lieutenant lt major maj captain capt sergeant sgt brigadier commander officer king
    queen prince princess sheikh sheik imam father pope chancellor senator sen governor
    mayor judge prosecutor lawyer attorney journalist reporter activist witness defector
    photographer detainee prisoner survivor researcher analyst director chief leader
    dictator ruler wife husband son daughter brother sister mother uncle cousin
    predecessor successor counterpart"""
) | word_set(
    # the president, Mr, sheikh, brigadier, major general, colonel, doctor, envoy, minister
    "الرئيس السيد الشيخ العميد اللواء العقيد الدكتور المبعوث الوزير"
)
ARABIC_NAME_WORDS = 2  # after an Arabic title, the name taken to follow it: "بشار الأسد"
# Common nouns that make a capitalised run the name of an institution, an event, a
# building or a region ("Human Rights Watch", "Geneva Conventions", "Red Building",
# "Northern Syria"), not of a person.
NAME_NOUNS = FACILITY_WORDS | word_set(
    """affairs agency agreement army assembly accords brigade building centre center
    commission committee conference convention council court declaration department
    division foundation forces front group institute international league media ministry
    movement nations network news observatory office party post process protocol radio
    report rights security service talks television times tribunal union watch
    north south east west northern southern eastern western central upper lower greater"""
)
# Lowercase words that may join the capitalised words of one name ("Staffan de
# Mistura", "Bosnia and Herzegovina", "Department of State").
CONNECTORS = word_set("de del della di da du des la le van von der den bin ibn al el")
SPLITTING_CONNECTORS = frozenset({"of", "and", "the"})  # they join names, not parts of one
# Endings that make an adjective or a people of a country ("Syrian", "Turkish",
# "Lebanese", "Israeli"), and of a movement ("Islamist").
DEMONYM_ENDINGS = ("an", "ian", "ish", "ese", "i", "ic", "ians", "ans")
MOVEMENT_ENDINGS = ("ist", "ists", "ism")
ARABIC_PROCLITICS = "وبلفك"  # and, in/with, for, so, like: written joined to the next word
TITLE_ABBREVIATIONS = word_set(
    """mr mrs ms dr prof st gen col lt maj capt sgt rev sen rep gov jr sr no vol fig
    e.g i.e etc vs approx jan feb mar apr jun jul aug sep sept oct nov dec mt ft"""
)


@functools.lru_cache(maxsize=4)
def demonyms_of(country_names: frozenset[str]) -> frozenset[str]:
    """Every word a country's name makes with a demonym ending: "syrian", "turkish", ...

    The ending may replace up to three final letters ("Lebanon" -> "Lebanese",
    "Britain" -> "British"); words of four letters or fewer are left alone.
    """
    words = {word for name in country_names for word in name.split() if len(word) >= 4}
    forms = {
        word[:cut] + ending
        for word in words
        for cut in range(max(4, len(word) - 3), len(word) + 1)
        for ending in DEMONYM_ENDINGS
    }
    return frozenset(forms - words)


def is_demonym(key: str, demonyms: frozenset[str]) -> bool:
    """ "Syrian", "Turkish", "Lebanese", "Israeli", "Islamist": adjectives, not places."""
    return key in demonyms or key.endswith(MOVEMENT_ENDINGS)
