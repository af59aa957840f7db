"""`Basemap`: what an offline basemap is, as the index `basemaps.json` keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from geo.errors import DataError, Problem
from geo.geojson import bounds_problems as geojson_bounds_problems
from geo.store.files import is_sha256

# Leaflet, rio-tiler and the tile packages all count zoom levels from 0 to 24 at most.
MAX_ZOOM = 24
# What the map says of every basemap, in its name in the layer control.
NOT_EVIDENCE = "not evidence"


class BasemapKind(StrEnum):
    RASTER = "raster"  # a GeoTIFF, kept as a Cloud-Optimized copy and tiled on request
    MBTILES = "mbtiles"  # an SQLite file of tiles (MBTiles 1.3)
    PMTILES = "pmtiles"  # one file of tiles with a directory (PMTiles version 3)


class TileFormat(StrEnum):
    PNG = "png"
    JPG = "jpg"
    WEBP = "webp"

    @property
    def media_type(self) -> str:
        return {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}[self.value]


# The file each kind is kept as, in `<data_dir>/basemaps/`.
SUFFIXES = {
    BasemapKind.RASTER: "tif",
    BasemapKind.MBTILES: "mbtiles",
    BasemapKind.PMTILES: "pmtiles",
}


def bounds_problems(bounds: Any) -> list[str]:
    """Why `bounds` (west, south, east, north in degrees) cannot place a basemap."""
    return geojson_bounds_problems(bounds, "a basemap")


def zoom_problems(min_zoom: Any, max_zoom: Any) -> list[str]:
    ok = all(isinstance(z, int) and not isinstance(z, bool) for z in (min_zoom, max_zoom))
    if not ok or not 0 <= min_zoom <= max_zoom <= MAX_ZOOM:
        return [f"zoom levels {min_zoom!r} to {max_zoom!r} are not 0 <= min <= max <= {MAX_ZOOM}"]
    return []


@dataclass(frozen=True)
class Basemap:
    """An offline basemap: context for a site, never evidence.

    `sha256` is the SHA-256 of the file as received (its id); `label`, `source` and
    `date` are the researcher's words, kept verbatim (the date is text as stated,
    never parsed: a basemap is not dated evidence). `bounds` are west, south, east,
    north in WGS84 degrees; `min_zoom`/`max_zoom` the zoom levels it has tiles for
    (a raster's deepest is where its pixels are about the tiles' pixels).
    """

    sha256: str
    label: str
    source: str
    date: str | None
    kind: BasemapKind
    bounds: tuple[float, float, float, float]
    min_zoom: int
    max_zoom: int
    tile_format: TileFormat
    file_name: str = ""  # the name it was received under
    size: int = 0  # bytes, as received

    def __post_init__(self) -> None:
        problems = []
        if not is_sha256(self.sha256):
            problems.append(f"{self.sha256!r} is not a SHA-256 (64 lowercase hex digits)")
        if not self.label.strip():
            problems.append("a basemap needs a label")
        problems += bounds_problems(self.bounds) + zoom_problems(self.min_zoom, self.max_zoom)
        if problems:
            raise DataError([Problem(message, record=self.sha256[:12]) for message in problems])

    @property
    def file(self) -> str:
        """The kept file's name in the basemaps folder."""
        return f"{self.sha256}.{SUFFIXES[self.kind]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "label": self.label,
            "source": self.source,
            "date": self.date,
            "kind": self.kind.value,
            "bounds": list(self.bounds),
            "min_zoom": self.min_zoom,
            "max_zoom": self.max_zoom,
            "tile_format": self.tile_format.value,
            "file_name": self.file_name,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Basemap:
        """The basemap `data` (from `to_dict`) describes; DataError for what does not."""
        if not isinstance(data, dict):
            raise DataError(Problem(f"a basemap entry must be an object, not {data!r}"))
        try:
            bounds = data["bounds"]
            return cls(
                sha256=str(data["sha256"]),
                label=str(data["label"]),
                source=str(data.get("source") or ""),
                date=None if data.get("date") is None else str(data["date"]),
                kind=BasemapKind(data["kind"]),
                bounds=tuple(bounds) if isinstance(bounds, list) else bounds,
                min_zoom=data["min_zoom"],
                max_zoom=data["max_zoom"],
                tile_format=TileFormat(data["tile_format"]),
                file_name=str(data.get("file_name") or ""),
                size=int(data.get("size") or 0),
            )
        except (KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(Problem(f"a basemap entry cannot be read: {exc!r}")) from exc
