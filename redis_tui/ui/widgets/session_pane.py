"""The session inspector: live sessions in a virtual list, the selected one as a tree.

The pane is pure display and intent: it never reads Redis. The app feeds it pages of
``Session`` objects from the worker and turns its messages into worker requests.
"""

from __future__ import annotations

import datetime as dt
import gc
import shlex
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, Tree

from redis_tui.data.values.display import escape_key, escape_text, human_bytes, human_ttl
from redis_tui.ui.widgets.data_tree import AttrPath, fill_tree
from redis_tui.ui.widgets.session_rows import SORTS, Row, SessionRows
from redis_tui.ui.widgets.virtual_list import VirtualList, cell, cursor_bindings

if TYPE_CHECKING:  # the session code loads with the first session scan, not at start
    from redis_tui.data.sessions import Discovery, Session

FRAMEWORK_WIDTH, USER_WIDTH, TTL_WIDTH, IDLE_WIDTH, SIZE_WIDTH = 10, 16, 9, 8, 9
MAX_TREE_NODES = 2000
RELATED_SHOWN = 4
WHERE_SHOWN = 3
FREEZE_EVERY = 5000  # sessions loaded between two gc.freeze()
REPAINT_EVERY = 0.25  # seconds between repaints while pages of sessions arrive
__all__ = ["SORTS", "SessionPane"]


def column_layout(width: int) -> list[tuple[str, int, bool]]:
    """(column, cells, right-aligned) that fit ``width``: on a narrow pane the session id,
    idle time and size give way first; framework, user and TTL always show."""
    fixed = [("framework", FRAMEWORK_WIDTH, False), ("user", USER_WIDTH, False)]
    tail = [("ttl", TTL_WIDTH, True), ("idle", IDLE_WIDTH, True), ("size", SIZE_WIDTH, True)]
    while tail[1:] and sum(c + 1 for _, c, _ in fixed + tail) + 6 > width:
        tail.pop()  # size, then idle
    room = width - sum(c + 1 for _, c, _ in fixed + tail)
    middle = [("session id", room, False)] if room >= 6 else []
    if not middle and sum(c + 1 for _, c, _ in fixed + tail) > width:
        fixed = [("framework", 8, False), ("user", max(4, width - 8 - TTL_WIDTH - 2), False)]
    return [*fixed, *middle, *tail]


class SessionList(VirtualList):
    """Sessions, or users with their session counts when grouped."""

    BINDINGS = [
        *cursor_bindings("sessions", "session"),
        Binding("enter", "open", "Open", id="sessions.open", tooltip="Open the session's tree"),
    ]
    COMPONENT_CLASSES = {"virtual-list--cursor", "session-list--dim", "session-list--gone"}

    class Highlighted(Message):
        def __init__(self, row: int) -> None:
            super().__init__()
            self.row = row

    class Opened(Message):
        def __init__(self, row: int) -> None:
            super().__init__()
            self.row = row

    def __init__(self, pane: SessionPane, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pane = pane
        self._last: int | None = None
        self._layout_width = 0

    def on_mount(self) -> None:
        self.set_interval(1.0, self._count_down)

    def _count_down(self) -> None:
        """Repaint the TTL countdowns, only when the list is on screen (a hidden pane's
        repaint every second was part of the idle CPU)."""
        if self.is_on_screen and self.row_count():
            self.refresh()

    def row_count(self) -> int:
        return len(self.pane.rows)

    def render_row(self, row: int, width: int, base: Style) -> list[Segment]:
        dim = base + self.get_component_rich_style("session-list--dim", partial=True)
        item = self.pane.rows[row]
        if isinstance(item, tuple):  # grouped: (user, count)
            user, count = item
            label = f"{user or '(no user)'}: {count} session{'s' if count != 1 else ''}"
            return [Segment(escape_text(label, multiline=False), base)]
        session = self.pane.sessions[item]
        gone = session.key in self.pane.gone
        style = (
            base + self.get_component_rich_style("session-list--gone", partial=True)
            if gone
            else base
        )
        error = " ⚠" if session.error else ""
        texts = {
            "framework": (session.framework, style),
            "user": (escape_text(session.user or "-", multiline=False), style),
            "session id": (escape_text(session.session_id, multiline=False) + error, dim),
            "ttl": ("gone" if gone else human_ttl(self.pane.ttl_now(session)), style),
            "idle": (_idle(session), dim),
            "size": (human_bytes(session.size), dim),
        }
        if width != self._layout_width:
            # The column header follows the width the rows are really drawn at.
            self._layout_width = width
            self.call_later(self.pane.update_columns, width)
        segments: list[Segment] = []
        for name, cells, right in column_layout(width):
            text, text_style = texts[name]
            if segments:
                segments.append(Segment(" "))
            segments.append(cell(text, cells, text_style, right=right))
        return segments

    def cursor_moved(self) -> None:
        if self.row_count() and self.cursor != self._last:
            self._last = self.cursor
            self.post_message(self.Highlighted(self.cursor))

    def action_open(self) -> None:
        if self.row_count():
            self.post_message(self.Opened(self.cursor))


class AttributeTree(Tree[AttrPath]):
    """The decoded session as a tree; j/k move like everywhere else."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="session_tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="session_tree.up"),
    ]


class SessionPane(Vertical):
    """Header, the session list, the selected session's tree."""

    ALLOW_MAXIMIZE = True  # z maximises the whole pane, not the table inside it

    BINDINGS = [
        Binding("U", "group", "By user", id="sessions.group", tooltip="Group sessions by user"),
        Binding("s", "sort", "Sort", id="sessions.sort", tooltip="Sort: TTL, user, size…"),
        Binding("slash", "filter", "Filter", id="sessions.filter",
                tooltip="Filter by user or framework (user:alice, framework:php, text)"),
        Binding("d,delete", "revoke", "Revoke", id="sessions.revoke", tooltip="Revoke the session"),
        Binding("D", "revoke_user", "Revoke user", id="sessions.revoke_user",
                tooltip="Revoke every session of this user (preview first)"),
        Binding("t", "ttl", "TTL", id="sessions.ttl", tooltip="Extend or shorten the session"),
        Binding("e", "edit", "Edit", id="sessions.edit", tooltip="Edit the selected attribute"),
        Binding("r", "rescan", "Rescan", id="sessions.rescan", tooltip="Find sessions again"),
        Binding("H", "report", "Health", id="sessions.report",
                tooltip="Session health report (also :sessions report)"),
        Binding("c", "cookie", "Cookie", id="sessions.cookie",
                tooltip="Paste a cookie or Cookie: header to open its session (also :cookie)"),
    ]  # fmt: skip

    class Selected(Message):
        """The session under the cursor changed (None: nothing selected)."""

        def __init__(self, session: Session | None) -> None:
            super().__init__()
            self.session = session

    class ActionRequested(Message):
        """The user asked for ``action`` on ``session`` (revoke, revoke_user, ttl, edit…)."""

        def __init__(self, action: str, session: Session | None, path: AttrPath = ()) -> None:
            super().__init__()
            self.action = action
            self.session = session
            self.path = path

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.gone: set[bytes] = set()
        self.ttl_deadlines: dict[bytes, float] = {}
        self.model = SessionRows(lambda key: self.ttl_deadlines.get(key, -1.0))
        self.filter_text = ""
        self.scanning = False
        # Where the last scan found sessions, when it discovered them (no patterns given).
        self.discovery: Discovery | None = None
        self._shown: Session | None = None
        self._repaint_timer: Timer | None = None
        self._frozen_at = 0
        # Actions pressed before the first session arrived, in order (see ``_rebuild``).
        self._held: list[str] = []
        self._refreshed: set[bytes] | None = None
        self.header = Static("", id="sessions-header", markup=False)
        self.columns = Static("", id="session-columns", markup=False)
        self.list = SessionList(self, id="session-list")
        self.attrs: Tree[AttrPath] = AttributeTree("session", id="session-tree")
        self.detail = Static("", id="session-detail", markup=False)

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.columns
        yield self.list
        yield self.detail
        yield self.attrs

    def update_columns(self, width: int) -> None:
        columns = [
            name.rjust(cells) if right else name.ljust(cells)[:cells]
            for name, cells, right in column_layout(width)
        ]
        self.columns.update(" ".join(columns))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Reading the tree: it gets the room, the list keeps a few rows.
        self.set_class(event.widget is self.attrs, "-tree")

    def on_mount(self) -> None:
        self.attrs.show_root = False
        self.attrs.guide_depth = 2
        self._draw_header()
        self.set_interval(1.0, self._tick)

    # The model's state, under the names the rest of the app (and the tests) read.
    @property
    def sessions(self) -> list[Session]:
        return self.model.sessions

    @property
    def by_key(self) -> dict[bytes, int]:
        return self.model.by_key

    @property
    def rows(self) -> Sequence[Row]:
        return self.model.rows

    @property
    def grouped(self) -> bool:
        return self.model.grouped

    @property
    def sort(self) -> str:
        return self.model.sort

    # -- data in ----------------------------------------------------------------------------

    def reset(self) -> None:
        self.model.clear()
        self._frozen_at = 0
        self.gone.clear()
        self.ttl_deadlines.clear()
        self._refreshed = None
        self.scanning = True
        self._held = []
        self.list.cursor = 0
        self.list.awaiting_rows = True
        self.list.rows_changed()
        self._show(None)
        self._draw_header()

    def begin_refresh(self) -> None:
        """A rescan that keeps the list: what it does not find again is marked gone."""
        self.scanning = True
        self._refreshed = set()
        self._draw_header()

    def add(self, page: list[Session]) -> None:
        now = time.monotonic()
        if self._refreshed is not None:
            self._refreshed.update(s.key for s in page)
        for session in page:
            self._set_ttl(session.key, session.ttl_ms, now)
        current = self.selected
        first = not self.model.indexes and not self.model.groups
        self.model.add(page)
        if len(self.model) - self._frozen_at >= FREEZE_EVERY:
            # Loaded sessions live as long as the pane: out of the cyclic GC's full
            # collections, which otherwise grow with them (0.3 s at 30,000 sessions) and
            # hold the loop. Their own garbage is still freed by reference counting.
            self._frozen_at = len(self.model)
            gc.freeze()
        # Pages arriving fast repaint the list and header a few times a second, not once per
        # page: each full repaint costs ~30 ms, and 100,000 sessions are 200 pages.
        self._rebuild(current, paint=first)

    def finished(self) -> None:
        self.scanning = False
        if self._refreshed is not None:
            self.gone.update(k for k in self.by_key if k not in self._refreshed)
            self._refreshed = None
        self._rebuild(self.selected)

    def replace(self, key: bytes, session: Session | None) -> None:
        """The selected session, read again: update it, or mark it gone."""
        index = self.by_key.get(key)
        if session is None:
            self.gone.add(key)
            self.list.refresh()
            self._say_gone(key)
            return
        self.gone.discard(key)
        if index is None:
            return
        old = self.sessions[index]
        current = self.selected
        self._set_ttl(key, session.ttl_ms, time.monotonic())
        self.model.add([session])
        self._rebuild(current)
        if self.selected is not None and self.selected.key == key:
            if old.digest != session.digest:
                self._show(session)  # the data changed: the tree too
            else:
                self._shown = session
                self._draw_facts()

    def _say_gone(self, key: bytes, how: str = "expired or revoked") -> None:
        """The open session no longer exists: say so above its (last known) tree."""
        if self.selected is not None and self.selected.key == key:
            self.detail.update(Content.from_markup("[b red]$how[/]: gone from Redis", how=how))

    def update_ttls(self, pttls: dict[bytes, int]) -> None:
        now = time.monotonic()
        for key, pttl in pttls.items():
            if pttl == -2:
                self.gone.add(key)
                self._say_gone(key)
            else:
                self.gone.discard(key)
                self._set_ttl(key, pttl, now)
        self.model.refresh_sort_keys()
        self.list.refresh()

    def removed(self, keys: list[bytes]) -> None:
        for key in keys:
            self.gone.add(key)
        self.list.refresh()
        for key in keys:
            self._say_gone(key, "revoked")

    def _set_ttl(self, key: bytes, ttl_ms: int, now: float) -> None:
        self.ttl_deadlines[key] = -1.0 if ttl_ms < 0 else now + ttl_ms / 1000

    def ttl_now(self, session: Session) -> int:
        deadline = self.ttl_deadlines.get(session.key, -1.0)
        return -1 if deadline < 0 else max(0, int((deadline - time.monotonic()) * 1000))

    # -- view -------------------------------------------------------------------------------

    @property
    def selected(self) -> Session | None:
        return self.model.session_at(self.list.cursor)

    def visible_keys(self) -> list[bytes]:
        keys = []
        for row in self.list.visible_range():
            session = self.model.session_at(row)
            if session is not None:
                keys.append(session.key)
        return keys

    def _rebuild(self, current: Session | None, *, paint: bool = True) -> None:
        """The model's rows changed: the cursor stays on ``current`` (the session under it
        before the change), the header follows, and actions held for the first session run.
        ``paint=False``: the repaint waits up to ``REPAINT_EVERY`` (the rows are right now;
        only their drawing is coalesced)."""
        if current is not None and not self.grouped:
            position = self.model.position_of(current.key)
            if position is not None and position != self.list.cursor:
                self.list.cursor = position
        self.list.awaiting_rows = self.scanning and not self.rows
        if paint:
            self._repaint()
        elif self._repaint_timer is None:
            self._repaint_timer = self.set_timer(REPAINT_EVERY, self._repaint)
        if self._held and self.rows:
            # Keys pressed before the first session came act on the one highlighted now.
            held, self._held = self._held, []
            for action in held:
                self._request(action)
        elif self._held and not self.scanning:
            held, self._held = self._held, []
            self.notify(f"No session found: {', '.join(held)} not done", severity="warning")

    def _repaint(self) -> None:
        if self._repaint_timer is not None:
            self._repaint_timer.stop()
            self._repaint_timer = None
        self.list.rows_changed()
        self._draw_header()

    def _position_of(self, key: bytes) -> int | None:
        return self.model.position_of(key)

    def _draw_header(self) -> None:
        model = self.model
        total = len(model)
        if model.filter:
            count = f"{model.matched:,} of {total:,} sessions"
        else:
            count = f"{total:,} sessions"
        parts = [count, f"{len(model.users):,} users"]
        if self.scanning:
            parts.append("scanning…")
        if self.filter_text:
            parts.append(f"filter {self.filter_text}")
            if not model.matched and not self.scanning:
                parts.append("nothing matches")
        if self.sort != "found":
            parts.append(f"sorted by {self.sort}")
        if self.grouped:
            parts.append("grouped by user (enter lists a user's sessions)")
        mix = ", ".join(f"{name} {count}" for name, count in sorted(model.frameworks.items()))
        lines = ["  ·  ".join(parts)]
        if mix:
            lines.append(mix)
        if self.discovery is not None and (self.discovery.found or self.discovery.skipped):
            lines.append(_where(self.discovery))
        self.header.update(Content(escape_text("\n".join(lines))))

    def set_discovery(self, discovery: Discovery | None) -> None:
        if discovery is not self.discovery:
            self.discovery = discovery
            self._draw_header()

    def on_session_list_highlighted(self, event: SessionList.Highlighted) -> None:
        selected = self.selected
        shown = self._shown
        if selected is not None and shown is not None and selected.key == shown.key:
            return  # rows moved under the cursor, the session is the same: keep its tree
        self._show(selected)

    def on_session_list_opened(self, event: SessionList.Opened) -> None:
        if self.grouped:
            user, _count = self.model.groups[event.row]
            self.model.grouped = False
            self.set_filter(f"user:{shlex.quote(user)}" if user else "user:-")
            return
        self.attrs.focus()

    def _show(self, session: Session | None) -> None:
        self.post_message(self.Selected(session))
        self._shown = session
        self.attrs.clear()
        if session is None:
            self.detail.update("")
            return
        self._draw_facts()
        budget = [MAX_TREE_NODES]
        fill_tree(self.attrs.root, session.data, (), budget)
        self.attrs.root.expand_all()

    def _tick(self) -> None:
        """Once a second: the open session's TTL counts down in its facts too."""
        if self._shown is not None and self._shown.key not in self.gone:
            self._draw_facts()

    def _draw_facts(self) -> None:
        session = self._shown
        if session is None:
            return
        layers = f" ({' → '.join(session.layers)})" if session.layers else ""
        expiry = f"expires {_when(session.expires_at)} · TTL {human_ttl(self.ttl_now(session))}"
        if session.payload_expires_at:
            expiry += f" · payload says {_when(session.payload_expires_at)}"
        refusal = session.refusal or "format cannot be written back exactly"
        editable = "attributes editable (e)" if session.writable else f"read-only: {refusal}"
        facts = [
            f"{session.framework} · {session.format}{layers}",
            f"user {session.user or '-'} · id {session.session_id}",
            f"created {_when(session.created_at)} · last access {_when(session.last_access_at)}",
            expiry,
            f"{human_bytes(session.size)} · {editable}",
        ]
        facts.insert(2, f"key {escape_key(session.key)}")
        for key, what in session.related[:RELATED_SHOWN]:
            facts.append(f"{what}: {escape_key(key)}")
        if len(session.related) > RELATED_SHOWN:
            facts.append(f"… and {len(session.related) - RELATED_SHOWN} more related keys")
        if session.error:
            facts.append(f"⚠ {session.error}")
        self.detail.update(Content(escape_text("\n".join(facts))))

    # -- actions ----------------------------------------------------------------------------

    def action_group(self) -> None:
        current = self.selected
        self.model.set_grouped(not self.grouped)
        self.list.cursor = 0
        self._rebuild(current)

    def action_sort(self) -> None:
        current = self.selected
        self.model.set_sort(SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)])
        self._rebuild(current)

    def set_filter(self, text: str) -> None:
        """Filter the loaded sessions at once; the cursor stays on its session if it still
        matches, else goes to the first."""
        current = self.selected
        self.filter_text = text.strip()
        self.model.set_filter(text)
        self.list.cursor = 0
        self._rebuild(current)
        if self.model.filter and not self.model.matched:
            self.notify(
                f"No session matches {self.filter_text}"
                + (" yet (still scanning)" if self.scanning else ""),
                severity="warning",
                markup=False,
            )
        self._show(self.selected)

    def action_filter(self) -> None:
        self.post_message(self.ActionRequested("filter", None))

    def _request(self, action: str) -> None:
        session = self.selected
        if session is None and self.scanning and not self.rows:
            self._held.append(action)  # sessions are on their way: it waits for the first
            return
        if session is None:
            self.notify("Select a session first", severity="warning")
            return
        path: AttrPath = ()
        node = self.attrs.cursor_node
        if action == "edit" and node is not None and node.data is not None:
            path = node.data
        self.post_message(self.ActionRequested(action, session, path))

    def action_revoke(self) -> None:
        self._request("revoke")

    def action_revoke_user(self) -> None:
        self._request("revoke_user")

    def action_ttl(self) -> None:
        self._request("ttl")

    def action_edit(self) -> None:
        self._request("edit")

    def action_rescan(self) -> None:
        self.post_message(self.ActionRequested("rescan", None))

    def action_report(self) -> None:
        self.post_message(self.ActionRequested("report", None))

    def action_cookie(self) -> None:
        self.post_message(self.ActionRequested("cookie", None))

    def select_key(self, key: bytes) -> bool:
        """Put the cursor on this session (clearing a filter that hides it)."""
        if key not in self.by_key:
            return False
        if self.grouped:
            self.model.grouped = False
        if self.model.position_of(key) is None and self.filter_text:
            self.set_filter("")
        position = self.model.position_of(key)
        if position is None:
            return False
        self.list.cursor = position
        self._rebuild(self.selected)
        return True


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _idle(session: Session) -> str:
    if session.last_access_at is None:
        return ""
    seconds = (dt.datetime.now(dt.UTC) - session.last_access_at.astimezone(dt.UTC)).total_seconds()
    return human_ttl(int(max(0, seconds) * 1000))


def _where(discovery: Discovery) -> str:
    """Where discovery found sessions, the biggest namespaces first, in one line."""
    found = sorted(discovery.found, key=lambda f: -f.count)
    shown = [f"{f.namespace} → {f.framework} {f.count:,}" for f in found[:WHERE_SHOWN]]
    if len(found) > WHERE_SHOWN:
        shown.append(f"+{len(found) - WHERE_SHOWN} more")
    line = "found in " + (", ".join(shown) if shown else "no namespace yet")
    if discovery.skipped:
        line += f"  ·  {len(discovery.skipped):,} namespaces skipped (H: report)"
    return line
