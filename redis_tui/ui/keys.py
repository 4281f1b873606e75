"""Keys typed ahead, in order: each key is handled to the end before the next is routed.

Textual forwards every key to the widget focused *when the key is read*, and its own focus
changes are deferred (``Widget.focus`` runs at the end of the App's queue). A burst such as
``/ pattern enter d`` therefore lands on the wrong widget: the pattern on the key list, the
``d`` in the closed filter box, the first characters of a dialog's answer on no widget at
all. The router holds keys back and routes the next one only when the previous one's
handling (its bindings, the messages it set off, the focus changes it asked for, a dialog it
opened) has settled. It waits on the message queues themselves, never on a clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message_pump import MessagePump

# A handler that never lets its queue drain (it awaits a dialog, say) must not hold the
# keys behind it for good: after this long the next key goes on.
SETTLE_TIMEOUT = 1.0
# Queue hops a key or what it set off may still travel (bubbling up, callbacks, a mount).
APP_ROUNDS = 3
# Work a key began off the loop (a sort of millions of keys in a thread, see ``hold``) holds
# the keys behind it at most this long.
HOLD_TIMEOUT = 15.0


class KeyRouter:
    """Owned by the App: ``offer(key)`` queues a key; a task routes them one at a time."""

    def __init__(
        self,
        app: App[None],
        route: Callable[[events.Key], Awaitable[None]],
        ready: asyncio.Event | None = None,
    ) -> None:
        self.app = app
        self._route = route
        # Keys wait for this (at most SETTLE_TIMEOUT): the parts of the screen composed just
        # after its first frame, which the first keys may open or focus.
        self._ready = ready
        self._keys: deque[events.Key] = deque()
        self._task: asyncio.Task[None] | None = None
        self._holds: list[asyncio.Event] = []

    def offer(self, key: events.Key) -> None:
        self._keys.append(key)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    @property
    def pending(self) -> int:
        return len(self._keys)

    def hold(self, until: asyncio.Event) -> None:
        """The key being handled began work that ends when ``until`` is set (a sort in a
        thread): the keys typed after it wait for that, so that ``:sort name`` then ``g``
        goes to the first key by name, not the first one of the order being replaced."""
        self._holds.append(until)

    async def _drain(self) -> None:
        ready, self._ready = self._ready, None
        if ready is not None and not ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), SETTLE_TIMEOUT)
        while self._keys:
            key = self._keys.popleft()
            screen = self.app.screen
            target: DOMNode = self.app.focused or screen
            try:
                await self._route(key)
            except Exception as exc:
                # Raised again on the App's own queue: its usual error handling takes over.
                self.app.call_later(_reraise, exc)
                return
            await self._settle(target, screen)
            holds, self._holds = self._holds, []
            for until in holds:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(until.wait(), HOLD_TIMEOUT)

    async def _settle(self, target: DOMNode, screen: DOMNode) -> None:
        """Wait until the key has travelled up from ``target`` to the App and what it set off
        (focus changes, a pushed screen's mount and focus) has run."""
        node: DOMNode | None = target
        while node is not None and node is not self.app:
            await _barrier(node)
            node = node.parent
        for _ in range(APP_ROUNDS):
            await _barrier(self.app)
        current = self.app.screen
        if current is not screen:
            # A dialog opened or closed: its mount and its first focus come before any key.
            await _barrier(current)
            for _ in range(APP_ROUNDS):
                await _barrier(self.app)


def _reraise(exc: Exception) -> None:
    raise exc


async def _barrier(pump: MessagePump) -> None:
    """Return once ``pump`` has processed everything queued to it before this call."""
    done = asyncio.Event()
    if not pump.call_later(done.set):
        return  # closed or closing: nothing more will run there
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), SETTLE_TIMEOUT)
