import copy
import json

import pytest
import shapely

from geo.assets import remote_references
from geo.case import load_case
from geo.mapview import (
    ONLINE_BASE_LAYERS,
    POPUP_LIMIT,
    build_map,
    clicked_record_id,
    drawn_shape,
    layer_collections,
    map_features,
)
from geo.model import Kind
from tests.conftest import TINY_FILES, write_case
from tests.test_escape import HOSTILE


def rendered(m) -> str:
    return m.get_root().render()


def test_the_app_map_references_nothing_remote(shipped_case):
    html = rendered(build_map(shipped_case, shipped_case.records))
    assert remote_references(html) == []
    # no tile server either: the only base layer is the shipped outlines
    assert "tile.openstreetmap" not in html and "arcgisonline" not in html


def test_online_tiles_only_when_asked(shipped_case):
    html = rendered(build_map(shipped_case, shipped_case.records, online_tiles=True))
    for base in ONLINE_BASE_LAYERS:
        assert json.dumps(base.name)[1:-1] in html
    assert "undated mosaic, not evidence" in html
    assert remote_references(html) == []  # tiles are images, never scripts or styles


def test_one_geojson_layer_per_kind(shipped_case):
    m = build_map(shipped_case, shipped_case.records)
    names = [child.layer_name for child in m._children.values() if hasattr(child, "layer_name")]
    for kind in Kind:
        assert any(name.startswith(kind.label) for name in names), names
    # places are added last so they take the click where records share a position
    kinds = [n for n in names if any(n.startswith(k.label) for k in Kind)]
    assert kinds[-1].startswith(Kind.PLACE.label)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_map_text_is_escaped(tmp_path, hostile):
    files = copy.deepcopy(TINY_FILES)
    files["places.geojson"][0]["properties"]["name"] = hostile
    case = load_case(write_case(tmp_path / "c", files=files))
    collection = map_features(case, case.records)
    for feature in collection["features"]:
        for key in ("tooltip", "popup"):
            text = feature["properties"][key]
            for char in "`$\\":
                assert char not in text
            assert "<img" not in text and "<script" not in text
    html = rendered(build_map(case, case.records))
    assert hostile not in html


def test_uncertain_positions_are_drawn_as_radii(shipped_case):
    html = rendered(build_map(shipped_case, shipped_case.records))
    assert "new L.circle(" in html  # metres on the ground, not a pin
    [(layer, features)] = layer_collections(shipped_case, shipped_case.records, [Kind.FEATURE])
    assert layer.kind is Kind.FEATURE
    assert {f["properties"]["uncertainty_m"] for f in features["features"]} == {700.0}


def test_popups_are_left_out_for_very_large_layers(tiny_case):
    many = tiny_case.records.sample(POPUP_LIMIT + 1, replace=True, random_state=1)
    assert all("popup" not in f["properties"] for f in map_features(tiny_case, many)["features"])
    few = map_features(tiny_case, tiny_case.records)["features"]
    assert all("popup" in f["properties"] for f in few)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (None, None),
        ({}, None),
        ({"last_active_drawing": None}, None),
        ({"last_active_drawing": {"properties": {"id": "saydnaya"}}}, "saydnaya"),
        ({"last_active_drawing": {"properties": {"id": 3}}}, None),
        ({"last_active_drawing": {"geometry": {}}}, None),
        # a drawn shape has no id: not a record
        ({"last_active_drawing": {"properties": {}}}, None),
    ],
)
def test_clicked_record_id(state, expected):
    assert clicked_record_id(state) == expected


def test_researcher_layers_are_drawn_escaped_and_separate(shipped_case):
    from geo.records import LayerRecord, RecordKind
    from geo.workspace import combined_records

    mine = [
        LayerRecord(
            id="ann-1",
            layer="Annotations",
            kind=RecordKind.AREA,
            name="<img src=x onerror=alert(1)>",
            geometry={
                "type": "Polygon",
                "coordinates": [[[36, 33], [36.1, 33], [36.1, 33.1], [36, 33]]],
            },
            properties={"analyst": "A. Analyst", "note": "${x}"},
        )
    ]
    records = combined_records(shipped_case, mine)
    collections = layer_collections(shipped_case, records, researcher=["Annotations"])
    titles = [layer.title for layer, _ in collections]
    assert titles[-1] == "Annotations"
    (_, annotations) = collections[-1]
    [feature] = annotations["features"]
    assert "<img" not in feature["properties"]["tooltip"]
    assert "$" not in feature["properties"]["popup"]
    html = rendered(build_map(shipped_case, records, researcher=["Annotations"], drawing=True))
    assert remote_references(html) == []
    assert "L.Control.Draw" in html


CIRCLE = {
    "type": "Feature",
    "properties": {"radius": 250.0},
    "geometry": {"type": "Point", "coordinates": [36.3, 33.6]},
}
RECTANGLE_CLOCKWISE = {
    "type": "Feature",
    "properties": {},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[36.0, 33.0], [36.0, 33.1], [36.1, 33.1], [36.1, 33.0], [36.0, 33.0]]],
    },
}


@pytest.mark.parametrize(
    ("state", "shape", "radius"),
    [
        (None, None, None),
        (
            {
                "last_active_drawing": {
                    "type": "Feature",
                    "properties": {"id": "saydnaya"},
                    "geometry": {"type": "Point", "coordinates": [36.3, 33.6]},
                }
            },
            None,
            None,
        ),
        ({"last_active_drawing": CIRCLE, "last_circle_radius": 0.25}, "circle", 250.0),
        (
            {"last_active_drawing": {**CIRCLE, "properties": {}}, "last_circle_radius": 0.25},
            "point",
            None,
        ),
        ({"last_active_drawing": RECTANGLE_CLOCKWISE}, "polygon", None),
        (
            {
                "last_active_drawing": {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "Point", "coordinates": [200, 33.6]},
                }
            },
            None,
            None,
        ),
    ],
)
def test_drawn_shape(state, shape, radius):
    drawn = drawn_shape(state)
    assert (drawn.shape if drawn else None) == shape
    assert (drawn.radius_m if drawn else None) == radius
    if drawn and drawn.shape == "polygon":
        ring = drawn.geometry["coordinates"][0]
        assert shapely.is_ccw(shapely.LinearRing(ring))
    if drawn and drawn.shape == "circle":
        assert drawn.geometry["type"] == "Polygon" and drawn.centre == (36.3, 33.6)


def test_record_titles(shipped_case):
    from geo.records import LayerRecord, RecordKind
    from geo.workspace import combined_records, record_titles

    mine = LayerRecord(
        id="ann-1",
        layer="Annotations",
        kind=RecordKind.AREA,
        name="Yard",
        geometry={"type": "Point", "coordinates": [36.3, 33.6]},
    )
    titles = record_titles(combined_records(shipped_case, [mine]))
    assert titles["feat-firewall"] == "facility feature · Probable firewall"
    assert titles["ann-1"] == "area of interest · Yard (Annotations)"
