"""Where the online search takes its time from: the system's, or a test's fake.

The rate limiter's clock and sleep, the deadline and the back-off all read this one object,
so a test that passes `OnlineGeocoder(config, clock=...)` a fake checks every limit without
sleeping or measuring.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Where the online search takes its time from: `SYSTEM_CLOCK`, or a test's fake."""

    def now(self) -> float:
        """Seconds on a clock that never goes back (only differences mean anything)."""
        ...

    def sleep(self, seconds: float) -> None: ...

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Wait until `event` is set or `timeout` seconds pass; True if it was set."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wait(self, event: threading.Event, timeout: float) -> bool:
        return event.wait(timeout)


SYSTEM_CLOCK: Clock = SystemClock()
