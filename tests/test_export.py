import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import shapely
from geojson_pydantic import FeatureCollection

from geo.case import load_case, read_export
from geo.export import export_text, feature_collection
from geo.query import filter_records
from geo.synthetic import TINY_FILES, dated, write_case

GOLDEN = Path(__file__).parent / "data" / "saydnaya-export.geojson"


def comparable(case):
    frame = case.records.drop(columns=["file"])
    return frame.to_dict("records"), case.meta.model_dump()


def test_export_reads_back_without_loss(shipped_case, tmp_path):
    path = tmp_path / "case.geojson"
    path.write_text(export_text(shipped_case), encoding="utf-8")
    again = load_case(path)
    assert comparable(again) == comparable(shipped_case)


def test_export_matches_golden_file(shipped_case):
    # Compared as data, not text. After a deliberate change to the case or the format:
    #   python -m geo export --out tests/data/saydnaya-export.geojson
    assert feature_collection(shipped_case) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_filtered_export_says_it_is_a_view(shipped_case):
    shown = filter_records(shipped_case.records, date(2015, 1, 10), date(2015, 2, 1))
    collection = feature_collection(
        shipped_case, shown, view={"from": "2015-01-10", "to": "2015-02-01"}
    )
    assert collection["view"]["from"] == "2015-01-10"
    names = {
        f["properties"]["date"]
        for f in collection["features"]
        if f["properties"]["kind"] != "place"
    }
    # the January 2015 photograph is in; the 2017 briefing is out
    assert "2015-01" in names and "2017-05-15" not in names


def test_properties_carry_precision_claim_and_sources(shipped_case):
    collection = feature_collection(shipped_case)
    feature = next(f for f in collection["features"] if f["properties"].get("date") == "2015-01")
    props = feature["properties"]
    assert (props["date_start"], props["date_end"], props["date_precision"]) == (
        "2015-01-01",
        "2015-01-31",
        "month",
    )
    assert props["date_as_stated"]
    firewall = next(
        f["properties"]
        for f in collection["features"]
        if f["properties"].get("feature_type") == "firewall"
    )
    assert firewall["confidence"] == "probable"
    assert (
        firewall["claimant"]
        and firewall["claim_statement"]
        and firewall["claim_status"] == "contested"
    )
    assert all(detail["title"] for detail in firewall["source_details"])


def test_rfc7946_normalisation(tmp_path):
    clockwise = [[[36.0, 33.0], [36.0, 33.1], [36.1, 33.1], [36.1, 33.0], [36.0, 33.0]]]
    precise = dated("img-poly", "2015", confidence="asserted")
    precise["geometry"] = {"type": "Polygon", "coordinates": clockwise}
    files = {**TINY_FILES, "imagery.geojson": [precise]}
    files["places.geojson"] = [
        {
            **files["places.geojson"][0],
            "geometry": {"type": "Point", "coordinates": [36.123456789, 33.987654321]},
        }
    ]
    case = load_case(write_case(tmp_path / "c", files=files))
    collection = feature_collection(case)
    assert "crs" not in collection
    point = collection["features"][0]["geometry"]["coordinates"]
    assert point == [36.1234568, 33.9876543]
    ring = next(f for f in collection["features"] if f["geometry"]["type"] == "Polygon")[
        "geometry"
    ]["coordinates"][0]
    assert shapely.is_ccw(shapely.LinearRing(ring)), "outer ring must be counter-clockwise"
    FeatureCollection.model_validate_json(json.dumps(collection), strict=True)


def test_export_validates_with_geojson_pydantic(shipped_case):
    FeatureCollection.model_validate_json(export_text(shipped_case), strict=True)


def test_a_foreign_geojson_is_not_taken_for_an_export():
    from geo.errors import DataError

    with pytest.raises(DataError, match="not an export of this tool"):
        read_export({"type": "FeatureCollection", "features": []}, file="x.geojson")


@pytest.mark.skipif(
    shutil.which("ogrinfo") is None and not os.environ.get("CI"), reason="GDAL not installed"
)
def test_gdal_opens_the_export(shipped_case, tmp_path):
    path = tmp_path / "saydnaya.geojson"
    path.write_text(export_text(shipped_case), encoding="utf-8")
    result = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True
    )
    assert f"Feature Count: {len(shipped_case.records)}" in result.stdout
    assert "Geometry: Point" in result.stdout
    assert "date_precision: String" in result.stdout
    # GDAL's own RFC 7946 writer agrees on the geometry
    out = tmp_path / "gdal.geojson"
    subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "-lco", "RFC7946=YES", str(out), str(path)], check=True
    )
    ours = json.loads(path.read_text(encoding="utf-8"))["features"]
    gdal = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [f["geometry"] for f in gdal] == [f["geometry"] for f in ours]
