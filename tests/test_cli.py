import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo.case import load_case
from geo.cli import main
from geo.formats import read_upload
from tests.conftest import TINY_FILES, record, write_case


def test_validate_the_shipped_case(capsys):
    assert main(["validate"]) == 0
    assert (
        "valid: 4 places, 5 imagery records, 3 facility features, 7 events"
        in capsys.readouterr().out
    )


def test_validate_reports_every_problem_and_fails(tmp_path, capsys):
    files = copy.deepcopy(TINY_FILES)
    files["places.geojson"] = [record("p1", 200, 33), record("p2", 36, 95)]
    folder = write_case(tmp_path / "bad", files=files)
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "2 problems found" in err
    assert "places.geojson: record p1: field geometry: longitude 200" in err
    assert "record p2" in err
    assert "Traceback" not in err


def test_validate_every_case_in_a_folder_of_cases(tmp_path, capsys):
    cases = tmp_path / "cases"
    files = copy.deepcopy(TINY_FILES)
    files["places.geojson"] = [record("p1", 200, 33)]
    write_case(cases / "broken", files=files)  # first by name: the others are still checked
    write_case(cases / "tiny")
    (cases / "notes").mkdir()  # a folder without case.yaml is not a case
    assert main(["validate", str(cases)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "case tiny: valid: 2 places, 1 imagery records, 1 facility features, 2 events, "
        "2 sources, 1 claims"
    ]
    err = captured.err
    assert "error: case broken: 1 problem found:" in err
    assert "broken/places.geojson: record p1: field geometry: longitude 200" in err
    assert "tiny" not in err and "notes" not in err
    assert err.rstrip().endswith("1 of 2 cases have problems")
    assert "Traceback" not in err


def test_validate_the_data_folder(capsys):
    from geo.case import DEFAULT_CASES_DIR

    assert main(["validate", str(DEFAULT_CASES_DIR)]) == 0
    assert capsys.readouterr().out.startswith("case saydnaya: valid: 4 places")


def test_validate_a_folder_with_no_case(tmp_path, capsys):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    assert main(["validate", str(tmp_path / "empty")]) == 1
    assert "no case.yaml here, and no folder in it holds one" in capsys.readouterr().err


def export_with_a_layer(tmp_path: Path, capsys) -> Path:
    sites = Path(__file__).parent / "data" / "imports" / "sites.geojson"
    assert main(["import", str(sites), "--layer", "team sites", "--analyst", "A. Analyst"]) == 0
    out = tmp_path / "all.geojson"
    assert main(["export", "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def test_validate_an_export_counts_the_researchers_records(tmp_path, capsys):
    out = export_with_a_layer(tmp_path, capsys)
    assert main(["validate", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{out}: valid: 4 places, 5 imagery records")
    assert lines[0].endswith("; 3 records of your own in 1 layer")
    assert lines[1:] == [
        "  layer 'team sites': 3 records (place: 1, area of interest: 1, other: 1)"
    ]

    case_only = tmp_path / "case.geojson"
    assert main(["export", "--out", str(case_only), "--case-only"]) == 0
    assert main(["validate", str(case_only)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("; no records of your own")


def test_validate_an_export_checks_the_researchers_records(tmp_path, capsys):
    out = export_with_a_layer(tmp_path, capsys)
    data = json.loads(out.read_text(encoding="utf-8"))
    mine = [f for f in data["features"] if f["properties"].get("layer") == "team sites"]
    mine[0]["properties"].update(kind="weapon", date="last week")
    mine[1]["properties"]["layer"] = 7
    mine[2]["geometry"] = {"type": "Point", "coordinates": [200, 0]}
    out.write_text(json.dumps(data), encoding="utf-8")
    assert main(["validate", str(out)]) == 1
    err = capsys.readouterr().err
    first, second, third = (f["properties"]["id"] for f in mine)
    assert f"record {first}: field kind: kind 'weapon' is not one of" in err
    assert f"record {first}: field date: 'last week'" in err
    assert f"record {second}: field layer: must be text (got 7)" in err
    assert f"record {third}: field geometry: longitude 200" in err
    assert "Traceback" not in err


def test_export_with_a_date_range(tmp_path, capsys):
    out = tmp_path / "view.geojson"
    assert main(["export", "--out", str(out), "--from", "2015-01-10", "--to", "2015-02-01"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["view"] == {
        "from": "2015-01-10",
        "to": "2015-02-01",
        "kinds": ["place", "imagery", "feature", "event"],
    }
    dates = {f["properties"].get("date") for f in data["features"]}
    assert "2015-01" in dates and "2017-05-15" not in dates
    assert len(load_case(out).records) == len(data["features"])


def test_export_a_whole_year_with_year_precision(tmp_path):
    out = tmp_path / "y.geojson"
    assert main(["export", "--out", str(out), "--from", "2017", "--to", "2017"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["view"]["from"] == "2017-01-01" and data["view"]["to"] == "2017-12-31"


def test_bad_dates_are_usage_errors(capsys, tmp_path):
    try:
        main(["export", "--out", str(tmp_path / "x"), "--from", "15/05/2017"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "YYYY, YYYY-MM, YYYY-MM-DD" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_python_dash_m_runs_and_fails_cleanly(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "geo", "validate", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "no such case folder" in result.stderr and "Traceback" not in result.stderr


HOSTILE_FILES = sorted(
    p for p in (Path(__file__).parent / "data" / "hostile").iterdir() if p.suffix != ".md"
)


def test_import_export_verify_through_the_cli(tmp_path, private_store, capsys):
    from geo.store import Store

    sites = Path(__file__).parent / "data" / "imports" / "sites.geojson"
    assert main(["import", str(sites), "--layer", "team sites", "--analyst", "A. Analyst"]) == 0
    out = capsys.readouterr().out
    assert "as layer 'team sites'" in out and "SHA-256" in out
    [info] = Store.open(private_store).files()
    assert info.file_name == "sites.geojson"
    assert Store.open(private_store).file_path(info.sha256).read_bytes() == sites.read_bytes()

    kml = tmp_path / "all.kml"
    assert main(["export", "--format", "kml", "--out", str(kml), "--manifest"]) == 0
    manifest = json.loads((tmp_path / "all.kml.manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"][0]["name"] == "all.kml"
    layers = {r.layer for r in read_upload("all.kml", kml.read_bytes(), layer="x").records}
    assert layers == {"case", "team sites"}
    assert main(["verify"]) == 0
    assert main(["export", "--out", str(tmp_path / "c.csv"), "--format", "csv", "--case-only"]) == 0
    rows = read_upload("c.csv", (tmp_path / "c.csv").read_bytes(), layer="x").records
    assert {r.layer for r in rows} == {"case"}


def test_a_second_import_under_a_taken_name_is_refused(private_store, capsys):
    sites = Path(__file__).parent / "data" / "imports" / "sites.geojson"
    assert main(["import", str(sites), "--analyst", "A"]) == 0
    assert main(["import", str(sites), "--analyst", "A"]) == 1
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("path", HOSTILE_FILES, ids=lambda p: p.name)
def test_hostile_files_are_refused_and_change_nothing(path, private_store, capsys):
    from geo.store import Store

    before = Store.open(private_store).revision()
    assert main(["import", str(path), "--analyst", "A. Analyst"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert Store.open(private_store).revision() == before
    assert Store.open(private_store).records() == []


def test_verify_reports_tampering(private_store, capsys):
    import sqlite3

    from geo.store import Store

    sites = Path(__file__).parent / "data" / "imports" / "sites.geojson"
    assert main(["import", str(sites), "--analyst", "A"]) == 0
    store = Store.open(private_store)
    [info] = store.files()
    kept = store.file_path(info.sha256)
    kept.chmod(0o644)
    kept.write_bytes(b"altered")
    assert main(["verify"]) == 1
    assert "content changed" in capsys.readouterr().err
    with sqlite3.connect(store.db_path) as conn:
        conn.execute("DROP TRIGGER IF EXISTS history_no_update")
    assert main(["verify"]) == 1


def test_geocode_prints_candidates_as_geojson(capsys):
    assert main(["geocode", "Nur-Sultan"]) == 0
    captured = capsys.readouterr()
    collection = json.loads(captured.out)
    assert collection["type"] == "FeatureCollection"
    first = collection["features"][0]
    assert first["properties"]["name"] == "Astana"
    assert first["geometry"]["coordinates"] == [71.44598, 51.1801]


def test_geocode_online_without_network_says_so(monkeypatch, capsys):
    monkeypatch.setenv("GEO_GEOCODER_DOMAIN", "127.0.0.1:9")
    monkeypatch.setenv("GEO_GEOCODER_SCHEME", "http")
    assert main(["geocode", "Sednaya", "--online"]) == 1
    captured = capsys.readouterr()
    assert "offline place search still works" in captured.err
    names = [f["properties"]["name"] for f in json.loads(captured.out)["features"]]
    assert names[0] == "Saydnaya military prison"  # offline candidates are still printed


def test_extract_the_article(capsys):
    from geo.case import DEFAULT_CASE_DIR

    article = DEFAULT_CASE_DIR / "texts" / "article-2017-05-15.txt"
    assert main(["extract", str(article)]) == 0
    captured = capsys.readouterr()
    features = json.loads(captured.out)["features"]
    names = {f["properties"]["name"] for f in features}
    assert {"Damascus", "Astana", "Geneva", "Syria", "Iran", "Turkey", "Kazakhstan"} <= names
    text = article.read_text(encoding="utf-8")
    assert all(f["properties"]["sentence"] in text for f in features)


def test_extract_refuses_binary(tmp_path, capsys):
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert main(["extract", str(binary)]) == 1
    assert "Traceback" not in capsys.readouterr().err
