"""One error hierarchy for the library: the UI and the CLI catch `GeoError` once.

Every error says *where* the problem is (file, record, field) so a researcher can
fix the data without reading a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

# Problem codes: what a caller may act on without reading the message.
REPAIRABLE = "repairable"  # an invalid geometry that shapely's make_valid can repair


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where it is."""

    message: str
    file: str | None = None
    record: str | None = None
    field: str | None = None
    code: str | None = None  # one of the codes above, when a caller can act on it

    def __str__(self) -> str:
        where = [
            part
            for part in (
                self.file,
                f"record {self.record}" if self.record is not None else None,
                f"field {self.field}" if self.field is not None else None,
            )
            if part
        ]
        return f"{': '.join(where)}: {self.message}" if where else self.message


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
