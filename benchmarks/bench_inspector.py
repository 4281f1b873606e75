"""The session inspector on many sessions, next to the headless command in the same run.

    python -m benchmarks.bench_inspector --sessions 100000 --others 900000 --runs 2

Seeds N express sessions among M other keys (``bench_sessions.seed``), then, alternating,
``--runs`` times each:

* ``headless``: ``redis-tui sessions --json > /dev/null`` (no patterns: discovery, as the
  inspector does with no configuration);
* ``inspector``: the real app (``run_test`` at 160x45) in a subprocess of its own; ``4``
  opens the inspector; the time until every session is in the pane, a ``j`` posted every
  50 ms meanwhile (latency until the cursor moved and the loop turned once), the loop lag
  (``probes.LoopLag``) and the peak RSS;
* ``plain``: the same app, never opening the inspector, for the RSS it costs.

Prints ONE JSON line. Targets (issue 10): all sessions within 1.5x the headless time, peak
RSS at most 150 MB over ``plain``, keypress p95 under 50 ms while they arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.bench_sessions import ROOT, count_lines, ours, seed, timed
from benchmarks.probes import LoopLag
from redis_tui.demo.server import EmbeddedServer

TARGETS = {"inspector_over_headless": 1.5, "extra_rss_mb": 150.0, "keypress_p95_ms": 50.0}


def _pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 2)


async def _child(port: int, expected: int, inspector: bool) -> dict[str, Any]:
    from redis_tui.data.client.settings import ConnectionSettings
    from redis_tui.ui.app import RedisTuiApp

    app = RedisTuiApp(ConnectionSettings(host="127.0.0.1", port=port), poll_interval=2.0)
    lag = LoopLag()
    latencies: list[float] = []
    out: dict[str, Any] = {}
    async with app.run_test(size=(160, 45)) as pilot:
        lag.start()
        deadline = time.monotonic() + 3600
        while app.browser.conn_pane.state != "connected" and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if inspector:
            pane = app.browser.session_pane
            started = time.perf_counter()
            app.simulate_key("4")
            while time.monotonic() < deadline:
                if not pane.scanning and len(pane.sessions) >= expected:
                    break
                if pane.rows and len(latencies) < 2000:
                    before = pane.list.cursor
                    t0 = time.perf_counter()
                    app.simulate_key("j")
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(2):
                            while pane.list.cursor == before:
                                await asyncio.sleep(0)
                    latencies.append(time.perf_counter() - t0)
                await asyncio.sleep(0.05)
            out["all_sessions_s"] = round(time.perf_counter() - started, 3)
            out["sessions_listed"] = len(pane.sessions)
        else:
            while app.browser.view.scanning and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.0)
        lag.stop()
        await pilot.press("q")
    out.update(
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        keypresses=len(latencies),
        keypress_p50_ms=_pct(latencies, 0.5),
        keypress_p95_ms=_pct(latencies, 0.95),
        **lag.summary(),
    )
    return out


def run_child(port: int, expected: int, inspector: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-inspector-") as tmp:
        out = Path(tmp) / "child.json"
        env = dict(os.environ)
        env.pop("REDIS_TUI_CONFIG", None)
        env["XDG_CONFIG_HOME"] = str(Path(tmp) / "noconfig")  # no [sessions] patterns
        command = [sys.executable, "-m", "benchmarks.bench_inspector", "--child-port", str(port),
                   "--expected", str(expected), "--child-out", str(out)]  # fmt: skip
        if inspector:
            command.append("--inspector")
        subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=3600,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)  # fmt: skip
        data: dict[str, Any] = json.loads(out.read_text())
        return data


def _summary(values: Sequence[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=900_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--child-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--expected", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    parser.add_argument("--inspector", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_port:
        result = asyncio.run(_child(args.child_port, args.expected, args.inspector))
        Path(args.child_out).write_text(json.dumps(result))
        return 0
    load = round(os.getloadavg()[0], 2)
    with EmbeddedServer() as server:
        port = server.port
        seed(port, args.sessions, args.others)
        expected = count_lines(port, [], None)
        headless: list[float] = []
        runs: list[dict[str, Any]] = []
        plain: list[dict[str, Any]] = []
        for _ in range(args.runs):  # alternating: a drift in load hits every variant
            headless.append(timed(lambda: ours(port, [], None))[0])
            runs.append(run_child(port, expected, inspector=True))
            plain.append(run_child(port, expected, inspector=False))
    seconds = [r["all_sessions_s"] for r in runs]
    ratio = statistics.median(seconds) / statistics.median(headless)
    extra = statistics.median(r["peak_rss_mb"] for r in runs) - statistics.median(
        p["peak_rss_mb"] for p in plain
    )
    p95 = [r["keypress_p95_ms"] for r in runs if r["keypress_p95_ms"] is not None]
    out = {
        "bench": "inspector",
        "sessions": args.sessions,
        "other_keys": args.others,
        "sessions_found_headless": expected,
        "runs": args.runs,
        "loadavg_at_start": load,
        "headless_s": _summary(headless),
        "inspector_all_sessions_s": _summary(seconds),
        "inspector_over_headless": round(ratio, 2),
        "peak_rss_mb_inspector": _summary([r["peak_rss_mb"] for r in runs]),
        "peak_rss_mb_plain": _summary([p["peak_rss_mb"] for p in plain]),
        "extra_rss_mb": round(extra, 1),
        "keypress_p95_ms": _summary(p95) if p95 else None,
        "loop_lag_max_ms": _summary([r.get("loop_lag_max_ms", 0.0) for r in runs]),
        "loop_lag_over_50ms": [r.get("loop_lag_over_50ms", 0) for r in runs],
        "sessions_listed": [r["sessions_listed"] for r in runs],
        "targets": TARGETS,
        "pass": {
            "inspector_over_headless": ratio <= TARGETS["inspector_over_headless"],
            "extra_rss_mb": extra <= TARGETS["extra_rss_mb"],
            "keypress_p95_ms": bool(p95) and statistics.median(p95) <= TARGETS["keypress_p95_ms"],
        },
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
