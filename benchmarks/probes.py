"""Probes shared by the benchmarks."""

from __future__ import annotations

import asyncio
import time


class LoopLag:
    """How long the event loop was held: a task asks to wake every ``interval`` seconds
    and records how late it woke. A handler that holds the loop for 80 ms shows as one
    ~80 ms lag; the issue's bound is 50 ms."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.lags: list[float] = []
        # (perf_counter when it woke, lag) of each lag over 50 ms: when, to tell what held it.
        self.long: list[tuple[float, float]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.interval)
            woke = time.perf_counter()
            lag = max(0.0, woke - started - self.interval)
            self.lags.append(lag)
            if lag > 0.05:
                self.long.append((woke, lag))

    def long_after(self, origin: float) -> list[list[float]]:
        """The lags over 50 ms as ``[seconds after origin, ms]``."""
        return [[round(woke - origin, 3), round(lag * 1000, 1)] for woke, lag in self.long]

    def summary(self, prefix: str = "loop_lag") -> dict[str, float | int | None]:
        lags = sorted(self.lags)
        if not lags:
            return {f"{prefix}_samples": 0}
        return {
            f"{prefix}_samples": len(lags),
            f"{prefix}_p99_ms": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000, 2),
            f"{prefix}_max_ms": round(lags[-1] * 1000, 2),
            f"{prefix}_over_50ms": sum(1 for lag in lags if lag > 0.05),
        }
