"""The analysis screen's rows, as plain strings: no Textual here, unit-tested on their own.

Key names are escaped (``escape_key`` via ``key_label``) and clipped in the middle; the screen
puts every cell in a ``Text``, never markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from redis_tui.data.analysis import (
    AnalysisOptions,
    AnalysisResult,
    KeyEntry,
    NamespaceStats,
    Progress,
)
from redis_tui.data.values.display import escape_key, human_bytes, human_ttl
from redis_tui.ui.style import key_label

# The namespace table shows at most this many (the biggest by memory, their ancestors with
# them): a DataTable of thousands of rows costs more than a UI handler may take.
MAX_NAMESPACE_ROWS = 200
TOP_ROWS = 50  # top keys shown per list (the analysis keeps more, for :sort size)
KEY_CELLS = 60  # a key name's cells in a table before it is clipped in the middle
NAMESPACE_CELLS = 20  # a namespace segment's cells: the figures beside it stay on screen
TTL_COLUMNS = ("no TTL", "<1m", "<1h", "<1d", "longer")

Row = tuple[str, ...]


def namespace_rows(result: AnalysisResult, limit: int = MAX_NAMESPACE_ROWS) -> list[Row]:
    """The namespaces nested by the delimiter: siblings by memory (descending), each followed
    by its children, indented by depth. Columns: namespace, keys, memory, average, largest
    key, types, the TTL buckets (none = keys without TTL, <1m, <1h, <1d, longer)."""
    kept = list(result.namespaces[:limit])  # sorted by memory: parents come with children
    delimiter = result.delimiter
    present = {ns.prefix for ns in kept}
    children: dict[bytes | None, list[NamespaceStats]] = {}
    for ns in kept:
        parent: bytes | None = None
        if ns.depth > 1:
            parent = ns.prefix.rpartition(delimiter)[0]
            while parent not in present and delimiter in parent:
                parent = parent.rpartition(delimiter)[0]
            if parent not in present:
                parent = None
        children.setdefault(parent, []).append(ns)
    rows: list[Row] = []
    stack: list[tuple[NamespaceStats, int]] = [(ns, 0) for ns in reversed(children.get(None, []))]
    while stack:
        ns, level = stack.pop()
        rows.append(_namespace_row(ns, level, delimiter))
        stack.extend((child, level + 1) for child in reversed(children.get(ns.prefix, [])))
    return rows


def _namespace_row(ns: NamespaceStats, level: int, delimiter: bytes) -> Row:
    if ns.prefix:
        # A nested namespace shows its own segment, indented; the top level its whole name.
        name = ns.prefix.rpartition(delimiter)[2] if level else ns.prefix
        label = "  " * level + key_label(name, NAMESPACE_CELLS) + escape_key(delimiter) + "*"
    else:
        label = "(no namespace)"
    margin = f" ±{human_bytes(ns.memory_error)}" if ns.memory_error else ""
    memory = human_bytes(ns.memory) + margin
    largest = ""
    if ns.largest is not None:
        largest = f"{human_bytes(ns.largest.memory)} {key_label(ns.largest.key, KEY_CELLS)}"
    ttl = ns.ttl
    return (
        label,
        f"{ns.keys:,}",
        memory,
        human_bytes(ns.average_memory) if ns.memory_measured else "-",
        *(f"{n:,}" for n in (ttl.none, ttl.under_1m, ttl.under_1h, ttl.under_1d, ttl.longer)),
        types_text(ns.types),
        largest,
    )


def types_text(types: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in types.items())


def top_rows(entries: Sequence[KeyEntry]) -> list[Row]:
    """#, memory, length, type, TTL, key."""
    return [
        (
            str(n),
            human_bytes(e.memory),
            "-" if e.length is None else f"{e.length:,}",
            e.type,
            human_ttl(e.ttl_ms),
            key_label(e.key, KEY_CELLS),
        )
        for n, e in enumerate(entries[:TOP_ROWS], 1)
    ]


def ratio(value: float | None) -> str:
    return "unknown" if value is None else f"{100 * value:.1f}%"


def _count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def health_lines(result: AnalysisResult) -> list[str]:
    """Cache health: leaks, stampedes, hit ratio, evictions, memory against maxmemory."""
    server = result.server
    lines = [
        f"Hit ratio: {ratio(server.hit_ratio)} (hits {_count(server.keyspace_hits)}, misses "
        f"{_count(server.keyspace_misses)})",
        f"Evicted keys: {_count(server.evicted_keys)}",
    ]
    limit = server.maxmemory
    if limit is None:
        cap = "(maxmemory unknown)"
    elif limit == 0:
        cap = "(no maxmemory limit)"
    else:
        cap = f"of maxmemory {human_bytes(limit)} ({ratio(server.memory_share)})"
    used = "unknown" if server.used_memory is None else human_bytes(server.used_memory)
    lines.append(
        f"Used memory: {used} {cap} · eviction policy {server.maxmemory_policy or 'unknown'}"
    )
    lines.append("")
    if result.leaks:
        lines.append("Likely TTL leaks (most keys of the namespace expire, these do not):")
        for leak in result.leaks[:TOP_ROWS]:
            example = f", e.g. {key_label(leak.example, KEY_CELLS)}" if leak.example else ""
            name = key_label(leak.prefix, KEY_CELLS) + escape_key(result.delimiter) + "*"
            lines.append(
                f"  {name}: {leak.without_ttl:,} of {leak.keys:,} keys without TTL{example}"
            )
    else:
        lines.append("No likely TTL leaks.")
    lines.append("")
    if result.stampedes:
        lines.append("Expiry stampedes (many keys expiring in the same second):")
        for s in result.stampedes[:TOP_ROWS]:
            at = dt.datetime.fromtimestamp(s.second, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            example = f", e.g. {key_label(s.example, KEY_CELLS)}" if s.example else ""
            lines.append(f"  {at}: {s.keys:,} keys{example}")
    else:
        floor = AnalysisOptions().stampede_min_keys
        lines.append(f"No expiry stampedes ({floor} keys or more expiring in one second).")
    if result.notes:
        lines.append("")
        lines.extend(f"Note: {note}" for note in result.notes)
    return lines


def sampling_statement(result: AnalysisResult) -> str:
    """``memory 3.4 MB, exact`` · ``sampled 1000 of 20000, ±2.1%`` · ``memory not permitted``."""
    mode = result.memory_mode
    if not mode.permitted:
        return "memory not permitted for this user: counts and TTLs only"
    return f"memory {human_bytes(result.memory)}, {mode.describe()}"


def summary_line(result: AnalysisResult) -> str:
    """What was analysed and how: keys, time, the sampling statement; a stop says where."""
    total = result.dbsize
    if result.complete:
        head = f"{result.keys:,} keys in {result.seconds:.1f} s"
    else:
        of = f" of {total:,}" if total is not None else ""
        head = f"stopped at {result.keys:,}{of} keys after {result.seconds:.1f} s: partial figures"
    if result.mode == "cluster":
        head = f"cluster of {result.primaries} primaries: {head}"
    return f"{head} · {sampling_statement(result)}"


def progress_line(progress: Progress) -> str:
    total = f" of {progress.total:,}" if progress.total is not None else ""
    eta = f" · ETA {_seconds(progress.eta_s)}" if progress.eta_s is not None else ""
    return (
        f"analysing… {progress.done:,}{total} keys · {_seconds(progress.elapsed_s)}{eta}"
        " · x or esc stops"
    )


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"
    minutes, seconds = divmod(int(value), 60)
    return f"{minutes} min {seconds:02d} s"


def age_text(seconds: float) -> str:
    """How long ago: ``just now``, ``12 s ago``, ``3 min ago``, ``2 h 05 min ago``."""
    seconds = max(0, int(seconds))
    if seconds < 2:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60} h {minutes % 60:02d} min ago"
