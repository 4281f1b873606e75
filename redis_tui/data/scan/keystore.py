"""A compact, columnar store of the keys the list shows.

A million keys must stay cheap: names in one buffer (``columns.NameColumn``), type codes in a
bytearray, TTL deadlines and sizes (MEMORY USAGE, fetched for the rows on screen) in float32
arrays: about 57 bytes a key beside the name's own bytes (benchmarks/README.md). No
per-key objects beyond the key bytes themselves.

``names`` only ever grows at its end, except for ``remove``; ``removal_hooks`` are called with
the key and its storage index, so an index built beside the store (the namespace tree) can
follow it without a search.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from array import array
from collections.abc import Callable, Sequence
from itertools import accumulate, compress

from redis_tui.data.scan.columns import SMALL, HashSet, NameColumn, compress_array, use_numpy
from redis_tui.data.scan.sorting import SortJob, python_order

TYPE_NAMES: tuple[str, ...] = (
    "?",
    "string",
    "hash",
    "list",
    "set",
    "zset",
    "stream",
    "other",
    "gone",
    "json",  # RedisJSON's module type, ReJSON-RL
)
TYPE_CODES: dict[str, int] = {name: code for code, name in enumerate(TYPE_NAMES)}
JSON_MODULE_TYPE = "ReJSON-RL"
UNKNOWN, GONE = 0, TYPE_CODES["gone"]
_OTHER = TYPE_CODES["other"]
# type_code as one dict lookup, for str and bytes names alike (anything else is "other").
_CODES: dict[str | bytes, int] = {
    **{name: code for name, code in TYPE_CODES.items()},
    **{name.encode(): code for name, code in TYPE_CODES.items()},
    "none": GONE,
    b"none": GONE,
    JSON_MODULE_TYPE: TYPE_CODES["json"],
    JSON_MODULE_TYPE.encode(): TYPE_CODES["json"],
}
# Deadlines are float32 seconds after the store's epoch (the ``now`` of its first key):
# to the ms for a day, to 0.25 s for a month's TTL. -inf: no TTL; NaN: not known yet.
_NO_TTL = -math.inf
# Sizes: -1 not fetched yet, -2 cannot be known (MEMORY USAGE forbidden, or the key is gone).
SIZE_UNKNOWN, SIZE_UNAVAILABLE = -1, -2
# ``locate``: how far above its hint a moved key is looked for (a C-level scan of the list),
# and up to how many keys are searched for one by one before one pass over the store is cheaper.
NEAR, FEW_SEARCHES = 1024, 8


def type_code(name: str | bytes) -> int:
    return _CODES.get(name, _OTHER)


class KeyStore:
    """Keys in scan order, with type and TTL, deduplicated (SCAN may repeat a key)."""

    def __init__(self) -> None:
        self.names = NameColumn()
        self.types = bytearray()
        # Monotonic deadline in seconds after ``epoch``, _NO_TTL for none, NaN not known yet.
        self.deadlines = array("f")
        self.epoch: float | None = None
        # MEMORY USAGE in bytes (float32: exact to 16 MB, then within 1 in 16 million),
        # SIZE_UNKNOWN until fetched (see ``set_sizes``).
        self.sizes = array("f")
        # Which keys are listed, to drop SCAN's repeats (``columns.HashSet``: no object a key).
        self._seen = HashSet()
        # Storage indexes in display order (None: scan order), and what they are sorted by.
        self.order: array[int] | None = None
        self.sort_field: str | None = None
        # Removals so far: rows move up, so a sort begun before one no longer fits.
        self.removals = 0
        self.removal_hooks: list[Callable[[bytes, int], None]] = []
        # The last scan batch added (the UI sets it): the worker reads the names of a
        # child-streamed scan back from here for their TYPE/PTTL, once they are all in.
        self.fed_batch = 0

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, key: object) -> bool:
        return key in self._seen

    def add(
        self,
        keys: Sequence[bytes],
        types: Sequence[str | bytes] | None = None,
        pttls: Sequence[int | None] | None = None,
        now: float | None = None,
    ) -> int:
        """Append keys not seen before. Returns how many were new."""
        now = self._since_epoch(now)
        hashes = array("q", map(hash, keys))
        positions = self._seen.add_new(keys, hashes)
        if positions is None:
            # The usual SCAN page: all new. Whole columns at once, no per-key method calls.
            self.names.extend(keys, hashes)
            if not types:
                self.types.extend(bytes(len(keys)))
            else:
                code, other = _CODES.get, _OTHER
                self.types.extend([code(t, other) for t in types[: len(keys)]])
            if not pttls:
                self.deadlines.extend(array("f", [math.nan]) * len(keys))
            else:
                nan, ms = math.nan, now * 1000.0
                # _deadline inlined: -1 no TTL, -2 / None not known, else now + pttl.
                self.deadlines.extend(
                    [
                        _NO_TTL if p == -1 else nan if p is None or p < 0 else (ms + p) / 1000.0
                        for p in pttls[: len(keys)]
                    ]
                )
            self.sizes.extend(array("f", [SIZE_UNKNOWN]) * len(keys))
            added = len(keys)
        else:
            self.names.extend(
                [keys[i] for i in positions], array("q", [hashes[i] for i in positions])
            )
            for i in positions:
                self.types.append(type_code(types[i]) if types else UNKNOWN)
                self.deadlines.append(_deadline(pttls[i] if pttls else None, now))
                self.sizes.append(SIZE_UNKNOWN)
            added = len(positions)
        if added and self.order is not None:
            self.order.extend(range(len(self.names) - added, len(self.names)))
        return added

    def _since_epoch(self, now: float | None) -> float:
        now = time.monotonic() if now is None else now
        if self.epoch is None:
            self.epoch = now
        return now - self.epoch

    def index_of(self, key: bytes) -> int | None:
        """Storage index of a key, or None. O(n), used for single-key updates only."""
        if key not in self._seen:
            return None
        try:
            return self.names.index(key)
        except ValueError:  # a hash collision with a listed key
            return None

    def locate(self, keys: Sequence[bytes], hints: Sequence[int] = ()) -> list[int | None]:
        """Storage indexes of ``keys`` (None: not listed).

        ``hints`` are where the keys were when asked for. Rows only ever move up (a removal
        shifts the rest), so a moved key is looked for in the ``NEAR`` rows above its hint;
        whatever is still missing then costs one pass over the store for all of them together,
        never a search of a million rows per key.
        """
        names, seen = self.names, self._seen
        total = len(names)
        found: list[int | None] = [None] * len(keys)
        missing: dict[bytes, list[int]] = {}
        for n, key in enumerate(keys):
            if key not in seen:
                continue
            if n < len(hints):
                hint = min(hints[n], total - 1)
                if hint >= 0 and names[hint] == key:
                    found[n] = hint
                    continue
                try:
                    found[n] = names.index(key, max(0, hint - NEAR), hint + 1)
                    continue
                except ValueError:
                    pass
            missing.setdefault(key, []).append(n)
        places: dict[bytes, int] = {}
        if len(missing) <= FEW_SEARCHES:  # a hash compare each: ~10 ms at 10M keys
            for key in missing:
                with contextlib.suppress(ValueError):  # a hash collision: not listed
                    places[key] = names.index(key)
        else:  # one pass for all of them
            for i in reversed(names.rows_of(missing)):  # reversed: a key's first row wins
                places[names[i]] = i
        for key, where in missing.items():
            for n in where:
                found[n] = places.get(key)
        return found

    def remove_many(self, keys: Sequence[bytes]) -> int:
        """Remove several keys; returns how many were listed. One pass over the store
        whatever their number (``remove`` searches the store once per key)."""
        gone = {key for key in keys if key in self._seen}
        if len(gone) <= FEW_SEARCHES:
            return sum(self.remove(key) for key in gone)
        names = self.names
        indexes = names.rows_of(gone)
        removed = [names[i] for i in indexes]
        keep = bytearray(b"\x01") * len(names)
        for i in indexes:
            keep[i] = 0
        names.compress(keep)
        self.types = bytearray(compress(self.types, keep))
        self.deadlines = compress_array(self.deadlines, keep)
        self.sizes = compress_array(self.sizes, keep)
        for key in gone:
            self._seen.discard(key)
        self.removals += 1
        if self.order is not None:
            self.order = _order_without(self.order, keep)
        # The hooks see each index as ``remove`` would give it.
        for i, key in zip(reversed(indexes), reversed(removed), strict=True):
            for hook in self.removal_hooks:
                hook(key, i)
        return len(indexes)

    def remove(self, key: bytes) -> bool:
        index = self.index_of(key)
        if index is None:
            return False
        self._seen.discard(key)
        self.names.delete(index)
        del self.types[index]
        del self.deadlines[index]
        del self.sizes[index]
        self.removals += 1
        if self.order is not None:
            self.order = _order_without_one(self.order, index)
        for hook in self.removal_hooks:
            hook(key, index)
        return True

    def set_meta(
        self, index: int, type_name: str | bytes | None, pttl: int | None, now: float
    ) -> None:
        if type_name is not None:
            self.types[index] = type_code(type_name)
        self.deadlines[index] = _deadline(pttl, self._since_epoch(now))

    def unknown_types(self) -> tuple[list[int], list[bytes]]:
        """Storage indexes and names of the keys whose type is not known (yet)."""
        types, names = self.types, self.names
        indexes = [m.start() for m in re.finditer(re.escape(bytes([UNKNOWN])), types)]
        return indexes, [names[i] for i in indexes]

    def unknown_from(self, row: int, limit: int) -> tuple[list[int], list[bytes], int]:
        """Up to ``limit`` rows from storage index ``row`` on whose type is not known:
        ``(indexes, names, where to go on)``; no names when there are none left."""
        types, end = self.types, len(self.types)
        stop = min(end, row + limit)
        if row < stop and types.count(UNKNOWN, row, stop) == stop - row:
            # The usual case: consecutive rows none of which has a type yet.
            return list(range(row, stop)), self.names[row:stop], stop
        indexes: list[int] = []
        unknown = bytes([UNKNOWN])
        while row < end and len(indexes) < limit:
            row = types.find(unknown, row)
            if row < 0:
                row = end
                break
            indexes.append(row)
            row += 1
        return indexes, [self.names[i] for i in indexes], row

    def set_meta_at(
        self,
        hints: Sequence[int],
        keys: Sequence[bytes],
        types: Sequence[bytes],
        pttls: Sequence[int],
        now: float,
    ) -> None:
        """Type and TTL of keys that were at storage indexes ``hints`` (see ``locate``)."""
        n = len(hints)
        if n and hints[-1] - hints[0] == n - 1 and self._fill(hints[0], keys, types, pttls, now):
            return  # consecutive rows, still where they were: whole slices at once
        for index, kind, pttl in zip(self.locate(keys, hints), types, pttls, strict=False):
            if index is not None:
                self.set_meta(index, kind, pttl, now)

    def set_meta_batch(
        self,
        start: int,
        keys: Sequence[bytes],
        types: Sequence[bytes],
        pttls: Sequence[int],
        now: float,
    ) -> None:
        """Type and TTL of keys added together at storage index ``start`` (names-first scan).

        When rows moved since (a delete during the scan), each key is found as ``locate`` does.
        """
        self.set_meta_at(range(start, start + len(keys)), keys, types, pttls, now)

    def _fill(
        self,
        start: int,
        keys: Sequence[bytes],
        types: Sequence[bytes],
        pttls: Sequence[int],
        now: float,
    ) -> bool:
        """Type and TTL of the consecutive rows from ``start``, when ``keys`` are still
        there (their first and last are); False otherwise, and nothing is changed."""
        n = len(keys)
        names = self.names
        if not (
            n
            and len(types) == n
            and len(pttls) == n
            and start + n <= len(names)
            and names[start] == keys[0]
            and names[start + n - 1] == keys[-1]
        ):
            return False
        code, other = _CODES.get, _OTHER
        self.types[start : start + n] = bytes([code(t, other) for t in types])
        nan, ms = math.nan, self._since_epoch(now) * 1000.0
        # _deadline inlined (a call per key is most of this method's time).
        self.deadlines[start : start + n] = array(
            "f",
            [
                _NO_TTL if p == -1 else nan if p is None or p < 0 else (ms + p) / 1000.0
                for p in pttls
            ],
        )
        return True

    def update_ttls(
        self, keys: Sequence[bytes], pttls: Sequence[int], now: float, hints: Sequence[int] = ()
    ) -> list[bytes]:
        """Refresh TTLs of some keys; returns the keys the server says are gone (PTTL -2).

        ``hints`` are the storage indexes the keys had when asked for; they save a linear
        search per key when nothing moved in between.
        """
        gone: list[bytes] = []
        now = self._since_epoch(now)
        for key, pttl, index in zip(keys, pttls, self.locate(keys, hints), strict=False):
            if index is None:
                continue
            if pttl == -2:
                self.types[index] = GONE
                gone.append(key)
            self.deadlines[index] = _deadline(pttl, now)
        return gone

    def set_sizes(
        self, keys: Sequence[bytes], sizes: Sequence[int | None], hints: Sequence[int] = ()
    ) -> None:
        """Record MEMORY USAGE of some keys (None: cannot be known). ``hints`` as in
        ``update_ttls``: the storage indexes the keys had when asked for."""
        for size, index in zip(sizes, self.locate(keys, hints), strict=False):
            if index is not None:
                self.sizes[index] = SIZE_UNAVAILABLE if size is None else size

    def unknown_sizes(self, rows: Sequence[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
        """The (storage index, key) rows whose size was never fetched."""
        sizes = self.sizes
        return [(i, key) for i, key in rows if i < len(sizes) and sizes[i] == SIZE_UNKNOWN]

    def size(self, index: int) -> int | None:
        """MEMORY USAGE in bytes, or None when not known (yet)."""
        size = self.sizes[index]
        return None if size < 0 else int(size)

    def row(self, position: int) -> int:
        """Storage index of the row shown at ``position``."""
        return self.order[position] if self.order is not None else position

    def position_of(self, index: int) -> int:
        order = self.order
        if order is None:
            return index
        if not use_numpy(len(order)):
            return order.index(index)
        import numpy as np

        view = np.frombuffer(order, dtype=np.int64)
        found = np.flatnonzero(view == index)
        del view  # the array cannot grow while a view of it exists
        if not len(found):
            raise ValueError(f"row {index} is not in the order")
        return int(found[0])

    def type_name(self, index: int) -> str:
        return TYPE_NAMES[self.types[index]]

    def ttl_ms(self, index: int, now: float | None = None) -> int | None:
        """Remaining TTL in ms now, -1 for none, None when not known yet."""
        deadline = self.deadlines[index]
        if math.isnan(deadline):
            return None
        if deadline == _NO_TTL:
            return -1
        now = self._since_epoch(time.monotonic() if now is None else now)
        return max(0, round((deadline - now) * 1000))

    def sort(self, field: str | None) -> None:
        """Order rows by ``name``, ``type``, ``ttl`` or ``size`` (biggest first, unknown sizes
        last, in scan order); None restores scan order. In place, on the caller's thread: a
        big store is sorted by a ``SortJob`` in a thread instead (see ``sorting``)."""
        if field is None:
            self.sort_field, self.order = None, None
            return
        if len(self) < SMALL:
            order = python_order(self, field)
        else:
            job = SortJob(self, field)
            ran = job.run()
            assert ran is not None  # nothing ran beside it
            order = ran
        self.sort_field, self.order = field, order

    def apply_sort(self, job: SortJob, order: array[int] | None) -> bool:
        """Take the order a job computed (the rows added since it began follow, in scan
        order). False when it no longer fits: rows were removed while it ran."""
        if job.store is not self or order is None or job.stale:
            return False
        order.extend(range(job.rows, len(self)))
        self.sort_field, self.order = job.field, order
        return True


def _order_without(order: array[int], keep: bytes | bytearray) -> array[int]:
    """``order`` without the storage indexes whose ``keep`` byte is 0, the others renumbered
    (index i moves up by the removed rows before it)."""
    if not use_numpy(len(order)):
        moved = list(accumulate(keep))
        kept = array("q")
        kept.extend(moved[i] - 1 for i in order if keep[i])
        return kept
    import numpy as np

    flags = np.frombuffer(keep, dtype=np.uint8)
    # int64 first: a cumulative sum that casts as it goes is ~10x slower (0.3 s at 10M).
    shift = np.cumsum(flags.astype(np.int64)) - 1
    view = np.frombuffer(order, dtype=np.int64)
    renumbered = shift[view[flags[view].astype(bool)]]
    del view  # the array cannot grow while a view of it exists
    kept = array("q")
    kept.frombytes(renumbered.tobytes())
    return kept


def _order_without_one(order: array[int], index: int) -> array[int]:
    """``order`` without storage index ``index``, the ones after it moved up by one."""
    kept = array("q")
    if not use_numpy(len(order)):
        kept.extend(i - (i > index) for i in order if i != index)
        return kept
    import numpy as np

    view = np.frombuffer(order, dtype=np.int64)
    rest = view[view != index]
    del view  # the array cannot grow while a view of it exists
    rest -= rest > index
    kept.frombytes(rest.tobytes())
    return kept


def _deadline(pttl: int | None, now: float) -> float:
    if pttl is None or pttl == -2:
        return math.nan
    if pttl == -1:
        return _NO_TTL
    return now + pttl / 1000.0
