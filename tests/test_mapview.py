import copy
import json

import pytest
import shapely

from geo.assets import remote_references
from geo.case import load_case
from geo.mapview import (
    ONLINE_BASE_LAYERS,
    RESEARCHER_COLOURS,
    RecordClick,
    base_map,
    build_map,
    drawn_layers,
    drawn_shape,
    layer_colours,
    layer_style,
    map_layer_data,
    map_layers,
    opening_view,
    record_click,
    record_groups,
    reported_view,
)
from geo.records import CASE_KINDS, Kind
from geo.synthetic import TINY_FILES, write_case
from tests.test_escape import HOSTILE


def rendered(m) -> str:
    return m.get_root().render()


def labels_by_id(records, kinds=CASE_KINDS, researcher=()) -> dict[str, str]:
    """Every drawn record's label, as the map's route serves them."""
    labels = {}
    for layer in map_layers(kinds, researcher):
        data = map_layer_data(records, layer)
        labels |= dict(zip(json.loads(data.body)["ids"], data.labels(), strict=True))
    return labels


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


def test_one_layer_per_kind_places_on_top(shipped_case):
    groups = record_groups(drawn_layers(shipped_case.records, "v", "s"))
    names = [group.layer_name for group in groups]
    assert sorted(names) == sorted(kind.label for kind in CASE_KINDS)
    # places are added last so they take the click where records share a position
    assert names[-1] == Kind.PLACE.label


@pytest.mark.parametrize("hostile", HOSTILE)
def test_map_text_is_escaped(tmp_path, hostile):
    files = copy.deepcopy(TINY_FILES)
    files["places.geojson"][0]["properties"]["name"] = hostile
    case = load_case(write_case(tmp_path / "c", files=files))
    for text in labels_by_id(case.records).values():
        for char in "`$\\":
            assert char not in text
        assert "<img" not in text and "<script" not in text
    html = rendered(build_map(case, case.records))  # the data in the script
    assert hostile not in html
    assert "</script" not in html.split("L.geoRecords(", 1)[1].split(").addTo(", 1)[0]


def test_uncertain_positions_are_drawn_as_radii(shipped_case):
    [(layer, data)] = drawn_layers(shipped_case.records, "v", "s", [Kind.FEATURE])
    assert layer.kind is Kind.FEATURE
    assert layer_style(layer)["marker"] == "circle"  # metres on the ground, not a pin
    assert set(json.loads(data.body)["radius"]) == {700.0}
    [(places, _)] = drawn_layers(shipped_case.records, "v", "s", [Kind.PLACE])
    assert layer_style(places)["marker"] == "dot"


def test_labels_are_short_and_say_what_the_source_says(shipped_case):
    features = labels_by_id(shipped_case.records)
    firewall = features["feat-firewall"]
    assert firewall.startswith("<b>Probable firewall</b> · facility feature")
    assert "confidence: probable" in firewall
    assert "±700 m" in firewall
    # the claim, the claimant and the quotes are in the panel, not on the map
    assert "claim" not in firewall and "US accuses Syria" not in firewall
    imagery = next(v for k, v in features.items() if k.startswith("img-2015"))
    assert "January 2015" in imagery  # the date as stated, a month stays a month
    # a long date in words is cut on the map; the panel has it whole
    air_intake = features["feat-air-intake"].split("<br>")
    assert all(len(line) <= 120 for line in air_intake)
    assert air_intake[1].endswith("… [2013/2016]")


def test_a_researcher_layer_keeps_its_colour_when_others_come_and_go():
    created = ["Annotations", "Sites", "Witnesses"]  # the order the store made them
    colours = layer_colours(created)
    alone = {layer.title: layer.colour for layer in map_layers((), ["Sites"], colours)}
    shown = {
        layer.title: layer.colour
        for layer in map_layers((), ["Witnesses", "Sites"], layer_colours([*created, "New"]))
    }
    assert alone["Sites"] == shown["Sites"] == colours["Sites"]
    assert len(set(layer_colours(f"layer {i}" for i in range(8)).values())) == 8
    assert set(colours.values()) <= set(RESEARCHER_COLOURS)
    assert not set(RESEARCHER_COLOURS) & {layer.colour for layer in map_layers()}


def test_records_are_switched_in_the_sidebar_not_in_the_map(shipped_case):
    html = rendered(build_map(shipped_case, shipped_case.records))
    assert "L.control.layers" not in html  # offline there is one base layer: no control
    groups = record_groups(drawn_layers(shipped_case.records, "v", "s"))
    assert all(not g.control for g in groups)
    online = rendered(base_map(shipped_case, online_tiles=True))
    assert "L.control.layers" in online
    for kind in CASE_KINDS:
        assert json.dumps(kind.label) not in online  # base layers only


def test_an_empty_layer_draws(shipped_case):
    none = shipped_case.records.iloc[0:0]
    m = base_map(shipped_case)
    for group in record_groups(drawn_layers(none, "empty", "empty")):
        group.add_to(m)
    html = rendered(m)
    assert html.count("L.geoRecords(") == len(CASE_KINDS)


def test_the_map_script_does_not_grow_with_the_case(tmp_path):
    """What streamlit-folium re-sends on a rerun is the same few hundred bytes a layer
    for a hundred records as for thousands: the data is fetched from the app."""
    from streamlit_folium import generate_leaflet_string

    from geo.synthetic import TINY_META, synthetic_files

    sizes = []
    for n in (100, 5_000):
        case = load_case(write_case(tmp_path / str(n), TINY_META, synthetic_files(n)))
        groups = record_groups(drawn_layers(case.records, str(n), str(n)), None, None)
        m = base_map(case)
        sizes.append(sum(len(generate_leaflet_string(g.add_to(m))) for g in groups))
    assert sizes[0] == sizes[1] < 4_000


def test_the_map_opens_where_the_case_says(shipped_case, tiny_case):
    assert shipped_case.view is not None
    center, zoom = opening_view(shipped_case)
    assert center == (shipped_case.view.lat, shipped_case.view.lon)
    assert zoom == shipped_case.view.zoom
    # without a view: over the case's places
    assert tiny_case.view is None
    (lat, lon), zoom = opening_view(tiny_case)
    assert zoom == 3
    places = tiny_case.records[tiny_case.records["kind"] == "place"]
    assert places["lat"].min() <= lat <= places["lat"].max()
    assert places["lon"].min() <= lon <= places["lon"].max()
    html = rendered(base_map(shipped_case))
    assert f"[{shipped_case.view.lat}, {shipped_case.view.lon}]" in html


def test_the_map_picks_the_record_under_the_pointer(shipped_case):
    html = rendered(build_map(shipped_case, shipped_case.records))
    assert "record-picker" in html and 'map.on("click"' in html


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
def test_record_click(state, expected):
    click = record_click(state)
    assert (click.record_id if click else None) == expected


def test_two_clicks_on_one_record_are_two_clicks():
    first = {"last_active_drawing": {"properties": {"id": "a"}}, "last_object_clicked_count": 1}
    again = {**first, "last_object_clicked_count": 3}
    assert record_click(first) == RecordClick("a", 1)
    assert record_click(first) != record_click(again)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (None, None),
        ({"zoom": 3}, None),  # before any move st_folium reports no centre
        ({"center": {"lat": 33.6, "lng": 36.3}, "zoom": 15}, ((33.6, 36.3), 15)),
        ({"center": {"lat": 33.6, "lng": 396.3}, "zoom": 15.0}, ((33.6, 36.3), 15)),
        ({"center": {"lat": "33", "lng": 36.3}, "zoom": 15}, None),
        ({"center": {"lat": float("nan"), "lng": 36.3}, "zoom": 15}, None),
        ({"center": {"lat": 33.6, "lng": 36.3}, "zoom": None}, None),
    ],
)
def test_reported_view(state, expected):
    view = reported_view(state)
    if expected is None:
        assert view is None
    else:
        (lat, lon), zoom = view
        assert (round(lat, 9), round(lon, 9), zoom) == (*expected[0], expected[1])


def test_researcher_layers_are_drawn_escaped_and_separate(shipped_case):
    from geo.records import Kind, LayerRecord
    from geo.workspace import combined_records

    mine = [
        LayerRecord(
            id="ann-1",
            layer="Annotations",
            kind=Kind.AREA,
            name="<img src=x onerror=alert(1)>",
            geometry={
                "type": "Polygon",
                "coordinates": [[[36, 33], [36.1, 33], [36.1, 33.1], [36, 33]]],
            },
            properties={"analyst": "A. Analyst", "note": "${x}"},
        )
    ]
    records = combined_records(shipped_case, mine)
    layers = drawn_layers(records, "v", "s", researcher=["Annotations"])
    titles = [layer.title for layer, _ in layers]
    assert titles[-1] == "Annotations"
    label = labels_by_id(records, (), ["Annotations"])["ann-1"]
    assert "<img" not in label and "$" not in label
    [[index, geometry, filled]] = json.loads(layers[-1][1].body)["shapes"]
    assert (index, geometry["type"], filled) == (0, "Polygon", True)
    html = rendered(build_map(shipped_case, records, researcher=["Annotations"], drawing=True))
    assert remote_references(html) == []
    assert "L.Control.Draw" in html


def test_a_detailed_area_is_drawn_simplified_and_kept_whole(shipped_case):
    from geo.records import Kind, LayerRecord
    from geo.workspace import combined_records
    from tests.test_simplify import circle

    outline = circle(50_000, radius=0.05)
    mine = [
        LayerRecord(
            id="big-1",
            layer="Survey",
            kind=Kind.AREA,
            name="Detailed outline",
            geometry=outline,
            properties={},
        )
    ]
    records = combined_records(shipped_case, mine)
    [(_, survey)] = drawn_layers(records, "v", "s", kinds=(), researcher=["Survey"])
    [[_, geometry, _]] = json.loads(survey.body)["shapes"]
    assert len(geometry["coordinates"][0]) <= 5_000
    [label] = survey.labels()
    assert "drawn simplified" in label and "of 50,001 vertices" in label
    # the records the panel and the exports read keep every vertex
    kept = records[records["id"] == "big-1"].iloc[0]["geometry"]
    assert len(kept["coordinates"][0]) == 50_001


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
                    "properties": {"measured": True},
                    "geometry": {"type": "LineString", "coordinates": [[36.3, 33.6], [36.4, 33.6]]},
                }
            },
            "measured line",
            None,
        ),
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
    if shape and shape.startswith("measured "):
        assert drawn.measured
        shape = shape.removeprefix("measured ")
    else:
        assert drawn is None or not drawn.measured  # only a kept measurement says so
    assert (drawn.shape if drawn else None) == shape
    assert (drawn.radius_m if drawn else None) == radius
    if drawn and drawn.shape == "polygon":
        ring = drawn.geometry["coordinates"][0]
        assert shapely.is_ccw(shapely.LinearRing(ring))
    if drawn and drawn.shape == "circle":
        assert drawn.geometry["type"] == "Polygon" and drawn.centre == (36.3, 33.6)


def test_record_titles(shipped_case):
    from geo.records import Kind, LayerRecord
    from geo.workspace import combined_records, record_titles

    mine = LayerRecord(
        id="ann-1",
        layer="Annotations",
        kind=Kind.AREA,
        name="Yard",
        geometry={"type": "Point", "coordinates": [36.3, 33.6]},
    )
    titles = record_titles(combined_records(shipped_case, [mine]))
    assert titles["feat-firewall"] == "facility feature · Probable firewall"
    assert titles["ann-1"] == "area of interest · Yard (Annotations)"
