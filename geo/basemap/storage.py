"""Where basemaps are kept: ``<data_dir>/basemaps/``, beside the store, not in it.

Each is one file, ``<sha256>.mbtiles``, ``<sha256>.pmtiles`` (as received) or
``<sha256>.tif`` (a raster's Cloud-Optimized copy), named by the SHA-256 of the file
as received, and one index, ``basemaps.json``, lists them with their labels. The
index is written whole under a temporary name and renamed (``os.replace``), so a
reader sees the old list or the new one, never half of one; a file is put in place
before the index names it and removed after the index stops naming it, so a crash
leaves at worst a file no entry names, never an entry without its file.

Kept out of the evidence store's history on purpose: a basemap is context for the
eye, not evidence. The store's history chain, its kept files and every export are
what a researcher cites and hands on; a basemap in them would be cited as if it
showed the site on a date. Here it can be added and removed freely, it is in no
export and on no timeline, and its removal leaves no trace to explain in the chain.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Final

from geo.basemap.mbtiles import SQLITE_MAGIC, Facts, inspect_mbtiles, mbtiles_tile
from geo.basemap.pmtiles_file import PMTILES_MAGIC, inspect_pmtiles, pmtiles_tile
from geo.basemap.raster import inspect_raster, raster_tile
from geo.basemap.record import Basemap, BasemapKind
from geo.basemap.tiles import sniff_tile
from geo.durable import fsync_dir
from geo.errors import DataError, Problem
from geo.imagery import cloud_optimized_copy
from geo.imagery.opening import driver_of
from geo.store.files import is_sha256

BASEMAPS_DIR: Final = "basemaps"
INDEX_NAME: Final = "basemaps.json"
INDEX_VERSION: Final = 1
# A file over this is refused before it is looked at. A site or a town at zoom 18 is
# tens of megabytes; a region to zoom 14 a few hundred. Larger packages belong in a
# tile server, not in the explorer's data folder (and the upload is held in memory).
MAX_BASEMAP_BYTES: Final = 2 * 1024**3
# Labels, sources and dates are short texts; a whole document is no label.
MAX_TEXT = 500

SUFFIX_KINDS = {
    ".mbtiles": BasemapKind.MBTILES,
    ".pmtiles": BasemapKind.PMTILES,
    ".tif": BasemapKind.RASTER,
    ".tiff": BasemapKind.RASTER,
}
ACCEPTED = "a GeoTIFF (.tif, .tiff), an MBTiles (.mbtiles) or a PMTiles (.pmtiles) file"

# One writer of the index at a time in this process; other processes (the command line
# beside the app) are held off by a lock on a file, where the system has one.
_WRITING = threading.Lock()


def basemaps_dir(data_dir: Path) -> Path:
    return Path(data_dir) / BASEMAPS_DIR


def basemap_path(data_dir: Path, basemap: Basemap) -> Path:
    return basemaps_dir(data_dir) / basemap.file


@lru_cache(maxsize=8)
def _read_index(path: str, changed: int, size: int) -> tuple[Basemap, ...]:
    # keyed on the index's time and size: each tile request looks its basemap up here
    index = Path(path)
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise DataError(Problem(f"the index of basemaps cannot be read: {exc}", file=path)) from exc
    entries = data.get("basemaps") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise DataError(Problem("the index of basemaps has no list of basemaps", file=path))
    return tuple(Basemap.from_dict(entry) for entry in entries)


def basemaps(data_dir: Path) -> list[Basemap]:
    """The basemaps kept in `data_dir`, in the order they were added; [] when none.
    DataError when the index cannot be read (it names the file)."""
    index = basemaps_dir(data_dir) / INDEX_NAME
    try:
        stat = index.stat()
    except FileNotFoundError:
        return []
    return list(_read_index(str(index), stat.st_mtime_ns, stat.st_size))


def find_basemap(data_dir: Path, sha256: str) -> Basemap | None:
    return next((b for b in basemaps(data_dir) if b.sha256 == sha256), None)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with _WRITING, (folder / ".lock").open("a") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: the process lock only
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_index(folder: Path, entries: list[Basemap]) -> None:
    text = json.dumps(
        {"version": INDEX_VERSION, "basemaps": [entry.to_dict() for entry in entries]},
        ensure_ascii=False,
        indent=2,
    )
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".basemaps-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, folder / INDEX_NAME)
        fsync_dir(folder)
    finally:
        Path(temporary).unlink(missing_ok=True)


def kind_of(file_name: str, head: bytes) -> BasemapKind:
    """Which kind of basemap a file is: by its first bytes, else by its name (and then
    refused by that kind's check, which says what the bytes are not)."""
    if head.startswith(SQLITE_MAGIC):
        return BasemapKind.MBTILES
    if head.startswith(PMTILES_MAGIC):
        return BasemapKind.PMTILES
    if driver_of(head) == "GTiff":
        return BasemapKind.RASTER
    suffix = PurePosixPath(file_name.replace("\\", "/")).suffix.lower()
    if suffix in SUFFIX_KINDS:
        return SUFFIX_KINDS[suffix]
    raise DataError(
        Problem(f"it is not a basemap the explorer reads: give {ACCEPTED}", file=file_name)
    )


def _text_problems(label: str, source: str, date: str | None) -> list[str]:
    problems = []
    if not label.strip():
        problems.append("a basemap needs a label: what it shows, such as 'Saydnaya, 2019 mosaic'")
    for name, value in (("label", label), ("source", source), ("date", date or "")):
        if len(value) > MAX_TEXT:
            problems.append(f"its {name} has {len(value):,} characters: at most {MAX_TEXT}")
    return problems


def _facts(kind: BasemapKind, path: Path, file_name: str, kept: Path) -> Facts:
    """Check the received file at `path` and write what is kept to `kept`."""
    if kind is BasemapKind.MBTILES:
        facts = inspect_mbtiles(path, file_name)
    elif kind is BasemapKind.PMTILES:
        facts = inspect_pmtiles(path, file_name)
    else:
        if driver_of(path.read_bytes()[:16]) != "GTiff":
            raise DataError(
                Problem("a raster basemap must be a GeoTIFF: this file is not one", file=file_name)
            )
        try:
            facts = inspect_raster(path)
            cloud_optimized_copy(path, kept)
        except DataError as exc:  # GDAL names the file by its temporary name
            raise DataError([replace(p, file=file_name) for p in exc.problems]) from exc
        return facts
    os.replace(path, kept)
    return facts


def add_basemap(
    data_dir: Path,
    file_bytes: bytes,
    file_name: str,
    label: str,
    source: str = "",
    date: str | None = None,
    *,
    max_bytes: int = MAX_BASEMAP_BYTES,
) -> Basemap:
    """Keep `file_bytes` (received as `file_name`) as an offline basemap labelled `label`,
    from `source`, dated `date` as stated (or None when not known); return it.

    Checked whole before anything is kept: one DataError with the reasons it is
    refused (too big, not a file of tiles, vector tiles, no or absurd bounds, not
    placed on Earth); then nothing is stored. The same file added again is the basemap
    already kept, returned as it is.
    """
    label, source = label.strip(), source.strip()
    date = (date or "").strip() or None
    problems = _text_problems(label, source, date)
    if len(file_bytes) > max_bytes:
        problems.append(
            f"it has {len(file_bytes):,} bytes, over the limit of {max_bytes:,} for a basemap: "
            "cut it to the area and zoom levels you need"
        )
    if not file_bytes:
        problems.append("the file is empty")
    if problems:
        raise DataError([Problem(message, file=file_name) for message in problems])
    kind = kind_of(file_name, file_bytes[:16])
    sha256 = hashlib.sha256(file_bytes).hexdigest()
    folder = basemaps_dir(data_dir)
    with _locked(folder):
        entries = basemaps(data_dir)
        existing = next((b for b in entries if b.sha256 == sha256), None)
        if existing is not None and basemap_path(data_dir, existing).exists():
            return existing
        with tempfile.TemporaryDirectory(dir=folder, prefix=".adding-") as work:
            received = Path(work) / f"received{'.tif' if kind is BasemapKind.RASTER else ''}"
            received.write_bytes(file_bytes)
            kept = Path(work) / "kept"
            facts = _facts(kind, received, file_name, kept)
            basemap = Basemap(
                sha256=sha256,
                label=label,
                source=source,
                date=date,
                kind=kind,
                bounds=facts.bounds,
                min_zoom=facts.min_zoom,
                max_zoom=facts.max_zoom,
                tile_format=facts.tile_format,
                file_name=PurePosixPath(file_name.replace("\\", "/")).name,
                size=len(file_bytes),
            )
            with kept.open("rb") as stream:
                os.fsync(stream.fileno())
            kept.chmod(0o444)
            final = basemap_path(data_dir, basemap)
            os.replace(kept, final)
        try:
            _write_index(folder, [b for b in entries if b.sha256 != sha256] + [basemap])
        except BaseException:
            final.unlink(missing_ok=True)
            raise
    return basemap


def remove_basemap(data_dir: Path, sha256: str) -> Basemap:
    """Remove the basemap kept as `sha256` (its index entry, then its file); return it.
    DataError when there is none."""
    folder = basemaps_dir(data_dir)
    with _locked(folder):
        entries = basemaps(data_dir)
        gone = next((b for b in entries if b.sha256 == sha256), None)
        if gone is None:
            raise DataError(Problem(f"no basemap is kept as {sha256!r}"))
        _write_index(folder, [b for b in entries if b.sha256 != sha256])
        basemap_path(data_dir, gone).unlink(missing_ok=True)
    return gone


def basemap_tile(data_dir: Path, sha256: str, z: int, x: int, y: int) -> tuple[bytes, str] | None:
    """The tile z/x/y (Web Mercator, y from the top) of the basemap kept as `sha256`, and
    its media type; None when it has no tile there. DataError for no such basemap and
    no such tile."""
    if not is_sha256(sha256):
        raise DataError(Problem(f"{sha256!r} is not a SHA-256 (64 lowercase hex digits)"))
    basemap = find_basemap(data_dir, sha256)
    if basemap is None:
        raise DataError(Problem(f"no basemap is kept as {sha256}"))
    path = basemap_path(data_dir, basemap)
    if not path.exists():
        raise DataError(Problem(f"the file of the basemap {sha256} is missing", file=path.name))
    if basemap.kind is BasemapKind.MBTILES:
        data = mbtiles_tile(path, z, x, y)
    elif basemap.kind is BasemapKind.PMTILES:
        data = pmtiles_tile(path, z, x, y)
    else:
        data = raster_tile(path, z, x, y)
    if data is None:
        return None
    # by the tile's own bytes: some packages mix PNG and JPEG tiles
    return data, (sniff_tile(data) or basemap.tile_format).media_type
