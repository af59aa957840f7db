"""Places mentioned in a text: the article, hand-labelled texts, tricky cases, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from geojson_pydantic import FeatureCollection

from geo.case import DEFAULT_CASE_DIR
from geo.errors import DataError
from geo.extract import (
    MAX_TEXT_CHARS,
    candidates_geojson,
    decode_text,
    evaluate,
    evaluation_table,
    extract_places,
    load_labelled,
    mentions_geojson,
    split_sentences,
)
from geo.gazetteer import KIND_CASE_PLACE, KIND_COUNTRY, Gazetteer

TEXTS_DIR = Path(__file__).parent / "data" / "texts"
ARTICLE = DEFAULT_CASE_DIR / "texts" / "article-2017-05-15.txt"

# The evaluation's floor over all labelled texts (micro-averaged). Every text scores
# 1.0 today; the floor leaves room for one slip in about twenty places, no more.
MIN_OVERALL_PRECISION = 0.95
MIN_OVERALL_RECALL = 0.95


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def names(mentions) -> set[str]:
    return {mention.candidate.name for mention in mentions}


def test_article_places(gaz):
    text = ARTICLE.read_text(encoding="utf-8")
    mentions = extract_places(text, gaz)
    assert names(mentions) == {
        "Saydnaya military prison",
        "Damascus",
        "Astana",
        "Geneva",
        "Moscow",  # "relations with Moscow": the Russian government, by its capital
        "Syria",
        "Russia",
        "Iran",
        "Turkey",
        "Kazakhstan",
        "United States",
    }
    by_name = {mention.candidate.name: mention for mention in mentions}
    assert by_name["Saydnaya military prison"].candidate.kind == KIND_CASE_PLACE
    assert by_name["Russia"].surface == "Russian Federation"
    assert by_name["Russia"].count == 3  # twice "Russian Federation", once "Russia"
    assert by_name["United States"].count == 6  # "US", "United States", "U.S."
    assert by_name["Kazakhstan"].sentence.endswith(
        "talks in Kazakhstan's capital, Astana, last week."
    )
    for mention in mentions:
        start, end = mention.span
        assert text[start:end] == mention.surface
        assert mention.sentence in text and mention.surface in mention.sentence
        assert text.index(mention.sentence) <= start
        assert len(mention.alternatives) <= 4
        assert mention.candidate not in mention.alternatives


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # People named like towns, or not towns at all.
        ("Barack Obama visited the region.", set()),  # Obama: a town in Japan
        ("Obama said nothing.", set()),
        ("Obama, a city in Japan, is small.", {"Obama", "Japan"}),  # a named country's town
        ("Trump's predecessor spoke.", set()),
        ("Stuart Jones said so. Jones added more.", set()),  # Stuart: a town in Florida
        ("Assad has continued to bombard civilian areas.", set()),
        ("Asma al-Assad has British roots.", set()),  # Asma: an alias of Āsmār
        ("Staffan de Mistura spoke. Mistura said more.", set()),
        ("Barack arrived.", set()),
        ("President Hassan Rouhani spoke. Hassan said.", set()),  # Hassan, India: 155,006
        ("Paris Hilton arrived. Paris was quiet.", set()),
        ("He met Mr. Lincoln in Lincoln.", set()),
        ("Dr. Florence Nightingale", set()),  # "Dr" is an alias of Dar'a
        ("Michael Jordan played.", set()),  # the country's name, in a person's
        ("Witness Sydney Jordan came from Amman, Jordan.", {"Amman", "Jordan"}),
        # Common words, abbreviations, adjectives.
        ("They were held in the Red Building.", set()),
        ("Related news", set()),
        ("On Monday he left.", set()),
        ("Most prisoners were Islamist and Syrian.", set()),  # Most: a Czech city
        ("Human Rights Watch said the NGO was right.", set()),  # NGO: Nagoya's airport
        ("The UN envoy spoke.", set()),  # Un: a town in India
        ("Turkish troops entered. Turkey denied it.", {"Turkey"}),
        # Names of several words, possessives, abbreviations, other spellings.
        ("talks in Kazakhstan's capital, Astana, last week", {"Kazakhstan", "Astana"}),
        ("a deal brokered by Russian Federation", {"Russia"}),
        ("the new U.S. administration", {"United States"}),
        ("It was in the U.S. The next day he left for Paris.", {"United States", "Paris"}),
        ("He flew to Washington, D.C. on Friday.", {"Washington"}),
        ("Talks were held in Nur-Sultan, or Nur Sultan.", {"Astana"}),
        ("The court sat in The Hague.", {"The Hague"}),
        ("He went to St. Petersburg.", {"St. Petersburg"}),  # GeoNames' exact name wins
        ("Reports from Idlib, Hama and Daraa.", {"Idlib", "Ḩamāh", "Dar‘ā"}),
        ("The Islamic State in Iraq and the Levant", {"Iraq"}),
        ("They reached Saraqib, in Syria.", {"Saraqib", "Syria"}),  # 34,231 people
        ("They reached Saraqib.", set()),  # no country named: too small to trust
        ("Sednaya Prison", {"Saydnaya military prison"}),
        ("نقل المعتقلون من حمص إلى دمشق", {"Homs", "Damascus"}),
        ("نقلوا بدمشق", {"Damascus"}),  # "in Damascus", one word
        ("وقال الرئيس بشار الأسد", set()),  # Bashar: Béchar, Algeria, in Arabic
    ],
)
def test_tricky_cases(gaz, text, expected):
    assert names(extract_places(text, gaz)) == expected


def test_city_followed_by_its_country(gaz):
    (tripoli, lebanon) = extract_places("Tripoli, Lebanon", gaz)
    assert (tripoli.candidate.country_code, lebanon.candidate.kind) == ("LB", KIND_COUNTRY)
    assert [c.country_code for c in tripoli.alternatives] == ["LY"]
    (alone,) = extract_places("They left Tripoli.", gaz)
    assert alone.candidate.country_code == "LY"  # the larger one, without a hint


def test_labelled_texts_precision_and_recall(gaz):
    labelled = [load_labelled(path) for path in sorted(TEXTS_DIR.glob("*.labels.json"))]
    assert len(labelled) == 5
    result = evaluate(labelled, gaz)
    rows = {row["text"]: row for row in result["texts"]}
    article = rows["article-2017-05-15"]
    assert (article["precision"], article["recall"]) == (1.0, 1.0), article
    overall = result["overall"]
    assert overall["precision"] >= MIN_OVERALL_PRECISION, result
    assert overall["recall"] >= MIN_OVERALL_RECALL, result
    table = evaluation_table(result)
    assert table.splitlines()[0] == (
        "| text | expected | found | true positives | precision | recall |"
    )
    assert "| overall (micro) |" in table


@pytest.mark.parametrize("text", ["", "   \n\t ", "no places here at all."])
def test_empty_or_placeless_text(gaz, text):
    assert extract_places(text, gaz) == []


def test_too_long_text_is_refused(gaz):
    with pytest.raises(DataError, match="1,000,001 characters long; the limit is 1,000,000"):
        extract_places("a" * (MAX_TEXT_CHARS + 1), gaz)


@pytest.mark.parametrize("text", ["Damascus\x00Aleppo", "\x01\x02\x03\x04 Damascus \x05\x06"])
def test_binary_is_refused(gaz, text):
    with pytest.raises(DataError, match="this looks like binary, not text"):
        extract_places(text, gaz)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Ṣaydnāyā, صيدنايا".encode(), "Ṣaydnāyā, صيدنايا"),
        (b"\xef\xbb\xbfDamascus", "Damascus"),  # UTF-8 with a BOM
        ("Damascus, دمشق".encode("utf-16"), "Damascus, دمشق"),  # with its BOM
        (b"\xfe\xff" + "Genève".encode("utf-16-be"), "Genève"),
        (b"", ""),
    ],
)
def test_decode_text(data, text):
    assert decode_text(data, file="a.txt") == text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Genève".encode("latin-1"), r"a\.txt: not UTF-8: byte 0xE8 at offset 3 .*Latin-1"),
        (b"ok \xff", r"not UTF-8: byte 0xFF at offset 3"),
        (b"\xef\xbb\xbfok \xff", r"not UTF-8: byte 0xFF at offset 6"),  # after a BOM
        (b"\xff\xfeD\x00a", r"not UTF-16: byte 0x61 at offset 4"),  # odd length
        ("Damascus".encode("utf-32"), r"UTF-32, which is not read"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"not UTF-8: byte 0x89 at offset 0"),
        (b"MZ\x00\x00\x00\x00", r"this looks like binary, not text"),
    ],
)
def test_decode_text_refuses(data, message):
    with pytest.raises(DataError, match=message) as caught:
        decode_text(data, file="a.txt")
    assert caught.value.problems[0].file == "a.txt"


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("He saw Jones. Then he left.", ["He saw Jones.", "Then he left."]),
        ("The new U.S. administration acted.", ["The new U.S. administration acted."]),
        (
            "It was in the U.S. The next day he left.",
            ["It was in the U.S.", "The next day he left."],
        ),
        (
            "Mr. Jones and Dr. Smith met George W. Bush.",
            ["Mr. Jones and Dr. Smith met George W. Bush."],
        ),
        (
            '"We believe it," said Jones. "It is true."',
            ['"We believe it," said Jones.', '"It is true."'],
        ),
        ('"Mass graves". Then more.', ['"Mass graves".', "Then more."]),
        ("A headline\n\nThe body. Related news", ["A headline", "The body.", "Related news"]),
        (
            "Lines wrapped\nat seventy columns stay one sentence.",
            ["Lines wrapped\nat seventy columns stay one sentence."],
        ),
        ("Washington, D.C. is the capital.", ["Washington, D.C. is the capital."]),
        ("e.g. this one", ["e.g. this one"]),
        ("Windows lines\r\n\r\nend here.", ["Windows lines", "end here."]),
        ("نقل المعتقلون. ثم أفرج عنهم؟ نعم", ["نقل المعتقلون.", "ثم أفرج عنهم؟", "نعم"]),
    ],
)
def test_split_sentences(text, sentences):
    assert [text[start:end] for start, end in split_sentences(text)] == sentences


def test_geojson_for_the_command_line(gaz):
    mentions = extract_places(ARTICLE.read_text(encoding="utf-8"), gaz)
    collection = mentions_geojson(mentions)
    FeatureCollection.model_validate(collection)  # RFC 7946
    json.dumps(collection, ensure_ascii=False, allow_nan=False)
    first = collection["features"][0]
    assert first["geometry"]["coordinates"] == [-77.03637, 38.89511]  # the US, at Washington
    props = {f["properties"]["name"]: f["properties"] for f in collection["features"]}
    prison = props["Saydnaya military prison"]
    assert prison["matched"] == "Saydnaya"
    assert prison["sentence"].startswith("The US Department of State said")
    assert prison["kind"] == KIND_CASE_PLACE and prison["population"] is None
    assert prison["source"] == "case: saydnaya, place saydnaya"
    assert set(prison) >= {"name", "matched", "sentence", "country", "kind", "population"}
    assert {"source", "score", "count", "alternatives"} <= set(prison)

    found = candidates_geojson(gaz.search("Geneva"))
    FeatureCollection.model_validate(found)
    assert found["features"][0]["geometry"]["coordinates"] == [6.14569, 46.20222]
    assert found["features"][0]["properties"]["sentence"] is None


def test_accepted_mentions_become_places_citing_the_text(gaz):
    import hashlib

    from geo.extract import mention_records

    text = "Detainees were moved to Sednaya. The talks took place in Geneva."
    mentions = extract_places(text, gaz)
    corrected = mentions[1].alternatives[0] if mentions[1].alternatives else mentions[1].candidate
    records = mention_records(
        [(mentions[0], mentions[0].candidate), (mentions[1], corrected)],
        text_name="statement.txt",
        text_bytes=text.encode(),
    )
    assert [r.properties["mentioned_as"] for r in records] == ["Sednaya", "Geneva"]
    assert records[1].name == corrected.name  # the researcher's choice, not the first guess
    [source] = records[0].properties["sources"]
    assert source == {
        "text": "statement.txt",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "quote": "Detainees were moved to Sednaya.",
    }
    assert all(r.layer == "" for r in records)  # the import names the layer
