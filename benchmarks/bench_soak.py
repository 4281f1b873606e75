"""A soak: an hour of use compressed into a few minutes of scripted actions, with RSS at the
start and the end and its slope per thousand actions (#11 item 13: it must be flat).

The actions cycle through what a user does for an hour: move through keys (each opens a
value), switch formats in the dialog, open and close the session inspector, rescan, filter,
open help — while a writer changes keys on the server (live updates). RSS is sampled every
``--sample`` actions after a warm-up; the slope is a least-squares fit over the samples.

    python -m benchmarks.bench_soak --actions 2000     # a few minutes; one JSON line
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import redis
from textual import events

from benchmarks.probes import LoopLag
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.demo.server import EmbeddedServer
from redis_tui.demo.simulator import seed_sessions_from_fixtures

ACTIONS: list[tuple[str, ...]] = [
    ("j",), ("j",), ("k",), ("3", "f", "down", "enter"), ("2",), ("j",),
    ("3", "f", "enter"), ("2",), ("4",), ("j",), ("2",), ("question_mark",), ("escape",),
    ("r",), ("slash", "c", "a", "c", "h", "e", "*", "enter"), ("slash", "*", "enter"),
]  # fmt: skip
TARGET_SLOPE_MB_PER_1000 = 1.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _slope(points: Sequence[tuple[float, float]]) -> float:
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def _key(name: str) -> events.Key:
    chars = {"slash": "/", "question_mark": "?", "enter": "\r", "escape": "\x1b", "*": "*"}
    names = {"*": "asterisk"}
    char = chars.get(name, name if len(name) == 1 else None)
    return events.Key(names.get(name, name), char)


def seed(client: redis.Redis) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(300):
        pipe.set(f"cache:item:{i}", json.dumps({"id": i, "tags": ["a", "b"], "n": i * 1.5}))
        pipe.hset(f"user:{i}", mapping={"name": f"user {i}", "plan": "pro"})
    pipe.execute()
    seed_sessions_from_fixtures(client, copies=2)


def writer(port: int, stop: threading.Event) -> None:
    """Live updates: a key changed every 20 ms."""
    client = redis.Redis(port=port)
    i = 0
    while not stop.is_set():
        client.set(f"cache:item:{i % 300}", json.dumps({"id": i, "tick": time.time()}))
        i += 1
        time.sleep(0.02)
    client.close()


async def soak(port: int, actions: int, sample: int, warmup: int) -> dict[str, Any]:
    from redis_tui.ui.app import RedisTuiApp

    app = RedisTuiApp(ConnectionSettings(host="127.0.0.1", port=port), poll_interval=0.5)
    points: list[tuple[float, float]] = []
    lag = LoopLag()
    started = time.perf_counter()
    async with app.run_test(size=(160, 45)) as pilot:
        lag.start()
        while app.browser.value_pane.value is None and time.perf_counter() - started < 30:
            await pilot.pause(0.05)
        rss_start = _rss_mb()
        for done in range(1, actions + 1):
            # Typed like a user who waits for nothing (pilot.press waits for idle, which a
            # live app under writes rarely is), then a short breath for the app to act.
            for name in ACTIONS[done % len(ACTIONS)]:
                app.post_message(_key(name))
            await asyncio.sleep(0.03)
            if done % 10 == 0:
                await pilot.pause()
            if done >= warmup and done % sample == 0:
                gc.collect()
                points.append((done, _rss_mb()))
        lag.stop()
        rss_end = _rss_mb()
        await pilot.press("q")
    slope = _slope(points) * 1000
    return {
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "slope_mb_per_1000_actions": round(slope, 3),
        "samples": [(int(x), round(y, 1)) for x, y in points],
        "seconds": round(time.perf_counter() - started, 1),
        **lag.summary(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=300)
    args = parser.parse_args(argv)
    load = round(os.getloadavg()[0], 2)
    with EmbeddedServer() as server:
        client = redis.Redis(port=server.port)
        seed(client)
        stop = threading.Event()
        thread = threading.Thread(target=writer, args=(server.port, stop), daemon=True)
        thread.start()
        try:
            ours = asyncio.run(
                soak(server.port, args.actions, args.sample, min(args.warmup, args.actions // 2))
            )
        finally:
            stop.set()
            thread.join(timeout=2)
    result = {
        "bench": "soak",
        "actions": args.actions,
        "loadavg_at_start": load,
        "ours": ours,
        "target_slope_mb_per_1000_actions": TARGET_SLOPE_MB_PER_1000,
        "pass": ours["slope_mb_per_1000_actions"] <= TARGET_SLOPE_MB_PER_1000,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
