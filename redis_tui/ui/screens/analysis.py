"""``:analyze``: the keyspace analysis on a screen of its own.

While the worker runs the analysis the screen shows a progress bar (keys done of DBSIZE) and
an ETA; ``x`` or ``esc`` stops it at once (no question) and the partial figures stay shown.
Then four tabs: namespaces nested by the delimiter (by memory), the top keys by memory and by
length (``enter`` opens the key in the browser), and cache health. ``r`` runs it again.

The screen owns no I/O: what it does on stop, rerun and open is given to it as callables, and
the owner feeds it ``started`` / ``progressed`` / ``finished`` / ``failed``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static, TabbedContent, TabPane

from redis_tui.data.analysis import AnalysisResult, Progress
from redis_tui.ui.screens.analysis_rows import (
    MAX_NAMESPACE_ROWS,
    TOP_ROWS,
    TTL_COLUMNS,
    Row,
    age_text,
    health_lines,
    namespace_rows,
    progress_line,
    summary_line,
    top_rows,
)
from redis_tui.ui.style import update_static

State = Literal["idle", "running", "stopping", "done", "failed"]
TABS = ("namespaces", "top-memory", "top-length", "health")
NAMESPACE_COLUMNS = ("namespace", "keys", "memory", "avg", *TTL_COLUMNS, "types", "largest key")
TOP_COLUMNS = ("#", "memory", "length", "type", "TTL", "key")
RIGHT = frozenset({"keys", "memory", "avg", *TTL_COLUMNS, "#", "length"})


def wall_clock() -> float:
    """Now, for the result's age (tests pin it)."""
    return time.time()


class AnalysisScreen(Screen[bytes | None]):
    """Dismisses with the key to open (``enter`` on a top key), or None (``esc``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back/stop", id="analysis.back",
                tooltip="Stop the analysis; when it is not running, back to the keys"),
        Binding("x", "stop", "Stop", id="analysis.stop", tooltip="Stop the analysis now"),
        Binding("r", "rerun", "Rerun", id="analysis.rerun", tooltip="Analyse again"),
        Binding("tab", "tab(1)", "Next tab", id="analysis.next_tab", tooltip="Next tab"),
        Binding("shift+tab", "tab(-1)", "Prev tab", show=False, id="analysis.previous_tab",
                tooltip="Previous tab"),
        Binding("enter", "open", "Open key", show=False, id="analysis.open",
                tooltip="Open the highlighted top key in the browser"),
        Binding("q", "app.quit", "Quit", id="analysis.quit", tooltip="Quit redis-tui"),
    ]  # fmt: skip

    def __init__(
        self,
        where: str,
        scope: str,
        *,
        stop: Callable[[], None],
        rerun: Callable[[], None],
    ) -> None:
        super().__init__()
        self.where = where  # "db 0 · redis://127.0.0.1:6379"
        self.scope = scope  # "every key" / "keys matching cache:* (the key list's filter)"
        self._stop = stop
        self._rerun = rerun
        self.state: State = "idle"
        self.progress: Progress | None = None
        self.result: AnalysisResult | None = None
        self.finished_at: float | None = None
        self.reason = ""
        # The keys of each top table's rows, by row index (never widget ids from keys).
        self._top_keys: dict[str, list[bytes]] = {"top-memory": [], "top-length": []}
        self._answered = False
        self._composed = False  # widgets exist (``is_mounted`` is still False in on_mount)

    # -- compose ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Content(f"Keyspace analysis · {self.where}"), id="analysis-title")
        yield Static(Content(self.scope), id="analysis-scope")
        yield Static(Content(""), id="analysis-state")
        yield ProgressBar(id="analysis-progress", show_eta=False)
        with TabbedContent(id="analysis-tabs", initial="namespaces"):
            with TabPane("Namespaces", id="namespaces"):
                yield DataTable(id="analysis-namespaces", cursor_type="row", zebra_stripes=True)
            with TabPane("Top memory", id="top-memory"):
                yield DataTable(id="analysis-top-memory", cursor_type="row", zebra_stripes=True)
            with TabPane("Top length", id="top-length"):
                yield DataTable(id="analysis-top-length", cursor_type="row", zebra_stripes=True)
            with TabPane("Cache health", id="health"), VerticalScroll(id="analysis-health-box"):
                yield Static(Content(""), id="analysis-health")
        yield Footer()

    def on_mount(self) -> None:
        self._composed = True
        for name in ("namespaces", "top-memory", "top-length"):
            table = self._table(name)
            columns = NAMESPACE_COLUMNS if name == "namespaces" else TOP_COLUMNS
            for column in columns:
                table.add_column(Text(column, justify="right" if column in RIGHT else "left"))
        self.set_interval(1.0, self._show_state)
        self._show()
        self._table("namespaces").focus()

    def _table(self, name: str) -> DataTable[Text]:
        return self.query_one(f"#analysis-{name}", DataTable)

    # -- fed by the owner ------------------------------------------------------------------

    def started(self, scope: str | None = None) -> None:
        """A run began (``scope``: what it analyses, when it changed)."""
        self.state, self.progress, self.reason = "running", None, ""
        if scope is not None:
            self.scope = scope
            if self._composed:
                update_static(self.query_one("#analysis-scope", Static), Content(scope))
        self._show()

    def progressed(self, progress: Progress) -> None:
        if self.state in ("running", "stopping"):
            self.progress = progress
            if self._composed:
                self._show_progress()

    def finished(self, result: AnalysisResult, at: float) -> None:
        self.state, self.result, self.finished_at = "done", result, at
        self._show(tables=True)

    def failed(self, reason: str) -> None:
        self.state, self.reason = "failed", reason
        self._show()

    # -- what it shows ---------------------------------------------------------------------

    def _show(self, tables: bool = False) -> None:
        if not self._composed:
            return
        self.refresh_bindings()
        running = self.state in ("running", "stopping")
        self.query_one("#analysis-progress").display = running
        self._show_state()
        if running:
            self._show_progress()
        if tables or (self.result is not None and not self._table("namespaces").row_count):
            self._fill()

    def _show_state(self) -> None:
        state = self.query_one("#analysis-state", Static)
        if self.state == "running" and self.progress is not None:
            text = progress_line(self.progress)
        elif self.state == "running":
            text = "analysing… (paced SCAN, pipelined TYPE, PTTL, MEMORY USAGE) · x or esc stops"
        elif self.state == "stopping":
            text = "stopping after the page in flight…"
        elif self.state == "failed":
            text = f"analysis failed: {self.reason} · r tries again"
        elif self.result is not None and self.finished_at is not None:
            age = age_text(wall_clock() - self.finished_at)
            text = f"{summary_line(self.result)} · analysed {age} · r reruns"
        else:
            text = ""
        update_static(state, Content(text))

    def _show_progress(self) -> None:
        progress = self.progress
        bar = self.query_one("#analysis-progress", ProgressBar)
        if progress is None:
            bar.update(total=None)
            return
        total = progress.total if progress.total else None
        if total is not None and progress.done > total:
            total = progress.done  # keys added since DBSIZE
        bar.update(total=total, progress=progress.done)
        self._show_state()

    def _fill(self) -> None:
        result = self.result
        if result is None:
            return
        self._rows("namespaces", namespace_rows(result))
        # The top tables a moment later: one handler builds at most 200 rows, not 300.
        self.call_later(self._fill_tops, result)
        tabs = self.query_one(TabbedContent)
        shown, total = min(len(result.namespaces), MAX_NAMESPACE_ROWS), len(result.namespaces)
        if shown < total:
            tabs.get_tab("namespaces").label = Content(f"Namespaces ({shown:,} of {total:,})")
        if not result.memory_mode.permitted:
            tabs.get_tab("top-memory").label = Content("Top memory (not permitted)")
        lines = health_lines(result)
        self.query_one("#analysis-health", Static).update(Content("\n".join(lines)))

    def _fill_tops(self, result: AnalysisResult) -> None:
        if result is not self.result:
            return  # a newer result came meanwhile
        self._top_keys["top-memory"] = [e.key for e in result.top_by_memory[:TOP_ROWS]]
        self._top_keys["top-length"] = [e.key for e in result.top_by_length[:TOP_ROWS]]
        self._rows("top-memory", top_rows(result.top_by_memory))
        self._rows("top-length", top_rows(result.top_by_length))

    def _rows(self, name: str, rows: Sequence[Row]) -> None:
        table = self._table(name)
        table.clear()
        columns = NAMESPACE_COLUMNS if name == "namespaces" else TOP_COLUMNS
        justify: list[Literal["left", "right"]] = [
            "right" if column in RIGHT else "left" for column in columns
        ]
        table.add_rows(
            [
                [Text(cell, justify=j, no_wrap=True) for cell, j in zip(row, justify, strict=True)]
                for row in rows
            ]
        )

    # -- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Shown dimmed where they do nothing now: stop when nothing runs, rerun while it runs.
        running = self.state in ("running", "stopping")
        if action == "stop":
            return True if self.state == "running" else None
        if action == "rerun":
            return None if running else True
        return True

    def action_back(self) -> None:
        if self.state == "running":
            self.action_stop()
        else:
            # Stopping: the partial result is kept when it comes, shown by :analyze again.
            self._dismiss(None)

    def action_stop(self) -> None:
        if self.state == "running":
            self.state = "stopping"
            self._stop()
            self._show()

    def action_rerun(self) -> None:
        if self.state not in ("running", "stopping"):
            self._rerun()

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        at = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(at + step) % len(TABS)]
        if tabs.active != "health":
            self._table(tabs.active).focus()
        else:
            self.query_one("#analysis-health-box").focus()

    def action_open(self) -> None:
        tabs = self.query_one(TabbedContent)
        keys = self._top_keys.get(tabs.active)
        if not keys:
            return
        row = self._table(tabs.active).cursor_row
        if 0 <= row < len(keys):
            self._dismiss(keys[row])

    @on(DataTable.RowSelected)
    def row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def _dismiss(self, key: bytes | None) -> None:
        # Answered once: an esc or enter typed twice never pops the browser under it.
        if self._answered or not self.is_current:
            return
        self._answered = True
        self.dismiss(key)
