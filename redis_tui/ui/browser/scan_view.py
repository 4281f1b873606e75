"""The key list's view of a scan: the store it fills, what is dirty, when to repaint.

A plain class (no Textual): the browser screen feeds it the worker's scan messages and a
clock, and it says what the list must do. Unit-tested without a server or an app.
"""

from __future__ import annotations

import enum
import fnmatch
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis_tui.data.scan.columns import SMALL
from redis_tui.data.scan.keystore import GONE, NEAR, KeyStore
from redis_tui.data.scan.sorting import SortJob
from redis_tui.data.values.display import unescape_key

SORT_ORDER: tuple[str | None, ...] = (None, "name", "ttl", "type", "size")
GONE_GRACE = 3.0  # seconds a deleted or expired key stays struck through before it goes
RESORT_INTERVAL = 2.0  # while scanning a sorted list, re-sort at most this often
LAYOUT_INTERVAL = 1.0  # while scanning below a full screen, grow the scrollbar this often


class RowList(Protocol):
    """What the view needs of the list widget that shows the store."""

    @property
    def current_key(self) -> bytes | None: ...

    def visible_range(self) -> range: ...

    def select_key(self, key: bytes) -> bool: ...

    def rows_changed(self) -> None: ...

    def refresh_rows(self) -> None: ...


class Repaint(enum.Enum):
    """What a flush asks of the list."""

    NONE = "none"  # only the status line may change
    LINES = "lines"  # types/TTLs of rows on screen: repaint, no new layout
    ROWS = "rows"  # rows were added, removed or re-ordered


@dataclass(frozen=True)
class Filters:
    """What the scan asks the server for."""

    pattern: str = ""
    type_name: str | None = None
    no_ttl_only: bool = False

    @property
    def contains(self) -> bool:
        """A pattern with no glob character means "contains": ``user`` is ``*user*``."""
        return bool(self.pattern) and not any(c in self.pattern for c in "*?[")

    @property
    def match(self) -> bytes | None:
        if not self.pattern:
            return None
        raw = unescape_key(self.pattern)
        return b"*" + raw + b"*" if self.contains else raw

    def describe(self) -> str:
        """The filter as the status line says it."""
        if self.contains:
            return f"filter *{self.pattern}* (contains {self.pattern})"
        return f"filter {self.pattern}"

    def matches(self, key: bytes) -> bool:
        """Whether ``key`` matches the pattern (as Redis globs do, near enough to say so)."""
        match = self.match
        return match is None or fnmatch.fnmatchcase(key.decode("latin-1"), match.decode("latin-1"))

    def admits(self, key: bytes, type_name: str, pttl: int) -> bool:
        """Whether a scan with these filters would list this key."""
        if self.type_name and type_name != self.type_name:
            return False
        if self.no_ttl_only and pttl != -1:
            return False
        return self.matches(key)

    @property
    def active(self) -> bool:
        return bool(self.pattern or self.type_name or self.no_ttl_only)


class ScanView:
    """Owns the KeyStore of the current scan and its dirty state."""

    def __init__(self) -> None:
        self.store = KeyStore()
        self.filters = Filters()
        self.generation = 0
        self.scanning = False
        self.stopped = False
        self.dbsize: int | None = None
        self.sort_index = 0
        self.rows_dirty = False
        # Types and TTLs came for listed rows: a repaint, not a new layout.
        self.meta_dirty = False
        # Keys seen gone (deleted or expired elsewhere) and when: removed after GONE_GRACE.
        self.gone_at: dict[bytes, float] = {}
        # Names-first scans: storage index of each batch, until its types and TTLs arrive.
        self.meta_batches: dict[int, int] = {}
        self.names_done = self.meta_done = False
        self.sorted_at = 0.0
        # A big store's sort runs in a thread (``sorting.SortJob``): the one on its way, who
        # runs it (the screen; None: here and now, for tests), and how long the last took.
        self.pending_sort: SortJob | None = None
        self.sort_runner: Callable[[SortJob], None] | None = None
        self.resort_interval = RESORT_INTERVAL
        self.laid_out_at = 0.0
        self.shown_rows = 0
        # Keys listed by ``:key`` that the filter does not match (until the next scan).
        self.outside: set[bytes] = set()

    # -- a scan starts ------------------------------------------------------------------

    @property
    def sort_field(self) -> str | None:
        return SORT_ORDER[self.sort_index]

    @property
    def names_first(self) -> bool:
        # The "no TTL" filter needs each key's TTL before it is listed.
        return not self.filters.no_ttl_only

    def new_scan(self, generation: int) -> KeyStore:
        """A fresh store for scan ``generation``; the list shows it from the top."""
        self._cancel_sort()
        self.gone_at.clear()  # what the new scan lists exists
        self.store = KeyStore()
        self.shown_rows = 0
        self.outside.clear()  # the same set object: the key list holds it too
        if self.sort_field:
            self.store.sort(self.sort_field)  # an empty store: no rows to sort yet
        self._started(generation)
        return self.store

    def resumed(self, generation: int) -> None:
        """A stopped scan goes on into the same store."""
        self._started(generation)

    def _started(self, generation: int) -> None:
        self.generation = generation
        self.meta_batches = {}
        self.names_done = self.meta_done = False
        self.scanning = True
        self.stopped = False

    def stop(self) -> None:
        self.scanning = False
        self.stopped = True

    # -- the worker's pages -------------------------------------------------------------

    def scanned(
        self,
        generation: int,
        keys: Sequence[bytes],
        types: Sequence[bytes],
        pttls: Sequence[int],
        *,
        done: bool,
        batch: int,
        meta_follows: bool,
    ) -> bool:
        """A page of names arrived. True when the list should flush now (first rows, end)."""
        if generation != self.generation:
            return False
        if self.filters.no_ttl_only:
            kept = [i for i, pttl in enumerate(pttls) if pttl == -1]
            added = self.store.add(
                [keys[i] for i in kept], [types[i] for i in kept], [pttls[i] for i in kept]
            )
        else:
            added = self.store.add(keys, types, pttls)
        self.store.fed_batch = batch
        first_rows = bool(added) and len(self.store) == added
        if meta_follows and added:
            self.meta_batches[batch] = len(self.store) - added
        if done:
            self.names_done = True
            self.scanning = meta_follows and not self.meta_done
        self.rows_dirty = self.rows_dirty or bool(added)
        # Repaint at once for the first rows and the end; in between at most every repaint
        # interval: a repaint per page costs more than the scan.
        return first_rows or done

    def meta_fetched(
        self,
        generation: int,
        batch: int,
        keys: Sequence[bytes],
        types: Sequence[bytes],
        pttls: Sequence[int],
        *,
        done: bool,
        offset: int,
        last: bool,
        hints: Sequence[int] | None,
        shown: range,
    ) -> bool:
        """Types and TTLs arrived for listed names. True when the list should flush now."""
        if generation != self.generation:
            return False
        now = time.monotonic()
        if hints is not None:
            self.store.set_meta_at(list(hints), list(keys), list(types), list(pttls), now)
            if hints:
                self._meta_changed(min(hints), max(hints) + 1, shown)
            return False
        batches = self.meta_batches
        start = batches.pop(batch, None) if last else batches.get(batch)
        if keys:
            # Not contiguous (duplicates): a search per key instead.
            start = len(self.store) if start is None else start + offset
            self.store.set_meta_batch(start, list(keys), list(types), list(pttls), now)
            self._meta_changed(start, start + len(keys), shown)
        if done:
            self.meta_done = True
            if self.names_done:
                self.scanning = False
                return True
        return False

    def _meta_changed(self, first: int, end: int, shown: range) -> None:
        """Types and TTLs came for the rows stored at ``first``..``end`` (a removal since may
        have moved them up, to lower indexes, by up to ``NEAR``)."""
        # A list sorted by TTL or type must be sorted again; otherwise rows stay where they are
        # and only a change on screen is worth a repaint (most come for rows far below it).
        if self.sort_field:
            self.rows_dirty = True
        elif first - NEAR <= shown.stop and end >= shown.start:
            self.meta_dirty = True

    # -- repaints -----------------------------------------------------------------------

    def flush(self, rows: RowList, *, resort: bool = False, now: float | None = None) -> Repaint:
        """Show what the scan added since the last repaint (the list is told directly)."""
        now = time.monotonic() if now is None else now
        if not self.rows_dirty:
            if self.meta_dirty:
                self.meta_dirty = False
                rows.refresh_rows()
                return Repaint.LINES
            return Repaint.NONE
        sorting = bool(self.sort_field)
        # New rows land below a full screen: only the scrollbar would change, and a new
        # virtual size costs a layout of the whole screen. Do that at most every second.
        below = not sorting and self.shown_rows >= rows.visible_range().stop + 1
        if below and not resort and now - self.laid_out_at < LAYOUT_INTERVAL:
            return Repaint.NONE
        self.rows_dirty = False
        # While scanning, re-sort now and then (at most every RESORT_INTERVAL, and not more
        # than a fifth of the time on a store that takes seconds to sort).
        due = resort or now - self.sorted_at > self.resort_interval
        if self.sort_field and due and self.pending_sort is None:
            self.sorted_at = now
            # The first rows of a new scan start at the top of the sorted list; later
            # re-sorts keep the key the user is on.
            self._sort(rows, keep_cursor=bool(self.shown_rows))
        rows.rows_changed()
        self.shown_rows = len(self.store)
        self.laid_out_at = now
        return Repaint.ROWS

    def sort_by(self, field: str | None, rows: RowList) -> None:
        """Sort the loaded keys; the cursor stays on its key. A big store's order comes
        later (``pending_sort``, then ``sort_done``)."""
        self.sort_index = SORT_ORDER.index(field)
        self._sort(rows, keep_cursor=True)
        rows.rows_changed()

    def _sort(self, rows: RowList, *, keep_cursor: bool) -> None:
        field = self.sort_field
        self._cancel_sort()
        if field is None or len(self.store) < SMALL:
            # Python's sort in place: tens of ms at most.
            current = rows.current_key if keep_cursor else None
            self.store.sort(field)
            if current is not None:
                rows.select_key(current)
            return
        job = self.pending_sort = SortJob(self.store, field)
        if self.sort_runner is not None:
            self.sort_runner(job)
        else:
            self.sort_done(job, job.run(), rows)

    def _cancel_sort(self) -> None:
        if self.pending_sort is not None:
            self.pending_sort.cancel()
            self.pending_sort = None

    def sort_done(self, job: SortJob, order: array[int] | None, rows: RowList) -> bool:
        """A sort job finished (``order``: None when it went stale). True when the list now
        shows its order; a stale job is begun again, a replaced one is ignored."""
        if job is not self.pending_sort:
            return False
        self.pending_sort = None
        self.resort_interval = max(RESORT_INTERVAL, 5 * job.seconds)
        current = rows.current_key
        if not self.store.apply_sort(job, order):
            self._sort(rows, keep_cursor=True)  # rows were removed while it ran
            return False
        if current is not None:
            rows.select_key(current)
        rows.rows_changed()
        self.shown_rows = len(self.store)
        return True

    # -- keys that leave ----------------------------------------------------------------

    def mark_gone(self, keys: Sequence[bytes], now: float) -> bool:
        """Keys deleted or expired elsewhere: struck through now, removed after the grace."""
        marked = False
        # Thousands at once when someone deletes a namespace: one lookup for all of them.
        for key, index in zip(keys, self.store.locate(keys), strict=True):
            if index is not None:
                self.store.set_meta(index, "none", -2, now)
                self.gone_at.setdefault(key, now)
                marked = True
        return marked

    def sweep(self, now: float, poll_interval: float) -> bool:
        """Remove the rows struck through for long enough. True when rows left."""
        types, marker = self.store.types, bytes([GONE])
        gone: set[bytes] = set()
        index = types.find(marker)  # C-speed search: cheap even at a million rows
        while index != -1:
            key = self.store.names[index]
            gone.add(key)
            self.gone_at.setdefault(key, now)
            index = types.find(marker, index + 1)
        # A key created again within its grace (its row has a type again, or a new scan
        # listed it) is no longer gone: sweeping it would hide a key that exists.
        for key in [key for key in self.gone_at if key not in gone]:
            del self.gone_at[key]
        grace = max(GONE_GRACE, 2 * poll_interval)
        expired = [key for key, at in self.gone_at.items() if now - at >= grace]
        if not expired:
            return False
        for key in expired:
            del self.gone_at[key]
        return bool(self.store.remove_many(expired))

    # -- the status line ----------------------------------------------------------------

    def status(self, marked: int = 0) -> str:
        """The status line; ``marked`` keys (space) are counted right after the keys, where a
        narrow pane still shows it."""
        count = len(self.store)
        filters = self.filters
        total = ""
        of = count
        if self.dbsize is not None and not filters.active:
            # A count past DBSIZE (keys added since the last poll) is the better total.
            of = max(self.dbsize, count)
            total = f" of {of:,}"
        state = (
            " (scanning…)" if self.scanning else " (stopped: x continues)" if self.stopped else ""
        )
        noun = "key" if count == 1 else "keys"  # "1 key of 5", "0 keys of 1", "2 keys of 5"
        outside = len(self.outside)
        if filters.active and outside:
            # "13 shown · 12 match": keys opened with :key outside the filter are listed too.
            in_db = f" · {self.dbsize:,} in the db" if self.dbsize is not None else ""
            parts = [f"{count:,} shown · {count - outside:,} match{state}{in_db}"]
        elif filters.active and self.dbsize is not None:
            # "12 match · 5,000 in the db": what the filter found, of what there is.
            parts = [f"{count:,} match{state} · {self.dbsize:,} in the db"]
        else:
            parts = [f"{count:,} {noun}{total}{state}"]
        if marked:
            parts.append(f"{marked:,} marked")
        filtered = self.status_filters()
        if filtered:
            parts.append(filtered)
        if self.pending_sort is not None:
            parts.append(f"sorting {self.pending_sort.rows:,} by {self.pending_sort.field}…")
        elif self.store.sort_field:
            parts.append(f"sorted by {self.store.sort_field}")
        return "  ·  ".join(parts)

    def status_filters(self) -> str:
        """The filters on, as the status line says them ("" when none)."""
        filters = self.filters
        parts: list[str] = []
        if filters.pattern:
            parts.append(filters.describe())
        if filters.type_name:
            parts.append(f"type {filters.type_name}")
        if filters.no_ttl_only:
            parts.append("no TTL only")
        return "  ·  ".join(parts)
