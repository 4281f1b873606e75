"""The scan view model without a server or an app: pages in, repaint decisions out."""

from __future__ import annotations

from redis_tui.data.scan.columns import SMALL
from redis_tui.data.scan.keystore import KeyStore
from redis_tui.data.scan.sorting import SortJob
from redis_tui.ui.browser.scan_view import LAYOUT_INTERVAL, Filters, Repaint, ScanView


class Rows:
    """The list widget as the view sees it: a cursor over the store, a visible window."""

    def __init__(self, view: ScanView, height: int = 10) -> None:
        self.view = view
        self.height = height
        self.cursor = 0
        self.changes = 0
        self.refreshes = 0

    @property
    def store(self) -> KeyStore:
        return self.view.store

    @property
    def current_key(self) -> bytes | None:
        if not len(self.store):
            return None
        return self.store.names[self.store.row(self.cursor)]

    def visible_range(self) -> range:
        return range(0, min(len(self.store), self.height))

    def select_key(self, key: bytes) -> bool:
        index = self.store.index_of(key)
        if index is None:
            return False
        self.cursor = self.store.position_of(index)
        return True

    def rows_changed(self) -> None:
        self.changes += 1

    def refresh_rows(self) -> None:
        self.refreshes += 1


def names(n: int, prefix: str = "k") -> list[bytes]:
    return [f"{prefix}{i:05d}".encode() for i in range(n)]


def page(view: ScanView, keys: list[bytes], batch: int, done: bool = False) -> bool:
    return view.scanned(
        view.generation, keys, [b""] * len(keys), [-2] * len(keys),
        done=done, batch=batch, meta_follows=True,
    )  # fmt: skip


def test_first_rows_and_the_end_flush_at_once_pages_between_wait() -> None:
    view = ScanView()
    view.new_scan(1)
    assert page(view, names(5), 1) is True  # the first rows show at once
    rows = Rows(view)
    assert view.flush(rows, resort=True) is Repaint.ROWS
    assert page(view, names(5, "m"), 2) is False  # later pages wait for the timer
    assert view.rows_dirty
    assert page(view, [], 3, done=True) is True


def test_pages_of_an_old_scan_are_ignored() -> None:
    view = ScanView()
    view.new_scan(1)
    view.new_scan(2)
    late = view.scanned(1, names(3), [b""] * 3, [-2] * 3, done=True, batch=1, meta_follows=True)
    assert late is False
    assert len(view.store) == 0 and view.scanning


def test_rows_below_a_full_screen_lay_out_at_most_once_a_second() -> None:
    view = ScanView()
    view.new_scan(1)
    rows = Rows(view, height=10)
    page(view, names(50), 1)
    assert view.flush(rows, now=100.0) is Repaint.ROWS
    page(view, names(50, "m"), 2)
    assert view.flush(rows, now=100.2) is Repaint.NONE  # below the screen: not yet
    assert view.flush(rows, now=100.0 + LAYOUT_INTERVAL + 0.1) is Repaint.ROWS
    assert rows.changes == 2


def test_types_for_rows_on_screen_repaint_lines_off_screen_nothing() -> None:
    view = ScanView()
    view.new_scan(1)
    rows = Rows(view, height=10)
    page(view, names(5000), 1)
    view.flush(rows, resort=True)
    far = view.store.names[4000:4010]
    view.meta_fetched(
        1, 1, far, [b"string"] * 10, [-1] * 10, done=False, offset=4000, last=False,
        hints=None, shown=rows.visible_range(),
    )  # fmt: skip
    assert view.flush(rows) is Repaint.NONE
    near = view.store.names[0:10]
    view.meta_fetched(
        1, 1, near, [b"hash"] * 10, [-1] * 10, done=False, offset=0, last=False,
        hints=None, shown=rows.visible_range(),
    )  # fmt: skip
    assert view.flush(rows) is Repaint.LINES
    assert view.store.type_name(0) == "hash"


def test_scan_ends_when_names_and_types_are_both_done() -> None:
    view = ScanView()
    view.new_scan(1)
    page(view, names(3), 1, done=True)
    assert view.scanning  # types still to come
    done = view.meta_fetched(
        1, 0, [], [], [], done=True, offset=0, last=True, hints=None, shown=range(0)
    )
    assert done and not view.scanning


def test_a_sorted_list_keeps_the_cursor_on_its_key_when_rows_arrive_above() -> None:
    view = ScanView()
    view.new_scan(1)
    rows = Rows(view)
    page(view, [b"m", b"n", b"o"], 1)
    view.flush(rows, resort=True)
    view.sort_by("name", rows)
    rows.select_key(b"n")
    page(view, [b"a", b"b", b"c"], 2)  # sort before "n": rows land above the cursor
    view.flush(rows, resort=True)
    assert rows.current_key == b"n"
    assert rows.cursor == 4


def test_gone_keys_are_struck_then_swept_after_the_grace() -> None:
    view = ScanView()
    view.new_scan(1)
    page(view, names(4), 1)
    gone = [names(4)[1], b"not-listed"]
    assert view.mark_gone(gone, now=10.0) is True
    assert view.store.type_name(1) == "gone"
    assert view.sweep(now=11.0, poll_interval=0.5) is False
    assert view.sweep(now=14.0, poll_interval=0.5) is True
    assert names(4)[1] not in view.store and len(view.store) == 3


def test_a_key_created_again_within_its_grace_is_not_swept() -> None:
    """Deleted elsewhere, then created again (or listed by a new scan) before the grace is
    over: the key exists, and stays listed."""
    view = ScanView()
    view.new_scan(1)
    page(view, names(3), 1)
    back, rescanned = names(3)[0], names(3)[1]
    view.mark_gone([back, rescanned], now=10.0)
    assert view.sweep(now=11.0, poll_interval=0.5) is False
    view.store.set_meta(0, "string", -1, 11.5)  # live updates: it exists again
    assert view.sweep(now=14.0, poll_interval=0.5) is True
    assert back in view.store and rescanned not in view.store
    # A key gone from one scan and listed by the next is not swept from the new store.
    view.mark_gone([back], now=20.0)
    view.sweep(now=21.0, poll_interval=0.5)
    view.new_scan(2)
    page(view, [back], 1)
    assert view.sweep(now=30.0, poll_interval=0.5) is False
    assert back in view.store


def test_status_counts_read_right() -> None:
    view = ScanView()
    view.new_scan(1)
    view.scanning = False
    page(view, [b"only"], 1)
    view.scanning = False
    assert view.status() == "1 key"
    view.dbsize = 1
    assert view.status() == "1 key of 1"
    view.dbsize = 5
    assert view.status() == "1 key of 5"
    view.dbsize = 1
    page(view, [b"two"], 2)
    view.scanning = False
    assert view.status().startswith("2 keys of 2")  # never more listed than the total
    view.filters = Filters("us*", "hash", True)
    view.sort_by("name", Rows(view))
    assert view.status() == (
        "2 match · 1 in the db  ·  filter us*  ·  type hash  ·  no TTL only  ·  sorted by name"
    )
    assert view.filters.match == b"us*"
    # A key :key listed that the filter does not admit is counted apart.
    assert not view.filters.admits(b"user:1", "string", -1)
    assert not view.filters.admits(b"user:1", "hash", 5000)
    assert view.filters.admits(b"user:1", "hash", -1)
    view.outside.add(b"two")
    assert view.status().startswith("2 shown · 1 match · 1 in the db  ·  filter us*")
    # Marked keys come next, before the filters, so that a narrow pane still shows them.
    assert view.status(3).startswith("2 shown · 1 match · 1 in the db  ·  3 marked  ·  filter")
    view.new_scan(3)
    assert not view.outside
    # No glob character: "contains", and the status says so.
    view.filters = Filters("leaderboard")
    assert view.filters.match == b"*leaderboard*"
    assert "filter *leaderboard* (contains leaderboard)" in view.status()
    assert view.filters.matches(b"game:leaderboard:1")
    assert not view.filters.matches(b"game:scores")
    assert Filters("a\\x00b").match == b"*a\x00b*"
    assert Filters("user:?").match == b"user:?"


def test_no_ttl_only_keeps_keys_without_ttl() -> None:
    view = ScanView()
    view.filters = Filters(no_ttl_only=True)
    view.new_scan(1)
    assert not view.names_first
    view.scanned(
        1, [b"a", b"b"], [b"string", b"string"], [-1, 5000], done=True, batch=1,
        meta_follows=False,
    )  # fmt: skip
    assert list(view.store.names) == [b"a"]


def _big_view() -> tuple[ScanView, Rows, list[SortJob]]:
    """A view over more than SMALL keys whose sorts go to a runner, as the screen's do."""
    view = ScanView()
    view.new_scan(1)
    jobs: list[SortJob] = []
    view.sort_runner = jobs.append
    keys = [f"k{(i * 7919) % (SMALL + 500):06d}".encode() for i in range(SMALL + 500)]
    for batch, a in enumerate(range(0, len(keys), 1000), start=1):
        page(view, keys[a : a + 1000], batch)
    return view, Rows(view), jobs


def test_a_big_sort_is_handed_to_the_runner_and_lands_on_the_cursors_key() -> None:
    view, rows, jobs = _big_view()
    rows.cursor = 3
    key = rows.current_key
    view.sort_by("name", rows)
    assert len(jobs) == 1 and view.pending_sort is jobs[0]
    assert view.store.sort_field is None  # scan order until the order comes
    assert f"sorting {SMALL + 500:,} by name…" in view.status(marked=0)
    page(view, [b"late"], 999)  # the scan goes on meanwhile
    assert view.sort_done(jobs[0], jobs[0].run(), rows)
    assert view.store.sort_field == "name" and view.pending_sort is None
    assert rows.current_key == key  # the cursor stays on its key
    shown = [view.store.names[view.store.row(p)] for p in range(len(view.store))]
    assert shown[:-1] == sorted(shown[:-1]) and shown[-1] == b"late"
    assert "sorted by name" in view.status(marked=0)


def test_a_sort_replaced_or_made_stale_is_not_applied() -> None:
    view, rows, jobs = _big_view()
    view.sort_by("name", rows)
    view.sort_by("ttl", rows)  # the user moved on: the first job is cancelled
    assert jobs[0].cancelled and view.pending_sort is jobs[1]
    assert not view.sort_done(jobs[0], jobs[0].run(), rows)
    view.store.remove(view.store.names[0])  # rows move up while the second one runs
    assert not view.sort_done(jobs[1], jobs[1].run(), rows)
    assert len(jobs) == 3 and view.pending_sort is jobs[2]  # begun again
    assert view.sort_done(jobs[2], jobs[2].run(), rows)
    assert view.store.sort_field == "ttl"
