"""Bytes to text (geo.text): which byte-order marks are read, and what a refusal says.

Both readers of text files use `decode_text`: the imports accept UTF-8 only
(tests/test_formats.py), the extractor UTF-16 with its mark too (tests/test_extract.py).
"""

from __future__ import annotations

import codecs

import pytest

from geo.errors import DataError
from geo.text import UTF8, UTF8_OR_UTF16, byte_order_mark, decode_text

NAMES = "Ṣaydnāyā, صيدنايا\nGenève"


@pytest.mark.parametrize(
    ("data", "encodings", "text"),
    [
        (b"", UTF8, ""),
        (NAMES.encode(), UTF8, NAMES),
        (codecs.BOM_UTF8 + NAMES.encode(), UTF8, NAMES),
        (codecs.BOM_UTF8, UTF8, ""),
        (codecs.BOM_UTF16_LE + NAMES.encode("utf-16-le"), UTF8_OR_UTF16, NAMES),
        (codecs.BOM_UTF16_BE + NAMES.encode("utf-16-be"), UTF8_OR_UTF16, NAMES),
        (NAMES.encode("utf-16"), UTF8_OR_UTF16, NAMES),  # the platform's order, with its mark
        (codecs.BOM_UTF8 + NAMES.encode(), UTF8_OR_UTF16, NAMES),
        (NAMES.encode(), UTF8_OR_UTF16, NAMES),
        (b"a\x00b", UTF8, "a\x00b"),  # a NUL is UTF-8: whether it is text is the caller's rule
    ],
)
def test_decoded(data: bytes, encodings: frozenset[str], text: str) -> None:
    assert decode_text(data, file="a.txt", encodings=encodings) == text


SAVE = "save the file as UTF-8"
LATIN = "Is the file in Latin-1 or Windows-1252? Save the file as UTF-8"


@pytest.mark.parametrize(
    ("data", "encodings", "message"),
    [
        # a mark of an encoding the caller does not read
        (
            codecs.BOM_UTF16_LE + "a".encode("utf-16-le"),
            UTF8,
            f"the file is UTF-16, which is not read (it starts with the byte-order mark FF FE): "
            f"{SAVE}",
        ),
        (
            codecs.BOM_UTF16_BE + "a".encode("utf-16-be"),
            UTF8,
            f"the file is UTF-16, which is not read (it starts with the byte-order mark FE FF): "
            f"{SAVE}",
        ),
        (
            codecs.BOM_UTF32_LE + "a".encode("utf-32-le"),
            UTF8,
            "the file is UTF-32, which is not read (it starts with the byte-order mark "
            f"FF FE 00 00): {SAVE}",
        ),
        (
            codecs.BOM_UTF32_LE + "a".encode("utf-32-le"),
            UTF8_OR_UTF16,  # not mistaken for UTF-16, whose mark starts it
            "the file is UTF-32, which is not read (it starts with the byte-order mark "
            f"FF FE 00 00): {SAVE}",
        ),
        (
            codecs.BOM_UTF32_BE + "a".encode("utf-32-be"),
            UTF8_OR_UTF16,
            "the file is UTF-32, which is not read (it starts with the byte-order mark "
            f"00 00 FE FF): {SAVE}",
        ),
        # bytes that do not decode: offset and line in the file, mark included
        (
            "Genève".encode("latin-1"),
            UTF8,
            f"not UTF-8: byte 0xE8 at offset 3 (line 1: invalid continuation byte). {LATIN}",
        ),
        (
            b"name\nGen\xe8ve\n",
            UTF8,
            f"not UTF-8: byte 0xE8 at offset 8 (line 2: invalid continuation byte). {LATIN}",
        ),
        (
            codecs.BOM_UTF8 + b"ok \xff",
            UTF8,
            f"not UTF-8: byte 0xFF at offset 6 (line 1: invalid start byte). {LATIN}",
        ),
        (
            b"\x89PNG\r\n",
            UTF8,
            f"not UTF-8: byte 0x89 at offset 0 (line 1: invalid start byte). {LATIN}",
        ),
        (
            b"caf\xc3",  # cut inside a character
            UTF8,
            f"not UTF-8: byte 0xC3 at offset 3 (line 1: unexpected end of data). {LATIN}",
        ),
        (
            codecs.BOM_UTF16_LE + b"D\x00a",  # odd length
            UTF8_OR_UTF16,
            "not UTF-16: byte 0x61 at offset 4 (line 1: truncated data). Save the file as UTF-8",
        ),
        (
            codecs.BOM_UTF16_BE + b"\x00\n\xdc\x00",  # a lone low surrogate, on line 2
            UTF8_OR_UTF16,
            "not UTF-16: byte 0xDC at offset 4 (line 2: illegal encoding). Save the file as UTF-8",
        ),
    ],
)
def test_refused(data: bytes, encodings: frozenset[str], message: str) -> None:
    with pytest.raises(DataError) as caught:
        decode_text(data, file="a.txt", encodings=encodings)
    [problem] = caught.value.problems
    assert (problem.file, problem.message) == ("a.txt", message)
    # the codec's own error stays chained, as geo.errors asks
    assert isinstance(caught.value.__cause__, UnicodeDecodeError) == message.startswith("not ")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"plain", None),
        (codecs.BOM_UTF8 + b"x", "UTF-8"),
        (codecs.BOM_UTF16_LE + b"x\x00", "UTF-16"),
        (codecs.BOM_UTF16_BE + b"\x00x", "UTF-16"),
        (codecs.BOM_UTF32_LE + b"x\x00\x00\x00", "UTF-32"),
        (codecs.BOM_UTF32_BE + b"\x00\x00\x00x", "UTF-32"),
        (b"\xff", None),
    ],
)
def test_byte_order_mark(data: bytes, encoding: str | None) -> None:
    bom = byte_order_mark(data)
    assert (bom.encoding if bom else None) == encoding
