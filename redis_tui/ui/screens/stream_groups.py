"""``P`` on a stream (or ``:groups``): its consumer groups, a group's consumers and its
pending entries, with XACK and XCLAIM behind a confirmation that names what they do."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from redis_tui.data.edit.ops import AckStreamEntries, ClaimStreamEntries, EditOp
from redis_tui.data.values.display import escape_key, human_ttl, unescape_key
from redis_tui.data.values.streams import GroupDetail, PendingEntry, StreamGroup, entry_time
from redis_tui.ui.screens.base import Dialog
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import Field, PromptScreen
from redis_tui.ui.style import key_label

DIALOG_KEY_CELLS = 60

# Asks the worker for groups: (key, group or None for the first, after id for the next page).
Load = Callable[[bytes, bytes | None, bytes | None], None]
# Sends an edit (through the production confirmation when the profile asks for it).
Write = Callable[[str, EditOp], None]


def human_ms(ms: int) -> str:
    """An idle time: '350 ms', '45s', '1m 02s'."""
    return f"{ms} ms" if ms < 1000 else human_ttl(ms)


def _id_cell(entry_id: bytes) -> Text:
    when = entry_time(entry_id)
    return Text(escape_key(entry_id) + (f"  {when}" if when else ""))


class StreamGroupsScreen(Dialog[None]):
    """Read-only until ``a`` (acknowledge) or ``c`` (claim) is confirmed."""

    AUTO_FOCUS = "#groups-table"
    BINDINGS = [
        Binding("escape", "close", "Close", id="groups.close", tooltip="Close"),
        Binding("a", "ack", "Ack", id="groups.ack",
                tooltip="XACK the selected pending entry (no undo)"),
        Binding("c", "claim", "Claim", id="groups.claim",
                tooltip="XCLAIM the selected pending entry for a consumer (no undo)"),
        Binding("right_square_bracket", "more", "More", id="groups.more",
                tooltip="Next page of the pending list"),
        Binding("r", "reload", "Reload", id="groups.reload", tooltip="Read the groups again"),
        Binding("q", "app.quit", "Quit", show=False, id="groups.quit", tooltip="Quit redis-tui"),
    ]  # fmt: skip

    def __init__(self, key: bytes, load: Load, write: Write) -> None:
        super().__init__()
        self.key = key
        self._load = load
        self._write = write
        self.groups: list[StreamGroup] = []
        self.group: bytes | None = None
        self.pending: list[PendingEntry] = []
        self.has_more = False

    def compose(self) -> ComposeResult:
        with Vertical(id="groups-dialog"):
            yield Static(
                Content.from_markup(
                    "Consumer groups of [b]$key[/b] — esc closes",
                    key=key_label(self.key, DIALOG_KEY_CELLS),
                ),
                id="groups-title",
            )
            groups: DataTable[Text] = DataTable(id="groups-table", cursor_type="row")
            groups.add_columns("group", "consumers", "pending", "last delivered", "lag")
            yield groups
            yield Static("", id="groups-consumers-title", markup=False)
            consumers: DataTable[Text] = DataTable(id="groups-consumers", cursor_type="row")
            consumers.add_columns("consumer", "pending", "idle", "inactive")
            yield consumers
            yield Static("", id="groups-pending-title", markup=False)
            pending: DataTable[Text] = DataTable(id="groups-pending", cursor_type="row")
            pending.add_columns("pending id", "consumer", "idle", "deliveries")
            yield pending
            yield Static(
                "enter: a group's consumers and pending list · a ack · c claim · ] more · r reload",
                id="groups-help",
                markup=False,
            )

    def on_mount(self) -> None:
        self._load(self.key, None, None)

    # -- what the worker read ----------------------------------------------------------------

    def show(self, groups: list[StreamGroup], detail: GroupDetail | None, append: bool) -> None:
        if not self.is_mounted:
            return
        self.groups = groups
        table = self.query_one("#groups-table", DataTable)
        at = table.cursor_row
        table.clear()
        for g in groups:
            lag = "?" if g.lag is None else f"{g.lag:,}"
            table.add_row(
                Text(escape_key(g.name)),
                Text(f"{g.consumers:,}"),
                Text(f"{g.pending:,}"),
                _id_cell(g.last_delivered),
                Text(lag),
            )
        if not groups:
            self.query_one("#groups-consumers-title", Static).update("This stream has no group")
        if detail is None:
            if groups:
                table.move_cursor(row=min(at, len(groups) - 1))
            return
        names = [g.name for g in groups]
        if detail.group in names:
            table.move_cursor(row=names.index(detail.group))
        self.group = detail.group
        self._show_detail(detail, append)

    def _show_detail(self, detail: GroupDetail, append: bool) -> None:
        consumers = self.query_one("#groups-consumers", DataTable)
        consumers.clear()
        for c in detail.consumers:
            inactive = "?" if c.inactive_ms is None else human_ms(c.inactive_ms)
            consumers.add_row(
                Text(escape_key(c.name)),
                Text(f"{c.pending:,}"),
                Text(human_ms(c.idle_ms)),
                Text(inactive),
            )
        capped = " (the first 500)" if detail.consumers_capped else ""
        self.query_one("#groups-consumers-title", Static).update(
            f"Consumers of {escape_key(detail.group)}: {len(detail.consumers):,}{capped}"
        )
        pending = self.query_one("#groups-pending", DataTable)
        if not append:
            pending.clear()
            self.pending = []
        self.pending += detail.pending
        self.has_more = detail.has_more
        for p in detail.pending:
            pending.add_row(
                _id_cell(p.entry_id),
                Text(escape_key(p.consumer)),
                Text(human_ms(p.idle_ms)),
                Text(f"{p.deliveries:,}"),
            )
        more = " — ] loads more" if detail.has_more else ""
        self.query_one("#groups-pending-title", Static).update(
            f"Pending entries of {escape_key(detail.group)}: {len(self.pending):,} shown{more}"
        )

    # -- keys --------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#groups-table")
    def group_chosen(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.groups):
            self._load(self.key, self.groups[event.cursor_row].name, None)

    def action_reload(self) -> None:
        self._load(self.key, self.group, None)

    def action_more(self) -> None:
        if self.group is not None and self.has_more and self.pending:
            self._load(self.key, self.group, self.pending[-1].entry_id)
        else:
            self.notify("The whole pending list is shown", timeout=1.5)

    def _selected(self) -> PendingEntry | None:
        table = self.query_one("#groups-pending", DataTable)
        row = table.cursor_row
        if self.group is None or not (0 <= row < len(self.pending)):
            self.notify("Select a pending entry first (tab to the pending list)", timeout=2)
            return None
        return self.pending[row]

    def action_ack(self) -> None:
        entry, group = self._selected(), self.group
        if entry is None or group is None:
            return
        body = Content.from_markup(
            "XACK [b]$key[/b] [b]$group[/b] [b]$id[/b]\n\nThe entry leaves the pending list "
            "of group [b]$group[/b] (it was delivered to [b]$consumer[/b]); the entry itself "
            "stays in the stream. There is no undo.",
            key=key_label(self.key, DIALOG_KEY_CELLS),
            group=escape_key(group),
            id=escape_key(entry.entry_id),
            consumer=escape_key(entry.consumer),
        )
        op = AckStreamEntries(self.key, None, group, (entry.entry_id,))
        self.app.push_screen(
            ConfirmScreen("Acknowledge entry", body, confirm_label="Ack"),
            lambda yes: self._write("acknowledge", op) if yes else None,
        )

    def action_claim(self) -> None:
        entry, group = self._selected(), self.group
        if entry is None or group is None:
            return
        key, entry_id = self.key, entry.entry_id

        def given(values: list[str] | None) -> None:
            if values is None:
                return
            consumer, idle = values[0].strip(), values[1].strip() or "0"
            if not consumer or not idle.isdigit():
                self.notify("A consumer name and an idle time in ms are needed", timeout=3)
                return
            name = unescape_key(consumer)  # \\xNN types raw bytes, as in every key dialog
            op = ClaimStreamEntries(key, None, group, name, int(idle), (entry_id,))
            body = Content.from_markup(
                "XCLAIM [b]$key[/b] [b]$group[/b] [b]$consumer[/b] $idle [b]$id[/b]\n\n"
                "The entry moves to consumer [b]$consumer[/b] if it has been idle for at "
                "least $idle ms; its delivery count goes up. There is no undo.",
                key=key_label(key, DIALOG_KEY_CELLS),
                group=escape_key(group),
                consumer=escape_key(op.consumer),
                idle=str(op.min_idle_ms),
                id=escape_key(entry_id),
            )
            self.app.push_screen(
                ConfirmScreen("Claim entry", body, confirm_label="Claim"),
                lambda yes: self._write("claim", op) if yes else None,
            )

        self.app.push_screen(
            PromptScreen(
                f"Claim {escape_key(entry_id)} of group {escape_key(group)}",
                [
                    Field("for consumer"),
                    Field("min idle (ms)", str(entry.idle_ms), "only if idle at least this"),
                ],
            ),
            given,
        )

    def action_close(self) -> None:
        self.dismiss(None)
