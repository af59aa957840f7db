"""Whether the explorer may start as asked: read before Streamlit starts
(`scripts/serve.py`), from the command line, the environment and the files Streamlit
itself reads. The rules are `geo.access.startup_problems`."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geo.access import auth_problems, startup_problems, team_mode

ADDRESS_OPTION = "--server.address"
LOCALHOST = "127.0.0.1"


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SystemExit(f"cannot read {path}: {exc}") from exc


def given_address(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> str | None:
    """The listening address as Streamlit will take it: the command line, then the
    environment, then .streamlit/config.toml; None if none says (every interface)."""
    given = _option(argv, ADDRESS_OPTION)
    if given is not None:
        return given
    if env.get("STREAMLIT_SERVER_ADDRESS"):
        return env["STREAMLIT_SERVER_ADDRESS"]
    address = _toml(cwd / ".streamlit" / "config.toml").get("server", {}).get("address")
    return str(address) if address else None


def _option(argv: Sequence[str], option: str) -> str | None:
    """The value of `--option=value` or `--option value` on the command line."""
    for i, arg in enumerate(argv):
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
        if arg == option and i + 1 < len(argv):
            return argv[i + 1]
    return None


def auth_section(argv: Sequence[str], cwd: Path, home: Path) -> object:
    """The [auth] section of the secrets, as Streamlit merges its files (the
    project's over the user's, or the file ``--secrets.files`` names); None if none
    has one."""
    given = _option(argv, "--secrets.files")
    paths = (
        [Path(given)]
        if given
        else [home / ".streamlit" / "secrets.toml", cwd / ".streamlit" / "secrets.toml"]
    )
    merged: dict[str, Any] = {}
    for path in paths:
        merged |= _toml(path)
    return merged.get("auth")


def checked_arguments(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, home: Path
) -> list[str]:
    """The arguments to start Streamlit with; SystemExit saying why if it must not
    start. Without sign-in and without an address, it listens on this machine only."""
    if not argv or argv[0] != "run":
        return list(argv)
    address = given_address(argv, env, cwd)
    auth = auth_section(argv, cwd, home)
    if address is None and auth_problems(auth):
        address = LOCALHOST  # not every interface, unasked
        argv = [*argv, f"{ADDRESS_OPTION}={address}"]
    problems = startup_problems(team=team_mode(env), address=address, auth=auth)
    if problems:
        raise SystemExit(
            "The explorer did not start:\n" + "\n".join(f"- {problem}" for problem in problems)
        )
    return list(argv)
