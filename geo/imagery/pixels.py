"""Where an imagery record's pixels are drawn from, and its tiles.

An image is kept as received under its SHA-256 (``files/<sha256>``, the evidence,
see `geo.store`). It is drawn from a display copy, ``display/<sha256>.tif`` in the
same folder: a Cloud-Optimized GeoTIFF made at import from the upload beside its
world file, or from a georeferenced picture, so a tile at any zoom reads a few
blocks, not the image. The display copy is derived, never evidence: it can be made
again from the kept file and the record.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Final

from geo.errors import DataError, Problem, TileOutsideImage
from geo.imagery.cog import cloud_optimized_copy
from geo.imagery.raster import describe_raster
from geo.imagery.tiles import Stretch, render_tile, stretch_of
from geo.store.files import is_sha256

DISPLAY_DIR: Final = "display"


def tile_url(sha256: str) -> str:
    """The tile template (``{z}/{x}/{y}`` left for Leaflet) of the image kept as `sha256`:
    a path on the app's own host (`ui.routes`), so nothing is fetched from elsewhere."""
    if not is_sha256(sha256):
        raise ValueError(f"{sha256!r} is not a SHA-256")
    return f"/imagery/{sha256}/{{z}}/{{x}}/{{y}}.png"


def display_path(data_dir: Path, sha256: str) -> Path:
    """The display copy of the image kept as `sha256`; DataError for what is no SHA-256
    (it names a file: nothing else may)."""
    if not is_sha256(sha256):
        raise DataError(Problem(f"{sha256!r} is not a SHA-256 (64 lowercase hex digits)"))
    return Path(data_dir) / DISPLAY_DIR / f"{sha256}.tif"


def make_display_copy(source: Path, data_dir: Path, sha256: str) -> Path:
    """Write the display copy of the image at `source` for the image kept as `sha256`,
    unless there is one: written under a temporary name and renamed, so a crash never
    leaves half a copy under its name. DataError for an image GDAL refuses."""
    target = display_path(data_dir, sha256)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{sha256[:16]}-", suffix=".tif")
    os.close(fd)
    try:
        cloud_optimized_copy(source, Path(temporary))
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


@lru_cache(maxsize=64)
def _stretch(path: str, changed: int) -> Stretch | None:
    # Once per display copy (`changed` is its mtime: a copy made again is measured
    # again); 8-bit images are drawn as they are.
    info = describe_raster(Path(path))
    return None if info.dtype == "uint8" else stretch_of(Path(path))


def tile_png(data_dir: Path, sha256: str, z: int, x: int, y: int) -> bytes | None:
    """The tile z/x/y of the image kept as `sha256`, a PNG; None where the tile does not
    touch the image. DataError when there is no such image or no such tile."""
    path = display_path(data_dir, sha256)
    try:
        changed = path.stat().st_mtime_ns
    except OSError as exc:
        raise DataError(Problem(f"no image is drawn for {sha256}")) from exc
    try:
        return render_tile(path, z, x, y, stretch=_stretch(str(path), changed))
    except TileOutsideImage:
        return None
