"""Bytes of a file as text: the one place that decides which encodings are read.

Text is UTF-8, with or without a byte-order mark. A caller may also accept UTF-16 with its
mark (the extractor does: word processors save texts that way); UTF-16 without a mark, and
UTF-32, are never read. Nothing is guessed: bytes that do not decode are refused with the
offset and line of the first bad byte, because a wrong guess would silently change names.
"""

from __future__ import annotations

import codecs
from collections.abc import Collection
from dataclasses import dataclass

from geo.errors import DataError, Problem


@dataclass(frozen=True)
class ByteOrderMark:
    encoding: str  # as messages name it, and as callers list what they accept
    codec: str  # Python's codec for the bytes after the mark
    mark: bytes


# UTF-32 LE before UTF-16 LE: its mark starts with UTF-16 LE's.
BYTE_ORDER_MARKS = (
    ByteOrderMark("UTF-32", "utf-32-le", codecs.BOM_UTF32_LE),
    ByteOrderMark("UTF-32", "utf-32-be", codecs.BOM_UTF32_BE),
    ByteOrderMark("UTF-8", "utf-8", codecs.BOM_UTF8),
    ByteOrderMark("UTF-16", "utf-16-le", codecs.BOM_UTF16_LE),
    ByteOrderMark("UTF-16", "utf-16-be", codecs.BOM_UTF16_BE),
)
UTF8 = frozenset({"UTF-8"})
UTF8_OR_UTF16 = frozenset({"UTF-8", "UTF-16"})


def byte_order_mark(data: bytes) -> ByteOrderMark | None:
    """The byte-order mark `data` starts with, if any."""
    return next((bom for bom in BYTE_ORDER_MARKS if data.startswith(bom.mark)), None)


def decode_text(data: bytes, *, file: str, encodings: Collection[str] = UTF8) -> str:
    """`data` as text: UTF-8 without a mark, else the encoding its mark names if it is one
    of `encodings`; a `DataError` about `file` otherwise, saying which byte is wrong."""
    bom = byte_order_mark(data)
    if bom is not None and bom.encoding not in encodings:
        raise DataError(
            Problem(
                f"the file is {bom.encoding}, which is not read (it starts with the byte-order "
                f"mark {bom.mark.hex(' ').upper()}): save the file as UTF-8",
                file=file,
            )
        )
    encoding, codec, skipped = (
        (bom.encoding, bom.codec, len(bom.mark)) if bom is not None else ("UTF-8", "utf-8", 0)
    )
    try:
        return data[skipped:].decode(codec)
    except UnicodeDecodeError as exc:
        offset = skipped + exc.start
        line = data[skipped:offset].decode(codec, errors="replace").count("\n") + 1
        hint = "Is the file in Latin-1 or Windows-1252? " if encoding == "UTF-8" else ""
        raise DataError(
            Problem(
                f"not {encoding}: byte 0x{data[offset]:02X} at offset {offset} "
                f"(line {line}: {exc.reason}). {hint}Save the file as UTF-8",
                file=file,
            )
        ) from exc
