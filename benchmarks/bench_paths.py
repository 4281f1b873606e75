"""What a user feels in a real terminal: launch, the small paths, and an idle app's CPU.

    python -m benchmarks.bench_paths --keys 1000000 --rounds 3

Runs the app in tmux (the way the acceptance checks do) against a private seeded server and
reads the screen with ``capture-pane`` every few milliseconds. Each round runs the floor first
(a one-line Textual app: its first paint is the launch floor) and then redis-tui, alternating,
so load changes hit both. Figures:

- ``launch_s``: spawn -> the first key row on screen; ``floor_s``: spawn -> the floor app's
  line; ``launch_ratio`` = launch / floor (target <= 1.5). The app's bytecode is compiled
  first (``compileall``), as in an installed copy.
- ``idle_cpu_pct``: the app's CPU (user + system, from /proc) over ``--idle`` seconds once the
  scan is done, in % of one core (target <= 1); ``floor_idle_cpu_pct``: the floor app's over
  as long (what Textual and the terminal cost an app that does nothing), and
  ``idle_cpu_over_floor_pct`` = ours - floor.
- ``open_connection_s``: ``o`` -> the connection screen drawn (target <= 0.2).
- ``next_page_s``: ``]`` on a 20 MB string -> the footer says one more page is shown
  (target <= 0.1), pressed from the key list with the value open.
- ``quit_s``: ``q`` -> the process has exited (target <= 0.3) and ``leftover``: processes of
  the app still alive after it.

Prints one JSON line: per figure the median, min and max over the rounds, and the load average
before and after.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

from benchmarks.bench_keylist import seed
from redis_tui.demo.seed import seed_big_keys
from redis_tui.demo.server import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
BIG_KEY = b"big:string:20mb"
TARGETS = {
    "launch_ratio": 1.5,
    "idle_cpu_pct": 1.0,
    "open_connection_s": 0.2,
    "next_page_s": 0.1,
    "quit_s": 0.3,
}
FLOOR_APP = """
from textual.app import App
from textual.widgets import Static

class Floor(App[None]):
    def compose(self):
        yield Static("floor-ready")

Floor().run()
"""


class Pane:
    """One tmux session running one command; the screen is read with capture-pane."""

    def __init__(self, command: str, width: int, height: int) -> None:
        self.name = f"bench{os.getpid()}{int(time.monotonic() * 1000) % 100000}"
        self.started = time.perf_counter()
        # `exec` so the pane's pid is the program's; the pane stays to report its exit.
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
             f"exec {command}"],
            check=True,
        )  # fmt: skip
        subprocess.run(["tmux", "set-option", "-t", self.name, "remain-on-exit", "on"], check=True)
        self.pid = int(self._format("#{pane_pid}"))

    def _format(self, fmt: str) -> str:
        return subprocess.run(
            ["tmux", "display-message", "-p", "-t", self.name, fmt],
            capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True,
            check=False,
        ).stdout  # fmt: skip

    def dead(self) -> bool:
        return self._format("#{pane_dead}") == "1"

    def keys(self, *keys: str) -> float:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)
        return time.perf_counter()

    def wait(self, seen: Callable[[str], bool], timeout: float = 30.0) -> float:
        """Seconds since ``started`` when the screen first satisfies ``seen``."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if seen(self.screen()):
                return time.perf_counter()
            time.sleep(0.004)
        raise TimeoutError(f"screen never matched:\n{self.screen()}")

    def wait_dead(self, timeout: float = 10.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.dead():
                return time.perf_counter()
            time.sleep(0.004)
        raise TimeoutError("the app did not exit")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True, check=False)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def floor_round(width: int, height: int, idle: float) -> tuple[float, float]:
    """(first paint, idle CPU %) of the floor app."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(FLOOR_APP)
    pane = Pane(f"{shlex.quote(sys.executable)} {script.name}", width, height)
    try:
        ready = pane.wait(lambda s: "floor-ready" in s) - pane.started
        time.sleep(1.0)
        cpu0, t0 = pane.cpu_seconds(), time.perf_counter()
        time.sleep(idle)
        return ready, 100 * (pane.cpu_seconds() - cpu0) / (time.perf_counter() - t0)
    finally:
        pane.close()
        os.unlink(script.name)


def app_command(port: int) -> str:
    """redis-tui against ``port``, with a config file of its own (no profile, no history)."""
    env = f"REDIS_TUI_CONFIG={shlex.quote(tempfile.mkdtemp())}/config.toml"
    return f"env {env} {shlex.quote(sys.executable)} -m redis_tui -p {port}"


def app_round(port: int, width: int, height: int, idle: float) -> dict[str, float]:
    pane = Pane(app_command(port), width, height)
    out: dict[str, float] = {}
    try:
        out["launch_s"] = pane.wait(lambda s: "cache:product:" in s or "user:" in s) - pane.started
        pane.wait(lambda s: "scanning" not in s and " keys of " in s, timeout=120)
        time.sleep(1.0)  # let the last repaint settle
        cpu0, t0 = pane.cpu_seconds(), time.perf_counter()
        time.sleep(idle)
        out["idle_cpu_pct"] = 100 * (pane.cpu_seconds() - cpu0) / (time.perf_counter() - t0)

        sent = pane.keys("o")
        out["open_connection_s"] = pane.wait(lambda s: "Profiles" in s) - sent
        pane.keys("Escape")
        pane.wait(lambda s: "Profiles" not in s)

        pane.keys(":")
        time.sleep(0.2)
        pane.keys("-l", f"key {BIG_KEY.decode()}")
        pane.keys("Enter")
        pane.wait(lambda s: "] loads more" in s and "showing the first 64" in s, timeout=20)
        time.sleep(0.3)
        pane.keys("2")  # back to the key list: `]` there acts on the open value
        time.sleep(0.2)
        sent = pane.keys("]")
        out["next_page_s"] = pane.wait(lambda s: "showing the first 128" in s) - sent

        children = _children(pane.pid)
        sent = pane.keys("q")
        out["quit_s"] = pane.wait_dead() - sent
        time.sleep(0.2)
        out["leftover"] = float(sum(1 for c in children if Path(f"/proc/{c}").exists()))
    finally:
        pane.close()
    return out


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    # The app starts from bytecode, as installed by pip (which compiles it) and as Textual in
    # the floor app does. From a checkout under PYTHONDONTWRITEBYTECODE=1, it would compile
    # each of its ~70 modules at every launch: 0.1 s of CPU that no installed copy spends.
    compileall.compile_dir(ROOT / "redis_tui", quiet=1)
    with EmbeddedServer() as server:
        seed(server.port, args.keys)
        client = redis.Redis(port=server.port)
        seed_big_keys(client)  # the demo's 20 MB string (one line of JSON) and big hash
        client.close()
        load_before = os.getloadavg()
        figures: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            floor_s, floor_cpu = floor_round(args.width, args.height, args.idle)
            figures.setdefault("floor_s", []).append(floor_s)
            figures.setdefault("floor_idle_cpu_pct", []).append(floor_cpu)
            for name, value in app_round(server.port, args.width, args.height, args.idle).items():
                figures.setdefault(name, []).append(value)
            figures.setdefault("launch_ratio", []).append(
                figures["launch_s"][-1] / figures["floor_s"][-1]
            )
            figures.setdefault("idle_cpu_over_floor_pct", []).append(
                figures["idle_cpu_pct"][-1] - floor_cpu
            )
        load_after = os.getloadavg()
    summary = {name: _summary(values) for name, values in figures.items()}
    return {
        "keys": args.keys,
        "rounds": args.rounds,
        "terminal": f"{args.width}x{args.height}",
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "figures": summary,
        "targets": TARGETS,
        "met": {
            name: summary[name]["median"] <= target
            for name, target in TARGETS.items()
            if name in summary
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU measured")
    parser.add_argument("--width", type=int, default=160)
    parser.add_argument("--height", type=int, default=45)
    args = parser.parse_args(argv)
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
