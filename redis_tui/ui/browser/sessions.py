"""The browser's side of the session inspector (``4`` / ``:sessions``): feeding the pane from
the worker, and revoke / revoke user / TTL / edit attribute through the worker's queue."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual.content import Content
from textual.timer import Timer

from redis_tui.data.sessions import (
    EditSessionAttribute,
    ExtendSession,
    JSONValue,
    RevokeSessions,
    RevokeUser,
    Session,
)
from redis_tui.data.sessions.actions import UNDO_KEYS
from redis_tui.data.values.display import escape_key, escape_text
from redis_tui.data.values.durations import parse_ttl
from redis_tui.ui.browser.edits import (
    DIALOG_KEY_CELLS,
    TTL_HELP,
    EditFlow,
    _ttl_error,
    confirmed,
    given,
)
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import Field, PromptScreen
from redis_tui.ui.style import clip_middle, key_label
from redis_tui.ui.widgets.session_pane import AttrPath, SessionPane
from redis_tui.ui.worker import messages as m

if TYPE_CHECKING:
    from redis_tui.ui.browser.host import Host

# Rescan for new sessions this often while the inspector is open (small databases only).
RESCAN_SECONDS = 5.0
RESCAN_LIMIT = 20_000
PREVIEW_KEYS = 12
# Cells of a confirmation's line (its dialog is 70 wide, less border and padding).
PREVIEW_CELLS = 62


_SAID = {"revoke_user": "revoke every session of a user", "ttl": "set session ttl",
         "edit": "edit session"}  # fmt: skip


class SessionFlow:
    """The session inspector's requests and the worker's answers."""

    def __init__(self, host: Host, edits: EditFlow) -> None:
        self.host = host
        self.edits = edits
        self.generation = 0
        self.loaded = False
        self.rescan_timer: Timer | None = None

    def show_sessions(self) -> None:
        self.host.switcher.current = "sessions"
        if not self.loaded:
            self.loaded = True
            self.scan_sessions(fresh=True)
            self.rescan_timer = self.host.session_pane.set_interval(
                RESCAN_SECONDS, self._maybe_rescan
            )

    @property
    def sessions_shown(self) -> bool:
        return self.host.switcher.current == "sessions"

    def scan_sessions(self, fresh: bool) -> None:
        """Find sessions. ``fresh`` empties the list first; otherwise the list is kept and
        updated in place (sessions that are gone are marked when the scan ends)."""
        pane = self.host.session_pane
        if fresh:
            pane.reset()
        else:
            pane.begin_refresh()
        options = self.host.config.session_options()
        self.generation = self.host.redis.find_sessions(**options)

    def _maybe_rescan(self) -> None:
        pane = self.host.session_pane
        if (
            self.sessions_shown
            and not pane.scanning
            and not self.host.redis.paused
            and len(pane.sessions) < RESCAN_LIMIT
            and not self.host.modal_open()
        ):
            self.scan_sessions(fresh=False)

    def push_view_state(self) -> None:
        """Attributes down: which sessions are on screen, which one is open."""
        if self.sessions_shown:
            selected = self.host.session_pane.selected
            self.host.redis.visible_sessions = self.host.session_pane.visible_keys()
            self.host.redis.watched_session = selected.key if selected is not None else None
        else:
            self.host.redis.visible_sessions = ()
            self.host.redis.watched_session = None

    # -- worker results -------------------------------------------------------------------

    def found(self, event: m.SessionsFound) -> None:
        if event.generation != self.generation:
            return
        if event.sessions:
            self.host.session_pane.add(event.sessions)
        if event.done:
            self.host.session_pane.finished()

    def restored(self, event: m.KeyRestored) -> bool:
        """An undo brought sessions back, seen in the inspector: they are read again and
        the inspector keeps the focus. False when the undo was not of sessions shown."""
        by_key = self.host.session_pane.by_key
        keys = [k for k in event.keys if k in by_key]
        if not keys or not self.sessions_shown:
            return False
        self.host.notify(event.description, markup=False, timeout=3)
        self.host.redis.reload_sessions(keys)
        return True

    def refreshed(self, event: m.SessionRefreshed) -> None:
        self.host.session_pane.replace(event.key, event.session)

    def changed(self, event: m.SessionsChanged) -> None:
        self.host.notify(event.message, markup=False, timeout=3)
        if event.op in ("revoke", "revoke_user"):
            self.host.session_pane.removed(event.keys)
            for key in event.keys:
                if self.host.view.store.remove(key):
                    self.host.keys.rows_changed()

    def user_previewed(self, event: m.UserSessionsPreviewed) -> None:
        found: list[Session] = event.sessions
        if not found:
            self.host.notify(f"No session of {event.user} found", markup=False)
            return
        keys = [s.key for s in found]
        # One line per key, clipped in the middle: a long key never wraps into fragments.
        shown = "\n".join(
            f"• {clip_middle(escape_key(k), PREVIEW_CELLS)}" for k in keys[:PREVIEW_KEYS]
        )
        more = f"\n… and {len(keys) - PREVIEW_KEYS} more" if len(keys) > PREVIEW_KEYS else ""
        undo = (
            "u restores them, with their TTLs, while redis-tui runs."
            if len(keys) <= UNDO_KEYS
            else f"No undo: more than {UNDO_KEYS:,} sessions."
        )
        body = Content.from_markup(
            "Revoke [b]$count[/b] session$s of user [b]$user[/b]? They are logged out.\n\n"
            "$keys$more\n\n$undo",
            count=f"{len(keys):,}",
            s="" if len(keys) == 1 else "s",
            user=clip_middle(escape_text(event.user, multiline=False), PREVIEW_CELLS),
            keys=shown,
            more=more,
            undo=undo,
        )
        user = event.user
        self.host.push_screen(
            ConfirmScreen("Revoke every session of a user", body, confirm_label="Revoke"),
            confirmed(
                lambda: self.edits.confirm_write(
                    f"revoke {len(keys)} sessions",
                    lambda: self.host.redis.session_edit(RevokeUser(user, expected=tuple(keys))),
                )
            ),
        )

    # -- requests from the pane -----------------------------------------------------------

    def requested(self, event: SessionPane.ActionRequested) -> None:
        session = event.session
        if event.action == "rescan":
            # In place: the list and the cursor stay; what is gone is marked when it ends.
            self.scan_sessions(fresh=False)
        elif event.action == "filter":
            self.host.push_screen(
                PromptScreen(
                    "Filter sessions",
                    [
                        Field(
                            "filter",
                            self.host.session_pane.filter_text,
                            "user:alice, framework:php, or any text",
                        )
                    ],
                ),
                given(lambda v: self.host.session_pane.set_filter(v[0])),
            )
        elif session is None or self.edits.refused(_SAID.get(event.action, event.action)):
            return
        elif event.action == "revoke":
            self._revoke(session)
        elif event.action == "revoke_user":
            if session.user is None:
                self.host.notify("This session has no known user", severity="warning")
            else:
                self.host.redis.preview_user_sessions(session.user)
        elif event.action == "ttl":
            self._session_ttl(session)
        elif event.action == "edit":
            self._edit_attribute(session, event.path)

    def _revoke(self, session: Session) -> None:
        body = Content.from_markup(
            "Revoke this $framework session of user [b]$user[/b]? They are logged out.\n\n"
            "session id: $sid\nkey: [b]$key[/b]\n\n"
            "u restores it, with its TTL, while redis-tui runs.",
            framework=session.framework,
            user=clip_middle(escape_text(session.user or "-", multiline=False), PREVIEW_CELLS),
            # In full up to a long key's clip: the key deleted is the one shown.
            sid=escape_text(session.session_id, multiline=False),
            key=key_label(session.key, DIALOG_KEY_CELLS),
        )
        key = session.key
        self.host.push_screen(
            ConfirmScreen("Revoke session", body, confirm_label="Revoke"),
            confirmed(
                lambda: self.edits.confirm_write(
                    f"revoke {escape_key(key)}",
                    lambda: self.host.redis.session_edit(RevokeSessions((key,))),
                )
            ),
        )

    def _session_ttl(self, session: Session) -> None:
        key = session.key

        def apply(values: list[str]) -> None:
            ttl_ms = parse_ttl(values[0])
            self.edits.confirm_write(
                f"TTL of {escape_key(key)}",
                lambda: self.host.redis.session_edit(ExtendSession(key, ttl_ms)),
            )

        self.host.push_screen(
            PromptScreen(
                "Extend or shorten the session",
                [Field("TTL", "", TTL_HELP)],
                validate=lambda v: _ttl_error(v[0]),
            ),
            given(apply),
        )

    def _edit_attribute(self, session: Session, path: AttrPath) -> None:
        if not session.writable:
            reason = session.refusal or "format cannot be written back exactly"
            self.host.notify(f"Not editable: {reason}", severity="warning", markup=False)
            return
        if not path:
            self.host.notify(
                "Select an attribute in the tree (enter on the list, then j/k)", severity="warning"
            )
            return
        steps = tuple(step for step in path if isinstance(step, str | int))
        if len(steps) != len(path):
            self.host.notify("Not editable: the attribute's path has keys that are not text")
            return
        current = _lookup(session.data, steps)
        shown = json.dumps(current, ensure_ascii=False, default=str)
        label = ".".join(escape_text(str(p), multiline=False) for p in path)

        def apply(values: list[str]) -> None:
            new_value = _parse_value(values[0])
            self.edits.confirm_write(
                f"edit {label}",
                lambda: self.host.redis.session_edit(
                    EditSessionAttribute(session, steps, new_value)
                ),
            )

        self.host.push_screen(
            PromptScreen(
                f"Edit {label}",
                [Field('value (JSON: 42, true, "text", [1,2])', shown)],
                note="Written back in the session's own format, TTL kept.",
            ),
            given(apply),
        )


def _lookup(data: object, path: tuple[str | int, ...]) -> object:
    for step in path:
        try:
            data = data[step]  # type: ignore[index]
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
