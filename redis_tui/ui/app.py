"""The redis-tui App, kept thin: lifecycle, keymap, notify policy, connections, screen stack.

What the user sees and does lives in ``redis_tui.ui.browser`` (the main screen and its flows);
the connection lives in ``redis_tui.ui.worker`` (the service that owns the client).
"""

from __future__ import annotations

import gc
import sys
from typing import ClassVar

from textual import events, on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen

from redis_tui.config import Config, Profile
from redis_tui.crash import crash_line, write_report
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.edit.cmdlog import CommandLog
from redis_tui.data.scan.first import FirstPage
from redis_tui.data.values.display import escape_text
from redis_tui.ui.browser.colon import COLON_COMMANDS
from redis_tui.ui.browser.screen import BrowserScreen
from redis_tui.ui.commands import CommandBar
from redis_tui.ui.keys import KeyRouter
from redis_tui.ui.widgets.key_list import KeyList
from redis_tui.ui.widgets.namespace_list import NamespaceList
from redis_tui.ui.widgets.session_pane import AttributeTree, SessionList, SessionPane
from redis_tui.ui.widgets.value_pane import ValuePane, ValueTree
from redis_tui.ui.worker import messages as m
from redis_tui.ui.worker.groups import Group
from redis_tui.ui.worker.service import RedisWorker


class RedisTuiApp(App[None]):
    """A keyboard-first Redis browser."""

    TITLE = "redis-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit redis-tui"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Show every key binding"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
    ]

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        poll_interval: float = 2.0,
        config: Config | None = None,
        profile: Profile | None = None,
        first_page: FirstPage | None = None,
    ) -> None:
        super().__init__()
        self._initial = settings
        # The first SCAN page, when the start-up check read it (``data.scan.first``).
        self._first_page = first_page
        self.poll_interval = poll_interval
        self.config = config or Config()
        self.profile = profile
        # Every write of this run, of every connection (``@``).
        self.command_log = CommandLog()
        self.worker_: RedisWorker | None = None
        self.browser = BrowserScreen(settings, self.config, profile)
        self.key_router = KeyRouter(self, self._route_key, ready=self.browser.composed)
        self.browser.hold_keys = self.key_router.hold
        self._crash: BaseException | None = None
        self._crash_line = ""

    @property
    def settings(self) -> ConnectionSettings:
        """The connection's settings now (the browser follows ``:db`` switches)."""
        return self.browser.settings

    @property
    def redis(self) -> RedisWorker:
        assert self.worker_ is not None, "worker not started"
        return self.worker_

    # -- notify policy ----------------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification, from any widget, comes through here. Messages carry key names,
        server errors and session data: never markup, control characters escaped."""
        super().notify(
            escape_text(str(message)),
            title=escape_text(title, multiline=False),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # -- lifecycle --------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        # Keys go through the router: each is handled to the end before the next is routed,
        # so keys typed ahead land where the previous ones sent the user (see ui/keys.py).
        if isinstance(event, events.Key) and not event.is_forwarded:
            if event.key == "ctrl+j":
                # ^J is how Enter arrives when typed before the terminal went raw: the tty
                # turned its \r into \n (ICRNL) as it came in. Enter it is, as in a shell.
                enter = events.Key("enter", "\r")
                enter.time = event.time
                event = enter
            self.key_router.offer(event)
            return
        await super().on_event(event)

    async def _route_key(self, key: events.Key) -> None:
        await super().on_event(key)

    def _handle_exception(self, error: Exception) -> None:
        self._crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """An unexpected exception: instead of Textual's traceback with locals (which may
        show a password or a value), one line after the terminal is restored, pointing to a
        report that holds the stack and the versions only; the exit code is 1."""
        error = self._crash
        if error is None:  # not from _handle_exception: Textual's own path
            super()._fatal_error()
            return
        self.bell()
        self._crash_line = crash_line(error, write_report(error))
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        if self._crash_line:
            # Written as it is, after the terminal is restored: one line whatever the width,
            # so the report's path stays whole and copyable.
            sys.stderr.write(self._crash_line + "\n")
            sys.stderr.flush()
            self._exit_renderables.clear()
            return
        super()._print_error_renderables()

    def get_default_screen(self) -> Screen[None]:
        return self.browser

    def on_mount(self) -> None:
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.app_suspend_signal.subscribe(self, self._suspended)
        self.app_resume_signal.subscribe(self, self._resumed)
        # What exists now lives as long as the app: keep it out of the cyclic GC's full
        # collections, which a million-key scan otherwise turns into 50-100 ms pauses.
        # The command line turns the collector off while the app starts (cli/launch.py):
        # then what is here is the start-up's (~0.1 MB of garbage), not worth a collection
        # of 30-50 ms before the first rows. Otherwise (tests run many apps in one process)
        # the garbage of earlier ones is collected first.
        if gc.isenabled():
            gc.collect()
        gc.freeze()
        gc.enable()
        first, self._first_page = self._first_page, None
        self._start_worker(self._initial, first)

    def on_unmount(self) -> None:
        gc.unfreeze()  # several apps in one process (tests): the next one freezes its own

    def check_message_enabled(self, message: Message) -> bool:
        # Results that arrive while the app shuts down have no screen to go to.
        if isinstance(message, m.WorkerMessage) and (not self.is_running or not self.screen_stack):
            return False
        return super().check_message_enabled(message)

    def on_app_blur(self) -> None:
        if self.worker_ is not None:
            self.redis.hidden = True
            self.browser.update_live_status()

    def on_app_focus(self) -> None:
        if self.worker_ is not None:
            self.redis.hidden = False
            self.browser.update_live_status()

    def _suspended(self, _app: object) -> None:
        self.on_app_blur()

    def _resumed(self, _app: object) -> None:
        self.on_app_focus()

    # -- connections ------------------------------------------------------------------------

    def _start_worker(self, settings: ConnectionSettings, first: FirstPage | None = None) -> None:
        old = self.worker_
        label = f"profile {self.profile.name}" if self.profile is not None else ""
        self.worker_ = RedisWorker(
            self, settings, poll_interval=self.poll_interval, target=self.browser,
            log=self.command_log, log_label=label, first_page=first,
        )  # fmt: skip
        if old is not None:
            # Generations keep counting up, so late results of the old worker never match.
            self.worker_.scan_generation = old.scan_generation
            self.worker_.sessions_generation = old.sessions_generation
        self.redis.start()
        self.browser.attach(self.redis, settings, self.profile, self.poll_interval)

    @property
    def production(self) -> bool:
        return self.profile is not None and self.profile.production

    def workers_in(self, group: str) -> bool:
        return any(w.group == group and not w.is_finished for w in self.workers)

    def disconnect(self) -> None:
        """Stop the worker and close the connection; the screen stays, ``o`` connects again."""
        if self.worker_ is not None:
            self.worker_.cancel_all()
        self.browser.disconnected()

    def switch_connection(
        self, settings: ConnectionSettings, profile: Profile | None = None
    ) -> None:
        """Connect elsewhere without restarting: a new worker, a fresh key list.

        The old worker's tasks are cancelled; its client closes in its ``finally``.
        """
        if self.worker_ is not None:
            self.worker_.cancel_all()
        self.profile = profile
        self.browser.value_pane.clear()
        self._start_worker(settings)

    @on(BrowserScreen.ConnectionRequested)
    def connection_requested(self, event: BrowserScreen.ConnectionRequested) -> None:
        if event.what == "settings":
            self.action_connect()
        elif event.what == "disconnect":
            self.disconnect()
        elif event.what == "help":
            self.action_help()
        else:
            self.reconnect()

    def reconnect(self) -> None:
        self.browser.conn_pane.set_settings(self.browser.settings, self.profile)
        if self.browser.conn_pane.state == "disconnected" or not self.workers_in(Group.RUN):
            self.switch_connection(self.browser.settings, self.profile)
        else:
            self.redis.reconnect()

    def action_connect(self) -> None:
        from redis_tui.ui.screens.connect import ConnectScreen

        def chosen(result: tuple[ConnectionSettings, Profile | None] | None) -> None:
            if result is not None:
                self.switch_connection(*result)

        self.push_screen(ConnectScreen(self.browser.settings, self.config, self.profile), chosen)

    def action_help(self) -> None:
        rows: list[tuple[str, str, str, str]] = []
        for where, bindings in help_sections():
            for binding in bindings:
                if isinstance(binding, Binding):
                    keys = ", ".join(
                        self.get_key_display(Binding(k, binding.action))
                        for k in binding.key.split(",")
                    )
                    rows.append(
                        (keys, binding.tooltip or binding.description, where, binding.id or "")
                    )
        # The ``:`` commands, from the one table that declares them.
        rows += [
            (
                f":{spec.name}",
                f"{spec.help} (:{spec.name} {spec.args})".replace(" )", ")"),
                "command bar",
                "",
            )
            for spec in COLON_COMMANDS
        ]
        from redis_tui.ui.screens.help import HelpScreen  # a dialog: on first use

        self.push_screen(HelpScreen(rows))


def help_sections() -> list[tuple[str, list[BindingType]]]:
    """Every pane's bindings, as ``?`` lists them (the README's key table is checked against it)."""
    return [
        ("everywhere", [*RedisTuiApp.BINDINGS, *BrowserScreen.BINDINGS]),
        ("key list", list(KeyList.BINDINGS)),
        ("namespace tree", list(NamespaceList.BINDINGS)),
        ("value pane", list(ValuePane.BINDINGS)),
        ("value tree", list(ValueTree.BINDINGS)),
        ("session inspector", [*SessionPane.BINDINGS, *SessionList.BINDINGS]),
        ("session tree", list(AttributeTree.BINDINGS)),
        ("command bar", list(CommandBar.BINDINGS)),
    ]
