"""Files other tools write, with a few bad records: refusals name each record, a partial
import is an explicit choice whose skipped records the history keeps, a coordinate past
the edge by a rounding hair is set to it, and the swap hint is given only where it helps.

The samples (tests/data/partial, see its README.md) are in the shape of Google's
"KML Samples" file and of a Natural Earth countries file.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.cli import main
from geo.errors import DataError, Problem, SkippedRecord
from geo.formats import BadRecords, Limits, read_upload
from geo.geojson import EDGE_TOLERANCE, structure_problems, swap_hint
from geo.records import as_new_records
from geo.store import Action, Store, left_out

PARTIAL = Path(__file__).parent / "data" / "partial"
KML_SAMPLES = PARTIAL / "kml-samples.kml"
COUNTRIES = PARTIAL / "natural-earth-countries.geojson"
NULL_IN_GEOJSON = "has no geometry (allowed by GeoJSON, but nothing to put on the map)"
NULL_IN_KML = "has no geometry (allowed by KML, but nothing to put on the map)"


def read(path: Path, **options: Any):
    return read_upload(path.name, path.read_bytes(), layer="L", **options)


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


# ---------------------------------------------------------------- refusals name the record


def test_the_kml_samples_refusal_names_the_placemark_without_geometry() -> None:
    with pytest.raises(BadRecords) as caught:
        read(KML_SAMPLES)
    [problem] = caught.value.problems
    assert (problem.record, problem.name, problem.field) == ("#4", "Descriptive HTML", "geometry")
    assert problem.message == NULL_IN_KML
    assert 'record #4 "Descriptive HTML": field geometry: has no geometry' in str(caught.value)


def test_the_countries_refusal_names_each_null_geometry() -> None:
    with pytest.raises(BadRecords) as caught:
        read(COUNTRIES)
    problems = caught.value.problems
    assert [(p.record, p.name, p.message) for p in problems] == [
        ("#3", "W. Sahara", NULL_IN_GEOJSON),
        ("#5", "Kosovo", NULL_IN_GEOJSON),
    ]


@pytest.mark.parametrize(
    ("file_name", "data", "name"),
    [
        # GeoJSON: the first of name, title, label, id, whatever its case
        ("a.geojson", collection(feature(point(1, 95), NAME="Upper")), "Upper"),
        ("a.geojson", collection(feature(point(1, 95), title="Titled")), "Titled"),
        ("a.geojson", collection(feature(point(1, 95), id=17)), "17"),
        # CSV: the name column, even when the coordinates are what is wrong
        ("a.csv", b"name,lat,lon\nWell,north,36.3\n", "Well"),
        # KML: <name>, padded as hand-written KML pads it
        (
            "a.kml",
            b"<kml><Placemark><name>  Gate </name><Point><coordinates>1,95</coordinates>"
            b"</Point></Placemark></kml>",
            "Gate",
        ),
        # the explorer's own CSV
        (
            "own.csv",
            b"id,layer,kind,name,date,date_as_stated,longitude,latitude,geometry,properties\n"
            b'x,L,spaceship,Own,,,1,2,"{""type"":""Point"",""coordinates"":[1,2]}",{}\n',
            "Own",
        ),
    ],
)
def test_a_problem_carries_the_name_the_reader_gives_the_record(
    file_name: str, data: bytes, name: str
) -> None:
    with pytest.raises(DataError) as caught:
        read_upload(file_name, data, layer="L")
    first = caught.value.problems[0]
    assert (first.record, first.name) == ("#1", name)


def test_a_record_without_a_name_is_named_by_position_only() -> None:
    with pytest.raises(DataError) as caught:
        read_upload("a.geojson", collection(feature(point(1, 95))), layer="L")
    [problem] = caught.value.problems
    assert problem.name is None
    assert "record #1: field geometry" in str(problem)


def test_a_name_is_untrusted_text_shown_as_text() -> None:
    hostile = "\u202eevil\x07 <b>x</b>" + "n" * 500
    with pytest.raises(DataError) as caught:
        read_upload("a.geojson", collection(feature(point(1, 95), name=hostile)), layer="L")
    problem = caught.value.problems[0]
    assert problem.name is not None
    assert "\x07" not in problem.name and "\\u0007" in problem.name  # a control, written out
    assert len(problem.name) <= 60 and problem.name.endswith("…")  # cut short
    # the text around it is kept from turning round: the right-to-left override is isolated
    shown = str(problem)
    assert "\u2068\u202eevil" in shown and "\u2069" in shown


def test_a_refusal_at_a_limit_names_its_record_too() -> None:
    data = collection(feature(point(1, 2), name="Big", x="y" * 60))
    with pytest.raises(DataError) as caught:
        read_upload("a.geojson", data, layer="L", limits=Limits(max_string=50))
    assert caught.value.problems[0].name == "Big"


# ---------------------------------------------------------------- partial import, chosen


def test_skip_bad_imports_the_good_kml_samples_and_lists_the_one_left_out() -> None:
    upload = read(KML_SAMPLES, skip_bad=True)
    names = [record.name for record in upload.records]
    assert len(names) == 7 and "Descriptive HTML" not in names
    assert {"Simple placemark", "The Pentagon", "Building 40", "Tessellated"} <= set(names)
    assert upload.skipped == [SkippedRecord("#4", "Descriptive HTML", (NULL_IN_KML,))]


def test_without_skip_bad_the_refusal_holds_the_same_good_records() -> None:
    with pytest.raises(BadRecords) as caught:
        read(KML_SAMPLES)
    assert caught.value.good == read(KML_SAMPLES, skip_bad=True)


def test_skip_bad_imports_the_countries_with_a_geometry_and_clamps_fiji() -> None:
    upload = read(COUNTRIES, skip_bad=True)
    assert [record.name for record in upload.records] == [
        "Fiji",
        "Tanzania",
        "Canada",
        "Trinidad and Tobago",
    ]
    assert [(s.record, s.name) for s in upload.skipped] == [("#3", "W. Sahara"), ("#5", "Kosovo")]
    fiji = upload.records[0].geometry["coordinates"]
    assert fiji[0][0][0] == [180.0, -16.0671327]
    [warning] = upload.warnings
    assert warning.startswith("2 coordinates past ±180 or ±90 by a rounding error")
    assert '#1 "Fiji" longitude 180.0000000000002' in warning


def test_a_record_read_despite_a_problem_is_still_left_out() -> None:
    # A Placemark whose ExtendedData names a field twice is read, and refused for it.
    data = (
        b"<kml><Placemark><name>Twice</name><ExtendedData>"
        b'<Data name="a"><value>1</value></Data><Data name="a"><value>2</value></Data>'
        b"</ExtendedData><Point><coordinates>1,2</coordinates></Point></Placemark>"
        b"<Placemark><name>Once</name><Point><coordinates>3,4</coordinates></Point></Placemark>"
        b"</kml>"
    )
    upload = read_upload("a.kml", data, layer="L", skip_bad=True)
    assert [record.name for record in upload.records] == ["Once"]
    assert [(s.record, s.name) for s in upload.skipped] == [("#1", "Twice")]


def test_every_bad_record_is_listed_past_the_listed_problems() -> None:
    # 1,500 bad rows make 3,000 problems: 1,000 are listed, every row is skipped.
    text = "name,lat,lon\nkept,33.6,36.3\n" + "".join(f"r{n},north,east\n" for n in range(1500))
    upload = read_upload("flood.csv", text.encode(), layer="L", skip_bad=True)
    assert [record.name for record in upload.records] == ["kept"]
    assert len(upload.skipped) == 1500
    assert upload.skipped[0].record == "#2" and upload.skipped[-1].record == "#1501"
    assert upload.skipped[-1].name == "r1499" and upload.skipped[-1].reasons


@pytest.mark.parametrize(
    ("file_name", "data", "fragment"),
    [
        # two columns of one name: a fault of the file, not of a record
        ("a.csv", b"name,name,lat,lon\na,b,33.6,36.3\nc,d,95,36.3\n", "appears twice"),
        # a malformed row stops the reading: the rows after it were never read
        ("a.csv", b'name,lat,lon\na,33.6,36.3\n"b,33.6,36.3\n', "rows after it were not read"),
        # swapped columns: every row is wrong the same way
        ("a.csv", b"name,lat,lon\na,120,33\nb,33.6,36.3\n", "look swapped"),
        ("a.geojson", b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
    ],
)
def test_a_problem_of_the_whole_file_refuses_it_even_with_skip_bad(
    file_name: str, data: bytes, fragment: str
) -> None:
    with pytest.raises(DataError) as caught:
        read_upload(file_name, data, layer="L", skip_bad=True)
    assert not isinstance(caught.value, BadRecords)
    assert any(fragment in p.message for p in caught.value.problems), caught.value


def test_a_limit_refuses_the_file_even_with_skip_bad() -> None:
    data = collection(feature(point(1, 2), name="a"), feature(point(1, 2), name="b"))
    with pytest.raises(DataError, match="over the limit of 1"):
        read_upload("a.geojson", data, layer="L", skip_bad=True, limits=Limits(max_features=1))


def test_skip_bad_with_no_good_record_refuses() -> None:
    data = collection(feature(None, name="a"), feature(point(1, 95), name="b"))
    with pytest.raises(DataError) as caught:
        read_upload("a.geojson", data, layer="L", skip_bad=True)
    assert not isinstance(caught.value, BadRecords)
    assert [p.name for p in caught.value.problems] == ["a", "b"]


def test_a_file_without_problems_skips_nothing() -> None:
    upload = read_upload("a.geojson", collection(feature(point(1, 2))), layer="L", skip_bad=True)
    assert len(upload.records) == 1 and upload.skipped == []


# Features as a researcher's tools write them: good points, and ways to be bad.
_GOOD = st.builds(
    lambda lon, lat, n: feature(point(lon, lat), name=f"good {n}"),
    st.floats(-180, 180),
    st.floats(-90, 90),
    st.integers(0, 10**6),
)
_BAD = st.one_of(
    st.just(feature(None, name="null")),
    st.builds(lambda lat: feature(point(10, lat), name="far"), st.floats(90.001, 1e6)),
    st.just(feature({"type": "LineString", "coordinates": [[1, 2]]}, name="short")),
    st.just({"type": "Feature", "geometry": point(1, 2), "properties": "text"}),
    st.just(feature(point(1, 2), name="bell \x07")),
    st.just(feature({"type": "GeometryCollection", "geometries": []})),
)


@given(st.lists(st.tuples(st.booleans(), _GOOD, _BAD), min_size=1, max_size=12))
@settings(max_examples=120, deadline=None)
def test_skip_bad_imports_every_valid_feature_or_refuses(
    drawn: list[tuple[bool, dict[str, Any], dict[str, Any]]],
) -> None:
    features = [good if is_good else bad for is_good, good, bad in drawn]
    valid = [n for n, (is_good, _, _) in enumerate(drawn, start=1) if is_good]
    data = collection(*features)
    if not valid:
        with pytest.raises(DataError) as caught:
            read_upload("f.geojson", data, layer="L", skip_bad=True)
        assert not isinstance(caught.value, BadRecords)
        return
    upload = read_upload("f.geojson", data, layer="L", skip_bad=True)
    assert [record.name for record in upload.records] == [
        features[n - 1]["properties"]["name"] for n in valid
    ]
    assert [s.record for s in upload.skipped] == [
        f"#{n}" for n in range(1, len(features) + 1) if n not in valid
    ]
    assert all(s.reasons for s in upload.skipped)
    if len(valid) < len(features):  # without the choice, all or nothing
        with pytest.raises(BadRecords) as caught:
            read_upload("f.geojson", data, layer="L")
        assert caught.value.good == upload


# ---------------------------------------------------------------- the rounding hair


@pytest.mark.parametrize(
    ("position", "clamped"),
    [
        ([180.0000000000002, 10.0], [180.0, 10.0]),
        ([-180 - EDGE_TOLERANCE, 10.0], [-180.0, 10.0]),
        ([10.0, 90.00000000001], [10.0, 90.0]),
        ([10.0, -90.00000000001, 5.0], [10.0, -90.0, 5.0]),  # an altitude stays
    ],
)
def test_a_coordinate_past_the_edge_by_a_hair_is_set_to_it(
    position: list[float], clamped: list[float]
) -> None:
    upload = read_upload("a.geojson", collection(feature(point(*position[:2]))), layer="L")
    assert upload.records[0].geometry["coordinates"] == clamped[:2]
    assert "1 coordinate past ±180 or ±90 by a rounding error" in upload.warnings[0]
    if len(position) == 3:
        geometry = {"type": "Point", "coordinates": position}
        upload = read_upload("b.geojson", json.dumps(geometry).encode(), layer="L")
        assert upload.records[0].geometry["coordinates"] == clamped


@pytest.mark.parametrize("position", [[180.000001, 10.0], [10.0, 90.0001], [-181.0, 0.0]])
def test_a_coordinate_past_the_edge_by_more_is_refused(position: list[float]) -> None:
    with pytest.raises(DataError, match="is outside"):
        read_upload("a.geojson", collection(feature(point(*position))), layer="L")


def test_many_clamped_coordinates_make_one_warning_that_counts_them() -> None:
    ring = [[180.0000000000002, float(lat)] for lat in range(8)]
    line = {"type": "LineString", "coordinates": ring}
    upload = read_upload("a.geojson", collection(feature(line, name="Edge")), layer="L")
    [warning] = upload.warnings
    assert warning.startswith("8 coordinates past ±180 or ±90")
    assert warning.endswith("and 3 more")  # five examples, the rest counted


# ---------------------------------------------------------------- the swap hint


@pytest.mark.parametrize(
    ("lon", "lat", "hinted"),
    [
        (33.6, 120.0, True),  # [latitude, longitude] of a place east of 90°: swapping helps
        (-33.6, -151.2, True),
        (100.0, 120.0, False),  # 100 is no latitude: swapping cannot help
        (33.6, 200.0, False),  # 200 is no longitude either
        (200.0, 10.0, False),  # a longitude out of range: swapped, it is a latitude of 200
    ],
)
def test_the_swap_hint_only_where_swapping_helps(lon: float, lat: float, hinted: bool) -> None:
    [problem] = structure_problems({"type": "Point", "coordinates": [lon, lat]})
    assert ("is the position [longitude, latitude]?" in problem) is hinted
    assert bool(swap_hint(lon, lat)) is hinted


# ---------------------------------------------------------------- the store keeps the list


def store_file(store: Store, path: Path, skipped: Any = None, **options: Any):
    """Import `path` read with `options` as the layer "L"; the list of skipped records
    is the upload's, unless `skipped` is given."""
    upload = read(path, **options)
    return store.import_layer(
        "L",
        as_new_records(upload.records),
        analyst="A. Analyst",
        file_name=path.name,
        file_bytes=path.read_bytes(),
        skipped=upload.skipped if skipped is None else skipped,
    )


def test_the_import_entry_lists_the_skipped_records_and_verify_passes(private_store) -> None:
    store = Store.open(private_store)
    receipt = store_file(store, COUNTRIES, skip_bad=True)
    assert (receipt.count, receipt.skipped) == (4, 2)
    [entry] = store.history()
    assert entry.action == Action.IMPORT and entry.change["count"] == 4
    assert entry.change["skipped"] == [
        {"record": "#3", "name": "W. Sahara", "reasons": [NULL_IN_GEOJSON]},
        {"record": "#5", "name": "Kosovo", "reasons": [NULL_IN_GEOJSON]},
    ]
    assert left_out(entry) == read(COUNTRIES, skip_bad=True).skipped
    assert store.verify() == []
    # the list is under the entry's hash: changing it shows
    with sqlite3.connect(store.db_path) as conn:
        conn.execute("DROP TRIGGER history_no_update")
        conn.execute(
            "UPDATE history SET change = replace(change, 'Kosovo', 'Elsewhere') WHERE seq = 1"
        )
    assert any("hash does not match" in problem for problem in store.verify())


def test_a_whole_import_has_no_skipped_key(private_store) -> None:
    sites = Path(__file__).parent / "data" / "imports" / "sites.geojson"
    store = Store.open(private_store)
    store_file(store, sites)
    [entry] = store.history()
    assert "skipped" not in entry.change and left_out(entry) == []


@pytest.mark.parametrize(
    "skipped",
    [
        [SkippedRecord("#1", "bell\x07", ("why",))],
        [SkippedRecord("#1", None, ())],
        [SkippedRecord("#1", None, ("x" * 1001,))],
        ["#1"],
    ],
)
def test_the_store_refuses_a_skipped_list_it_could_not_keep_as_text(
    private_store, skipped: list[Any]
) -> None:
    store = Store.open(private_store)
    with pytest.raises(DataError, match="skipped"):
        store_file(store, KML_SAMPLES, skipped, skip_bad=True)
    assert store.history() == []


def test_left_out_reads_an_entry_changed_into_another_shape() -> None:
    from geo.store import HistoryEntry

    entry = HistoryEntry(
        1, "t", "a", Action.IMPORT, None, "L", {"skipped": [7, {"record": 3}]}, "", ""
    )
    assert left_out(entry) == [SkippedRecord("7", None, ()), SkippedRecord("3", None, ())]


def test_skipped_record_reads_as_a_problem() -> None:
    skipped = SkippedRecord("#4", "Descriptive HTML", ("a", "b"))
    assert str(skipped) == str(Problem("a; b", record="#4", name="Descriptive HTML"))
    assert str(skipped) == 'record #4 "Descriptive HTML": a; b'


# ---------------------------------------------------------------- the command line


def test_the_cli_refuses_then_imports_with_skip_bad(private_store, capsys) -> None:
    assert main(["import", str(KML_SAMPLES), "--analyst", "A. Analyst"]) == 1
    err = capsys.readouterr().err
    assert 'record #4 "Descriptive HTML": field geometry: has no geometry' in err
    assert "add --skip-bad to import them and skip these 1" in err
    assert Store.open(private_store).history() == []

    assert main(["import", str(KML_SAMPLES), "--analyst", "A. Analyst", "--skip-bad"]) == 0
    captured = capsys.readouterr()
    assert 'skipped: record #4 "Descriptive HTML": has no geometry' in captured.err
    assert "imported 7 records" in captured.out and "1 record skipped" in captured.out
    [entry] = Store.open(private_store).history()
    assert [s.name for s in left_out(entry)] == ["Descriptive HTML"]
    assert main(["verify"]) == 0


def test_the_cli_skip_bad_does_not_skip_a_bad_file(private_store, capsys) -> None:
    bad = Path(__file__).parent / "data" / "hostile" / "swapped.csv"
    assert main(["import", str(bad), "--analyst", "A", "--skip-bad"]) == 1
    assert "look swapped" in capsys.readouterr().err
    assert Store.open(private_store).history() == []
