"""Import a researcher's image as an imagery record: the file kept as received, its
footprint a record of its own layer, its pixels drawn from a display copy.

Two ways in: an image that says where it lies (a GeoTIFF, a JPEG or PNG beside its
world file: `import_image`), and a released picture the researcher georeferenced
with control points (`import_georeferenced`). Either way the record carries the
SHA-256 of the file as received, what the researcher states about it (`ImageryFacts`:
the date with its precision, who took and who released it, the source), what the
file itself states (labelled, never made the date), and for a georeferenced picture
its control points, residuals and RMS error. Nothing is half-stored: the display copy
is made before the record, and removed if the record is refused.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.access import Signer, signed_name
from geo.dates import parse_date
from geo.errors import DataError, Problem
from geo.georef import Fit, georeferenced_tiff
from geo.imagery.pixels import display_path, make_display_copy
from geo.imagery.raster import describe_raster
from geo.imagery.record import imagery_record
from geo.imagery.upload import write_upload
from geo.records import free_layer_name, name_problem
from geo.store import ImportReceipt, Store
from geo.text import decode_text

# Who placed a georeferenced picture on the map, in the record's words.
GEOREFERENCED_BY_RESEARCHER = "georeferenced by the researcher"
LAYER_PREFIX = "Imagery: "


@dataclass(frozen=True)
class ImageryFacts:
    """What the researcher states about an image, each as they give it; None when not
    known. The date is EDTF ("2015-01" is a month) and `date_as_stated` the words it
    was read from ("January 2015"); no date is ever taken from the file."""

    name: str
    date: str | None = None
    date_as_stated: str | None = None
    provider: str | None = None  # who took it: "DigitalGlobe", "Airbus"
    sensor: str | None = None  # "WorldView-2"
    released_by: str | None = None  # "US Department of State"
    released_on: str | None = None  # EDTF
    source_title: str | None = None
    source_url: str | None = None
    source_quote: str | None = None

    def problems(self) -> list[Problem]:
        """What keeps these facts from a record, each naming its field."""
        problems = []
        named = name_problem(self.name, "the name", field="name")
        if named is not None:
            problems.append(named)
        for field in ("date", "released_on"):
            value = getattr(self, field)
            if value is None:
                continue
            try:
                parse_date(value)
            except DataError as exc:
                problems += [Problem(p.message, field=field) for p in exc.problems]
        if self.date_as_stated is not None and self.date is None:
            problems.append(
                Problem(
                    "a date as stated needs the date it means (EDTF, such as 2015-01)",
                    field="date",
                )
            )
        return problems

    def properties(self) -> dict[str, Any]:
        """The facts given, as a record's properties; the source as the case's records
        cite theirs (a list of sources, each with its words)."""
        stated = {
            key: getattr(self, key)
            for key in ("provider", "sensor", "released_by", "released_on")
            if getattr(self, key)
        }
        source = {
            key: value
            for key, value in (
                ("title", self.source_title),
                ("url", self.source_url),
                ("quote", self.source_quote),
            )
            if value
        }
        return stated | ({"sources": [source]} if source else {})


def _checked(facts: ImageryFacts, file: str) -> None:
    problems = facts.problems()
    if problems:
        raise DataError([Problem(p.message, file=file, field=p.field) for p in problems])


def _import(
    store: Store,
    image: Path,
    *,
    file_name: str,
    file_bytes: bytes,
    facts: ImageryFacts,
    analyst: Signer,
    extra: dict[str, Any],
) -> ImportReceipt:
    info = describe_raster(image)
    sha256 = hashlib.sha256(file_bytes).hexdigest()
    layer = free_layer_name(LAYER_PREFIX + facts.name.strip(), (i.name for i in store.layers()))
    record = imagery_record(
        info,
        name=facts.name.strip(),
        layer=layer,
        date=facts.date,
        date_as_stated=facts.date_as_stated or facts.date,
        properties=facts.properties() | {"sha256": sha256, "file_name": file_name} | extra,
    )
    had_copy = display_path(store.data_dir, sha256).exists()
    copy = make_display_copy(image, store.data_dir, sha256)
    try:
        return store.import_layer(
            layer, [record], analyst=analyst, file_name=file_name, file_bytes=file_bytes
        )
    except BaseException:
        if not had_copy:
            copy.unlink(missing_ok=True)
        raise


def import_image(
    store: Store,
    picture: bytes,
    *,
    file_name: str,
    facts: ImageryFacts,
    analyst: Signer,
    sidecar: bytes | None = None,
    crs: str | None = None,
) -> ImportReceipt:
    """Import the uploaded image `picture`, named `file_name`, as an imagery record in a
    layer of its own: a GeoTIFF, or a JPEG or PNG placed by its `sidecar` (a world file
    or .aux.xml), in `crs` when the picture states none (`geo.imagery.write_upload`).
    The sidecar and the CRS given are kept with the record, as they place the image.
    DataError for facts, or an image, that cannot be kept."""
    _checked(facts, file_name)
    extra: dict[str, Any] = {}
    if sidecar is not None:
        extra["sidecar"] = decode_text(sidecar, file="the world file")
    if crs is not None:
        extra["crs_given"] = crs
    with tempfile.TemporaryDirectory(prefix="imagery-") as folder:
        image = write_upload(Path(folder), picture, file_name, sidecar, crs=crs)
        return _import(
            store,
            image,
            file_name=file_name,
            file_bytes=picture,
            facts=facts,
            analyst=analyst,
            extra=extra,
        )


def import_georeferenced(
    store: Store,
    picture: bytes,
    fitted: Fit,
    *,
    file_name: str,
    facts: ImageryFacts,
    analyst: Signer,
) -> ImportReceipt:
    """Import a released picture placed by `fitted` (`geo.georef.fit`): the picture is
    kept as received, and the record says it was georeferenced by the researcher, by
    whom, how, from which control points and with what error."""
    _checked(facts, file_name)
    tiff = georeferenced_tiff(picture, fitted, file=file_name, date=facts.date)
    georeferencing = {
        "by": GEOREFERENCED_BY_RESEARCHER,
        "analyst": signed_name(analyst),
        "resampled": tiff.resampled,
        **fitted.to_dict(),
    }
    with tempfile.TemporaryDirectory(prefix="georef-") as folder:
        image = Path(folder) / "georeferenced.tif"
        image.write_bytes(tiff.data)
        return _import(
            store,
            image,
            file_name=file_name,
            file_bytes=picture,
            facts=facts,
            analyst=analyst,
            extra={"georeferencing": georeferencing},
        )
