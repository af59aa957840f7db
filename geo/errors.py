"""One error hierarchy for the library: the UI and the CLI catch `GeoError` once.

Every error says *where* the problem is (file, record, field) so a researcher can
fix the data without reading a traceback.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from geo.escape import isolated

# Problem codes: what a caller may act on without reading the message.
REPAIRABLE = "repairable"  # an invalid geometry that shapely's make_valid can repair
# A picture with no place on Earth (no transform, no GCPs): offer the georeferencing tool.
NOT_GEOREFERENCED = "not_georeferenced"
# A picture placed by a transform (often a world file's) but in no stated coordinate
# system: ask which one (geo.imagery.write_upload records the answer next to it).
NO_CRS = "no_crs"
# A table whose latitude and longitude columns could not be told from their names:
# offer the researcher its columns to choose from.
NO_COORDINATE_COLUMNS = "no_coordinate_columns"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where it is."""

    message: str
    file: str | None = None
    record: str | None = None
    field: str | None = None
    code: str | None = None  # one of the codes above, when a caller can act on it
    # The record's name as the file gives it (a GeoJSON "name", a KML <name>), beside its
    # position in `record`: "#5" alone does not say which of a file's places it is.
    # Text from the file: shown as text, quoted, never as markup.
    name: str | None = None

    def __str__(self) -> str:
        record = None
        if self.record is not None:
            named = f' "{isolated(self.name)}"' if self.name else ""
            record = f"record {self.record}{named}"
        where = [
            part
            for part in (
                self.file,
                record,
                f"field {self.field}" if self.field is not None else None,
            )
            if part
        ]
        return f"{': '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class SkippedRecord:
    """A record of a file left out of its import at the researcher's explicit choice,
    and why: kept in the import's history entry, so what was imported is on record."""

    record: str  # its position in the file, "#5", counted from 1
    name: str | None  # its name as the file gives it, if it has one
    reasons: tuple[str, ...]  # what is wrong with it, in the words of the refusal

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.record, "name": self.name, "reasons": list(self.reasons)}

    def __str__(self) -> str:
        return str(Problem("; ".join(self.reasons), record=self.record, name=self.name))


class GeoError(Exception):
    """Root of every error this library raises on purpose."""


class DataError(GeoError, ValueError):
    """Input data is malformed or invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.summary())

    def summary(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found"
        return head + ":\n" + "\n".join(f"- {p}" for p in self.problems)


class DateError(DataError):
    """A date string is not one of the accepted forms."""


# -- the online place search (geo.geocode) ----------------------------------------------
# Each names the host it asked and, when there was one, the HTTP status of the answer.


class GeocodingError(GeoError):
    """The online search failed or is misconfigured; the message is meant for the user."""

    def __init__(self, message: str, *, host: str | None = None, status: int | None = None):
        super().__init__(message)
        self.host = host
        self.status = status


class GeocodingConfigError(GeocodingError, ValueError):
    """The online search is configured wrongly: refused when the config or geocoder is built."""


class GeocodingUnavailable(GeocodingError):
    """The service could not be reached, or answered that it is down or overloaded."""


class GeocodingTimedOut(GeocodingUnavailable):
    """No answer in time (a kind of unavailability: the remedy is the same)."""


class GeocodingRefused(GeocodingError):
    """The service refused this application (HTTP 401/403/407): retrying will not help."""


class GeocodingQuotaExceeded(GeocodingError):
    """The account's quota is used up (HTTP 402)."""

    def __init__(
        self,
        message: str,
        *,
        host: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, host=host, status=status)
        self.retry_after = retry_after


class GeocodingRateLimited(GeocodingQuotaExceeded):
    """Too many requests (HTTP 429); `retry_after` is how many seconds to wait, when known."""


class GeocodingQueryRejected(GeocodingError):
    """The service did not accept the search itself (HTTP 400, or an error in its answer)."""


class GeocodingBadResponse(GeocodingError):
    """The service answered something the online search cannot read."""


# -- the online catalogue search (geo.stac) ---------------------------------------------
# Each names the catalogue it asked and, when there was one, the HTTP status of the answer.


class CatalogueError(GeoError):
    """The online catalogue search or a download from it failed; the message is meant for
    the user."""

    def __init__(self, message: str, *, host: str | None = None, status: int | None = None):
        super().__init__(message)
        self.host = host
        self.status = status


class CatalogueConfigError(CatalogueError, ValueError):
    """The catalogue search is configured wrongly: refused when the config is built."""


class CatalogueOff(CatalogueError, PermissionError):
    """Online search is turned off: nothing was sent."""


class CatalogueUnavailable(CatalogueError, ConnectionError):
    """The catalogue could not be reached (connection refused, unknown host, no network)."""


class CatalogueTimedOut(CatalogueError, TimeoutError):
    """No answer in time."""


class CatalogueRefused(CatalogueError):
    """The catalogue answered with an HTTP error (4xx or 5xx)."""


class CatalogueBadResponse(CatalogueError):
    """The catalogue answered something that is not the STAC JSON asked for."""


class CatalogueTooLarge(CatalogueError):
    """A file to download is larger than the stated maximum: nothing was downloaded."""


# -- a researcher's own imagery (geo.imagery) -------------------------------------------


class TileOutsideImage(GeoError, LookupError):
    """A map tile was asked of an image that does not reach into it: nothing to draw.

    A tile server answers with no content (HTTP 204) or with `geo.imagery.empty_tile`.
    """


class StoreError(GeoError):
    """The store cannot do what was asked: unknown record, name taken, damaged store."""


class StoreNotFound(StoreError, FileNotFoundError):
    """There is no store where one was expected; a reading command never creates one."""


def error_chain(error: BaseException) -> Iterator[BaseException]:
    """`error` and every error behind it, nearest first: its cause or context, and the
    errors it wraps in its args (requests wraps urllib3's that way rather than chaining
    them); each once. What the online services' failure tables read."""
    seen: set[int] = set()
    waiting: deque[BaseException] = deque([error])
    while waiting:
        current = waiting.popleft()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        waiting.extend(arg for arg in current.args if isinstance(arg, BaseException))
        following = current.__cause__ or current.__context__
        if following is not None:
            waiting.append(following)
