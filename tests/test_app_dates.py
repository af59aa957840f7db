"""The import dialog's date column and format (ui/transfer.py), driven by AppTest."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from geo.store import Store
from tests.test_app import APP, TIMEOUT, open_tool

IMPORTS = Path(__file__).resolve().parent / "data" / "imports"


def upload(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    open_tool(at, "Import")
    at.get("file_uploader")[0].upload(name, (IMPORTS / name).read_bytes(), "text/csv")
    return at.run()


def column_box(at: AppTest):
    return next(box for box in at.selectbox if box.label == "Date column")


def test_the_dialog_detects_the_date_column_and_takes_another(monkeypatch, private_store):
    at = upload("acled-like-export.csv")
    assert not at.exception
    box = column_box(at)
    assert box.value == "event_date"
    # the columns offered are the file's, after a first read
    assert {"event_date", "year", "timestamp", "notes"} <= set(box.options)
    assert any("'timestamp'" in w.value for w in at.warning)

    column_box(at).set_value("timestamp")
    fmt = next(box for box in at.selectbox if box.label == "Date format")
    fmt.set_value("epoch-seconds")
    at.run()
    assert not at.exception and not at.error
    assert any("'event\\_date'" in w.value for w in at.warning)  # now unused, and said so

    at.text_input(key="analyst").set_value("A. Analyst")
    at.button(key="import_go").click().run()
    assert not at.exception
    records = Store.open(private_store).records()
    assert sorted((r.date, r.date_as_stated) for r in records) == [
        ("2017-03-08", "2017-03-08T19:06:40Z"),
        ("2017-03-08", "2017-03-08T19:06:40Z"),
        ("2017-03-31", "2017-03-31T22:40:00Z"),
    ]


def test_column_names_are_shown_as_they_are(monkeypatch, private_store):
    """A select box shows plain text (no Markdown): a name is shown, not run or escaped."""
    hostile = "![x](http://example.com/x.png) *bold*"
    csv = f"lat,lon,date,{hostile}\n33.5,36.3,2017-03,a\n".encode()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    open_tool(at, "Import")
    at.get("file_uploader")[0].upload("h.csv", csv, "text/csv").run()
    box = column_box(at)
    assert box.value == "date"
    assert hostile in box.options
