"""Sorting the key list (``s``, ``:sort name|ttl|type|size``) at a million keys and more.

    python -m benchmarks.bench_sort --keys 1000000 --rounds 3

In-process, no server: a ``KeyStore`` is filled with the names bench_keylist seeds (cache,
users, sessions, lists, sorted sets) and random types, TTLs and sizes. Each round, for each
field, runs alternately:

- the floor: Python's ``sorted()`` of a plain list of the same names (``bytes``), or of the
  row numbers keyed by the column (by type: by name, then by type), the least a sort in
  Python costs, and one that holds the GIL (the UI loop) from start to end;
- the app's sort: a ``SortJob`` in a thread, as the screen runs it, while an asyncio loop on
  the main thread records how late it wakes (``probes.LoopLag``).

Figures per field: ``<field>_s`` (the job), ``<field>_ratio`` = job / floor, and
``<field>_loop_max_ms``: the UI loop's longest hold while the job ran (target <= 50). Prints
one JSON line: median, min and max over the rounds, and the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time

from benchmarks.probes import LoopLag
from redis_tui.data.scan.keystore import KeyStore
from redis_tui.data.scan.sorting import FIELDS, SortJob

PAGE = 1000


def names(n: int, rng: random.Random) -> list[bytes]:
    """bench_keylist's key names, in an order like SCAN's (shuffled)."""
    out: list[bytes] = []
    for i in range(n):
        slot = i % 20
        if slot < 14:
            out.append(b"cache:product:%d" % i)
        elif slot < 16:
            out.append(b"user:%d" % i)
        elif slot < 18:
            out.append(b"sess:%032x" % rng.getrandbits(128))
        elif slot < 19:
            out.append(b"queue:%d" % i)
        else:
            out.append(b"leaderboard:%d" % i)
    rng.shuffle(out)
    return out


def build(keys: list[bytes], rng: random.Random) -> KeyStore:
    store = KeyStore()
    kinds = [b"string", b"hash", b"list", b"zset"]
    for a in range(0, len(keys), PAGE):
        page = keys[a : a + PAGE]
        pttls = [rng.choice((-1, -1, rng.randrange(1000, 86_400_000))) for _ in page]
        store.add(page, [rng.choice(kinds) for _ in page], pttls, now=0.0)
    store.set_sizes(keys[::2], [rng.randrange(50, 5000) for _ in keys[::2]])
    return store


def floor(store: KeyStore, keys: list[bytes], field: str) -> float:
    started = time.perf_counter()
    if field == "name":
        sorted(keys)
    elif field == "type":
        by_name = sorted(range(len(keys)), key=keys.__getitem__)
        sorted(by_name, key=store.types.__getitem__)
    elif field == "ttl":
        sorted(range(len(keys)), key=store.deadlines.__getitem__)
    else:
        sorted(range(len(keys)), key=store.sizes.__getitem__, reverse=True)
    return time.perf_counter() - started


async def job(store: KeyStore, field: str) -> tuple[float, float]:
    lag = LoopLag(0.002)
    lag.start()
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    order = await asyncio.to_thread(SortJob(store, field).run)
    seconds = time.perf_counter() - started
    await asyncio.sleep(0.01)
    lag.stop()
    assert order is not None and len(order) == len(store)
    return seconds, max(lag.lags) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()
    rng = random.Random(1)
    keys = names(args.keys, rng)
    store = build(keys, rng)
    samples: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for field in FIELDS:
            base = floor(store, keys, field)
            seconds, hold = asyncio.run(job(store, field))
            for name, value in (
                (f"{field}_floor_s", base),
                (f"{field}_s", seconds),
                (f"{field}_ratio", seconds / base),
                (f"{field}_loop_max_ms", hold),
            ):
                samples.setdefault(name, []).append(value)
    result: dict[str, object] = {"keys": args.keys, "rounds": args.rounds}
    for name, values in samples.items():
        result[name] = {
            "median": round(statistics.median(values), 3),
            "min": round(min(values), 3),
            "max": round(max(values), 3),
        }
    result["load_before"] = [round(x, 2) for x in load_before]
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
