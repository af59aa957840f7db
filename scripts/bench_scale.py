"""The benchmark's scale table: every goal of issue 11 at several case sizes, in one run.

    .venv/bin/python scripts/benchmark.py --scale 1000,10000,100000,1000000 --out bench/

For each size a synthetic case is written, then measured against what it is compared
with in the same run: loading against a plain orjson parse of its files; the map's
Python per rerun against the same at the smallest size; exports against their floors
and geopandas; and the page in headless Chromium (`bench_browser.measure_page`).
Writes ``scale.md`` (the table, with each goal and whether it is met) and
``scale.png`` (cost against N, log-log) to the output folder.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamlit_folium import generate_leaflet_string

from geo.case import Case, load_case
from geo.mapdata import MapData
from geo.mapview import base_map, drawn_layers, record_groups
from geo.synthetic import TINY_META, synthetic_files, write_case

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Column:
    """The measurements at one size."""

    records: int
    values: dict[str, float] = field(default_factory=dict)


def map_rows(case: Case) -> dict[str, float]:
    """The map's part of a rerun, in Python: the layers (built once per version of the
    case, then taken from the cache), their script and the map's; and the bytes of
    script a rerun sends."""
    cache = MapData()
    start = time.perf_counter()
    drawn_layers(case.records, "bench", "bench", cache=cache)
    first = time.perf_counter() - start
    reruns = []
    for _ in range(3):
        start = time.perf_counter()
        layers = drawn_layers(case.records, "bench", "bench", cache=cache)
        folium_map = base_map(case)
        groups = record_groups(layers, None, None)
        script = generate_leaflet_string(folium_map) + "".join(
            generate_leaflet_string(group.add_to(folium_map)) for group in groups
        )
        reruns.append(time.perf_counter() - start)
    return {
        "map_layers_built_s": first,
        "map_rerun_s": min(reruns),
        "map_script_kb": len(script) / 1000,
        "map_data_mb": sum(len(data.body) for _, data in layers) / 1e6,
    }


def page_rows(cases: Path, data: Path) -> dict[str, float]:
    """The whole page's Python (Streamlit's AppTest): its first run (the case loaded)
    and a rerun after a layer is switched off, as a researcher's click causes."""
    from streamlit.testing.v1 import AppTest

    os.environ["GEO_CASES_DIR"], os.environ["GEO_DATA_DIR"] = str(cases), str(data)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
    start = time.perf_counter()
    app.run()
    first = time.perf_counter() - start
    events = next(box for box in app.sidebar.checkbox if box.label == "Events")
    reruns = []
    for _ in range(2):
        start = time.perf_counter()
        events.set_value(not events.value).run()
        reruns.append(time.perf_counter() - start)
    return {"page_first_run_s": first, "page_rerun_s": min(reruns)}


def measure(records: int, scratch: Path, *, browser: bool) -> Column:
    from benchmark import export_rows, load_rows

    column = Column(records)
    cases = scratch / f"cases-{records}"
    folder = cases / "bench"
    write_case(folder, TINY_META, synthetic_files(records))
    print(f"-- {records:,} records", flush=True)
    floor, _, load = load_rows(folder)
    column.values |= {
        "orjson_parse_s": floor.seconds,
        "load_s": load.seconds,
        "load_x_parse": load.cpu_seconds / floor.cpu_seconds,
        "load_memory_x_files": load.memory,
    }
    case = load_case(folder)
    column.values |= map_rows(case)
    exports = {label.strip(): took for label, took in export_rows(case)}

    def cpu(prefix: str) -> float:
        # (wall, CPU) seconds: ratios of CPU time, steadier on a shared machine
        return next(took[1] for label, took in exports.items() if label.startswith(prefix))

    geojson = cpu("export GeoJSON")
    column.values |= {
        "export_geojson_s": geojson,
        "export_x_orjson": geojson / cpu("floor: orjson"),
        "kml_x_floor": cpu("export KML") / cpu("floor: Placemarks"),
        "csv_x_floor": cpu("export CSV") / cpu("floor: csv.writer"),
    }
    if any(label.startswith("geopandas") for label in exports):
        column.values["geopandas_x_export"] = cpu("geopandas") / geojson
    del case
    column.values |= page_rows(cases, scratch / f"page-data-{records}")
    if browser:
        from bench_browser import measure_page

        page = measure_page(cases, scratch / f"data-{records}")
        column.values |= {
            "page_s": page["page_s"],
            "records_drawn_s": page["records_s"] - page["page_s"],
            "redraw_ms": page["redraw_ms"],
            "pan_fps": page["pan_fps"],
            "pick_ms": page["pick_ms"],
            "heap_mb": page["heap_mb"],
            "rerun_kb": page["rerun_kb"],
        }
    print({key: round(value, 3) for key, value in column.values.items()}, flush=True)
    return column


# (key, what it is, the goal as text, the test of the goal or None)
ROWS: list[tuple[str, str, str, Any]] = [
    ("orjson_parse_s", "parse the files with orjson (s)", "", None),
    ("load_s", "load and validate (s)", "", None),
    ("load_x_parse", "load ÷ orjson parse (CPU)", "≤ 2 at 100k", lambda v: v <= 2),
    ("load_memory_x_files", "load's peak memory ÷ files", "≤ 3 at 100k", lambda v: v <= 3),
    ("page_first_run_s", "page's first run, the case loaded (s)", "", None),
    ("page_rerun_s", "page's Python per rerun, a layer switched (s)", "", None),
    ("map_layers_built_s", "map layers built, once per version (s)", "", None),
    ("map_rerun_s", "map's Python per rerun (s)", "≤ 0.3 at 100k", lambda v: v <= 0.3),
    ("map_script_kb", "map script per rerun (kB)", "", None),
    ("map_data_mb", "map data, fetched once per version (MB)", "", None),
    ("rerun_kb", "websocket per rerun, whole page (kB)", "≤ 50 at 100k", lambda v: v <= 50),
    ("page_s", "page opened to map shown (s)", "", None),
    ("records_drawn_s", "map shown to every record drawn (s)", "≤ 2 at 100k", lambda v: v <= 2),
    ("redraw_ms", "redraw every layer (ms)", "", None),
    ("pan_fps", "frames a second while panning", "≥ 30", lambda v: v >= 30),
    ("pick_ms", "find the records under the pointer (ms)", "", None),
    ("heap_mb", "browser JS heap (MB)", "", None),
    ("export_geojson_s", "export GeoJSON (CPU s)", "", None),
    ("export_x_orjson", "export GeoJSON ÷ orjson floor", "≤ 3", lambda v: v <= 3),
    ("geopandas_x_export", "geopandas to_json ÷ export", "≥ 3", lambda v: v >= 3),
    ("kml_x_floor", "export KML ÷ its floor", "≤ 3", lambda v: v <= 3),
    ("csv_x_floor", "export CSV ÷ its floor", "≤ 3", lambda v: v <= 3),
]


def table(columns: list[Column]) -> str:
    head = "| | " + " | ".join(f"{c.records:,}" for c in columns) + " | goal | met at 100k |"
    lines = [head, "|---" * (len(columns) + 3) + "|"]
    target = next((c for c in columns if c.records == 100_000), columns[-1])
    for key, label, goal, test in ROWS:
        cells = [_cell(c.values.get(key)) for c in columns]
        value = target.values.get(key)
        met = "" if test is None or value is None else ("yes" if test(value) else "**no**")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {goal} | {met} |")
    return "\n".join(lines) + "\n"


def _cell(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


PLOTTED = {
    "orjson_parse_s": "orjson parse",
    "load_s": "load and validate",
    "map_layers_built_s": "map layers built (once)",
    "map_rerun_s": "map's Python per rerun",
    "page_rerun_s": "page's Python per rerun",
    "records_drawn_s": "browser: records drawn",
    "export_geojson_s": "export GeoJSON",
}


def plot(columns: list[Column], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 5))
    for key, label in PLOTTED.items():
        points = [(c.records, c.values[key]) for c in columns if key in c.values]
        if points:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, marker="o", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("records in the case")
    axes.set_ylabel("seconds")
    axes.set_title("Cost against the size of the case (one run)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def run(sizes: list[int], out: Path, *, browser: bool = True) -> str:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        columns = [measure(n, Path(scratch), browser=browser) for n in sizes]
    text = (
        "Measured by `scripts/benchmark.py --scale` on one machine, in one run; the browser "
        "is headless Chromium rendering in software.\n\n" + table(columns)
    )
    (out / "scale.md").write_text(text, encoding="utf-8")
    plot(columns, out / "scale.png")
    return text
