"""The README's reverse proxy, run for real: its nginx block (README, "A team server")
found, given a throw-away certificate and free ports on 127.0.0.1, and served by
Debian's nginx as this user, from a folder of its own."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.browser import stop

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# An ordinary user's PATH may lack /usr/sbin, where Debian puts it.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")

# What the README's block says that only fits a real server: the team's name stays,
# the rest is replaced for a test.
TEAM_NAME = "evidence.example.org"
CERTIFICATE = f"/etc/letsencrypt/live/{TEAM_NAME}/fullchain.pem"
KEY = f"/etc/letsencrypt/live/{TEAM_NAME}/privkey.pem"
APP = "http://127.0.0.1:8501"

_FENCED_NGINX = re.compile(r"^```nginx\n(.*?)^```", re.DOTALL | re.MULTILINE)


def readme_nginx_block(readme: str) -> str:
    """The one fenced ```nginx block of the README; ValueError if there is not one."""
    blocks = _FENCED_NGINX.findall(readme)
    if len(blocks) != 1:
        raise ValueError(f"the README has {len(blocks)} nginx blocks; the test expects one")
    return str(blocks[0])


def adapted(
    block: str, *, https_port: int, http_port: int, app_port: int, certificate: Path, key: Path
) -> str:
    """The README's block with its paths and ports replaced (and listening on
    127.0.0.1 only); ValueError naming a placeholder the block no longer has."""
    replacements = [
        ("listen 443 ", f"listen 127.0.0.1:{https_port} "),
        ("listen 80 ", f"listen 127.0.0.1:{http_port} "),
        (CERTIFICATE, str(certificate)),
        (KEY, str(key)),
        (APP, f"http://127.0.0.1:{app_port}"),
    ]
    for placeholder, value in replacements:
        if placeholder not in block:
            raise ValueError(f"the README's nginx block no longer has {placeholder!r}")
        block = block.replace(placeholder, value)
    return block


def nginx_conf(servers: str, folder: Path) -> str:
    """A whole nginx.conf around `servers`, every file nginx writes in `folder`."""
    # As root, nginx's workers would run as nobody, who may not enter `folder`.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}error_log {folder / 'error.log'} warn;\n"
        "events {}\n"
        "http {\n"
        f"    access_log {folder / 'access.log'};\n"
        f"{temp}\n"
        f"{servers}\n"
        "}\n"
    )


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A throw-away certificate for `name` and its key, made with openssl."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(certificate), "-subj", f"/CN={name}"),
            *("-addext", f"subjectAltName=DNS:{name}"),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


@contextmanager
def running_nginx(folder: Path, conf: str, port: int) -> Iterator[Path]:
    """nginx with `conf` until the block ends; yields its error log once `port` answers."""
    assert NGINX is not None
    (folder / "nginx.conf").write_text(conf, encoding="utf-8")
    error_log = folder / "error.log"
    process = subprocess.Popen(
        [
            *(NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(error_log)),
            *("-g", f"daemon off; pid {folder / 'nginx.pid'};"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode() if process.stdout else ""
                log = error_log.read_text() if error_log.exists() else ""
                raise RuntimeError(f"nginx did not start:\n{output}\n{log}") from None
            time.sleep(0.1)
    try:
        yield error_log
    finally:
        stop(process)
