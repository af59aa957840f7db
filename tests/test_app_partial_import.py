"""The import dialog with a file some of whose records are bad (AppTest): refused first,
with each record named; importing the good ones is a choice the researcher makes."""

from __future__ import annotations

from pathlib import Path

from geo.store import Store, left_out
from tests.test_app import open_tool, run_app

KML_SAMPLES = Path(__file__).parent / "data" / "partial" / "kml-samples.kml"
CHOICE = "Import the 7 good records and skip this one"


def test_a_refused_file_offers_to_import_its_good_records(monkeypatch, private_store):
    at = run_app(monkeypatch)
    at.text_input(key="analyst").set_value("A. Analyst")
    open_tool(at, "Import")
    at.file_uploader[0].set_value(
        (KML_SAMPLES.name, KML_SAMPLES.read_bytes(), "application/vnd.google-earth.kml+xml")
    ).run()
    assert not at.exception

    # Refused, all or nothing: the problem names the placemark, nothing is stored.
    assert any("was not imported: 1 problem" in e.value for e in at.error)
    table = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    assert table[["record", "name", "field"]].values.tolist() == [
        ["#4", "Descriptive HTML", "geometry"]
    ]
    assert not [b for b in at.button if b.label == "Store as a new layer"]
    assert Store.open(private_store).history() == []

    # The choice, in words: what will be imported and what left out.
    [choice] = [b for b in at.button if b.label == CHOICE]
    assert any("other 7 records have no problem" in i.value for i in at.info)
    choice.click().run()
    assert not at.exception

    store = Store.open(private_store)
    records = store.records()
    assert len(records) == 7 and {r.layer for r in records} == {"kml-samples"}
    assert "Descriptive HTML" not in {r.name for r in records}
    [entry] = store.history()
    assert [(s.record, s.name) for s in left_out(entry)] == [("#4", "Descriptive HTML")]
    assert store.verify() == []
    assert any("1 record of the file left out" in s.value for s in at.success)


def test_a_file_with_no_good_record_offers_no_choice(monkeypatch, private_store):
    at = run_app(monkeypatch)
    open_tool(at, "Import")
    data = b'{"type": "Feature", "geometry": null, "properties": {"name": "Nowhere"}}'
    at.file_uploader[0].set_value(("nowhere.geojson", data, "application/geo+json")).run()
    assert not at.exception
    assert any("was not imported" in e.value for e in at.error)
    assert not [b for b in at.button if b.label.startswith("Import the")]


def test_a_waiting_file_is_read_once_however_often_the_page_runs(monkeypatch, private_store):
    """A click anywhere runs the page again; the file in the uploader (refused or not)
    is not read again each time (a large file, or GDAL's child process, would be)."""
    import ui.transfer

    readings: list[str] = []
    read = ui.transfer.read_upload

    def counted(name: str, data: bytes, **options: object) -> object:
        readings.append(name)
        return read(name, data, **options)

    monkeypatch.setattr(ui.transfer, "read_upload", counted)
    at = run_app(monkeypatch)
    open_tool(at, "Import")
    at.file_uploader[0].set_value(
        (KML_SAMPLES.name, KML_SAMPLES.read_bytes(), "application/vnd.google-earth.kml+xml")
    ).run()
    assert any("was not imported" in e.value for e in at.error)
    for _ in range(3):
        at.text_input(key="analyst").set_value(f"A. Analyst {_}").run()
        assert any("was not imported" in e.value for e in at.error)  # still told, not read
    assert readings == [KML_SAMPLES.name]
    at.checkbox(key="import_repair").check().run()  # another way to read it: read again
    assert readings == [KML_SAMPLES.name] * 2
