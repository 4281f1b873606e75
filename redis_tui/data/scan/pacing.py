"""How big a SCAN call may be. Standard library only: the scan child process imports it."""

from __future__ import annotations

# One SCAN call should cost the server well under a millisecond: COUNT 500 measured
# ~0.36 ms on a 1M-key database, COUNT 10000 stalls it for ~10 ms.
MIN_COUNT, START_COUNT, MAX_COUNT = 100, 500, 700
TARGET_CALL_SECONDS = 0.001


class Pacer:
    """Adapts SCAN COUNT so one call stays near the target time.

    Round-trip time includes the network, so it over-estimates the server's share: the pacer
    errs towards smaller, gentler calls.
    """

    def __init__(self, count: int = START_COUNT) -> None:
        self.count = count
        self._recent: list[float] = []

    def observe(self, seconds: float) -> None:
        # Judge by the fastest of the last three calls: one slow round trip is usually the
        # client's event loop being busy (repainting), not the server working harder.
        self._recent = [*self._recent[-2:], seconds]
        fastest = min(self._recent)
        if fastest > 2 * TARGET_CALL_SECONDS:
            self.count = max(MIN_COUNT, self.count // 2)
            self._recent = []
        elif fastest < TARGET_CALL_SECONDS / 2:
            self.count = min(MAX_COUNT, self.count + self.count // 4)
