"""The value pane: metadata of the selected key and one page of its value at a time."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static, Tree
from textual.widgets.tree import TreeNode

from redis_tui.data.values import formatting
from redis_tui.data.values.display import escape_text, human_bytes, human_ttl, is_text
from redis_tui.ui.style import key_label
from redis_tui.ui.widgets.data_tree import AttrPath, fill_tree, json_scalar
from redis_tui.ui.widgets.value_search import (
    SERVER_SEARCHED,
    ServerSearch,
    order_facts,
    score_range,
    score_range_prompt,
)

# The readers, search and dialogs load with the first value, search or dialog, TextArea and
# DataTable with the text and the table (``text``, ``table``): the empty pane of the first
# screen needs none of them.
if TYPE_CHECKING:
    from textual.widgets import DataTable

    from redis_tui.data.values.readers import KeyValue, ValueOrder
    from redis_tui.data.values.search import Batch
    from redis_tui.ui.widgets.value_text import ValueText

CELL_CHARS = 300
# TextArea renders a soft-wrapped row from its whole document line, so one 20 MB JSON line
# costs O(line) per row painted. Long lines are folded into document lines of about this many
# characters (a whole number of rows, so the screen looks as soft wrapping would).
FOLD_CHARS = 1024
# The key in the header: at most about three lines of a wide pane, then clipped.
HEADER_KEY_CELLS = 200


# A tree holds at most this many nodes; a small one opens fully expanded.
# 2,000 nodes build in 15-30 ms (5,000 took 62): the UI loop is never held for 50 ms.
MAX_TREE_NODES, EXPAND_ALL_NODES = 2000, 300


class ValueTree(Tree[AttrPath]):
    """A decoded string value as a tree; j/k move, enter or space folds a branch."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="value_tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="value_tree.up"),
    ]


class ValuePane(Vertical, can_focus=False):
    """Shows a KeyValue. It never reads Redis itself: it asks for pages with messages."""

    ALLOW_MAXIMIZE = True  # z maximises the whole pane, not the table inside it

    BINDINGS = [
        Binding("right_square_bracket", "more", "More", id="value.more", tooltip="Next page"),
        Binding("slash", "search", "Search", id="value.search",
                tooltip="Search the whole value on the server (n / N: next / previous match)"),
        Binding("n", "search_next", "Next match", show=False, id="value.search_next"),
        Binding("N", "search_previous", "Previous match", show=False,
                id="value.search_previous"),
        Binding("f", "cycle_format", "Format", id="value.format", tooltip="Text, JSON, hex…"),
        Binding("x,minus", "screen.request('remove_element')", "Remove", id="value.remove",
                tooltip="Remove the selected element, field or member"),
        Binding("O", "reverse", "Order", id="value.order",
                tooltip="A sorted set by descending rank, a list from the tail (O again: back)"),
        Binding("B", "by_score", "By score", id="value.by_score",
                tooltip="A sorted set's members with scores from min to max"),
        Binding("F", "screen.request('field_ttl')", "Field TTL", id="value.field_ttl",
                tooltip="TTL of the selected hash field (Redis 7.4+, Valkey 9)"),
        Binding("T", "toggle_tree", "Tree/text", id="value.tree",
                tooltip="A JSON (or decoded) value as a tree, or as its pretty text"),
    ]  # fmt: skip

    class MoreRequested(Message):
        def __init__(self, value: KeyValue) -> None:
            super().__init__()
            self.value = value

    class OrderRequested(Message):
        """``O`` / ``B``: page this list or sorted set in another order or score range."""

        def __init__(self, value: KeyValue, order: ValueOrder) -> None:
            super().__init__()
            self.value, self.order = value, order

    class SearchRequested(Message):
        """``/`` on a collection (or past a string's loaded text): search it on the server.
        An empty ``query`` ends the search and shows the pages again."""

        def __init__(self, value: KeyValue, query: str, start: int = 0) -> None:
            super().__init__()
            self.value, self.query, self.start = value, query, start

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.value: KeyValue | None = None
        self.format = "auto"
        self._string_data = b""
        # When the value's PTTL was read: the header counts the TTL down from it.
        self._ttl_read_at = 0.0
        self._ttl_shown = ""
        self._rendered_format = "text"
        # False when the loaded version is sampled, not a digest of the whole value.
        self.exact_version = True
        self._render_note: str | None = None
        # The text shown, before folding (what ``Y`` copies), and the bytes of a UTF-8
        # character cut by the page boundary, kept for the next page.
        self.shown_text = ""
        self._pending = b""
        self._fold_width = 0
        # `]` pressed while a page is on its way: each is asked for when the one before lands.
        self._page_in_flight = False
        self._pages_wanted = 0
        self.header = Static(Content("No key selected"), id="value-header", markup=False)
        # The text (a TextArea) is built on first use (``text``); until it is mounted
        # (``compose_hidden``) an empty Static of its id holds its place on screen.
        self._text: ValueText | None = None
        self._text_stand_in = Static("", id="value-text")
        # The table of a collection's elements, built on first use (``table``), as the text.
        self._table: DataTable[Text] | None = None
        self.footer = Static("", id="value-footer", markup=False)
        # A decoded structure (JSON, msgpack, PHP…) opens as a tree; T shows the text.
        self.data_tree: Tree[AttrPath] = ValueTree("value", id="value-tree")
        self.prefer_tree = True
        self._structure: object = None
        self.search_box = Input(
            placeholder="search the value (enter finds, esc cancels)", id="value-search"
        )
        self.search_text = ""
        # The search on the server, while its matches are shown (None: the pages are).
        self.search: ServerSearch | None = None

    def compose(self) -> ComposeResult:
        # The tree, the table and the search box are hidden at start: ``compose_hidden``
        # mounts them after the first frame (the screen calls it).
        yield self.header
        yield self._text_stand_in
        yield self.footer

    async def compose_hidden(self) -> None:
        stand_in = self._text_stand_in
        if stand_in.parent is not None:
            await stand_in.remove()
        await self.mount(self.text, self.data_tree, self.table, self.search_box, before=self.footer)

    @property
    def table(self) -> DataTable[Text]:
        """The elements of a collection, built (and DataTable imported) on first use."""
        if self._table is None:
            from textual.widgets import DataTable

            self._table = DataTable(id="value-table", cursor_type="row", zebra_stripes=True)
            self._table.display = False
        return self._table

    def _showing_table(self) -> bool:
        """The table is shown (``self.table.display`` would build it)."""
        return self._table is not None and self._table.display

    @property
    def text(self) -> ValueText:
        """The value's text, built (and TextArea imported) on first use."""
        if self._text is None:
            from redis_tui.ui.widgets.value_text import ValueText

            self._text = ValueText("", id="value-text", read_only=True, soft_wrap=True)
            self._text.match_cursor_bracket = False
            # A read-only view: a blinking cursor repainted the text twice a second while
            # idle (idle CPU 1.8 % with a value open, 1.0 % without).
            self._text.cursor_blink = False
            self._text.display = self._text_stand_in.display
            self._load(self.shown_text)
        return self._text

    def on_mount(self) -> None:
        # Before they are mounted (``compose_hidden``), so that they never show at start.
        self.search_box.display = False
        self.data_tree.display = False
        self.data_tree.show_root = False
        self.data_tree.guide_depth = 2
        # The header's TTL counts down between reads (no network: the PTTL read and the clock).
        self.set_interval(1.0, self._tick_ttl)

    @property
    def body(self) -> Widget:
        """What shows the value now, and takes the focus: the table, the tree or the text."""
        if self._showing_table():
            return self.table
        return self.data_tree if self.data_tree.display else self.text

    # -- showing --------------------------------------------------------------------------

    def clear(self, message: str = "No key selected") -> None:
        self.value = None
        self.search = None
        self._page_in_flight, self._pages_wanted = False, 0
        self.header.update(Content(message))
        self._load("")
        table = self._table
        if table is not None:
            table.clear(columns=True)
            table.display = False
        self._set_structure(None)
        self.footer.update("")

    def show_error(self, key: bytes, reason: str) -> None:
        self.clear()
        self.header.update(
            Content.from_markup(
                "[b]$key[/b]\n[red]$reason[/]", key=key_label(key, HEADER_KEY_CELLS), reason=reason
            )
        )

    def show(self, value: KeyValue, append: bool = False) -> None:
        """Display a freshly loaded value, or append the next page of the one shown."""
        if append and self.value is not None and self.value.key == value.key:
            if value.type == "string" and value.offset != len(self._string_data):
                return  # a page of a version reloaded since: it no longer follows on
            self._page_in_flight = False
            self._append(value)
        else:
            self._page_in_flight, self._pages_wanted = False, 0
            self.search = None
            if self.value is None or self.value.key != value.key:
                self.format = "auto"  # a new key: detect again
            self.value = value
            self._string_data = value.data or b""
            self._render_full(value)
        self._ttl_read_at = time.monotonic()
        self._update_header()
        self._update_footer()
        if append and self._pages_wanted:
            self._pages_wanted -= 1
            self.action_more()

    def _render_full(self, value: KeyValue) -> None:
        text_area = self.text
        table = self.table
        if value.type == "string" or not value.columns:
            table.display = False
            text_area.display = True
            self._render_string()
            return
        self._set_structure(None)
        text_area.display = False
        table.display = True
        table.clear(columns=True)
        table.add_columns(*value.columns)
        self._add_rows(value)

    def _append(self, page: KeyValue) -> None:
        assert self.value is not None
        value = self.value
        value.ttl_ms, value.length = page.ttl_ms, page.length
        if value.type == "string":
            data = page.data or b""
            self._string_data += data
            value.data = self._string_data
            value.truncated = page.truncated
            if not self._append_text(data, page.truncated):
                self._render_string()
        else:
            if value.field_ttls is not None:  # kept row for row, for the field TTL dialog
                value.field_ttls += page.field_ttls or [-1] * len(page.rows)
            value.rows.extend(page.rows)
            value.cursor = page.cursor
            self._add_rows(page)

    def _render_string(self) -> None:
        value = self.value
        if value is None:
            return
        if value.note:
            self._set_structure(None)
            self._load(value.note)
            return
        data, self._pending = self._string_data, b""
        if value.truncated:
            data, self._pending = _split_utf8(data)
        rendered = formatting.render(data, self.format, truncated=value.truncated)
        self._rendered_format = rendered.format
        self._render_note = rendered.note
        self._load(rendered.text)
        self._set_structure(rendered.data)

    def _set_structure(self, structure: object) -> None:
        """Show ``structure`` as the tree (when there is one and the user prefers it)."""
        self._structure = structure
        tree = self.data_tree
        # Not ``self.text``: that would build it (the clear at start calls this).
        text = self._text
        had_focus = (text is not None and text.has_focus) or tree.has_focus
        show = structure is not None and self.prefer_tree
        tree.clear()
        if show:
            scalar = json_scalar if self._rendered_format == "json" else None
            budget = [MAX_TREE_NODES]
            fill_tree(tree.root, structure, (), budget, scalar)
            if MAX_TREE_NODES - budget[0] <= EXPAND_ALL_NODES:
                tree.root.expand_all()
            else:
                tree.root.expand()
            tree.cursor_line = 0
        if self._showing_table():
            tree.display = False
            return
        tree.display = show
        (text if text is not None else self._text_stand_in).display = not show
        if had_focus and not self.body.has_focus:
            self.body.focus()

    def action_toggle_tree(self) -> None:
        if self._structure is None:
            self.notify("Only a decoded structure (JSON, msgpack, PHP…) has a tree", timeout=2)
            return
        self.prefer_tree = not self.prefer_tree
        self._set_structure(self._structure)

    def _append_text(self, data: bytes, truncated: bool) -> bool:
        """Show the next page of plain text by adding it at the end: the cost is the page's,
        not the whole loaded text's. False when the whole value must be rendered again (a
        last page may decode as JSON; hex, a forced format, or a cut rendering)."""
        if (
            not truncated
            or self._rendered_format != "text"
            or self.format not in ("auto", "text")
            or self._render_note not in (None, formatting.TRUNCATED_NOTE)
        ):
            return False
        data, pending = _split_utf8(self._pending + data)
        if not is_text(data) or len(self.shown_text) + len(data) > formatting.MAX_TEXT:
            return False
        self._pending = pending
        added = escape_text(data)
        document = self.text.document
        last = document.line_count - 1
        tail = document.get_line(last)
        self.shown_text += added
        self.text.replace(
            self._fold(tail + added), (last, 0), document.end, maintain_selection_offset=True
        )
        return True

    def _load(self, text: str, refold: bool = True) -> None:
        self.shown_text = text
        if self._text is None:
            return  # loaded when the text is built (``text``)
        self._fold_width = self._fold_chars()
        self.text.load_text(self._fold(text))
        if refold and len(text) > self._fold_width:
            # A scrollbar that the text brings narrows the rows: fold once more to fit them.
            self.call_after_refresh(self._refold)

    def _refold(self) -> None:
        if self.shown_text and self.text.display and self._fold_chars() != self._fold_width:
            self._load(self.shown_text, refold=False)

    def _fold_chars(self) -> int:
        width = self.text.wrap_width
        if width < 10:
            return FOLD_CHARS
        return width * max(1, FOLD_CHARS // width)

    def _fold(self, text: str) -> str:
        size = self._fold_width or FOLD_CHARS
        if len(text) <= size:
            return text
        lines = text.split("\n")
        if max(map(len, lines)) <= size:
            return text
        return "\n".join(
            piece
            for line in lines
            for piece in ([line[i : i + size] for i in range(0, len(line), size)] or [""])
        )

    def on_resize(self) -> None:
        # Folded rows follow the pane's width; a new width folds again.
        self._refold()

    def _add_rows(self, page: KeyValue) -> None:
        table = self.table
        rows = [tuple(_cell(c) for c in row) for row in page.rows]
        if page.type == "stream":  # an entry id is a time: say which
            from redis_tui.data.values.streams import entry_time

            for row, raw in zip(rows, page.rows, strict=True):
                when = entry_time(raw[0]) if isinstance(raw[0], bytes) else ""
                if when:
                    row[0].append(f"  {when}", style="dim")
        if page.type == "hash" and len(table.columns) == 3:  # the server has field TTLs
            ttls = page.field_ttls or [-1] * len(rows)
            rows = [
                (*row, Text(human_ttl(t) if t >= 0 else ""))
                for row, t in zip(rows, ttls, strict=False)
            ]
        table.add_rows(rows)

    def ttl_left_ms(self) -> int | None:
        """The open key's PTTL now: as read, less the time since (-1: none, None: no key)."""
        value = self.value
        if value is None or value.ttl_ms is None or value.ttl_ms < 0:
            return None if value is None else value.ttl_ms
        passed = int((time.monotonic() - self._ttl_read_at) * 1000)
        return max(0, value.ttl_ms - passed)

    def _tick_ttl(self) -> None:
        left = self.ttl_left_ms()
        if left is not None and left >= 0 and human_ttl(left) != self._ttl_shown:
            self._update_header()

    def _update_header(self) -> None:
        value = self.value
        if value is None:
            return
        self._ttl_shown = human_ttl(self.ttl_left_ms())
        facts = [
            f"type {value.type}",
            f"ttl {self._ttl_shown}",
            f"{'bytes' if value.type == 'string' else 'items'} {_count(value.length)}",
            f"memory {human_bytes(value.memory)}",
        ]
        if value.encoding:
            facts.append(f"encoding {value.encoding}")
        facts.extend(order_facts(value))
        if value.type == "string":
            facts.append(f"format {self._rendered_format}")
        if not self.exact_version:
            # Big keys (or no DUMP permission): the edit check samples the value.
            facts.append("edits detect concurrent changes only in part (large key)")
        header = Content.from_markup(
            "[b]$key[/b]\n[dim]$facts[/]",
            key=key_label(value.key, HEADER_KEY_CELLS),
            facts="  ·  ".join(facts),
        )
        self.header.update(header)

    def _update_footer(self) -> None:
        value = self.value
        if value is None:
            return
        parts: list[str] = []
        if value.type == "string":
            shown = len(self._string_data)
            if value.length == 0:
                parts.append("empty string (0 bytes)")
            if value.truncated:
                of = human_bytes(value.length)
                parts.append(f"showing the first {human_bytes(shown)} of {of} — ] loads more")
            note = self._render_note
            if note:
                parts.append(note)
        if self.search is not None:
            parts.append(self.search.status())
        elif value.columns:
            shown = len(value.rows)
            more = " — ] loads more" if value.has_more else ""
            parts.append(f"{shown:,} of {_count(value.length)} shown{more}")
            if value.note:  # an ACL without TYPE, elements too big for a full page
                parts.append(value.note)
        for group in value.groups:
            parts.append(
                "group {name}: consumers {consumers}, pending {pending}, last id {last}".format(
                    name=_plain(group.get("name")),
                    consumers=_plain(group.get("consumers")),
                    pending=_plain(group.get("pending")),
                    last=_plain(group.get("last-delivered-id")),
                )
            )
        self.footer.update(Content("\n".join(parts)))

    # -- actions --------------------------------------------------------------------------

    def action_more(self) -> None:
        if self.search is not None and self.search.kind != "string":
            self.notify("Matches are shown: / and enter with nothing shows the pages", timeout=2)
        elif self.value is not None and self._page_in_flight:
            self._pages_wanted += 1
        elif self.value is not None and self.value.has_more:
            self._page_in_flight = True
            self.post_message(self.MoreRequested(self.value))
        elif self.value is not None:
            self.notify("All of the value is shown", timeout=1.5)

    def action_reverse(self) -> None:
        value = self.value
        if value is None or value.type not in ("list", "zset"):
            self.notify("O reverses a sorted set or a list", timeout=2)
            return
        order = value.order
        self.post_message(self.OrderRequested(value, replace(order, reverse=not order.reverse)))

    def action_by_score(self) -> None:
        value = self.value
        if value is None or value.type != "zset":
            self.notify("B picks a score range of a sorted set", timeout=2)
            return

        def chosen(values: list[str] | None) -> None:
            if values is not None:
                self.post_message(self.OrderRequested(value, score_range(values, value.order)))

        self.app.push_screen(score_range_prompt(value.order), chosen)

    def action_cycle_format(self) -> None:
        if self.value is None or self.value.type != "string":
            self.notify("Formats apply to strings; enter on an element shows it decoded")
            return

        def chosen(fmt: str | None) -> None:
            if fmt is not None:
                self.set_format(fmt)

        from redis_tui.ui.screens.info import FormatScreen

        self.app.push_screen(FormatScreen(self.format), chosen)

    def set_format(self, fmt: str) -> None:
        self.format = fmt
        self._render_string()
        self._update_header()
        self._update_footer()

    # -- / search: in the text, the tree's labels or the table's loaded rows ----------------

    def action_search(self) -> None:
        if self.value is None:
            return
        box = self.search_box
        box.value = self.search_text
        box.display = True
        # Focus now: the query typed right after / lands in the box, not in the table.
        self.screen.set_focus(box)

    @on(Input.Submitted, "#value-search")
    def search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search_box.display = False
        self.search_text = event.value
        self.screen.set_focus(self.body)
        value = self.value
        if value is not None and value.type in SERVER_SEARCHED:
            if event.value or self.search is not None:
                self._start_search(value, event.value)
        elif event.value:
            self._find(1, from_start=True)

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.search_box.has_focus:
            event.stop()
            self.search_box.display = False
            self.body.focus()

    def action_search_next(self) -> None:
        if not self._step_match(1):
            self._find(1)

    def action_search_previous(self) -> None:
        if not self._step_match(-1):
            self._find(-1)

    # -- / on the server: the matches replace the page as they arrive ----------------------

    def _start_search(self, value: KeyValue, query: str) -> None:
        self.post_message(self.SearchRequested(value, query))
        if not query:
            return  # the screen loads the pages again
        self.search = ServerSearch(query, value.type, total=value.length)
        value.rows = []
        if value.field_ttls is not None:
            value.field_ttls = []
        self.table.clear()
        self._update_footer()

    def search_found(self, generation: int, batch: Batch, error: str | None) -> None:
        """Matches of the search ``generation`` came (ignored when it is no longer shown)."""
        value, search = self.value, self.search
        if value is None or search is None or search.generation != generation:
            return
        search.took(batch, error)
        batch_rows = batch.rows
        if search.kind == "string" and search.done and not search.offsets:
            self.notify(f"Not found: {search.status()}", timeout=3, markup=False)
        if search.kind != "string" and batch_rows:
            value.rows.extend(batch_rows)
            if value.field_ttls is not None:  # not read for matches: shown as unknown
                value.field_ttls += [-1] * len(batch_rows)
            from redis_tui.data.values.readers import KeyValue

            self._add_rows(KeyValue(value.key, value.type, value.ttl_ms, rows=batch_rows))
            wanted = search.wanted_row
            if wanted is not None and (wanted < len(value.rows) or search.done):
                search.wanted_row = None
                self.table.move_cursor(row=min(wanted, len(value.rows) - 1))
        elif search.kind != "string" and search.done and search.wanted_row is not None:
            search.wanted_row = None
            if value.rows:
                self.table.move_cursor(row=len(value.rows) - 1)
        self._update_footer()

    def _step_match(self, step: int) -> bool:
        """n / N among the server's matches; False when no server search is shown."""
        search, value = self.search, self.value
        if search is None or value is None or search.kind == "string":
            return False
        count = len(value.rows)
        here = search.wanted_row if search.wanted_row is not None else self.table.cursor_row
        target = here + step
        if step > 0 and target >= count and not search.done:
            search.wanted_row = target  # typed ahead of the matches: moved when they come
        elif count:
            search.wanted_row = None
            self.table.move_cursor(row=target % count)
        else:
            self.notify("No matches yet" if not search.done else "No matches", timeout=1.5)
        return True

    def _find(self, step: int, from_start: bool = False) -> None:
        query = self.search_text
        if not query or self.value is None:
            if not query:
                self.notify("/ searches the value first", timeout=1.5)
            return
        # Smart case: a query with a capital letter matches case exactly.
        fold = query == query.lower()
        needle = query.lower() if fold else query
        if self._showing_table():
            found = self._find_row(needle, fold, step, from_start)
        elif self.data_tree.display:
            found = self._find_node(needle, fold, step, from_start)
        else:
            found = self._find_text(needle, fold, step, from_start)
        value = self.value
        if not found and value.type == "string" and value.truncated and from_start:
            # Not in the loaded text: the rest of the string, on the server, up to a cap.
            self.search = ServerSearch(query, "string")
            self.post_message(self.SearchRequested(value, query, len(self._string_data)))
            self._update_footer()
            self.notify("Not in the loaded text: searching the rest on the server…", timeout=2)
        elif not found:
            more = " (] loads more of the value)" if self.value.has_more else ""
            self.notify(f"Not found in what is loaded: {query}{more}", timeout=2, markup=False)

    def _find_text(self, needle: str, fold: bool, step: int, from_start: bool) -> bool:
        text = self.shown_text.lower() if fold else self.shown_text
        area = self.text
        here = 0 if from_start else self._offset_of(area.selection.start)
        if step > 0:
            at = text.find(needle, here if from_start else here + 1)
            at = text.find(needle) if at < 0 else at  # wrap around
        else:
            at = text.rfind(needle, 0, max(0, here))
            at = text.rfind(needle) if at < 0 else at
        if at < 0:
            return False
        from textual.widgets.text_area import Selection

        area.selection = Selection(self._location(at), self._location(at + len(needle)))
        area.scroll_cursor_visible(center=True)
        return True

    def _location(self, offset: int) -> tuple[int, int]:
        """Where ``offset`` of the unfolded text sits in the folded document."""
        text = self.shown_text
        start = text.rfind("\n", 0, offset) + 1
        column = offset - start
        if self.text.text == text:  # nothing was folded
            return text.count("\n", 0, start), column
        size = self._fold_width or FOLD_CHARS
        rows = sum(max(1, -(-len(line) // size)) for line in text[:start].split("\n")[:-1])
        return rows + column // size, column % size

    def _offset_of(self, location: tuple[int, int]) -> int:
        row, column = location
        text = self.shown_text
        if self.text.text == text:
            lines = text.split("\n")[:row]
            return sum(len(line) + 1 for line in lines) + column
        size = self._fold_width or FOLD_CHARS
        offset = 0
        for line in text.split("\n"):
            pieces = max(1, -(-len(line) // size))
            if row < pieces:
                return offset + row * size + column
            row -= pieces
            offset += len(line) + 1
        return len(text)

    def _find_row(self, needle: str, fold: bool, step: int, from_start: bool) -> bool:
        assert self.value is not None
        rows = self.value.rows
        if not rows:
            return False
        table = self.table
        first = 0 if from_start else table.cursor_row + step
        for i in range(len(rows)):
            index = (first + i * step) % len(rows)
            cells = " ".join(_plain(c) for c in rows[index])
            if needle in (cells.lower() if fold else cells):
                table.move_cursor(row=index)
                return True
        return False

    def _find_node(self, needle: str, fold: bool, step: int, from_start: bool) -> bool:
        tree = self.data_tree
        nodes: list[TreeNode[AttrPath]] = []
        queue = list(reversed(tree.root.children))
        while queue:  # depth first, in the order the tree draws them
            node = queue.pop()
            nodes.append(node)
            queue.extend(reversed(node.children))
        current = tree.cursor_node
        here = nodes.index(current) if current in nodes and not from_start else -step
        for i in range(1, len(nodes) + 1):
            node = nodes[(here + i * step) % len(nodes)]
            label = str(node.label)
            if needle in (label.lower() if fold else label):
                parent = node.parent
                while parent is not None:
                    parent.expand()
                    parent = parent.parent
                tree.move_cursor(node)
                return True
        return False

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an element: its value decoded (JSON, msgpack, pickle… inside a hash field).

        By name, not ``@on(DataTable.RowSelected, "#value-table")``: that would import
        DataTable with this module."""
        if event.control is not self._table:
            return
        value = self.value
        if value is None or not 0 <= event.cursor_row < len(value.rows):
            return
        row = value.rows[event.cursor_row]
        raw = row[1] if value.type in ("hash", "list") else row[0]
        if not isinstance(raw, bytes):
            return
        rendered = formatting.render(raw)
        label = escape_text(row[0], multiline=False) if isinstance(row[0], bytes) else str(row[0])
        note = f" ({rendered.note})" if rendered.note else ""
        from redis_tui.ui.screens.info import TextScreen

        self.app.push_screen(
            TextScreen(f"{label} — {rendered.format}, {len(raw):,} bytes{note}", rendered.text)
        )


def _split_utf8(data: bytes) -> tuple[bytes, bytes]:
    """``data`` without a UTF-8 character cut at its end, and that cut character's bytes."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # the last character's first byte
            need = 1 if byte < 0x80 else 2 if byte >> 5 == 6 else 3 if byte >> 4 == 14 else 4
            return (data[:-back], data[-back:]) if need > back and byte >= 0xC0 else (data, b"")
    return data, b""


def _count(length: int | None) -> str:
    return "?" if length is None else f"{length:,}"


def _plain(value: Any) -> str:
    if isinstance(value, bytes):
        return escape_text(value, multiline=False)
    return escape_text(str(value), multiline=False)


def _cell(value: Any) -> Text:
    if isinstance(value, list):
        text = " ".join(f"{_plain(k)}={_plain(v)}" for k, v in value)
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = _plain(value)
    if len(text) > CELL_CHARS:
        text = text[:CELL_CHARS] + "…"
    return Text(text)
