"""Fetch the pinned front-end assets the folium map needs and vendor them under static/vendor.

Run from anywhere with ``python scripts/refresh_assets.py`` (stdlib only; needs ``npm`` on PATH
and ``pip`` for the interpreter running it). The map must work with no internet access, so every
script, stylesheet, font and image folium would take from a CDN is copied here, with its licence,
and recorded in static/vendor/MANIFEST.json (sha256 of each file) so a test can prove that what is
committed is what this script produced.

The vendored files are kept byte-for-byte as published (so anyone can check them against the
registry), except for four documented derivations: the Bootstrap 3 glyphicons stylesheet cut out
of bootstrap.css, the reconstructed leaflet-draw licence, the GeoJSON country outlines
converted from world-atlas TopoJSON, and leaflet-side-by-side's CommonJS source made a plain
browser script.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# Vendor directory -> (registry package, pinned version). Registry is npm unless noted.
PINNED: dict[str, tuple[str, str]] = {
    "leaflet": ("leaflet", "1.9.4"),
    "jquery": ("jquery", "3.7.1"),
    "bootstrap": ("bootstrap", "5.2.3"),
    "@fortawesome/fontawesome-free": ("@fortawesome/fontawesome-free", "6.7.2"),
    "leaflet.awesome-markers": ("leaflet.awesome-markers", "2.0.5"),
    "leaflet-measure": ("leaflet-measure", "2.1.7"),
    "leaflet.fullscreen": ("leaflet.fullscreen", "3.0.2"),
    # Ardhi Lukianto's Leaflet.MousePosition, republished on npm by danwild; same API as the
    # file folium takes from GitHub (ardhi has no npm package of his own).
    "leaflet-mouse-position": ("leaflet-mouse-position", "1.2.0"),
    "leaflet-draw": ("leaflet-draw", "1.0.4"),
    # Norkart's Leaflet-MiniMap, the plugin folium.plugins.MiniMap loads from cdnjs.
    "leaflet-minimap": ("leaflet-minimap", "3.6.1"),
    # Digital Democracy's leaflet-side-by-side, the plugin folium.plugins.SideBySideLayers loads
    # (as a browserified build from GitHub, tag 2.0.0); npm has the same release as source.
    "leaflet-side-by-side": ("leaflet-side-by-side", "2.0.0"),
    "world-atlas": ("world-atlas", "2.0.2"),
    # folium.Icon's default prefix is "glyphicon": the stand-alone Bootstrap 3 glyphicons
    # stylesheet folium links is not on npm, so it is cut out of Bootstrap 3's full stylesheet.
    "bootstrap-3-glyphicons": ("bootstrap", "3.4.1"),
    # folium's own rotate stylesheet ships only in its PyPI sdist, not in the wheel.
    "folium": ("pypi:folium", "0.20.0"),
}

REPO_ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = REPO_ROOT / "static" / "vendor"
MANIFEST_NAME = "MANIFEST.json"
COORD_DECIMALS = 4


@dataclass
class Selection:
    """Which files of a package to vendor: (path in the package, path under the vendor dir)."""

    files: list[tuple[str, str]]
    license_file: str
    # Copy every file directly inside these package folders (e.g. a font folder a CSS file uses).
    folders: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""


def same(*paths: str) -> list[tuple[str, str]]:
    return [(p, p) for p in paths]


SELECTIONS: dict[str, Selection] = {
    "leaflet": Selection(
        files=same("dist/leaflet.js", "dist/leaflet.css"),
        folders=[("dist/images", "dist/images")],
        license_file="LICENSE",
    ),
    "jquery": Selection(files=same("dist/jquery.min.js"), license_file="LICENSE.txt"),
    "bootstrap": Selection(
        files=same("dist/js/bootstrap.bundle.min.js", "dist/css/bootstrap.min.css"),
        license_file="LICENSE",
        note="The sourceMappingURL comments point at .map files that are not vendored; browsers "
        "fetch them only with developer tools open.",
    ),
    "@fortawesome/fontawesome-free": Selection(
        files=same("css/all.min.css"),
        folders=[("webfonts", "webfonts")],
        license_file="LICENSE.txt",
    ),
    "leaflet.awesome-markers": Selection(
        files=same(
            "dist/leaflet.awesome-markers.js",
            "dist/leaflet.awesome-markers.css",
            # Only the sprites the stylesheet references; the matte/plain variants are unused.
            "dist/images/markers-soft.png",
            "dist/images/markers-soft@2x.png",
            "dist/images/markers-shadow.png",
            "dist/images/markers-shadow@2x.png",
        ),
        license_file="LICENSE",
        note="package.json says ISC; the LICENSE file shipped in the package is MIT text.",
    ),
    "leaflet-measure": Selection(
        # npm ships no leaflet-measure.min.css; the unminified one is the same stylesheet.
        files=same("dist/leaflet-measure.min.js", "dist/leaflet-measure.css"),
        folders=[("dist/images", "dist/images")],
        license_file="LICENSE",
    ),
    "leaflet.fullscreen": Selection(
        files=same("Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg"),
        license_file="LICENSE",
        note="3.0.x on npm ships no Control.FullScreen.min.js; the unminified file is used.",
    ),
    "leaflet-mouse-position": Selection(
        files=same("src/L.Control.MousePosition.js", "src/L.Control.MousePosition.css"),
        license_file="MIT-LICENCE.txt",
        note="npm republication of ardhi/Leaflet.MousePosition (the plugin folium's "
        "MousePosition loads from GitHub); no minified file is published.",
    ),
    "leaflet-draw": Selection(
        files=same(
            "dist/leaflet.draw.js",
            "dist/leaflet.draw.css",
            "dist/images/spritesheet.png",
            "dist/images/spritesheet-2x.png",
            "dist/images/spritesheet.svg",
        ),
        license_file="",  # the npm tarball has none: see write_leaflet_draw_license
        note="The npm tarball ships no licence file. LICENSE here is the standard MIT text "
        "(package.json: MIT) with the copyright line from the dist/leaflet.draw.js header.",
    ),
    "leaflet-minimap": Selection(
        # The unminified sources, as cdnjs serves them to folium; dist/Control.MiniMap.min.css
        # lost the 4px border width in minification.
        files=same("src/Control.MiniMap.js", "src/Control.MiniMap.css"),
        folders=[("src/images", "src/images")],
        license_file="LICENSE.txt",
    ),
    "leaflet-side-by-side": Selection(
        # leaflet-side-by-side.js is written by browser_side_by_side from index.js.
        files=same("layout.css", "range.css", "range-icon.png"),
        license_file="LICENSE",
        note="npm publishes only the CommonJS source (index.js); folium loads the browserified "
        "leaflet-side-by-side.min.js of the GitHub tag, which carries both stylesheets inside. "
        "leaflet-side-by-side.js is index.js made a plain browser script by this script: L taken "
        "from window.L, the two require() calls of the stylesheets and the module.exports line "
        "dropped, the whole wrapped in a function so its helpers stay out of the global scope; "
        "nothing else changed. layout.css and range.css are linked as stylesheets instead "
        "(geo.assets.BUNDLED_CSS).",
    ),
    "world-atlas": Selection(
        files=same("countries-50m.json", "countries-110m.json"),
        license_file="LICENSE",
        note="Natural Earth data (public domain), packaged by world-atlas (ISC). The .geojson "
        "files are derived from the TopoJSON by this script: coordinates rounded to "
        f"{COORD_DECIMALS} decimals, properties reduced to name, rings oriented per RFC 7946.",
    ),
    "bootstrap-3-glyphicons": Selection(
        files=[],  # written by extract_glyphicons
        folders=[("dist/fonts", "fonts")],
        license_file="LICENSE",
        note="css/bootstrap-glyphicons.css is the @font-face and .glyphicon* rules cut out of "
        "Bootstrap 3.4.1 dist/css/bootstrap.css (only glyphicon rules, so nothing clashes with "
        "Bootstrap 5); it replaces the Bootstrap 3.0.0 bootstrap-glyphicons.css folium links.",
    ),
    "folium": Selection(
        files=[("folium/templates/leaflet.awesome.rotate.css", "leaflet.awesome.rotate.css")],
        license_file="LICENSE.txt",
        note="Copied from the folium sdist on PyPI (the installed wheel does not include it); "
        "folium links leaflet.awesome.rotate.min.css from its GitHub repository.",
    ),
}

# url(...) in CSS: quoted or unquoted; @import "..." or @import url(...).
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


class RefreshError(RuntimeError):
    pass


def css_references(css: str) -> list[str]:
    """Every URL a stylesheet loads (url() and @import), comments ignored."""
    css = _CSS_COMMENT.sub("", css)
    refs = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(css)]
    refs += [next(g for g in m.groups() if g is not None) for m in _CSS_IMPORT.finditer(css)]
    return [r.strip() for r in refs if r.strip()]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(package: str, version: str, dest: Path) -> tuple[Path, dict[str, str]]:
    """Download one exact version as a tarball; npm verifies its integrity against the registry."""
    spec = f"{package}@{version}"
    proc = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(dest)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RefreshError(f"npm pack {spec} failed:\n{proc.stderr.strip()}")
    info = json.loads(proc.stdout)[0]
    if info.get("version") != version:
        raise RefreshError(f"npm pack {spec} returned version {info.get('version')}")
    return dest / info["filename"], {"integrity": info["integrity"], "shasum": info["shasum"]}


def pypi_sdist(package: str, version: str, dest: Path) -> tuple[Path, dict[str, str]]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--dest",
            str(dest),
            f"{package}=={version}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RefreshError(f"pip download {package}=={version} failed:\n{proc.stderr.strip()}")
    archives = sorted(dest.glob(f"{package}-{version}.*"))
    if not archives:
        raise RefreshError(f"pip download left no sdist of {package}=={version} in {dest}")
    data = archives[0].read_bytes()
    return archives[0], {"sha256": sha256_bytes(data)}


class Archive:
    """Read-only view of a downloaded archive, addressed by paths relative to its top folder."""

    def __init__(self, path: Path) -> None:
        self._files: dict[str, bytes] = {}
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    if not name.endswith("/"):
                        self._files[name] = zf.read(name)
        else:
            with tarfile.open(path, "r:gz") as tf:
                for member in tf.getmembers():
                    if member.isfile():
                        fh = tf.extractfile(member)
                        assert fh is not None
                        self._files[member.name] = fh.read()
        # npm tarballs use "package/", sdists "<name>-<version>/": strip whatever the top is.
        tops = {name.split("/", 1)[0] for name in self._files}
        if len(tops) != 1:
            raise RefreshError(f"{path.name}: expected one top-level folder, got {sorted(tops)}")
        top = tops.pop() + "/"
        self._files = {name[len(top) :]: data for name, data in self._files.items()}

    def read(self, name: str) -> bytes:
        try:
            return self._files[name]
        except KeyError:
            raise RefreshError(f"file {name!r} not in the package") from None

    def folder(self, name: str) -> list[str]:
        prefix = name.rstrip("/") + "/"
        found = sorted(
            n for n in self._files if n.startswith(prefix) and "/" not in n[len(prefix) :]
        )
        if not found:
            raise RefreshError(f"folder {name!r} is empty or missing in the package")
        return found


def extract_glyphicons(archive: Archive) -> bytes:
    css = archive.read("dist/css/bootstrap.css").decode("utf-8")
    start = css.index('@font-face {\n  font-family: "Glyphicons Halflings";')
    end = css.index("\n* {", start)
    section = css[start:end]
    # Guard against an upstream layout change dragging unrelated Bootstrap 3 rules along.
    selectors = re.findall(r"(?:^|\})\s*([^{}@]+)\{", section)
    stray = [
        s for s in selectors if not all(p.strip().startswith(".glyphicon") for p in s.split(","))
    ]
    if stray or not selectors:
        raise RefreshError(f"glyphicons section of bootstrap.css changed shape: {stray[:3]}")
    header = (
        "/*!\n"
        " * Bootstrap v3.4.1 glyphicons only, cut out of dist/css/bootstrap.css\n"
        " * Copyright 2011-2019 Twitter, Inc.\n"
        " * Licensed under MIT\n"
        " */\n"
    )
    return (header + section + "\n").encode("utf-8")


MIT_TEXT = """\
Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
"""


def write_leaflet_draw_license(archive: Archive) -> bytes:
    js = archive.read("dist/leaflet.draw.js").decode("utf-8")
    match = re.search(r"\(c\)\s*([^\n]+)", js[:500])
    if not match:
        raise RefreshError("leaflet.draw.js header has no copyright line")
    return (
        "The leaflet-draw npm package ships no licence file; its package.json declares MIT.\n"
        "Copyright line taken from the header of dist/leaflet.draw.js.\n\n"
        f"Copyright (c) {match.group(1).strip()}\n\n{MIT_TEXT}"
    ).encode()


SIDE_BY_SIDE_COMMONJS = (
    ("var L = require('leaflet')\n", "var L = window.L\n"),
    ("require('./layout.css')\n", ""),
    ("require('./range.css')\n", ""),
    ("module.exports = L.Control.SideBySide\n", ""),
)


def browser_side_by_side(archive: Archive, version: str) -> bytes:
    """leaflet-side-by-side's index.js as a script a page can load after Leaflet.

    The package is CommonJS meant for browserify: it requires Leaflet and its two stylesheets
    and exports the control. Each line that does so must appear exactly once as expected, so
    an upstream change stops the refresh instead of shipping a half-converted file.
    """
    source = archive.read("index.js").decode("utf-8")
    for old, new in SIDE_BY_SIDE_COMMONJS:
        if source.count(old) != 1:
            raise RefreshError(f"leaflet-side-by-side index.js changed shape: {old.strip()!r}")
        source = source.replace(old, new)
    if "require(" in source or "module.exports" in source:
        raise RefreshError("leaflet-side-by-side index.js has another require() or export")
    header = (
        f"/*! leaflet-side-by-side v{version} | (c) 2015 Gregor MacLennan | MIT License\n"
        f" * index.js of npm leaflet-side-by-side@{version} as a plain browser script, written\n"
        " * by scripts/refresh_assets.py: L from window.L, the stylesheets' require() and\n"
        " * module.exports dropped, wrapped in a function. Needs layout.css and range.css. */\n"
    )
    return f"{header}(function () {{\n{source}}})();\n".encode()


# --- TopoJSON -> GeoJSON -------------------------------------------------------------------


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    transform = topology.get("transform")
    arcs: list[list[tuple[float, float]]] = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for dx, dy, *_ in arc:
                x += dx
                y += dy
                points.append((x * sx + tx, y * sy + ty))
        else:
            points = [(float(p[0]), float(p[1])) for p in arc]
        arcs.append(points)
    return arcs


def ring_from_arcs(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        # Consecutive arcs share their joining point.
        points.extend(arc[1:] if points else arc)
    return _closed([list(p) for p in points])


def signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2.0


def _rounded(x: float, y: float) -> list[float]:
    return [round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)]


def _closed(points: list[list[float]]) -> list[list[float]]:
    ring: list[list[float]] = []
    for p in points:
        p = _rounded(*p)
        if not ring or ring[-1] != p:
            ring.append(p)
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


def _unwrap(points: list[list[float]]) -> list[list[float]]:
    """Shift longitudes by multiples of 360 so that no step jumps more than 180 degrees."""
    out = [list(points[0])]
    offset = 0.0
    for x, y in points[1:]:
        while x + offset - out[-1][0] > 180:
            offset -= 360
        while x + offset - out[-1][0] < -180:
            offset += 360
        out.append([x + offset, y])
    return out


def _clip(ring: list[list[float]], edge: float, keep_west: bool) -> list[list[float]]:
    """Sutherland-Hodgman clip of a closed ring against the meridian x = edge."""

    def inside(p: list[float]) -> bool:
        return p[0] <= edge if keep_west else p[0] >= edge

    out: list[list[float]] = []
    for a, b in itertools.pairwise(ring):
        if inside(b):
            if not inside(a):
                out.append([edge, a[1] + (b[1] - a[1]) * (edge - a[0]) / (b[0] - a[0])])
            out.append(b)
        elif inside(a):
            out.append([edge, a[1] + (b[1] - a[1]) * (edge - a[0]) / (b[0] - a[0])])
    return _closed(out) if out else []


def _crosses(ring: list[list[float]]) -> bool:
    return any(abs(b[0] - a[0]) > 180 for a, b in itertools.pairwise(ring))


def _is_polar(ring: list[list[float]]) -> bool:
    return abs(_unwrap(ring)[-1][0] - ring[0][0]) > 180


def _close_around_pole(ring: list[list[float]]) -> list[list[float]]:
    """A ring that circles a pole (spherical topology) becomes a planar ring closed along it."""
    open_ring = ring[:-1]
    jump = next(
        i
        for i in range(len(open_ring))
        if abs(open_ring[(i + 1) % len(open_ring)][0] - open_ring[i][0]) > 180
    )
    seq = _unwrap(open_ring[jump + 1 :] + open_ring[: jump + 1])
    if any(abs(x) > 180 for x, _ in seq):
        raise RefreshError("polar ring crosses the antimeridian more than once")
    eastward = seq[-1][0] > seq[0][0]
    # The closing step, from the last point to the first one shifted a full turn, crosses the
    # antimeridian: its latitude there is where the ring is cut open.
    last, first = seq[-1], [seq[0][0] + (360 if eastward else -360), seq[0][1]]
    edge = 180.0 if eastward else -180.0
    if first[0] == last[0]:  # the ring steps from +180 to -180 at one latitude
        lat = last[1]
    else:
        lat = last[1] + (first[1] - last[1]) * (edge - last[0]) / (first[0] - last[0])
    pole = -90.0 if sum(y for _, y in seq) < 0 else 90.0
    return _closed([[-edge, lat], *seq, [edge, lat], [edge, pole], [-edge, pole], [-edge, lat]])


def _split_antimeridian(polygon: list[list[list[float]]]) -> list[list[list[list[float]]]]:
    """Turn one spherical polygon into planar polygons that Leaflet draws without streaks.

    world-atlas keeps Natural Earth's spherical topology: a ring that crosses the antimeridian
    jumps from +180 to -180, which a flat map draws as a line across the whole world.
    """
    # A ring lying on a pole is the spherical cap of a polar polygon; closing the coastline
    # along the pole (below) replaces it.
    rings = [r for r in polygon if not all(abs(abs(y) - 90) < 0.01 for _, y in r)]
    if not rings:
        return []
    exterior, holes = rings[0], rings[1:]
    if any(_crosses(h) for h in holes):
        raise RefreshError("a hole crosses the antimeridian: not handled")
    if _is_polar(exterior):
        return [[_close_around_pole(exterior), *holes]]
    if not _crosses(exterior):
        return [[exterior, *holes]]
    if holes:
        raise RefreshError("antimeridian-crossing polygon with holes is not handled")
    unwrapped = _unwrap(exterior)
    low, high = min(x for x, _ in unwrapped), max(x for x, _ in unwrapped)
    edge = 180.0 if high > 180 else -180.0
    if low < -180 and high > 180:
        raise RefreshError("ring spans more than 360 degrees of longitude")
    inner = _clip(unwrapped, edge, keep_west=edge > 0)
    outer = _clip(unwrapped, edge, keep_west=edge < 0)
    shift = -360.0 if edge > 0 else 360.0
    outer = _closed([[x + shift, y] for x, y in outer])
    return [[piece] for piece in (inner, outer) if len(piece) >= 4]


def polygons_from_arcs(
    rings: list[list[int]], arcs: list[list[tuple[float, float]]]
) -> list[list[list[list[float]]]]:
    spherical = [ring_from_arcs(indexes, arcs) for indexes in rings]
    polygons = []
    for polygon in _split_antimeridian(spherical):
        kept = []
        for i, ring in enumerate(polygon):
            if len(ring) < 4 or signed_area(ring) == 0:
                continue  # collapsed by rounding: too small to draw at this precision
            # RFC 7946: exterior rings counterclockwise, holes clockwise (world-atlas uses
            # the opposite, d3's spherical convention).
            if (signed_area(ring) > 0) != (i == 0):
                ring.reverse()
            kept.append(ring)
        if kept:
            polygons.append(kept)
    return polygons


def topojson_to_geojson(topology: dict, object_name: str) -> dict:
    arcs = decode_arcs(topology)
    features = []
    for geom in topology["objects"][object_name]["geometries"]:
        if geom["type"] == "Polygon":
            polygons = polygons_from_arcs(geom["arcs"], arcs)
        elif geom["type"] == "MultiPolygon":
            polygons = [q for p in geom["arcs"] for q in polygons_from_arcs(p, arcs)]
        elif geom["type"] is None:
            continue
        else:
            raise RefreshError(f"unexpected geometry type {geom['type']!r} in {object_name}")
        if not polygons:
            continue
        geometry = (
            {"type": "Polygon", "coordinates": polygons[0]}
            if len(polygons) == 1
            else {"type": "MultiPolygon", "coordinates": polygons}
        )
        feature: dict = {"type": "Feature"}
        if "id" in geom:
            feature["id"] = geom["id"]
        feature["properties"] = {"name": geom.get("properties", {}).get("name", "")}
        feature["geometry"] = geometry
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


# --- assembly --------------------------------------------------------------------------------


def check_css(out_dir: Path, written: set[str]) -> None:
    """Each vendored stylesheet may only load files that are vendored next to it."""
    for rel in sorted(written):
        if not rel.endswith(".css"):
            continue
        css = (out_dir / rel).read_text(encoding="utf-8")
        for ref in css_references(css):
            if ref.startswith(("data:", "#")):
                continue
            if re.match(r"^([a-z][a-z0-9+.-]*:|//)", ref, re.IGNORECASE):
                raise RefreshError(f"{rel} loads a remote URL: {ref}")
            if ref.startswith("/"):
                raise RefreshError(f"{rel} uses a site-absolute URL: {ref}")
            target = posixpath.normpath(
                posixpath.join(posixpath.dirname(rel), re.split(r"[?#]", ref)[0])
            )
            if target not in written:
                raise RefreshError(f"{rel} references {ref}, which is not vendored ({target})")


def build(out_dir: Path, download_dir: Path) -> dict:
    written: set[str] = set()
    packages = []

    def put(rel: str, data: bytes) -> None:
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.add(rel)

    for vendor_name, (package, version) in PINNED.items():
        selection = SELECTIONS[vendor_name]
        if package.startswith("pypi:"):
            package = package.removeprefix("pypi:")
            archive_path, provenance = pypi_sdist(package, version, download_dir)
            source = f"PyPI sdist {package}=={version}"
            license_name = "MIT"
        else:
            archive_path, provenance = npm_pack(package, version, download_dir)
            source = f"npm {package}@{version}"
            license_name = ""
        print(f"  {source}")
        archive = Archive(archive_path)
        if not license_name:
            license_name = json.loads(archive.read("package.json")).get("license", "")

        for src, dest in selection.files:
            put(f"{vendor_name}/{dest}", archive.read(src))
        for src_folder, dest_folder in selection.folders:
            for src in archive.folder(src_folder):
                put(f"{vendor_name}/{dest_folder}/{posixpath.basename(src)}", archive.read(src))

        if vendor_name == "bootstrap-3-glyphicons":
            put(f"{vendor_name}/css/bootstrap-glyphicons.css", extract_glyphicons(archive))
        if vendor_name == "leaflet-side-by-side":
            put(f"{vendor_name}/leaflet-side-by-side.js", browser_side_by_side(archive, version))
        if vendor_name == "world-atlas":
            for scale in ("50m", "110m"):
                topology = json.loads(archive.read(f"countries-{scale}.json"))
                geojson = topojson_to_geojson(topology, "countries")
                put(
                    f"{vendor_name}/countries-{scale}.geojson",
                    json.dumps(geojson, separators=(",", ":")).encode("utf-8"),
                )

        if selection.license_file:
            license_rel = f"{vendor_name}/{posixpath.basename(selection.license_file)}"
            put(license_rel, archive.read(selection.license_file))
        elif vendor_name == "leaflet-draw":
            license_rel = f"{vendor_name}/LICENSE"
            put(license_rel, write_leaflet_draw_license(archive))
        else:
            raise RefreshError(f"{vendor_name}: no licence file configured")

        files = sorted(r for r in written if r.startswith(f"{vendor_name}/"))
        entry = {
            "package": package,
            "version": version,
            "vendor_dir": vendor_name,
            "source": source,
            "license": license_name,
            "license_file": license_rel,
            **provenance,
            "files": {r: sha256_bytes((out_dir / r).read_bytes()) for r in files},
        }
        if selection.note:
            entry["note"] = selection.note
        packages.append(entry)

    check_css(out_dir, written)
    return {
        "generated_by": "scripts/refresh_assets.py",
        "url_prefix": "/app/static/vendor",
        "packages": packages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=VENDOR_DIR, help="target folder (default: static/vendor)"
    )
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()

    if shutil.which("npm") is None:
        print("npm is not on PATH", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="refresh_assets_") as tmp:
        staging = Path(tmp) / "vendor"
        downloads = Path(tmp) / "downloads"
        downloads.mkdir()
        print("Fetching pinned packages:")
        try:
            manifest = build(staging, downloads)
        except RefreshError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8"
        )
        # Build fully in a temporary folder first so a failed run leaves the old copy intact,
        # and swap whole so files dropped from a selection do not linger.
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, out)

    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    count = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"Wrote {count} files, {total / 1e6:.2f} MB, to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
