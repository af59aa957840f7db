"""Argument helpers shared by the command line's subcommands.

Dates as argparse types (the first or last day a stated date covers, or the date as
stated), the ``--analyst``, ``--as`` and ``--case`` options (who signs what a command
writes, and for which case) and the store and signer they give (`writing_store`),
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

from geo.access import ENV_TEAM, AccessDenied, Actor, Identity, Signer, team_mode, write_refusal
from geo.case import cases_dir_from_env, chosen_case_id
from geo.dates import parse_date
from geo.errors import DataError, DateError, GeoError, Problem
from geo.store import Store, default_data_dir
from geo.store.connection import ENV_DATABASE_URL

# Said wherever --as is: the command line checks a role, it does not sign anyone in.
AS_MEMBER_NOTE = (
    "Whoever runs the command holds the database's credentials, so the e-mail is recorded "
    "as given: the role check keeps mistakes out, it is not a sign-in."
)


class CommandRefused(GeoError):
    """The command was not given what it needs to write (exit code 2): nothing was
    read, kept or changed."""


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


def add_signer(
    parser: argparse.ArgumentParser,
    *,
    who_may: str = "an analyst or a lead of it",
    what: str = "what is imported is theirs, as if made in the page",
) -> None:
    """`--analyst` (alone) and `--as` (a team's store): who signs what the command
    writes; `writing_store` reads them. `who_may` and `what` say, in the help, whose
    role the command needs and what it does in their name."""
    who = parser.add_argument_group(
        "who signs",
        f"Alone, a name signs the history entry. A team's store ({ENV_DATABASE_URL} set, or "
        f"{ENV_TEAM}=1) takes a member of --case instead, {who_may}, named by --as; {what}. "
        f"{AS_MEMBER_NOTE}",
    )
    who.add_argument(
        "--analyst",
        metavar="NAME",
        help="alone: the name that signs the history entry (default: $GEO_ANALYST, or your "
        "login name)",
    )
    who.add_argument(
        "--as",
        dest="member",
        metavar="EMAIL",
        help="a team's store: the member of --case who signs, by the e-mail they sign in with",
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


def writing_store(args: argparse.Namespace) -> tuple[Store, Signer]:
    """The store opened for the case `--case` names, and who signs what the command
    writes there (options of `add_signer` and `add_case_id`).

    Alone, the typed `--analyst`. In team mode (`geo.access.team_mode`), the member
    `--as` names, as an `Actor` of `--case` (given: a role is per case): refused here,
    before anything is read or kept, unless their role lets them import, and checked
    again by the store inside the write's transaction, as a page's change is.
    `CommandRefused` or `AccessDenied` (exit code 2) otherwise."""
    if not team_mode():
        if args.member is not None:
            raise CommandRefused(
                f"--as names a member of a team's store ({ENV_DATABASE_URL} set, or {ENV_TEAM}=1); "
                "this store is used alone: sign with --analyst NAME (nothing was changed)"
            )
        analyst = args.analyst or os.environ.get("GEO_ANALYST") or getpass.getuser()
        return case_store(args), analyst
    if args.analyst is not None:
        raise CommandRefused(
            "this is a team's store: changes are signed by a member of the case, not a typed "
            "name: give --as EMAIL instead of --analyst (nothing was changed)"
        )
    if args.member is None:
        raise CommandRefused(
            "this is a team's store: say which member of the case imports with --as EMAIL "
            "(the e-mail they sign in with; an analyst or a lead of --case) (nothing was changed)"
        )
    if args.case_id is None:
        raise CommandRefused(
            "this is a team's store: say which case with --case ID, as a member's role is "
            "per case (nothing was changed)"
        )
    case_id = chosen_case_id(args.case_id, cases_dir_from_env())
    store = Store.open(default_data_dir(), team=True).for_case(case_id)
    actor = Actor(Identity.named(args.member), case_id)
    refused = write_refusal(store.role(case_id, actor.identity), case_id)
    if refused is not None:
        raise AccessDenied(f"--as {actor.identity.email}: {refused} (nothing was changed)")
    return store, actor


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
