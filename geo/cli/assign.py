"""The ``assign`` subcommand: give a layer's records made before cases were recorded
(shown on every case, "all cases" on the page) to one case, which alone then shows
them. One hash-chained history entry lists the records given.

Like ``import``, it is signed by the typed ``--analyst`` name: whoever runs it holds
the store (or in team mode the database's credentials), as an administrator does;
in the page, only a lead of the case may do it (`geo.store.Store.assign_layer`).
"""

from __future__ import annotations

import argparse

from geo.case import cases_dir_from_env, chosen_case_id
from geo.cli.options import add_analyst
from geo.records import records_in_words
from geo.store import Store, default_data_dir


def add_assign_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `assign` subcommand, added to `commands`."""
    assign = commands.add_parser(
        "assign",
        help="give a layer's records made before cases were recorded (shown on every case) "
        "to one case",
        description="The layer's records of no case then belong to the case given: only it "
        "shows them. One history entry lists them. Works on the store $GEO_DATABASE_URL "
        "names (or $GEO_DATA_DIR's).",
    )
    assign.add_argument(
        "--case",
        dest="case_id",
        metavar="ID",
        required=True,
        help="the case (its case.yaml's id, one of $GEO_CASES_DIR's) the records are given to",
    )
    assign.add_argument("--layer", required=True, help="the layer whose records are given")
    add_analyst(assign)


def run_assign(args: argparse.Namespace) -> int:
    case_id = chosen_case_id(args.case_id, cases_dir_from_env())
    store = Store.open(default_data_dir()).for_case(case_id)
    given = store.assign_layer(args.layer, analyst=args.analyst)
    print(
        f"{records_in_words(len(given))} of the layer {args.layer!r} now belong to the case "
        f"{case_id!r}: other cases no longer show them"
    )
    return 0
