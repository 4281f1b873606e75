"""Key names without an object per key: one byte buffer, and a set of their 64-bit hashes.

A list of a million ``bytes`` costs ~72 bytes a key (a 20-byte name: a 56-byte object and a
list slot) and the dict that deduplicated SCAN's replies ~42 more. Here a name costs its own
bytes plus 20: an 8-byte start and a 4-byte length in the buffer, and its hash twice, once in
row order (to find a key's row) and once in sorted runs (to tell a key seen before).

``HashSet`` takes a key's identity to be its 64-bit ``hash()`` (SipHash of the bytes): two
different names collide with a chance of about n²/2⁶⁵, one in 300,000 for a listing of 10M
keys, and the later one would then be taken for a repeat of SCAN and not listed. Finding a
row (``NameColumn.index``) compares the bytes, never the hash alone.

numpy does the set operations in C. It is imported the first time a store grows past
``SMALL`` names (a plain dict serves until then, so start-up never waits for it).
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, compress
from typing import TYPE_CHECKING, TypeVar, overload

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# Up to this many names a dict of the keys deduplicates: no numpy, and cheap to copy.
SMALL = 50_000
# numpy (~60 ms to import) is imported in a thread from WARM names on: the store never waits
# for it.
WARM = 10_000
# Hashes moved from the dict to the runs per page (~5 ms), once numpy is in.
CHUNK = 1 << 16
# Sorted runs are merged pairwise into runs of up to this size: a push that sets off a
# cascade of merges then sorts at most ~1M hashes (~10 ms; merges up to 4M took 50 ms).
# Bigger runs are left side by side: only the few hashes the bitmap lets through are looked
# for in each.
MERGE_LIMIT = 1 << 19
# New hashes are sorted into a run 16k at a time, not a page at a time.
RUN = 1 << 14
# The bitmap in front of the runs: 16 MB, 128M bits. A new key is told new by its bit alone
# unless a key seen before shares it: 0.8 % of lookups at 1M keys, 7.5 % at 10M.
BITMAP_BYTES = 1 << 24
_warming: threading.Thread | None = None
_N = TypeVar("_N", int, float)


def warm_numpy() -> None:
    """Import numpy in a thread (once), so that a store growing past ``SMALL`` finds it."""
    global _warming
    if _warming is None:
        _warming = threading.Thread(target=_import_numpy, name="import-numpy", daemon=True)
        _warming.start()


def use_numpy(size: int) -> bool:
    """Whether work on ``size`` rows goes to numpy: past ``SMALL``, once the thread that
    imports it is done (started here if no store started it). Until then plain Python
    serves: ``import numpy`` while the thread is still in it would wait for it, holding the
    UI loop (124 ms measured, under load)."""
    if size < SMALL:
        return False
    warming = _warming
    if warming is None:
        warm_numpy()
        return False
    return not warming.is_alive()


class NameColumn(Sequence[bytes]):
    """Names in row order, in one ``bytearray``. Rows are read back as fresh ``bytes``.

    A removed row's bytes stay in the buffer (deleting a row moves two small arrays, not the
    buffer); ``compress`` rewrites it.
    """

    def __init__(self, names: Iterable[bytes] = ()) -> None:
        self.blob = bytearray()
        self.starts = array("q")
        self.lengths = array("I")
        self.hashes = array("q")
        self.extend(list(names))

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            blob = self.blob
            starts, lengths = self.starts[index], self.lengths[index]
            return [bytes(blob[s : s + n]) for s, n in zip(starts, lengths, strict=True)]
        start = self.starts[index]
        return bytes(self.blob[start : start + self.lengths[index]])

    def __iter__(self) -> Iterator[bytes]:
        blob = self.blob
        for s, n in zip(self.starts, self.lengths, strict=True):
            yield bytes(blob[s : s + n])

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, bytes):
            return False
        try:
            self.index(key)
        except ValueError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NameColumn | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def extend(self, keys: Sequence[bytes], hashes: array[int] | None = None) -> None:
        """Append ``keys`` (``hashes``: their ``hash()``, if already known)."""
        lengths = array("I", map(len, keys))
        self.starts.extend(array("q", accumulate(lengths, initial=len(self.blob)))[:-1])
        self.lengths.extend(lengths)
        self.hashes.extend(array("q", map(hash, keys)) if hashes is None else hashes)
        self.blob += b"".join(keys)

    def append(self, key: bytes) -> None:
        self.extend((key,))

    def delete(self, index: int) -> None:
        del self.starts[index]
        del self.lengths[index]
        del self.hashes[index]
        if not self.starts:
            self.blob = bytearray()

    def compress(self, keep: bytes | bytearray) -> None:
        """Keep the rows whose ``keep`` byte is non-zero. The buffer is rewritten only once
        more than half of it belongs to removed rows."""
        self.starts = compress_array(self.starts, keep)
        self.lengths = compress_array(self.lengths, keep)
        self.hashes = compress_array(self.hashes, keep)
        if sum(self.lengths) * 2 < len(self.blob):
            names, hashes = self.tolist(), self.hashes
            self.blob, self.starts, self.lengths, self.hashes = (
                bytearray(), array("q"), array("I"), array("q"),
            )  # fmt: skip
            self.extend(names, hashes)

    def tolist(self) -> list[bytes]:
        blob = self.blob
        return [bytes(blob[s : s + n]) for s, n in zip(self.starts, self.lengths, strict=True)]

    def index(self, key: bytes, start: int = 0, stop: int | None = None) -> int:
        """The first row from ``start`` to ``stop`` holding ``key``.

        Raises:
            ValueError: no such row.
        """
        stop = len(self) if stop is None else min(stop, len(self))
        start = max(0, start)
        h = hash(key)
        hashes = self.hashes
        if stop - start <= 4096:
            rows: Iterable[int] = (i for i in range(start, stop) if hashes[i] == h)
        else:
            rows = self.rows_with_hash(h, start, stop)
        for i in rows:
            if self[i] == key:
                return i
        raise ValueError("key not listed")

    def rows_with_hash(self, h: int, start: int = 0, stop: int | None = None) -> list[int]:
        hashes = self.hashes
        if not use_numpy(len(hashes)):  # no numpy (nor its import) for a small store
            end = len(hashes) if stop is None else stop
            return [i for i in range(start, end) if hashes[i] == h]
        import numpy as np

        view = np.frombuffer(self.hashes, dtype=np.int64)[start:stop]
        found = (np.flatnonzero(view == h) + start).tolist()
        del view  # the array cannot grow while a view of it exists
        return found

    def rows_of(self, keys: Iterable[bytes]) -> list[int]:
        """Rows holding any of ``keys``, ascending: one C-level pass whatever their number."""
        wanted = set(keys)
        if not wanted or not self.starts:
            return []
        if not use_numpy(len(self)):  # no numpy (nor its import) for a small store
            probes = set(map(hash, wanted))
            rows = [i for i, h in enumerate(self.hashes) if h in probes]
            return [i for i in rows if self[i] in wanted]
        import numpy as np

        view = np.frombuffer(self.hashes, dtype=np.int64)
        probe = _distinct(np.fromiter(map(hash, wanted), dtype=np.int64, count=len(wanted)))
        where = probe.searchsorted(view)
        where[where == len(probe)] = 0
        candidates = np.flatnonzero(probe[where] == view).tolist()
        del view, where  # the array cannot grow while a view of it exists
        return [i for i in candidates if self[i] in wanted]


def compress_array(values: array[_N], keep: bytes | bytearray) -> array[_N]:
    """The items of ``values`` whose ``keep`` byte is non-zero (numpy for big arrays)."""
    if not use_numpy(len(values)):
        kept = values[:0]
        kept.extend(compress(values, keep))
        return kept
    import numpy as np

    view = np.frombuffer(values, dtype=values.typecode)
    mask = np.frombuffer(keep, dtype=np.uint8)[: len(view)].astype(bool)
    kept = values[:0]  # same type code
    kept.frombytes(view[mask].tobytes())
    return kept


class HashSet:
    """Which keys were seen: a dict while small, then their hashes (numpy): a bitmap that
    answers "new" for most keys in one look, and sorted runs for the rest."""

    def __init__(self) -> None:
        self._small: dict[bytes, None] | None = {}
        self._bits: npt.NDArray[np.uint8] | None = None
        self._runs: list[npt.NDArray[np.int64]] = []
        # New hashes not sorted into a run yet (fewer than RUN of them).
        self._pending: list[npt.NDArray[np.int64]] = []
        self._pending_count = 0
        # Hashes of keys removed since they were added: still in the runs, no longer seen.
        self._removed: set[int] = set()
        # While the dict serves: the hashes of its keys in the order they came, and how many
        # of them are in the runs already (they go over a chunk at a time, once numpy is in).
        self._order = array("q")
        self._converted = 0

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, bytes):
            return False
        if self._small is not None:
            return key in self._small
        h = hash(key)
        if h in self._removed:
            return False
        return any(_in_run(run, h) for run in (*self._runs, *self._pending))

    def add_new(self, keys: Sequence[bytes], hashes: array[int]) -> list[int] | None:
        """Record ``keys`` (``hashes``: their ``hash()``); returns the positions in ``keys``
        of those not seen before, in order (None: all of them)."""
        small = self._small
        if small is not None:
            page_keys = dict.fromkeys(keys)
            if len(page_keys) == len(keys) and small.keys().isdisjoint(page_keys):
                small.update(page_keys)
                self._order.extend(hashes)
                if self._removed:
                    self._removed.difference_update(hashes)
                self._grown()
                return None
            positions: list[int] = []
            for i, key in enumerate(keys):
                if key not in small:
                    small[key] = None
                    positions.append(i)
                    self._order.append(hashes[i])
                    self._removed.discard(hashes[i])
            self._grown()
            return positions
        import numpy as np

        bits = self._bits
        assert bits is not None
        page = np.frombuffer(hashes, dtype=np.int64)
        unique = np.sort(page)
        first: npt.NDArray[np.intp] | None = None
        if len(unique) > 1 and bool((unique[1:] == unique[:-1]).any()):
            first = np.argsort(page, kind="stable")
            ordered = page[first]
            keep = np.ones(len(ordered), dtype=bool)
            keep[1:] = ordered[1:] != ordered[:-1]
            unique, first = ordered[keep], first[keep]  # each hash's first place in the page
        byte, bit = _slot(unique, len(bits))
        maybe = np.flatnonzero(bits[byte] & bit)
        seen = np.zeros(len(unique), dtype=bool)
        if len(maybe):
            seen[maybe] = self._holds(unique[maybe])
        fresh = ~seen
        if self._removed and len(maybe):
            # Removed since: listed again, but their hashes are in a run already.
            for i in np.flatnonzero(seen).tolist():
                h = int(unique[i])
                if h in self._removed:
                    self._removed.discard(h)
                    fresh[i] = True
        new = ~seen
        _set_bits(bits, byte[new], bit[new])
        self._pend(unique[new])
        if first is None:
            if fresh.all():
                return None
            first = np.argsort(page, kind="stable")  # page[first] == unique
        return list(np.sort(first[fresh]).tolist())

    def discard(self, key: bytes) -> None:
        small = self._small
        if small is not None:
            if key in small:
                del small[key]
                self._removed.add(hash(key))  # its hash may be in the runs already
        elif key in self:
            self._removed.add(hash(key))

    def _holds(self, probe: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Which of the sorted hashes ``probe`` were recorded (the removed ones included)."""
        import numpy as np

        found = np.zeros(len(probe), dtype=bool)
        for run in (*self._runs, *self._pending):  # each one sorted
            where = run.searchsorted(probe)
            where[where == len(run)] = 0
            found |= run[where] == probe
        return found

    def _grown(self) -> None:
        """Past SMALL keys, move the dict's hashes into the runs, ``CHUNK`` a call, then
        drop the dict. numpy is imported in a thread from WARM keys on, which a busy event
        loop may starve (~120 ms with a scan streaming): the dict serves on meanwhile."""
        small = self._small
        assert small is not None
        if len(small) >= WARM:
            warm_numpy()
        warming = _warming
        if len(small) < SMALL or warming is None or warming.is_alive():
            return
        import numpy as np

        if self._bits is None:
            self._bits = np.zeros(BITMAP_BYTES, dtype=np.uint8)
        start, end = self._converted, min(len(self._order), self._converted + CHUNK)
        hashes = _distinct(np.array(self._order[start:end], dtype=np.int64))
        byte, bit = _slot(hashes, len(self._bits))
        _set_bits(self._bits, byte, bit)
        self._pend(hashes)
        self._converted = end
        if end == len(self._order):
            self._small, self._order = None, array("q")

    def _pend(self, hashes: npt.NDArray[np.int64]) -> None:
        """Keep new sorted hashes aside until there are ``RUN`` of them, then make them a run;
        merge the last two runs while the older is not much bigger (a binary counter: each
        hash is merged about log2(n / RUN) times, up to MERGE_LIMIT)."""
        if not len(hashes):
            return
        import numpy as np

        self._pending.append(hashes)
        self._pending_count += len(hashes)
        if self._pending_count < RUN:
            return
        run = np.sort(np.concatenate(self._pending))
        self._pending, self._pending_count = [], 0
        runs = self._runs
        runs.append(run)
        while len(runs) > 1 and len(runs[-2]) <= len(runs[-1]) * 2 and len(runs[-2]) < MERGE_LIMIT:
            last = runs.pop()
            # Two sorted runs: the stable sort (timsort for int64) merges them in one pass.
            runs[-1] = np.sort(np.concatenate((runs[-1], last)), kind="stable")


def _distinct(hashes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted, without repeats: ``np.unique``, which numpy 2 does with a hash table, took
    75-100 ms for 260k hashes where a sort takes ~15."""
    import numpy as np

    ordered = np.sort(hashes)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _slot(
    hashes: npt.NDArray[np.int64], size: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint8]]:
    """Each hash's byte and bit in a bitmap of ``size`` bytes (a power of two)."""
    import numpy as np

    # The high bits: the low ones also place keys in the dict and the runs are sorted by all.
    u = hashes.view(np.uint64)
    byte = ((u >> np.uint64(35)) & np.uint64(size - 1)).astype(np.intp)
    bit = (np.uint8(1) << (u >> np.uint64(32) & np.uint64(7)).astype(np.uint8)).astype(np.uint8)
    return byte, bit


def _set_bits(
    bits: npt.NDArray[np.uint8], byte: npt.NDArray[np.intp], bit: npt.NDArray[np.uint8]
) -> None:
    """``bits[byte] |= bit`` where several may share a byte. ``np.bitwise_or.at`` does that
    but slowly (22 ms for 50k); a plain fancy OR keeps one write per byte, so the few whose
    bit did not land (a handful per 10k) are set again until none is left."""
    while len(byte):
        bits[byte] |= bit
        missed = (bits[byte] & bit) == 0
        byte, bit = byte[missed], bit[missed]


def _in_run(run: npt.NDArray[np.int64], h: int) -> bool:
    i = int(run.searchsorted(h))
    return i < len(run) and int(run[i]) == h


def _import_numpy() -> None:
    import numpy  # noqa: F401
