"""An uploaded picture and its world file, written side by side where GDAL finds them.

GDAL places a JPEG or PNG by a world file named after it (``picture.wld``) or
by an ``.aux.xml`` beside it; a world file states no coordinate system, so
the one the researcher names is written into the ``.aux.xml``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

from rasterio.crs import CRS
from rasterio.errors import CRSError

from geo.errors import DataError, Problem
from geo.text import decode_text

# A world file is six numbers and an .aux.xml a few kilobytes (its SRS, some metadata).
MAX_SIDECAR_BYTES = 1024 * 1024
MAX_STEM = 100  # characters of a file name kept
DEFAULT_STEM = "upload"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A file name to write an upload under: the last part of `name` (no folders), letters,
    digits, dot, dash and underscore only, no leading dot, its suffix in lower case."""
    last = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    stem, dot, suffix = last.rpartition(".")
    if not dot:
        stem, suffix = last, ""
    stem = _UNSAFE.sub("_", stem).strip("._-")[:MAX_STEM] or DEFAULT_STEM
    suffix = _UNSAFE.sub("", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def _is_xml(text: str) -> bool:
    return text.lstrip().startswith("<")


def world_file_problems(text: str) -> list[str]:
    """Why `text` is not a world file (six numbers, one a line: pixel size across,
    two rotation terms, pixel size down, then the centre of the top-left pixel)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 6:
        return [f"a world file holds six numbers, one a line; this one has {len(lines)} lines"]
    problems = []
    for number, line in enumerate(lines, start=1):
        try:
            value = float(line)
        except ValueError:
            problems.append(f"line {number} ({line[:40]!r}) is not a number")
            continue
        if not math.isfinite(value):
            problems.append(f"line {number} ({line[:40]!r}) is not a finite number")
    return problems


def _aux_xml(crs: CRS) -> str:
    # GDAL reads an SRS without an axis mapping in the traditional GIS order: easting (or
    # longitude) first, as a world file's numbers are.
    return f"<PAMDataset>\n  <SRS>{escape(crs.to_wkt())}</SRS>\n</PAMDataset>\n"


def write_upload(
    folder: Path,
    picture: bytes,
    picture_name: str,
    sidecar: bytes | None = None,
    *,
    crs: str | None = None,
) -> Path:
    """Write an uploaded picture into `folder` under a safe form of its name, with its
    sidecar beside it; return the picture's path, for `describe_raster` and the tiles.

    `sidecar` is a world file (.jgw, .pgw, .tfw, .wld: written as ``<stem>.wld``) or an
    ``.aux.xml`` (told by its first character, written as ``<name>.aux.xml``). `crs`
    ("EPSG:32637", a WKT) is the coordinate system of a picture that states none, as a
    world file does not: it is written as an ``.aux.xml``. Sidecars of an earlier call
    for the same name are replaced or removed. `DataError` for a sidecar that is too
    large, not text, not six numbers, or an ``.aux.xml`` given with a `crs`, and for a
    `crs` GDAL does not know.
    """
    name = safe_name(picture_name)
    target = folder / name
    world = folder / f"{Path(name).stem}.wld"
    aux = folder / f"{name}.aux.xml"
    problems: list[Problem] = []
    world_text: str | None = None
    aux_text: str | None = None
    if sidecar is not None:
        if len(sidecar) > MAX_SIDECAR_BYTES:
            raise DataError(
                Problem(
                    f"{len(sidecar):,} bytes: a world file or .aux.xml is at most "
                    f"{MAX_SIDECAR_BYTES:,}",
                    file="the world file",
                )
            )
        text = decode_text(sidecar, file="the world file")
        if _is_xml(text):
            aux_text = text
            if crs is not None:
                problems.append(
                    Problem(
                        "an .aux.xml states its own coordinate system: give it there, or a "
                        "world file with the coordinate system named here, not both",
                        field="crs",
                    )
                )
        else:
            world_text = text
            problems += [
                Problem(message, file="the world file") for message in world_file_problems(text)
            ]
    if crs is not None:
        try:
            aux_text = _aux_xml(CRS.from_user_input(crs))
        except CRSError as exc:
            problems.append(
                Problem(
                    f"{crs[:80]!r} is not a coordinate system GDAL knows ({exc}): give an "
                    "EPSG code such as EPSG:32637",
                    field="crs",
                )
            )
    if problems:
        raise DataError(problems)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(picture)
    for path, content in ((world, world_text), (aux, aux_text)):
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(content, encoding="utf-8")
    return target
