"""Offline basemaps: context for a site without online tiles, never evidence.

A researcher adds a GeoTIFF, an MBTiles or a PMTiles file of picture tiles for an
area; the map offers it as a base layer named "Offline basemap: <label> (<date>) —
not evidence". A basemap is not an imagery record: it is kept beside the store, not
in its history (`storage` says why), is in no export and on no timeline.

- `record`: `Basemap`, what the index keeps of one (to_dict/from_dict).
- `storage`: `add_basemap` (checks the file whole, then keeps it), `basemaps`,
  `remove_basemap`, `basemap_tile` (a tile's bytes and media type).
- `mbtiles`, `pmtiles_file`, `raster`: each kind's check and tiles.
- `layer`: `basemap_tile_layer`, the folium base layer of one.

Problems are `DataError`s naming the file: not a file of tiles, vector tiles, bounds
missing or absurd, over `MAX_BASEMAP_BYTES`.
"""

from geo.basemap.layer import basemap_layer_name, basemap_tile_layer, basemap_title, basemap_url
from geo.basemap.record import Basemap, BasemapKind, TileFormat
from geo.basemap.storage import (
    BASEMAPS_DIR,
    INDEX_NAME,
    MAX_BASEMAP_BYTES,
    add_basemap,
    basemap_tile,
    basemaps,
    find_basemap,
    remove_basemap,
)

__all__ = [
    "BASEMAPS_DIR",
    "INDEX_NAME",
    "MAX_BASEMAP_BYTES",
    "Basemap",
    "BasemapKind",
    "TileFormat",
    "add_basemap",
    "basemap_layer_name",
    "basemap_tile",
    "basemap_tile_layer",
    "basemap_title",
    "basemap_url",
    "basemaps",
    "find_basemap",
    "remove_basemap",
]
