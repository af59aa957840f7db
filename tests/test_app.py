"""The Streamlit page, driven by AppTest (no browser; the map itself is tested in test_browser)."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.synthetic import TINY_FILES, TINY_META, record, write_case

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60


def run_app(
    monkeypatch,
    cases_dir: Path | None = None,
    query: dict | None = None,
    timeout: float = TIMEOUT,
) -> AppTest:
    if cases_dir is not None:
        monkeypatch.setenv("GEO_CASES_DIR", str(cases_dir))
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def open_tool(at: AppTest, name: str) -> AppTest:
    """Open one of the tabs below the map: only the open one is built."""
    at.session_state["tool"] = name
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    """The counts line above the map: "Shown: Places 4 of 4 · Imagery records 5 of 5 · …"."""
    line = next(c.value for c in at.caption if c.value.startswith("Shown: "))
    counts = {}
    for part in line.removeprefix("Shown: ").split(" · "):
        label, shown, _of, total = part.rsplit(" ", 3)
        counts[label] = f"{shown} of {total}"
    return counts


def test_shipped_case_opens(monkeypatch):
    at = run_app(monkeypatch)
    assert not at.exception
    assert "Saydnaya" in at.title[0].value
    assert metrics(at) == {
        "Places": "4 of 4",
        "Imagery records": "5 of 5",
        "Facility features": "3 of 3",
        "Events": "7 of 7",
        "Your records": "0 of 0",
    }
    assert at.tabs[0].label == "Timeline" and not at.get("download_button")
    open_tool(at, "Export")
    assert not at.exception
    assert [b.label for b in at.get("download_button")] == ["Download saydnaya-view.zip"]


def test_narrowing_the_dates_changes_the_counts(monkeypatch):
    at = run_app(monkeypatch)
    at.date_input(key="date_from").set_value(date(2015, 1, 10))
    at.date_input(key="date_to").set_value(date(2015, 2, 1)).run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Places"] == "4 of 4"  # places are not dated
    # January 2015 overlaps the range; the day-precise 2010 and 2016 images do not
    imagery_shown = int(shown["Imagery records"].split()[0])
    assert 1 <= imagery_shown < 5
    assert at.query_params["from"] == "2015-01-10"
    assert at.query_params["to"] == "2015-02-01"


def test_the_link_restores_the_view(monkeypatch):
    at = run_app(
        monkeypatch,
        query={"from": "2017-05-01", "to": "2017-05-31", "layers": "place,event", "sel": "geneva"},
    )
    assert not at.exception
    shown = metrics(at)
    assert shown["Imagery records"] == "0 of 5"
    assert shown["Facility features"] == "0 of 3"
    assert at.checkbox(key="layer_imagery").value is False
    assert at.selectbox(key="selected").value == "geneva"
    assert any("Geneva" in m.value for m in at.markdown)


def test_a_link_to_a_record_that_is_not_there(monkeypatch):
    at = run_app(monkeypatch, query={"sel": "no-such-record"})
    assert not at.exception
    assert any("No record 'no\\-such\\-record'" in w.value for w in at.warning)
    assert at.selectbox(key="selected").value is None
    assert "sel" not in at.query_params
    at.run()  # the map's report reruns the page: the note stays until a choice
    assert any("No record 'no\\-such\\-record'" in w.value for w in at.warning)
    at.selectbox(key="selected").select("geneva").run()
    assert not any("No record" in w.value for w in at.warning)


def test_a_very_long_link_value_is_quoted_short(monkeypatch):
    at = run_app(monkeypatch, query={"sel": "x" * 30_000, "layers": ",".join(["bad"] * 50)})
    assert not at.exception
    assert all(len(w.value) < 300 for w in at.warning)
    notes = [w.value for w in at.warning if "Ignored in the link" in w.value]
    assert len(notes) == 1  # one note for fifty of the same unknown layer


def test_a_bad_link_is_reported_not_fatal(monkeypatch):
    at = run_app(monkeypatch, query={"from": "yesterday", "z": "99"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "yesterday" in warnings and "99" in warnings


def test_selecting_a_record_shows_claim_and_source(monkeypatch):
    at = run_app(monkeypatch)
    at.selectbox(key="selected").set_value("saydnaya").run()
    text = "\n".join(m.value for m in at.markdown)
    assert "Sources" in text
    assert "45 minutes" in text


def test_a_broken_case_shows_where_without_a_traceback(monkeypatch, tmp_path):
    files = copy.deepcopy(TINY_FILES)
    files["places.geojson"] = [record("p1", 200, 33)]
    write_case(tmp_path / "broken", files=files)
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception
    assert "could not be loaded" in at.error[0].value
    problems = at.dataframe[0].value.to_string()
    assert "places.geojson" in problems and "p1" in problems and "geometry" in problems


def test_hostile_strings_are_shown_as_text(monkeypatch, tmp_path):
    meta = copy.deepcopy(TINY_META)
    meta["title"] = "Case <script>window.pwned=1</script>"
    meta["summary"] = "[click](javascript:alert(1)) ![x](http://tracker.example/x.png) $x$"
    files = copy.deepcopy(TINY_FILES)
    files["places.geojson"][0]["properties"]["name"] = "<img src=x onerror=alert(1)>"
    write_case(tmp_path / "hostile", meta=meta, files=files)
    at = open_tool(run_app(monkeypatch, tmp_path, query={"sel": "p1"}), "About the case")
    assert not at.exception
    summary = next(m.value for m in at.markdown if "click" in m.value)
    assert "\\[click\\]\\(javascript" in summary
    detail = next(m.value for m in at.markdown if "onerror" in m.value)
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in detail


def test_no_case_folder(monkeypatch, tmp_path):
    at = run_app(monkeypatch, tmp_path / "empty")
    assert not at.exception
    assert "No case found" in at.error[0].value


@pytest.mark.parametrize("layer", ["place", "imagery", "feature", "event"])
def test_turning_a_layer_off(monkeypatch, layer):
    at = run_app(monkeypatch)
    at.checkbox(key=f"layer_{layer}").uncheck().run()
    assert not at.exception
    assert layer not in at.query_params.get("layers", "")


def test_switching_case_starts_a_fresh_view(monkeypatch, tmp_path):
    write_case(tmp_path / "a-case")
    second = copy.deepcopy(TINY_META)
    second["title"] = "The second case"
    write_case(tmp_path / "b-case", meta=second)
    at = run_app(monkeypatch, tmp_path, query={"sel": "p1", "from": "2015-01-01"})
    assert at.selectbox(key="selected").value == "p1"
    at.selectbox(key="case_name").set_value("b-case").run()
    assert not at.exception
    assert "second case" in at.title[0].value
    assert at.selectbox(key="selected").value is None
    assert at.date_input(key="date_from").value == date(2011, 1, 1)
    assert at.query_params["case"] == "b-case"


def test_annotating_a_drawing_saves_it_with_its_analyst(monkeypatch, private_store):
    from geo.mapview import DrawnShape
    from geo.measure import circle_polygon
    from geo.store import Store

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["pending_shape"] = DrawnShape(
        geometry=circle_polygon(36.32861, 33.665, 120.0),
        shape="circle",
        radius_m=120.0,
        centre=(36.32861, 33.665),
    )
    at.run()
    at.text_input(key="analyst").set_value("A. Analyst")
    at.toggle(key="drawing").set_value(True).run()
    assert not at.exception
    at.text_input(key="new_label").set_value("<b>Probable air intake</b>")
    at.text_input(key="new_date").set_value("2015-01")
    at.text_input(key="new_as_stated").set_value("January 2015 image")
    at.selectbox(key="new_confidence").set_value("probable")
    _button(at, "Save annotation").click()
    at.run()
    assert not at.exception
    [saved] = Store.open(private_store).records()
    assert saved.name == "<b>Probable air intake</b>"
    assert saved.date == "2015-01" and saved.properties["confidence"] == "probable"
    assert saved.properties["analyst"] == "A. Analyst"
    assert saved.properties["radius_m"] == 120.0
    assert Store.open(private_store).history()[-1].analyst == "A. Analyst"
    assert metrics(at)["Your records"] == "1 of 1"


def test_a_bad_date_in_the_form_is_explained(monkeypatch, private_store):
    from geo.mapview import DrawnShape
    from geo.store import Store

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["pending_shape"] = DrawnShape(
        geometry={"type": "Point", "coordinates": [36.3, 33.6]}, shape="point"
    )
    at.run()
    at.text_input(key="analyst").set_value("A. Analyst")
    at.toggle(key="drawing").set_value(True).run()
    at.text_input(key="new_label").set_value("Gate")
    at.text_input(key="new_date").set_value("18/01/2015")
    _button(at, "Save annotation").click()
    at.run()
    assert any("18/01/2015" in e.value and "EDTF" in e.value for e in at.error)
    assert Store.open(private_store).records() == []


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_edit_then_delete_an_annotation(monkeypatch, private_store):
    from geo.records import ANNOTATIONS_LAYER, Kind, LayerRecord
    from geo.store import Store

    store = Store.open(private_store)
    saved = store.add(
        LayerRecord(
            id="",
            layer=ANNOTATIONS_LAYER,
            kind=Kind.FEATURE,
            name="Stack?",
            geometry={"type": "Point", "coordinates": [36.3287, 33.6651]},
            properties={"analyst": "First Analyst", "confidence": "possible"},
        ),
        analyst="First Analyst",
    )
    at = run_app(monkeypatch, query={"sel": saved.id})
    at.text_input(key="analyst").set_value("Second Analyst").run()
    at.text_input(key=f"edit_{saved.id}_label").set_value("Discharge stack (my reading)")
    at.selectbox(key=f"edit_{saved.id}_confidence").set_value("probable")
    _button(at, "Save changes").click().run()
    assert not at.exception
    [edited] = store.records()
    assert edited.name == "Discharge stack (my reading)"
    assert edited.properties["confidence"] == "probable"
    assert edited.properties["analyst"] == "First Analyst"  # the author stays
    assert store.history()[-1].analyst == "Second Analyst"

    at.checkbox(key=f"sure_{saved.id}").check().run()
    _button(at, "Delete").click().run()
    assert not at.exception
    assert store.records() == []
    assert [entry.action.value for entry in store.history()] == ["create", "edit", "delete"]
    # the deleted record is no longer selected, and the address names no record
    assert at.selectbox(key="selected").value is None
    assert "sel" not in at.query_params
    at.checkbox(key="layer_event").uncheck().run()
    assert not at.exception and "sel" not in at.query_params
    assert store.verify() == []


def test_history_lists_changes_and_verifies(monkeypatch, private_store):
    from geo.records import ANNOTATIONS_LAYER, Kind, LayerRecord
    from geo.store import Store

    Store.open(private_store).add(
        LayerRecord(
            id="",
            layer=ANNOTATIONS_LAYER,
            kind=Kind.OTHER,
            name="<script>x</script>",
            geometry={"type": "Point", "coordinates": [36.3, 33.6]},
        ),
        analyst="A. Analyst",
    )
    at = open_tool(run_app(monkeypatch), "History")
    history = next(d for d in at.dataframe if "analyst" in d.value.columns)
    assert history.value["action"].tolist() == ["create"]
    _button(at, "Verify the history and the kept files").click().run()
    assert any("Intact: 1 history entries" in s.value for s in at.success)


@pytest.mark.parametrize("spelling", ["Sednaya", "Saidnaya", "صيدنايا"])
def test_find_saydnaya_by_any_spelling_and_add_it(monkeypatch, private_store, spelling):
    from geo.store import Store

    at = run_app(monkeypatch)
    at.text_input(key="analyst").set_value("A. Analyst")
    open_tool(at, "Find places")
    at.text_input(key="place_query").set_value(spelling)
    _button(at, "Search").click().run()
    assert not at.exception
    results = next(
        d for d in at.dataframe if "source" in d.value.columns and "where" in d.value.columns
    )
    assert results.value["name"].iloc[0] == "Saydnaya military prison"
    _button(at, "Add to my places").click().run()
    [place] = Store.open(private_store).records()
    assert place.kind == "place" and place.name == "Saydnaya military prison"
    assert place.properties["position_source"]


def test_online_search_fails_gracefully_offline(monkeypatch, private_store):
    monkeypatch.setenv("GEO_GEOCODER_DOMAIN", "127.0.0.1:9")  # nothing listens: refused at once
    monkeypatch.setenv("GEO_GEOCODER_SCHEME", "http")
    at = run_app(monkeypatch)
    at.toggle(key="online_search").set_value(True)
    open_tool(at, "Find places")
    at.text_input(key="place_query").set_value("Sednaya")
    _button(at, "Search").click().run()
    assert not at.exception
    assert any("offline place search still works" in w.value for w in at.warning)
    results = next(d for d in at.dataframe if "where" in d.value.columns)
    assert "Saydnaya military prison" in results.value["name"].tolist()


def test_article_to_places_with_sentences_as_sources(monkeypatch, private_store):
    from geo.case import DEFAULT_CASE_DIR
    from geo.store import Store

    text = (DEFAULT_CASE_DIR / "texts" / "article-2017-05-15.txt").read_text(encoding="utf-8")
    at = run_app(monkeypatch)
    at.text_input(key="analyst").set_value("A. Analyst")
    open_tool(at, "Find places")
    at.text_area(key="article_text").set_value(text)
    _button(at, "Find the places in the text").click().run()
    assert not at.exception
    found = [s.label for s in at.selectbox if s.key and s.key.startswith("mention_")]
    assert {"“Saydnaya”", "“Damascus”", "“Astana”", "“Geneva”"} <= set(found)
    # reject one, accept the rest
    at.selectbox(key=f"mention_{found.index('“Geneva”')}").set_value(
        len(at.selectbox(key=f"mention_{found.index('“Geneva”')}").options) - 1
    )
    _button(at, "Add the accepted places").click().run()
    assert not at.exception
    store = Store.open(private_store)
    places = {r.name: r for r in store.records()}
    assert "Geneva" not in places and "Damascus" in places
    quote = places["Damascus"].properties["sources"][0]["quote"]
    assert "about 45 minutes from Damascus" in quote and quote in text
    [kept] = store.files()
    assert store.file_path(kept.sha256).read_text(encoding="utf-8") == text


# Every control that changes state, pressed as a person would: no exception box, and
# the change shows where it should (the record panel, the address, the store).


def test_adding_a_found_place_selects_it_and_keeps_the_page(monkeypatch, private_store):
    from geo.store import Store

    at = run_app(monkeypatch)
    at.text_input(key="analyst").set_value("A. Analyst")
    open_tool(at, "Find places")
    at.text_input(key="place_query").set_value("Sednaya")
    _button(at, "Search").click().run()
    _button(at, "Add to my places").click().run()
    assert not at.exception  # was StreamlitWidgetAlreadyInstantiatedError
    [place] = Store.open(private_store).records()
    assert at.selectbox(key="selected").value == place.id
    assert at.query_params["sel"] == place.id
    # the tools below the map are all still there
    labels = [tab.label for tab in at.tabs]
    for tab in ("Timeline", "Find places", "Import", "History", "Export"):
        assert tab in labels
    # a rerun does not press the button again: still one place
    at.run()
    assert len(Store.open(private_store).records()) == 1


def test_a_new_search_offers_its_own_results(monkeypatch, private_store):
    at = run_app(monkeypatch)
    open_tool(at, "Find places")
    at.text_input(key="place_query").set_value("Sednaya")
    _button(at, "Search").click().run()
    first = next(s for s in at.selectbox if s.label.startswith("Add which one"))
    assert "Saydnaya" in first.format_func(first.value)
    open_tool(at, "Find places")
    at.text_input(key="place_query").set_value("Nur-Sultan")
    _button(at, "Search").click().run()
    assert not at.exception
    second = next(s for s in at.selectbox if s.label.startswith("Add which one"))
    assert "Astana" in second.format_func(second.value)  # not the last search's choice


def test_zoom_to_place_moves_the_map_and_the_address(monkeypatch):
    from geo.case import DEFAULT_CASE_DIR, load_case

    damascus = load_case(DEFAULT_CASE_DIR).record("damascus")
    at = run_app(monkeypatch)
    assert at.query_params["z"] == "15"  # the case's own view: the prison
    at.selectbox(key="zoom_place").set_value("damascus").run()
    assert not at.exception
    assert float(at.query_params["lat"]) == pytest.approx(damascus["lat"], abs=1e-5)
    assert float(at.query_params["lon"]) == pytest.approx(damascus["lon"], abs=1e-5)
    assert at.query_params["z"] == "13"
    first = at.session_state["map_session"].move
    # the chooser is ready for the next place; the same place again is a new move
    assert at.selectbox(key="zoom_place").value is None
    at.selectbox(key="zoom_place").set_value("damascus").run()
    second = at.session_state["map_session"].move
    assert second.serial == first.serial + 1
    assert second.component_args() != first.component_args()


def test_show_on_map_and_the_records_at_one_position(monkeypatch):
    at = run_app(monkeypatch, query={"sel": "feat-firewall", "z": "8"})
    assert not at.exception
    _button(at, "Show on map").click().run()
    assert not at.exception
    assert at.query_params["z"] == "15"
    assert at.session_state["map_session"].move.center == pytest.approx((33.665, 36.32861))
    # the panel lists every record drawn at the same position, each a button
    goto = [b for b in at.button if b.key and b.key.startswith("goto_")]
    assert {b.key for b in goto} >= {"goto_feat-discharge-stack", "goto_saydnaya"}
    next(b for b in goto if b.key == "goto_feat-discharge-stack").click().run()
    assert not at.exception
    assert at.selectbox(key="selected").value == "feat-discharge-stack"
    assert at.query_params["sel"] == "feat-discharge-stack"


def test_a_measurement_can_be_kept_as_an_annotation(monkeypatch, private_store):
    from geo.mapview import DrawnShape
    from geo.store import Store

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    line = {"type": "LineString", "coordinates": [[36.325, 33.667], [36.333, 33.667]]}
    at.session_state["pending_shape"] = DrawnShape(geometry=line, shape="line", measured=True)
    at.run()
    assert not at.exception
    # offered without turning on the drawing tools
    assert any("Keep this measured line" in m.value for m in at.markdown)
    at.text_input(key="analyst").set_value("A. Analyst")
    at.text_input(key="new_label").set_value("Wall length")
    _button(at, "Save annotation").click()
    at.run()
    assert not at.exception
    [kept] = Store.open(private_store).records()
    assert kept.name == "Wall length" and kept.geometry == line
    assert 700 < kept.properties["length_m"] < 800


def test_discarding_a_drawing(monkeypatch, private_store):
    from geo.mapview import DrawnShape
    from geo.store import Store

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["pending_shape"] = DrawnShape(
        geometry={"type": "Point", "coordinates": [36.3, 33.6]}, shape="point"
    )
    at.run()
    at.toggle(key="drawing").set_value(True).run()
    _button(at, "Discard this drawing").click().run()
    assert not at.exception
    assert at.session_state["pending_shape"] is None
    assert not any(m.value.startswith("**New point") for m in at.markdown)
    assert Store.open(private_store).records() == []


def test_no_error_box_links_to_outside_help():
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorLinks"] is False
    assert config["browser"]["gatherUsageStats"] is False


@pytest.mark.parametrize(
    "query",
    [{"from": "1899-12-31"}, {"to": "0001-01-01"}, {"from": "2500-01-01", "to": "2600-01-01"}],
)
def test_a_link_outside_the_cases_dates_is_clamped(monkeypatch, query):
    at = run_app(monkeypatch, query=query)
    assert not at.exception
    first, last = at.date_input(key="date_from").value, at.date_input(key="date_to").value
    assert date(2010, 3, 3) <= first <= last <= date(2017, 5, 15)
    assert any("outside the case's dates" in c.value for c in at.caption)


def test_a_record_dated_before_1900_keeps_the_page(monkeypatch, tmp_path):
    from geo.synthetic import dated

    files = copy.deepcopy(TINY_FILES)
    files["events.geojson"] = [dated("ev-old", "1500"), dated("ev-older", "0001")]
    write_case(tmp_path / "old", files=files)
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception
    assert at.date_input(key="date_from").value == date(1, 1, 1)
    assert metrics(at)["Events"] == "2 of 2"


def test_a_filter_that_empties_every_layer_keeps_the_map(monkeypatch):
    at = run_app(monkeypatch)
    at.date_input(key="date_from").set_value(date(2011, 1, 1))
    at.date_input(key="date_to").set_value(date(2011, 1, 2)).run()
    assert not at.exception
    at.date_input(key="date_to").set_value(date(2010, 6, 1)).run()  # before From
    assert not at.exception
    assert any("before 'From'" in e.value for e in at.error)


def test_a_damaged_store_row_is_named_and_the_rest_stays_usable(monkeypatch, private_store):
    import sqlite3

    from geo.records import Kind, LayerRecord
    from geo.store import Store

    store = Store.open(private_store)
    kept = [
        LayerRecord(
            id=f"site-{n}",
            layer="",
            kind=Kind.EVENT,
            name=f"Site {n}",
            geometry={"type": "Point", "coordinates": [36.3 + n / 100, 33.6]},
        )
        for n in range(3)
    ]
    store.import_layer(
        "Survey", kept, analyst="A. Analyst", file_name="survey.geojson", file_bytes=b"{}"
    )
    with sqlite3.connect(store.db_path) as conn:  # changed behind the app's back
        conn.execute("UPDATE records SET geometry = '{not json' WHERE id = 'site-1'")
        conn.execute("UPDATE records SET kind = 'spaceship' WHERE id = 'site-2'")
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("DROP TRIGGER history_no_update")
        conn.execute("UPDATE history SET action = 'teleport' WHERE seq = 1")

    at = run_app(monkeypatch)
    assert not at.exception
    assert metrics(at)["Your records"] == "1 of 1"
    assert any("2 records of yours could not be read" in w.value for w in at.warning)
    at = open_tool(at, "History")
    assert not at.exception
    damaged = next(d for d in at.dataframe if "what is wrong" in d.value.columns)
    assert sorted(damaged.value["record"]) == ["site-1", "site-2"]
    history = next(d for d in at.dataframe if "analyst" in d.value.columns)
    assert history.value["action"].tolist() == ["teleport"]
    _button(at, "Verify the history and the kept files").click().run()
    assert not at.exception
    assert any("integrity problems" in e.value for e in at.error)


def test_catalogue_search_is_off_until_online_search_is_on(monkeypatch):
    at = run_app(monkeypatch)
    open_tool(at, "Imagery")
    at.radio(key="imagery_task").set_value("catalogue").run()
    assert not at.exception
    assert any("Catalogue search is off" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Search the catalogue"]


def test_catalogue_search_add_two_items_and_fetch_pixels(monkeypatch, private_store, tmp_path):
    from geo.stac import is_catalogue_record
    from geo.store import Store
    from tests.fake_stac import FakeStac

    with FakeStac(tmp_path) as fake:
        monkeypatch.setenv("GEO_STAC_URL", fake.url)
        monkeypatch.setenv("GEO_STAC_TIMEOUT", "5")
        at = run_app(monkeypatch, query={"lat": "33.665", "lon": "36.3286", "z": "12"})
        at.text_input(key="analyst").set_value("A. Analyst")
        at.toggle(key="online_search").set_value(True)
        open_tool(at, "Imagery")
        at.radio(key="imagery_task").set_value("catalogue").run()
        at.date_input(key="stac_from").set_value(date(2024, 5, 1))
        at.date_input(key="stac_to").set_value(date(2024, 5, 31))
        _button(at, "Search the catalogue").click().run()
        assert not at.exception, at.exception
        results = next(d for d in at.dataframe if "cloud cover %" in d.value.columns)
        assert results.value["date"].tolist() == ["2024-05-03", "2024-05-08", "2024-05-13"]
        at.multiselect(key="stac_chosen_0").set_value(
            ["S2A_37SBT_20240503_0_L2A", "S2B_37SBT_20240513_0_L2A"]
        ).run()
        _button(at, "Add to my records").click().run()
        assert not at.exception, at.exception
        store = Store.open(private_store)
        added = [r for r in store.records() if is_catalogue_record(r)]
        assert sorted(r.date for r in added) == ["2024-05-03", "2024-05-13"]
        # the date filter takes the new records in, so the map shows them
        assert at.date_input(key="date_to").value >= date(2024, 5, 13)
        assert not at.multiselect(key="stac_chosen_1").value
        fetch = next(b for b in at.button if b.label.startswith("Fetch the pixels ("))
        assert fetch.label.endswith(" kB)")  # the fake COG is small
        fetch.click().run()
        assert not at.exception, at.exception
        images = [r for r in store.records() if "sha256" in r.properties]
        assert len(images) == 1 and images[0].date in ("2024-05-03", "2024-05-13")


def _two_images(data_dir: Path, tmp_path: Path) -> list[str]:
    """Two dated images of the site in the store the page opens: their record ids."""
    import numpy as np

    from geo.imagery.importing import ImageryFacts, import_image
    from geo.imagery.synthetic import write_raster
    from geo.store import Store

    store = Store.open(data_dir)
    ids = []
    for value, when, stated in ((60, "2013-09", "September 2013"), (200, "2016", "2016")):
        path = write_raster(tmp_path / f"{when}.tif", np.full((3, 32, 32), value, np.uint8))
        receipt = import_image(
            store,
            path.read_bytes(),
            file_name=path.name,
            facts=ImageryFacts(name=f"site {when}", date=when, date_as_stated=stated),
            analyst="test",
        )
        ids.append(store.records(receipt.layer)[0].id)
    return ids


@pytest.mark.parametrize("missing", ["no-such-image", "img-2010-03-03-amnesty-before", "x" * 5_000])
def test_a_link_comparing_an_image_that_is_not_there_says_so(
    monkeypatch, private_store, tmp_path, missing
):
    # The link named an image that is not one of yours (gone, a case record with no
    # pixels, made up); the page compared another one in its place and said nothing.
    earlier, later = _two_images(private_store, tmp_path)
    at = run_app(monkeypatch, query={"earlier": missing, "later": later})
    assert not at.exception
    notes = " ".join(w.value for w in at.warning)
    assert "no comparison is shown" in notes and len(notes) < 400
    assert at.toggle(key="comparing").value is False
    assert "earlier" not in at.query_params and "later" not in at.query_params
    at.run()  # the map's report reruns the page: the note stays until the next choice
    assert "no comparison is shown" in " ".join(w.value for w in at.warning)
    at.toggle(key="comparing").set_value(True).run()
    assert not at.exception
    assert "no comparison is shown" not in " ".join(w.value for w in at.warning)
    assert {at.query_params["earlier"], at.query_params["later"]} == {earlier, later}


def test_a_link_comparing_two_images_compares_them(monkeypatch, private_store, tmp_path):
    earlier, later = _two_images(private_store, tmp_path)
    at = run_app(monkeypatch, query={"earlier": later, "later": earlier, "mode": "fade"})
    assert not at.exception and not at.warning
    assert at.toggle(key="comparing").value is True
    assert (at.query_params["earlier"], at.query_params["later"]) == (earlier, later)
    assert at.query_params["mode"] == "fade"


def test_a_file_in_the_uploader_is_kept_while_another_tab_is_open(monkeypatch, private_store):
    """Only the open tab is built, but for those with an uploader: Streamlit forgets a
    widget a run does not draw, and the researcher's chosen file with it."""
    kml = Path(APP).parent / "tests" / "data" / "imports" / "placemarks.kml"
    at = run_app(monkeypatch)
    open_tool(at, "Import")
    at.file_uploader[0].set_value((kml.name, kml.read_bytes(), "application/xml")).run()
    assert [b for b in at.button if b.label == "Store as a new layer"]
    open_tool(at, "Timeline")
    open_tool(at, "Import")
    assert not at.exception
    assert [b for b in at.button if b.label == "Store as a new layer"]
