import copy
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.case import load_case
from geo.cli import main
from geo.formats import read_upload
from geo.records import as_new_records
from geo.store import Store
from geo.synthetic import TINY_FILES, record, write_case
from tests.conftest import ROOT
from tests.store_worker import annotation

SITES = Path(__file__).parent / "data" / "imports" / "sites.geojson"


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
    # checked as the store checks a record it keeps, with the same words
    assert f"record {first}: field kind: kind must be one of place, imagery," in err
    assert f"record {first}: field date: 'last week'" in err
    assert f"record {second}: field layer: the layer name must be text, not int" in err
    assert (
        f"record {third}: field geometry: the geometry is not valid GeoJSON: longitude 200" in err
    )
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


# --- reading commands: never create a store, never write one, never crash on one ---------


def test_verify_never_creates_a_store(tmp_path, monkeypatch, capsys):
    mistyped = tmp_path / "geo-dta"
    monkeypatch.setenv("GEO_DATA_DIR", str(mistyped))
    assert main(["verify"]) == 1
    captured = capsys.readouterr()
    assert f"error: no store at {mistyped}: nothing has been imported there" in captured.err
    assert "intact" not in captured.out and not mistyped.exists()


def test_export_without_a_store_writes_the_case_and_says_so(tmp_path, monkeypatch, capsys):
    mistyped = tmp_path / "geo-dta"
    monkeypatch.setenv("GEO_DATA_DIR", str(mistyped))
    out = tmp_path / "case.geojson"
    assert main(["export", "--out", str(out), "--manifest"]) == 0
    err = capsys.readouterr().err
    assert f"warning: no store at {mistyped}" in err and "exporting the case's records only" in err
    assert not mistyped.exists()
    assert {
        f["properties"].get("layer", "case") for f in json.loads(out.read_bytes())["features"]
    } == {"case"}
    manifest = json.loads((tmp_path / "case.geojson.manifest.json").read_bytes())
    assert manifest["store"] is None


def test_export_leaves_out_a_damaged_record_and_says_which(tmp_path, private_store, capsys):
    assert main(["import", str(SITES), "--layer", "team sites", "--analyst", "A"]) == 0
    store = Store.open(private_store)
    first, *others = store.records()
    with sqlite3.connect(store.db_path) as conn:
        conn.execute("UPDATE records SET geometry = '{not json' WHERE id = ?", (first.id,))
    out = tmp_path / "all.geojson"
    assert main(["export", "--out", str(out), "--manifest"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert (
        f"warning: record {first.id} in layer 'team sites' is damaged: geometry is not readable "
        "JSON (Expecting property name" in err
    )
    assert "; it was left out of the export" in err
    case_count = len(load_case(Path(__file__).parent.parent / "data" / "saydnaya").records)
    total = case_count + len(others)
    assert (
        f"wrote {total} of {total} records to {out}; 1 record of the store damaged and left out"
        in err
    )
    mine = [f["properties"]["id"] for f in json.loads(out.read_bytes())["features"]]
    assert first.id not in mine and {r.id for r in others} <= set(mine)
    manifest = json.loads((tmp_path / "all.geojson.manifest.json").read_bytes())
    [left_out] = manifest["store"]["damaged_records_left_out"]
    assert (left_out["id"], left_out["layer"]) == (first.id, "team sites")
    assert main(["verify"]) == 1
    assert f"error: record {first.id} in layer 'team sites' is damaged" in capsys.readouterr().err


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user may enter: run as root, the read-only test reads as nobody."""
    folder = Path(tempfile.mkdtemp(prefix="geo-read-only-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(folder)


def read_as_another_user(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """python ARGS by a user who may not write the store: this user after chmod or, for
    root, whom chmod does not stop, the unprivileged user nobody."""
    as_nobody = {"user": 65534, "group": 65534, "extra_groups": []} if os.geteuid() == 0 else {}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "GEO_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        **as_nobody,  # type: ignore[call-overload]
    )


def file_states(folder: Path) -> dict[str, tuple[int, int, int]]:
    return {
        str(path.relative_to(folder)): (
            path.stat().st_size,
            path.stat().st_mtime_ns,
            path.stat().st_mode,
        )
        for path in sorted(folder.rglob("*"))
    }


APP_READS = """
import json, sys
from geo.store import Store, StoreError, default_data_dir
from tests.store_worker import annotation
store = Store.open(default_data_dir())  # as the app opens it
try:
    store.add(annotation(99, "nobody"), analyst="nobody")
except StoreError as exc:
    refused = str(exc)
print(json.dumps({"read_only": store.read_only, "ids": [r.id for r in store.records()],
                  "refused": refused}))
"""


@pytest.mark.parametrize("crashed_writer", [False, True], ids=["at-rest", "wal-left-by-a-crash"])
def test_a_store_this_user_may_not_write_is_verified_and_exported(shared_dir, crashed_writer):
    probe = read_as_another_user(shared_dir, "-c", "import geo.cli")
    if os.geteuid() == 0 and probe.returncode != 0:  # a checkout in /root, say
        pytest.skip(f"the user nobody cannot run this checkout: {probe.stderr[-300:]}")
    data_dir = shared_dir / "data"
    store = Store.open(data_dir)
    for index in range(3):
        store.add(annotation(index, "A"), analyst="A")
    upload = read_upload(SITES.name, SITES.read_bytes(), layer="team sites")
    store.import_layer(
        "team sites",
        as_new_records(upload.records),
        analyst="A",
        file_name=SITES.name,
        file_bytes=SITES.read_bytes(),
    )
    noted = store.history()[-1]
    ids = [r.id for r in store.records()]
    if crashed_writer:
        worker = subprocess.run(
            [sys.executable, "-m", "tests.store_worker", "add-and-die", str(data_dir), "crashed"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert worker.returncode == 0, worker.stderr
        assert (data_dir / "store.sqlite3-wal").stat().st_size > 0  # its entry is there only
        ids.append("crashed-0")
    for path in [*data_dir.rglob("*"), data_dir]:  # chmod a-w, deepest first
        path.chmod(0o555 if path.is_dir() else 0o444)
    before = file_states(data_dir)

    export = read_as_another_user(data_dir, "-m", "geo", "export", "--out", "-")
    assert export.returncode == 0, export.stderr
    exported = {f["properties"].get("id") for f in json.loads(export.stdout)["features"]}
    assert set(ids) <= exported

    verify = read_as_another_user(data_dir, "-m", "geo", "verify", "--expect", noted.hash[:12])
    assert verify.returncode == 0, verify.stderr
    entries = noted.seq + crashed_writer  # immutable=1 would not see the crashed one's
    assert f"history: {entries} entries, latest hash " in verify.stdout
    expected = "1 entry came after it" if crashed_writer else "the latest: no entry was added"
    assert f"expected hash: entry {noted.seq}" in verify.stdout and expected in verify.stdout
    assert "(read-only here): intact" in verify.stdout

    app = read_as_another_user(data_dir, "-c", APP_READS)
    assert app.returncode == 0, app.stderr
    seen = json.loads(app.stdout)
    assert seen["read_only"] and seen["ids"] == ids
    assert "is read-only here" in seen["refused"]
    assert file_states(data_dir) == before  # not a byte written, not even -wal or -shm


# --- the latest hash, kept outside the store, anchors it ---------------------------------


def test_verify_prints_the_latest_hash_and_checks_an_expected_one(private_store, capsys):
    assert main(["import", str(SITES), "--layer", "one", "--analyst", "A"]) == 0
    noted = Store.open(private_store).latest()
    capsys.readouterr()
    assert main(["verify", "--expect", noted.hash[:12]]) == 0
    out = capsys.readouterr().out
    assert f"history: 1 entry, latest hash {noted.hash}\n" in out
    assert "expected hash: entry 1, the latest: no entry was added since" in out

    assert main(["import", str(SITES), "--layer", "two", "--analyst", "A"]) == 0
    capsys.readouterr()
    assert main(["verify", "--expect", noted.hash]) == 0
    assert "expected hash: entry 1; 1 entry came after it (the store went on" in (
        capsys.readouterr().out
    )

    elsewhere = hashlib.sha256(b"another store").hexdigest()
    assert main(["verify", "--expect", elsewhere]) == 1
    err = capsys.readouterr().err
    assert (
        f"error: the expected hash {elsewhere} is no entry of this store's history: the store "
        "is behind it" in err
    )
    assert main(["verify", "--expect", "3f9a"]) == 1
    assert "'3f9a' is not a history hash: give its 64 hex digits, or at least the first 12" in (
        capsys.readouterr().err
    )


def test_the_manifest_carries_the_latest_hash(tmp_path, private_store, capsys):
    assert main(["import", str(SITES), "--layer", "team sites", "--analyst", "A"]) == 0
    out = tmp_path / "all.kml"
    assert main(["export", "--format", "kml", "--out", str(out), "--manifest"]) == 0
    manifest = json.loads((tmp_path / "all.kml.manifest.json").read_bytes())
    head = Store.open(private_store).latest()
    assert manifest["store"] == {
        "history_entries": 1,
        "latest_seq": 1,
        "latest_hash": head.hash,
        "damaged_records_left_out": [],
    }
    assert main(["verify", "--expect", manifest["store"]["latest_hash"]]) == 0
    case_only = tmp_path / "case.csv"
    assert (
        main(["export", "--format", "csv", "--out", str(case_only), "--manifest", "--case-only"])
        == 0
    )
    assert json.loads((tmp_path / "case.csv.manifest.json").read_bytes())["store"] is None


# --- an export and its manifest ----------------------------------------------------------


def test_validate_checks_the_manifest_beside_an_export(tmp_path, capsys):
    out = tmp_path / "case.geojson"
    assert main(["export", "--out", str(out), "--manifest", "--case-only"]) == 0
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    assert f"{out}: the manifest case.geojson.manifest.json matches it" in capsys.readouterr().out

    out.write_bytes(out.read_bytes().replace(b"Saydnaya", b"Saydnaja", 1))
    assert main(["validate", str(out)]) == 1
    assert (
        "error: the manifest case.geojson.manifest.json does not match: case.geojson: content "
        "differs from the manifest" in capsys.readouterr().err
    )

    (tmp_path / "case.geojson.manifest.json").write_text("{half a manifest")
    assert main(["validate", str(out)]) == 1
    assert "case.geojson.manifest.json cannot be read as JSON" in capsys.readouterr().err

    kml = tmp_path / "case.kml"
    assert main(["export", "--out", str(kml), "--format", "kml", "--manifest", "--case-only"]) == 0
    assert main(["validate", str(kml)]) == 0
    assert "the manifest case.kml.manifest.json matches it" in capsys.readouterr().out


def test_an_export_without_a_manifest_removes_the_one_that_no_longer_matches(tmp_path, capsys):
    out = tmp_path / "case.geojson"
    assert main(["export", "--out", str(out), "--manifest", "--case-only"]) == 0
    assert main(["export", "--out", str(out), "--case-only", "--from", "2017"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.geojson"]  # no stale manifest
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    assert (
        "note: no manifest: case.geojson.manifest.json is not beside it" in capsys.readouterr().err
    )


def test_verify_notes_a_kept_file_no_import_names(tmp_path, monkeypatch, capsys):
    from geo.store import Store

    monkeypatch.setenv("GEO_DATA_DIR", str(tmp_path / "store"))
    store = Store.open(tmp_path / "store")
    (store.files_dir / ("ab" * 32)).write_bytes(b"left behind")
    assert main(["verify"]) == 0  # not a fault on its own
    err = capsys.readouterr().err
    assert f"note: files/{'ab' * 32} is kept but no import names it" in err
