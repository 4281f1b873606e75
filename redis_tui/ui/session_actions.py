"""The app's side of the session inspector (``4`` / ``:sessions``): feeding the pane from
the worker, and revoke / revoke user / TTL / edit attribute through the worker's queue."""

from __future__ import annotations

import json
from typing import Any

from textual import on
from textual.content import Content
from textual.widgets import ContentSwitcher

from redis_tui.data.sessions import (
    EditSessionAttribute,
    ExtendSession,
    JSONValue,
    RevokeSessions,
    RevokeUser,
    Session,
)
from redis_tui.data.values.display import escape_key, escape_text
from redis_tui.data.values.durations import parse_ttl
from redis_tui.ui.edit_actions import TTL_HELP, EditActions, _ttl_error, confirmed, given
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import Field, PromptScreen
from redis_tui.ui.widgets.session_pane import SessionPane
from redis_tui.ui.worker import messages as m

# Rescan for new sessions this often while the inspector is open (small databases only).
RESCAN_SECONDS = 5.0
RESCAN_LIMIT = 20_000
PREVIEW_KEYS = 15


class SessionActions(EditActions):
    session_pane: SessionPane
    switcher: ContentSwitcher
    _sessions_generation = 0
    _sessions_loaded = False
    _sessions_refreshing = False
    _rescan_timer: Any = None

    def show_sessions(self) -> None:
        self.switcher.current = "sessions"
        if not self._sessions_loaded:
            self._sessions_loaded = True
            self.scan_sessions(fresh=True)
            self._rescan_timer = self.set_interval(RESCAN_SECONDS, self._maybe_rescan)

    @property
    def sessions_shown(self) -> bool:
        return self.switcher.current == "sessions"

    def scan_sessions(self, fresh: bool) -> None:
        """Find sessions. ``fresh`` empties the list first; otherwise the list is kept and
        updated in place (sessions that are gone are marked when the scan ends)."""
        pane = self.session_pane
        if fresh:
            pane.reset()
        else:
            pane.begin_refresh()
        config = getattr(self, "config", None)
        options = config.session_options() if config is not None else {}
        self._sessions_generation = self.redis.find_sessions(**options)

    def _maybe_rescan(self) -> None:
        pane = self.session_pane
        if (
            self.sessions_shown
            and not pane.scanning
            and not self.redis.paused
            and len(pane.sessions) < RESCAN_LIMIT
            and len(self.screen_stack) == 1
        ):
            self.scan_sessions(fresh=False)

    def push_session_view_state(self) -> None:
        """Attributes down: which sessions are on screen, which one is open."""
        if self.worker_ is None:
            return
        if self.sessions_shown:
            selected = self.session_pane.selected
            self.redis.visible_sessions = self.session_pane.visible_keys()
            self.redis.watched_session = selected.key if selected is not None else None
        else:
            self.redis.visible_sessions = ()
            self.redis.watched_session = None

    # -- worker results -------------------------------------------------------------------

    @on(m.SessionsFound)
    def sessions_found(self, event: m.SessionsFound) -> None:
        if event.generation != self._sessions_generation:
            return
        if event.sessions:
            self.session_pane.add(event.sessions)
        if event.done:
            self.session_pane.finished()

    @on(m.SessionRefreshed)
    def session_refreshed(self, event: m.SessionRefreshed) -> None:
        self.session_pane.replace(event.key, event.session)

    @on(m.SessionsChanged)
    def sessions_changed(self, event: m.SessionsChanged) -> None:
        self.notify(event.message, markup=False, timeout=3)
        if event.op in ("revoke", "revoke_user"):
            self.session_pane.removed(event.keys)
            for key in event.keys:
                if self.store.remove(key):
                    self.keys.rows_changed()

    @on(m.UserSessionsPreviewed)
    def user_sessions_previewed(self, event: m.UserSessionsPreviewed) -> None:
        found: list[Session] = event.sessions
        if not found:
            self.notify(f"No session of {event.user} found", markup=False)
            return
        keys = [s.key for s in found]
        shown = "\n".join(f"  {escape_key(k)}" for k in keys[:PREVIEW_KEYS])
        more = f"\n  … and {len(keys) - PREVIEW_KEYS} more" if len(keys) > PREVIEW_KEYS else ""
        body = Content.from_markup(
            "Revoke [b]$count[/b] session(s) of user [b]$user[/b]?\n\n$keys$more",
            count=str(len(keys)),
            user=escape_text(event.user, multiline=False),
            keys=shown,
            more=more,
        )
        user = event.user
        self.push_screen(
            ConfirmScreen("Revoke every session of a user", body, confirm_label="Revoke"),
            confirmed(
                lambda: self.confirm_write(
                    f"revoke {len(keys)} sessions",
                    lambda: self.redis.session_edit(RevokeUser(user, expected=tuple(keys))),
                )
            ),
        )

    # -- requests from the pane -----------------------------------------------------------

    @on(SessionPane.ActionRequested)
    def session_action(self, event: SessionPane.ActionRequested) -> None:
        session = event.session
        if event.action == "rescan":
            self.scan_sessions(fresh=True)
        elif event.action == "filter":
            self.push_screen(
                PromptScreen(
                    "Filter sessions",
                    [
                        Field(
                            "filter",
                            self.session_pane.filter_text,
                            "user:alice, framework:php, or any text",
                        )
                    ],
                ),
                given(lambda v: self.session_pane.set_filter(v[0])),
            )
        elif session is None:
            return
        elif self.settings.readonly:
            self.notify("Read-only connection: sessions cannot change", severity="warning")
        elif event.action == "revoke":
            self._revoke(session)
        elif event.action == "revoke_user":
            if session.user is None:
                self.notify("This session has no known user", severity="warning")
            else:
                self.redis.preview_user_sessions(session.user)
        elif event.action == "ttl":
            self._session_ttl(session)
        elif event.action == "edit":
            self._edit_attribute(session, event.path)

    def _revoke(self, session: Session) -> None:
        body = Content.from_markup(
            "Revoke the $framework session\n\n[b]$key[/b]\n\nof user [b]$user[/b]?"
            " They are logged out.",
            framework=session.framework,
            key=escape_key(session.key),
            user=escape_text(session.user or "-", multiline=False),
        )
        key = session.key
        self.push_screen(
            ConfirmScreen("Revoke session", body, confirm_label="Revoke"),
            confirmed(
                lambda: self.confirm_write(
                    f"revoke {escape_key(key)}",
                    lambda: self.redis.session_edit(RevokeSessions((key,))),
                )
            ),
        )

    def _session_ttl(self, session: Session) -> None:
        key = session.key

        def apply(values: list[str]) -> None:
            ttl_ms = parse_ttl(values[0])
            self.confirm_write(
                f"TTL of {escape_key(key)}",
                lambda: self.redis.session_edit(ExtendSession(key, ttl_ms)),
            )

        self.push_screen(
            PromptScreen(
                "Extend or shorten the session",
                [Field("TTL", "", TTL_HELP)],
                validate=lambda v: _ttl_error(v[0]),
            ),
            given(apply),
        )

    def _edit_attribute(self, session: Session, path: tuple[Any, ...]) -> None:
        if not session.writable:
            reason = session.refusal or "format cannot be written back exactly"
            self.notify(f"Not editable: {reason}", severity="warning", markup=False)
            return
        if not path:
            self.notify(
                "Select an attribute in the tree (enter on the list, then j/k)", severity="warning"
            )
            return
        current = _lookup(session.data, path)
        shown = json.dumps(current, ensure_ascii=False, default=str)
        label = ".".join(escape_text(str(p), multiline=False) for p in path)

        def apply(values: list[str]) -> None:
            new_value = _parse_value(values[0])
            self.confirm_write(
                f"edit {label}",
                lambda: self.redis.session_edit(
                    EditSessionAttribute(session, tuple(path), new_value)
                ),
            )

        self.push_screen(
            PromptScreen(
                f"Edit {label}",
                [Field('value (JSON: 42, true, "text", [1,2])', shown)],
                note="Written back in the session's own format, TTL kept.",
            ),
            given(apply),
        )


def _lookup(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _parse_value(text: str) -> JSONValue:
    """JSON when it parses (numbers, booleans, lists…), else the text as a string."""
    try:
        value: JSONValue = json.loads(text)
    except ValueError:
        return text
    return value
