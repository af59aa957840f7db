"""The ``members`` subcommand: who may read or change a case in team mode.

An administrator's tool: whoever runs it holds the database's credentials
(``GEO_DATABASE_URL``), so it needs no sign-in. It sets the first lead of a case;
the lead then manages the others in the page. Members are added by the e-mail
they sign in with; the first signed-in write binds the member to that identity.
"""

from __future__ import annotations

import argparse
import sys

from geo.access import ROLE_DUTIES, Role
from geo.store import Store, default_data_dir


def add_members_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `members` subcommand and its tasks, added to `commands`."""
    members = commands.add_parser(
        "members",
        help="list, add or remove the members of a case and their role (team mode)",
        description="Roles per case: "
        + "; ".join(f"{role.value}: {duties}" for role, duties in ROLE_DUTIES.items())
        + ". Works on the store $GEO_DATABASE_URL names (or $GEO_DATA_DIR's).",
    )
    tasks = members.add_subparsers(dest="task", required=True)
    listed = tasks.add_parser("list", help="the case's members, one a line")
    listed.add_argument("--case", required=True, help="the case's id (its case.yaml's id)")
    add = tasks.add_parser("add", help="add a member to a case, or change a member's role")
    add.add_argument("--case", required=True, help="the case's id (its case.yaml's id)")
    add.add_argument("--email", required=True, help="the e-mail the member signs in with")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    remove = tasks.add_parser("remove", help="remove a member from a case")
    remove.add_argument("--case", required=True, help="the case's id (its case.yaml's id)")
    remove.add_argument("--email", required=True, help="the member's e-mail")


def run_members(args: argparse.Namespace) -> int:
    store = Store.open(default_data_dir())
    if args.task == "add":
        store.set_member(args.case, args.email, Role(args.role), by=None)
        print(f"{args.email.strip().lower()} is {args.role} of the case {args.case!r}")
    elif args.task == "remove":
        store.remove_member(args.case, args.email, by=None)
        print(f"{args.email.strip().lower()} is no longer a member of the case {args.case!r}")
    else:
        found = store.members(args.case)
        for member in found:
            signed_in = "" if member.signed_in else " (has not signed in yet)"
            print(f"{member.role.value:8} {member.email}{signed_in}")
        if not found:
            print(f"the case {args.case!r} has no members", file=sys.stderr)
    return 0
