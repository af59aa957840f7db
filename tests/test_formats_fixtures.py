"""Real files from a public test suite: pyogrio's own test fixtures, installed with it.

`naturalearth_lowres` is Natural Earth's 1:110m countries (public domain), as GeoPandas
and pyogrio ship it; the GeoPackages are pyogrio's, written by GDAL (MIT; see
pyogrio/tests/fixtures/README.md in the installed package). A GIS user expects each to
load; Natural Earth has the two things that refused it whole: Sudan, valid, made
invalid by rounding each coordinate to 7 decimals, and Antarctica, whose outline runs
along the antimeridian from -179.99999999999994 to 180.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyogrio
import pytest
import shapely
import shapely.geometry
from shapely.geometry import shape

from geo.formats import read_upload
from geo.formats.reader import ORIGINAL_GEOMETRY_KEY, SNAPPED
from geo.geojson import crosses_antimeridian, normalise_geometry, snapped_to_grid

FIXTURES = Path(pyogrio.__file__).parent / "tests" / "fixtures"
pytestmark = pytest.mark.skipif(
    not (FIXTURES / "naturalearth_lowres").is_dir(), reason="pyogrio's test fixtures not installed"
)


def natural_earth_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((FIXTURES / "naturalearth_lowres").iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


def test_natural_earth_countries_load_whole() -> None:
    upload = read_upload("naturalearth_lowres.zip", natural_earth_zip(), layer="countries")
    names = [record.name for record in upload.records]
    assert len(names) == 177 and {"Sudan", "Antarctica", "Fiji"} <= set(names)
    assert all(shape(record.geometry).is_valid for record in upload.records)
    # Sudan put on the 7-decimal grid by snap rounding, said so, the original kept
    sudan = next(record for record in upload.records if record.name == "Sudan")
    assert ORIGINAL_GEOMETRY_KEY in sudan.properties
    assert any(warning.startswith(SNAPPED) for warning in upload.warnings)
    # Antarctica as it came: along the antimeridian, not across it, so not cut
    antarctica = next(record for record in upload.records if record.name == "Antarctica")
    assert ORIGINAL_GEOMETRY_KEY not in antarctica.properties
    assert shape(antarctica.geometry).bounds[::2] == pytest.approx((-180, 180))


@pytest.mark.parametrize(
    "name", ["test_gpkg_nulls.gpkg", "line_zm.gpkg", "curve.gpkg", "curvepolygon.gpkg"]
)
def test_pyogrio_geopackages_load(name: str) -> None:
    upload = read_upload(name, (FIXTURES / name).read_bytes(), layer="fixture")
    assert upload.records and all(shape(r.geometry).is_valid for r in upload.records)


def test_an_edge_along_the_antimeridian_is_no_crossing() -> None:
    ring = [[-179.99999999999994, -90], [180, -90], [180, -80], [-179.99999999999994, -80]]
    along = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    assert not crosses_antimeridian(along)
    across = {"type": "LineString", "coordinates": [[179.5, 0], [-179.5, 1]]}
    assert crosses_antimeridian(across)


def test_snap_rounding_keeps_a_valid_polygon_valid() -> None:
    table = pyogrio.read_dataframe(FIXTURES / "naturalearth_lowres" / "naturalearth_lowres.shp")
    sudan = dict(shapely.geometry.mapping(table[table["name"] == "Sudan"].geometry.iloc[0]))
    assert shape(sudan).is_valid
    assert not shape(normalise_geometry(sudan)).is_valid  # each coordinate rounded: invalid
    snapped = snapped_to_grid(sudan)
    assert snapped is not None and snapped["type"] == sudan["type"]
    assert shape(snapped).is_valid
    assert snapped == normalise_geometry(snapped)  # on the 7-decimal grid already
    # what moved: a sliver where the outline nearly touches itself, a billionth of it
    moved = shape(snapped).symmetric_difference(shape(sudan)).area
    assert moved < 1e-8 * shape(sudan).area
