"""Argument helpers shared by the command line's subcommands.

Dates as argparse types (the first or last day a stated date covers, or the date as
stated), the ``--analyst`` and ``--case`` options (who imports, and for which case),
reading a named file's bytes (a failure is a
`DataError`, said as a message), which options of a list were given on the command
line, and refusing options that do not apply to what was given.
"""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from geo.case import cases_dir_from_env, chosen_case_id
from geo.dates import parse_date
from geo.errors import DataError, DateError, Problem
from geo.store import Store, default_data_dir


def first_day(text: str) -> date:
    try:
        return parse_date(text).start
    except DateError as exc:  # argparse prints an ArgumentTypeError's own words
        raise argparse.ArgumentTypeError(str(exc.problems[0])) from exc


def last_day(text: str) -> date:
    try:
        return parse_date(text).end
    except DateError as exc:
        raise argparse.ArgumentTypeError(str(exc.problems[0])) from exc


def stated_date(text: str) -> str:
    try:
        return parse_date(text).text
    except DateError as exc:
        raise argparse.ArgumentTypeError(str(exc.problems[0])) from exc


def add_analyst(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--analyst", default=os.environ.get("GEO_ANALYST") or getpass.getuser(), help="who imports"
    )


def add_case_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--case",
        dest="case_id",
        metavar="ID",
        help="the case (its case.yaml's id) what is imported belongs to: only that case "
        "shows it (default: the only case in $GEO_CASES_DIR, or data/)",
    )


def case_store(args: argparse.Namespace) -> Store:
    """The store, opened for the case `--case` names (or the only case)."""
    case_id = chosen_case_id(args.case_id, cases_dir_from_env())
    return Store.open(default_data_dir()).for_case(case_id)


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(Problem(f"cannot read: {exc.strerror}", file=str(path))) from exc


def given(args: argparse.Namespace, options: Sequence[tuple[str, str]]) -> list[str]:
    """The options of `options` (option, dest) given on this command line."""
    return [option for option, dest in options if getattr(args, dest) not in (None, False)]


def refuse_options(given: list[str], why: str, *, file: str) -> None:
    if given:
        raise DataError(Problem(f"{', '.join(given)}: {why}", file=file))
