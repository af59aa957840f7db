import copy
import json
import subprocess
import sys

from geo.case import load_case
from geo.cli import main
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
