#!/usr/bin/env python3
"""Time and memory of `read_upload` on the hostile files of issue 8 ("limits that are missing").

    .venv/bin/python scripts/bench_limits.py [--only NAME ...]

Each file is made in a temporary folder, then read in a fresh process so that
the peak memory of one read is not hidden by another's. For each file it
prints the CPU seconds, the growth of the process's peak resident memory
during the read, and what happened (records imported, or the refusal).
These are measurements, not tests: timing depends on the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024


def _comment_kml(size: int) -> bytes:
    """A KML that is one XML comment of about `size` bytes, compressing about 16 to 1."""
    rng = np.random.default_rng(1)
    lines = size // 65
    letters = rng.integers(ord("a"), ord("z") + 1, size=(lines, 4), dtype=np.uint8)
    body = np.full((lines, 65), ord("x"), dtype=np.uint8)
    body[:, 60:64] = letters
    body[:, 64] = ord("\n")
    return b"<kml><!--\n" + body.tobytes() + b"--></kml>"


def _kmz(kml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", kml)
    return buffer.getvalue()


def _polygon(vertices: int) -> bytes:
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    ring = np.round(np.column_stack([36 + np.cos(angles), 33 + np.sin(angles)]), 7).tolist()
    ring.append(ring[0])
    geometry = {"type": "Polygon", "coordinates": [ring]}
    return json.dumps({"type": "Feature", "geometry": geometry, "properties": {}}).encode()


def _kml_polygon(vertices: int) -> bytes:
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    ring = [f"{36 + np.cos(a):.7f},{33 + np.sin(a):.7f}" for a in angles]
    ring.append(ring[0])
    return (
        "<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        + " ".join(ring)
        + "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"
    ).encode()


def _many_polygons(count: int, vertices: int) -> bytes:
    """The slowest file within the limits: `count` polygons of `vertices` each."""
    rng = np.random.default_rng(2)
    angles = np.linspace(0, 2 * np.pi, vertices - 1, endpoint=False)
    features = []
    for index in range(count):
        lon, lat = rng.uniform(-170, 170), rng.uniform(-80, 80)
        ring = np.round(np.column_stack([lon + np.cos(angles), lat + np.sin(angles)]), 7)
        coords = [*ring.tolist(), ring[0].tolist()]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [coords]},
                "properties": {"name": f"site {index}"},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _feature(properties: dict[str, object]) -> bytes:
    geometry = {"type": "Point", "coordinates": [36.3, 33.6]}
    return json.dumps({"type": "Feature", "geometry": geometry, "properties": properties}).encode()


CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "kmz-196mb-comment": ("comment.kmz", lambda: _kmz(_comment_kml(196 * MB))),
    "kmz-50mb-comment": ("comment.kmz", lambda: _kmz(_comment_kml(50 * MB - 100))),
    "polygon-1m-vertices": ("polygon.geojson", lambda: _polygon(1_000_000)),
    "kml-polygon-1m-vertices": ("polygon.kml", lambda: _kml_polygon(1_000_000)),
    "polygon-100k-vertices": ("polygon.geojson", lambda: _polygon(99_999)),
    "18k-polygons-1.8m-coordinates": ("polygons.geojson", lambda: _many_polygons(18_000, 100)),
    "properties-1m": (
        "properties.geojson",
        lambda: _feature({f"p{index}": 1 for index in range(1_000_001)}),
    ),
    "key-20m-characters": ("key.geojson", lambda: _feature({"k" * 20_000_000: 1})),
}


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise RuntimeError(field)


def run_one(name: str, path: Path) -> None:
    """Read one file in this process and print one JSON line about it."""
    from geo.errors import DataError
    from geo.formats import read_upload

    data = path.read_bytes()
    before = _memory_kb("VmRSS:")
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    try:
        upload = read_upload(path.name, data, layer="bench")
        outcome = f"imported {len(upload.records)} record(s)"
    except DataError as exc:
        outcome = "refused: " + str(exc.problems[0])[:160]
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    # VmHWM, not ru_maxrss: the latter keeps the high-water mark of the parent across exec.
    peak = _memory_kb("VmHWM:")
    print(
        json.dumps(
            {
                "case": name,
                "bytes": len(data),
                "cpu_s": round(cpu, 2),
                "wall_s": round(wall, 2),
                "peak_mb": round((peak - before) / 1024),
                "outcome": outcome,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--run", nargs=2, metavar=("CASE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(args.run[0], Path(args.run[1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        for name in args.only:
            file_name, make = CASES[name]
            path = Path(folder) / file_name
            path.write_bytes(make())
            done = subprocess.run(
                [sys.executable, __file__, "--run", name, str(path)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            print(done.stdout.strip() or done.stderr.strip()[-500:], flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
