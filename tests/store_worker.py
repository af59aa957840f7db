"""Subprocess half of tests/test_store.py: writers in other processes, and a crash.

    python -m tests.store_worker add DATA_DIR ANALYST COUNT READY GO
    python -m tests.store_worker import-and-hang DATA_DIR COUNT READY
    python -m tests.store_worker add-and-die DATA_DIR RECORD_ID

`add` opens the store, says it is ready, waits for GO to exist (so that every
worker writes at the same time), then adds COUNT annotations. `import-and-hang`
imports COUNT records and, inside the transaction, just before COMMIT, says it
is there and sleeps until the test kills it. `add-and-die` adds one annotation
while another connection holds the database open, then dies without closing it:
the new entry stays in store.sqlite3-wal, as after a crash.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

from geo.records import ANNOTATIONS_LAYER, Kind, LayerRecord
from geo.store import Store


def annotation(index: int, analyst: str) -> LayerRecord:
    return LayerRecord(
        id=f"{analyst}-{index}",
        layer=ANNOTATIONS_LAYER,
        kind=Kind.FEATURE,
        name=f"Feature {index} by {analyst}",
        geometry={"type": "Point", "coordinates": [36.3 + index / 1e4, 33.6]},
        properties={"index": index, "analyst": analyst},
    )


def signal(path: Path) -> None:
    # Written under another name, then renamed, so the test never reads half a file.
    partial = path.with_name(path.name + ".partial")
    partial.write_text("ready", encoding="utf-8")
    partial.replace(path)


def wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {path}")
        time.sleep(0.005)


class HangingStore(Store):
    """A store that stops inside its write transaction, for the test to kill it there."""

    ready: Path = Path()

    def _before_commit(self) -> None:
        signal(self.ready)
        time.sleep(120)


def main(argv: list[str]) -> int:
    mode, data_dir = argv[0], Path(argv[1])
    if mode == "add":
        analyst, count, ready, go = argv[2], int(argv[3]), Path(argv[4]), Path(argv[5])
        store = Store.open(data_dir)
        signal(ready)
        wait_for(go)
        for index in range(count):
            store.add(annotation(index, analyst), analyst=analyst)
        return 0
    if mode == "import-and-hang":
        count, ready = int(argv[2]), Path(argv[3])
        store = HangingStore.open(data_dir)
        object.__setattr__(store, "ready", ready)
        records = [annotation(index, "import") for index in range(count)]
        store.import_layer(
            "Crashed import",
            records,
            analyst="crash test",
            file_name="big.geojson",
            file_bytes=b'{"type": "FeatureCollection", "features": []} crash test',
        )
        return 0
    if mode == "add-and-die":
        store = Store.open(data_dir)
        holder = sqlite3.connect(store.db_path)
        holder.execute("SELECT count(*) FROM history").fetchone()
        # The store's own connection is not the last one to close: no checkpoint.
        store.add(annotation(0, argv[2]), analyst="crash test")
        os._exit(0)
    sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
