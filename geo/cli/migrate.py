"""The ``migrate`` subcommand: move a store, history, rows and kept files unchanged,
from one place to another (`geo.store.relocate`), typically a researcher's SQLite
store to the team's PostgreSQL server; then say the latest hash on both sides."""

from __future__ import annotations

import argparse

from geo.store.relocate import move_store, open_source, open_target


def add_migrate_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `migrate` subcommand, added to `commands`."""
    migrate = commands.add_parser(
        "migrate",
        help="move a store (history, records, kept files) to another database unchanged, "
        "e.g. a researcher's SQLite store to the team's PostgreSQL server",
        description="Copies every row as stored, ids, times and hashes included, and every "
        "kept file with its SHA-256 checked; refuses a source that fails verify and a "
        "target that is not empty; then verifies the copy and compares the latest history "
        "hash. The source is left as it was.",
    )
    migrate.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URL",
        help="the store to move: sqlite:///path/to/folder (or its store.sqlite3), a folder, "
        "or postgresql://user@host/database",
    )
    migrate.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="URL",
        help="an empty store to fill, in the same forms as --from",
    )
    for side in ("from", "to"):
        migrate.add_argument(
            f"--{side}-files",
            metavar="PLACE",
            help=f"where the {'source' if side == 'from' else 'target'}'s kept files are: a "
            "folder or s3://bucket/prefix (default: a SQLite store's files/ folder; for "
            "PostgreSQL, GEO_FILES_URL, else $GEO_DATA_DIR/files)",
        )


def run_migrate(args: argparse.Namespace) -> int:
    source = open_source(args.source, args.from_files)
    target = open_target(args.target, args.to_files)
    report = move_store(source, target)
    rows = ", ".join(f"{count} {table}" for table, count in report.rows.items())
    print(f"copied {rows} rows and {report.files} kept files")
    print(f"  from {source.where} (files in {source.kept.where})")
    print(f"  to   {target.where} (files in {target.kept.where})")
    if report.latest is None:
        print("history: no entries yet on either side; verify passes on both")
    else:
        print(
            f"history: {report.latest.entries} entries, latest hash {report.latest.hash} on "
            "both sides; verify passes on both"
        )
    return 0
