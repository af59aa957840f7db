"""The ``assign`` subcommand: give a layer's records made before cases were recorded
(shown on every case, "all cases" on the page) to one case, which alone then shows
them. One hash-chained history entry lists the records given.

Signed like ``import`` (`geo.cli.options.writing_store`): alone by the typed
``--analyst`` name, in team mode by a member of the case named with ``--as``, whom
the store refuses inside the write's transaction unless they lead the case
(`geo.store.Store.assign_layer`).
"""

from __future__ import annotations

import argparse

from geo.cli.options import add_signer, writing_store
from geo.records import records_in_words


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
    add_signer(assign, who_may="a lead of it", what="the entry names them")


def run_assign(args: argparse.Namespace) -> int:
    store, signer = writing_store(args)
    given = store.assign_layer(args.layer, analyst=signer)
    print(
        f"{records_in_words(len(given))} of the layer {args.layer!r} now belong to the case "
        f"{store.case_id!r}: other cases no longer show them"
    )
    return 0
