"""What an image file says about its own time and origin, verbatim and labelled.

A file's tags are claims of uneven weight: a TIFF DateTime tag is usually the
moment some software wrote the file, not the moment the picture was taken, and
a camera's clock may be wrong. So nothing here becomes a date: each value is
kept as the string found, with what it is in words, for the researcher to
weigh (the record's date is what the researcher states, `geo.imagery.record`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# A tag's value is kept up to this many characters (a TIFF description may be megabytes).
MAX_VALUE = 2_000
# Values kept from one file: a file may carry thousands of metadata items.
MAX_ITEMS = 100

# GDAL's metadata domains read: the file's own items, and IMAGERY, which GDAL fills from a
# provider's metadata files found next to the image (DigitalGlobe .IMD, Pléiades DIM...).
DOMAINS = ("", "IMAGERY")

# (domain, name) -> what the value is. Names as GDAL reports them.
KNOWN: dict[tuple[str, str], str] = {
    ("", "TIFFTAG_DATETIME"): (
        "when the file was written, by its TIFF DateTime tag: usually when it was exported "
        "or processed, not when the picture was taken"
    ),
    ("", "EXIF_DateTimeOriginal"): (
        "when the picture was taken, by the camera's clock (EXIF DateTimeOriginal); the "
        "clock may be wrong or set to another time zone"
    ),
    ("", "EXIF_DateTimeDigitized"): "when the picture was digitised (EXIF DateTimeDigitized)",
    ("", "EXIF_DateTime"): (
        "when the file was last changed (EXIF DateTime): often an edit made after the "
        "picture was taken"
    ),
    ("IMAGERY", "ACQUISITIONDATETIME"): (
        "when the image was acquired, by the provider's metadata files read next to it"
    ),
    ("IMAGERY", "SATELLITEID"): "the satellite named by the provider's metadata files",
    ("IMAGERY", "CLOUDCOVER"): "cloud cover in percent, by the provider's metadata files",
    ("", "TIFFTAG_SOFTWARE"): "the software that wrote the file (TIFF Software tag)",
    ("", "TIFFTAG_ARTIST"): "who the file names as its creator (TIFF Artist tag)",
    ("", "TIFFTAG_COPYRIGHT"): "the copyright notice in the file (TIFF Copyright tag)",
    ("", "TIFFTAG_IMAGEDESCRIPTION"): "the file's description of itself (TIFF ImageDescription)",
    ("", "TIFFTAG_DOCUMENTNAME"): "the document name in the file (TIFF DocumentName tag)",
    ("", "TIFFTAG_HOSTCOMPUTER"): "the computer that wrote the file (TIFF HostComputer tag)",
    ("", "EXIF_Make"): "the camera's maker (EXIF Make)",
    ("", "EXIF_Model"): "the camera's model (EXIF Model)",
    ("", "EXIF_Software"): "the software that wrote the file (EXIF Software)",
    ("", "EXIF_Artist"): "who the file names as its creator (EXIF Artist)",
    ("", "EXIF_Copyright"): "the copyright notice in the file (EXIF Copyright)",
}
_ORDER = {key: index for index, key in enumerate(KNOWN)}

# Other items kept: those whose names speak of a time, or of who or what made the image.
_TIME = re.compile(r"DATE|TIME|ACQUI|IMAGING|CAPTURE|EPOCH", re.IGNORECASE)
_ORIGIN = re.compile(
    r"SOFTWARE|ARTIST|AUTHOR|COPYRIGHT|CREDIT|LICEN[CS]E|PRODUCER|PROVIDER|SATELLITE|"
    r"SENSOR|PLATFORM|MISSION|INSTRUMENT|SOURCE|ORIGIN|PROCESS",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Stated:
    """One value a file states about its time or origin: verbatim, never parsed."""

    name: str  # the tag or item as GDAL names it: "TIFFTAG_DATETIME"
    value: str  # as found (cut at MAX_VALUE characters; `meaning` then says so)
    meaning: str  # what the value is, in words
    domain: str = ""  # "" for the file's own items; "IMAGERY" for a provider's files

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value, "meaning": self.meaning} | (
            {"domain": self.domain} if self.domain else {}
        )


def _meaning(domain: str, name: str) -> str | None:
    known = KNOWN.get((domain, name))
    if known is not None:
        return known
    if domain == "IMAGERY":
        return f"stated as {name} by the provider's metadata files read next to the image"
    if _TIME.search(name):
        return (
            f"a date or time the file states as {name}: what it dates (the capture, the "
            "processing, the delivery) is for whoever wrote it to say"
        )
    if _ORIGIN.search(name):
        return f"who or what made the image, as the file states it under {name}"
    return None


def stated_in_file(tags: Mapping[str, Mapping[str, Any]]) -> tuple[Stated, ...]:
    """The items of `tags` (GDAL metadata: domain -> name -> value) that speak of time or
    origin, known tags first in `KNOWN`'s order, then the others as the file has them."""
    found: list[tuple[int, int, Stated]] = []
    position = 0
    for domain in DOMAINS:
        for name, value in tags.get(domain, {}).items():
            meaning = _meaning(domain, str(name))
            if meaning is None or value is None:
                continue
            text = str(value)
            if len(text) > MAX_VALUE:
                meaning += f" (the first {MAX_VALUE:,} of its {len(text):,} characters)"
                text = text[:MAX_VALUE]
            rank = _ORDER.get((domain, str(name)), len(_ORDER))
            found.append((rank, position, Stated(str(name), text, meaning, domain)))
            position += 1
    found.sort(key=lambda item: item[:2])
    return tuple(stated for _, _, stated in found[:MAX_ITEMS])


def stated_as_dicts(stated: Iterable[Stated]) -> list[dict[str, str]]:
    """The values as plain JSON, as a record's properties keep them."""
    return [item.to_dict() for item in stated]
