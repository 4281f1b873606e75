"""``:del PATTERN``: a dry run, a typed confirmation with the count, then paced deletion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, ProgressBar, Static

from redis_tui.data.edit.bulk import confirmation_phrase
from redis_tui.data.values.display import escape_key
from redis_tui.ui.screens.base import Dialog


class BulkDeleteScreen(Dialog[bool]):
    """Dismisses with True when keys were deleted (the list should be rescanned)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="bulk.cancel", tooltip="Cancel (stops a delete)"),
        Binding("q", "app.quit", "Quit", show=False, id="bulk.quit", tooltip="Quit redis-tui"),
    ]

    def __init__(
        self, pattern: bytes, *, start: Callable[[bytes], None], cancel: Callable[[], None]
    ) -> None:
        super().__init__()
        self.pattern = pattern
        # What the owner does on a confirmed phrase and on esc (typed, no reach into the app).
        self._start = start
        self._cancel = cancel
        self.phrase: str | None = None
        self.stage = "counting"
        self.deleted_any = False

    def compose(self) -> ComposeResult:
        with Vertical(id="bulk-dialog", classes="dialog"):
            yield Static(
                Content.from_markup("Delete keys matching [b]$p[/b]", p=escape_key(self.pattern)),
                classes="dialog-title",
                markup=False,
            )
            yield Static(
                Content("Counting matches (dry run, nothing is deleted)…"),
                id="bulk-body",
                markup=False,
            )
            yield Input(placeholder="type the phrase above to confirm", id="bulk-confirm")
            yield ProgressBar(id="bulk-progress", show_eta=False)
            yield Static(
                Content("esc: cancel"), id="bulk-hint", classes="dialog-hint", markup=False
            )

    def on_mount(self) -> None:
        self.query_one("#bulk-confirm").display = False
        self.query_one("#bulk-progress").display = False

    def dry_run_done(self, dry: Any) -> None:
        if self.stage != "counting":
            return
        body = self.query_one("#bulk-body", Static)
        if dry.count == 0:
            self.stage = "done"
            body.update(Content("No key matches: nothing to delete."))
            return
        self.stage = "confirm"
        self.phrase = confirmation_phrase(dry)
        lines = [
            f"{'At least ' if not dry.complete else ''}{dry.count:,} keys match "
            f"({dry.scanned:,} SCAN calls, {dry.seconds:.1f}s). Sample:",
            *(f"  {escape_key(key)}" for key in dry.sample),
            "",
            f'Type "{self.phrase}" and press enter to delete them (UNLINK in paced batches).',
        ]
        body.update(Content("\n".join(lines)))
        box = self.query_one("#bulk-confirm", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#bulk-confirm")
    def confirmed(self, event: Input.Submitted) -> None:
        if self.stage != "confirm" or event.value.strip() != self.phrase:
            if self.stage == "confirm":
                # Said in the dialog itself too: nothing was deleted, and what to type.
                wrong = f'Not the phrase: nothing deleted. Type exactly "{self.phrase}"'
                self.query_one("#bulk-hint", Static).update(Content(f"{wrong} · esc: cancel"))
                self.notify(wrong, severity="warning", markup=False)
            return
        self.stage = "deleting"
        event.input.display = False
        bar = self.query_one("#bulk-progress", ProgressBar)
        bar.display = True
        bar.update(total=int(self.phrase.split()[-1]), progress=0)
        self.query_one("#bulk-body", Static).update(
            Content("Deleting… esc stops after the batch in flight.")
        )
        self._start(self.pattern)

    def progressed(self, progress: Any) -> None:
        self.deleted_any = self.deleted_any or progress.deleted > 0
        bar = self.query_one("#bulk-progress", ProgressBar)
        if bar.total is not None and progress.deleted > bar.total:
            bar.update(total=progress.deleted)
        bar.update(progress=progress.deleted)
        self.query_one("#bulk-body", Static).update(
            Content(
                f"Deleted {progress.deleted:,} of {progress.matched:,} matched so far… esc stops."
            )
        )

    def finished(self, summary: Any) -> None:
        self.stage = "done"
        self.deleted_any = self.deleted_any or summary.deleted > 0
        self.query_one("#bulk-body", Static).update(Content(summary.describe()))
        self.query_one("#bulk-hint", Static).update(Content("esc: close"))

    def action_cancel(self) -> None:
        if self.stage in ("counting", "deleting"):
            self._cancel()
            if self.stage == "deleting":
                self.query_one("#bulk-body", Static).update(
                    Content("Stopping after the batch in flight…")
                )
                return
        self.dismiss(self.deleted_any)
