"""What a file is, from its first bytes: refuse an image, an archive or a database
named as data with what it really is, and decode text as UTF-8.
"""

from __future__ import annotations

from geo.errors import DataError, Problem
from geo.text import UTF8, byte_order_mark, decode_text

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database (a GeoPackage?)"),
    (b"\x00\x00\x27\x0a", "an ESRI shapefile"),
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "a zip archive"),
)


def binary_kind(data: bytes) -> str | None:
    """What a file is, when its first bytes say it is not text."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    return None


def decode_upload(data: bytes, *, file: str, expected: str) -> str:
    """An upload's text (UTF-8, a BOM allowed: `geo.text.decode_text`), or a `DataError` that
    says what the file is instead: another encoding, binary data, or nothing."""
    bom = byte_order_mark(data)
    # A file marked as UTF-16 or UTF-32 holds NULs: decode_text names its encoding instead.
    if bom is None or bom.encoding in UTF8:
        _refuse_binary(data, file=file, expected=expected)
    text = decode_text(data, file=file, encodings=UTF8)
    if not text.strip():
        raise DataError(Problem("the file is empty", file=file))
    return text


def _refuse_binary(data: bytes, *, file: str, expected: str) -> None:
    what = binary_kind(data)
    if what is not None:
        raise DataError(Problem(f"this is {what}, not {expected}", file=file))
    head = data[: 64 * 1024]
    nul = head.find(b"\x00")
    if nul >= 0:
        # ASCII text in UTF-16 without a BOM has a NUL beside every character.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) > len(head) // 4:
            message = "this looks like UTF-16 text (every other byte is 0): save it as UTF-8"
        else:
            message = f"binary data (a NUL byte at position {nul}), not {expected}"
        raise DataError(Problem(message, file=file))
