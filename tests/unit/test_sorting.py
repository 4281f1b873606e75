"""Sorting the key list: numpy's order (big stores, in a thread) is exactly Python's."""

from __future__ import annotations

import math
import random
import threading
import time

import pytest

from redis_tui.data.scan import sorting
from redis_tui.data.scan.keystore import KeyStore
from redis_tui.data.scan.sorting import SortJob, python_order

# Names that trip a fixed-width or NUL-terminated compare, and shared long prefixes.
HOSTILE = [
    b"", b"\x00", b"\x00\x00", b"a", b"a\x00", b"a\x00" + b"\x00" * 7, b"a" + b"\x00" * 7,
    b"a" + b"\x00" * 9, b"\xff" * 19, b"\xff" * 20, b"\xff" * 8, b"\xff" * 9, b"\x7f\x80",
    b"session:" * 5, b"session:" * 5 + b"\x00", b"session:" * 4 + b"session;",
    "ключ".encode(), b"\x1b[31mred", b"Z", b"z",
]  # fmt: skip


def _store(n: int, seed: int = 1) -> KeyStore:
    rnd = random.Random(seed)
    prefixes = ["session:", "cache:user:", "cache:views:fragment:product:", "", "sess"]
    names = [
        f"{rnd.choice(prefixes)}{rnd.getrandbits(rnd.choice([4, 40]))}:{i % 7}".encode()
        for i in range(n)
    ]
    names += HOSTILE
    rnd.shuffle(names)
    store = KeyStore()
    kinds = [b"string", b"hash", b"list", b"zset"]
    for a in range(0, len(names), 1000):
        page = names[a : a + 1000]
        pttls = [rnd.choice([-1, -2, rnd.randint(1, 10**8), 5000]) for _ in page]
        store.add(page, [rnd.choice(kinds) for _ in page], pttls, now=0.0)
    store.set_sizes(names[::3], [rnd.choice([40, 100, 7]) for _ in names[::3]])
    return store


@pytest.mark.parametrize("field", sorting.FIELDS)
def test_the_numpy_order_is_pythons(field: str) -> None:
    store = _store(60_000)
    job = SortJob(store, field)
    order = job.run()
    assert order is not None
    assert order.tolist() == python_order(store, field).tolist()
    # And Python's is the order the field means.
    rows = order.tolist()
    names = store.names.tolist()
    if field == "name":
        assert [names[i] for i in rows] == sorted(names)
    elif field == "type":
        keys = [(store.types[i], names[i]) for i in rows]
        assert keys == sorted(keys)
    elif field == "ttl":
        d = [store.deadlines[i] for i in rows]
        kinds = [2 if math.isnan(x) else 1 if x == -math.inf else 0 for x in d]
        assert kinds == sorted(kinds) and set(kinds) == {0, 1, 2}
        finite = d[: kinds.count(0)]
        assert finite == sorted(finite)
    else:
        sizes = [store.sizes[i] for i in rows]
        assert sizes == sorted(sizes, reverse=True)


def test_names_sort_in_byte_order_whatever_their_bytes() -> None:
    store = KeyStore()
    store.add(list(reversed(HOSTILE)))
    job = SortJob(store, "name")  # the numpy path, even for a few rows
    order = job.run()
    assert order is not None
    assert [store.names[i] for i in order] == sorted(HOSTILE)


def test_a_big_store_sorts_with_the_job_and_keeps_growing() -> None:
    store = _store(60_000)
    store.sort("name")
    assert store.sort_field == "name"
    names = [store.names[store.row(p)] for p in range(len(store))]
    assert names == sorted(names)
    store.add([b"\x00first?"], now=0.0)  # new rows come last until the next sort
    assert store.names[store.row(len(store) - 1)] == b"\x00first?"
    assert store.position_of(len(store) - 1) == len(store) - 1


def test_a_removal_keeps_the_order_and_renumbers_it() -> None:
    store = _store(60_000)
    store.sort("name")
    before = [store.names[store.row(p)] for p in range(len(store))]
    gone = before[10:30]
    store.remove(before[5])
    store.remove_many(gone)
    after = [store.names[store.row(p)] for p in range(len(store))]
    assert after == [k for k in before if k not in set(gone) | {before[5]}]


def test_the_job_runs_while_the_store_grows() -> None:
    """The scan goes on adding rows while a thread sorts: the result holds the rows the job
    began with, sorted, and the later ones after them."""
    store = _store(60_000)
    job = SortJob(store, "name")
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(job.run()))
    thread.start()
    extra = [f"late:{i}".encode() for i in range(20_000)]
    for a in range(0, len(extra), 500):
        store.add(extra[a : a + 500], now=0.0)
        time.sleep(0)
    thread.join()
    order = result[0]
    assert isinstance(order, sorting.array)
    assert store.apply_sort(job, order)
    shown = [store.names[store.row(p)] for p in range(len(store))]
    first = shown[: job.rows]
    assert first == sorted(first) and shown[job.rows :] == extra


def test_a_removal_while_it_runs_makes_the_job_stale() -> None:
    store = _store(60_000)
    job = SortJob(store, "ttl")
    store.remove(store.names[0])
    assert job.run() is None
    assert not store.apply_sort(job, python_order(store, "ttl"))
    assert store.sort_field is None


def test_a_cancelled_job_gives_up() -> None:
    store = _store(60_000)
    job = SortJob(store, "name")
    job.cancel()
    assert job.run() is None


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot sort by 'colour'"):
        SortJob(KeyStore(), "colour")


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_with_long_shared_runs_sort_as_python_sorts_them(seed: int) -> None:
    """Names of 0-40 bytes drawn from NUL, 0x01, 0xfe and 0xff: every pass ties, every
    length and padding case comes up."""
    rnd = random.Random(seed)
    alphabet = b"\x00\x01\xfe\xff"
    keys = list(
        {bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(41))) for _ in range(3000)}
    )
    store = KeyStore()
    store.add(keys)
    order = SortJob(store, "name").run()
    assert order is not None
    assert [store.names[i] for i in order] == sorted(keys)
