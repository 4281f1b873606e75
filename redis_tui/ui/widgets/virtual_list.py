"""A cursor list that draws only its visible lines (Textual's Line API).

Subclasses say how many rows there are and how to draw one; no widget, row object or Rich
Text exists per row, so a million rows cost what forty do. Bindings ``j k g G`` and paging
are shared; ``binding_prefix`` keeps their ids distinct per list for remapping.

A cursor move repaints two lines (the rows it leaves and lands on), not the widget. A scroll
by a few rows moves the lines already drawn and draws only the rows it brings on screen (and
the two cursor rows); the scrollbar is redrawn only when its thumb moves by a drawn step. A
subclass that says what a row is drawn from (``row_token``) gets the strips of rows it drew
before back from a cache instead of drawing them again.
"""

from __future__ import annotations

from math import ceil

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip


def cursor_bindings(prefix: str, noun: str) -> list[Binding]:
    return [
        Binding(keys, action, label, show=False, id=f"{prefix}.{action}", tooltip=tip)
        for keys, action, label, tip in (
            ("j,down", "cursor_down", "Down", f"Next {noun}"),
            ("k,up", "cursor_up", "Up", f"Previous {noun}"),
            ("g,home", "first", "First", f"First {noun}"),
            ("G,end", "last", "Last", f"Last {noun}"),
            ("pagedown,ctrl+f", "page_down", "Page down", "One screen down"),
            ("pageup,ctrl+b", "page_up", "Page up", "One screen up"),
        )
    ]


# A move to the first or last row typed before there are rows: far enough for any list.
_FAR = 1 << 40


class VirtualList(ScrollView, can_focus=True):
    """Base for KeyList and SessionList. Override ``row_count`` and ``render_row``."""

    COMPONENT_CLASSES = {"virtual-list--cursor"}
    # No repaint of the whole widget when it changes: ``watch_cursor`` refreshes the two rows.
    cursor: reactive[int] = reactive(0, always_update=False, init=False, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        # Rows drawn, by position: (width, base style, token, strip), the cursor not applied.
        self._strips: dict[int, tuple[int, Style, object, Strip]] = {}
        # The widget's style for the frame being drawn (``rich_style`` walks every ancestor).
        self._base_style: Style | None = None
        # The row last drawn with the cursor's highlight.
        self._cursor_drawn = 0
        super().__init__(id=id)

    def row_count(self) -> int:
        raise NotImplementedError

    def render_row(self, row: int, width: int, base: Style) -> list[Segment]:
        """The segments of one row; they are padded or cropped to ``width`` afterwards."""
        raise NotImplementedError

    def row_token(self, row: int) -> object:
        """What ``row`` is drawn from, compared by equality: while it, the width and the style
        stay the same, the row's strip is taken from the cache. None (the default) never
        caches. Called before each draw of the row."""
        return None

    def cursor_moved(self) -> None:
        """Called after the cursor or the rows under it changed."""

    # -- drawing --------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base_style = self.rich_style  # once per frame, not once per line
        try:
            return super().render_lines(crop)
        finally:
            self._base_style = None

    def render_line(self, y: int) -> Strip:
        row = int(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        base = self._base_style or self.rich_style
        if row >= self.row_count():
            return Strip.blank(width, base)
        strip = self._row_strip(row, width, base)
        if row == self.cursor:
            self._cursor_drawn = row
            style = self.get_component_rich_style("virtual-list--cursor")
            if not self.has_focus:
                style = style + Style(dim=True)
            strip = strip.apply_style(style)
        return strip

    def _row_strip(self, row: int, width: int, base: Style) -> Strip:
        token = self.row_token(row)
        strips = self._strips
        if token is not None:
            cached = strips.get(row)
            if cached is not None and cached[:3] == (width, base, token):
                return cached[3]
        strip = Strip(self.render_row(row, width, base)).adjust_cell_length(width, base)
        if token is not None:
            if len(strips) > 4 * max(1, self.size.height):
                strips.clear()  # rows scrolled away long ago
            strips[row] = (width, base, token, strip)
        return strip

    def forget_strips(self) -> None:
        """Draw every row again next time (its data changed in a way the token does not see)."""
        self._strips.clear()

    def notify_style_update(self) -> None:
        self.forget_strips()  # the theme or the CSS changed: the rows' colours too
        super().notify_style_update()

    def rows_changed(self) -> None:
        """Call after rows were added, removed or re-ordered."""
        count = self.row_count()
        if count and self._held_moves:
            self._make_held_moves()
        self._set_row_count(count)
        if self.cursor >= count:
            self.cursor = max(0, count - 1)
        self.refresh_rows()
        self.cursor_moved()

    def refresh_rows(self) -> None:
        """Repaint the rows on screen that are drawn from something else than last time (all
        of them if rows have no ``row_token``), and the rows the cursor left and is on."""
        top = int(self.scroll_offset.y)
        count = self.row_count()
        strips = self._strips
        for row in range(top, top + self.size.height):
            if row >= count:
                strips.pop(row, None)
                self.refresh_row(row)  # blank, or a row that is no more
                continue
            token = self.row_token(row)
            if token is None:
                self.refresh()
                return
            cached = strips.get(row)
            if cached is None or cached[2] != token:
                self.refresh_row(row)
        if self._cursor_drawn != self.cursor:
            self.refresh_row(self._cursor_drawn)
            self.refresh_row(self.cursor)

    def _set_row_count(self, count: int) -> None:
        """A new virtual size. Textual lays the whole screen out again for it; when the list
        only grows and had its scrollbar already, only the scrollbar needs to know."""
        old = self.virtual_size.height
        if not (self.show_vertical_scrollbar and old > self.size.height and count > old):
            self.virtual_size = Size(0, count)
            return
        self.set_reactive(ScrollView.virtual_size, Size(0, count))
        bar = self.vertical_scrollbar
        position = bar.position
        before = _thumb(bar, position)
        bar.set_reactive(ScrollBar.window_virtual_size, count)
        if _thumb(bar, position) != before:
            bar.refresh()

    # -- scrolling ------------------------------------------------------------------------

    def watch_scroll_y(self, old: float, new: float) -> None:
        # ScrollView's own watcher sets the scrollbar's position (a repaint of the bar) and
        # refreshes the whole widget (every line drawn again).
        if self.show_vertical_scrollbar:
            self._move_thumb(old, new)
        delta = round(new) - round(old)
        if delta:
            self._scroll_lines(delta)

    def _move_thumb(self, old: float, new: float) -> None:
        bar = self.vertical_scrollbar
        position = int(new * 8) / 8  # ScrollBar.validate_position: eighths of a cell
        if _thumb(bar, old) == _thumb(bar, position):
            bar.set_reactive(ScrollBar.position, position)  # what a drag reads; no repaint
        else:
            bar.position = position

    def _scroll_lines(self, delta: int) -> None:
        """The rows moved ``delta`` lines up: move the lines drawn and mark the rest dirty.

        This reaches into Textual's per-widget line cache (``_styles_cache``: the lines as drawn
        with border and styles, by widget line); without it, as ScrollView does, every line is
        drawn again."""
        cache = getattr(self, "_styles_cache", None)
        lines = getattr(cache, "_cache", None)
        dirty = getattr(cache, "_dirty_lines", None)
        repaint = getattr(self, "_repaint_regions", None)
        height = self.size.height
        if (
            not isinstance(lines, dict)
            or not isinstance(dirty, set)
            or not isinstance(repaint, set)
            or abs(delta) >= height
        ):
            self.refresh(self.size.region)
            return
        top = self.content_offset.y
        content = range(top, top + height)
        moved = {
            y - delta: lines[y]
            for y in content
            if y - delta in content and y in lines and y not in dirty
        }
        for y in content:
            lines.pop(y, None)
        lines.update(moved)
        dirty.update(y for y in content if y not in moved)
        # On screen every line of the widget changed: the compositor takes them all again.
        repaint.add(self.outer_size.region)
        self.refresh(Region(0, 0, 0, 0))  # schedules that repaint; marks no line dirty

    def visible_range(self) -> range:
        top = int(self.scroll_offset.y)
        return range(top, min(self.row_count(), top + self.size.height))

    # -- cursor ---------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_cursor()  # first: the two rows are refreshed on the lines they end on
        self.refresh_row(old)
        self.refresh_row(new)
        self.cursor_moved()

    def refresh_row(self, row: int) -> None:
        y = row - int(self.scroll_offset.y)
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def scroll_to_cursor(self) -> None:
        top = int(self.scroll_offset.y)
        height = max(1, self.size.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    # Cursor moves the user made (keys, clicks), as opposed to rows moving under the cursor.
    user_moves = 0
    # Rows are on their way (set by the owner while a scan has shown none yet): moves typed
    # meanwhile are kept and made when the first rows arrive, instead of being lost.
    awaiting_rows = False
    _held_moves: tuple[int, ...] = ()

    def move(self, delta: int) -> None:
        self.user_moves += 1
        count = self.row_count()
        if count:
            self.cursor = min(count - 1, max(0, self.cursor + delta))
        elif self.awaiting_rows:
            self._held_moves = (*self._held_moves, delta)

    def _make_held_moves(self) -> None:
        held, self._held_moves = self._held_moves, ()
        count = self.row_count()
        cursor = self.cursor
        for delta in held:
            # "last" (G) was typed with no rows: a huge delta, clamped to the rows there are now.
            cursor = min(count - 1, max(0, cursor + delta))
        self.set_reactive(VirtualList.cursor, cursor)

    def action_cursor_down(self) -> None:
        self.move(1)

    def action_cursor_up(self) -> None:
        self.move(-1)

    def action_first(self) -> None:
        self.move(-(self.row_count() or _FAR))

    def action_last(self) -> None:
        self.move(self.row_count() or _FAR)

    def action_page_down(self) -> None:
        self.move(max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self.move(-max(1, self.size.height - 1))

    def on_click(self, event: Click) -> None:
        self.move(int(self.scroll_offset.y) + event.y - self.cursor)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


def _thumb(bar: ScrollBar, position: float) -> tuple[int, int] | None:
    """Where ``bar`` draws its thumb at ``position``, in eighths of a cell (None: no thumb), as
    ``ScrollBarRender.render_bar`` of the pinned Textual computes it."""
    size = bar.size.height
    virtual_size = ceil(bar.window_virtual_size)
    window_size = ceil(bar.window_size) if bar.window_size < bar.window_virtual_size else 0
    if not (window_size and size and virtual_size and size != virtual_size):
        return None
    if virtual_size <= window_size:
        return None
    steps = len(ScrollBarRender.VERTICAL_BARS)
    thumb_size = max(1, window_size / (virtual_size / size))
    start = int((size - thumb_size) * (position / (virtual_size - window_size)) * steps)
    return start, start + ceil(thumb_size * steps)


def cell(text: str, width: int, style: Style, *, right: bool = False) -> Segment:
    """A fixed-width cell of plain text (already escaped)."""
    text = text[:width]
    return Segment(text.rjust(width) if right else text.ljust(width), style)
