"""Reading many records at once, with Python's cyclic garbage collector paused meanwhile.

A case of 100,000 records parses into millions of lists and dicts, none of them
garbage. The collector runs every few hundred new containers and, each time its
oldest generation is due, walks every one of them again: a third of a large case's
load went to it. Reading is paused from collecting (`collection_paused`), and what
was read is collected once, if ever, when the collector next runs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """Cyclic garbage collection off for the block (reference counting still frees
    memory), then on again if it was on. Nested blocks and other threads' blocks leave
    it as they found it, or on: a pause is never made permanent."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
