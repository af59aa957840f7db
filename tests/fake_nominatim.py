"""A local stand-in for Nominatim's /search endpoint, so geocoding tests never use the internet.

`FakeNominatim` answers on 127.0.0.1 with a free port and records every request it gets
(path, query parameters, headers, arrival time on `time.monotonic`, the same clock the tests
measure with). `behaviour` picks the answer: a normal result list, a status code (with
headers), silence, headers followed by silence, a slow trickle, or a body that is not JSON.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SAYDNAYA_RESULTS: list[dict[str, Any]] = [
    {
        "place_id": 101,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "way",
        "osm_id": 123456789,
        "lat": "33.6946",
        "lon": "36.3606",
        "class": "amenity",
        "type": "prison",
        "place_rank": 30,
        "importance": 0.31,
        "addresstype": "amenity",
        "name": "Saydnaya Prison",
        "display_name": "Saydnaya Prison, Saydnaya, Rif Dimashq, Syria",
        "boundingbox": ["33.6903", "33.6990", "36.3550", "36.3660"],
    },
    {
        "place_id": 102,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "node",
        "osm_id": 987654,
        "lat": "33.6984",
        "lon": "36.3747",
        "class": "place",
        "type": "town",
        "place_rank": 16,
        "importance": "0.45",
        "addresstype": "town",
        "name": "Saydnaya",
        "display_name": "Saydnaya, Rif Dimashq, Syria",
        "boundingbox": ["33.6784", "33.7184", "36.3547", "36.3947"],
    },
]


@dataclass(frozen=True)
class SeenRequest:
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    at: float


@dataclass
class Behaviour:
    """What the server does with the next requests; tests may change it between calls."""

    kind: str = "results"  # results | status | silent | stall | trickle | body
    results: Any = field(default_factory=lambda: list(SAYDNAYA_RESULTS))
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # before answering ("results") or for how long to stay quiet
    trickle_every: float = 0.2


class FakeNominatim:
    """`with FakeNominatim() as server:` then point a config at `server.domain` over http."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with fake._lock:
                    fake.requests.append(
                        SeenRequest(
                            path=parts.path,
                            params=parse_qs(parts.query),
                            headers=dict(self.headers.items()),
                            at=time.monotonic(),
                        )
                    )
                # The client may give up before the answer is out: that is what some
                # tests want.
                with contextlib.suppress(OSError):
                    fake._answer(self, fake.behaviour)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def domain(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def __enter__(self) -> FakeNominatim:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, behaviour: Behaviour) -> None:
        if behaviour.kind == "silent":
            time.sleep(behaviour.delay)
            return
        if behaviour.kind == "stall":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "100")
            handler.end_headers()
            handler.wfile.flush()
            time.sleep(behaviour.delay)
            return
        if behaviour.kind == "trickle":
            # The result list, a chunk at a time over `delay` seconds: each chunk arrives
            # well within the read timeout, so only a total deadline stops the client
            # from waiting for the whole body.
            body = json.dumps(behaviour.results).encode()
            chunks = max(1, int(behaviour.delay / behaviour.trickle_every))
            size = -(-len(body) // chunks)
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            for start in range(0, len(body), size):
                handler.wfile.write(body[start : start + size])
                handler.wfile.flush()
                time.sleep(behaviour.trickle_every)
            return
        time.sleep(behaviour.delay)
        if behaviour.kind == "results":
            body = json.dumps(behaviour.results).encode()
            content_type = "application/json; charset=utf-8"
        else:
            body = behaviour.body
            content_type = "text/html; charset=utf-8"
        handler.send_response(behaviour.status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in behaviour.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
