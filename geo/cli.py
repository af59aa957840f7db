"""Command line: ``python -m geo validate|export|import|verify|geocode|extract|georef|basemap``.

Errors are messages, never tracebacks; nothing goes online unless ``--online`` is given.
"""

from __future__ import annotations

import argparse
import getpass
import math
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from shapely.geometry import shape

from geo.basemap import Basemap, add_basemap, basemaps, remove_basemap
from geo.case import (
    CASE_FILE,
    DEFAULT_CASE_DIR,
    Case,
    case_folders,
    load_case,
    read_export,
)
from geo.dates import parse_date
from geo.errors import NO_CRS, NOT_GEOREFERENCED, DataError, DateError, GeoError, Problem
from geo.export import ExportView, layer_records
from geo.extract import candidates_geojson, decode_text, extract_places, mentions_geojson
from geo.formats import read_upload
from geo.gazetteer import Gazetteer
from geo.geocode import GeocodingError, OnlineGeocoder, config_from_env, online_geojson
from geo.geojson import dumps, read_json_file
from geo.georef import Fit, Method, fit, georeferenced_tiff, picture_size, read_points
from geo.imagery.importing import ImageryFacts, import_georeferenced, import_image
from geo.imagery.opening import is_image
from geo.manifest import manifest_path, manifest_problems, write_export
from geo.records import CASE_KINDS, Kind, as_new_records, kind_label, records_in_words
from geo.store import ImportReceipt, Store, StoreNotFound, default_data_dir
from geo.transfer import EXPORT_FORMATS, export, imported_source_files, store_state
from geo.workspace import combined_records, filter_view


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


def _stated_date(text: str) -> str:
    try:
        return parse_date(text).text
    except DateError as exc:
        raise argparse.ArgumentTypeError(str(exc.problems[0])) from exc


# What the researcher states about an image (`ImageryFacts`), as options of `import` and
# `georef --import`: the option, the field it fills, its help.
_FACT_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--name", "name", "the imagery record's name (default: the file name without suffix)"),
    (
        "--date",
        "date",
        "when the image was taken, with the precision the source gives (EDTF): 2015, "
        "2015-01, 2015-01-18, or an interval such as 2014/2015",
    ),
    ("--date-as-stated", "date_as_stated", "the date in the source's words: January 2015"),
    ("--provider", "provider", "who took it: DigitalGlobe, Airbus"),
    ("--sensor", "sensor", "the satellite or camera: WorldView-2"),
    ("--released-by", "released_by", "who released it: US Department of State"),
    ("--released-on", "released_on", "when it was released (EDTF)"),
    ("--source", "source_title", "the title of the source it comes from"),
    ("--source-url", "source_url", "the source's address"),
    ("--quote", "source_quote", "the source's words about the image"),
)
_FACT_METAVARS = {
    "name": "NAME",
    "date": "DATE",
    "released_on": "DATE",
    "source_title": "TITLE",
    "source_url": "URL",
}
_IMAGE_OPTIONS = (("--world-file", "world_file"), ("--crs", "crs"))
_LAYER_OPTIONS = (("--layer", "layer"), ("--repair", "repair"))


def _add_analyst(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--analyst", default=os.environ.get("GEO_ANALYST") or getpass.getuser(), help="who imports"
    )


def _add_facts(parser: argparse.ArgumentParser, title: str, *, but: str = "") -> None:
    facts = parser.add_argument_group(title, "what you state about the image, kept in its record")
    for option, dest, text in _FACT_OPTIONS:
        if option != but:
            facts.add_argument(
                option, dest=dest, metavar=_FACT_METAVARS.get(dest, "TEXT"), help=text
            )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__)
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
    _add_analyst(imported)
    layer = imported.add_argument_group("a data file (GeoJSON, CSV, KML/KMZ, STAC)")
    layer.add_argument("--layer", help="layer name (default: the file name without suffix)")
    layer.add_argument(
        "--repair", action="store_true", help="repair invalid geometries with make_valid"
    )
    _add_facts(imported, "an image (GeoTIFF, JPEG, PNG)")
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

    georef = commands.add_parser(
        "georef",
        help="georeference a released picture from control points: each point's residual, the "
        "RMS error, and a GeoTIFF",
        description="Fit the picture to the map from the control points of a QGIS "
        "georeferencer .points file, print each point's residual in metres and pixels and the "
        "RMS error, and write a GeoTIFF that carries the points and the errors. A fit that "
        "would mislead (too few points, points in a line, a mirrored or meaningless fit) is "
        "refused with the reason.",
    )
    georef.add_argument("picture", help="the released picture, JPEG or PNG")
    georef.add_argument(
        "--points",
        help="the QGIS georeferencer .points file (default: PICTURE.points, where QGIS saves it)",
    )
    georef.add_argument(
        "--method",
        choices=[m.value for m in Method],
        default=Method.AFFINE.value,
        help="affine (3 points or more; keeps the pixels as released) or a second-order "
        "polynomial (6 or more; warps the picture)",
    )
    georef.add_argument(
        "--crs",
        help="the CRS of the map coordinates when the .points file has no #CRS line, such as "
        "EPSG:3857 (default: EPSG:4326, with a warning)",
    )
    georef.add_argument(
        "--date",
        type=_stated_date,
        help="the picture's date as stated (YYYY, YYYY-MM, YYYY-MM-DD or an interval), kept "
        "in the GeoTIFF (and in the imagery record, with --import)",
    )
    georef.add_argument("--out", required=True, help="the GeoTIFF to write")
    georef.add_argument(
        "--import",
        dest="and_import",
        action="store_true",
        help="also import the picture, as released, as an imagery record placed by this fit, "
        "its control points and errors kept in the record (needs --date)",
    )
    _add_analyst(georef)
    _add_facts(georef, "with --import", but="--date")

    basemap = commands.add_parser(
        "basemap",
        help="add, list or remove an offline basemap (a GeoTIFF, MBTiles or PMTiles file): "
        "context for a site, never evidence",
        description="Offline basemaps are kept in $GEO_DATA_DIR/basemaps, beside the store "
        "and out of its history: they are context, not evidence, and are in no export. The "
        "map offers each in its layer control.",
    )
    tasks = basemap.add_subparsers(dest="task", required=True)
    add = tasks.add_parser(
        "add",
        help="add a file of picture tiles (PNG, JPEG, WebP) or a GeoTIFF as a basemap",
        description="For packages larger than the page's upload limit. The file is checked "
        "whole first (tiles, bounds, zoom levels; vector tiles are refused) and kept under "
        "its SHA-256.",
    )
    add.add_argument("file", help="a .mbtiles, .pmtiles, .tif or .tiff file")
    add.add_argument("--label", required=True, help="what it shows: 'Saydnaya, 2019 mosaic'")
    add.add_argument("--source", default="", help="who made it, or where it comes from")
    add.add_argument("--date", help="its date as the source states it, if known")
    tasks.add_parser("list", help="the basemaps kept, one a line")
    remove = tasks.add_parser("remove", help="remove a basemap by its SHA-256")
    remove.add_argument("sha256", metavar="SHA", help="its SHA-256, in full or its first 12+")
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
    to_stdout = args.out == "-"
    result = export(
        case,
        records,
        fmt=args.fmt,
        view=view if filtered else None,
        case_dir=Path(args.case) if Path(args.case).is_dir() else None,
        imported_files=imported_source_files(store) if store and layers else [],
        with_manifest=args.manifest and not to_stdout,
        base_name=None if to_stdout else Path(args.out).stem,
        store=store_state(store) if store else None,
    )
    if to_stdout:
        sys.stdout.buffer.write(result.data + b"\n")
        return 0
    out = Path(args.out)
    if result.manifest is not None:
        # the manifest names the file as written
        result.manifest["files"][0]["name"] = out.name
    write_export(out, result.data, result.manifest)
    left_out = (
        f"; {records_in_words(len(damaged))} of the store damaged and left out (see the warnings)"
        if damaged
        else ""
    )
    print(f"wrote {len(records)} of {len(everything)} records to {out}{left_out}", file=sys.stderr)
    return 0


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(Problem(f"cannot read: {exc.strerror}", file=str(path))) from exc


def _given(args: argparse.Namespace, options: Sequence[tuple[str, str]]) -> list[str]:
    """The options of `options` (option, dest) given on this command line."""
    return [option for option, dest in options if getattr(args, dest) not in (None, False)]


def _fact_options(*, but: str = "") -> list[tuple[str, str]]:
    return [(option, dest) for option, dest, _ in _FACT_OPTIONS if option != but]


def _refuse_options(given: list[str], why: str, *, file: str) -> None:
    if given:
        raise DataError(Problem(f"{', '.join(given)}: {why}", file=file))


def _facts(args: argparse.Namespace, path: Path) -> ImageryFacts:
    """What the command line states about the image at `path`; --date is needed: an
    undated image says nothing about when."""
    if args.date is None:
        raise DataError(
            Problem(
                "--date is needed: when the image was taken, as precisely as the source "
                "says (2015, 2015-01, 2015-01-18, or an interval such as 2014/2015)",
                file=path.name,
                field="date",
            )
        )
    stated = {dest: getattr(args, dest) for _, dest, _ in _FACT_OPTIONS}
    return ImageryFacts(**(stated | {"name": args.name or path.stem}))


def _place_it(problem: Problem, path: Path) -> Problem:
    """`problem`, saying what to do on the command line about an image that cannot be
    placed (the library's words name the page's tools)."""
    if problem.code == NOT_GEOREFERENCED:
        todo = (
            "give its world file with --world-file, or georeference it from control points: "
            f"python -m geo georef {path.name} --points {path.name}.points --date DATE "
            "--out IMAGE.tif --import"
        )
    elif problem.code == NO_CRS:
        todo = "give it with --crs"
    else:
        return problem
    return replace(problem, message=f"{problem.message} (on the command line: {todo})")


def _import_image(args: argparse.Namespace, path: Path, data: bytes) -> int:
    _refuse_options(
        _given(args, _LAYER_OPTIONS),
        "for a data file only: an image is imported as an imagery record in a layer named "
        "after it (--name)",
        file=path.name,
    )
    facts = _facts(args, path)
    sidecar = _read_bytes(Path(args.world_file)) if args.world_file else None
    store = Store.open(default_data_dir())
    try:
        receipt = import_image(
            store,
            data,
            file_name=path.name,
            facts=facts,
            analyst=args.analyst,
            sidecar=sidecar,
            crs=args.crs,
        )
    except DataError as exc:
        raise DataError([_place_it(problem, path) for problem in exc.problems]) from exc
    _print_imagery(store, receipt)
    return 0


def _print_imagery(store: Store, receipt: ImportReceipt) -> None:
    """The receipt of an imagery import: what was kept, where the image lies, and when."""
    [record] = store.records(receipt.layer)
    raster = record.properties["raster"]
    west, south, east, north = shape(record.geometry).bounds
    across, down = raster["resolution_m"]
    about = "about " if raster["resolution_approximate"] else ""
    print(
        f"imported {receipt.file_name} as imagery record {record.name!r} in layer "
        f"{receipt.layer!r}\n"
        f"  file kept as received: SHA-256 {receipt.sha256}, {receipt.size:,} bytes\n"
        f"  image: {raster['width']} by {raster['height']} pixels in {raster['crs']} "
        f"({raster['crs_name']}), {about}{across:.2f} by {down:.2f} m a pixel\n"
        f"  footprint: west {west:.6f}, south {south:.6f}, east {east:.6f}, "
        f"north {north:.6f} (WGS 84)"
    )
    if record.date is not None:
        stated = parse_date(record.date)
        said = record.date_as_stated
        words = f", as stated: {said!r}" if said and said != record.date else ""
        print(f"  date: {record.date} ({stated.precision.value}: {stated.describe()}){words}")


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    data = _read_bytes(path)
    if is_image(path.name, data[:16]):
        return _import_image(args, path, data)
    _refuse_options(
        _given(args, [*_fact_options(), *_IMAGE_OPTIONS]),
        "for an image only (a GeoTIFF, or a JPEG or PNG picture)",
        file=path.name,
    )
    layer = args.layer or path.stem
    upload = read_upload(path.name, data, layer=layer, repair=args.repair)
    for warning in upload.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    receipt = Store.open(default_data_dir()).import_layer(
        layer,
        as_new_records(upload.records),
        analyst=args.analyst,
        file_name=path.name,
        file_bytes=data,
    )
    print(
        f"imported {records_in_words(receipt.count)} from {path.name} ({upload.format}) as layer "
        f"{receipt.layer!r}; file kept as received, SHA-256 {receipt.sha256}"
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
    data = _read_bytes(path)
    text = decode_text(data, file=str(path))
    mentions = extract_places(text, Gazetteer.load(load_case(DEFAULT_CASE_DIR)))
    for mention in mentions:
        print(
            f"{mention.candidate.name} ({mention.candidate.kind}): {mention.sentence}",
            file=sys.stderr,
        )
    _print_geojson(mentions_geojson(mentions))
    return 0


def _georef(args: argparse.Namespace) -> int:
    picture = Path(args.picture)
    points = Path(args.points) if args.points else Path(f"{args.picture}.points")
    out = Path(args.out)
    if out.resolve() in (picture.resolve(), points.resolve()):
        raise DataError(Problem("--out would overwrite the picture or its points", file=str(out)))
    if not args.and_import:
        _refuse_options(
            _given(args, _fact_options(but="--date")), "with --import only", file=picture.name
        )
    facts = _facts(args, picture) if args.and_import else None
    data = _read_bytes(picture)
    size = picture_size(data, file=str(picture))
    found = read_points(_read_bytes(points), file=str(points), crs=args.crs)
    for warning in found.warnings:
        print(f"warning: {points}: {warning}", file=sys.stderr)
    fitted = fit(found.points, size=size, method=args.method)
    _print_residuals(fitted)
    for warning in fitted.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    tiff = georeferenced_tiff(data, fitted, file=str(picture), date=args.date)
    for warning in tiff.warnings:
        print(f"warning: {picture}: {warning}", file=sys.stderr)
    imported: tuple[Store, ImportReceipt] | None = None
    if facts is not None:  # before --out is written: a refused import leaves nothing behind
        store = Store.open(default_data_dir())
        imported = (
            store,
            import_georeferenced(
                store, data, fitted, file_name=picture.name, facts=facts, analyst=args.analyst
            ),
        )
    out.write_bytes(tiff.data)
    how = "warped onto a north-up grid" if tiff.resampled else "its pixels as released"
    print(
        f"wrote {out}: {tiff.width} by {tiff.height} pixels in {tiff.crs}, {how}", file=sys.stderr
    )
    if imported is not None:
        _print_imagery(*imported)
    return 0


def _number(value: float, width: int) -> str:
    """A residual, or n/a (as QGIS shows it) where it could not be computed."""
    return f"{value:{width}.2f}" if math.isfinite(value) else f"{'n/a':>{width}}"


def _print_residuals(fitted: Fit) -> None:
    print(f"{'point':>6} {'column':>10} {'row':>10} {'lon':>11} {'lat':>10} {'m':>9} {'px':>8}")
    for point, residual in zip(fitted.points, fitted.residuals, strict=True):
        print(
            f"{'#' + str(residual.index + 1):>6} {point.column:10.2f} {point.row:10.2f} "
            f"{point.lon:11.6f} {point.lat:10.6f} {_number(residual.metres, 9)} "
            f"{_number(residual.pixels, 8)}" + ("" if residual.used else "  (not used)")
        )
    print(
        f"RMS error: {fitted.rms_m:.2f} m, {fitted.rms_px:.2f} pixels, over {fitted.used} of "
        f"{len(fitted.points)} points ({fitted.method.value} fit in {fitted.crs}; a pixel is "
        f"{fitted.pixel_size_m:.2f} m on the ground)"
    )


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


def _basemap_line(basemap: Basemap) -> str:
    west, south, east, north = basemap.bounds
    date = f" ({basemap.date})" if basemap.date else ""
    source = f", from {basemap.source}" if basemap.source else ""
    return (
        f"{basemap.sha256}  {basemap.label!r}{date}{source}: {basemap.kind.value}, zoom "
        f"{basemap.min_zoom}-{basemap.max_zoom}, west {west:.6f}, south {south:.6f}, "
        f"east {east:.6f}, north {north:.6f}"
    )


def _basemap(args: argparse.Namespace) -> int:
    data_dir = default_data_dir()
    if args.task == "add":
        path = Path(args.file)
        added = add_basemap(
            data_dir, _read_bytes(path), path.name, args.label, args.source, args.date
        )
        print(f"basemap kept (not evidence): {_basemap_line(added)}")
        return 0
    if args.task == "list":
        kept = basemaps(data_dir)
        for basemap in kept:
            print(_basemap_line(basemap))
        if not kept:
            print(f"no offline basemap in {data_dir}", file=sys.stderr)
        return 0
    wanted = args.sha256.strip().lower()
    matches = [b for b in basemaps(data_dir) if len(wanted) >= 12 and b.sha256.startswith(wanted)]
    if len(matches) != 1:
        found = "no basemap" if not matches else f"{len(matches)} basemaps"
        raise DataError(
            Problem(f"{found} kept with a SHA-256 starting {wanted!r} (give 12 digits or more)")
        )
    gone = remove_basemap(data_dir, matches[0].sha256)
    print(f"removed basemap {gone.label!r} ({gone.sha256})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
            return _georef(args)
        if args.command == "basemap":
            return _basemap(args)
        return _export(args)
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 1
