"""What the store raises: one error for all it refuses, and one for a missing store."""

from __future__ import annotations

from geo.errors import GeoError


class StoreError(GeoError):
    """The store cannot do what was asked: unknown record, name taken, damaged store."""


class StoreNotFound(StoreError, FileNotFoundError):
    """There is no store where one was expected; a reading command never creates one."""
