"""A local stand-in for a STAC API (Earth Search's shape), so catalogue tests never use
the internet.

`FakeStac` answers on 127.0.0.1 with a free port: the landing page, /conformance,
/search (POST and GET: bbox or intersects, datetime, collections), /collections/<c>/items/<id>,
and /files/<name> (the items' COGs, with Content-Length, HEAD and GET). It records every
request. `behaviour` picks a failure for the paths starting with its `prefix`: a status code,
a body that is not JSON, or silence for `delay` seconds. `python tests/fake_stac.py PORT`
serves it for the app.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import shapely
from shapely.geometry import box, shape

from geo.imagery import cloud_optimized_copy
from geo.imagery.synthetic import write_raster

CONFORMANCE = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
COLLECTION = "sentinel-2-l2a"
# Saydnaya (33.665 N, 36.3286 E) lies in every footprint but the last's.
ITEMS: list[dict[str, Any]] = [
    # (id, datetime as the catalogue states it, platform, cloud cover, footprint bounds)
    {
        "id": "S2B_37SBT_20240513_0_L2A",
        "datetime": "2024-05-13T08:25:42.113000Z",
        "platform": "sentinel-2b",
        "cloud": 12.5,
        "bounds": (36.0, 33.4, 36.9, 34.2),
    },
    {
        "id": "S2A_37SBT_20240503_0_L2A",
        "datetime": "2024-05-03T08:25:51.020000Z",
        "platform": "sentinel-2a",
        "cloud": 3.1,
        "bounds": (36.0, 33.4, 36.9, 34.2),
    },
    {
        "id": "S2A_37SBT_20240508_0_L2A",
        "datetime": "2024-05-08T08:25:48Z",
        "platform": "sentinel-2a",
        "cloud": 64.0,
        "bounds": (35.9, 33.3, 36.8, 34.1),
    },
    {
        "id": "S2A_31UDQ_20240505_0_L2A",  # Paris: never found over Saydnaya
        "datetime": "2024-05-05T10:56:21Z",
        "platform": "sentinel-2a",
        "cloud": 0.5,
        "bounds": (1.8, 48.5, 2.9, 49.3),
    },
]


def write_cog(folder: Path, value: int) -> bytes:
    """A small visual COG over Saydnaya: three bands of `value`, 1 m a pixel, UTM 37N."""
    data = np.full((3, 256, 256), value, dtype=np.uint8)
    plain = write_raster(folder / f"plain-{value}.tif", data)
    return cloud_optimized_copy(plain, folder / f"cog-{value}.tif").read_bytes()


@dataclass
class Behaviour:
    """What the server does with requests whose path starts with `prefix`."""

    kind: str = "normal"  # normal | status | body | silent
    prefix: str = "/"
    status: int = 500
    body: bytes = b"<html>Service unavailable</html>"
    delay: float = 0.0
    extra_properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    params: dict[str, list[str]]
    body: Any


class FakeStac:
    def __init__(self, folder: Path, behaviour: Behaviour | None = None, port: int = 0) -> None:
        self.behaviour = behaviour or Behaviour()
        self.requests: list[SeenRequest] = []
        self.files = {
            f"{item['id']}_TCI.tif": write_cog(folder, 60 + 60 * number)
            for number, item in enumerate(ITEMS)
        }
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                fake._handle(self, "HEAD")

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeStac:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def seen(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # -- answers

    def item(self, spec: dict[str, Any]) -> dict[str, Any]:
        west, south, east, north = spec["bounds"]
        name = f"{spec['id']}_TCI.tif"
        base = self.url
        return {
            "type": "Feature",
            "stac_version": "1.0.0",
            "stac_extensions": [],
            "id": spec["id"],
            "collection": COLLECTION,
            "bbox": [west, south, east, north],
            "geometry": shapely.geometry.mapping(box(west, south, east, north)),
            "properties": {
                "datetime": spec["datetime"],
                "platform": spec["platform"],
                "constellation": "sentinel-2",
                "instruments": ["msi"],
                "eo:cloud_cover": spec["cloud"],
                **self.behaviour.extra_properties,
            },
            "links": [
                {
                    "rel": "self",
                    "type": "application/geo+json",
                    "href": f"{base}/collections/{COLLECTION}/items/{spec['id']}",
                },
                {"rel": "collection", "href": f"{base}/collections/{COLLECTION}"},
            ],
            "assets": {
                "visual": {
                    "href": f"{base}/files/{name}",
                    "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                    "title": "True color image",
                    "roles": ["visual"],
                },
                "thumbnail": {"href": f"{base}/files/{spec['id']}.jpg", "type": "image/jpeg"},
            },
        }

    def landing(self) -> dict[str, Any]:
        base = self.url
        return {
            "type": "Catalog",
            "stac_version": "1.0.0",
            "id": "fake-earth-search",
            "title": "A fake STAC API for tests",
            "description": "Items near Saydnaya",
            "conformsTo": CONFORMANCE,
            "links": [
                {"rel": "self", "type": "application/json", "href": base},
                {"rel": "root", "type": "application/json", "href": base},
                {"rel": "conformance", "type": "application/json", "href": f"{base}/conformance"},
                {"rel": "data", "type": "application/json", "href": f"{base}/collections"},
                {
                    "rel": "search",
                    "type": "application/geo+json",
                    "href": f"{base}/search",
                    "method": "GET",
                },
                {
                    "rel": "search",
                    "type": "application/geo+json",
                    "href": f"{base}/search",
                    "method": "POST",
                },
            ],
        }

    def search(self, query: dict[str, Any]) -> dict[str, Any]:
        found = []
        where = None
        if query.get("intersects"):
            where = shape(query["intersects"])
        elif query.get("bbox"):
            where = box(*query["bbox"])
        start = end = None
        if query.get("datetime"):
            first, _, last = str(query["datetime"]).partition("/")
            start = _instant(first) if first not in ("", "..") else None
            end = _instant(last, end=True) if last not in ("", "..") else None
        collections = query.get("collections")
        for spec in ITEMS:
            if collections and COLLECTION not in collections:
                continue
            if where is not None and not box(*spec["bounds"]).intersects(where):
                continue
            when = _instant(spec["datetime"])
            if (start and when < start) or (end and when > end):
                continue
            found.append(self.item(spec))
        limit = int(query.get("limit") or 10)
        return {
            "type": "FeatureCollection",
            "features": found[:limit],
            "numberReturned": len(found[:limit]),
            "links": [{"rel": "root", "href": self.url}],
        }

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        body: Any = None
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length)
            with contextlib.suppress(ValueError):
                body = json.loads(raw)
        with self._lock:
            self.requests.append(SeenRequest(method, parts.path, parse_qs(parts.query), body))
        with contextlib.suppress(OSError):
            self._answer(handler, method, parts.path, parse_qs(parts.query), body)

    def _answer(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        params: dict[str, list[str]],
        body: Any,
    ) -> None:
        behaviour = self.behaviour
        if behaviour.kind != "normal" and path.startswith(behaviour.prefix):
            if behaviour.kind == "silent":
                time.sleep(behaviour.delay)
                return
            status = behaviour.status if behaviour.kind == "status" else 200
            return _send(handler, status, behaviour.body, "text/html", method)
        if path in ("", "/"):
            return _json(handler, self.landing(), method)
        if path == "/conformance":
            return _json(handler, {"conformsTo": CONFORMANCE}, method)
        if path == "/search":
            if method == "POST":
                query = body if isinstance(body, dict) else {}
            else:
                query = {key: values[0] for key, values in params.items()}
                if "intersects" in query:
                    query["intersects"] = json.loads(query["intersects"])
                if "bbox" in query:
                    query["bbox"] = [float(v) for v in query["bbox"].split(",")]
                if "collections" in query:
                    query["collections"] = query["collections"].split(",")
            return _json(handler, self.search(query), method, "application/geo+json")
        if path.startswith(f"/collections/{COLLECTION}/items/"):
            item_id = path.rsplit("/", 1)[1]
            for spec in ITEMS:
                if spec["id"] == item_id:
                    return _json(handler, self.item(spec), method, "application/geo+json")
        if path.startswith("/files/"):
            data = self.files.get(path.removeprefix("/files/"))
            if data is not None:
                return _send(handler, 200, data, "image/tiff", method)
        return _send(handler, 404, b'{"code": "NotFound"}', "application/json", method)


def _instant(text: str, *, end: bool = False) -> datetime:
    text = text.strip().replace("Z", "+00:00")
    if "T" not in text:
        text += "T23:59:59.999999+00:00" if end else "T00:00:00+00:00"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json(
    handler: BaseHTTPRequestHandler, data: Any, method: str, kind: str = "application/json"
) -> None:
    _send(handler, 200, json.dumps(data).encode(), kind, method)


def _send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str, method: str
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if method != "HEAD":
        handler.wfile.write(body)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":  # serve the fake for the app: python tests/fake_stac.py PORT
    import tempfile

    with tempfile.TemporaryDirectory() as folder, FakeStac(Path(folder), port=int(sys.argv[1])):
        print(f"fake STAC on port {sys.argv[1]}", flush=True)
        while True:
            time.sleep(3600)
