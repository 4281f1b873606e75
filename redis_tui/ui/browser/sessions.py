"""The browser's side of the session inspector (``4`` / ``:sessions``): feeding the pane from
the worker, and revoke / revoke user / TTL / edit attribute through the worker's queue."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.content import Content
from textual.timer import Timer
from textual.worker import Worker

from redis_tui.data.sessions import (
    EditSessionAttribute,
    ExtendSession,
    JSONValue,
    RevokeSessions,
    RevokeUser,
    Session,
)
from redis_tui.data.sessions.actions import UNDO_KEYS
from redis_tui.data.sessions.report import ReportBuilder, report_text
from redis_tui.data.values.display import escape_key, escape_text
from redis_tui.data.values.durations import parse_ttl
from redis_tui.ui.browser.edits import (
    DIALOG_KEY_CELLS,
    TITLE_KEY_CELLS,
    TTL_HELP,
    EditFlow,
    _ttl_error,
    confirmed,
    given,
)
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import Field, PromptScreen
from redis_tui.ui.screens.report import SessionReportScreen
from redis_tui.ui.style import clip_middle, key_label
from redis_tui.ui.widgets.data_tree import AttrPath
from redis_tui.ui.widgets.session_pane import SessionPane
from redis_tui.ui.worker import messages as m

if TYPE_CHECKING:
    from redis_tui.ui.browser.host import Host

# Rescan for new sessions this often while the inspector is open (small databases only).
RESCAN_SECONDS = 5.0
LIVE_SAMPLES = 720  # an hour of counts, one every RESCAN_SECONDS
REPORT_SLICE = 2000  # sessions added to the report between two yields to the UI
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
        # Live sessions counted every RESCAN_SECONDS while the inspector is open (sparkline).
        self.live: deque[int] = deque(maxlen=LIVE_SAMPLES)
        self._report_task: Worker[None] | None = None

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
        if self.sessions_shown and not pane.scanning:
            self.live.append(len(pane.sessions) - len(pane.gone))
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
        pane = self.host.session_pane
        if event.sessions:
            pane.add(event.sessions)
        pane.set_discovery(event.discovery)
        if event.done:
            pane.finished()
            self.live.append(len(pane.sessions) - len(pane.gone))

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
            self.edits.undo_promise("them")
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

    # -- :cookie and the health report -----------------------------------------------------

    def cookie(self, text: str) -> None:
        """``:cookie TEXT``: look the session up (the worker answers with CookieLooked)."""
        if not self.loaded:
            self.show_sessions()
        options = self.host.config.session_options()
        patterns = options.get("patterns")
        self.host.notify("Looking the cookie up…", timeout=2)
        self.host.redis.find_by_cookie(text.strip(), patterns, self.host.session_pane.discovery)

    def cookie_looked(self, event: m.CookieLooked) -> None:
        lookup = event.lookup
        pane = self.host.session_pane
        if not lookup.sessions:
            why = "; ".join(lookup.notes) or (
                f"no session under the {len(lookup.tried):,} keys tried" if lookup.tried else
                "no session id recognised in it"
            )  # fmt: skip
            self.host.notify(f"No session found for this cookie: {why}", severity="warning",
                             markup=False, timeout=8)  # fmt: skip
            return
        self.host.switcher.current = "sessions"
        pane.add(lookup.sessions)
        first = lookup.sessions[0]
        pane.select_key(first.key)
        pane.list.focus()
        more = f" (and {len(lookup.sessions) - 1} more)" if len(lookup.sessions) > 1 else ""
        note = f" · {'; '.join(lookup.notes)}" if lookup.notes else ""
        self.host.notify(
            f"Cookie → {first.framework} session {escape_key(first.key)}{more}{note}",
            markup=False,
            timeout=6,
        )

    def report(self) -> None:
        """The health report of the sessions loaded, built in slices off the UI's time
        (100,000 sessions would hold the loop for half a second in one go)."""
        if not self.loaded:
            self.show_sessions()
        if self._report_task is not None and self._report_task.is_running:
            return
        self._report_task = self.host.session_pane.run_worker(
            self._build_report(), group="session-report", exclusive=True
        )

    async def _build_report(self) -> None:
        pane = self.host.session_pane
        builder = ReportBuilder(dt.datetime.now(dt.UTC))
        sessions = list(pane.sessions)  # a snapshot: pages arriving meanwhile are not counted
        gone = set(pane.gone)
        for start in range(0, len(sessions), REPORT_SLICE):
            for session in sessions[start : start + REPORT_SLICE]:
                if session.key not in gone:
                    builder.add(_live_ttl(session, pane))
            await asyncio.sleep(0)
        text = report_text(builder.build(pane.discovery))
        if pane.scanning:
            text = f"(the scan is still running: {len(sessions):,} sessions so far)\n\n{text}"
        self.host.push_screen(SessionReportScreen(text, list(self.live), RESCAN_SECONDS))

    # -- requests from the pane -----------------------------------------------------------

    def requested(self, event: SessionPane.ActionRequested) -> None:
        session = event.session
        if event.action == "report":
            self.report()
        elif event.action == "cookie":
            self.host.push_screen(
                PromptScreen(
                    "Open the session of a cookie",
                    [Field("cookie", "", "a cookie value, name=value, or a whole Cookie: header")],
                    note="As the browser's developer tools show it; nothing is written.",
                ),
                given(lambda v: self.cookie(v[0]) if v[0].strip() else None),
            )
        elif event.action == "rescan":
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
            "$undo",
            framework=session.framework,
            user=clip_middle(escape_text(session.user or "-", multiline=False), PREVIEW_CELLS),
            # In full up to a long key's clip: the key deleted is the one shown.
            sid=escape_text(session.session_id, multiline=False),
            key=key_label(session.key, DIALOG_KEY_CELLS),
            undo=self.edits.undo_promise(),
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
                f"TTL of session {key_label(key, TITLE_KEY_CELLS)}",
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
                f"Edit {label} of {key_label(session.key, TITLE_KEY_CELLS)}",
                [Field('value (JSON: 42, true, "text", [1,2])', shown)],
                note="Written back in the session's own format, TTL kept.",
            ),
            given(apply),
        )


def _live_ttl(session: Session, pane: SessionPane) -> Session:
    """The session with its TTL as counted down since it was read."""
    ttl = pane.ttl_now(session)
    return session if ttl == session.ttl_ms else replace(session, ttl_ms=ttl)


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
