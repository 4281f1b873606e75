"""How big a SCAN call may be. Standard library only: the scan child process imports it."""

from __future__ import annotations

# One SCAN call should cost the server well under a millisecond: COUNT 500 measured
# ~0.36 ms on a 1M-key database, COUNT 10000 stalls it for ~10 ms.
MIN_COUNT, START_COUNT, MAX_COUNT = 100, 500, 700
TARGET_CALL_SECONDS = 0.001
# The server's own mean time per SCAN (INFO commandstats) that COUNT is held to: half a
# millisecond leaves room below the 2 ms a single call may take at most.
SERVER_TARGET_SECONDS = 0.0005


class Pacer:
    """Adapts SCAN COUNT so one call stays near the target time.

    Round-trip time includes the network, so it over-estimates the server's share: the pacer
    errs towards smaller, gentler calls.
    """

    def __init__(self, count: int = START_COUNT) -> None:
        self.count = count
        # How far COUNT may grow: MAX_COUNT, or less once the server's own time says so.
        self.ceiling = MAX_COUNT
        self._recent: list[float] = []

    def observe_server(self, seconds_per_call: float) -> None:
        """The server's mean time per SCAN since the last look (from ``INFO commandstats``):
        what the round trips cannot tell apart from a busy client or network. COUNT is held
        where that mean meets ``SERVER_TARGET_SECONDS``."""
        if seconds_per_call <= 0:
            return
        fit = int(self.count * SERVER_TARGET_SECONDS / seconds_per_call)
        self.ceiling = max(MIN_COUNT, min(MAX_COUNT, fit))
        self.count = min(self.count, self.ceiling)

    def observe(self, seconds: float) -> None:
        # Judge by the fastest of the last three calls: one slow round trip is usually the
        # client's event loop being busy (repainting), not the server working harder.
        self._recent = [*self._recent[-2:], seconds]
        fastest = min(self._recent)
        if fastest > 2 * TARGET_CALL_SECONDS:
            self.count = max(MIN_COUNT, self.count // 2)
            self._recent = []
        elif fastest < TARGET_CALL_SECONDS / 2:
            self.count = min(self.ceiling, self.count + self.count // 4)
