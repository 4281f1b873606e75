"""What a cursor key costs in the key list, next to a floor measured in the same run (issue 12).

    python -m benchmarks.bench_keys --keys 1000000 --rounds 3
    python -m benchmarks.bench_keys --keys 1000000 --rounds 1 --profile keys.prof     # idle
    python -m benchmarks.bench_keys --keys 1000000 --rounds 1 --profile scan:scan.prof

Starts a private redis-server and seeds it (the key-list mix of ``bench_keylist``), then runs,
alternating for ``--rounds`` rounds, each in a subprocess of its own:

- the **floor**: a minimal Textual app whose only widget is a 1,000,000-line Line-API
  ``ScrollView`` (``render_line``, the cursor row highlighted, two lines refreshed per move), as
  tall as our key list (36 rows at 160x45);
- **ours**: the real app (``RedisTuiApp(...).run_test(size=(160, 45))``), with ``j`` pressed while
  the scan of the N keys runs, then again once it is over and the value pane is loaded (idle).

Both are driven the same way: ``app.simulate_key("j")`` (what a terminal's key does), then a wait
until the new cursor row is painted, then 50 ms (a fast typist: ~20 keys a second). Two latencies
per press: ``row`` until ``render_line`` paints the new cursor row (the issue's measure) and
``frame`` until the compositor has finished the frame that holds it. A press that scrolled the
list is counted apart as well (``scroll``): every line of the list changes then.

Prints ONE JSON line: per figure the median and min–max over the rounds of each round's p50 and
p95, the ratios ours/floor of the medians, and the load average before and after each round.
``--profile PATH`` writes a cProfile of ours over the idle presses (``--profile scan:PATH``: over
the presses during the scan), first round only; a profiled phase's latencies are inflated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_keylist import _percentile, seed
from redis_tui.demo.server import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
SIZE = (160, 45)
FLOOR_LINES = 1_000_000
# The floor list is as tall as ours at 160x45 (its rows between the borders), so that a press
# scrolls both after the same number of moves and a scroll repaints as many lines.
FLOOR_HEIGHT = 36
INTERVAL = 0.05  # between one press painted and the next press
# Issue 12: p50 and p95 within 2x of the floor, idle; p95 <= 33 ms while a 1M scan runs.
TARGETS = {"idle_p50_ratio": 2.0, "idle_p95_ratio": 2.0, "scan_p95_ms": 33.0}


class Presses:
    """Times ``j``: ``arm`` before posting it, ``painted`` from ``render_line`` when the new
    cursor row is drawn, ``frame_done`` after the compositor's refresh that drew it."""

    def __init__(self) -> None:
        self.expected: int | None = None
        self.started = 0.0
        self.row_at: float | None = None
        self.done = asyncio.Event()
        self.samples: dict[str, list[float]] = {}

    def arm(self, row: int) -> None:
        self.expected, self.row_at = row, None
        self.done = asyncio.Event()
        self.started = time.perf_counter()

    def painted(self, row: int, cursor: int) -> None:
        if self.expected is not None and row == self.expected == cursor and self.row_at is None:
            self.row_at = time.perf_counter()

    def frame_done(self) -> None:
        if self.row_at is not None and not self.done.is_set():
            self.done.set()

    def record(self, phase: str, scrolled: bool, frame_at: float) -> None:
        row_s = (self.row_at or frame_at) - self.started
        frame_s = frame_at - self.started
        for name in (phase, f"{phase}_scroll" if scrolled else f"{phase}_move"):
            self.samples.setdefault(f"{name}_row", []).append(row_s)
            self.samples.setdefault(f"{name}_frame", []).append(frame_s)
        self.expected = None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, values in sorted(self.samples.items()):
            out[name] = {
                "n": len(values),
                "p50_ms": _ms(_percentile(values, 0.5)),
                "p95_ms": _ms(_percentile(values, 0.95)),
            }
        return out


def _hook_frames(presses: Presses) -> None:
    from textual.screen import Screen

    original = Screen._compositor_refresh

    def compositor_refresh(self: Screen[Any]) -> None:
        original(self)
        presses.frame_done()

    Screen._compositor_refresh = compositor_refresh  # type: ignore[method-assign]


async def _press(app: Any, widget: Any, presses: Presses, phase: str) -> None:
    """One ``j`` on ``widget`` (the list), timed until its new cursor row is painted."""
    top = int(widget.scroll_offset.y)
    presses.arm(widget.cursor + 1)
    app.simulate_key("j")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(presses.done.wait(), timeout=2.0)
    presses.record(phase, int(widget.scroll_offset.y) != top, time.perf_counter())
    await asyncio.sleep(INTERVAL)


# -- the floor -------------------------------------------------------------------------------


def _floor_app() -> Any:
    from rich.segment import Segment
    from rich.style import Style
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.geometry import Region, Size
    from textual.reactive import reactive
    from textual.scroll_view import ScrollView
    from textual.strip import Strip

    class FloorList(ScrollView, can_focus=True):
        DEFAULT_CSS = f"FloorList {{ height: {FLOOR_HEIGHT}; }}"
        BINDINGS = [Binding("j", "down")]
        cursor: reactive[int] = reactive(0)

        def on_mount(self) -> None:
            self.virtual_size = Size(0, FLOOR_LINES)

        def render_line(self, y: int) -> Strip:
            row = int(self.scroll_offset.y) + y
            width = self.scrollable_content_region.width
            style = Style(reverse=True) if row == self.cursor else Style()
            return Strip([Segment(f"key:{row:>9}", style)]).adjust_cell_length(width, style)

        def watch_cursor(self, old: int, new: int) -> None:
            for row in (old, new):
                y = row - int(self.scroll_offset.y)
                if 0 <= y < self.size.height:
                    self.refresh(Region(0, y, self.size.width, 1))
            top, height = int(self.scroll_offset.y), self.size.height
            if new >= top + height:
                self.scroll_to(y=new - height + 1, animate=False, immediate=True)

        def action_down(self) -> None:
            self.cursor = min(FLOOR_LINES - 1, self.cursor + 1)

    class Floor(App[None]):
        def compose(self) -> ComposeResult:
            yield FloorList()

    return Floor(), FloorList


async def measure_floor(presses_n: int) -> dict[str, Any]:
    app, floor_list = _floor_app()
    presses = Presses()
    original = floor_list.render_line

    def render_line(self: Any, y: int) -> Any:
        presses.painted(int(self.scroll_offset.y) + y, self.cursor)
        return original(self, y)

    floor_list.render_line = render_line
    _hook_frames(presses)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(floor_list)
        await pilot.pause(0.5)
        for _ in range(presses_n):
            await _press(app, widget, presses, "idle")
    return presses.summary()


# -- ours ------------------------------------------------------------------------------------


async def measure_ours(
    port: int, scan_presses: int, idle_presses: int, profile: str | None
) -> dict[str, Any]:
    from redis_tui.data.client.settings import ConnectionSettings
    from redis_tui.ui.app import RedisTuiApp
    from redis_tui.ui.widgets.key_list import KeyList

    presses = Presses()
    original = KeyList.render_line

    def render_line(self: KeyList, y: int) -> Any:
        presses.painted(int(self.scroll_offset.y) + y, self.cursor)
        return original(self, y)

    KeyList.render_line = render_line  # type: ignore[method-assign]
    _hook_frames(presses)
    app = RedisTuiApp(ConnectionSettings(host="127.0.0.1", port=port), poll_interval=2.0)
    deadline = time.monotonic() + 600
    async with app.run_test(size=SIZE) as pilot:
        await _until(lambda: len(app.browser.view.store) > 0, deadline)
        keys = app.browser.keys
        heights = {"list_height": keys.size.height}
        profiler = _profiler(profile, "scan")
        pressed = 0
        while app.browser.view.scanning and pressed < scan_presses:
            await _press(app, keys, presses, "scan")
            pressed += 1
        _dump(profiler, profile)
        await _until(lambda: not app.browser.view.scanning, deadline)
        await pilot.pause(1.5)  # the scan's last repaints, the value under the cursor loads
        # Back to the top, so idle presses move first and then scroll, as the floor's do.
        keys.cursor = 0
        await pilot.pause(0.5)
        profiler = _profiler(profile, "idle")
        for _ in range(idle_presses):
            await _press(app, keys, presses, "idle")
        _dump(profiler, profile)
        await pilot.press("q")
    return {**presses.summary(), **heights}


def _profiler(profile: str | None, phase: str) -> Any:
    """A running cProfile if ``profile`` is ``phase:path`` for this phase."""
    if not profile or profile.split(":", 1)[0] != phase:
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _dump(profiler: Any, profile: str | None) -> None:
    if profiler is not None and profile:
        profiler.disable()
        profiler.dump_stats(profile.split(":", 1)[1])


async def _until(condition: Callable[[], bool], deadline: float) -> None:
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.002)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


# -- the run ---------------------------------------------------------------------------------


def _child(args: argparse.Namespace) -> dict[str, Any]:
    if args.child == "floor":
        return asyncio.run(measure_floor(args.presses))
    return asyncio.run(measure_ours(args.port, args.scan_presses, args.presses, args.profile))


def _run_child(kind: str, port: int, args: argparse.Namespace, profile: str | None) -> Any:
    with tempfile.TemporaryDirectory(prefix="bench-keys-") as tmp:
        out = Path(tmp) / "out.json"
        command = [
            sys.executable, "-m", "benchmarks.bench_keys", "--child", kind, "--port", str(port),
            "--child-out", str(out), "--presses", str(args.presses),
            "--scan-presses", str(args.scan_presses),
        ]  # fmt: skip
        if profile:
            phase, _, path = profile.rpartition(":")
            command += ["--profile", f"{phase or 'idle'}:{Path(path).resolve()}"]
        subprocess.run(
            command, cwd=ROOT, check=True, timeout=args.timeout,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        return json.loads(out.read_text())


def _spread(values: list[float | None]) -> dict[str, float | None]:
    present = [v for v in values if v is not None]
    if not present:
        return {"median": None, "min": None, "max": None}
    return {
        "median": round(statistics.median(present), 2),
        "min": min(present),
        "max": max(present),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    rounds: list[dict[str, Any]] = []
    with EmbeddedServer(extra_args=["--maxmemory-policy", "noeviction"]) as server:
        seed_s = seed(server.port, args.keys)
        for i in range(args.rounds):
            load_before = round(os.getloadavg()[0], 2)
            floor = _run_child("floor", server.port, args, None)
            profile = args.profile if i == 0 else None
            ours = _run_child("ours", server.port, args, profile)
            rounds.append({
                "load_before": load_before, "load_after": round(os.getloadavg()[0], 2),
                "floor": floor, "ours": ours,
            })  # fmt: skip

    def figures(side: str) -> dict[str, Any]:
        names = sorted({name for r in rounds for name in r[side] if name != "list_height"})
        return {
            name: {
                "n": sum(r[side].get(name, {}).get("n", 0) for r in rounds),
                "p50_ms": _spread([r[side].get(name, {}).get("p50_ms") for r in rounds]),
                "p95_ms": _spread([r[side].get(name, {}).get("p95_ms") for r in rounds]),
            }
            for name in names
        }

    floor, ours = figures("floor"), figures("ours")

    def ratio(name: str, q: str, floor_name: str | None = None) -> float | None:
        a = ours.get(name, {}).get(q, {}).get("median")
        b = floor.get(floor_name or name, {}).get(q, {}).get("median")
        return round(a / b, 2) if a and b else None

    ratios = {
        f"{name}_{q}": ratio(name, q)
        for name in ("idle_row", "idle_frame", "idle_move_row", "idle_scroll_row")
        for q in ("p50_ms", "p95_ms")
    }
    scan_p95 = ours.get("scan_row", {}).get("p95_ms", {}).get("median")
    checks = {
        "idle_p50_ratio": (ratios["idle_row_p50_ms"] or 99) <= TARGETS["idle_p50_ratio"],
        "idle_p95_ratio": (ratios["idle_row_p95_ms"] or 99) <= TARGETS["idle_p95_ratio"],
        "scan_p95_ms": scan_p95 is not None and scan_p95 <= TARGETS["scan_p95_ms"],
    }
    return {
        "bench": "keys",
        "keys": args.keys,
        "rounds": args.rounds,
        "presses_per_round": {"idle": args.presses, "scan_max": args.scan_presses},
        "cpus": os.cpu_count(),
        "seed_s": round(seed_s, 2),
        "list_height": {"floor": FLOOR_HEIGHT, "ours": rounds[0]["ours"].get("list_height")},
        "loadavg": [[r["load_before"], r["load_after"]] for r in rounds],
        "floor": floor,
        "ours": ours,
        "ratio_ours_to_floor": ratios,
        "targets": TARGETS,
        "pass": checks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_keys")
    parser.add_argument("--keys", type=int, default=1_000_000, help="keys to seed")
    parser.add_argument("--rounds", type=int, default=3, help="floor/ours rounds, alternating")
    parser.add_argument("--presses", type=int, default=100, help="idle presses per round")
    parser.add_argument("--scan-presses", type=int, default=200, help="max presses during scan")
    parser.add_argument("--timeout", type=float, default=600.0, help="limit per child (s)")
    parser.add_argument(
        "--profile",
        help="cProfile of ours, first round, to this file: PATH (idle presses) or scan:PATH",
    )
    parser.add_argument("--child", choices=("floor", "ours"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        Path(args.child_out).write_text(json.dumps(_child(args)))
        return 0
    print(json.dumps(run(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
