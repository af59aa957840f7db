"""Files inside an uploaded zip (a KMZ, a zipped shapefile), unpacked within the limits.

An archive states each member's size; a zip bomb states small ones, or a ratio of a
thousand to one. Both are checked before unpacking, then the bytes that really come
out are counted, so no member can take more than its share of `Limits.max_bytes`.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from geo.formats.limits import MB
from geo.formats.reader import Reader

# Below this size a member cannot exhaust memory, whatever its compression ratio.
RATIO_FLOOR = 1 * MB
_CHUNK = 1 * MB
# A damaged, encrypted or exotic archive fails in many ways inside zipfile.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zlib.error,
    EOFError,
    OSError,
    struct.error,
)


def open_zip(data: bytes, reader: Reader, what: str) -> zipfile.ZipFile:
    """The archive, or a refusal saying the upload is not one (`what`: "a KMZ file is ...")."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        reader.refuse(f"not a zip archive: {what}")


def unpack(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    reader: Reader,
    *,
    budget: int,
    inside: str,
    budget_of: str,
) -> bytes:
    """The bytes of `member`, refused past `budget` bytes (the limit `budget_of`: "of a
    KML file") or past the compression ratio limit; `inside` names the archive."""
    limits = reader.limits
    size, packed = member.file_size, member.compress_size
    bomb = f"{member.filename!r} in {inside}"
    if size > budget:
        reader.refuse(
            f"{bomb} unpacks to {size:,} bytes, over the {budget:,}-byte limit {budget_of}"
        )
    if size > RATIO_FLOOR and size > limits.max_kmz_ratio * max(packed, 1):
        reader.refuse(
            f"{bomb} is compressed {size // max(packed, 1):,} to 1, over the limit of "
            f"{limits.max_kmz_ratio} to 1 (a zip bomb?)"
        )
    # The sizes above are the archive's own word; count what really comes out.
    allowed = min(budget, max(RATIO_FLOOR, limits.max_kmz_ratio * packed))
    chunks, total = [], 0
    try:
        with archive.open(member) as stream:
            while total <= allowed and (chunk := stream.read(_CHUNK)):
                reader.check_time()
                total += len(chunk)
                chunks.append(chunk)
    except ZIP_ERRORS as exc:
        reader.refuse(f"cannot read {member.filename!r} from {inside}: {exc}")
    if total > allowed:
        reader.refuse(f"{bomb} unpacks to more than its limit (a zip bomb?)")
    return b"".join(chunks)
