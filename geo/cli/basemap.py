"""The ``basemap`` subcommand: add, list or remove an offline basemap.

A basemap (a GeoTIFF, MBTiles or PMTiles file) is context for a site, never evidence:
it is kept beside the store and out of its history (`geo.basemap`). Here are the
subcommand's parser, its run function, and the one line that describes a basemap kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.basemap import Basemap, add_basemap, basemaps, remove_basemap
from geo.cli.options import read_bytes
from geo.errors import DataError, Problem
from geo.store import default_data_dir


def add_basemap_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `basemap` subcommand and its tasks, added to `commands`."""
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


def _basemap_line(basemap: Basemap) -> str:
    west, south, east, north = basemap.bounds
    date = f" ({basemap.date})" if basemap.date else ""
    source = f", from {basemap.source}" if basemap.source else ""
    return (
        f"{basemap.sha256}  {basemap.label!r}{date}{source}: {basemap.kind.value}, zoom "
        f"{basemap.min_zoom}-{basemap.max_zoom}, west {west:.6f}, south {south:.6f}, "
        f"east {east:.6f}, north {north:.6f}"
    )


def run_basemap(args: argparse.Namespace) -> int:
    data_dir = default_data_dir()
    if args.task == "add":
        path = Path(args.file)
        added = add_basemap(
            data_dir, read_bytes(path), path.name, args.label, args.source, args.date
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
