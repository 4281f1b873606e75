"""The base of every dialog: answered once, and (for decisions) never by keys typed before it.

Enter or Esc pressed twice quickly must not dismiss a dialog twice (that pops the screen under
it). A confirmation is answered only by keys typed after it appeared: a ``d y`` typed in one
burst opens the delete dialog but does not confirm it, and the user is told.
"""

from __future__ import annotations

from typing import TypeVar

from textual import events, on
from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

R = TypeVar("R")


async def _nothing() -> None:
    return None


class Dialog(ModalScreen[R]):
    """A modal screen that can be answered once."""

    # Decisions (yes/no, overwrite/reload) ignore keys typed before they were shown.
    DECISION = False

    def __init__(self) -> None:
        super().__init__()
        self._answered = False
        self._shown_at: float | None = None

    @on(events.Mount)
    def _record_shown(self, event: events.Mount) -> None:
        self._shown_at = event.time

    @property
    def on_screen(self) -> bool:
        """Mounted: from now on a decision takes the keys typed (earlier ones it refuses)."""
        return self._shown_at is not None

    def dismiss(self, result: R | None = None) -> AwaitComplete:
        if self._answered or not self.is_current:
            return AwaitComplete(_nothing())
        self._answered = True
        return super().dismiss(result)

    @on(events.Key)
    def _refuse_early_answers(self, event: events.Key) -> None:
        if not self.DECISION:
            return
        shown = self._shown_at
        if shown is None or event.time < shown:
            # Typed before the question was on screen: it cannot be its answer.
            event.stop()
            event.prevent_default()
            self.notify(
                f"Ignored {event.key!r}: typed before this dialog appeared; press it again",
                severity="warning",
                timeout=3,
            )
