"""What every writer shares: records checked so that they read back the same."""

from __future__ import annotations

from typing import Any

from geo.errors import DataError, Problem
from geo.formats.limits import value_problems
from geo.geojson import (
    geometry_problems,
    normalise_geometry,
)
from geo.records import LayerRecord, field_problems


def prepared(records: list[LayerRecord], *, what: str) -> list[tuple[LayerRecord, dict[str, Any]]]:
    """Each record with its normalised geometry, or a `DataError` naming every record that
    cannot be written so that it reads back the same (text that is not text, NaN, ...)."""
    problems: list[Problem] = []
    result = []
    for index, record in enumerate(records, start=1):
        where = f"#{index} ({record.id})"[:200]
        fields = {
            "id": record.id,
            "layer": record.layer,
            "name": record.name,
            "date": record.date,
            "date_as_stated": record.date_as_stated,
        }
        for path, message in value_problems(fields, ""):
            problems.append(Problem(message, file=what, record=where, field=path))
        for path, message in value_problems(record.properties, "properties"):
            problems.append(Problem(message, file=what, record=where, field=path))
        for name in ("kind", "date"):
            problems += [
                Problem(message, file=what, record=where, field=name)
                for message in field_problems(name, getattr(record, name))
            ]
        found = geometry_problems(record.geometry)
        if found:
            problems.append(Problem(found[0], file=what, record=where, field="geometry"))
            continue
        result.append((record, normalise_geometry(record.geometry)))
    if problems:
        raise DataError(problems)
    return result
