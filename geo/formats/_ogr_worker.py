"""The child process that lets GDAL (through pyogrio) read one untrusted file.

Run as a script, never imported by the app: ``python -I _ogr_worker.py request.json``.
It first limits its own memory (address space), CPU time and file writes, so that
whatever GDAL does with hostile bytes (crash, runaway loop, huge allocation) ends this
process only. It imports nothing from the explorer: the parent (`geo.formats._ogr`)
checks every feature it writes through the same `Reader` as a GeoJSON upload.

The request (JSON) names the files to read (one per layer group, with the GDAL driver
that must read them) and the limits; the answer (JSON, written to ``out``) is either
``{"layers": [{"name", "features", "crs", ...}], "notes": [...]}`` with each feature a
GeoJSON Feature in WGS84 longitude/latitude, or ``{"over": what, "count": n}`` when a
limit was passed (the parent words it), or ``{"refused": message}``.
"""

from __future__ import annotations

import json
import math
import resource
import sys
from typing import Any

# GPX: the driver's layers that repeat what the routes and tracks already hold.
_GPX_POINT_LAYERS = ("route_points", "track_points")


def _limit_self(memory: int, cpu_seconds: int, output_bytes: int) -> None:
    for which, value in (
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_FSIZE, output_bytes),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))


class _Over(Exception):
    def __init__(self, what: str, count: int, record: str | None = None) -> None:
        super().__init__(what)
        self.what, self.count, self.record = what, count, record


class _Refused(Exception):
    pass


def _plain(value: Any, integer: bool) -> Any:
    """A field value as JSON carries it: NaN (GDAL's null number) as null, and a whole
    number of an integer field (read as a float when the column has nulls) as an int."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if integer and value.is_integer():
            return int(value)
    return value


def _to_wgs84(geometries: Any, crs: str | None, layer: str, notes: list[str]) -> Any:
    import numpy as np
    import pyproj
    import shapely

    present = geometries[~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)]
    if crs is None:
        if len(present) == 0:
            return geometries
        west, south, east, north = shapely.total_bounds(present)
        if -180 <= west <= east <= 180 and -90 <= south <= north <= 90:
            notes.append(
                f"layer {layer!r} names no coordinate reference system: read as WGS84 "
                "longitude/latitude, since every coordinate lies within ±180/±90"
            )
            return geometries
        raise _Refused(
            f"layer {layer!r} names no coordinate reference system and its coordinates "
            f"(x {west:g} to {east:g}, y {south:g} to {north:g}) are not longitude/latitude: "
            "save it with its CRS (for a shapefile, the .prj file in the zip)"
        )
    source = pyproj.CRS.from_user_input(crs)
    wgs84 = pyproj.CRS.from_epsg(4326)
    if source.equals(wgs84, ignore_axis_order=True) or source.equals(
        pyproj.CRS.from_user_input("OGC:CRS84")
    ):
        return geometries
    transformer = pyproj.Transformer.from_crs(source, wgs84, always_xy=True)

    def project(xy: Any) -> Any:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    moved = shapely.transform(geometries, project)
    coordinates = shapely.get_coordinates(moved)
    if not np.isfinite(coordinates).all():
        raise _Refused(
            f"layer {layer!r}: some coordinates lie outside the area where {source.name} "
            "can be converted to longitude/latitude"
        )
    name = f"{source.name} ({source.to_string()})" if source.to_epsg() else source.name
    notes.append(f"layer {layer!r} was converted from {name} to WGS84 longitude/latitude")
    return moved


def _gpx_track_times(path: str, max_points: int) -> dict[int, tuple[str, str]]:
    """Each GPX track's first and last time as written (by track fid), in file order."""
    from pyogrio.raw import read

    _, _, _, (track_fids, times) = read(
        path,
        layer="track_points",
        columns=["track_fid", "time"],
        read_geometry=False,
        datetime_as_string=True,
        max_features=max_points + 1,
    )
    if len(times) > max_points:
        raise _Over("coordinates", len(times))
    spans: dict[int, tuple[str, str]] = {}
    for fid, time in zip(track_fids.tolist(), times.tolist(), strict=True):
        if isinstance(time, str):
            first = spans[fid][0] if fid in spans else time
            spans[fid] = (first, time)
    return spans


def _layer_features(
    path: str, layer: str, driver: str, budget: dict[str, int], notes: list[str]
) -> list[dict[str, Any]]:
    import pyogrio
    import shapely
    from pyogrio.raw import read

    meta, _, wkb, columns = read(
        path, layer=layer, datetime_as_string=True, max_features=budget["features"] + 1
    )
    count = len(columns[0]) if columns else (0 if wkb is None else len(wkb))
    if count > budget["features"]:
        raise _Over("features", budget["features_limit"] + 1)
    stated = int(pyogrio.read_info(path, layer=layer)["features"])  # -1: not stated
    if count < stated:
        raise _Refused(
            f"layer {layer!r} is cut short: it says it holds {stated:,} features, and "
            f"{count:,} could be read"
        )
    budget["features"] -= count
    if wkb is None:
        notes.append(f"layer {layer!r} has no geometry column and was left out")
        return []
    try:
        geometries = shapely.from_wkb(wkb)
    except shapely.errors.GEOSException as exc:
        raise _Refused(
            f"layer {layer!r} holds a geometry that cannot be read ({exc}); curved geometries "
            "(arcs) are not supported: convert them to lines (ogr2ogr -nlt CONVERT_TO_LINEAR)"
        ) from exc
    vertices = shapely.get_num_coordinates(geometries)
    if len(vertices):
        most = int(vertices.argmax())
        if int(vertices[most]) > budget["vertices"]:
            number = budget["features_limit"] - budget["features"] - count + most + 1
            raise _Over("vertices", int(vertices[most]), f"#{number}")
        budget["coordinates"] -= int(vertices.sum())
        if budget["coordinates"] < 0:
            raise _Over("coordinates", budget["coordinates_limit"] - budget["coordinates"])
    geometries = _to_wgs84(geometries, meta["crs"], layer, notes)
    names = [str(name) for name in meta["fields"]]
    binary = [name for name, kind in zip(names, meta["ogr_types"], strict=True) if "Binary" in kind]
    if binary:
        notes.append(f"layer {layer!r}: binary fields left out ({', '.join(binary)})")
    values = [column.tolist() for column in columns]
    integers = {
        name for name, kind in zip(names, meta["ogr_types"], strict=True) if "Integer" in kind
    }
    spans = _gpx_track_times(path, budget["coordinates_limit"]) if layer == "tracks" else {}
    features = []
    for index, geometry in enumerate(geometries):
        properties = {
            name: _plain(column[index], name in integers)
            for name, column in zip(names, values, strict=True)
            if name not in binary
        }
        if driver == "GPX":
            # The driver lists every GPX element as a field; an absent one is not a value.
            properties = {key: value for key, value in properties.items() if value is not None}
            if index in spans:
                properties["start"], properties["end"] = spans[index]
        shape = None if geometry is None else json.loads(shapely.to_geojson(geometry))
        features.append({"type": "Feature", "geometry": shape, "properties": properties})
    return features


def read_all(request: dict[str, Any]) -> dict[str, Any]:
    import pyogrio

    notes: list[str] = []
    budget = {
        "features": request["max_features"],
        "features_limit": request["max_features"],
        "coordinates": request["max_coordinates"],
        "coordinates_limit": request["max_coordinates"],
        "vertices": request["max_vertices"],
    }
    layers = []
    for path in request["paths"]:
        found = [str(name) for name, _ in pyogrio.list_layers(path).tolist()]
        if not found:
            raise _Refused("it holds no layer GDAL can find (is it damaged, or cut short?)")
        driver = pyogrio.read_info(path, layer=found[0])["driver"]
        if driver != request["driver"]:
            raise _Refused(f"GDAL read it as {driver}, not {request['driver']}")
        for name in found:
            if request["driver"] == "GPX" and name in _GPX_POINT_LAYERS:
                continue
            features = _layer_features(path, name, request["driver"], budget, notes)
            if features:
                layers.append({"name": name, "features": features})
    return {"layers": layers, "notes": notes}


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as file:
        request = json.load(file)
    _limit_self(request["memory"], request["cpu_seconds"], request["output_bytes"])
    try:
        answer = read_all(request)
    except _Over as over:
        answer = {"over": over.what, "count": over.count, "record": over.record}
    except _Refused as refused:
        answer = {"refused": str(refused)}
    except MemoryError:
        answer = {"refused": f"reading it needs more than the {request['memory']:,}-byte limit"}
    except Exception as exc:  # GDAL's own errors (DataSourceError, ...) say what it met
        answer = {"refused": f"{type(exc).__name__}: {exc}"}
    with open(request["out"], "w", encoding="utf-8") as file:
        json.dump(answer, file, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
