"""Orders for the key list: by name, TTL, type or size.

Python's ``sorted`` holds the GIL for the whole sort: a million names took 0.7 s, a sort by
type 2 s, ten times that at 10M, all of it a frozen screen. Under ``SMALL`` rows the store is
still sorted in place by Python (tens of ms). A bigger store is sorted by ``SortJob.run`` in
a thread with numpy, whose gathers and sorts let go of the GIL, so the UI loop goes on
(benchmarks/README.md, "Sorting off the UI loop").

The job copies the rows it sorts out of the store a slice at a time (the store's buffers
cannot be viewed while the scan may grow them), so the scan goes on adding rows meanwhile:
they come after the sorted ones until the next sort. A removal moves rows up and makes the
job's order stale (``KeyStore.apply_sort`` refuses it).
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from redis_tui.data.scan.columns import SMALL, NameColumn

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_G = TypeVar("_G", bound="np.generic")

FIELDS = ("name", "ttl", "type", "size")
# Slices copied out of the store per GIL hold: ~2 ms each.
_SLICE_ROWS = 1 << 18
_SLICE_BYTES = 1 << 23


class Sortable(Protocol):
    """The columns a sort reads (``KeyStore``)."""

    names: NameColumn
    types: bytearray
    deadlines: array[float]
    sizes: array[float]
    removals: int

    def __len__(self) -> int: ...


def python_order(store: Sortable, field: str) -> array[int]:
    """The rows of a small store in ``field`` order, by Python's stable sort."""
    n = len(store)
    if field == "name":
        by_name = sorted(range(n), key=store.names.tolist().__getitem__)
        return array("q", by_name)
    if field == "type":
        # Stable: by type, then by name within a type.
        by_name = sorted(range(n), key=store.names.tolist().__getitem__)
        return array("q", sorted(by_name, key=store.types.__getitem__))
    if field == "ttl":
        # Soonest to expire first, then keys without TTL, then those not known yet.
        deadlines = store.deadlines
        finite: list[int] = []
        none: list[int] = []
        unknown: list[int] = []
        for i, d in enumerate(deadlines):
            if math.isnan(d):
                unknown.append(i)
            elif d == -math.inf:
                none.append(i)
            else:
                finite.append(i)
        finite.sort(key=deadlines.__getitem__)
        return array("q", finite + none + unknown)
    if field == "size":
        # Biggest first; unknown (-1) then unavailable (-2) sizes after every known one.
        return array("q", sorted(range(n), key=store.sizes.__getitem__, reverse=True))
    raise ValueError(f"cannot sort by {field!r}")


class SortJob:
    """A sort of the rows ``store`` held when the job was made; ``run`` may be called in a
    thread. ``cancel`` makes a running job give up at its next step."""

    def __init__(self, store: Sortable, field: str) -> None:
        if field not in FIELDS:
            raise ValueError(f"cannot sort by {field!r}")
        self.store = store
        self.field = field
        self.rows = len(store)
        self.removals = store.removals
        self.cancelled = False
        self.seconds = 0.0

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def stale(self) -> bool:
        return self.cancelled or self.store.removals != self.removals

    def run(self) -> array[int] | None:
        """The order of the job's rows, or None when the job went stale while it ran."""
        started = time.perf_counter()
        try:
            order = self._order()
        except (IndexError, ValueError):
            # Columns replaced under the copy (a removal compacted them): stale, not broken.
            if not self.stale:
                raise
            return None
        finally:
            self.seconds = time.perf_counter() - started
        if order is None or self.stale:
            return None
        result = array("q")
        for a in range(0, len(order), _SLICE_ROWS):  # each copy holds the GIL: in slices
            result.frombytes(order[a : a + _SLICE_ROWS].tobytes())
        return result

    def _order(self) -> npt.NDArray[np.int64] | None:
        import numpy as np

        n, store = self.rows, self.store
        if self.field == "ttl":
            key = self._copy(lambda: store.deadlines, np.float32)
            if key is None:
                return None
            # Soonest first, then no TTL (-inf, made +inf), then unknown (NaN sorts last).
            key[np.isneginf(key)] = np.inf
            return np.argsort(key, kind="stable").astype(np.int64)
        if self.field == "size":
            key = self._copy(lambda: store.sizes, np.float32)
            if key is None:
                return None
            return np.argsort(-key, kind="stable").astype(np.int64)
        starts = self._copy(lambda: store.names.starts, np.int64)
        lengths = self._copy(lambda: store.names.lengths, np.uint32)
        if starts is None or lengths is None:
            return None
        end = int((starts + lengths).max()) if n else 0
        blob = np.zeros(end + 8, dtype=np.uint8)  # 8 bytes of padding for the last name
        for a in range(0, end, _SLICE_BYTES):
            if self.stale:
                return None
            part = store.names.blob[a : min(end, a + _SLICE_BYTES)]  # a copy, under the GIL
            blob[a : a + len(part)] = np.frombuffer(part, dtype=np.uint8)
        order = name_order(blob, starts, lengths, lambda: self.stale)
        if order is None or self.field == "name":
            return order
        types = self._copy(lambda: store.types, np.uint8)
        if types is None:
            return None
        return order[np.argsort(types[order], kind="stable")]

    def _copy(
        self, column: Callable[[], bytearray | array[int] | array[float]], dtype: type[_G]
    ) -> npt.NDArray[_G] | None:
        """The job's rows of one column, copied a slice at a time (None: went stale).
        ``column`` is read again for each slice: a removal may have replaced it."""
        import numpy as np

        n = self.rows
        out = np.empty(n, dtype=dtype)
        for a in range(0, n, _SLICE_ROWS):
            if self.stale:
                return None
            part = column()[a : min(n, a + _SLICE_ROWS)]  # a copy, under the GIL
            out[a : a + len(part)] = np.frombuffer(part, dtype=dtype)
        return out


# MASKS[k] keeps the first k of the 7 bytes a pass compares (the top 56 bits, shifted down);
# 8 stands for "more than 7 bytes left".
_MASKS = [((1 << (8 * k)) - 1) << (8 * (7 - k)) for k in range(8)] + [(1 << 56) - 1]


def name_order(
    blob: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.uint32],
    stale: Callable[[], bool] | None = None,
) -> npt.NDArray[np.int64] | None:
    """Rows in byte order of their names (``blob[starts[i]:starts[i]+lengths[i]]``; ``blob``
    ends with 8 spare bytes). ``stale()`` true: give up (None).

    Each pass compares 7 bytes of every name still tied and how many of them it has: one
    uint64, (the 7 bytes, zero past the name's end) << 8 | min(bytes left, 8). Rows whose
    keys are equal with 8 (more bytes to come) are sorted again by their next 7 bytes, within
    their group, and so on: keys sharing a long prefix ("session:...") cost a pass per 7
    bytes of it, over those rows only. Equal keys short of 8 would be equal names, which a
    store does not hold twice: the first pass needs no stable sort.
    """
    import numpy as np

    n = len(starts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    masks = np.array(_MASKS, dtype=np.uint64)
    eight = np.uint64(8)
    # Every byte offset of the blob read as a big-endian uint64 (unaligned, overlapping).
    words = np.ndarray(shape=(len(blob) - 7,), dtype=">u8", buffer=blob, strides=(1,))
    order = np.arange(n, dtype=np.int64)
    positions: npt.NDArray[np.int64] | None = None  # positions in ``order`` still tied
    groups: npt.NDArray[np.int64] | None = None
    depth = 0
    while True:
        if stale is not None and stale():
            return None
        rows = order if positions is None else order[positions]
        left = np.clip(lengths[rows].astype(np.int64) - 7 * depth, 0, 8)
        key = words[starts[rows] + 7 * depth].astype(np.uint64) >> eight
        key &= masks[left]
        key <<= eight
        key |= left.astype(np.uint64)
        # Within their groups (lexsort's last key is the primary one).
        perm = np.argsort(key) if groups is None else np.lexsort((key, groups))
        rows, key = rows[perm], key[perm]
        if positions is None:
            order = rows
        else:
            order[positions] = rows
        tied = (key[1:] == key[:-1]) & ((key[1:] & np.uint64(0xFF)) == eight)
        if groups is not None:
            g = groups[perm]
            tied &= g[1:] == g[:-1]
        if not tied.any():
            return order
        keep = np.zeros(len(rows), dtype=bool)
        keep[1:] |= tied
        keep[:-1] |= tied
        # A new group where a row is not tied to the one before it. (The cumulative sum of
        # a bool array holds the GIL: ~250 ms at 10M rows. Of int64s it does not.)
        starts_group = np.ones(len(rows), dtype=np.int64)
        starts_group[1:] = (~tied).astype(np.int64)
        group_ids = np.cumsum(starts_group)
        where = np.arange(n, dtype=np.int64) if positions is None else positions
        positions, groups = where[keep], group_ids[keep]
        depth += 1


__all__ = ["FIELDS", "SMALL", "SortJob", "name_order", "python_order"]
