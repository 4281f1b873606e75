"""redis-tui beside TuiRedis, the peer users compare it with, on the same data in the same run.

    python -m benchmarks.bench_peer --keys 1000000 --rounds 3

TuiRedis comes from PyPI (``tuiredis==PEER_VERSION``) into a venv of its own, made on the first
run under ``--venv`` (default ``~/.cache/redis-tui-bench/tuiredis-venv``). Both apps run in tmux
at 160x45 against one private seeded server (the key-list mix of ``bench_keylist`` plus a
100 MB string of log lines), read with ``capture-pane``; each round runs both, the order
alternating from round to round. Figures, per app:

- ``first_rows_s``: spawn -> the first key rows on screen.
- ``all_keys_s``: spawn -> every key listed. redis-tui: the status says "N keys of N" with the
  scan done. TuiRedis lists 2,000 keys a page: its page limit is set to 1,000,000 the moment
  its first page has settled (``tab tab``, the number, ``enter``, as a user would); its figure
  is its first rows plus ``enter`` -> the tree says "Keys (N)" (N at most 1,000,000: its
  limit's ceiling), so the pause before typing is not counted.
- ``idle_cpu_pct``: CPU over ``--idle`` seconds once every key is listed, in % of one core.
- ``peak_rss_mb``: the peak RSS (``VmHWM``) of the app and of its child processes, summed.
- ``big_string_s``: in a fresh instance, opening the 100 MB string -> its first text on screen
  (redis-tui: ``:key NAME``; TuiRedis: ``/`` NAME, then down the tree to it, ``enter``). None
  when it does not show within ``--big-timeout`` seconds.

Prints one JSON line: per app and figure the median, min and max over the rounds, the ratio
ours/peer of the medians, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import redis

from benchmarks.bench_keylist import seed
from benchmarks.bench_paths import Pane, _children, app_command
from benchmarks.bench_paths import _summary as summary_of
from redis_tui.demo.server import EmbeddedServer

PEER_VERSION = "0.7.0"
PEER_MAX_PAGE = 1_000_000  # TuiRedis clamps its page limit to this
DEFAULT_VENV = Path.home() / ".cache" / "redis-tui-bench" / "tuiredis-venv"
BIG_KEY = "big:string:100mb"
BIG_LINE = b"2026-12-04T17:00:00Z INFO request handled path=/api/items status=200 ms=12\n"
WIDTH, HEIGHT = 160, 45
_PEER_COUNT = re.compile(r"Keys \((\d+)\)")


def peer_command(venv: Path) -> Path:
    """The TuiRedis executable, installed into ``venv`` first if it is not there."""
    exe = venv / "bin" / "tuiredis"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"tuiredis=={PEER_VERSION}"], check=True
        )
    return exe


def _rss_mb(pid: int) -> float:
    """Peak RSS of ``pid`` and its children, in MB (0 for a process already gone)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total / 1024


def _idle_cpu(pane: Pane, seconds: float) -> float:
    cpu0, t0 = pane.cpu_seconds(), time.perf_counter()
    time.sleep(seconds)
    return 100 * (pane.cpu_seconds() - cpu0) / (time.perf_counter() - t0)


def ours_round(port: int, keys: int, args: argparse.Namespace) -> dict[str, float | None]:
    pane = Pane(app_command(port), WIDTH, HEIGHT)
    out: dict[str, float | None] = {}
    try:
        out["first_rows_s"] = (
            pane.wait(lambda s: "cache:product:" in s or "user:" in s) - pane.started
        )
        done = f"{keys:,} keys of {keys:,}"
        out["all_keys_s"] = (
            pane.wait(lambda s: done in s and "scanning" not in s, timeout=args.timeout)
            - pane.started
        )
        time.sleep(1.0)  # the last repaint settles
        out["idle_cpu_pct"] = _idle_cpu(pane, args.idle)
        out["peak_rss_mb"] = _rss_mb(pane.pid)
    finally:
        pane.close()
    return out


def ours_big(port: int, args: argparse.Namespace) -> float | None:
    """A fresh app: ``:key`` the 100 MB string -> its first text on screen."""
    pane = Pane(app_command(port), WIDTH, HEIGHT)
    try:
        pane.wait(lambda s: "cache:product:" in s or "user:" in s)
        pane.keys(":")
        time.sleep(0.2)
        pane.keys("-l", f"key {BIG_KEY}")
        sent = pane.keys("Enter")
        return _shown(pane, sent, args)
    finally:
        pane.close()


def _shown(pane: Pane, sent: float, args: argparse.Namespace) -> float | None:
    try:
        return pane.wait(lambda s: "request handled" in s, timeout=args.big_timeout) - sent
    except TimeoutError:
        return None


def _listed(screen: str) -> int:
    """The count in TuiRedis's tree root, "Keys (N)"."""
    match = _PEER_COUNT.search(screen.replace(",", ""))
    return int(match.group(1)) if match else 0


def peer_round(
    exe: Path, port: int, keys: int, args: argparse.Namespace
) -> dict[str, float | None]:
    pane = Pane(f"{shlex.quote(str(exe))} -p {port} -c", WIDTH, HEIGHT)
    out: dict[str, float | None] = {}

    try:
        first_rows = out["first_rows_s"] = pane.wait(lambda s: _listed(s) > 0) - pane.started
        # Its page limit (2,000 by default) to every key, as a user would type it, once its
        # first page has settled (keys typed into it sooner were lost in one run).
        time.sleep(2.0)
        pane.keys("Tab")
        time.sleep(0.2)
        pane.keys("Tab")
        time.sleep(0.2)
        pane.keys("C-u")
        pane.keys("-l", "1000000")
        sent = pane.keys("Enter")
        # Its limit tops out at 1,000,000: a page of that many is all it can list.
        every = min(keys, PEER_MAX_PAGE)
        listed = pane.wait(lambda s: _listed(s) >= every, timeout=args.timeout)
        out["all_keys_s"] = first_rows + (listed - sent)
        time.sleep(1.0)
        out["idle_cpu_pct"] = _idle_cpu(pane, args.idle)
        out["peak_rss_mb"] = _rss_mb(pane.pid)
    finally:
        pane.close()
    return out


def peer_big(exe: Path, port: int, args: argparse.Namespace) -> float | None:
    """A fresh TuiRedis: ``/`` the name, down its tree to the key, ``enter`` -> its text."""
    pane = Pane(f"{shlex.quote(str(exe))} -p {port} -c", WIDTH, HEIGHT)
    try:
        pane.wait(lambda s: _listed(s) > 0)
        pane.keys("/")
        time.sleep(0.3)
        pane.keys("-l", BIG_KEY)
        pane.keys("Enter")
        pane.wait(lambda s: _listed(s) == 1, timeout=args.timeout)
        # Into the tree and down to the key: root, big, string (opened), the key.
        for key in ("Tab", "Tab", "Down", "Down", "Enter", "Down"):
            pane.keys(key)
            time.sleep(0.3)
        sent = pane.keys("Enter")
        return _shown(pane, sent, args)
    finally:
        pane.close()


def _summary(values: list[float | None]) -> dict[str, float | int | None]:
    """``bench_paths``' median, min and max of the values there are, and how many are not."""
    known = [v for v in values if v is not None]
    missing = len(values) - len(known)
    if not known:
        return {"median": None, "min": None, "max": None, "missing": missing}
    return {**summary_of(known), "missing": missing}


def run(args: argparse.Namespace) -> dict[str, object]:
    exe = peer_command(Path(args.venv))
    with EmbeddedServer() as server:
        seed(server.port, args.keys)
        client = redis.Redis(port=server.port)
        client.set(BIG_KEY, BIG_LINE * (100 * 1024 * 1024 // len(BIG_LINE)))
        keys = int(client.dbsize())
        client.close()
        load_before = os.getloadavg()
        figures: dict[str, dict[str, list[float | None]]] = {"ours": {}, "peer": {}}
        for round_ in range(args.rounds):
            order = ("peer", "ours") if round_ % 2 else ("ours", "peer")
            for who in order:
                if who == "ours":
                    result = ours_round(server.port, keys, args)
                    result["big_string_s"] = ours_big(server.port, args)
                else:
                    result = peer_round(exe, server.port, keys, args)
                    result["big_string_s"] = peer_big(exe, server.port, args)
                for name, value in result.items():
                    figures[who].setdefault(name, []).append(value)
        load_after = os.getloadavg()
    summary = {
        who: {name: _summary(values) for name, values in by_name.items()}
        for who, by_name in figures.items()
    }
    ratios: dict[str, float | None] = {}
    for name, ours in summary["ours"].items():
        peer = summary["peer"].get(name, {})
        a, b = ours.get("median"), peer.get("median")
        ratios[name] = round(a / b, 3) if a is not None and b else None
    return {
        "bench": "peer",
        "peer": f"tuiredis {PEER_VERSION}",
        "keys": keys,
        "rounds": args.rounds,
        "terminal": f"{WIDTH}x{HEIGHT}",
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "figures": summary,
        "ratio_ours_to_peer": ratios,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU measured")
    parser.add_argument("--timeout", type=float, default=600.0, help="limit per listing (s)")
    parser.add_argument("--big-timeout", type=float, default=60.0, help="limit for the string")
    parser.add_argument("--venv", default=str(DEFAULT_VENV), help="TuiRedis's own venv")
    args = parser.parse_args(argv)
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
