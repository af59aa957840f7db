from datetime import UTC, datetime

import pytest

from geo.annotation import NOT_STATED, Observation, annotation_changes, new_annotation
from geo.errors import DataError, DateError
from geo.mapview import DrawnShape
from geo.records import ANNOTATIONS_LAYER, Kind, LayerRecord

WALL = DrawnShape(
    geometry={
        "type": "Polygon",
        "coordinates": [[[36.33, 33.66], [36.331, 33.66], [36.331, 33.661], [36.33, 33.66]]],
    },
    shape="polygon",
)
CIRCLE = DrawnShape(
    geometry={
        "type": "Polygon",
        "coordinates": [[[36.3, 33.6], [36.31, 33.6], [36.3, 33.61], [36.3, 33.6]]],
    },
    shape="circle",
    radius_m=250.123,
    centre=(36.3, 33.6),
)
WHEN = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("date_text", "as_stated", "expected"),
    [
        ("", "", (None, None)),
        ("", "  winter, per the witness ", (None, "winter, per the witness")),
        ("2015-01", "", ("2015-01", "2015-01")),  # a month stays a month
        (
            " 2013/2016 ",
            "changes between 2013 and 2016",
            ("2013/2016", "changes between 2013 and 2016"),
        ),
    ],
)
def test_the_date_keeps_its_precision_and_words(date_text, as_stated, expected):
    observation = Observation("Stack", Kind.FEATURE, date_text, as_stated)
    assert observation.dates() == expected


def test_a_malformed_date_is_refused():
    with pytest.raises(DateError):
        Observation("Stack", Kind.FEATURE, "January 2015").dates()


def test_a_drawing_becomes_a_signed_measured_annotation():
    observation = Observation(
        " Probable firewall ", Kind.FEATURE, "2015-01", "", "probable", "imagery: img-1", "n"
    )
    record = new_annotation(observation, WALL, analyst="A. Analyst", drawn_at=WHEN)
    assert record.layer == ANNOTATIONS_LAYER and record.id == ""
    assert record.name == "Probable firewall" and record.kind is Kind.FEATURE
    assert (record.date, record.date_as_stated) == ("2015-01", "2015-01")
    props = record.properties
    assert props["confidence"] == "probable"  # stays probable
    assert props["analyst"] == "A. Analyst" and props["observed_in"] == "imagery: img-1"
    assert props["drawn_at"] == "2026-11-29T10:00:00+00:00"
    assert props["area_m2"] > 0 and props["shape"] == "polygon"
    assert "radius_m" not in props


def test_a_circle_keeps_its_centre_and_radius():
    record = new_annotation(Observation("Area", Kind.AREA), CIRCLE, analyst="A", drawn_at=WHEN)
    assert record.properties["radius_m"] == 250.12
    assert record.properties["centre"] == [36.3, 33.6]
    assert record.properties["observed_in"] == NOT_STATED


def test_an_annotation_needs_a_label():
    with pytest.raises(DataError) as caught:
        new_annotation(Observation("  ", Kind.OTHER), WALL, analyst="A", drawn_at=WHEN)
    assert caught.value.problems[0].field == "label"


def test_an_edit_keeps_the_author_and_an_empty_label_keeps_the_name():
    current = LayerRecord(
        id="ann-1",
        layer=ANNOTATIONS_LAYER,
        kind=Kind.FEATURE,
        name="Stack",
        geometry=WALL.geometry,
        properties={"analyst": "First Author", "shape": "polygon", "note": "old"},
    )
    observation = Observation("", Kind.AREA, "2016", "", "possible", NOT_STATED, "new")
    changes = annotation_changes(observation, current, analyst="Second Analyst")
    assert changes["name"] == "Stack" and changes["kind"] is Kind.AREA
    assert changes["properties"]["analyst"] == "First Author"
    assert changes["properties"]["shape"] == "polygon"  # what the form does not show stays
    assert changes["properties"]["note"] == "new"
    assert (changes["date"], changes["date_as_stated"]) == ("2016", "2016")


def test_an_observation_made_while_comparing_cites_both_images(tiny_case):
    from geo.annotation import observation_sources
    from geo.compare import Comparison, ImageLayer

    def image(record_id, date):
        tiles = f"/imagery/{'a' * 64}/{{z}}/{{x}}/{{y}}.png"
        return ImageLayer(record_id, "<b>wing</b>", date, date, tiles, (36.0, 33.0, 36.1, 33.1))

    earlier, later = image("imp-1", "2013"), image("imp-2", "2016")
    plain = observation_sources(tiny_case, [earlier, later])
    assert next(iter(plain)) == NOT_STATED
    assert plain["imagery: imp-1"] == "Your image: 2013 — <b>wing</b>"  # plain text
    assert "imagery: img-month" in plain and "source: src-text" in plain
    comparing = observation_sources(tiny_case, [earlier, later], Comparison(earlier, later))
    assert next(iter(comparing.items())) == (
        "imagery: imp-1 + imp-2",
        "Both compared images: 2013 — <b>wing</b> and 2016 — <b>wing</b>",
    )
