"""The map's layer data (`geo.mapdata`) and the route that serves it (`ui.routes`)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from geo.mapdata import LABEL_CHUNK, LABEL_COLUMNS, MAP_DATA, MapData, epoch_day, layer_data
from geo.mapview import map_layer_data, map_layers
from geo.query import date_mask
from geo.records import Kind
from tests.routes import answer
from ui.routes import map_labels, map_layer


def browser_mask(body: dict, start: date | None, end: date | None) -> list[bool]:
    """The date rule of static/js/record-layer.js (`shownMask`), line for line."""
    first, last = epoch_day(start), epoch_day(end)
    empty = first is not None and last is not None and last < first
    shown = []
    for s, e in zip(body["start"], body["end"], strict=True):
        if s is None:
            shown.append(True)
        elif empty or (last is not None and s > last) or (first is not None and e < first):
            shown.append(False)
        else:
            shown.append(True)
    return shown


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, None),
        (date(2015, 1, 10), None),  # "January 2015" overlaps: shown
        (None, date(2014, 12, 31)),
        (date(2015, 2, 1), date(2015, 2, 1)),
        (date(2016, 1, 1), date(2010, 1, 1)),  # ends before it starts: nothing dated
        (date(2013, 1, 1), date(2016, 12, 31)),
    ],
)
def test_the_body_gives_the_browser_the_date_rule_of_the_page(shipped_case, start, end):
    records = shipped_case.records
    body = json.loads(layer_data(records, radii=False).body)
    assert body["ids"] == records["id"].tolist()
    assert browser_mask(body, start, end) == date_mask(records, start, end).tolist()


def test_days_are_counted_from_1970_and_undated_is_null(shipped_case):
    body = json.loads(layer_data(shipped_case.records, radii=True).body)
    assert epoch_day(date(1970, 1, 2)) == 1
    for record_id, start, end in zip(body["ids"], body["start"], body["end"], strict=True):
        row = shipped_case.record(record_id)
        if pd.isna(row["date_start"]):
            assert start is None and end is None
        else:
            assert start == epoch_day(row["date_start"].date())
            assert end == epoch_day(row["date_end"].date())


def test_a_month_is_drawn_for_its_whole_month(shipped_case):
    body = json.loads(layer_data(shipped_case.records, radii=True).body)
    index = next(i for i, rid in enumerate(body["ids"]) if rid.startswith("img-2015"))
    assert body["start"][index] == epoch_day(date(2015, 1, 1))
    assert body["end"][index] == epoch_day(date(2015, 1, 31))


def test_a_layer_is_kept_by_its_hash_and_built_once(shipped_case):
    cache = MapData(kept=2)
    builds = []

    def build(kind: Kind):
        builds.append(kind)
        [layer] = map_layers([kind])
        return map_layer_data(shipped_case.records, layer)

    places = cache.layer(("v1", "places"), lambda: build(Kind.PLACE))
    assert cache.layer(("v1", "places"), lambda: build(Kind.PLACE)) is places
    assert builds == [Kind.PLACE]
    assert cache.body(places.sha256) == places.body
    cache.layer(("v1", "events"), lambda: build(Kind.EVENT))
    cache.layer(("v1", "features"), lambda: build(Kind.FEATURE))
    # the least recently used went
    assert cache.body(places.sha256) is None
    assert cache.body("0" * 64) is None


def test_labels_come_in_chunks():
    n = LABEL_CHUNK + 5
    records = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "layer": "Survey",
            "kind": "point",
            "name": [f"Point <{i}>" for i in range(n)],
            "lon": np.linspace(30, 31, n),
            "lat": 33.0,
            "uncertainty_m": np.nan,
            "date": None,
            "date_as_stated": None,
            "date_start": pd.NaT,
            "date_end": pd.NaT,
            "date_precision": None,
            "geometry": [{"type": "Point", "coordinates": [30.0, 33.0]}] * n,
            "properties": [{}] * n,
            "claim": None,
            "confidence": None,
            "position_basis": None,
            "file": "survey.geojson",
        }
    )
    cache = MapData()
    data = cache.layer("survey", lambda: layer_data(records, radii=False))
    first = json.loads(cache.labels(data.sha256, 0))
    second = json.loads(cache.labels(data.sha256, 1))
    assert len(first) == LABEL_CHUNK and len(second) == 5
    assert first[3].startswith("<b>Point &lt;3&gt;</b>")
    assert second[0].startswith(f"<b>Point &lt;{LABEL_CHUNK}&gt;</b>")
    assert cache.labels(data.sha256, 2) is None
    assert cache.labels(data.sha256, -1) is None


def test_the_route_serves_what_the_page_built(shipped_case):
    [layer] = map_layers([Kind.EVENT])
    data = MAP_DATA.layer(
        ("route-test", layer), lambda: map_layer_data(shipped_case.records, layer)
    )
    response = answer(map_layer, {"sha256": data.sha256})
    assert response.status_code == 200 and response.body == data.body
    assert response.headers["content-type"] == "application/json"
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"
    labels = answer(map_labels, {"sha256": data.sha256, "chunk": 0})
    assert json.loads(labels.body) == data.labels()
    assert answer(map_layer, {"sha256": "f" * 64}).status_code == 404
    assert answer(map_labels, {"sha256": data.sha256, "chunk": 9}).status_code == 404


def test_a_change_to_the_store_rebuilds_only_the_researchers_layers(shipped_case):
    from geo.mapview import drawn_layers
    from geo.records import LayerRecord
    from geo.workspace import combined_records

    mine = [
        LayerRecord(
            id="ann-1",
            layer="Annotations",
            kind=Kind.OTHER,
            name="A point",
            geometry={"type": "Point", "coordinates": [36.3, 33.6]},
            properties={},
        )
    ]
    records = combined_records(shipped_case, mine)
    cache = MapData()
    before = dict(
        drawn_layers(records, "case-1", "store-1", researcher=["Annotations"], cache=cache)
    )
    after = dict(
        drawn_layers(records, "case-1", "store-2", researcher=["Annotations"], cache=cache)
    )
    for layer, data in before.items():
        if layer.kind is None:
            assert after[layer] is not data  # built again for the store's new revision
        else:
            assert after[layer] is data  # the case's layers are kept as they were
    # what a kept layer holds of its records is what its labels need
    assert list(next(iter(after.values())).records.columns) == LABEL_COLUMNS
