"""The case's data model: typed records, validated at the boundary.

Sources and claims are few and kept as pydantic objects. Spatial records
(places, imagery, features, events) can number tens of thousands: they are
validated here, then held as one pandas frame with a column per field
(see `geo.case`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from geo.dates import parse_date
from geo.records import Kind

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
KIND_COLOURS = {
    Kind.PLACE: "#0072B2",
    Kind.IMAGERY: "#E69F00",
    Kind.FEATURE: "#D55E00",
    Kind.EVENT: "#CC79A7",
}

KIND_FILES = {
    Kind.PLACE: "places.geojson",
    Kind.IMAGERY: "imagery.geojson",
    Kind.FEATURE: "features.geojson",
    Kind.EVENT: "events.geojson",
}


class Confidence(StrEnum):
    """How sure the *source* is; the tool never upgrades it."""

    CONFIRMED = "confirmed"
    ASSERTED = "asserted"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    UNVERIFIED = "unverified"


class ClaimStatus(StrEnum):
    ASSERTED = "asserted"
    CONTESTED = "contested"
    RETRACTED = "retracted"


class _Strict(BaseModel):
    # strict: "1" stays a string and is refused where a number is expected.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _check_edtf(value: str | None) -> str | None:
    if value is not None:
        parse_date(value)  # raises DateError (a ValueError) with the accepted forms
    return value


class SourceRef(_Strict):
    """A record's pointer to a source, with the words that support it."""

    id: str = Field(min_length=1)
    quote: str | None = None


class Source(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    publisher: str | None = None
    date: str | None = None
    date_as_stated: str | None = None
    url: str | None = None
    text_file: str | None = None
    note: str | None = None

    _date = field_validator("date")(_check_edtf)


class Contestation(_Strict):
    claimant: str = Field(min_length=1)
    statement: str = Field(min_length=1)
    date: str | None = None
    date_as_stated: str | None = None
    sources: list[SourceRef] = Field(min_length=1)

    _date = field_validator("date")(_check_edtf)


class Claim(_Strict):
    id: str = Field(min_length=1)
    statement: str = Field(min_length=1)
    claimant: str = Field(min_length=1)
    claimant_person: str | None = None
    date: str | None = None
    date_as_stated: str | None = None
    # Enums come in as their text values from YAML/JSON: match on value, strictly.
    confidence: Confidence = Field(strict=False)
    status: ClaimStatus = Field(strict=False)
    sources: list[SourceRef] = Field(min_length=1)
    contested_by: list[Contestation] = Field(default_factory=list)

    _date = field_validator("date")(_check_edtf)


class StatedDistance(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=True)

    from_place: str = Field(alias="from")
    to_place: str = Field(alias="to")
    as_stated: str
    kind: str
    value_km: float | None = None
    sources: list[SourceRef] = Field(min_length=1)


class CaseMeta(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    summary: str | None = None
    sources: list[Source] = Field(min_length=1)
    claims: list[Claim] = Field(default_factory=list)
    stated_distances: list[StatedDistance] = Field(default_factory=list)


class RecordProperties(BaseModel):
    """Fields every spatial record has. Other properties are kept verbatim."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    sources: list[SourceRef] = Field(min_length=1)
    claim: str | None = None
    uncertainty_m: float = Field(gt=0, allow_inf_nan=False)
    position_basis: str = Field(min_length=1)
    confidence: Confidence | None = Field(default=None, strict=False)
    confidence_as_stated: str | None = None
    date: str | None = None
    date_as_stated: str | None = None

    _date = field_validator("date")(_check_edtf)

    @field_validator("uncertainty_m", mode="before")
    @classmethod
    def _int_is_a_number(cls, value: Any) -> Any:
        # strict mode refuses int for float; 700 is a fine radius.
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:  # JSON's integers have no limit; floats have
                raise ValueError(f"a number of {len(str(value))} digits is too large") from None
        return value


class DatedRecordProperties(RecordProperties):
    date: str
    date_as_stated: str


def properties_model(kind: Kind) -> type[RecordProperties]:
    return RecordProperties if kind is Kind.PLACE else DatedRecordProperties
