"""The browser: the main screen composing the panes, the scan view and the flows.

The App gives it a worker (``attach``) and takes it away on a switch; everything the user
does on the key list, the value pane and the session inspector is handled here or in the
flows composed below (edits, sessions, values), each a plain object.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar, cast

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Static

from redis_tui.config import Config, Profile
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.sorting import SortJob
from redis_tui.data.values.display import escape_key
from redis_tui.ui.browser.analysis import AnalysisFlow
from redis_tui.ui.browser.bindings import browser_bindings
from redis_tui.ui.browser.colon import COLON_COMMANDS
from redis_tui.ui.browser.live import LiveFlow
from redis_tui.ui.browser.scan_view import GONE_GRACE, SORT_ORDER, Filters, ScanView
from redis_tui.ui.browser.selection import Selection
from redis_tui.ui.browser.values import ValueFlow
from redis_tui.ui.commands import CommandBar, CommandError, palette
from redis_tui.ui.style import update_static
from redis_tui.ui.widgets.connection_pane import ConnectionPane
from redis_tui.ui.widgets.footer import TidyFooter
from redis_tui.ui.widgets.key_list import KeyList
from redis_tui.ui.widgets.namespace_list import NamespaceList
from redis_tui.ui.widgets.session_pane import SessionPane
from redis_tui.ui.widgets.value_pane import ValuePane
from redis_tui.ui.worker import messages as m
from redis_tui.ui.worker.service import RedisWorker
from redis_tui.ui.worker.transfer import TransferMessage

if TYPE_CHECKING:
    from redis_tui.data.edit.version import Version
    from redis_tui.data.scan.first import FirstPage
    from redis_tui.ui.browser.edits import EditFlow
    from redis_tui.ui.browser.sessions import SessionFlow
    from redis_tui.ui.browser.transfer import TransferFlow

T = TypeVar("T")

# Actions that write: on a read-only connection they say why they are refused.
WRITE_ACTIONS = frozenset(
    {
        "delete",
        "edit",
        "add_element",
        "remove_element",
        "ttl",
        "rename",
        "copy_to",
        "undo",
        "field_ttl",
    }
)
# Actions on "the selected key": typed ahead, they wait for it (see ``Selection``).
KEY_ACTIONS = frozenset({"delete", "ttl", "rename", "copy_to", "copy_key", "save_value"})
VALUE_ACTIONS = frozenset(
    {"edit", "add_element", "remove_element", "copy_value", "more", "cycle_format", "field_ttl"}
)
# Below this width the panes take turns: the key list full width, the value pane full width
# on enter and back on esc (as lazygit does), so key names keep their room.
NARROW_WIDTH = 100
# The footer shows the focused pane's keys, in this order (binding ids); the rest still work.
FOOTER_KEYS: dict[str, tuple[str, ...]] = {
    "keys": ("keys.open", "tree.open", "tree.up", "app.filter", "app.command", "app.ttl",
             "app.delete", "app.undo", "app.tree", "app.zoom", "app.connect", "app.help",
             "app.quit"),
    "value": ("value.more", "value.format", "value.search", "app.edit", "app.back",
              "value.remove", "value.tree", "app.add", "app.zoom", "app.copy_value",
              "app.save_value", "app.help", "app.quit"),
    "sessions": ("sessions.open", "sessions.revoke", "sessions.ttl", "sessions.edit",
                 "app.back", "sessions.filter", "sessions.group", "sessions.sort",
                 "sessions.cookie", "sessions.report", "app.zoom", "app.help", "app.quit"),
    "connection": ("app.connect", "app.command", "app.pane2", "app.zoom", "app.help",
                   "app.quit"),
}  # fmt: skip
Pane = Literal["connection", "keys", "value", "sessions"]
# The value under the cursor loads once the cursor rests: LOAD_DELAY after a single move, and
# BURST_LOAD_DELAY after a move that came within BURST_LOAD_DELAY of the one before (a held or
# fast-typed j), so that a run of moves loads only the key it ends on.
LOAD_DELAY = 0.06
BURST_LOAD_DELAY = 0.15
REPAINT_INTERVAL = 0.1  # while scanning, show new rows at most this often


def run_in_daemon_thread(work: Callable[[], T]) -> Awaitable[T]:
    """``work()`` in a thread of its own that never holds up the exit: ``q`` during a sort of
    millions of keys quits at once (``asyncio.to_thread``'s pool is joined at exit)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(cast(T, result))

    def run() -> None:
        try:
            result = work()
        except Exception as exc:
            outcome: tuple[T | None, BaseException | None] = (None, exc)
        else:
            outcome = (result, None)
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="redis-tui-sort", daemon=True).start()
    return done


class BrowserScreen(Screen[None]):
    """The key list, the value pane, the session inspector and the connection pane."""

    BINDINGS: ClassVar[list[BindingType]] = browser_bindings()
    COMMANDS = Screen.COMMANDS | {palette(COLON_COMMANDS)}

    def __init__(
        self, settings: ConnectionSettings, config: Config, profile: Profile | None = None
    ) -> None:
        super().__init__()
        self._settings = settings
        self._config = config
        self._profile = profile
        self.poll_interval = 2.0
        self.worker_: RedisWorker | None = None
        self.view = ScanView()
        self.view.sort_runner = self._run_sort
        # Set by the App: keys typed after this one wait for the event (``KeyRouter.hold``).
        self.hold_keys: Callable[[asyncio.Event], None] | None = None
        # Set when no sort is on its way any more; a sort the user asked for is announced.
        self._sorts_landed: list[asyncio.Event] = []
        self._announce_sort: SortJob | None = None
        self.version: Version | None = None
        self._load_timer: Timer | None = None
        self._highlighted_at = 0.0
        # A rescan: the key the cursor was on, and the user's cursor moves then. The cursor
        # goes back to that key when it is listed again, unless the user moved meanwhile.
        self._follow: tuple[bytes, int] | None = None
        # The start-up check's first page, until it is shown (``_show_first_page``).
        self._first: FirstPage | None = None
        self.conn_pane = ConnectionPane(settings, id="connection")
        self.conn_pane.profile = profile
        self.filter_box = Input(
            placeholder="glob pattern, e.g. cache:user:*  (enter applies, esc cancels)", id="filter"
        )
        self.keys = KeyList(self.view.store, id="keys")
        self.keys.outside = self.view.outside
        self.status = Static("", id="scan-status", markup=False)
        self.banner = Static("", id="production-banner", markup=False)
        self.value_pane = ValuePane(id="value")
        self.session_pane = SessionPane(id="sessions")
        self.switcher = ContentSwitcher(initial="value", id="right")
        self.command_bar = CommandBar(COLON_COMMANDS, id="command-bar")
        self.selection = Selection(self._run_action, self._say, self.modal_open)
        self._edits: EditFlow | None = None
        self._sessions: SessionFlow | None = None
        self._transfer: TransferFlow | None = None
        self.values = ValueFlow(self, lambda: self.edits)
        self.live = LiveFlow(self, self.conn_pane)
        self.analysis = AnalysisFlow(self)
        self.pane: Pane | None = None
        # Set once the panes hidden at start are mounted (``_compose_hidden``).
        self.composed = asyncio.Event()

    # -- the flows behind dialogs: built, and their modules imported, on first use -------
    # (edits, sessions and transfer bring the dialogs and the session code: 0.1 s at start,
    # for a first screen that shows none of them)

    @property
    def edits(self) -> EditFlow:
        if self._edits is None:
            from redis_tui.ui.browser.edits import EditFlow

            self._edits = EditFlow(self)
        return self._edits

    @property
    def sessions(self) -> SessionFlow:
        if self._sessions is None:
            from redis_tui.ui.browser.sessions import SessionFlow

            self._sessions = SessionFlow(self, self.edits)
        return self._sessions

    @property
    def transfer(self) -> TransferFlow:
        if self._transfer is None:
            from redis_tui.ui.browser.transfer import TransferFlow

            self._transfer = TransferFlow(self, self.edits)
        return self._transfer

    # -- what the flows read (attributes down from the App) -----------------------------

    @property
    def redis(self) -> RedisWorker:
        assert self.worker_ is not None, "worker not started"
        return self.worker_

    @property
    def settings(self) -> ConnectionSettings:
        return self._settings

    @property
    def profile(self) -> Profile | None:
        return self._profile

    @property
    def config(self) -> Config:
        return self._config

    def check_message_enabled(self, message: Message) -> bool:
        # A late reply from an old connection, database or worker never reaches this one.
        if isinstance(message, m.WorkerMessage) and (
            self.worker_ is None or message.connection != self.worker_.connection
        ):
            return False
        return super().check_message_enabled(message)

    def modal_open(self) -> bool:
        return self.app.screen is not self

    def push_screen(
        self, screen: Screen[T], callback: Callable[[T | None], None] | None = None
    ) -> object:
        return self.app.push_screen(screen, callback)

    def copy_to_clipboard(self, text: str) -> None:
        self.app.copy_to_clipboard(text)

    def _say(self, text: str) -> None:
        self.notify(text, severity="warning", timeout=3)

    # -- compose and lifecycle ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.banner
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.conn_pane
                yield self.filter_box
                yield self.keys
                yield self.status
            with self.switcher:
                yield self.value_pane
                # The session inspector (hidden at start) comes after the first frame.
        yield self.command_bar
        yield TidyFooter()

    async def _compose_hidden(self) -> None:
        """What the first frame does not show, mounted right after it (~25 ms earlier
        frame): the session inspector and the value pane's text (empty until a value comes),
        tree, table and search box. Keys wait for it (``composed``, see ``KeyRouter``)."""
        try:
            self.session_pane.display = False
            await self.switcher.mount(self.session_pane)
            await self.value_pane.compose_hidden()
        finally:
            self.composed.set()

    def on_mount(self) -> None:
        self.filter_box.display = False
        self.command_bar.display = False
        self.keys.border_title = "2 Keys"
        self.value_pane.border_title = "3 Value"
        self.session_pane.border_title = "4 Sessions"
        self.set_interval(min(0.5, self.poll_interval / 2), self._push_view_state)
        # Runs only while scan results come in: an idle app has nothing to flush.
        self._flush_timer = self.set_interval(REPAINT_INTERVAL, self._flush_scanned)
        self.set_interval(GONE_GRACE / 2, self._sweep_gone)
        self.keys.focus()
        self._show_first_page()
        self.call_after_refresh(self._compose_hidden)

    def on_screen_resume(self) -> None:
        # A dialog closed: actions typed ahead of it go on, in order.
        self.selection.resume(self.keys.current_key, self._loaded_key())

    def attach(
        self,
        worker: RedisWorker,
        settings: ConnectionSettings,
        profile: Profile | None,
        poll_interval: float,
    ) -> None:
        """A new connection: its worker, a fresh key list, nothing typed for the old one."""
        self.worker_ = worker
        self.poll_interval = poll_interval
        if settings != self._settings or profile is not self._profile:
            self.selection.clear("the connection changed")
        self._settings, self._profile = settings, profile
        self.conn_pane.set_settings(settings, profile)
        self.version = None
        self._show_profile()
        self.start_scan()

    def _show_profile(self) -> None:
        """The production banner: red, naming the profile, on every screen."""
        production = self._profile is not None and self._profile.production
        self.banner.display = production
        self.app.set_class(production, "-production")
        if production and self._profile is not None:
            self.banner.update(
                f"PRODUCTION — profile {self._profile.name} — "
                "writes ask you to type the profile name"
            )

    def disconnected(self) -> None:
        self.view.scanning = False
        self.conn_pane.set_disconnected()
        self.update_status()

    # -- attributes down and live updates (see ``LiveFlow``) ---------------------------------

    def _push_view_state(self) -> None:
        if self.worker_ is not None:
            self.live.push_view_state()
            if self._sessions is not None:  # not built: no session was ever on screen
                self._sessions.push_view_state()

    def update_live_status(self) -> None:
        if self.worker_ is not None:
            self.live.update_status()

    @on(m.KeySizesFetched)
    def key_sizes_fetched(self, event: m.KeySizesFetched) -> None:
        self.live.sizes_fetched(event)

    @on(m.AnalysisProgressed)
    def analysis_progressed(self, event: m.AnalysisProgressed) -> None:
        self.analysis.progressed(event)

    @on(m.AnalysisFinished)
    def analysis_finished(self, event: m.AnalysisFinished) -> None:
        self.analysis.finished(event)

    @on(m.ValueChanged)
    def value_changed(self, event: m.ValueChanged) -> None:
        self.live.value_changed(event)

    @on(m.KeyspaceChanged)
    def keyspace_changed(self, event: m.KeyspaceChanged) -> None:
        self.live.keyspace_changed(event)

    @on(m.LiveModeChanged)
    def live_mode_changed(self, event: m.LiveModeChanged) -> None:
        self.update_live_status()

    def _sweep_gone(self) -> None:
        """Rows marked gone stay struck through for a moment, then leave the list."""
        if self.view.sweep(time.monotonic(), self.poll_interval):
            self.keys.rows_changed()
            self.update_status()

    # -- scanning ---------------------------------------------------------------------------

    @property
    def scanning(self) -> bool:
        return self.view.scanning

    def start_scan(self, keep_cursor: bool = False) -> None:
        current = self.keys.current_key
        self._follow = (current, self.keys.user_moves) if keep_cursor and current else None
        view = self.view
        store = view.new_scan(view.generation)
        # The store lives as long as the scan's results: out of the cyclic GC's generations.
        # A full collection walks every item of a tracked list, and its list of a million
        # names made each one a 30-80 ms pause while the scan runs (a held key waits for it).
        # Appending to the frozen list keeps it frozen; what is freed is freed by reference
        # counting (a replaced store is: nothing refers back to it), young garbage first.
        gc.collect(1)
        gc.freeze()
        self.keys.set_store(store)
        self.keys.awaiting_rows = True
        self.value_pane.clear()
        view.generation = self.redis.scan(
            view.filters.match,
            view.filters.type_name,
            names_first=view.names_first,
            store=store,
        )
        self._first, self.redis.first_scanned = self.redis.first_scanned, None
        if self.is_mounted:
            self._show_first_page()
        self.update_status()

    def _show_first_page(self) -> None:
        """The start-up check's page, as the scan's first: in the first frame, when the App
        attaches before this screen is mounted. The worker connects once it is painted."""
        first, self._first = self._first, None
        if first is None:
            return
        self.keys_scanned(
            m.KeysScanned(self.view.generation, first.keys, [], [], done=not first.cursor,
                          batch=1, meta_follows=True)
        )  # fmt: skip

    @on(m.KeysScanned)
    def keys_scanned(self, event: m.KeysScanned) -> None:
        self._flush_timer.resume()
        now = self.view.scanned(
            event.generation, event.keys, event.types, event.pttls,
            done=event.done, batch=event.batch, meta_follows=event.meta_follows,
        )  # fmt: skip
        self.analysis.keys_listed(event.keys)  # sizes the last :analyze measured
        if now:
            self._flush_rows(resort=True)
        if event.batch == 1 and self.worker_ is not None:
            # The worker connects once these rows are painted (see ``RedisWorker.rows_shown``).
            self.call_after_refresh(self.worker_.rows_shown)

    @on(m.KeysMetaFetched)
    def keys_meta_fetched(self, event: m.KeysMetaFetched) -> None:
        self._flush_timer.resume()
        now = self.view.meta_fetched(
            event.generation, event.batch, event.keys, event.types, event.pttls,
            done=event.done, offset=event.offset, last=event.last, hints=event.hints,
            shown=self.keys.visible_range(),
        )  # fmt: skip
        if now:
            self._flush_rows(resort=True)

    def _flush_scanned(self) -> None:
        self.view.flush(self.keys)
        self._refollow()
        if self.view.rows_dirty or self.view.scanning:
            self.update_status()
        elif not self.view.meta_dirty:
            self._flush_timer.pause()

    def _flush_rows(self, resort: bool = False) -> None:
        self.view.flush(self.keys, resort=resort)
        # Rows came, or the scan ended without any: moves are no longer held for them.
        self.keys.awaiting_rows = self.view.scanning and not len(self.view.store)
        self._refollow()
        self.update_status()

    def _refollow(self) -> None:
        if self._follow is None:
            return
        key, moves = self._follow
        if moves != self.keys.user_moves:
            self._follow = None  # the user went elsewhere: leave the cursor there
        elif self.keys.select_key(key):
            self._follow = None

    def update_status(self) -> None:
        update_static(self.status, Content(self.view.status(len(self.keys.marked))))

    def stop_scan(self) -> None:
        if self.view.scanning:
            self.redis.stop_scan()
            self.view.stop()
            self.update_status()

    def continue_scan(self) -> None:
        view = self.view
        if view.stopped:
            # Keys listed before the stop whose type had not come yet get it first.
            generation = self.redis.scan(
                view.filters.match, view.filters.type_name, resume=True,
                names_first=view.names_first, store=view.store,
            )  # fmt: skip
            view.resumed(generation)
            self.update_status()

    def set_filters(self, filters: Filters) -> None:
        self.view.filters = filters
        self.start_scan()

    # -- connection -------------------------------------------------------------------------

    @on(m.Connected)
    def connected(self, event: m.Connected) -> None:
        self.conn_pane.set_connected(event.facts)
        self.view.dbsize = event.facts.dbsize
        self.update_status()
        key = self.keys.current_key
        if key is not None:
            self.redis.load(key)

    @on(m.ConnectionLost)
    def connection_lost(self, event: m.ConnectionLost) -> None:
        pane = self.conn_pane
        if pane.state != "lost":
            self.notify(event.reason, title="Connection lost", severity="error", timeout=4)
        pane.set_lost(event.reason, event.retry_in)

    @on(m.ServerPolled)
    def server_polled(self, event: m.ServerPolled) -> None:
        if event.session_pttls:
            self.session_pane.update_ttls(event.session_pttls)
        self.conn_pane.set_facts(event.facts)
        self.view.dbsize = event.facts.dbsize
        self.view.store.update_ttls(event.keys, event.pttls, time.monotonic(), event.hints)
        self.keys.refresh_changed()
        self.update_status()

    @on(m.WorkerFailed)
    def worker_failed(self, event: m.WorkerFailed) -> None:
        if event.action == "lookup" and event.key is not None:
            self.selection.lookup_failed(event.key)
        title = "Refused" if event.refused else f"{event.action.capitalize()} failed"
        self.notify(event.reason, title=title, severity="warning" if event.refused else "error")

    @on(m.DatabaseRefused)
    def database_refused(self, event: m.DatabaseRefused) -> None:
        self.notify(
            f"Database {event.refused} does not exist on this server: back to db {event.back_to}",
            severity="warning",
        )
        self._settings = self._settings.replace(db=event.back_to)
        self.conn_pane.set_settings(self._settings, self._profile)
        self.keys.clear_marks()
        self.start_scan()

    def switch_db(self, db: int) -> None:
        self.selection.clear("the database changed")
        self.keys.clear_marks()  # marks name keys of this database
        self._settings = self._settings.replace(db=db)
        self.conn_pane.set_settings(self._settings, self._profile)
        self.redis.select_db(db)
        self.start_scan()
        if self.view.filters.active:  # the filters stay on: say so
            self.notify(f"db {db}: the filter is still on ({self.view.status_filters()})",
                        timeout=3, markup=False)  # fmt: skip

    # -- the value of the highlighted key ---------------------------------------------------

    def _loaded_key(self) -> bytes | None:
        """The key whose value is on screen with its version (what value actions need)."""
        value = self.value_pane.value
        return value.key if value is not None and self.version is not None else None

    @on(KeyList.Highlighted)
    def key_highlighted(self, event: KeyList.Highlighted) -> None:
        if self._load_timer is not None:
            self._load_timer.stop()
        now = time.monotonic()
        burst = now - self._highlighted_at < BURST_LOAD_DELAY
        self._highlighted_at = now
        self.version = None
        self.redis.cancel_search()  # another key: the search inside the last one stops
        self.selection.highlighted(event.key, None)
        if event.key is None:
            self.value_pane.clear()
            return
        key = event.key
        if self.selection.pending:
            self.redis.load(key)  # an action waits for this value: no debounce
        else:
            delay = BURST_LOAD_DELAY if burst else LOAD_DELAY
            self._load_timer = self.set_timer(delay, lambda: self.redis.load(key))

    @on(KeyList.MarksChanged)
    def marks_changed(self) -> None:
        self.update_status()

    @on(KeyList.Opened)
    def key_opened(self, event: KeyList.Opened) -> None:
        self.focus_pane("value")

    @on(m.ValueLoaded)
    def value_loaded(self, event: m.ValueLoaded) -> None:
        value = event.value
        if value.key != self.keys.current_key:
            return
        if event.version is not None:
            self.version = event.version
            self.value_pane.exact_version = event.version.exact
        self.value_pane.show(value, append=event.append)
        # Keep the list's row in step with what was just read.
        store = self.view.store
        index = store.index_of(value.key) if not event.append else None
        if index is not None:
            store.set_meta(index, value.type, value.ttl_ms, time.monotonic())
            self.keys.refresh_changed()
        if self.version is not None:
            self.selection.value_loaded(value.key, self.keys.current_key)

    @on(m.ValueFailed)
    def value_failed(self, event: m.ValueFailed) -> None:
        if event.key == self.keys.current_key:
            self.value_pane.show_error(event.key, event.reason)
            self.selection.value_failed(event.key, event.reason)

    @on(ValuePane.SearchRequested)
    def value_search_requested(self, event: ValuePane.SearchRequested) -> None:
        self.values.search_requested(event)

    @on(ValuePane.OrderRequested)
    def value_order_requested(self, event: ValuePane.OrderRequested) -> None:
        self.values.order_requested(event)

    @on(m.ValueSearched)
    def value_searched(self, event: m.ValueSearched) -> None:
        self.values.value_searched(event)

    @on(ValuePane.MoreRequested)
    def more_requested(self, event: ValuePane.MoreRequested) -> None:
        value = event.value
        redis = self.redis
        if value.type == "string":
            redis.load(value.key, offset=value.offset + len(value.data or b""), append=True)
        elif value.cursor is not None:
            redis.load(value.key, cursor=value.cursor, append=True)
        elif value.type == "stream" and value.rows:
            last_id = value.rows[-1][0]
            redis.load(value.key, offset=len(value.rows), after_id=last_id, append=True)
        else:
            redis.load(value.key, offset=value.offset + len(value.rows), append=True)

    # -- actions on the selected key: typed ahead, they wait for it --------------------------

    def _request(self, action: str) -> None:
        needs_value = action in VALUE_ACTIONS
        queued = self.selection.request(
            action,
            needs_value=needs_value,
            current=self.keys.current_key,
            loaded=self._loaded_key(),
            waiting=self.view.scanning or self.selection.expected is not None,
        )
        key = self.keys.current_key
        if queued and needs_value and key is not None and self._loaded_key() != key:
            if self._load_timer is not None:
                self._load_timer.stop()
            self.redis.load(key)

    def _run_action(self, action: str, key: bytes) -> None:
        """Carry out an action for ``key`` (now highlighted, its value loaded if needed)."""
        flows = self.edits
        if action == "delete":
            flows.delete(key)
        elif action == "ttl":
            flows.ttl(key)
        elif action == "rename":
            flows.rename(key)
        elif action == "copy_to":
            flows.copy_to(key)
        elif action == "save_value":
            self.values.save_value(key)
        elif action == "copy_key":
            self.copy_to_clipboard(escape_key(key))
            self.notify("Key copied", timeout=1.5)
        elif action == "edit":
            flows.edit()
        elif action == "add_element":
            flows.add_element()
        elif action == "field_ttl":
            flows.field_ttl()
        elif action == "remove_element":
            flows.remove_element()
        elif action == "copy_value":
            self.values.copy_value()
        elif action == "more":
            self.value_pane.action_more()
        elif action == "cycle_format":
            self.value_pane.action_cycle_format()

    def action_request(self, action: str) -> None:
        if action in WRITE_ACTIONS and self.edits.refused(action.replace("_", " ")):
            return
        self._request(action)

    def action_undo(self) -> None:
        self.edits.undo()

    def action_command_log(self) -> None:
        self.edits.command_log()

    def action_create_key(self) -> None:
        self.edits.create_key()

    def action_toggle_tree(self) -> None:
        self.values.toggle_tree()

    def action_stream_groups(self) -> None:
        self.values.stream_groups()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "request" and parameters:
            action = str(parameters[0])
        if action == "remove_element":
            value = self.value_pane.value
            return value is not None and value.type != "string"
        # In the tree, a folder row is no key: key actions wait for a key row.
        tree = self.values.tree
        if action in KEY_ACTIONS | VALUE_ACTIONS and tree is not None and tree.display:
            return tree.current_key is not None
        return True

    # -- worker results for the flows -------------------------------------------------------

    @on(m.KeyDeleted)
    def key_deleted(self, event: m.KeyDeleted) -> None:
        self.edits.deleted(event)

    @on(m.EditApplied)
    def edit_applied(self, event: m.EditApplied) -> None:
        self.edits.applied(event)
        self.values.edit_applied(event)

    @on(m.StreamGroupsLoaded)
    def stream_groups_loaded(self, event: m.StreamGroupsLoaded) -> None:
        self.values.stream_groups_loaded(event)

    @on(m.EditConflicted)
    def edit_conflicted(self, event: m.EditConflicted) -> None:
        self.edits.conflicted(event)

    @on(m.KeyRestored)
    def key_restored(self, event: m.KeyRestored) -> None:
        # Not a session flow yet: no revoke of sessions to undo.
        if self._sessions is None or not self._sessions.restored(event):
            self.edits.restored(event)

    @on(TransferMessage)
    def transfer_event(self, event: TransferMessage) -> None:
        self.transfer.handle(event)

    @on(m.BulkDryRunDone)
    def bulk_dry_run_done(self, event: m.BulkDryRunDone) -> None:
        self.edits.bulk_dry_run_done(event)

    @on(m.BulkProgressed)
    def bulk_progressed(self, event: m.BulkProgressed) -> None:
        self.edits.bulk_progressed(event)

    @on(m.BulkDeleted)
    def bulk_deleted(self, event: m.BulkDeleted) -> None:
        self.edits.bulk_deleted(event)

    @on(m.SessionsFound)
    def sessions_found(self, event: m.SessionsFound) -> None:
        self.sessions.found(event)

    @on(m.SessionRefreshed)
    def session_refreshed(self, event: m.SessionRefreshed) -> None:
        self.sessions.refreshed(event)

    @on(m.SessionsChanged)
    def sessions_changed(self, event: m.SessionsChanged) -> None:
        self.sessions.changed(event)

    @on(m.CookieLooked)
    def cookie_looked(self, event: m.CookieLooked) -> None:
        self.sessions.cookie_looked(event)

    @on(m.UserSessionsPreviewed)
    def user_sessions_previewed(self, event: m.UserSessionsPreviewed) -> None:
        self.sessions.user_previewed(event)

    @on(SessionPane.ActionRequested)
    def session_action(self, event: SessionPane.ActionRequested) -> None:
        self.sessions.requested(event)

    @on(NamespaceList.KeyHighlighted)
    def tree_key_highlighted(self, event: NamespaceList.KeyHighlighted) -> None:
        self.values.tree_key_highlighted(event)

    @on(NamespaceList.KeyOpened)
    def tree_key_opened(self, event: NamespaceList.KeyOpened) -> None:
        self.values.tree_key_opened(event)

    @on(m.ValueExportProgressed)
    def value_export_progressed(self, event: m.ValueExportProgressed) -> None:
        self.values.export_progressed(event)

    @on(m.ValueExported)
    def value_exported(self, event: m.ValueExported) -> None:
        self.values.exported(event)

    @on(m.KeyFound)
    def key_found(self, event: m.KeyFound) -> None:
        view = self.view
        store = view.store
        outside = view.filters.active and not view.filters.admits(
            event.key, event.type_name.decode("ascii", "replace"), event.pttl
        )
        if event.key not in store:
            store.add([event.key], [event.type_name], [event.pttl])
            if outside:
                view.outside.add(event.key)
            self.keys.rows_changed()
            self.update_status()
        self.keys.select_key(event.key)
        self.keys.focus()
        if outside:
            self.notify("This key does not match the filter: shown by :key (↪)", timeout=3)
        # The key was there already under the cursor: no Highlighted comes, the lookup is done.
        self.selection.highlighted(self.keys.current_key, self._loaded_key())

    @on(m.InfoLoaded)
    def info_loaded(self, event: m.InfoLoaded) -> None:
        from redis_tui.ui.screens.info import TextScreen

        self.push_screen(TextScreen("Server INFO", event.text))

    # -- navigation -------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.filter_box
        box.display = True
        box.value = self.view.filters.pattern
        box.focus()

    @on(Input.Submitted, "#filter")
    def filter_submitted(self, event: Input.Submitted) -> None:
        pattern = "" if event.value.strip() in ("", "*") else event.value
        event.input.display = False
        self.keys.focus()
        self.set_filters(
            Filters(pattern, self.view.filters.type_name, self.view.filters.no_ttl_only)
        )

    def action_go_back(self) -> None:
        self.filter_box.display = False
        self.command_bar.display = False
        self.switcher.current = "value"
        # Focus now, not after the queue: keys typed ahead (enter esc enter) land in order.
        self.set_focus(self.keys)

    def action_refresh(self) -> None:
        self.start_scan(keep_cursor=True)

    def action_sort(self) -> None:
        self.sort_by(SORT_ORDER[(self.view.sort_index + 1) % len(SORT_ORDER)])

    def sort_by(self, field: str | None) -> None:
        if field not in SORT_ORDER:
            self.notify(
                f"Cannot sort by {field}: name, ttl, type, size or none", severity="warning"
            )
            return
        if field == "size":
            self.analysis.apply_sizes()  # the biggest keys :analyze measured, even unseen
        self.view.sort_by(field, self.keys)
        self.update_status()
        job = self.view.pending_sort
        if job is None:
            self.notify(f"Sorted by {field or 'scan order'}", timeout=1.5)
            return
        # Millions of keys sort in a thread: keys typed after this one act on the new order.
        self._announce_sort = job
        landed = asyncio.Event()
        self._sorts_landed.append(landed)
        if self.hold_keys is not None:
            self.hold_keys(landed)

    def _run_sort(self, job: SortJob) -> None:
        self.run_worker(self._sort_in_thread(job), group="sort", exclusive=True)

    async def _sort_in_thread(self, job: SortJob) -> None:
        try:
            order = await run_in_daemon_thread(job.run)
            if self.view.sort_done(job, order, self.keys):
                self.update_status()
                if self._announce_sort is job:
                    self.notify(f"Sorted by {job.field}", timeout=1.5)
        finally:
            if self.view.pending_sort is None:
                self._announce_sort = None
                landed, self._sorts_landed = self._sorts_landed, []
                for event in landed:
                    event.set()

    def action_focus_pane(self, pane: str) -> None:
        self.focus_pane(pane)

    def focus_pane(self, pane: str) -> None:
        target: Widget
        if pane == "connection":
            target = self.conn_pane
        elif pane == "keys":
            tree = self.values.tree
            target = tree if tree is not None and tree.display else self.keys
        elif pane == "sessions":
            self.sessions.show_sessions()
            target = self.session_pane.list
        else:
            self.switcher.current = "value"
            target = self.value_pane.body
        # A narrow screen shows the pane's side before the focus lands on it; the focus moves
        # now, so a burst of pane keys ends where its last key says.
        self.set_class(pane in ("value", "sessions"), "-right")
        self.set_focus(target)

    # -- which pane has focus: its border, its footer keys; the narrow layout -------------

    def pane_of(self, widget: Widget | None) -> Pane | None:
        panes: tuple[tuple[Widget, Pane], ...] = (
            (self.conn_pane, "connection"), (self.keys, "keys"),
            (self.value_pane, "value"), (self.session_pane, "sessions"),
        )  # fmt: skip
        tree = self.values.tree
        node = widget
        while node is not None and node is not self:
            if tree is not None and node is tree:
                return "keys"
            for pane_widget, name in panes:
                if node is pane_widget:
                    return name
            parent = node.parent
            node = parent if isinstance(parent, Widget) else None
        return None

    def set_focus(
        self, widget: Widget | None, scroll_visible: bool = True, from_app_focus: bool = False
    ) -> None:
        # The side of a narrow screen follows the focus in the same step: a widget focused
        # on the hidden side would be refocused elsewhere by Textual before it is shown.
        pane = self.pane_of(widget) if widget is not None else None
        if pane is not None:
            self.pane = pane
            self.set_class(pane in ("value", "sessions"), "-right")
        super().set_focus(widget, scroll_visible, from_app_focus)

    @on(events.DescendantFocus)
    def descendant_focused(self, event: events.DescendantFocus) -> None:
        pane = self.pane_of(event.widget)
        if pane is not None:
            self.pane = pane
            self.set_class(pane in ("value", "sessions"), "-right")
        self.refresh_bindings()

    def footer_keys(self) -> tuple[str, ...] | None:
        """The focused pane's keys for the footer (binding ids); None: Textual's choice."""
        focused = self.focused
        pane = self.pane_of(focused) if focused is not None else None
        return FOOTER_KEYS.get(pane) if pane is not None else None

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    def _pane_chain(self) -> list[Widget]:
        """What Tab visits on a narrow screen, where half the panes are not displayed."""
        tree = self.values.tree
        chain: list[Widget] = [self.conn_pane]
        chain.append(tree if tree is not None and tree.display else self.keys)
        if self.switcher.current == "sessions":
            attrs = self.session_pane.attrs
            chain += [self.session_pane.list, *([attrs] if attrs.display else [])]
        else:
            chain.append(self.value_pane.body)
        return chain

    def _cycle_panes(self, step: int) -> Widget | None:
        chain = self._pane_chain()
        focused = self.focused
        at = next(
            (i for i, w in enumerate(chain) if focused is not None
             and (focused is w or w in focused.ancestors)),
            -1 if step > 0 else 0,
        )  # fmt: skip
        target = chain[(at + step) % len(chain)]
        self.set_class(self.pane_of(target) in ("value", "sessions"), "-right")
        target.focus()
        return target

    def focus_next(self, selector: str | type[Widget] = "*") -> Widget | None:
        if self.has_class("-narrow") and selector == "*":
            return self._cycle_panes(1)
        return super().focus_next(selector)

    def focus_previous(self, selector: str | type[Widget] = "*") -> Widget | None:
        if self.has_class("-narrow") and selector == "*":
            return self._cycle_panes(-1)
        return super().focus_previous(selector)

    def action_zoom(self) -> None:
        """Maximise the focused pane (Textual's maximize), or restore it."""
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)

    class ConnectionRequested(Message):
        """Asks the App (which owns connections) to act: ``settings`` opens the connection
        screen, ``reconnect`` and ``disconnect`` do what they say, ``help`` shows every key."""

        def __init__(self, what: Literal["settings", "reconnect", "disconnect", "help"]) -> None:
            super().__init__()
            self.what: Literal["settings", "reconnect", "disconnect", "help"] = what

    def request_connection(
        self, what: Literal["settings", "reconnect", "disconnect", "help"]
    ) -> None:
        self.post_message(self.ConnectionRequested(what))

    def action_connect(self) -> None:
        self.request_connection("settings")

    def action_stop_scan(self) -> None:
        if self.view.scanning:
            self.stop_scan()
        else:
            self.continue_scan()

    def action_pause(self) -> None:
        redis = self.redis
        redis.paused = not redis.paused
        self.update_live_status()
        self.notify("Live updates paused" if redis.paused else "Live updates resumed", timeout=1.5)

    # -- the command bar --------------------------------------------------------------------

    def action_command_bar(self) -> None:
        self.open_command_bar("")

    @on(CommandBar.Requested)
    def command_requested(self, event: CommandBar.Requested) -> None:
        self.open_command_bar(event.text)

    def open_command_bar(self, text: str) -> None:
        self.command_bar.open()
        self.command_bar.value = text
        self.command_bar.cursor_position = len(text)

    @on(Input.Submitted, "#command-bar")
    def command_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.command_bar.remember(text)
        self.command_bar.display = False
        self.keys.focus()
        self.run_command_text(text)

    def run_command_text(self, text: str) -> None:
        try:
            command = COLON_COMMANDS.parse(text)
        except CommandError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        COLON_COMMANDS.run(self, command)

    def run_command(self, name: str, arg: str = "") -> None:
        """Carry out one ``:`` command by name (as typed: validated first)."""
        self.run_command_text(f":{name} {arg}".strip())
