"""The selection is not the value: the highlighted key, and the actions typed ahead of it.

A user types ``/ pattern enter d`` or ``:key NAME`` then ``e`` without waiting for the screen.
Each action is taken at the moment its key is pressed, for the row that is (or is about to
be) highlighted: actions on the key run as soon as there is a key, actions on the value as
soon as that key's value is loaded. Nothing is dropped silently: an action that can no longer
run says why. A plain class, unit-tested without an app.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Pending:
    """An action typed before its target was ready."""

    action: str
    needs_value: bool
    # The key it acts on; None: the first row a running scan or lookup will highlight.
    key: bytes | None


class Selection:
    """Holds typed-ahead actions until the key (and, when needed, its value) is there.

    ``run(action, key)`` carries an action out; ``say(text)`` tells the user why one did not.
    """

    def __init__(
        self,
        run: Callable[[str, bytes], None],
        say: Callable[[str], None],
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self._run = run
        self._say = say
        # A dialog is open: what was typed before it waits until it closes (``resume``).
        self._busy = busy
        self.pending: deque[Pending] = deque()
        # ``:key NAME`` asked for: actions typed after it act on NAME, not the row before.
        self.expected: bytes | None = None

    def request(
        self,
        action: str,
        *,
        needs_value: bool,
        current: bytes | None,
        loaded: bytes | None,
        waiting: bool,
    ) -> bool:
        """The user pressed ``action``. ``current``: the highlighted key; ``loaded``: the key
        whose value is on screen; ``waiting``: rows are on their way (a scan or lookup runs).

        Returns True when it was queued (the caller should make sure the value loads).
        """
        target = self.expected if self.expected is not None else current
        if self.pending or target is None or (needs_value and loaded != target):
            if target is None and not waiting:
                self._say(f"{_label(action)}: no key selected")
                return False
            self.pending.append(Pending(action, needs_value, target))
            return True
        if self._busy():
            self.pending.append(Pending(action, needs_value, target))
            return False
        self._run(action, target)
        return False

    def expect(self, key: bytes) -> None:
        """A lookup of ``key`` is under way: what is typed now is for it."""
        self.expected = key

    def lookup_failed(self, key: bytes) -> None:
        if self.expected == key:
            self.expected = None
            self._drop(lambda p: p.key == key, "the key was not found")

    def highlighted(self, key: bytes | None, loaded: bytes | None) -> None:
        """The cursor is on ``key`` now (rows arrived, a lookup landed, the user moved)."""
        if key is not None and self.expected == key:
            self.expected = None
        if self.expected is not None:
            return
        # The first row of a scan is what actions typed during it meant.
        self.pending = deque(
            Pending(p.action, p.needs_value, key) if p.key is None else p for p in self.pending
        )
        self._drain(key, loaded)

    def value_loaded(self, key: bytes, current: bytes | None) -> None:
        self._drain(current, key)

    def value_failed(self, key: bytes, reason: str) -> None:
        self._drop(lambda p: p.key == key and p.needs_value, reason)

    def resume(self, current: bytes | None, loaded: bytes | None) -> None:
        """A dialog closed: the next action typed ahead of it runs."""
        self._drain(current, loaded)

    def clear(self, why: str) -> None:
        """A new connection or database: nothing typed for the old one runs."""
        self.expected = None
        self._drop(lambda p: True, why)

    def _drain(self, current: bytes | None, loaded: bytes | None) -> None:
        while self.pending and not self._busy():
            first = self.pending[0]
            if first.key is None:
                return
            if first.key != current:
                # The user moved on before the value came: the action is not carried out on
                # a row the user no longer looks at.
                self.pending.popleft()
                self._say(f"{_label(first.action)}: cancelled, the cursor moved to another key")
                continue
            if first.needs_value and loaded != first.key:
                return
            self.pending.popleft()
            self._run(first.action, first.key)

    def _drop(self, which: Callable[[Pending], bool], why: str) -> None:
        kept: deque[Pending] = deque()
        for item in self.pending:
            if which(item):
                self._say(f"{_label(item.action)}: not done, {why}")
            else:
                kept.append(item)
        self.pending = kept


def _label(action: str) -> str:
    return action.replace("_", " ").capitalize()
