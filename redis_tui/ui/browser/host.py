"""What the browser's flows (edits, sessions, values) need of the screen that composes them.

The flows are plain objects with this one typed dependency: no mixins, no reach into the App.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from textual.notifications import SeverityLevel
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.widgets import ContentSwitcher

    from redis_tui.config import Config, Profile
    from redis_tui.data.client.settings import ConnectionSettings
    from redis_tui.data.edit.version import Version
    from redis_tui.ui.browser.scan_view import ScanView
    from redis_tui.ui.browser.selection import Selection
    from redis_tui.ui.widgets.connection_pane import ConnectionPane
    from redis_tui.ui.widgets.key_list import KeyList
    from redis_tui.ui.widgets.session_pane import SessionPane
    from redis_tui.ui.widgets.value_pane import ValuePane
    from redis_tui.ui.worker.service import RedisWorker

T = TypeVar("T")


class Host(Protocol):
    """The browser screen, as its flows see it."""

    conn_pane: ConnectionPane
    keys: KeyList
    value_pane: ValuePane
    session_pane: SessionPane
    switcher: ContentSwitcher
    view: ScanView
    selection: Selection
    # The edits.Version of the value on screen: every edit starts from it.
    version: Version | None
    poll_interval: float

    @property
    def redis(self) -> RedisWorker: ...

    @property
    def settings(self) -> ConnectionSettings: ...

    @property
    def profile(self) -> Profile | None: ...

    @property
    def config(self) -> Config: ...

    def push_screen(
        self, screen: Screen[T], callback: Callable[[T | None], None] | None = None
    ) -> object: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...

    def start_scan(self) -> None: ...

    def update_status(self) -> None: ...

    def modal_open(self) -> bool: ...

    def focus_pane(self, pane: str) -> None: ...

    def copy_to_clipboard(self, text: str) -> None: ...
