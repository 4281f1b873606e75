"""Live updates, the browser's side: attributes down to the worker (what is visible, what is
open, which value to watch, which sizes to ask for) and the changes it reports back."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from redis_tui.ui.worker import messages as m

if TYPE_CHECKING:
    from redis_tui.ui.browser.host import Host
    from redis_tui.ui.widgets.connection_pane import ConnectionPane

WATCH_DUMP_BYTES = 64 * 1024  # values up to this size are fingerprinted by DUMP each poll
SIZE_RETRY = 5.0  # ask again for sizes that never came after this many seconds


class LiveFlow:
    """Keeps the worker told what the screen shows, and the screen current."""

    def __init__(self, host: Host, conn_pane: ConnectionPane) -> None:
        self.host = host
        self.conn_pane = conn_pane
        self._sizes_asked: tuple[tuple[bytes, ...], float] = ((), 0.0)

    def push_view_state(self) -> None:
        """Tell the worker what is visible and whether a modal is open."""
        host, redis = self.host, self.host.redis
        redis.visible = host.keys.visible_rows()
        self._request_sizes()
        redis.hold = host.modal_open()
        self._watch_value()
        self.update_status()

    def update_status(self) -> None:
        redis, every = self.host.redis, self.host.poll_interval
        if redis.paused:
            text = "live updates paused (p resumes)"
        elif redis.hidden:
            text = "paused while the terminal is hidden"
        elif redis.live_mode == "events":
            text = f"live · keyspace events · polling every {every:g}s"
        else:
            text = f"live · polling every {every:g}s"
        self.conn_pane.set_live(text)

    def _watch_value(self) -> None:
        """The value on screen, so the poll notices when it changes."""
        value = self.host.value_pane.value
        if value is None or value.key != self.host.keys.current_key:
            self.host.redis.watch = None
            return
        from redis_tui.data.gateway import Watch  # with the connection, not at start

        small = (value.length or 0) <= (WATCH_DUMP_BYTES if value.type == "string" else 512)
        self.host.redis.watch = Watch(value.key, value.type, small)

    def _request_sizes(self) -> None:
        """Ask for the sizes of the visible keys not known yet: at most once per tick, and
        the same rows again only after SIZE_RETRY seconds (a reply lost with the link)."""
        rows = self.host.view.store.unknown_sizes(self.host.keys.visible_rows())
        if not rows:
            return
        keys, now = tuple(key for _, key in rows), time.monotonic()
        asked, at = self._sizes_asked
        if keys == asked and now - at < SIZE_RETRY:
            return
        self._sizes_asked = (keys, now)
        self.host.redis.fetch_sizes(rows)

    def sizes_fetched(self, event: m.KeySizesFetched) -> None:
        self.host.view.store.set_sizes(event.keys, event.sizes, event.hints)
        self._sizes_asked = ((), 0.0)
        self.host.keys.refresh_changed()

    def value_changed(self, event: m.ValueChanged) -> None:
        # Never under an open dialog: an edit in progress keeps the version it started from.
        if event.key == self.host.keys.current_key and not self.host.modal_open():
            self.host.redis.load(event.key)

    def keyspace_changed(self, event: m.KeyspaceChanged) -> None:
        host = self.host
        current = host.keys.current_key
        if host.view.mark_gone(list(event.gone), time.monotonic()):
            host.keys.refresh_changed()
        if current is not None and not host.modal_open():
            if current in event.changed:
                host.redis.load(current)
            elif current in event.gone:
                host.value_pane.show_error(current, "Deleted or expired on the server")
