"""Routes served beside the page, on the same host and port: thin wrappers over `geo`.

The imagery tiles: ``/imagery/<sha256>/<z>/<x>/<y>.png`` draws the image kept under
that SHA-256 (`geo.imagery.pixels.tile_png`) from the store the page uses. A tile
outside the image is an empty answer (204), an image or tile that is not there a 404:
Leaflet shows nothing for either and asks for the next.

The offline basemaps' tiles: ``/basemap/<sha256>/<z>/<x>/<y>`` answers the tile of the
basemap kept under that SHA-256 (`geo.basemap.basemap_tile`) with its own media type
(PNG, JPEG or WebP), 204 where it has none, 404 for a basemap or tile that is not there.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from geo.basemap import basemap_tile
from geo.errors import GeoError
from geo.imagery.pixels import tile_png
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


ROUTES: list[BaseRoute] = [
    Route("/imagery/{sha256}/{z:int}/{x:int}/{y:int}.png", imagery_tile, methods=["GET"]),
    Route("/basemap/{sha256}/{z:int}/{x:int}/{y:int}", basemap_tile_route, methods=["GET"]),
]
