"""The session's write context: the read-only switch, the command log and the undo stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis_tui.errors import ReadOnlyRefused

if TYPE_CHECKING:
    from redis_tui.data.edit.cmdlog import CommandLog
    from redis_tui.data.edit.undo import UndoStack


class WriteGuard:
    """The session's write context: the read-only switch, the command log, the undo stack.

    ``check`` refuses every write while read-only. It lives in the data layer so no UI path
    can skip it; every edit (``ops.apply``), ``undo`` and ``bulk`` call it first.
    """

    def __init__(
        self,
        readonly: bool,
        log: CommandLog | None = None,
        undo: UndoStack | None = None,
    ) -> None:
        self.readonly = readonly
        self.log = log
        self.undo = undo

    def check(self, action: str) -> None:
        """Raises ReadOnlyRefused (and logs the refusal) when the connection is read-only."""
        if self.readonly:
            message = f"Read-only connection: {action} refused"
            if self.log is not None:
                self.log.append((), message, ok=False, op=action)
            raise ReadOnlyRefused(message)
