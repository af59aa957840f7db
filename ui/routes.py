"""Routes served beside the page, on the same host and port: thin wrappers over `geo`.

The imagery tiles: ``/imagery/<sha256>/<z>/<x>/<y>.png`` draws the image kept under
that SHA-256 (`geo.imagery.pixels.tile_png`) from the store the page uses. A tile
outside the image is an empty answer (204), an image or tile that is not there a 404:
Leaflet shows nothing for either and asks for the next.

The offline basemaps' tiles: ``/basemap/<sha256>/<z>/<x>/<y>`` answers the tile of the
basemap kept under that SHA-256 (`geo.basemap.basemap_tile`) with its own media type
(PNG, JPEG or WebP), 204 where it has none, 404 for a basemap or tile that is not there.

The map's records: ``/maplayer/<sha256>.json`` answers a layer's data, and
``/maplayer/<sha256>/labels/<chunk>.json`` a chunk of its labels, as the page built
them (`geo.mapdata.MAP_DATA`); 404 for a layer no longer kept (the page builds it again
on its next run).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from geo.basemap import basemap_tile
from geo.errors import GeoError
from geo.imagery.pixels import tile_png
from geo.mapdata import MAP_DATA
from geo.store import default_data_dir

# An image under its SHA-256 never changes, nor do its tiles: a browser may keep them.
_CACHED = {"Cache-Control": "private, max-age=86400"}


async def imagery_tile(request: Request) -> Response:
    params = request.path_params
    try:
        # GDAL reads files: off the event loop, so the page's own traffic is not held up
        png = await run_in_threadpool(
            tile_png, default_data_dir(), params["sha256"], params["z"], params["x"], params["y"]
        )
    except GeoError as exc:
        return Response(str(exc), status_code=404, media_type="text/plain")
    if png is None:
        return Response(status_code=204, headers=_CACHED)
    return Response(png, media_type="image/png", headers=_CACHED)


async def basemap_tile_route(request: Request) -> Response:
    params = request.path_params
    try:
        # SQLite, PMTiles and GDAL read files: off the event loop
        tile = await run_in_threadpool(
            basemap_tile,
            default_data_dir(),
            params["sha256"],
            params["z"],
            params["x"],
            params["y"],
        )
    except GeoError as exc:
        return Response(str(exc), status_code=404, media_type="text/plain")
    if tile is None:
        return Response(status_code=204, headers=_CACHED)
    data, media_type = tile
    return Response(data, media_type=media_type, headers=_CACHED)


# A layer's address holds its SHA-256: what it answers never changes.
_IMMUTABLE = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}
_NOT_KEPT = "This layer is no longer kept: reload the page."


async def map_layer(request: Request) -> Response:
    body = MAP_DATA.body(request.path_params["sha256"])
    if body is None:
        return Response(_NOT_KEPT, status_code=404, media_type="text/plain")
    return Response(body, media_type="application/json", headers=_IMMUTABLE)


async def map_labels(request: Request) -> Response:
    params = request.path_params
    # escaping and joining a thousand labels: off the event loop
    labels = await run_in_threadpool(MAP_DATA.labels, params["sha256"], params["chunk"])
    if labels is None:
        return Response(_NOT_KEPT, status_code=404, media_type="text/plain")
    return Response(labels, media_type="application/json", headers=_IMMUTABLE)


ROUTES: list[BaseRoute] = [
    Route("/maplayer/{sha256}.json", map_layer, methods=["GET"]),
    Route("/maplayer/{sha256}/labels/{chunk:int}.json", map_labels, methods=["GET"]),
    Route("/imagery/{sha256}/{z:int}/{x:int}/{y:int}.png", imagery_tile, methods=["GET"]),
    Route("/basemap/{sha256}/{z:int}/{x:int}/{y:int}", basemap_tile_route, methods=["GET"]),
]
