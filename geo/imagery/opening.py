"""Opening a researcher's image with GDAL, and only as one of the formats it may be.

The format is told from the file's first bytes and GDAL is asked to open it
with that driver alone: GDAL knows some two hundred formats, some of which
read other files (a VRT names any file on the server, or a URL), so an upload
named ``.tif`` that is a VRT is refused before GDAL parses it. A file that
names another as its overviews is refused too. The folder of the file must
hold nothing but the upload and its sidecars (`geo.imagery.write_upload`):
GDAL reads what it finds beside a file by name (.aux.xml, .ovr, .msk, world
files).

JPEG 2000 is not read yet: its GML boxes may refer to other documents, and
its decoder has had more security flaws than GDAL's TIFF, JPEG and PNG.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from geo.errors import DataError, Problem
from geo.formats.registry import by_extension
from geo.formats.sniff import binary_kind
from geo.imagery.tiff import directory_cut_short

# First bytes -> the GDAL driver that reads them.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"II*\x00", "GTiff"),
    (b"MM\x00*", "GTiff"),
    (b"II+\x00", "GTiff"),  # BigTIFF
    (b"MM\x00+", "GTiff"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)

DRIVER_WORDS: dict[str, str] = {
    "GTiff": "a GeoTIFF (or TIFF)",
    "JPEG": "a JPEG picture",
    "PNG": "a PNG picture",
}

FORMATS_IN_WORDS = "a GeoTIFF, or a JPEG or PNG picture with its world file"

# Names an image goes by: a file so named is opened as an image, and refused as one if
# its bytes are not.
IMAGE_SUFFIXES = frozenset({".tif", ".tiff", ".jpg", ".jpeg", ".png"})


def driver_of(head: bytes) -> str | None:
    """The GDAL driver for a file that starts with `head`, or None if none of ours reads it."""
    for magic, driver in _MAGIC:
        if head.startswith(magic):
            return driver
    return None


def is_image(file_name: str, head: bytes) -> bool:
    """Whether a file given to import is an image (for `geo.imagery.importing`) rather
    than a data file (for `geo.formats.read_upload`): named as an image, or starting as
    one and not named as a data file. A .geojson of PNG bytes is a data file gone wrong,
    and the data reader says what it holds."""
    suffix = PurePosixPath(file_name.replace("\\", "/")).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return True
    return by_extension(suffix) is None and driver_of(head) is not None


def _not_an_image(head: bytes) -> str:
    if not head:
        return "the file is empty"
    what = binary_kind(head)
    said = f"it is {what}, " if what else ""
    return f"{said}not an image the explorer reads: give {FORMATS_IN_WORDS}"


@contextmanager
def open_dataset(path: Path) -> Iterator[Any]:
    """The file opened by rasterio (a `DatasetReader`), read-only, with the one driver its
    first bytes name; `DataError` when it is missing, not one of ours, or unreadable.

    Only the header is read: no limit is checked here (`geo.imagery.raster` does that).
    """
    file = path.name
    try:
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError as exc:
        raise DataError(Problem(f"cannot be read: {exc.strerror or exc}", file=file)) from exc
    driver = driver_of(head)
    if driver is None:
        raise DataError(Problem(_not_an_image(head), file=file))
    # A picture without georeference is reported by describe_raster, in words.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        try:
            dataset = rasterio.open(path.resolve(), driver=driver)
        except RasterioIOError as exc:
            # GDAL names the file by its full path, a temporary folder: name it as uploaded.
            message = str(exc).replace(str(path.resolve()), file)
            reason = message.splitlines()[0] if message else type(exc).__name__
            raise DataError(
                Problem(
                    f"it looks like {DRIVER_WORDS[driver]} but GDAL cannot read it "
                    f"({reason}): the file may be cut short or damaged",
                    file=file,
                )
            ) from exc
    with dataset:
        # GDAL opens whatever an OVERVIEW_FILE item names (in the file's own metadata or
        # in an .aux.xml beside it) as soon as overviews are looked at: any file on the
        # server, with any driver, or a URL. Nothing has looked yet.
        if dataset.tags(ns="OVERVIEWS"):
            raise DataError(
                Problem(
                    "it names another file as its overviews (an OVERVIEW_FILE item): "
                    "refused, because an image may only show its own pixels",
                    file=file,
                )
            )
        yield dataset


def cut_short(dataset: Any, path: Path, file_bytes: int) -> str | None:
    """Why a GeoTIFF is cut short (an upload stopped part way), or None.

    Its first directory must point inside the file (`geo.imagery.tiff`), and so must
    the last block of its first and last bands, where writers put it in stripped, tiled
    and cloud-optimized files alike. A block never written (a sparse file) has no
    offset and is not missing.
    """
    if dataset.driver != "GTiff":
        return None
    with path.open("rb") as stream:
        cut = directory_cut_short(stream, file_bytes)
    if cut is not None:
        return cut
    block_rows, block_cols = dataset.block_shapes[0]
    columns = math.ceil(dataset.width / block_cols)
    rows = math.ceil(dataset.height / block_rows)
    last = f"{columns - 1}_{rows - 1}"
    for band in sorted({1, dataset.count}):
        offset = dataset.get_tag_item(f"BLOCK_OFFSET_{last}", "TIFF", bidx=band)
        size = dataset.get_tag_item(f"BLOCK_SIZE_{last}", "TIFF", bidx=band)
        if offset and size and int(offset) + int(size) > file_bytes:
            return (
                f"the file is cut short: its pixels run to byte {int(offset) + int(size):,} "
                f"and the file has {file_bytes:,} bytes; upload it again"
            )
    return None
