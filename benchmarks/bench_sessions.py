"""How fast ``redis-tui sessions --json`` lists sessions, next to a raw baseline in the same run.

    python -m benchmarks.bench_sessions --sessions 100000 --others 900000 --runs 3

Starts a private redis-server and seeds N express sessions (``sess:<id>``, JSON from the
express fixture with a Passport user and a TTL) among M other keys (the key-list benchmark's
mix). Then, alternating, ``--runs`` times each:

* ``baseline``: raw socket + ``hiredis.Reader`` (no redis-py, no app): ``SCAN MATCH sess:*
  COUNT 1000`` to the end, each page's values by pipelined ``GET``, each ``json.loads``-ed;
* ``match``: ``redis-tui sessions --json --match 'sess:*' > /dev/null`` in a subprocess;
* ``patterns``: the same with ``[sessions] patterns`` configured (the stores' default
  prefixes: several globs, filtered client-side);
* ``discovery``: the same with no patterns at all (discovery: namespaces grouped, sampled,
  session namespaces read in full in the same pass);
* ``names``: the baseline's names-only ``SCAN COUNT 1000`` of the whole keyspace (what
  discovery costs over a MATCH scan at most).

Prints ONE JSON line: each figure's median and min–max seconds, sessions/s, the ratio of
each to the baseline's throughput (targets: ``match``/``patterns`` ≥ 0.5, ``discovery`` ≥
0.33), and the load average at start (2 shared cores change every figure).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from benchmarks.bench_keylist import SEED_BATCH, RawConnection, _command, _seed_commands
from redis_tui.demo.server import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "sessions" / "express.json"
TARGETS = {"match": 0.5, "patterns": 0.5, "discovery": 0.33}


def _session_commands(n: int, rng: random.Random) -> Iterator[bytes]:
    records = json.loads(FIXTURE.read_text(encoding="utf-8"))
    # The one with a user, written as JSON.stringify does (compact, UTF-8 as it is).
    template = json.loads(bytes.fromhex(records[-1]["value_hex"]))
    for i in range(n):
        template["passport"] = {"user": str(i % 5000)}
        body = json.dumps(template, separators=(",", ":"), ensure_ascii=False).encode()
        sid = b"%032x" % rng.getrandbits(128)
        yield _command(b"SET", b"sess:" + sid, body, b"EX", b"%d" % rng.randrange(3600, 86400))


def seed(port: int, sessions: int, others: int) -> float:
    started = time.perf_counter()
    conn = RawConnection(port)
    rng = random.Random(7)
    batch: list[bytes] = []

    def flush() -> None:
        conn.roundtrip(b"".join(batch), len(batch))
        batch.clear()

    # The key-list mix holds 10% session-like keys of its own: make them plain JSON (same
    # lengths, so the encoded RESP stays valid) so that N is exact.
    mix = (
        c.replace(b"sess:", b"tmps:")
        .replace(b'"cookie":', b'"cuckoo":')
        .replace(b'"csrf":', b'"crcf":')
        for c in _seed_commands(others, random.Random(1))
    )
    for command in (*_session_commands(sessions, rng), *mix):
        batch.append(command)
        if len(batch) >= SEED_BATCH:
            flush()
    if batch:
        flush()
    conn.close()
    return time.perf_counter() - started


def baseline(port: int) -> int:
    """SCAN MATCH sess:* + pipelined GET + json.loads. Returns the sessions decoded."""
    conn = RawConnection(port)
    cursor, found = b"0", 0
    while True:
        (reply,) = conn.roundtrip(
            _command(b"SCAN", cursor, b"MATCH", b"sess:*", b"COUNT", b"1000"), 1
        )
        cursor, keys = reply
        if keys:
            values = conn.roundtrip(b"".join(_command(b"GET", k) for k in keys), len(keys))
            found += sum(1 for v in values if isinstance(json.loads(v), dict))
        if cursor == b"0":
            break
    conn.close()
    return found


def names_only(port: int) -> int:
    conn = RawConnection(port)
    cursor, seen = b"0", 0
    while True:
        (reply,) = conn.roundtrip(_command(b"SCAN", cursor, b"COUNT", b"1000"), 1)
        cursor, keys = reply
        seen += len(keys)
        if cursor == b"0":
            break
    conn.close()
    return seen


def ours(port: int, extra: Sequence[str], config: Path | None) -> int:
    """``redis-tui sessions --json ... > /dev/null`` (the count comes from ``count_lines``,
    run once before the timed runs)."""
    env = dict(os.environ)
    env.pop("REDIS_TUI_CONFIG", None)
    env["XDG_CONFIG_HOME"] = tempfile.gettempdir() + "/bench-sessions-noconfig"
    if config is not None:
        env["REDIS_TUI_CONFIG"] = str(config)
    command = [sys.executable, "-m", "redis_tui", "sessions", "-p", str(port), "--json", *extra]
    with open(os.devnull, "w") as devnull:
        subprocess.run(command, stdout=devnull, check=True, env=env, cwd=ROOT, timeout=3600)
    return -1


def timed(run: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    count = run()
    return time.perf_counter() - started, count


def count_lines(port: int, extra: Sequence[str], config: Path | None) -> int:
    env = dict(os.environ)
    env.pop("REDIS_TUI_CONFIG", None)
    env["XDG_CONFIG_HOME"] = tempfile.gettempdir() + "/bench-sessions-noconfig"
    if config is not None:
        env["REDIS_TUI_CONFIG"] = str(config)
    command = [sys.executable, "-m", "redis_tui", "sessions", "-p", str(port), "--json", *extra]
    done = subprocess.run(command, capture_output=True, check=True, env=env, cwd=ROOT)
    return done.stdout.count(b"\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=900_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    load_at_start = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedServer() as server:
        config = Path(tmp) / "config.toml"
        from redis_tui.data.sessions import DEFAULT_PATTERNS

        globs = ", ".join(json.dumps(p.decode()) for p in DEFAULT_PATTERNS)
        config.write_text(f"[sessions]\npatterns = [{globs}]\n", encoding="utf-8")
        seeded = seed(server.port, args.sessions, args.others)
        port = server.port
        variants: dict[str, Callable[[], int]] = {
            "baseline": lambda: baseline(port),
            "match": lambda: ours(port, ["--match", "sess:*"], None),
            "patterns": lambda: ours(port, [], config),
            "discovery": lambda: ours(port, [], None),
            "names": lambda: names_only(port),
        }
        listed = {
            "match": count_lines(port, ["--match", "sess:*"], None),
            "patterns": count_lines(port, [], config),
            "discovery": count_lines(port, [], None),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        decoded = 0
        for _ in range(args.runs):  # alternating, so drifts in load hit every variant
            for name, run in variants.items():
                seconds, count = timed(run)
                times[name].append(seconds)
                if name == "baseline":
                    decoded = count
    base = statistics.median(times["baseline"])
    out: dict[str, object] = {
        "sessions": args.sessions,
        "other_keys": args.others,
        "runs": args.runs,
        "seed_s": round(seeded, 2),
        "loadavg_at_start": load_at_start,
        "baseline_decoded": decoded,
        "listed": listed,
    }
    passed: dict[str, bool] = {}
    for name, values in times.items():
        median = statistics.median(values)
        entry: dict[str, object] = {
            "median_s": round(median, 3),
            "min_s": round(min(values), 3),
            "max_s": round(max(values), 3),
        }
        if name != "names":
            entry["sessions_per_s"] = round(args.sessions / median)
            entry["ratio"] = round(base / median, 3)
        out[name] = entry
        if name in TARGETS:
            passed[name] = base / median >= TARGETS[name] and listed[name] == args.sessions
    out["targets"] = TARGETS
    out["pass"] = passed
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
