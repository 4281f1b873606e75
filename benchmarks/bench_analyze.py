"""How fast the keyspace analysis runs, next to a raw pipeline floor in the same run.

    python -m benchmarks.bench_analyze --keys 1000000 --runs 3

Starts a private redis-server, seeds N keys (the key-list benchmark's mix), then alternates,
``--runs`` times each:

* ``baseline``: raw socket + ``hiredis.Reader`` (no redis-py, no app): ``SCAN COUNT 1000``
  to the end, each page's ``TYPE`` + ``PTTL`` + ``MEMORY USAGE key SAMPLES 0`` in one write;
* ``ours``: ``redis-tui analyze --json > /dev/null`` in a subprocess (its peak RSS is read
  from ``wait4``), which also sends the length commands and keeps every aggregate.

Prints ONE JSON line: median and min–max seconds of each, keys/s, the ratio of ours to the
baseline's throughput (target ≥ 0.5), our peak RSS, and the load average at start.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.bench_keylist import _command, raw_scan, seed
from redis_tui.demo.server import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 0.5


def baseline(port: int) -> tuple[int, float]:
    """SCAN + TYPE/PTTL/MEMORY USAGE per page. Returns (keys seen, seconds)."""
    return raw_scan(
        port,
        lambda k: (
            _command(b"TYPE", k),
            _command(b"PTTL", k),
            _command(b"MEMORY", b"USAGE", k, b"SAMPLES", b"0"),
        ),
    )


def ours(port: int) -> tuple[int, float, float]:
    """``redis-tui analyze --json``. Returns (keys analysed, seconds, peak RSS MB)."""
    env = dict(os.environ)
    env.pop("REDIS_TUI_CONFIG", None)
    env["XDG_CONFIG_HOME"] = tempfile.gettempdir() + "/bench-analyze-noconfig"
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "redis_tui", "analyze", "-p", str(port), "--json"]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise RuntimeError(f"redis-tui analyze exited with {proc.returncode}")
        out.seek(0)
        result = json.loads(out.read())
    return int(result["keys"]), elapsed, usage.ru_maxrss / 1024


def _summary(values: Sequence[float], keys: int) -> dict[str, float]:
    median = statistics.median(values)
    return {
        "median_s": round(median, 3),
        "min_s": round(min(values), 3),
        "max_s": round(max(values), 3),
        "keys_per_s": round(keys / median),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    load_at_start = round(os.getloadavg()[0], 2)
    with EmbeddedServer() as server:
        seeded = seed(server.port, args.keys)
        base_times: list[float] = []
        our_times: list[float] = []
        rss: list[float] = []
        analysed = seen = 0
        for _ in range(args.runs):  # alternating, so drifts in load hit both
            seen, seconds = baseline(server.port)
            base_times.append(seconds)
            analysed, seconds, peak = ours(server.port)
            our_times.append(seconds)
            rss.append(peak)
    base = _summary(base_times, seen)
    mine = _summary(our_times, analysed)
    ratio = statistics.median(base_times) / statistics.median(our_times)
    out = {
        "keys": args.keys,
        "runs": args.runs,
        "seed_s": round(seeded, 2),
        "loadavg_at_start": load_at_start,
        "loadavg_at_end": round(os.getloadavg()[0], 2),
        "baseline": {**base, "keys_seen": seen},
        "ours": {**mine, "keys_analysed": analysed, "peak_rss_mb": round(max(rss), 1)},
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "pass": ratio >= TARGET_RATIO and analysed == args.keys,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
