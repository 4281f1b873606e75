"""How fast the key list fills on a big database, next to what the server itself allows.

    python -m benchmarks.bench_keylist --keys 1000000

Starts a private redis-server, seeds it, measures two baselines with raw RESP and
``hiredis.Reader`` (no redis-py, no app), then runs the real app headless in a subprocess of its
own (so its peak RSS is the app's alone) and prints ONE JSON line with every figure. See
benchmarks/README.md for what each figure means.

``BENCH_SLOW_CALLBACKS=0.03`` (seconds) turns on asyncio's debug mode in the app and logs to
stderr each callback and each widget's message that took longer: what a long loop lag was.
Debug mode slows the app; its figures are not the ones to quote.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import hiredis
import redis

from benchmarks.probes import LoopLag
from redis_tui.demo.server import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
BASELINE_COUNT = 1000  # SCAN COUNT of the baselines: ~0.7 ms of server time per call
SEED_BATCH = 2000  # commands per pipelined write while seeding
SLOWLOG_MAX_LEN = 200_000
POLL_INTERVAL = 2.0  # the app's default
# Targets from issue 3.
# Issue 12's targets: names >= 0.6x the raw names pipeline; names + type + TTL >= 0.8x a raw
# client that overlaps each SCAN with the previous page's TYPE/PTTL; <= 100 B of RSS per key.
TARGETS = {
    "first_rows_after_connect_s": 0.3,
    "all_names_ratio": 0.6,
    "all_meta_ratio": 0.5,
    "all_meta_overlapped_ratio": 0.8,
    "peak_rss_mb": 250.0,
    "rss_bytes_per_key": 100.0,
    "keypress_p95_ms": 33.0,
    "scan_max_ms": 2.0,
    "idle_round_trips_per_poll": 1.0,
}


# -- raw RESP over a blocking socket (seeding and baselines) ---------------------------------


def _command(*args: bytes) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


class RawConnection:
    """A blocking socket that writes pre-encoded commands and reads replies with hiredis."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = hiredis.Reader()

    def roundtrip(self, payload: bytes, expected: int) -> list[Any]:
        self.sock.sendall(payload)
        replies: list[Any] = []
        gets = self.reader.gets
        while len(replies) < expected:
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionError("server closed the connection")
            self.reader.feed(data)
            reply = gets()
            while reply is not False:
                replies.append(reply)
                reply = gets()
        for reply in replies:
            if isinstance(reply, hiredis.ReplyError):
                raise RuntimeError(f"server error: {reply}")
        return replies

    def close(self) -> None:
        self.sock.close()


# -- seeding ---------------------------------------------------------------------------------


def _seed_commands(n: int, rng: random.Random) -> Iterator[bytes]:
    """Encoded commands for ``n`` keys: 70% ~200-byte JSON strings (MSET in groups), 10%
    hashes, 10% session strings with a TTL, 5% lists, 5% sorted sets."""
    words = [b"keyboard", b"mouse", b"monitor", b"laptop", b"hub", b"webcam", b"lamp", b"chair"]
    strings: list[bytes] = [b"MSET"]
    for i in range(n):
        slot = i % 20
        if slot < 14:
            body = (
                b'{"id":%d,"name":"%s %d","price":%d.%02d,"stock":%d,"tags":["%s","%s"],'
                b'"updated":"2024-05-%02dT10:%02d:00Z","description":"A fine %s for every desk, '
                b'model %d."}' % (i, words[i % 8], i, i % 500, i % 100, i % 97, words[(i + 3) % 8],
                                  words[(i + 5) % 8], 1 + i % 28, i % 60, words[(i + 1) % 8], i)
            )  # fmt: skip
            strings += [b"cache:product:%d" % i, body]
            if len(strings) > 200:
                yield _command(*strings)
                strings = [b"MSET"]
        elif slot < 16:
            yield _command(
                b"HSET", b"user:%d" % i, b"name", b"user %d" % i, b"email", b"u%d@example.com" % i,
                b"plan", words[i % 8], b"visits", b"%d" % (i % 1000), b"created", b"2024-01-01",
            )  # fmt: skip
        elif slot < 18:
            sid = b"%032x" % rng.getrandbits(128)
            body = (
                b'{"cookie":{"originalMaxAge":3600000,"httpOnly":true,"path":"/"},'
                b'"userId":%d,"csrf":"%s"}' % (i, sid[:16])
            )
            ttl = b"%d" % rng.randrange(600_000, 86_400_000)
            yield _command(b"SET", b"sess:" + sid, body, b"PX", ttl)
        elif slot == 18:
            yield _command(
                b"RPUSH", b"queue:jobs:%d" % i, *[b"job-%d-%d" % (i, j) for j in range(5)]
            )
        else:
            yield _command(
                b"ZADD", b"leaderboard:%d" % i,
                *[x for j in range(5) for x in (b"%d" % (j * 10), b"player-%d" % j)],
            )  # fmt: skip
    if len(strings) > 1:
        yield _command(*strings)


def seed(port: int, n: int) -> float:
    """Seed ``n`` keys with pipelined raw RESP. Returns the seconds it took."""
    started = time.perf_counter()
    conn = RawConnection(port)
    batch: list[bytes] = []
    for command in _seed_commands(n, random.Random(1)):
        batch.append(command)
        if len(batch) >= SEED_BATCH:
            conn.roundtrip(b"".join(batch), len(batch))
            batch = []
    if batch:
        conn.roundtrip(b"".join(batch), len(batch))
    conn.close()
    return time.perf_counter() - started


# -- baselines -------------------------------------------------------------------------------


def raw_scan(
    port: int, per_key: Callable[[bytes], Sequence[bytes]] = lambda k: ()
) -> tuple[int, float]:
    """SCAN COUNT 1000 to the end; after each page, the commands ``per_key`` gives for each of
    its keys, sent in one write (the server's limit: no client work but hiredis). Returns
    (keys seen, seconds)."""
    conn = RawConnection(port)
    cursor, seen = b"0", 0
    started = time.perf_counter()
    while True:
        (reply,) = conn.roundtrip(_command(b"SCAN", cursor, b"COUNT", b"%d" % BASELINE_COUNT), 1)
        cursor, keys = reply
        commands = [c for k in keys for c in per_key(k)]
        if commands:
            conn.roundtrip(b"".join(commands), len(commands))
        seen += len(keys)
        if cursor == b"0":
            break
    elapsed = time.perf_counter() - started
    conn.close()
    return seen, elapsed


def baseline_names(port: int) -> tuple[int, float]:
    """Names only."""
    return raw_scan(port)


def baseline_meta(port: int) -> tuple[int, float]:
    """Names, then TYPE + PTTL of each page: the limit for names with metadata."""
    return raw_scan(port, lambda k: (_command(b"TYPE", k), _command(b"PTTL", k)))


def baseline_meta_overlapped(port: int) -> tuple[int, float]:
    """Names with TYPE + PTTL, each SCAN sent in the same write as the TYPE/PTTL of the page
    before it: one round trip per page, the floor for a client that overlaps the two."""
    conn = RawConnection(port)
    cursor, seen = b"0", 0
    keys: list[bytes] = []
    started = time.perf_counter()
    while True:
        meta = [c for k in keys for c in (_command(b"TYPE", k), _command(b"PTTL", k))]
        scan = _command(b"SCAN", cursor, b"COUNT", b"%d" % BASELINE_COUNT)
        replies = conn.roundtrip(scan + b"".join(meta), 1 + len(meta))
        seen += len(keys)
        cursor, keys = replies[0]
        if cursor == b"0":
            break
    if keys:  # the last page's TYPE/PTTL
        meta = [c for k in keys for c in (_command(b"TYPE", k), _command(b"PTTL", k))]
        conn.roundtrip(b"".join(meta), len(meta))
        seen += len(keys)
    elapsed = time.perf_counter() - started
    conn.close()
    return seen, elapsed


# -- the app, headless, in a child process ---------------------------------------------------


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def measure_app(port: int, n: int, idle_polls: int, max_presses: int) -> dict[str, Any]:
    """Run the real app headless against the seeded server and time what a user would see.

    Hooks are class-level wrappers installed in this (child) process only: they record, they
    never change what the app does.
    """
    from redis_tui.data.client.settings import ConnectionSettings
    from redis_tui.data.gateway import Gateway
    from redis_tui.data.scan.keystore import UNKNOWN, KeyStore
    from redis_tui.ui.app import RedisTuiApp
    from redis_tui.ui.widgets.key_list import KeyList

    marks: dict[str, float] = {}
    stats: dict[str, Any] = {"counts": [], "scan_rtt": [], "page_s": [], "store_add_s": 0.0}
    calls = {"poll": 0, "scan": 0, "read_value": 0}
    pending: dict[str, Any] = {}

    def wrap_async(
        name: str, after: Callable[..., None] | None = None, counted_as: str | None = None
    ) -> None:
        original = getattr(Gateway, name)
        label = counted_as or name

        async def wrapper(self: Gateway, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = await original(self, *args, **kwargs)
            calls[label] = calls.get(label, 0) + 1
            if after is not None:
                after(started, result, *args)
            return result

        setattr(Gateway, name, wrapper)

    def after_connect(started: float, result: Any) -> None:
        marks.setdefault("connected", time.perf_counter())

    def after_scan(started: float, page: Any, cursor: Any, match: Any, count: int, *_: Any) -> None:
        stats["counts"].append(count)
        stats["scan_rtt"].append(page.seconds)
        stats["page_s"].append(time.perf_counter() - started)

    wrap_async("connect", after_connect)
    wrap_async("scan", after_scan)
    # The worker polls through poll_watching (facts, visible TTLs and the open value's change
    # token in one pipelined round trip).
    wrap_async("poll_watching", counted_as="poll")
    wrap_async("read_value")
    wrap_async("read_value_versioned", counted_as="read_value")

    original_process = Gateway.scan_process

    def scan_process(self: Gateway, *args: Any, **kwargs: Any) -> Any:
        child = original_process(self, *args, **kwargs)
        stats["scan_process"] = child is not None
        return child

    Gateway.scan_process = scan_process  # type: ignore[method-assign]

    # Full collections of the cyclic GC walk every tracked object: with a million keys they
    # were the longest pauses of the UI (see the README).
    full_gc: list[float] = []
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif "connected" in marks and "scan_done" not in marks:
            full_gc.append(time.perf_counter() - gc_started[0])

    gc.callbacks.append(on_gc)

    original_add = KeyStore.add

    def add(self: KeyStore, *args: Any, **kwargs: Any) -> int:
        started = time.perf_counter()
        added = original_add(self, *args, **kwargs)
        stats["store_add_s"] += time.perf_counter() - started
        if len(self) >= n and "all_names" not in marks:
            marks["all_names"] = time.perf_counter()
        return added

    KeyStore.add = add  # type: ignore[method-assign]

    original_render = KeyList.render_line

    def render_line(self: KeyList, y: int) -> Any:
        strip = original_render(self, y)
        position = int(self.scroll_offset.y) + y
        if position < len(self.store):
            if "first_rows" not in marks:
                marks["first_rows"] = time.perf_counter()
                marks["rss_first_rows_mb"] = _rss_mb()
            expected = pending.get("cursor")
            if expected is not None and position == expected and self.cursor == expected:
                pending["event"].set()
        return strip

    KeyList.render_line = render_line  # type: ignore[method-assign]

    settings = ConnectionSettings(host="127.0.0.1", port=port)
    app = RedisTuiApp(settings, poll_interval=POLL_INTERVAL)
    latencies: list[float] = []
    result: dict[str, Any] = {}
    marks["start"] = time.perf_counter()
    lag = LoopLag()
    if os.environ.get("BENCH_SLOW_CALLBACKS"):
        # asyncio's debug mode logs each callback that held the loop longer than this, by name
        # (to stderr): what a long loop lag was.
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = float(os.environ["BENCH_SLOW_CALLBACKS"])
        _log_slow_messages(loop.slow_callback_duration)
    async with app.run_test(size=(160, 45)) as pilot:
        lag.start()
        deadline = time.monotonic() + 600
        while "first_rows" not in marks and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        keys = app.browser.keys
        # Keypresses while the scan runs: press j, wait until the new cursor row is painted.
        while (
            app.browser.view.scanning
            and len(latencies) < max_presses
            and time.monotonic() < deadline
        ):
            pending["cursor"] = keys.cursor + 1
            pending["event"] = asyncio.Event()
            started = time.perf_counter()
            # Not ``pilot.press``: it waits for the process to go idle (up to 1 s twice), which
            # never happens during a scan. ``simulate_key`` posts the key like a terminal would.
            app.simulate_key("j")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pending["event"].wait(), timeout=2.0)
            latencies.append(time.perf_counter() - started)
            pending.clear()
            await asyncio.sleep(0.05)  # a fast typist: 20 keys a second
        while app.browser.view.scanning and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        marks["scan_done"] = time.perf_counter()
        lag.stop()
        store = app.browser.view.store
        result["listed_keys"] = len(store)
        result["unknown_types"] = store.types.count(UNKNOWN)
        result["visible_rows"] = len(keys.visible_rows())
        # Idle: the scan is over, the selected value is loaded; count what the app sends.
        await asyncio.sleep(1.5)
        # The window runs from just after one poll to just after the ``idle_polls``-th next one.
        probe = redis.Redis(host="127.0.0.1", port=port)
        polls_at = calls["poll"]
        await _until(lambda: calls["poll"] > polls_at, deadline)
        before = dict(calls)
        first = probe.info("commandstats")
        t_idle = time.perf_counter()
        target = calls["poll"] + idle_polls
        await _until(lambda: calls["poll"] >= target, deadline)
        second = probe.info("commandstats")
        idle_elapsed = time.perf_counter() - t_idle
        probe.close()
        after = dict(calls)
        await pilot.press("q")

    def total(info: dict[str, Any]) -> int:
        return sum(int(v["calls"]) for v in info.values())

    idle_commands = total(second) - total(first) - 1  # minus our own first INFO
    idle_calls = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    idle_round_trips = sum(idle_calls.values())
    idle_by_command = {
        name.removeprefix("cmdstat_"): int(v["calls"]) - int(first.get(name, {}).get("calls", 0))
        for name, v in second.items()
    }
    idle_by_command["info"] -= 1
    start, connected = marks["start"], marks.get("connected", marks["start"])
    counts = stats["counts"]
    result.update(
        startup_to_connect_s=connected - start,
        first_rows_after_start_s=marks["first_rows"] - start,
        first_rows_after_connect_s=marks["first_rows"] - connected,
        all_names_s=marks.get("all_names", marks["scan_done"]) - connected,
        all_meta_s=marks["scan_done"] - connected,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        rss_at_first_rows_mb=marks["rss_first_rows_mb"],
        keypresses=len(latencies),
        keypress_p50_ms=_ms(_percentile(latencies, 0.50)),
        keypress_p95_ms=_ms(_percentile(latencies, 0.95)),
        keypress_max_ms=_ms(max(latencies) if latencies else None),
        scan_process=stats.get("scan_process", False),
        full_gc_during_scan=len(full_gc),
        full_gc_max_ms=_ms(max(full_gc) if full_gc else None),
        pages=len(counts),
        scan_count_min=min(counts) if counts else None,
        scan_count_max=max(counts) if counts else None,
        scan_count_mean=round(sum(counts) / len(counts)) if counts else None,
        scan_rtt_p50_ms=_ms(_percentile(stats["scan_rtt"], 0.5)),
        scan_rtt_p99_ms=_ms(_percentile(stats["scan_rtt"], 0.99)),
        page_p50_ms=_ms(_percentile(stats["page_s"], 0.5)),
        gateway_scan_total_s=round(sum(stats["page_s"]), 3),
        store_add_total_s=round(stats["store_add_s"], 3),
        idle_seconds=round(idle_elapsed, 2),
        idle_commands_per_s=round(idle_commands / idle_elapsed, 1),
        # Each poll tick is one interval: everything sent in the window, per tick.
        idle_round_trips_per_poll=round(idle_round_trips / idle_polls, 2),
        idle_gateway_calls=idle_calls,
        idle_commands={k: v for k, v in idle_by_command.items() if v},
        # From the app's start to the end of the scan (#11 item 4: no handler over 50 ms).
        **lag.summary(),
        loop_lag_long_after_connect=lag.long_after(connected),
    )
    return result


async def _until(condition: Callable[[], bool], deadline: float) -> None:
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.001)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _child_main(args: argparse.Namespace) -> None:
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    result = asyncio.run(measure_app(args.port, args.keys, args.idle_polls, args.presses))
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    Path(args.child_out).write_text(json.dumps(result))


def _log_slow_messages(limit: float) -> None:
    """Each message a widget took longer than ``limit`` seconds over, to stderr: which handler
    a long loop lag was (asyncio's own log names only the widget's message pump)."""
    from textual.message_pump import MessagePump

    dispatch = MessagePump._dispatch_message

    async def timed(self: MessagePump, message: Any) -> None:
        started = time.perf_counter()
        await dispatch(self, message)
        took = time.perf_counter() - started
        if took > limit:
            print(f"slow message: {type(message).__name__} to {self!r}: {took * 1000:.0f} ms",
                  file=sys.stderr)  # fmt: skip

    MessagePump._dispatch_message = timed  # type: ignore[method-assign]


def run_app_child(port: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-keylist-") as tmp:
        out = Path(tmp) / "app.json"
        command = [
            sys.executable, "-m", "benchmarks.bench_keylist", "--keys", str(args.keys),
            "--port", str(port), "--child-out", str(out),
            "--idle-polls", str(args.idle_polls), "--presses", str(args.presses),
        ]  # fmt: skip
        if args.profile:
            command += ["--profile", str(Path(args.profile).resolve())]
        subprocess.run(
            command,
            cwd=ROOT,
            check=True,
            timeout=args.timeout,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        data: dict[str, Any] = json.loads(out.read_text())
        return data


# -- the run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_at_start = round(os.getloadavg()[0], 2)
    extra = ["--slowlog-max-len", str(SLOWLOG_MAX_LEN), "--maxmemory-policy", "noeviction"]
    with EmbeddedServer(extra_args=extra) as server:
        admin = redis.Redis(host="127.0.0.1", port=server.port)
        seed_s = seed(server.port, args.keys)
        dbsize = int(admin.dbsize())
        names_seen, names_s = baseline_names(server.port)
        meta_seen, meta_s = baseline_meta(server.port)
        over_seen, over_s = baseline_meta_overlapped(server.port)
        baseline = {
            "scan_count": BASELINE_COUNT,
            "names_keys_per_s": round(names_seen / names_s),
            "meta_keys_per_s": round(meta_seen / meta_s),
            "meta_overlapped_keys_per_s": round(over_seen / over_s),
        }
        # Every SCAN over the threshold lands in SLOWLOG; TYPE/PTTL (~1 µs) do not, so the
        # log never overflows. commandstats gives the mean of all SCAN calls.
        admin.config_set("slowlog-log-slower-than", args.slowlog_us)
        admin.slowlog_reset()
        admin.config_resetstat()
        ours = run_app_child(server.port, args)
        entries = admin.slowlog_get(-1)
        scans = [int(e["duration"]) for e in entries if _command_name(e["command"]) == b"SCAN"]
        # A TYPE or PTTL costs the server ~1 µs: one in the log took that long only because
        # the server was taken off the CPU mid-command. Their longest says what the machine
        # adds to any command's time, SCAN's included.
        tiny = [
            int(e["duration"]) for e in entries if _command_name(e["command"]) in (b"TYPE", b"PTTL")
        ]
        stat = admin.info("commandstats").get("cmdstat_scan", {})
        version = admin.info("server")["redis_version"]
        admin.close()
    ours["scan_max_ms"] = round(max(scans) / 1000, 3) if scans else None
    ours["scan_mean_ms"] = round(float(stat.get("usec_per_call", 0)) / 1000, 3)
    ours["scan_calls"] = int(stat.get("calls", 0))
    ours["scans_over_1ms"] = sum(1 for us in scans if us > 1000)
    ours["type_pttl_max_ms"] = round(max(tiny) / 1000, 3) if tiny else None
    ours["type_pttl_over_1ms"] = sum(1 for us in tiny if us > 1000)
    ours["all_names_keys_per_s"] = round(dbsize / ours["all_names_s"])
    ours["all_names_ratio"] = round(ours["all_names_keys_per_s"] / baseline["names_keys_per_s"], 3)
    ours["all_meta_keys_per_s"] = round(dbsize / ours["all_meta_s"])
    ours["all_meta_ratio"] = round(ours["all_meta_keys_per_s"] / baseline["meta_keys_per_s"], 3)
    ours["all_meta_overlapped_ratio"] = round(
        ours["all_meta_keys_per_s"] / baseline["meta_overlapped_keys_per_s"], 3
    )
    ours["rss_bytes_per_key"] = round(ours["peak_rss_mb"] * 1024 * 1024 / dbsize, 1)
    checks = {
        "first_rows_after_connect_s": ours["first_rows_after_connect_s"]
        <= TARGETS["first_rows_after_connect_s"],
        "all_names_ratio": ours["all_names_ratio"] >= TARGETS["all_names_ratio"],
        "all_meta_ratio": ours["all_meta_ratio"] >= TARGETS["all_meta_ratio"],
        "all_meta_overlapped_ratio": ours["all_meta_overlapped_ratio"]
        >= TARGETS["all_meta_overlapped_ratio"],
        "peak_rss_mb": ours["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
        "rss_bytes_per_key": ours["rss_bytes_per_key"] <= TARGETS["rss_bytes_per_key"],
        "keypress_p95_ms": ours["keypress_p95_ms"] is None
        or ours["keypress_p95_ms"] <= TARGETS["keypress_p95_ms"],
        "scan_max_ms": (ours["scan_max_ms"] or 0.0) <= TARGETS["scan_max_ms"],
        "idle_round_trips_per_poll": ours["idle_round_trips_per_poll"]
        <= TARGETS["idle_round_trips_per_poll"],
        "all_keys_listed": ours["listed_keys"] == dbsize and ours["unknown_types"] == 0,
    }
    return {
        "bench": "keylist",
        "keys": dbsize,
        "server": f"redis {version}",
        "cpus": os.cpu_count(),
        # Other work on the machine skews every figure: the 1-minute load average at the start.
        "loadavg_at_start": load_at_start,
        "seed_s": round(seed_s, 2),
        "slowlog_threshold_us": args.slowlog_us,
        "baseline": baseline,
        "ours": {k: round(v, 3) if isinstance(v, float) else v for k, v in ours.items()},
        "targets": TARGETS,
        "pass": checks,
    }


def _command_name(command: object) -> bytes:
    text = command if isinstance(command, bytes) else str(command).encode()
    return text.split(b" ", 1)[0].upper()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_keylist")
    parser.add_argument("--keys", type=int, default=1_000_000, help="keys to seed")
    parser.add_argument("--idle-polls", type=int, default=3, help="idle poll intervals to count")
    parser.add_argument("--presses", type=int, default=200, help="max keypresses during scan")
    parser.add_argument("--slowlog-us", type=int, default=100, help="SLOWLOG threshold (µs)")
    parser.add_argument("--timeout", type=float, default=600.0, help="app run limit (s)")
    parser.add_argument("--profile", help="write a cProfile of the app's process to this file")
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_out:
        _child_main(args)
        return 0
    print(json.dumps(run(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
