import pytest
import shapely.geometry

from geo.errors import DataError
from geo.records import CASE_KINDS, Kind, LayerRecord

WALL = LayerRecord(
    id="ann-1",
    layer="Annotations",
    kind=Kind.FEATURE,
    name="Probable firewall",
    geometry={"type": "LineString", "coordinates": [[36.33, 33.66], [36.331, 33.661]]},
    properties={"confidence": "probable", "kind": "a property may take a field's name"},
    date="2015-01",
    date_as_stated="January 2015",
)


def test_a_record_converts_itself_and_back():
    assert LayerRecord.from_dict(WALL.to_dict()) == WALL
    assert WALL.problems() == []


def test_a_record_is_a_geojson_feature_to_other_libraries():
    feature = WALL.__geo_interface__
    assert feature["type"] == "Feature" and feature["id"] == "ann-1"
    assert shapely.geometry.shape(feature["geometry"]).length > 0
    # the record's fields and a file's properties never share a level
    assert feature["properties"]["kind"] == "feature"
    assert feature["properties"]["properties"]["kind"] == "a property may take a field's name"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"kind": "spaceship"}, "kind", "kind must be one of"),
        ({"date": "last week"}, "date", "last week"),
        ({"layer": 7}, "layer", "must be text"),
        ({"name": None}, "name", "must be text"),
        ({"geometry": {"type": "Point", "coordinates": [200, 0]}}, "geometry", "longitude 200"),
        ({"properties": {"x": float("nan")}}, "properties", "NaN"),
    ],
)
def test_a_wrong_field_is_named(change, field, words):
    with pytest.raises(DataError) as caught:
        LayerRecord.from_dict(WALL.to_dict() | change, file="mine.geojson")
    [problem] = caught.value.problems
    assert (problem.file, problem.record, problem.field) == ("mine.geojson", "ann-1", field)
    assert words in problem.message


def test_a_missing_field_is_named():
    values = WALL.to_dict()
    del values["date_as_stated"]
    with pytest.raises(DataError) as caught:
        LayerRecord.from_dict(values)
    assert [(p.field, p.message) for p in caught.value.problems] == [("date_as_stated", "missing")]


def test_one_kind_for_the_case_and_the_researcher():
    assert CASE_KINDS == (Kind.PLACE, Kind.IMAGERY, Kind.FEATURE, Kind.EVENT)
    assert [kind.dated for kind in CASE_KINDS] == [False, True, True, True]
    assert Kind.AREA.label == "Areas of interest" and Kind.AREA.word == "area of interest"
