"""Images on the command line: what the researcher states about one, importing it, and georef.

The facts an image's record keeps (`ImageryFacts`) are options of ``import`` and of
``georef --import``, from one table; ``import`` hands an image here, which is imported
as an imagery record or refused with a hint on placing it (a world file, or control
points through ``georef``); ``georef`` fits a released picture to its control points,
prints each point's residual and the RMS error, writes the GeoTIFF and, with
``--import``, imports the picture placed by the fit; both print the same receipt.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

from shapely.geometry import shape

from geo.access import Signer
from geo.cli.options import (
    add_case_id,
    add_signer,
    given,
    read_bytes,
    refuse_options,
    stated_date,
    writing_store,
)
from geo.dates import parse_date
from geo.errors import NO_CRS, NOT_GEOREFERENCED, DataError, Problem
from geo.georef import Fit, Method, fit, georeferenced_tiff, picture_size, read_points
from geo.imagery.importing import ImageryFacts, import_georeferenced, import_image
from geo.store import ImportReceipt, Store

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
IMAGE_OPTIONS = (("--world-file", "world_file"), ("--crs", "crs"))
_LAYER_OPTIONS = (
    ("--layer", "layer"),
    ("--repair", "repair"),
    ("--lat-column", "lat_column"),
    ("--lon-column", "lon_column"),
    ("--date-column", "date_column"),
    ("--date-end-column", "date_end_column"),
    ("--date-format", "date_format"),
)


def add_facts(parser: argparse.ArgumentParser, title: str, *, but: str = "") -> None:
    facts = parser.add_argument_group(title, "what you state about the image, kept in its record")
    for option, dest, text in _FACT_OPTIONS:
        if option != but:
            facts.add_argument(
                option, dest=dest, metavar=_FACT_METAVARS.get(dest, "TEXT"), help=text
            )


def fact_options(*, but: str = "") -> list[tuple[str, str]]:
    return [(option, dest) for option, dest, _ in _FACT_OPTIONS if option != but]


def add_georef_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `georef` subcommand, added to `commands`."""
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
        type=stated_date,
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
    add_signer(georef)
    add_case_id(georef)
    add_facts(georef, "with --import", but="--date")


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


def import_image_file(
    args: argparse.Namespace, path: Path, data: bytes, store: Store, signer: Signer
) -> int:
    """Import the image `data` read from `path` into `store`, signed by `signer`
    (`writing_store`)."""
    refuse_options(
        given(args, _LAYER_OPTIONS),
        "for a data file only: an image is imported as an imagery record in a layer named "
        "after it (--name)",
        file=path.name,
    )
    facts = _facts(args, path)
    sidecar = read_bytes(Path(args.world_file)) if args.world_file else None
    try:
        receipt = import_image(
            store,
            data,
            file_name=path.name,
            facts=facts,
            analyst=signer,
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


def run_georef(args: argparse.Namespace) -> int:
    picture = Path(args.picture)
    points = Path(args.points) if args.points else Path(f"{args.picture}.points")
    out = Path(args.out)
    if out.resolve() in (picture.resolve(), points.resolve()):
        raise DataError(Problem("--out would overwrite the picture or its points", file=str(out)))
    if not args.and_import:
        refuse_options(
            given(args, fact_options(but="--date")), "with --import only", file=picture.name
        )
    facts = _facts(args, picture) if args.and_import else None
    # Who imports, checked before the fit: a refused signer leaves nothing behind.
    writing = writing_store(args) if facts is not None else None
    data = read_bytes(picture)
    size = picture_size(data, file=str(picture))
    found = read_points(read_bytes(points), file=str(points), crs=args.crs)
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
    if facts is not None and writing is not None:
        # before --out is written: a refused import leaves nothing behind
        store, signer = writing
        imported = (
            store,
            import_georeferenced(
                store, data, fitted, file_name=picture.name, facts=facts, analyst=signer
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
