"""The analysis screen's rows: namespaces nested by the delimiter under their parent, by
memory; key names escaped and clipped; the stop, progress and age statements."""

from __future__ import annotations

from redis_tui.data.analysis import (
    AnalysisResult,
    KeyEntry,
    MemoryMode,
    NamespaceStats,
    Progress,
    ServerHealth,
    TtlBuckets,
)
from redis_tui.ui.screens.analysis_rows import (
    age_text,
    health_lines,
    namespace_rows,
    progress_line,
    summary_line,
    top_rows,
)


def ns(prefix: bytes, memory: int, keys: int = 1) -> NamespaceStats:
    return NamespaceStats(
        prefix=prefix,
        depth=prefix.count(b":") + 1 if prefix else 0,
        keys=keys,
        memory=memory,
        memory_measured=keys,
        memory_error=0,
        largest=KeyEntry(prefix + b":k", "string", memory, 1, -1),
        types={"string": keys},
        ttl=TtlBuckets(none=keys),
    )


def result(namespaces: list[NamespaceStats], **changes: object) -> AnalysisResult:
    base = AnalysisResult(
        mode="standalone", primaries=1, dbsize=100, keys=40, seconds=1.5, complete=True,
        delimiter=b":", match=None, memory_mode=MemoryMode(True, 40, 40, None), memory=4096,
        memory_error=0, types={"string": 40}, ttl=TtlBuckets(none=40),
        namespaces=tuple(sorted(namespaces, key=lambda n: -n.memory)),
        top_by_memory=(), top_by_length=(), leaks=(), stampedes=(), server=ServerHealth(),
    )  # fmt: skip
    return AnalysisResult(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_namespaces_nest_under_their_parent_by_memory() -> None:
    rows = namespace_rows(
        result(
            [ns(b"a", 900), ns(b"a:x", 600), ns(b"a:y", 300), ns(b"b", 800), ns(b"a:x:deep", 50),
             ns(b"", 10), ns(b"b:z", 800)]
        )
    )  # fmt: skip
    assert [r[0] for r in rows] == ["a:*", "  x:*", "    deep:*", "  y:*", "b:*", "  z:*",
                                    "(no namespace)"]  # fmt: skip
    assert rows[0][1:4] == ("1", "900 B", "900 B")


def test_a_capped_table_keeps_parents_with_their_children() -> None:
    rows = namespace_rows(result([ns(b"a", 900), ns(b"a:x", 600), ns(b"b", 10)]), limit=2)
    assert [r[0] for r in rows] == ["a:*", "  x:*"]


def test_hostile_names_are_escaped_and_huge_ones_clipped() -> None:
    entries = [
        KeyEntry(b"[bold]x\x1b[31m", "string", 10, 1, -1),
        KeyEntry(b"bad-\xff", "hash", 5, 2, 61_000),
        KeyEntry(b"k" * 5000, "string", 1, 1, -1),
    ]
    rows = top_rows(entries)
    assert rows[0][5] == "[bold]x\\e[31m"
    assert rows[1][1:6] == ("5 B", "2", "hash", "1m 01s", "bad-\\xff")
    assert len(rows[2][5]) < 100 and "(5,000-byte name)" in rows[2][5]
    leaky = result([ns(b"\x1b[2J", 10)], delimiter=b":")
    assert "\x1b" not in "".join(cell for row in namespace_rows(leaky) for cell in row)


def test_statements() -> None:
    stopped = result([], complete=False, keys=12_000, dbsize=50_000)
    assert summary_line(stopped).startswith("stopped at 12,000 of 50,000 keys after 1.5 s")
    sampled = result([], memory_mode=MemoryMode(True, 1000, 40_000, 2.5))
    assert "sampled 1000 of 40000, ±2.5%" in summary_line(sampled)
    refused = result([], memory_mode=MemoryMode(False, 0, 40, None))
    assert "memory not permitted for this user: counts and TTLs only" in summary_line(refused)
    assert summary_line(result([], mode="cluster", primaries=3)).startswith("cluster of 3")
    line = progress_line(Progress(1234, 10_000, 2.0, 14.0))
    assert line.startswith("analysing… 1,234 of 10,000 keys · 2.0 s · ETA 14 s")
    assert progress_line(Progress(5, None, 0.5, None)).startswith("analysing… 5 keys · 0.5 s ·")
    assert [age_text(s) for s in (0, 12, 125, 7500)] == [
        "just now", "12 s ago", "2 min ago", "2 h 05 min ago"
    ]  # fmt: skip
    health = health_lines(result([], server=ServerHealth(90, 10, 3, 512, 1024, "allkeys-lru")))
    assert health[:3] == [
        "Hit ratio: 90.0% (hits 90, misses 10)",
        "Evicted keys: 3",
        "Used memory: 512 B of maxmemory 1.0 KB (50.0%) · eviction policy allkeys-lru",
    ]
    unknown = health_lines(result([]))
    assert unknown[0].startswith("Hit ratio: unknown") and "maxmemory unknown" in unknown[2]
