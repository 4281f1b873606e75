"""The session health report (``:sessions report`` or ``H`` in the inspector): the figures as
text, and a sparkline of the live sessions counted while the app has run."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Sparkline, Static, TextArea

from redis_tui.data.values.display import escape_text
from redis_tui.ui.screens.base import Dialog


class SessionReportScreen(Dialog[None]):
    """Read-only; esc closes it."""

    AUTO_FOCUS = "TextArea"

    BINDINGS = [
        Binding("escape", "close", "Close", id="report.close", tooltip="Close"),
        Binding("q", "app.quit", "Quit", show=False, id="report.quit", tooltip="Quit redis-tui"),
    ]

    def __init__(self, text: str, live: Sequence[int], every_s: float) -> None:
        super().__init__()
        self.text = text
        self.live = list(live)
        self.every_s = every_s

    def compose(self) -> ComposeResult:
        with Vertical(id="report-dialog"):
            yield Static("Session health — esc closes", id="report-title", markup=False)
            if len(self.live) >= 2:
                low, high = min(self.live), max(self.live)
                minutes = (len(self.live) - 1) * self.every_s / 60
                yield Static(
                    f"live sessions over the last {minutes:.0f} min: "
                    f"{self.live[-1]:,} now, {low:,}–{high:,}",
                    id="report-trend",
                    markup=False,
                )
                yield Sparkline(self.live, id="report-sparkline")
            else:
                yield Static(
                    "live sessions: counted every few seconds while the inspector is open "
                    "(the sparkline appears after the second count)",
                    id="report-trend",
                    markup=False,
                )
            yield TextArea(escape_text(self.text), read_only=True, id="report-body")

    def action_close(self) -> None:
        self.dismiss(None)
