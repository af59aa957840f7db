#!/usr/bin/env python3
"""Time the explorer's hot paths on a synthetic case of N records (default 20,000).

    .venv/bin/python scripts/benchmark.py [--records N] [--keep DIR] [--raster-size N]
                                          [--exports-only]
    .venv/bin/python scripts/benchmark.py --scale 1000,10000,100000,1000000 [--out DIR]

Writes a case of N records (places, imagery, features and events with dates
of every precision) to a temporary folder, then times loading and validating
it (and, in fresh processes, that load against a plain parse of its files, time
and peak memory: `load_rows`), filtering by date, building the map, rendering
it as st_folium does, and exporting GeoJSON. Then it writes a researcher's image,
a tiled, compressed GeoTIFF of N x N pixels (default 10,000; 0 skips it) with no overviews, and
times describing it, drawing map tiles and a preview of it, and making its
Cloud-Optimized copy (and drawing the same tiles from that). Speed goals are
checked here, not in timed tests. ``--scale`` writes the table of issue 11's goals at
several sizes, with a plot (`bench_scale`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamlit_folium import generate_leaflet_string

from geo.case import Case, load_case
from geo.export import export_text, feature_collection, write_geojson
from geo.formats.jsonline import dicts_json
from geo.formats.writing import CHUNK_RECORDS
from geo.gazetteer import Gazetteer
from geo.imagery import (
    cloud_optimized_copy,
    describe_raster,
    preview_png,
    render_tile,
    stretch_of,
)
from geo.imagery.synthetic import SAYDNAYA, write_large
from geo.mapview import build_map
from geo.model import KIND_FILES
from geo.query import filter_records
from geo.synthetic import TINY_META, synthetic_files, write_case
from geo.transfer import as_layer_records, write_records


def timed(label: str, action: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"{label:<44} {time.perf_counter() - start:8.3f} s", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--keep", help="write the synthetic case here and keep it")
    parser.add_argument("--raster-size", type=int, default=10_000, help="0 skips the image")
    parser.add_argument(
        "--exports-only", action="store_true", help="time only the exports and their floors"
    )
    parser.add_argument(
        "--scale",
        help="the scale table instead (bench_scale.py): case sizes, e.g. 1000,10000,100000",
    )
    parser.add_argument("--out", default="bench", help="where --scale writes its table and plot")
    parser.add_argument("--no-browser", action="store_true", help="--scale without Chromium")
    args = parser.parse_args()
    if args.scale:
        from bench_scale import run

        sizes = [int(size) for size in args.scale.split(",")]
        print(run(sizes, Path(args.out), browser=not args.no_browser))
        return 0

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "bench"
    timed(
        f"write a case of {args.records:,} records",
        lambda: write_case(folder, TINY_META, synthetic_files(args.records)),
    )
    case = timed("load and validate", lambda: load_case(folder))
    if args.exports_only:
        print_export_rows(case)
        return 0
    print_load_rows(load_rows(folder))
    shown = timed(
        "filter by a date range",
        lambda: filter_records(case.records, date(2010, 1, 10), date(2014, 2, 1)),
    )
    print(f"{'':<44} {len(shown):,} of {len(case.records):,} records shown")
    whole = timed("build the map (every record)", lambda: build_map(case, case.records))
    script = timed(
        "render the map script, as st_folium does", lambda: generate_leaflet_string(whole)
    )
    print(f"{'':<44} {len(script) / 1e6:8.1f} MB of map script")
    timed(
        "build and render the filtered map", lambda: generate_leaflet_string(build_map(case, shown))
    )
    text = timed("export the whole case as GeoJSON", lambda: export_text(case))
    print(f"{'':<44} {len(text) / 1e6:8.1f} MB of GeoJSON")
    print_export_rows(case)
    timed("load the offline gazetteer (once per app)", Gazetteer.load)
    if args.raster_size:
        # Some 300 MB (the image and its COG copy): never kept.
        with tempfile.TemporaryDirectory() as scratch:
            bench_imagery(Path(scratch), args.raster_size)
    return 0


# ---------------------------------------------------------------- exports and floors


class _Discard(io.RawIOBase):
    """A binary file that keeps nothing: a streamed export's cost without the disk's."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


# Runs of each export and floor: the least time is reported (the machine may be busy).
REPEAT = 3


def seconds(action: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds of `action`, each the least of `REPEAT` runs: CPU time
    (time.process_time) is what a busy machine disturbs least."""
    wall, cpu = math.inf, math.inf
    for _ in range(REPEAT):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def print_export_rows(case: Case) -> None:
    print(f"{'(least of ' + str(REPEAT) + ' runs)':<44} {'wall':>8}   {'CPU':>8}", flush=True)
    for label, (wall, cpu) in export_rows(case):
        print(f"{label:<44} {wall:8.3f} s {cpu:8.3f} s", flush=True)


def export_rows(case: Case) -> list[tuple[str, tuple[float, float]]]:
    """(label, (wall, CPU) seconds) for each export of the whole case and the floor it is measured
    against: the same output written from values already made, by the fastest writer
    at hand. GeoJSON: orjson of the built features (compact), and geopandas' to_json
    of a GeoDataFrame of them (skipped without geopandas). KML: one f-string a
    Placemark of the record's values, its texts escaped a chunk at once, joined and
    encoded. CSV: the csv module writing rows already made but for the properties' JSON.
    Both make the properties' JSON, which their files hold, by orjson (`dicts_json`).
    What a floor is given is made before the clock starts."""
    import orjson

    rows: list[tuple[str, tuple[float, float]]] = []
    rows.append(
        (
            "export GeoJSON, streamed (write_geojson)",
            seconds(lambda: write_geojson(_Discard(), case)),
        )
    )
    built = feature_collection(case)["features"]
    rows.append(
        ("  floor: orjson.dumps of the built features", seconds(lambda: orjson.dumps(built)))
    )
    try:
        import geopandas
    except ImportError:
        print("geopandas is not installed: its to_json comparison is skipped", flush=True)
    else:
        frame = geopandas.GeoDataFrame.from_features(built, crs="EPSG:4326")
        rows.append(("  geopandas to_json of the same records", seconds(frame.to_json)))
    records = as_layer_records(case, case.records)
    cells = [_csv_cells(record) for record in records]
    # The properties' JSON is part of both files: made inside the clock, by the fastest
    # serializer at hand that writes json.dumps's text (orjson, `dicts_json`).
    floors = {
        "kml": ("Placemarks' text, escaped, joined", lambda: _kml_floor(records)),
        "csv": ("csv.writer of the rows, JSON made", lambda: _write_rows(records, cells)),
    }
    for fmt, (floor, write_floor) in floors.items():
        took = seconds(
            lambda fmt=fmt: write_records(_Discard(), case, case.records, fmt=fmt, view=None)
        )
        rows.append((f"export {fmt.upper()}, streamed (write_records)", took))
        rows.append((f"  floor: {floor}", seconds(write_floor)))
    return rows


def _kml_floor(records: list[Any]) -> bytes:
    """One f-string a Placemark, every text escaped a chunk at once, joined, encoded."""
    texts = []
    for start in range(0, len(records), CHUNK_RECORDS):
        chunk = records[start : start + CHUNK_RECORDS]
        count = len(chunk)
        joined = "\x00".join(
            [record.name for record in chunk]
            + [record.id for record in chunk]
            + (dicts_json([record.properties for record in chunk]) or [])
        )
        escaped = (
            joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split("\x00")
        )
        for record, name, id_, properties in zip(
            chunk, escaped[:count], escaped[count : 2 * count], escaped[2 * count :], strict=True
        ):
            lon, lat = record.geometry["coordinates"]
            texts.append(
                f"   <Placemark>\n    <name>{name}</name>\n    <ExtendedData>\n"
                f'     <Data name="id">\n      <value>{id_}</value>\n     </Data>\n'
                f'     <Data name="layer">\n      <value>{record.layer}</value>\n     </Data>\n'
                f'     <Data name="kind">\n      <value>{record.kind}</value>\n     </Data>\n'
                f'     <Data name="properties">\n      <value>{properties}</value>\n'
                "     </Data>\n    </ExtendedData>\n"
                f"    <Point>\n     <coordinates>{lon!r},{lat!r}</coordinates>\n    </Point>\n"
                "   </Placemark>\n"
            )
    return "".join(texts).encode()


def _csv_cells(record: Any) -> list[str]:
    return [
        record.id,
        record.layer,
        str(record.kind),
        record.name,
        record.date or "",
        record.date_as_stated or "",
        "0.0",
        "0.0",
        json.dumps(record.geometry),
        "",  # the properties' JSON: made by `_write_rows`
    ]


def _write_rows(records: list[Any], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for start in range(0, len(rows), CHUNK_RECORDS):
        chunk = rows[start : start + CHUNK_RECORDS]
        made = dicts_json([record.properties for record in records[start : start + CHUNK_RECORDS]])
        assert made is not None
        for row, text in zip(chunk, made, strict=True):
            row[-1] = text
        writer.writerows(chunk)
    return buffer.getvalue()


# --- loading a case against parsing its files


class LoadRow(NamedTuple):
    label: str
    seconds: float  # wall-clock
    cpu_seconds: float  # this process's CPU time: steadier when other work shares the machine
    memory: float  # peak growth of resident memory, as a multiple of the files' size


# What `load_rows` measures, each in a process of its own.
LOAD_STEPS = {
    "orjson": "parse the files with orjson (the floor)",
    "json": "parse the files with the standard json",
    "load": "load_case: parse, validate, build the frame",
}


def case_files(folder: Path) -> list[Path]:
    """The GeoJSON files of the case at `folder`."""
    return [folder / name for name in KIND_FILES.values() if (folder / name).exists()]


def _resident_bytes(field: str) -> int:
    """VmRSS (resident now) or VmHWM (its peak) from /proc (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _measure_load(step: str, folder: Path, results: Any) -> None:
    """One of `LOAD_STEPS`, in a fresh process: its seconds, wall and CPU, and how far
    its resident memory grew at its peak, in bytes. (Not ru_maxrss: a child keeps
    its parent's, which has a case loaded.)"""
    files = case_files(folder)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak starts again from what is resident now
    before = _resident_bytes("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    if step == "orjson":
        kept: Any = [orjson.loads(path.read_bytes()) for path in files]
    elif step == "json":
        kept = [json.loads(path.read_bytes()) for path in files]
    else:
        kept = load_case(folder)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _resident_bytes("VmHWM") - before
    del kept
    results.put((seconds, cpu, peak))


def load_rows(folder: Path) -> list[LoadRow]:
    """Loading the case at `folder` (`load_case`) against parsing its GeoJSON files,
    orjson's parse being the floor: each step in a fresh process, so that none finds
    the memory or the collector's state another left. The goal (issue 11): a load in
    at most twice the floor's time."""
    size = sum(path.stat().st_size for path in case_files(folder))
    context = multiprocessing.get_context("spawn")
    rows = []
    for step, label in LOAD_STEPS.items():
        results = context.Queue()
        process = context.Process(target=_measure_load, args=(step, folder, results))
        process.start()
        seconds, cpu, peak = results.get()
        process.join()
        rows.append(LoadRow(label, seconds, cpu, peak / size))
    return rows


def print_load_rows(rows: list[LoadRow]) -> None:
    floor = rows[0].cpu_seconds
    for row in rows:
        print(
            f"{row.label:<44} {row.seconds:8.3f} s  (CPU {row.cpu_seconds:.3f} s, "
            f"{row.cpu_seconds / floor:.1f}x the floor; peak memory {row.memory:.1f}x the files)",
            flush=True,
        )


def tiles_around(z: int, side: int) -> list[tuple[int, int, int]]:
    """side × side tiles at zoom z around Saydnaya, the image's centre."""
    n = 2**z
    lon, lat = SAYDNAYA
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    half = side // 2
    return [
        (z, x + dx, y + dy) for dx in range(-half, side - half) for dy in range(-half, side - half)
    ]


def draw_tiles(path: Path, tiles: list[tuple[int, int, int]]) -> None:
    for z, x, y in tiles:
        render_tile(path, z, x, y)


def bench_imagery(folder: Path, size: int) -> None:
    """Time a researcher's image of size × size pixels (0.5 m each): tiles are read a
    window at a time, so a tile near full resolution costs the same at any image size."""
    path = timed(
        f"write a {size:,} px square GeoTIFF (deflate)",
        lambda: write_large(folder / "large.tif", size),
    )
    print(f"{'':<44} {path.stat().st_size / 1e6:8.1f} MB, tiled 512, no overviews")
    timed("describe it (header only)", lambda: describe_raster(path))
    timed("its 2-98 % stretch (once per image)", lambda: stretch_of(path))
    for source, label in ((path, "no overviews"), (None, "COG")):
        if source is None:
            source = timed(
                "make its Cloud-Optimized copy",
                lambda: cloud_optimized_copy(path, folder / "large-cog.tif"),
            )
        for z, side in ((12, 1), (15, 4), (18, 4)):
            tiles = tiles_around(z, side)
            start = time.perf_counter()
            draw_tiles(source, tiles)
            each = (time.perf_counter() - start) / len(tiles)
            print(f"{f'render a z{z} tile ({label}), mean of {len(tiles)}':<44} {each:8.3f} s")
        timed(f"preview 1024 px ({label})", lambda source=source: preview_png(source))


if __name__ == "__main__":
    sys.exit(main())
