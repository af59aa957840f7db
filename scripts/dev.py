#!/usr/bin/env python3
"""Set up a virtual environment in .venv, then run the app or the tests.

    python3 scripts/dev.py run     # the explorer on the shipped case, in your browser
    python3 scripts/dev.py test    # lint, type-check and every test (browser tests need Chromium)
    python3 scripts/dev.py team    # a team's explorer: PostgreSQL here, sign-in (scripts/team.py)

Only Python 3.11+ is needed; everything else is installed into .venv.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain, not crash
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing dependencies into .venv …", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def run_app(args: list[str]) -> int:
    # Through scripts/serve.py: Streamlit never looks up this machine's public address.
    command = [
        str(PYTHON),
        str(ROOT / "scripts" / "serve.py"),
        "run",
        str(ROOT / "server.py"),
        *args,
    ]
    return subprocess.call(command, cwd=ROOT)


def run_tests(args: list[str]) -> int:
    ruff = [str(PYTHON), "-m", "ruff"]
    for check in (["check", "."], ["format", "--check", "."]):
        if subprocess.call([*ruff, *check], cwd=ROOT) != 0:
            return 1
    # strict, on geo/: the settings are [tool.mypy] in pyproject.toml
    if subprocess.call([str(PYTHON), "-m", "mypy"], cwd=ROOT) != 0:
        return 1
    if not (shutil.which("chromium") or os.environ.get("GEO_CHROMIUM")):
        print(
            "note: Chromium not found: browser tests will be skipped "
            "(on Debian/Ubuntu: apt-get install chromium)",
            flush=True,
        )
    return subprocess.call([str(PYTHON), "-m", "pytest", *args], cwd=ROOT)


def run_team(args: list[str]) -> int:
    # scripts/team.py needs the installed packages: it runs in .venv.
    return subprocess.call([str(PYTHON), str(ROOT / "scripts" / "team.py"), *args], cwd=ROOT)


def main() -> int:
    actions = {"run": run_app, "test": run_tests, "team": run_team}
    if len(sys.argv) < 2 or sys.argv[1] not in actions:
        print(__doc__)
        return 2
    ensure_environment()
    return actions[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
