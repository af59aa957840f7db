#!/usr/bin/env python3
"""Time the explorer's hot paths on a synthetic case of N records (default 20,000).

    .venv/bin/python scripts/benchmark.py [--records N] [--keep DIR]

Writes a case of N records (places, imagery, features and events with dates
of every precision) to a temporary folder, then times loading and validating
it, filtering by date, building the map, rendering it as st_folium does, and
exporting GeoJSON. Speed goals are checked here, not in timed tests.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamlit_folium import generate_leaflet_string

from geo.case import load_case
from geo.export import export_text
from geo.gazetteer import Gazetteer
from geo.mapview import build_map
from geo.query import filter_records
from geo.synthetic import TINY_META, synthetic_files, write_case


def timed(label: str, action: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"{label:<44} {time.perf_counter() - start:8.3f} s", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--keep", help="write the synthetic case here and keep it")
    args = parser.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "bench"
    timed(
        f"write a case of {args.records:,} records",
        lambda: write_case(folder, TINY_META, synthetic_files(args.records)),
    )
    case = timed("load and validate", lambda: load_case(folder))
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
    timed("load the offline gazetteer (once per app)", Gazetteer.load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
