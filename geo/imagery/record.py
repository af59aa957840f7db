"""An imagery record for a researcher's own image: its footprint, what it is, and what
the file states, with the date the researcher gives (never one read from the file)."""

from __future__ import annotations

from typing import Any

from geo.imagery.raster import RasterInfo
from geo.imagery.stated import stated_as_dicts
from geo.records import Kind, LayerRecord


def raster_properties(info: RasterInfo) -> dict[str, Any]:
    """What the image is, as plain JSON for a record's properties."""
    return {
        "file": info.file,
        "format": info.format,
        "width": info.width,
        "height": info.height,
        "bands": info.bands,
        "dtype": info.dtype,
        "crs": info.crs,
        "crs_name": info.crs_name,
        "placed_by": info.placed_by,
        "resolution_m": list(info.resolution_m),
        "resolution_approximate": info.resolution_approximate,
    }


def imagery_record(
    info: RasterInfo,
    *,
    name: str,
    layer: str,
    date: str | None = None,
    date_as_stated: str | None = None,
    properties: dict[str, Any] | None = None,
) -> LayerRecord:
    """A new imagery record (the store gives it an id) outlining the image.

    `date` (EDTF) and `date_as_stated` are the researcher's: the dates a file states
    (`info.stated_in_file`) are kept in the properties as `stated_in_file`, verbatim and
    labelled, and never become the record's date. `properties` are the form's own.
    """
    return LayerRecord(
        id="",
        layer=layer,
        kind=Kind.IMAGERY,
        name=name,
        geometry=info.footprint,
        properties={
            **(properties or {}),
            "raster": raster_properties(info),
            "stated_in_file": stated_as_dicts(info.stated_in_file),
        },
        date=date,
        date_as_stated=date_as_stated,
    )
