"""Namespace tree: build time, memory and folder-open time at 1M keys (no server needed).

    python -m benchmarks.bench_namespaces --keys 1000000

Three shapes, each measured alone (tracemalloc counts what the index allocates beyond the key
bytes, which the KeyStore already holds):

* ``sessions``: ``sess:{id}``, every key a direct child of one folder (the 500k-children case);
* ``users``: ``user:{n}:profile``, a folder per key (the worst case for memory);
* ``mix``: 30% users, 50% sessions, 20% ``cache:x:{n}``, as in ``tests/ui/test_browser.py``.

Prints one JSON line per shape.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc

from redis_tui.data.scan.namespaces import NamespaceIndex
from redis_tui.ui.widgets.namespace_list import INDEX_CHUNK


def shape_keys(shape: str, n: int) -> list[bytes]:
    if shape == "sessions":
        return [b"sess:%016x" % (i * 0x9E3779B97F4A7C15 % 2**64) for i in range(n)]
    if shape == "users":
        return [b"user:%d:profile" % i for i in range(n)]
    users, sessions = n * 3 // 10, n // 2
    return [
        *(b"user:%d:profile" % i for i in range(users)),
        *(b"sess:%016x" % (i * 0x9E3779B97F4A7C15 % 2**64) for i in range(sessions)),
        *(b"cache:x:%d" % i for i in range(n - users - sessions)),
    ]


def build(keys: list[bytes], chunk: int) -> tuple[NamespaceIndex, float, float]:
    """Index ``keys`` in chunks as the tree does; returns it, the total and the worst chunk."""
    started = time.perf_counter()
    index = NamespaceIndex(b":")
    worst = 0.0
    for start in range(0, len(keys), chunk):
        t = time.perf_counter()
        index.add(keys[start : start + chunk])
        worst = max(worst, time.perf_counter() - t)
    return index, time.perf_counter() - started, worst


def measure(shape: str, n: int, chunk: int = INDEX_CHUNK) -> dict[str, object]:
    keys = shape_keys(shape, n)
    gc.collect()
    index, build_s, worst_chunk = build(keys, chunk)  # timed without tracemalloc
    del index
    gc.collect()
    tracemalloc.start()
    index, _, _ = build(keys, chunk)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    biggest = max((b"sess:", b"user:", b"cache:x:"), key=lambda p: len(index.view(p)))
    t = time.perf_counter()
    view = index.view(biggest)
    open_s = time.perf_counter() - t
    rows = len(view)
    t = time.perf_counter()
    for row in range(rows - 40, rows):  # one screen at the end (G)
        folders = view.folders
        _ = folders[row] if row < len(folders) else view.keys[row - len(folders)]
    screen_s = time.perf_counter() - t
    t = time.perf_counter()
    index.remove(keys[n // 2])
    remove_s = time.perf_counter() - t
    return {
        "bench": "namespaces",
        "shape": shape,
        "keys": n,
        "build_s": round(build_s, 3),
        "build_keys_per_s": round(n / build_s),
        "chunk": chunk,
        "worst_chunk_ms": round(worst_chunk * 1000, 1),
        "index_mb": round(current / 2**20, 1),
        "bytes_per_key": round(current / n),
        "opened_folder": biggest.decode(),
        "opened_rows": rows,
        "opened_sorted": view.sorted,
        "open_ms": round(open_s * 1000, 3),
        "screen_rows_ms": round(screen_s * 1000, 3),
        "remove_one_ms": round(remove_s * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--shape", choices=("sessions", "users", "mix", "all"), default="all")
    args = parser.parse_args()
    shapes = ("sessions", "users", "mix") if args.shape == "all" else (args.shape,)
    for shape in shapes:
        print(json.dumps(measure(shape, args.keys)), flush=True)


if __name__ == "__main__":
    main()
