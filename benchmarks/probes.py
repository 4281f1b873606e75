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
            self.lags.append(max(0.0, time.perf_counter() - started - self.interval))

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
