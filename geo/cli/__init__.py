"""Command line: ``python -m geo validate|export|import|verify|geocode|extract|georef|basemap|
migrate|members|assign``.

Errors are messages, never tracebacks; nothing goes online unless ``--online`` is given.
"""

from geo.cli.commands import main

__all__ = ["main"]
