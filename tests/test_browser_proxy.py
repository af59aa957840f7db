"""The README's reverse proxy (README, "A team server"), as written: its nginx block is
read from the README (`tests/proxy.py`), so the two cannot drift apart, given a
throw-away certificate and free ports, and put in front of the app; Chromium then
uses the explorer through it under the team's name, and other names are refused."""

from __future__ import annotations

import os
import re
import socket
import ssl
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from geo.access import Role
from geo.imagery.synthetic import SAYDNAYA, transform_around, write_raster
from geo.store import Store
from tests.browser import Session, free_port, launch_chromium, start_app
from tests.oidc import auth_secrets, sign_in
from tests.proxy import (
    APP,
    CERTIFICATE,
    KEY,
    NGINX,
    README,
    ROOT,
    TEAM_NAME,
    adapted,
    nginx_conf,
    readme_nginx_block,
    running_nginx,
    self_signed,
)
from tests.test_browser_imagery import import_geotiff, solid

BLOCK = readme_nginx_block(README.read_text(encoding="utf-8"))


def _directives(block: str) -> list[str]:
    """The block's directives, one a line, comments and spacing removed."""
    lines = (line.split("#", 1)[0] for line in block.splitlines())
    return [" ".join(line.split()) for line in lines if line.strip()]


def test_the_readme_block_has_what_the_page_needs():
    directives = _directives(BLOCK)
    for needed in (
        f"server_name {TEAM_NAME};",
        "proxy_http_version 1.1;",  # the page's WebSocket, /_stcore/stream
        "proxy_set_header Upgrade $http_upgrade;",
        'proxy_set_header Connection "upgrade";',
        # the app compares the Host with the page's origin, port included
        "proxy_set_header Host $http_host;",
    ):
        assert needed in directives, needed
    # any other name: no TLS handshake, and no answer on a handshake made for the team
    assert any(
        "default_server;" in line and "ssl_reject_handshake on;" in line and "return" in line
        for line in directives
    )


def test_the_proxy_takes_every_upload_the_app_takes():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    app_limit_mb = config["server"].get("maxUploadSize", 200)  # Streamlit's default
    sizes = re.findall(r"client_max_body_size (\d+)m;", BLOCK)
    assert len(sizes) == 1, "the README's block must set client_max_body_size in MB"
    # strictly more: the multipart form around the file counts too
    assert int(sizes[0]) > app_limit_mb


def test_adapting_changes_only_paths_and_ports(tmp_path: Path):
    conf = adapted(
        BLOCK,
        https_port=9443,
        http_port=9080,
        app_port=9501,
        certificate=tmp_path / "c.pem",
        key=tmp_path / "k.pem",
    )
    for gone in (CERTIFICATE, KEY, APP, "listen 443", "listen 80 "):
        assert gone not in conf
    assert "listen 127.0.0.1:9443 ssl;" in conf
    assert "proxy_pass http://127.0.0.1:9501;" in conf
    changed = [
        before
        for before, after in zip(_directives(BLOCK), _directives(conf), strict=True)
        if before != after
    ]
    assert [line.split()[0] for line in changed] == [
        "listen",
        "ssl_certificate",
        "ssl_certificate_key",
        "proxy_pass",
        "server",  # the default server's and the plain HTTP server's listen
        "server",
    ]


@pytest.mark.parametrize(
    "readme, problem",
    [
        ("no block here", "0 nginx blocks"),
        ("```nginx\na;\n```\n\n```nginx\nb;\n```\n", "2 nginx blocks"),
    ],
)
def test_the_readme_must_have_one_nginx_block(readme: str, problem: str):
    with pytest.raises(ValueError, match=problem):
        readme_nginx_block(readme)


def test_a_block_without_a_placeholder_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="/etc/letsencrypt"):
        adapted(
            BLOCK.replace(CERTIFICATE, "/srv/cert.pem"),
            https_port=1,
            http_port=2,
            app_port=3,
            certificate=tmp_path,
            key=tmp_path,
        )


# --- the proxy, for real ---


@dataclass(frozen=True)
class Proxied:
    url: str  # the team's address, as a browser opens it
    https_port: int
    http_port: int
    error_log: Path


@pytest.fixture(scope="module")
def proxied(tmp_path_factory) -> Iterator[Proxied]:
    folder = tmp_path_factory.mktemp("nginx")
    ports, servers = _readme_servers(folder)
    # as the README says: the app is started with the team's name allowed
    app = start_app(
        None,
        tmp_path_factory.mktemp("data"),
        port=ports.app,
        extra_args=[f"--server.allowedHosts={TEAM_NAME}"],
    )
    next(app)
    try:
        with running_nginx(folder, nginx_conf(servers, folder), ports.https) as error_log:
            yield Proxied(f"https://{TEAM_NAME}:{ports.https}", ports.https, ports.http, error_log)
    finally:
        app.close()


@dataclass(frozen=True)
class Ports:
    https: int  # the proxy's, for the team's name
    http: int  # the proxy's plain HTTP, which redirects
    app: int  # the app's, behind the proxy


def _readme_servers(folder: Path) -> tuple[Ports, str]:
    """Free ports, a throw-away certificate for the team's name in `folder`, and the
    README's nginx block adapted to them; skipped (failed in CI) without nginx."""
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test the README's proxy: .ci/run installs nginx")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    certificate, key = self_signed(folder, TEAM_NAME)
    ports = Ports(free_port(), free_port(), free_port())
    servers = adapted(
        BLOCK,
        https_port=ports.https,
        http_port=ports.http,
        app_port=ports.app,
        certificate=certificate,
        key=key,
    )
    return ports, servers


def _status_line(port: int, host: str, *, sni: str | None, tls: bool = True) -> str:
    """The first line of the answer to GET / on 127.0.0.1:`port` with this Host header,
    over TLS with this server name (None: none sent, as for an address)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        raw = context.wrap_socket(raw, server_hostname=sni)
    with raw:
        raw.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := raw.recv(4096)):
            answer += chunk
    return answer.decode("latin-1").split("\r\n\r\n")[0]


@pytest.mark.browser
def test_other_names_are_refused(proxied: Proxied):
    port, team = proxied.https_port, f"{TEAM_NAME}:{proxied.https_port}"
    assert _status_line(port, team, sni=TEAM_NAME).startswith("HTTP/1.1 200")
    # a page elsewhere that points its own name at the proxy gets no TLS handshake ...
    for sni in ("evil.example", None):  # None: `curl -k -H 'Host: evil.example' https://IP/`
        with pytest.raises(ssl.SSLError):
            _status_line(port, "evil.example", sni=sni)
    # ... nor an answer from the app on a handshake made for the team's name
    assert _status_line(port, "evil.example", sni=TEAM_NAME).startswith("HTTP/1.1 421")
    # plain HTTP is sent to the team's https address, whatever name it was asked by
    redirect = _status_line(proxied.http_port, "evil.example", sni=None, tls=False)
    assert redirect.startswith("HTTP/1.1 301")
    assert f"Location: https://{TEAM_NAME}/" in redirect


@pytest.mark.browser
def test_the_explorer_works_through_the_proxy(browser, proxied: Proxied, tmp_path: Path):
    # the team's name resolves to this machine for this Chromium only
    resolving = launch_chromium(
        browser.browser_type, f"--host-resolver-rules=MAP {TEAM_NAME} 127.0.0.1"
    )
    session = Session(resolving, tmp_path, app_origin=proxied.url, ignore_https_errors=True)
    page = session.page
    answers: list[tuple[int, str, str]] = []
    page.on(
        "response",
        lambda r: answers.append((r.status, r.url, r.headers.get("content-type", ""))),
    )
    sockets: list[str] = []
    page.on("websocket", lambda s: sockets.append(s.url))
    image = write_raster(
        tmp_path / "site-2013.tif", solid((200, 30, 30)), transform=transform_around(200, 200)
    )
    try:
        frame = session.open(f"{proxied.url}/?lat={SAYDNAYA[1]}&lon={SAYDNAYA[0]}&z=17")
        # the map's scripts (/app/static) and its layers' data (/maplayer) came through
        assert session.drawn(frame, "place") == ["astana", "damascus", "geneva", "saydnaya"]
        assert any(s == 200 and "/app/static/vendor/leaflet/" in u for s, u, _ in answers)
        assert any(s == 200 and "/maplayer/" in u for s, u, _ in answers)
        assert (
            "Saydnaya military prison"
            in session.click_until_selected(frame, 33.665, 36.32861).inner_text()
        )

        # an upload (/_stcore/upload_file), and the image's tiles (/imagery)
        analyst = page.get_by_role("textbox", name="Analyst")
        analyst.fill("Test Analyst")
        analyst.press("Enter")
        session.tab("Imagery")
        import_geotiff(session, image, "2013-09", "September 2013")
        assert any(s == 204 and "/_stcore/upload_file/" in u for s, u, _ in answers)
        session.map_frame_with(".leaflet-tile-pane img")
        for _ in range(60):  # the tiles are asked for once the new map has drawn
            tiles = [kind for s, u, kind in answers if s == 200 and "/imagery/" in u]
            if tiles:
                break
            page.wait_for_timeout(500)
        assert tiles and set(tiles) == {"image/png"}

        # one WebSocket all along (no "Connecting..." loop), and no error box
        assert sockets == [f"wss://{TEAM_NAME}:{proxied.https_port}/_stcore/stream"]
        assert page.locator('[data-testid="stException"]').count() == 0
        assert session.errors == []
        assert session.remote == []
        assert not [s for s, u, _ in answers if s >= 400 and TEAM_NAME in u]
        problems = [
            line
            for line in proxied.error_log.read_text().splitlines()
            if re.search(r"\[(error|crit|alert|emerg)\]", line)
        ]
        assert problems == []
    finally:
        session.close()
        resolving.close()


@pytest.mark.browser
def test_a_member_signs_in_through_the_proxy_and_comments(
    browser, provider: str, tmp_path_factory, tmp_path: Path
):
    # A team's explorer (sign-in required) behind the README's block: the provider
    # sends the browser back to the proxy's https address, and the sign-in holds.
    folder = tmp_path_factory.mktemp("nginx-team")
    ports, servers = _readme_servers(folder)
    url = f"https://{TEAM_NAME}:{ports.https}"
    store = Store.open(tmp_path / "store", team=True)
    store.set_member("saydnaya", "ann@example.org", Role.ANALYST, by=None)
    secrets = auth_secrets(tmp_path / "secrets.toml", f"{url}/oauth2callback", provider)
    app = start_app(
        None,
        store.data_dir,
        {"GEO_TEAM": "1"},
        port=ports.app,
        extra_args=[f"--secrets.files={secrets}", f"--server.allowedHosts={TEAM_NAME}"],
    )
    next(app)
    resolving = launch_chromium(
        browser.browser_type, f"--host-resolver-rules=MAP {TEAM_NAME} 127.0.0.1"
    )
    session = Session(
        resolving, tmp_path, app_origin=url, ignore_https_errors=True, also_allowed=(provider,)
    )
    page = session.page
    try:
        with running_nginx(folder, nginx_conf(servers, folder), ports.https):
            sign_in(session, url, "ann")
            assert page.url.startswith(url)  # back on the team's address, signed in
            session.wait_idle()
            page.get_by_test_id("stSelectbox").filter(has_text="Selected record").click()
            page.get_by_role("option", name="place · Saydnaya military prison").click()
            session.wait_idle()
            page.locator('textarea[aria-label="Your comment"]').fill("Seen through the proxy")
            page.get_by_role("button", name="Add comment").click()
            page.get_by_text("Seen through the proxy").wait_for(timeout=30_000)
            [comment] = store.for_case("saydnaya").comments("saydnaya")
            assert (comment.analyst, comment.text) == (
                "Ann <ann@example.org>",
                "Seen through the proxy",
            )
            assert page.locator('[data-testid="stException"]').count() == 0
            assert session.errors == []
    finally:
        session.close()
        resolving.close()
        app.close()
