"""``:export`` and ``:import``: progress, the import's dry run and confirmation, and the
per-key question of the ``ask`` policy, in one dialog.

Stages: an export runs at once (it only writes a new file) → done. An import: ``planning``
(the dry run) → ``confirm`` (what will happen, ``y`` imports) → ``importing`` (progress;
``asking`` while a key that exists waits for r / s / R / S) → ``done``. ``esc`` cancels what
runs (after the page or key in flight) or closes.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import ProgressBar, Static

from redis_tui.data.transfer.exporter import ExportProgress, ExportSummary
from redis_tui.data.transfer.importer import Choice, ImportPlan, ImportProgress, ImportSummary
from redis_tui.data.values.display import escape_key
from redis_tui.ui.screens.base import Dialog

ANSWERS = frozenset({"y", "r", "s", "R", "S"})
ASK_HINT = "r: replace it · s: skip it · R: replace all · S: skip all · esc: stop"


def _clip(key: bytes, cells: int = 300) -> str:
    text = escape_key(key)
    if len(text) <= cells:
        return text
    half = cells // 2
    return f"{text[:half]}…{text[-half:]} ({len(key):,} bytes)"


class TransferScreen(Dialog[bool]):
    """Dismisses with True when keys were written (the key list should be rescanned)."""

    DECISION = True
    BINDINGS = [
        Binding("y", "confirm", "Import", id="transfer.confirm", tooltip="Start the import"),
        Binding("r", "choose('replace')", "Replace", id="transfer.replace", tooltip="Replace it"),
        Binding("s", "choose('skip')", "Skip", id="transfer.skip", tooltip="Skip it"),
        Binding(
            "R",
            "choose('replace all')",
            "Replace all",
            id="transfer.replace_all",
            tooltip="Replace this and every other existing key",
        ),
        Binding(
            "S",
            "choose('skip all')",
            "Skip all",
            id="transfer.skip_all",
            tooltip="Skip this and every other existing key",
        ),
        Binding("escape,n", "cancel", "Cancel", id="transfer.cancel", tooltip="Stop or close"),
        Binding("q", "app.quit", "Quit", show=False, id="transfer.quit", tooltip="Quit redis-tui"),
    ]

    def __init__(
        self,
        title: str,
        *,
        importing: bool,
        start: Callable[[], None] | None = None,
        answer: Callable[[Choice], None] | None = None,
        stop: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.stage = "planning" if importing else "exporting"
        self._start = start
        self._answer = answer
        self._stop = stop
        self.wrote = False
        self.body = (
            "Reading the file (dry run: nothing is written yet)…"
            if importing
            else "Exporting… (esc stops; a stopped export leaves no file)"
        )
        self.hint = "esc: cancel"
        self._total: int | None = None
        self._read = 0
        self._ready = False
        self._asked_at = 0.0

    def compose(self) -> ComposeResult:
        with Vertical(id="transfer-dialog", classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title", markup=False)
            yield Static(Content(self.body), id="transfer-body", markup=False)
            yield ProgressBar(id="transfer-progress", show_eta=False)
            yield Static(
                Content(self.hint), id="transfer-hint", classes="dialog-hint", markup=False
            )

    def on_mount(self) -> None:
        self._ready = True
        self._show()

    def _say(self, body: str, hint: str | None = None) -> None:
        """What the dialog says; kept, so a message that lands before it is shown counts."""
        self.body = body
        if hint is not None:
            self.hint = hint
        self._show()

    def _show(self) -> None:
        if not self._ready:  # compose() shows what is said by then
            return
        self.query_one("#transfer-body", Static).update(Content(self.body))
        self.query_one("#transfer-hint", Static).update(Content(self.hint))
        bar = self.query_one("#transfer-progress", ProgressBar)
        bar.display = self.stage in ("importing", "asking", "stopping") or self._total is not None
        if self._total is not None:
            bar.update(total=self._total, progress=self._read)

    # -- from the flow (worker messages) -----------------------------------------------------

    def export_progressed(self, progress: ExportProgress) -> None:
        if self.stage == "exporting":
            self._say(
                f"Exported {progress.keys:,} keys, {progress.written:,} bytes written… "
                "esc stops (no file is left)."
            )

    def exported(self, summary: ExportSummary) -> None:
        self.stage = "done"
        self._say(summary.describe(), "esc: close")

    def planned(self, plan: ImportPlan, at: float = 0.0) -> None:
        """``at``: when the dry run ended (the message's time); keys typed before it were
        typed before its question was asked, and do not answer it."""
        if self.stage != "planning":
            return
        self._asked_at = at
        lines = [f"{plan.keys:,} keys in the file ({plan.format} format, {plan.size:,} bytes):"]
        lines.append(f"  {plan.create:,} will be created")
        if plan.replace:
            lines.append(f"  {plan.replace:,} exist and will be REPLACED — no undo")
        if plan.ask:
            lines.append(f"  {plan.ask:,} exist: you will be asked for each ({ASK_HINT})")
        if plan.skip:
            lines.append(f"  {plan.skip:,} exist and will be skipped (left as they are)")
        if plan.expired:
            lines.append(f"  {plan.expired:,} skipped: their TTL passed since the export")
        if plan.unsupported:
            lines.append(f"  {plan.unsupported:,} skipped: a type the file cannot restore")
        if plan.create + plan.replace + plan.ask == 0:
            self.stage = "done"
            self._say("\n".join([*lines, "", "Nothing to import."]), "esc: close")
            return
        self.stage = "confirm"
        lines += ["", "Press y to import (TTLs are kept; each key is written whole or not at all)."]
        self._say("\n".join(lines), "y: import · n/esc: cancel")

    def import_progressed(self, progress: ImportProgress) -> None:
        self.wrote = self.wrote or progress.created + progress.replaced > 0
        self._total, self._read = max(progress.total, 1), progress.read
        self._show()
        if self.stage == "importing":
            self._say(
                f"{progress.done:,} keys: {progress.created:,} created, "
                f"{progress.replaced:,} replaced, {progress.skipped:,} skipped, "
                f"{progress.expired:,} expired… esc stops after the key in flight."
            )

    def asked(self, key: bytes, at: float = 0.0) -> None:
        self.stage = "asking"
        self._asked_at = at
        self._say(f"{_clip(key)}\nexists. Replace it (no undo) or skip it?", ASK_HINT)

    def imported(self, summary: ImportSummary) -> None:
        self.stage = "done"
        self.wrote = self.wrote or summary.created + summary.replaced > 0
        if not summary.cancelled:  # the last progress message may have been throttled away
            self._total = self._read = self._total or 1
        self._say(summary.describe(), "esc: close")

    def failed(self, reason: str) -> None:
        self.stage = "done"
        self._say(f"Failed: {reason}", "esc: close")

    # -- keys -----------------------------------------------------------------------------

    @on(events.Key)
    def _typed_before_the_question(self, event: events.Key) -> None:
        early = event.time < self._asked_at
        if self.stage in ("confirm", "asking") and event.key in ANSWERS and early:
            event.stop()
            event.prevent_default()
            self.notify(
                f"Ignored {event.key!r}: typed before this question; press it again",
                severity="warning",
                timeout=3,
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return self.stage == "confirm"
        if action == "choose":
            return self.stage == "asking"
        return True

    def action_confirm(self) -> None:
        if self.stage != "confirm" or self._start is None:
            return
        self.stage = "importing"
        self._say("Importing…", "esc: stop after the key in flight")
        self._start()

    def action_choose(self, choice: Choice) -> None:
        if self.stage != "asking" or self._answer is None:
            return
        self.stage = "importing"
        self._say(f"{choice.capitalize()}… importing.", "esc: stop after the key in flight")
        self._answer(choice)

    def action_cancel(self) -> None:
        if self.stage in ("exporting", "planning", "importing", "asking"):
            if self._stop is not None:
                self._stop()
            if self.stage in ("importing", "asking", "exporting"):
                self.stage = "stopping"
                self._say("Stopping after the key in flight…")
                return
        if self.stage == "stopping":
            return
        self.dismiss(self.wrote)
