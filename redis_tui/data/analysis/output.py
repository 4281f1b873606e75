"""The analysis as JSON-ready data and as a readable text report.

Keys are shown as the app shows them (``escape_key``: control bytes and invalid UTF-8 as
``\\xNN``, a backslash doubled); a key that is not valid UTF-8 also gets ``key_b64`` with its
exact bytes.
"""

from __future__ import annotations

import base64
import datetime as dt

from redis_tui.data.analysis.model import (
    AnalysisResult,
    KeyEntry,
    NamespaceStats,
    ServerHealth,
)
from redis_tui.data.values.display import escape_key, human_bytes

# JSON values: what json.dumps takes, spelled out so that nothing here is Any.
Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]


def key_fields(key: bytes, name: str = "key") -> dict[str, Json]:
    """``{"key": escaped}``, plus ``"key_b64"`` when the bytes are not valid UTF-8."""
    out: dict[str, Json] = {name: escape_key(key)}
    try:
        key.decode("utf-8")
    except UnicodeDecodeError:
        out[f"{name}_b64"] = base64.b64encode(key).decode("ascii")
    return out


def _entry(entry: KeyEntry) -> dict[str, Json]:
    return {
        **key_fields(entry.key),
        "type": entry.type,
        "memory": entry.memory,
        "length": entry.length,
        "ttl_ms": entry.ttl_ms,
    }


def _namespace(ns: NamespaceStats) -> dict[str, Json]:
    return {
        **key_fields(ns.prefix, "prefix"),
        "depth": ns.depth,
        "keys": ns.keys,
        "memory": ns.memory,
        "memory_measured": ns.memory_measured,
        "memory_error": ns.memory_error,
        "average_memory": ns.average_memory,
        "largest": _entry(ns.largest) if ns.largest is not None else None,
        "types": dict(ns.types),
        "ttl": dict(ns.ttl.as_dict()),
        "without_ttl": ns.without_ttl,
    }


def _server(server: ServerHealth) -> dict[str, Json]:
    return {
        "keyspace_hits": server.keyspace_hits,
        "keyspace_misses": server.keyspace_misses,
        "hit_ratio": None if server.hit_ratio is None else round(server.hit_ratio, 4),
        "evicted_keys": server.evicted_keys,
        "used_memory": server.used_memory,
        "maxmemory": server.maxmemory,
        "maxmemory_policy": server.maxmemory_policy,
        "memory_share": None if server.memory_share is None else round(server.memory_share, 4),
    }


def result_json(result: AnalysisResult) -> dict[str, Json]:
    """The whole result as plain JSON data."""
    mode = result.memory_mode
    return {
        "mode": result.mode,
        "primaries": result.primaries,
        "dbsize": result.dbsize,
        "keys": result.keys,
        "seconds": result.seconds,
        "complete": result.complete,
        **key_fields(result.delimiter, "delimiter"),
        "match": None if result.match is None else escape_key(result.match),
        "memory_mode": {
            "describe": mode.describe(),
            "exact": mode.exact,
            "permitted": mode.permitted,
            "measured": mode.measured,
            "total": mode.total,
            "error_pct": mode.error_pct,
        },
        "memory": result.memory,
        "memory_error": result.memory_error,
        "types": dict(result.types),
        "ttl": dict(result.ttl.as_dict()),
        "namespaces": [_namespace(ns) for ns in result.namespaces],
        "top_by_memory": [_entry(e) for e in result.top_by_memory],
        "top_by_length": [_entry(e) for e in result.top_by_length],
        "leaks": [
            {
                **key_fields(leak.prefix, "prefix"),
                "keys": leak.keys,
                "without_ttl": leak.without_ttl,
                "example": None if leak.example is None else escape_key(leak.example),
            }
            for leak in result.leaks
        ],
        "stampedes": [
            {
                "second": s.second,
                "at": _iso(s.second),
                "keys": s.keys,
                "example": None if s.example is None else escape_key(s.example),
            }
            for s in result.stampedes
        ],
        "server": _server(result.server),
        "folded_keys": result.folded_keys,
        "notes": list(result.notes),
    }


def _iso(second: int) -> str:
    return dt.datetime.fromtimestamp(second, dt.UTC).isoformat()


def _size(n: int | None) -> str:
    return "unknown" if n is None else human_bytes(n)


def _ttl(ms: int) -> str:
    if ms < 0:
        return "-"
    seconds = ms // 1000
    for unit, span in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * span:
            return f"{seconds // span}{unit}"
    return f"{seconds}s"


def _name(prefix: bytes) -> str:
    return escape_key(prefix) if prefix else "(no namespace)"


def report_text(result: AnalysisResult, *, namespaces: int = 30, top: int = 20) -> str:
    """A readable report: the biggest namespaces, the top keys, cache health."""
    mode = result.memory_mode
    lines: list[str] = []
    where = f"cluster, {result.primaries} primaries" if result.mode == "cluster" else "standalone"
    lines.append(
        f"Keyspace analysis ({where}): {result.keys} keys in {result.seconds:.1f} s"
        + ("" if result.complete else " (stopped early)")
    )
    memory = (
        "memory not permitted"
        if not mode.permitted
        else f"{human_bytes(result.memory)} ({mode.describe()})"
    )
    lines.append(f"Memory: {memory}")
    lines.append("Types: " + ", ".join(f"{k} {v}" for k, v in result.types.items()))
    ttl = result.ttl
    lines.append(
        f"TTL: none {ttl.none}, <1m {ttl.under_1m}, <1h {ttl.under_1h}, "
        f"<1d {ttl.under_1d}, longer {ttl.longer}"
    )
    lines.append("")
    shown = result.namespaces[:namespaces]
    lines.append(f"Namespaces (delimiter {escape_key(result.delimiter)!r}, top {len(shown)}):")
    lines.append(f"  {'KEYS':>9} {'MEMORY':>10} {'AVG':>9} {'NO TTL':>7}  NAMESPACE")
    for ns in shown:
        margin = f" ±{human_bytes(ns.memory_error)}" if ns.memory_error else ""
        lines.append(
            f"  {ns.keys:>9} {human_bytes(ns.memory):>10} {human_bytes(ns.average_memory):>9} "
            f"{ns.without_ttl:>7}  {_name(ns.prefix)}{margin}"
        )
    for title, entries, measure in (
        ("Top keys by memory", result.top_by_memory[:top], "memory"),
        ("Top keys by length", result.top_by_length[:top], "length"),
    ):
        if not entries:
            continue
        lines.append("")
        lines.append(f"{title}:")
        for e in entries:
            figure = _size(e.memory) if measure == "memory" else str(e.length)
            lines.append(f"  {figure:>10} {e.type:<7} {_ttl(e.ttl_ms):>5}  {escape_key(e.key)}")
    lines.append("")
    lines.append("Cache health:")
    server = result.server
    ratio = "unknown" if server.hit_ratio is None else f"{100 * server.hit_ratio:.1f}%"
    lines.append(
        f"  hit ratio {ratio} (hits {_or_unknown(server.keyspace_hits)}, misses "
        f"{_or_unknown(server.keyspace_misses)}), evicted keys {_or_unknown(server.evicted_keys)}"
    )
    limit = "unknown" if server.maxmemory is None else (
        "no limit" if server.maxmemory == 0 else human_bytes(server.maxmemory)
    )  # fmt: skip
    lines.append(
        f"  used memory {_size(server.used_memory)} of maxmemory {limit}, policy "
        f"{server.maxmemory_policy or 'unknown'}"
    )
    if result.leaks:
        lines.append("  Likely leaks (most keys expire, these do not):")
        for leak in result.leaks[:top]:
            example = f", e.g. {escape_key(leak.example)}" if leak.example else ""
            lines.append(
                f"    {_name(leak.prefix)}: {leak.without_ttl} of {leak.keys} keys without "
                f"TTL{example}"
            )
    else:
        lines.append("  No likely TTL leaks.")
    if result.stampedes:
        lines.append("  Expiry stampedes (many keys expiring in the same second):")
        for s in result.stampedes[:top]:
            example = f", e.g. {escape_key(s.example)}" if s.example else ""
            lines.append(f"    {_iso(s.second)}: {s.keys} keys{example}")
    else:
        lines.append("  No expiry stampedes.")
    if result.notes:
        lines.append("")
        lines.extend(f"Note: {note}" for note in result.notes)
    return "\n".join(lines) + "\n"


def _or_unknown(value: int | None) -> str:
    return "unknown" if value is None else str(value)
