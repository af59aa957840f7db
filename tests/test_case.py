import copy
import json

import pytest

from geo.case import CaseView, load_case
from geo.errors import DataError
from geo.records import Kind
from geo.synthetic import TINY_FILES, TINY_META, dated, record, write_case


def test_tiny_case_loads_with_date_spans(tiny_case):
    records = tiny_case.records.set_index("id")
    assert list(records["kind"]) == ["place", "place", "imagery", "feature", "event", "event"]
    assert str(records.loc["img-month", "date_start"].date()) == "2015-01-01"
    assert str(records.loc["img-month", "date_end"].date()) == "2015-01-31"
    assert records.loc["img-month", "date_precision"] == "month"
    assert records.loc["p1", "date_start"] is None or str(records.loc["p1", "date_start"]) == "NaT"


def problems_of(tmp_path, meta=None, files=None, text=None):
    folder = write_case(tmp_path / "case", meta, files, **({"text": text} if text else {}))
    with pytest.raises(DataError) as caught:
        load_case(folder)
    return [
        (p.file.rsplit("/", 1)[-1] if p.file else None, p.record, p.field, p.message)
        for p in caught.value.problems
    ]


def with_files(**changes):
    files = copy.deepcopy(TINY_FILES)
    files.update(changes)
    return files


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            with_files(**{"places.geojson": [record("p1", 200, 33)]}),
            ("places.geojson", "p1", "geometry", "longitude 200 is outside -180..180"),
        ),
        (
            with_files(**{"places.geojson": [record("p1", 36, 120)]}),
            ("places.geojson", "p1", "geometry", "latitude 120 is outside -90..90"),
        ),
        (
            with_files(**{"events.geojson": [dated("ev", "15/05/2017")]}),
            ("events.geojson", "ev", "date", "YYYY, YYYY-MM, YYYY-MM-DD"),
        ),
        (
            with_files(**{"events.geojson": [record("ev-no-date")]}),
            ("events.geojson", "ev-no-date", "date", "required field is missing"),
        ),
        (
            with_files(
                **{"places.geojson": [record("p1", sources=[{"id": "nope", "quote": None}])]}
            ),
            ("places.geojson", "p1", "sources[0].id", "unknown source 'nope'"),
        ),
        (
            with_files(**{"places.geojson": [record("p1", claim="no-such-claim")]}),
            ("places.geojson", "p1", "claim", "unknown claim 'no-such-claim'"),
        ),
        (
            with_files(**{"places.geojson": [record("p1", uncertainty_m="700")]}),
            ("places.geojson", "p1", "uncertainty_m", "valid number"),
        ),
        (
            with_files(**{"places.geojson": [record("p1", uncertainty_m=-5)]}),
            ("places.geojson", "p1", "uncertainty_m", "greater than 0"),
        ),
        (
            with_files(**{"places.geojson": [record("p1"), record("p1")]}),
            ("places.geojson", "p1", "id", "duplicate id"),
        ),
        (
            with_files(**{"features.geojson": [dated("f", "2013", site="atlantis")]}),
            ("features.geojson", "f", "site", "unknown place 'atlantis'"),
        ),
        (
            with_files(**{"features.geojson": [dated("f", "2013", confidence="certain")]}),
            ("features.geojson", "f", "confidence", "Input should be"),
        ),
        (
            with_files(
                **{
                    "places.geojson": [
                        record("p1", sources=[{"id": "src-text", "quote": "not in it"}])
                    ]
                }
            ),
            ("places.geojson", "p1", "sources[0].quote", "not verbatim"),
        ),
    ],
)
def test_each_problem_names_file_record_and_field(tmp_path, files, expected):
    file, record_id, field, message = expected
    found = problems_of(tmp_path, files=files)
    assert any((f, r, fl) == (file, record_id, field) and message in m for f, r, fl, m in found), (
        found
    )


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    files = with_files(
        **{"places.geojson": [record("a", 200, 0), record("b", 0, 100), record("c", claim="x")]}
    )
    found = problems_of(tmp_path, files=files)
    assert {r for _, r, _, _ in found} >= {"a", "b"}


def test_meta_problems_name_the_yaml_field(tmp_path):
    meta = copy.deepcopy(TINY_META)
    meta["claims"][0]["confidence"] = "totally"
    del meta["sources"][0]["title"]
    found = problems_of(tmp_path, meta=meta)
    fields = {fl for _, _, fl, _ in found}
    assert {"claims[0].confidence", "sources[0].title"} <= fields
    assert all(f == "case.yaml" for f, _, _, _ in found)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", '
            '"geometry": {"type": "Point", "coordinates": [NaN, 1]}, "properties": {}}]}',
            "NaN is not a JSON number",
        ),
        ('{"type": "FeatureCollection", "features": 3}', "'features' must be a list"),
        ('{"type": "FeatureCollection", "crs": {}, "features": []}', "'crs' member is not allowed"),
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
        (b"\xff\xfe\x00bad", "the file is UTF-16, which is not read"),
        (b'{"name": "Sa\xefdnaya"}', "not UTF-8: byte 0xEF at offset 12"),
    ],
)
def test_broken_files_are_reported_with_their_name(tmp_path, content, message):
    folder = write_case(tmp_path / "case")
    path = folder / "events.geojson"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_case(folder)
    assert any(
        message in p.message and p.file.endswith("events.geojson") for p in caught.value.problems
    ), caught.value


def test_broken_yaml_gives_line(tmp_path):
    folder = write_case(tmp_path / "case")
    (folder / "case.yaml").write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError, match="not valid YAML at line"):
        load_case(folder)


def test_text_file_outside_the_case_is_refused(tmp_path):
    meta = copy.deepcopy(TINY_META)
    meta["sources"][1]["text_file"] = "../../etc/passwd"
    with pytest.raises(DataError, match="inside the case folder"):
        load_case(write_case(tmp_path / "case", meta=meta))


def test_polygon_problems(tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    unclosed = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}
    files = with_files(
        **{
            "imagery.geojson": [
                {**dated("bow", "2015"), "geometry": bowtie},
                {**dated("open", "2015"), "geometry": unclosed},
            ]
        }
    )
    found = {r: m for _, r, _, m in problems_of(tmp_path, files=files)}
    assert "Self-intersection" in found["bow"]
    assert "must end where it starts" in found["open"]


def test_shipped_case_is_valid_and_complete(shipped_case):
    records = shipped_case.records
    places = set(records.loc[records["kind"] == Kind.PLACE.value, "name"])
    assert len(places) == 4
    assert {"saydnaya", "damascus", "astana", "geneva"} <= set(records["id"])
    features = records[records["kind"] == Kind.FEATURE.value].set_index("id")
    assert len(features) == 3
    by_type = {row["properties"]["feature_type"]: row for _, row in features.iterrows()}
    assert by_type["firewall"]["confidence"] == "probable"
    assert by_type["air_intake"]["confidence"] == "probable"
    assert by_type["air_intake"]["properties"]["status"] == "under_construction"
    # the compound, not a pin: no published position inside it
    assert (features["uncertainty_m"] >= 500).all()
    latest = records[records["date_as_stated"].fillna("").str.contains("January 2015")]
    assert set(latest["date"]) == {"2015-01"}
    # every record cites a source; the crematorium claim is shown as contested, with claimant
    assert records["properties"].map(lambda p: len(p["sources"]) >= 1).all()
    crematorium = shipped_case.claims[by_type["discharge_stack"]["claim"]]
    assert crematorium.status.value == "contested"
    assert "State" in crematorium.claimant


def test_shipped_case_json_is_rfc7946_shaped():
    from geo.case import DEFAULT_CASE_DIR

    for name in ("places", "imagery", "features", "events"):
        data = json.loads((DEFAULT_CASE_DIR / f"{name}.geojson").read_text(encoding="utf-8"))
        assert "crs" not in data
        for feature in data["features"]:
            lon, lat = feature["geometry"]["coordinates"][:2]
            assert -180 <= lon <= 180 and -90 <= lat <= 90


# -- where the map opens -------------------------------------------------------------------


def with_view(view):
    meta = copy.deepcopy(TINY_META)
    meta["view"] = view
    return meta


def test_a_case_may_say_where_the_map_opens(tmp_path):
    view = {"lat": 33.665, "lon": 36, "zoom": 15, "note": "the prison"}
    case = load_case(write_case(tmp_path / "case", meta=with_view(view)))
    assert case.view == CaseView(lat=33.665, lon=36.0, zoom=15, note="the prison")
    assert isinstance(case.view.lon, float)  # `lon: 36` in YAML is a fine longitude


@pytest.mark.parametrize("view", [None, "absent"])
def test_without_a_view_there_is_none(tmp_path, view):
    meta = with_view(view) if view is None else copy.deepcopy(TINY_META)
    assert load_case(write_case(tmp_path / "case", meta=meta)).view is None


def test_the_shipped_case_opens_on_the_prison(shipped_case):
    view = shipped_case.view
    assert (view.lat, view.lon, view.zoom) == (33.665, 36.32861, 15)
    prison = shipped_case.record("saydnaya")
    assert (prison["lat"], prison["lon"]) == (view.lat, view.lon)


GOOD_VIEW = {"lat": 33.665, "lon": 36.3286, "zoom": 15}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"lat": 90.5}, "view.lat", "must be from -90 to 90 (got 90.5)"),
        ({"lat": -91}, "view.lat", "must be from -90 to 90"),
        ({"lat": "33.665"}, "view.lat", "must be a number (got '33.665')"),
        ({"lat": float("nan")}, "view.lat", "must be from -90 to 90 (got nan)"),
        ({"lon": 180.01}, "view.lon", "must be from -180 to 180"),
        ({"lon": -200}, "view.lon", "must be from -180 to 180 (got -200)"),
        ({"lon": True}, "view.lon", "must be a number (got True)"),
        ({"zoom": 23}, "view.zoom", "must be from 0 to 22 (got 23)"),
        ({"zoom": -1}, "view.zoom", "must be from 0 to 22"),
        ({"zoom": 15.5}, "view.zoom", "must be a whole number (got 15.5)"),
        ({"zoom": 15.0}, "view.zoom", "must be a whole number"),
        ({"zoom": None}, "view.zoom", "must be a whole number (got None)"),
        ({"lat": None, "lon": None}, "view.lon", "must be a number"),
        ({"note": 7}, "view.note", "must be text (got 7)"),
        ({"centre": [33, 36]}, "view.centre", "unknown field"),
    ],
)
def test_each_view_problem_names_case_yaml_and_field(tmp_path, change, field, message):
    found = problems_of(tmp_path, meta=with_view({**GOOD_VIEW, **change}))
    assert ("case.yaml", None, field) in {(f, r, fl) for f, r, fl, _ in found}, found
    assert any(fl == field and message in m for _, _, fl, m in found), found


@pytest.mark.parametrize("missing", ["lat", "lon", "zoom"])
def test_a_view_needs_lat_lon_and_zoom(tmp_path, missing):
    view = {key: value for key, value in GOOD_VIEW.items() if key != missing}
    found = problems_of(tmp_path, meta=with_view(view))
    assert found == [("case.yaml", None, f"view.{missing}", "required field is missing")]


@pytest.mark.parametrize("view", [[33.665, 36.3286, 15], "33.665,36.3286", 15])
def test_a_view_is_a_mapping(tmp_path, view):
    [(file, record, field, message)] = problems_of(tmp_path, meta=with_view(view))
    assert (file, record, field) == ("case.yaml", None, "view")
    assert "must be a mapping such as {lat: 33.665" in message


def test_view_problems_come_with_the_other_problems_of_the_case(tmp_path):
    meta = with_view({**GOOD_VIEW, "zoom": 99})
    del meta["title"]
    found = {fl for _, _, fl, _ in problems_of(tmp_path, meta=meta)}
    assert {"title", "view.zoom"} <= found


def test_a_case_record_is_a_record_and_follows_its_rules(tmp_path, tiny_case):
    """The case's records are `LayerRecord`s of the case's layer: the rules every
    record keeps (an id without control characters, a date without spaces) hold for
    them, and each row of the frame is the record it was built from."""
    from geo.frame import record_rows, records_frame, row_record
    from geo.records import CASE_LAYER

    records = [row_record(row) for row in record_rows(tiny_case.records)]
    assert all(record.layer == CASE_LAYER and record.problems() == [] for record in records)
    again = records_frame(records, files=list(tiny_case.records["file"]))
    assert again.equals(tiny_case.records)

    files = with_files(
        **{
            "places.geojson": [record("p1\x07")],
            "events.geojson": [dated("ev", " 2015")],
        }
    )
    found = problems_of(tmp_path, files=files)
    assert (
        "places.geojson",
        "p1\x07",
        "id",
        "the record id contains control characters or invalid Unicode",
    ) in found
    assert any(r == "ev" and f == "date" and "spaces around it" in m for _, r, f, m in found), found


def test_a_record_whose_properties_are_not_an_object_is_told_once(tmp_path):
    files = with_files(**{"places.geojson": [{**record("p1"), "properties": "p1"}]})
    found = problems_of(tmp_path, files=files)
    assert [(f, r) for f, r, _, _ in found] == [("places.geojson", "#1")], found
