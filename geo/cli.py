"""Command line: ``python -m geo validate|export``. Errors are messages, never tracebacks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from geo.case import DEFAULT_CASE_DIR, load_case
from geo.dates import parse_date
from geo.errors import DateError, GeoError
from geo.export import export_text
from geo.model import Kind
from geo.query import filter_records


def _first_day(text: str) -> date:
    try:
        return parse_date(text).start
    except DateError as exc:  # argparse prints an ArgumentTypeError's own words
        raise argparse.ArgumentTypeError(str(exc.problems[0])) from exc


def _last_day(text: str) -> date:
    try:
        return parse_date(text).end
    except DateError as exc:
        raise argparse.ArgumentTypeError(str(exc.problems[0])) from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check a case: schema, references, dates")
    validate.add_argument("path", nargs="?", default=str(DEFAULT_CASE_DIR), help="case folder")

    export = commands.add_parser("export", help="write the case (or a date range) as GeoJSON")
    export.add_argument("--out", required=True, help="output file, or - for standard output")
    export.add_argument("--case", default=str(DEFAULT_CASE_DIR), help="case folder")
    export.add_argument(
        "--from",
        dest="start",
        type=_first_day,
        help="keep records overlapping from this date (YYYY, YYYY-MM or YYYY-MM-DD)",
    )
    export.add_argument(
        "--to", dest="end", type=_last_day, help="keep records overlapping up to this date"
    )
    export.add_argument(
        "--kind",
        dest="kinds",
        action="append",
        choices=[k.value for k in Kind],
        help="only this kind (repeatable)",
    )
    return parser


def _validate(path: str) -> int:
    case = load_case(path)
    counts = case.records["kind"].value_counts()
    summary = ", ".join(f"{counts.get(k.value, 0)} {k.label.lower()}" for k in Kind)
    print(
        f"{path}: valid: {summary}, {len(case.meta.sources)} sources, "
        f"{len(case.meta.claims)} claims"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    case = load_case(args.case)
    records = filter_records(case.records, args.start, args.end, args.kinds)
    view = {
        "from": args.start.isoformat() if args.start else None,
        "to": args.end.isoformat() if args.end else None,
        "kinds": args.kinds or [k.value for k in Kind],
    }
    filtered = args.start is not None or args.end is not None or args.kinds is not None
    text = export_text(case, records, view=view if filtered else None)
    if args.out == "-":
        sys.stdout.write(text + "\n")
    else:
        out = Path(args.out)
        temporary = out.with_name(out.name + ".partial")
        temporary.write_text(text + "\n", encoding="utf-8")
        temporary.replace(out)  # never leave a half-written export behind
        print(f"wrote {len(records)} of {len(case.records)} records to {out}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.path)
        return _export(args)
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 1
