"""Whether a TIFF file is whole, from its header and first directory (read here, not by GDAL).

An upload cut short in transfer still opens in GDAL when its directory comes
first: the values stored after the cut (the georeference, the offsets of the
pixels) then read as missing, and the file seems to have no georeference. So
the values the first directory points to must lie inside the file, and so
must the last block of pixels (`geo.imagery.opening.cut_short`).
"""

from __future__ import annotations

import struct
from typing import BinaryIO

# Bytes of one value of each TIFF field type (TIFF 6.0 and BigTIFF).
_TYPE_BYTES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_TYPE_BYTES |= {16: 8, 17: 8, 18: 8}
# Entries of a directory read at most: a TIFF directory holds a few dozen.
MAX_ENTRIES = 4096


def directory_cut_short(stream: BinaryIO, file_bytes: int) -> str | None:
    """Why the TIFF in `stream` is cut short, judged by its first directory, or None
    (also None when the header is not TIFF's: GDAL then says what is wrong)."""
    stream.seek(0)
    header = stream.read(16)
    if len(header) < 8 or header[:2] not in (b"II", b"MM"):
        return None
    order = "<" if header[:2] == b"II" else ">"
    (version,) = struct.unpack(order + "H", header[2:4])
    if version == 42:
        (first,) = struct.unpack(order + "I", header[4:8])
        count_format, entry_format, inline = "H", "HHII", 4
    elif version == 43 and len(header) == 16:
        (first,) = struct.unpack(order + "Q", header[8:16])
        count_format, entry_format, inline = "Q", "HHQQ", 8
    else:
        return None
    count_size = struct.calcsize(order + count_format)
    entry_size = struct.calcsize(order + entry_format)
    stream.seek(first)
    raw_count = stream.read(count_size)
    if len(raw_count) < count_size:
        return _cut(first + count_size, file_bytes)
    (entries,) = struct.unpack(order + count_format, raw_count)
    entries = min(entries, MAX_ENTRIES)
    directory = stream.read(entries * entry_size)
    if len(directory) < entries * entry_size:
        return _cut(first + count_size + entries * entry_size, file_bytes)
    for index in range(entries):
        _, kind, count, offset = struct.unpack_from(
            order + entry_format, directory, index * entry_size
        )
        size = _TYPE_BYTES.get(kind, 0) * count
        if size > inline and offset + size > file_bytes:
            return _cut(offset + size, file_bytes)
    return None


def _cut(end: int, file_bytes: int) -> str:
    return (
        f"the file is cut short: it refers to byte {end:,} and has {file_bytes:,} bytes; "
        "upload it again"
    )
