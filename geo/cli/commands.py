"""The command line's parser, its data-file commands, and `main`.

`parser` builds every subcommand in the order ``--help`` lists them (``georef`` from
`geo.cli.imagery`, ``basemap`` from `geo.cli.basemap`, ``migrate`` from
`geo.cli.migrate`, ``members`` from `geo.cli.members`); here are validate (a case, a
folder of cases, or an export and its manifest), export, import (a data file as a layer;
an image is handed to `geo.cli.imagery`), verify, geocode and extract; `main`
runs one and says any error as a message with exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from geo.access import AccessDenied
from geo.case import (
    CASE_FILE,
    DEFAULT_CASE_DIR,
    Case,
    case_folders,
    load_case,
    read_export,
)
from geo.cli.assign import add_assign_parser, run_assign
from geo.cli.basemap import add_basemap_parser, run_basemap
from geo.cli.imagery import (
    IMAGE_OPTIONS,
    add_facts,
    add_georef_parser,
    fact_options,
    import_image_file,
    run_georef,
)
from geo.cli.members import add_members_parser, run_members
from geo.cli.migrate import add_migrate_parser, run_migrate
from geo.cli.options import (
    CommandRefused,
    add_case_id,
    add_signer,
    first_day,
    given,
    last_day,
    read_bytes,
    refuse_options,
    writing_store,
)
from geo.errors import DataError, GeoError, Problem
from geo.export import ExportView, layer_records
from geo.extract import candidates_geojson, decode_text, extract_places, mentions_geojson
from geo.formats import BadRecords, DateFormat, DateOptions, read_upload
from geo.gazetteer import Gazetteer
from geo.geocode import GeocodingError, OnlineGeocoder, config_from_env, online_geojson
from geo.geojson import read_json_file
from geo.imagery.opening import is_image
from geo.jsontext import dumps
from geo.manifest import Digest, manifest_path, manifest_problems, write_export_streamed
from geo.records import CASE_KINDS, Kind, as_new_records, kind_label, records_in_words
from geo.store import Store, StoreNotFound, default_data_dir
from geo.transfer import (
    EXPORT_FORMATS,
    export_manifest,
    imported_source_files,
    record_comments,
    store_state,
    write_records,
)
from geo.workspace import combined_records, filter_view

# What `python -m geo --help` says first (the package's docstring says the same).
DESCRIPTION = (
    "Command line: ``python -m geo validate|export|import|verify|geocode|extract|georef|"
    "basemap|migrate|members|assign``.\n\nErrors are messages, never tracebacks; nothing goes "
    "online unless ``--online`` is given.\n"
)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser(
        "validate", help="check a case, every case in a folder, or an export: schema, references"
    )
    validate.add_argument(
        "path",
        nargs="?",
        default=str(DEFAULT_CASE_DIR),
        help="a case folder, a folder of case folders (such as data), or an exported GeoJSON",
    )

    export = commands.add_parser(
        "export",
        help="write the case and your layers (or a date range) as GeoJSON, KML or CSV",
        description="Write the case and your layers from the store in $GEO_DATA_DIR. With no "
        "store there, the case's records alone are written and a warning says so. A damaged "
        "record of the store is left out, with a warning naming it; run verify.",
    )
    export.add_argument(
        "--out",
        required=True,
        help="output file, or - for standard output; an earlier OUT.manifest.json beside it "
        "is removed, as it would no longer match",
    )
    export.add_argument(
        "--format", dest="fmt", choices=list(EXPORT_FORMATS), default="geojson", help="file format"
    )
    export.add_argument(
        "--manifest",
        action="store_true",
        help="also write OUT.manifest.json: tool version, time, filters, counts, SHA-256 "
        "hashes, and the store's latest history hash (note it in your report: verify --expect "
        "checks it later)",
    )
    export.add_argument(
        "--case-only", action="store_true", help="leave out your own layers (the store)"
    )
    export.add_argument("--case", default=str(DEFAULT_CASE_DIR), help="case folder")
    export.add_argument(
        "--from",
        dest="start",
        type=first_day,
        help="keep records overlapping from this date (YYYY, YYYY-MM or YYYY-MM-DD)",
    )
    export.add_argument(
        "--to", dest="end", type=last_day, help="keep records overlapping up to this date"
    )
    export.add_argument(
        "--kind",
        dest="kinds",
        action="append",
        choices=[k.value for k in CASE_KINDS],
        help="only this kind (repeatable)",
    )
    imported = commands.add_parser(
        "import",
        help="import a GeoJSON, CSV, KML/KMZ or STAC file as a new layer of the store, or an "
        "image (a GeoTIFF, a JPEG or PNG with its world file) as an imagery record",
        description="A data file becomes a layer of its records. An image (told by its name "
        "or first bytes) becomes an imagery record in a layer of its own: its footprint, the "
        "facts you state (--date is needed), and the file kept as received. A picture with no "
        "place on Earth is refused: georeference it with python -m geo georef --import.",
    )
    imported.add_argument("file", help="the file to import")
    add_signer(imported)
    add_case_id(imported)
    layer = imported.add_argument_group("a data file (GeoJSON, CSV, KML/KMZ, STAC)")
    layer.add_argument("--layer", help="layer name (default: the file name without suffix)")
    layer.add_argument(
        "--repair", action="store_true", help="repair invalid geometries with make_valid"
    )
    layer.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good records of a file some of whose records have problems, and "
        "list the skipped ones (position, name, why) here and in the import's history "
        "entry; a problem of the whole file still refuses it",
    )
    layer.add_argument(
        "--lat-column",
        metavar="NAME",
        help="a CSV's latitude column, when its name does not say so (with --lon-column)",
    )
    layer.add_argument(
        "--lon-column",
        metavar="NAME",
        help="a CSV's longitude column, when its name does not say so (with --lat-column)",
    )
    layer.add_argument(
        "--date-column",
        metavar="COLUMN",
        help="the column (or property) that holds each record's date (default: a well-known "
        "one such as date, event_date, date_start, time; '' for none)",
    )
    layer.add_argument(
        "--date-end-column",
        metavar="COLUMN",
        help="the column where each record's date interval ends (default: the usual partner "
        "of --date-column, such as date_end for date_start; '' for none)",
    )
    layer.add_argument(
        "--date-format",
        choices=[fmt.value for fmt in DateFormat],
        help="how the dates are written (default: auto): "
        + "; ".join(f"{fmt.value}: {fmt.label}" for fmt in DateFormat),
    )
    add_facts(imported, "an image (GeoTIFF, JPEG, PNG)")
    image = imported.add_argument_group("an image's place, when the file does not state it")
    image.add_argument(
        "--world-file",
        metavar="FILE",
        help="the world file that places a JPEG or PNG (.jgw, .pgw, .wld) or its .aux.xml",
    )
    image.add_argument(
        "--crs",
        help="the coordinate system the world file's numbers are in, such as EPSG:32637 (UTM "
        "zone 37N) or EPSG:4326 (a world file states none)",
    )

    verify = commands.add_parser(
        "verify",
        help="check the store's history chain, its tables and its kept files; print the "
        "latest history hash",
        description="Check the store in $GEO_DATA_DIR without changing it (a read-only store "
        "is fine); never creates one.",
    )
    verify.add_argument(
        "--expect",
        metavar="HASH",
        help="a history hash noted earlier (in a report, or an export's manifest), in full or "
        "its first 12 or more hex digits: fail unless it is an entry of this store's history",
    )

    geocode = commands.add_parser(
        "geocode", help="find a place by name: candidates best first, as GeoJSON on stdout"
    )
    geocode.add_argument("name", help="a place name, alias or spelling")
    geocode.add_argument(
        "--online",
        action="store_true",
        help="also ask the online geocoder (Nominatim unless GEO_GEOCODER says otherwise)",
    )
    geocode.add_argument("--limit", type=int, default=10, help="at most this many candidates")

    extract = commands.add_parser(
        "extract", help="the places a text names, each with its sentence, as GeoJSON on stdout"
    )
    extract.add_argument("file", help="a UTF-8 .txt or .md file")

    add_georef_parser(commands)
    add_basemap_parser(commands)
    add_migrate_parser(commands)
    add_members_parser(commands)
    add_assign_parser(commands)
    return parser


def _validate(path: str) -> int:
    folder = Path(path)
    if folder.is_dir() and not (folder / CASE_FILE).exists():
        cases = case_folders(folder)
        if not cases:
            raise DataError(
                Problem(f"no {CASE_FILE} here, and no folder in it holds one", file=path)
            )
        return _validate_cases(cases)
    if folder.is_file():
        return _validate_export(folder)
    print(f"{path}: valid: {_case_summary(load_case(folder))}")
    return 0


def _validate_cases(folders: list[Path]) -> int:
    """Every case in a folder of cases: one line each, all checked even when one fails."""
    failed = 0
    for folder in folders:
        try:
            case = load_case(folder)
        except GeoError as exc:
            failed += 1
            print(f"error: case {folder.name}: {exc}", file=sys.stderr)
        else:
            print(f"case {folder.name}: valid: {_case_summary(case)}")
    if failed:
        print(f"error: {failed} of {len(folders)} cases have problems", file=sys.stderr)
    return 1 if failed else 0


def _validate_export(path: Path) -> int:
    """An export: its manifest if one lies beside it, then its content."""
    problems = manifest_problems(path)
    if path.suffix.lower() in (".kml", ".csv"):
        if problems is None:
            raise DataError(
                Problem(
                    "only a GeoJSON export's content can be validated; a KML or CSV export is "
                    f"checked against its manifest, and {manifest_path(path).name} is not here",
                    file=str(path),
                )
            )
    else:
        _validate_geojson_export(path)
    name = manifest_path(path).name
    if problems is None:
        print(
            f"note: no manifest: {name} is not beside it, so nothing vouches for its SHA-256",
            file=sys.stderr,
        )
        return 0
    if problems:
        for problem in problems:
            print(f"error: the manifest {name} does not match: {problem}", file=sys.stderr)
        return 1
    print(f"{path}: the manifest {name} matches it")
    return 0


def _validate_geojson_export(path: Path) -> None:
    """An export holds the case and the researcher's layers: check and count both."""
    data = read_json_file(path)
    case = read_export(data, file=str(path))
    mine = layer_records(data, file=str(path))
    counts: dict[str, Counter[Kind]] = {}
    for record in mine:
        counts.setdefault(record.layer, Counter())[record.kind] += 1
    layers = f"in {len(counts)} layer{'s' if len(counts) != 1 else ''}"
    own = "no records of your own"
    if mine:
        own = f"{records_in_words(len(mine))} of your own {layers}"
    print(f"{path}: valid: {_case_summary(case)}; {own}")
    for layer, kinds in counts.items():
        summary = ", ".join(f"{kind_label(kind)}: {kinds[kind]}" for kind in Kind if kinds[kind])
        # repr: a layer name comes from a file and may hold terminal control characters
        print(f"  layer {layer!r}: {records_in_words(kinds.total())} ({summary})")


def _case_summary(case: Case) -> str:
    counts = case.records["kind"].value_counts()
    kinds = ", ".join(f"{counts.get(k.value, 0)} {k.label.lower()}" for k in CASE_KINDS)
    return f"{kinds}, {len(case.meta.sources)} sources, {len(case.meta.claims)} claims"


def _existing_store() -> Store | None:
    """The store, or None (with a warning) if there is none: a reading command never
    creates one, and the case can be exported without it."""
    try:
        return Store.open_existing(default_data_dir())
    except StoreNotFound as exc:
        print(f"warning: {exc}; exporting the case's records only", file=sys.stderr)
        return None


def _export(args: argparse.Namespace) -> int:
    case = load_case(args.case)
    store = None if args.case_only else _existing_store()
    if store is not None:  # the case's own layers, and those of no case
        store = store.for_case(case.meta.id)
    layers = store.records() if store else []
    damaged = store.damaged() if store else []
    for row in damaged:
        print(f"warning: {row}; it was left out of the export", file=sys.stderr)
    everything = combined_records(case, layers)
    kinds = args.kinds or [k.value for k in CASE_KINDS]
    records = filter_view(everything, args.start, args.end, kinds)
    if args.kinds:  # a kind filter applies to your layers' records too
        records = records[records["kind"].isin(kinds)]
    view: ExportView = {
        "from": args.start.isoformat() if args.start else None,
        "to": args.end.isoformat() if args.end else None,
        "kinds": kinds,
    }
    filtered = args.start is not None or args.end is not None or args.kinds is not None
    shown = view if filtered else None
    comments = record_comments(store)
    if args.out == "-":
        # No manifest to hash it for: written as it is made, a chunk at a time.
        write_records(sys.stdout.buffer, case, records, fmt=args.fmt, view=shown, comments=comments)
        sys.stdout.buffer.write(b"\n")
        return 0
    out = Path(args.out)

    def manifest_of(digest: Digest) -> dict[str, Any] | None:
        if not args.manifest:
            return None
        return export_manifest(
            case,
            records,
            {out.name: digest},  # the manifest names the file as written
            view=shown,
            case_dir=Path(args.case) if Path(args.case).is_dir() else None,
            imported_files=imported_source_files(store) if store and layers else [],
            store=store_state(store) if store else None,
        )

    # Written and hashed a chunk at a time: the export is never held whole.
    write_export_streamed(
        out,
        lambda file: write_records(
            file, case, records, fmt=args.fmt, view=shown, comments=comments
        ),
        manifest_of,
    )
    left_out = (
        f"; {records_in_words(len(damaged))} of the store damaged and left out (see the warnings)"
        if damaged
        else ""
    )
    print(f"wrote {len(records)} of {len(everything)} records to {out}{left_out}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    data = read_bytes(path)
    store, signer = writing_store(args)  # a refused signer before the file is read through
    if is_image(path.name, data[:16]):
        return import_image_file(args, path, data, store, signer)
    refuse_options(
        given(args, [*fact_options(), *IMAGE_OPTIONS]),
        "for an image only (a GeoTIFF, or a JPEG or PNG picture)",
        file=path.name,
    )
    layer = args.layer or path.stem
    dates = DateOptions(
        column=args.date_column,
        end_column=args.date_end_column,
        format=DateFormat(args.date_format or DateFormat.AUTO),
    )
    try:
        upload = read_upload(
            path.name,
            data,
            layer=layer,
            repair=args.repair,
            skip_bad=args.skip_bad,
            lat_column=args.lat_column,
            lon_column=args.lon_column,
            dates=dates,
        )
    except BadRecords as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(
            f"note: the other {records_in_words(len(exc.good.records))} are good: add --skip-bad "
            f"to import them and skip these {len(exc.good.skipped):,}",
            file=sys.stderr,
        )
        return 1
    for warning in upload.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for skipped in upload.skipped:
        print(f"skipped: {skipped}", file=sys.stderr)
    receipt = store.import_layer(
        layer,
        as_new_records(upload.records),
        analyst=signer,
        file_name=path.name,
        file_bytes=data,
        skipped=upload.skipped,
    )
    left_out = (
        f", {records_in_words(receipt.skipped)} skipped (listed in the history entry)"
        if receipt.skipped
        else ""
    )
    print(
        f"imported {records_in_words(receipt.count)} from {path.name} ({upload.format}) as layer "
        f"{receipt.layer!r}{left_out}; file kept as received, SHA-256 {receipt.sha256}"
    )
    return 0


def _print_geojson(collection: dict[str, Any]) -> None:
    sys.stdout.write(dumps(collection) + "\n")


def _geocode(args: argparse.Namespace) -> int:
    candidates = Gazetteer.load(load_case(DEFAULT_CASE_DIR)).search(args.name, limit=args.limit)
    for candidate in candidates:
        print(
            f"{candidate.score:.2f}  {candidate.name} ({candidate.kind}"
            f"{', ' + candidate.country if candidate.country else ''})  "
            f"{candidate.lat:.5f}, {candidate.lon:.5f}  [{candidate.source}]",
            file=sys.stderr,
        )
    collection = candidates_geojson(candidates)
    status = 0
    if args.online:
        geocoder = OnlineGeocoder(config_from_env())
        try:
            found = geocoder.search(args.name, limit=min(args.limit, 40))
        except GeocodingError as exc:
            print(f"error: online search: {exc}", file=sys.stderr)
            status = 1
        else:
            for online in found:
                print(
                    f"online  {online.name}  {online.lat:.5f}, {online.lon:.5f}",
                    file=sys.stderr,
                )
            collection["features"] += online_geojson(found)["features"]
            print(geocoder.attribution, file=sys.stderr)
    if not collection["features"]:
        print(f"no place found for {args.name!r}", file=sys.stderr)
    _print_geojson(collection)
    return status


def _extract(args: argparse.Namespace) -> int:
    path = Path(args.file)
    data = read_bytes(path)
    text = decode_text(data, file=str(path))
    mentions = extract_places(text, Gazetteer.load(load_case(DEFAULT_CASE_DIR)))
    for mention in mentions:
        print(
            f"{mention.candidate.name} ({mention.candidate.kind}): {mention.sentence}",
            file=sys.stderr,
        )
    _print_geojson(mentions_geojson(mentions))
    return 0


def _verify(expect: str | None) -> int:
    store = Store.open_existing(default_data_dir())
    # looked up first: a mistyped hash is refused before the long check
    found = store.find_entry(expect) if expect is not None else None
    problems = store.verify()
    head = store.latest()
    if head is None:
        print("history: no entries yet")
    else:
        last = "" if head.entries == head.seq else f" (the latest is entry {head.seq})"
        entries = f"{head.entries} entr{'y' if head.entries == 1 else 'ies'}"
        print(f"history: {entries}{last}, latest hash {head.hash}")
    if expect is not None:
        if found is None:
            problems.append(
                f"the expected hash {expect.strip()} is no entry of this store's history: the "
                "store is behind it (entries written up to it were removed since it was noted) "
                "or this is another store"
            )
        elif found.later == 0:
            print(f"expected hash: entry {found.entry.seq}, the latest: no entry was added since")
        else:
            print(
                f"expected hash: entry {found.entry.seq}; {found.later} "
                f"entr{'ies' if found.later != 1 else 'y'} came after it (the store went on "
                "since it was noted, which is fine)"
            )
    for name in store.unnamed_files():
        print(
            f"note: files/{name} is kept but no import names it: left by an import that "
            "did not finish, or by history entries removed since (check with --expect)",
            file=sys.stderr,
        )
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    read_only = " (read-only here)" if store.read_only else ""
    print(
        f"{store.data_dir}{read_only}: intact: the history chain, the records, layers and "
        "files tables, and the kept files"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.path)
        if args.command == "import":
            return _import(args)
        if args.command == "verify":
            return _verify(args.expect)
        if args.command == "geocode":
            return _geocode(args)
        if args.command == "extract":
            return _extract(args)
        if args.command == "georef":
            return run_georef(args)
        if args.command == "basemap":
            return run_basemap(args)
        if args.command == "migrate":
            return run_migrate(args)
        if args.command == "members":
            return run_members(args)
        if args.command == "assign":
            return run_assign(args)
        return _export(args)
    except (CommandRefused, AccessDenied) as exc:  # who signs: refused as a usage error
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 1
