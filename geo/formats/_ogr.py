"""GPX, GeoPackage, zipped shapefile and FlatGeobuf uploads, read by GDAL in a child process.

GDAL (through pyogrio) parses these formats in native code, and the bytes are
untrusted: it runs in a child process (`geo.formats._ogr_worker`) that limits its own
memory, CPU time and file writes, under a wall-clock timeout. A crash, a memory-limit
kill or a timeout of the child is a `DataError` ("GDAL could not read this file: ..."),
never a hang or a traceback here.

Before GDAL sees a file, its first bytes must be those of the format it is named as
(a GeoPackage's SQLite header and application id, FlatGeobuf's magic, a GPX root
element, a .shp inside the zip), so GDAL cannot be steered to another of its drivers
(a VRT that reads local files, say); the child checks the driver GDAL chose, too. A
zip is unpacked here, within the limits (`geo.formats.archive`), and only the files of
a shapefile are written out.

The child answers GeoJSON features in WGS84 longitude/latitude (a layer in another
CRS converted, with a warning; a layer without one read only when its coordinates are
plainly longitude/latitude), which go through the same checks as a GeoJSON upload
(`geo.formats._geojson.read_features`): every limit, geometry check and derivation of
name and date applies.
"""

from __future__ import annotations

import io
import json
import math
import re
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from geo.escape import shorten
from geo.formats._geojson import read_features
from geo.formats.archive import ZIP_ERRORS, open_zip, unpack
from geo.formats.limits import check_json_shape
from geo.formats.reader import Format, Reader, Upload
from geo.formats.registry import FLATGEOBUF, GEOPACKAGE, GPX, SHAPEFILE, FileFormat
from geo.formats.sniff import decode_upload
from geo.geojson import features_of, parse_json_text

WORKER = Path(__file__).with_name("_ogr_worker.py")
GDAL_FAILED = "GDAL could not read this file"
# The property that says which layer of a file of several a record came from.
SOURCE_LAYER_KEY = "source_layer"

_DRIVERS = {
    GPX.key: "GPX",
    GEOPACKAGE.key: "GPKG",
    SHAPEFILE.key: "ESRI Shapefile",
    FLATGEOBUF.key: "FlatGeobuf",
}
_FORMATS: dict[str, Format] = {
    GPX.key: "gpx",
    GEOPACKAGE.key: "gpkg",
    SHAPEFILE.key: "shapefile",
    FLATGEOBUF.key: "fgb",
}
_SQLITE = b"SQLite format 3\x00"
_GEOPACKAGE_IDS = (b"GPKG", b"GP10", b"GP11")  # application_id, at byte 68
_FLATGEOBUF = b"fgb\x03"
# The files of one shapefile that GDAL reads; the rest of a zip is not written out.
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")


def is_kmz(data: bytes) -> bool:
    """Whether a zip archive holds a KML and no shapefile: a KMZ named .zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [info.filename.lower() for info in archive.infolist()]
    except ZIP_ERRORS:
        return False
    return any(name.endswith(".kml") for name in names) and not any(
        name.endswith(".shp") for name in names
    )


def read_with_gdal(data: bytes, fmt: FileFormat, reader: Reader) -> Upload:
    """Every record of a GPX, GeoPackage, zipped shapefile or FlatGeobuf upload."""
    with tempfile.TemporaryDirectory(prefix="geo-ogr-") as folder:
        paths = _written(data, fmt, reader, Path(folder))
        answer = _run_worker(paths, _DRIVERS[fmt.key], reader, Path(folder))
    reader.check_time()
    return _read_answer(answer, fmt, reader)


# -- the file, checked and written where only the child reads it


def _written(data: bytes, fmt: FileFormat, reader: Reader, folder: Path) -> list[Path]:
    if fmt is SHAPEFILE:
        return _unzipped_shapefiles(data, reader, folder)
    if fmt is GPX:
        _check_gpx(data, reader)
    elif fmt is GEOPACKAGE:
        if not data.startswith(_SQLITE):
            _refuse_magic(data, fmt, reader)
        if data[68:72] not in _GEOPACKAGE_IDS:
            reader.refuse(
                "an SQLite database, but not a GeoPackage (it lacks the GeoPackage "
                "application id): export the layer as GeoPackage or GeoJSON"
            )
    elif fmt is FLATGEOBUF and not data.startswith(_FLATGEOBUF):
        _refuse_magic(data, fmt, reader)
    path = folder / f"upload{fmt.extensions[0]}"
    path.write_bytes(data)
    return [path]


def _refuse_magic(data: bytes, fmt: FileFormat, reader: Reader) -> None:
    # decode_upload names what the bytes are (an image, another archive, text...).
    decode_upload(data[:65536], file=reader.file, expected=fmt.described)
    reader.refuse(f"this is text, not {fmt.described}")


def _check_gpx(data: bytes, reader: Reader) -> None:
    head = decode_upload(data[:65536], file=reader.file, expected=GPX.described)
    before_root = head.split("<gpx", 1)[0]
    if re.search(r"<!(DOCTYPE|ENTITY)", before_root, re.IGNORECASE):
        reader.refuse(
            "the XML has a DOCTYPE (a document type definition), which GPX never needs; "
            "refused: entities can expand without bound (billion laughs) or read files (XXE)"
        )
    body = re.sub(r"<\?.*?\?>|<!--.*?-->", "", head, flags=re.DOTALL)
    root = _ROOT.search(body)
    if root is None or root.group(1).rsplit(":", 1)[-1] != "gpx":
        found = f"<{root.group(1)}>" if root else "no XML element"
        reader.refuse(f"not a GPX document: it starts with {shorten(found, 60)}, not <gpx>")
    decode_upload(data, file=reader.file, expected=GPX.described)  # all of it is UTF-8 text


def _shp_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [
        info
        for info in archive.infolist()
        if info.filename.lower().endswith(".shp") and not info.filename.startswith("__MACOSX/")
    ]


def _unzipped_shapefiles(data: bytes, reader: Reader, folder: Path) -> list[Path]:
    """Each shapefile's parts, unpacked under names of our own (no path from the zip is
    used), within `Limits.max_bytes` for all of them together."""
    budget = reader.limits.max_bytes
    paths = []
    with open_zip(data, reader, "a zipped shapefile is a zip holding a .shp") as archive:
        shps = _shp_members(archive)
        if not shps:
            names = [info.filename for info in archive.infolist()][:10]
            listed = ", ".join(repr(name) for name in names) or "nothing"
            reader.refuse(f"no .shp file inside the zip (it holds {listed})")
        members = {info.filename.lower(): info for info in archive.infolist()}
        for number, shp in enumerate(shps, start=1):
            stem = shp.filename[:-4].lower()
            name = PurePosixPath(shp.filename).stem
            # Named after the layer in the zip: GDAL gives the file's name as the layer's.
            safe = re.sub(r"[^\w-]", "_", name)[:60] or "layer"
            for part in _SHAPEFILE_PARTS:
                member = members.get(stem + part)
                if member is None:
                    continue
                content = unpack(
                    archive,
                    member,
                    reader,
                    budget=budget,
                    inside="the zip",
                    budget_of="for all the files in a zip",
                )
                budget -= len(content)
                target = folder / str(number)
                target.mkdir(exist_ok=True)
                (target / f"{safe}{part}").write_bytes(content)
            paths.append(folder / str(number) / f"{safe}.shp")
    return paths


# -- the child


def _run_worker(paths: list[Path], driver: str, reader: Reader, folder: Path) -> dict[str, Any]:
    limits = reader.limits
    out = folder / "answer.json"
    # The answer is GeoJSON text of at most the coordinate limit's positions, and of the
    # properties of a file no bigger than the size limit.
    output_bytes = 4 * limits.max_bytes + 64 * limits.max_coordinates
    request = {
        "paths": [str(path) for path in paths],
        "driver": driver,
        "out": str(out),
        "max_features": limits.max_features,
        "max_coordinates": limits.max_coordinates,
        "max_vertices": limits.max_vertices_per_geometry,
        "memory": limits.max_gdal_memory,
        "cpu_seconds": math.ceil(limits.max_seconds) + 1,
        "output_bytes": output_bytes,
    }
    request_path = folder / "request.json"
    request_path.write_text(json.dumps(request), encoding="utf-8")
    environment = {
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        # One thread each: the limits are per process, and the machine is shared.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "GDAL_NUM_THREADS": "1",
        "PROJ_NETWORK": "OFF",
        "GDAL_HTTP_TIMEOUT": "1",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-I", str(WORKER), str(request_path)],
            cwd=folder,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=limits.max_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        reader.refuse(
            f"{GDAL_FAILED}: reading it took longer than the {limits.max_seconds:g}-second "
            "limit: split it into smaller files or simplify its geometries"
        )
    if done.returncode != 0:
        reader.refuse(
            f"{GDAL_FAILED}: {_failure(done.returncode, done.stderr, limits.max_gdal_memory)}"
        )
    if not out.exists() or out.stat().st_size > output_bytes:
        reader.refuse(f"{GDAL_FAILED}: its reader gave no answer")
    text = out.read_text(encoding="utf-8")
    check_json_shape(text, file=reader.file, limits=reader.limits)
    answer = parse_json_text(text, file=reader.file)
    if not isinstance(answer, dict):
        reader.refuse(f"{GDAL_FAILED}: its reader gave no answer")
    return answer


def _failure(code: int, stderr: bytes, memory: int) -> str:
    """What a child that did not finish met, in words."""
    if code < 0:
        number = -code
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else ""
        if number == signal.SIGXCPU:
            return "reading it used more CPU time than the limit"
        if number == signal.SIGXFSZ:
            return "what it read was larger than the limit"
        if number == signal.SIGKILL:
            return f"its reader was stopped (out of memory? the limit is {memory:,} bytes)"
        return f"GDAL crashed on it ({name or f'signal {number}'}): the file is damaged or hostile"
    said = stderr.decode("utf-8", "replace").strip().splitlines()
    last = shorten(said[-1], 200) if said else "no message"
    if "MemoryError" in last or "std::bad_alloc" in last:
        return f"reading it needs more memory than the {memory:,}-byte limit"
    return f"its reader failed ({last})"


# -- the answer, through the GeoJSON reader's checks


def _read_answer(answer: dict[str, Any], fmt: FileFormat, reader: Reader) -> Upload:
    limits = reader.limits
    if "refused" in answer:
        reader.refuse(f"{GDAL_FAILED}: {shorten(str(answer['refused']), 500)}")
    over, count = answer.get("over"), answer.get("count")
    if isinstance(count, int):
        if over == "features":
            reader.refuse(f"more than {limits.max_features:,} features, the limit: split the file")
        if over == "coordinates":
            reader.add_coordinates(limits.max_coordinates + 1)
        if over == "vertices":
            record = answer.get("record")
            where = record if isinstance(record, str) else "?"
            reader.check_vertices(count, "a geometry", record=where, field="geometry")
    layers = answer.get("layers")
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        reader.refuse(f"{GDAL_FAILED}: its reader gave no answer")
    for note in answer.get("notes") or []:
        reader.note(str(note))
    features: list[Any] = []
    for layer in layers:
        found = layer.get("features")
        if not isinstance(found, list):
            continue
        if len(layers) > 1:
            for feature in found:
                if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
                    feature["properties"].setdefault(SOURCE_LAYER_KEY, layer.get("name"))
        features.extend(found)
    reader.check_feature_count(len(features))
    collection = {"type": "FeatureCollection", "features": features}
    return read_features(features_of(collection, file=reader.file), reader, fmt=_FORMATS[fmt.key])
