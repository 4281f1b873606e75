"""The analysis' bounded state: pure Python, no Redis. Fed one page at a time.

Memory stays bounded whatever the keyspace: no key is kept except in the top-N heaps, one
largest key and one example key per namespace group, and one example per stampede second.

Each key updates exactly one *group*, its deepest namespace (``a:b:c`` -> ``a:b``; capped at
``max_depth`` segments and at ``max_namespaces`` groups, beyond which a new namespace folds
into its nearest tracked ancestor). Namespaces with their nested counts (``a`` holds ``a:b``)
are summed from the groups once, at the end: one dict lookup per key, not one per level.

Sampled memory: each group measures its first ``sample`` keys (SCAN order follows the hash
table, so these are a random sample) and extrapolates by its key count; the margin is the
95% normal interval of that estimate, with the finite-population correction.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from operator import itemgetter

from redis_tui.data.analysis.model import (
    TTL_BOUNDS_MS,
    AnalysisOptions,
    KeyEntry,
    LeakSuspect,
    NamespaceStats,
    Stampede,
    TtlBuckets,
)

Z95 = 1.96
# The expiry-second counter is pruned to its busiest seconds when it grows past this.
EXPIRY_LIMIT = 200_000
EXPIRY_KEEP = 50_000
UNKNOWN_TYPE = "unknown"
# (measure, key, type, length, ttl_ms): ordered by the measure, then the key.
_Top = tuple[int, bytes, str, int | None, int]
# (length, key, type, memory or -1, ttl_ms)
_Long = tuple[int, bytes, str, int, int]


class Group:
    """Running totals of one namespace group (its direct keys and folded ones)."""

    __slots__ = (
        "example_no_ttl",
        "keys",
        "largest",
        "measured",
        "memory",
        "prefix",
        "requested",
        "sumsq",
        "ttl",
        "types",
    )

    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix
        self.keys = 0
        self.requested = 0  # keys sent MEMORY USAGE (decided before the reply)
        self.measured = 0
        self.memory = 0
        self.sumsq = 0
        self.types: dict[str, int] = {}
        self.ttl = [0, 0, 0, 0, 0]
        self.largest: _Top | None = None
        self.example_no_ttl: bytes | None = None


class Accumulator:
    """Feeds on pages of keys with their metadata; ``namespaces()`` etc. read the totals."""

    def __init__(self, options: AnalysisOptions, sample: int | None) -> None:
        self.options = options
        self.sample = sample  # None: measure every key
        self.delimiter = options.delimiter
        self.groups: dict[bytes, Group] = {b"": Group(b"")}
        self.folded_keys = 0
        self.keys = 0
        self.top_memory: list[_Top] = []
        self.top_length: list[_Long] = []
        self.expiry: dict[int, int] = {}
        self.expiry_examples: dict[int, bytes] = {}
        self.expiry_pruned = False

    # -- per page ---------------------------------------------------------------------------

    def groups_of(self, keys: Sequence[bytes]) -> list[Group]:
        """The group of each key (created on first sight, within the bounds)."""
        groups = self.groups
        delimiter = self.delimiter
        depth = self.options.max_depth
        out: list[Group] = []
        append = out.append
        for key in keys:
            prefix = key.rpartition(delimiter)[0]
            group = groups.get(prefix)
            if group is None:
                if prefix.count(delimiter) >= depth:
                    prefix = delimiter.join(prefix.split(delimiter, depth)[:depth])
                    group = groups.get(prefix)
                if group is None:
                    group = self._new_group(prefix)
            append(group)
        return out

    def _new_group(self, prefix: bytes) -> Group:
        groups = self.groups
        if len(groups) <= self.options.max_namespaces:
            group = groups[prefix] = Group(prefix)
            return group
        # Over the bound: the nearest tracked ancestor takes the key (b"" always exists).
        while prefix not in groups:
            prefix = prefix.rpartition(self.delimiter)[0]
        self.folded_keys += 1
        return groups[prefix]

    def want_memory(self, groups: Sequence[Group]) -> list[bool]:
        """Which keys to send MEMORY USAGE for: all, or each group's first ``sample``."""
        limit = self.sample
        if limit is None:
            return [True] * len(groups)
        out: list[bool] = []
        for group in groups:
            wanted = group.requested < limit
            if wanted:
                group.requested += 1
            out.append(wanted)
        return out

    def add(
        self,
        keys: Sequence[bytes],
        groups: Sequence[Group],
        types: Sequence[bytes],
        pttls: Sequence[int],
        memories: Sequence[int | None],
        lengths: Sequence[int | None],
        now_ms: int,
    ) -> None:
        """One page: ``memories`` is None where not measured (or refused), ``lengths`` None
        for a type without a length. A key gone since SCAN (type ``none``) is skipped."""
        first, second, third = TTL_BOUNDS_MS
        top_n = self.options.top
        top_memory, top_length = self.top_memory, self.top_length
        expiry = self.expiry
        min_stampede = self.options.stampede_min_keys
        names: dict[bytes, str] = {}
        counted = 0
        for key, group, kind, pttl, memory, length in zip(
            keys, groups, types, pttls, memories, lengths, strict=True
        ):
            if kind == b"none":
                continue
            counted += 1
            name = names.get(kind)
            if name is None:
                name = names[kind] = (
                    UNKNOWN_TYPE if kind == b"?" else kind.decode("ascii", "replace")
                )
            group.keys += 1
            group.types[name] = group.types.get(name, 0) + 1
            if pttl < 0:
                group.ttl[0] += 1
                if group.example_no_ttl is None:
                    group.example_no_ttl = key
            else:
                bucket = 1 if pttl < first else 2 if pttl < second else 3 if pttl < third else 4
                group.ttl[bucket] += 1
                second_at = (now_ms + pttl + 500) // 1000
                seen = expiry.get(second_at, 0) + 1
                expiry[second_at] = seen
                if seen == min_stampede:
                    self.expiry_examples[second_at] = key
            if memory is not None:
                group.measured += 1
                group.memory += memory
                group.sumsq += memory * memory
                largest = group.largest
                # Ties go to the greater name, as in the rollup: the same answer whatever
                # the SCAN order.
                if (
                    largest is None
                    or memory > largest[0]
                    or (memory == largest[0] and key > largest[1])
                ):
                    group.largest = (memory, key, name, length, pttl)
                if len(top_memory) < top_n:
                    heapq.heappush(top_memory, (memory, key, name, length, pttl))
                elif memory > top_memory[0][0]:
                    heapq.heappushpop(top_memory, (memory, key, name, length, pttl))
            if length is not None:
                entry_memory = -1 if memory is None else memory
                if len(top_length) < top_n:
                    heapq.heappush(top_length, (length, key, name, entry_memory, pttl))
                elif length > top_length[0][0]:
                    heapq.heappushpop(top_length, (length, key, name, entry_memory, pttl))
        self.keys += counted
        if len(expiry) > EXPIRY_LIMIT:
            self._prune_expiry()

    def _prune_expiry(self) -> None:
        keep = heapq.nlargest(EXPIRY_KEEP, self.expiry.items(), key=itemgetter(1))
        self.expiry = dict(keep)
        self.expiry_examples = {s: k for s, k in self.expiry_examples.items() if s in self.expiry}
        self.expiry_pruned = True

    # -- results ----------------------------------------------------------------------------

    def namespaces(self) -> list[NamespaceStats]:
        """Every namespace with the totals of every key under it, biggest memory first."""
        delimiter = self.delimiter
        totals: dict[bytes, _Rollup] = {}
        for group in self.groups.values():
            if not group.keys:
                continue
            estimate, variance = _estimate(group)
            chain = [group.prefix]
            prefix = group.prefix
            while delimiter in prefix:
                prefix = prefix.rpartition(delimiter)[0]
                chain.append(prefix)
            if group.prefix:
                # b"" only names the keys with no delimiter, not an ancestor of the rest.
                chain = [p for p in chain if p]
            for name in chain:
                rollup = totals.get(name)
                if rollup is None:
                    rollup = totals[name] = _Rollup()
                rollup.add(group, estimate, variance)
        out = [rollup.stats(prefix, delimiter) for prefix, rollup in totals.items()]
        out.sort(key=lambda ns: (-ns.memory, -ns.keys, ns.prefix))
        return out

    def totals(self) -> tuple[int, int, int, dict[str, int], TtlBuckets]:
        """(memory estimate, its 95% margin, measured keys, types, TTL buckets) of all keys."""
        rollup = _Rollup()
        for group in self.groups.values():
            if group.keys:
                rollup.add(group, *_estimate(group))
        margin = round(Z95 * math.sqrt(rollup.variance))
        types = dict(sorted(rollup.types.items(), key=lambda kv: (-kv[1], kv[0])))
        return round(rollup.memory), margin, rollup.measured, types, TtlBuckets.of(rollup.ttl)

    def top_by_memory(self) -> list[KeyEntry]:
        ranked = sorted(self.top_memory, key=lambda t: (-t[0], t[1]))
        return [
            KeyEntry(key, kind, memory, length, ttl) for memory, key, kind, length, ttl in ranked
        ]

    def top_by_length(self) -> list[KeyEntry]:
        ranked = sorted(self.top_length, key=lambda t: (-t[0], t[1]))
        return [
            KeyEntry(key, kind, None if memory < 0 else memory, length, ttl)
            for length, key, kind, memory, ttl in ranked
        ]

    def leaks(self, namespaces: Sequence[NamespaceStats]) -> list[LeakSuspect]:
        """Namespaces whose keys mostly have a TTL but some do not, most keys without first."""
        options = self.options
        found: list[LeakSuspect] = []
        for ns in namespaces:
            with_ttl = ns.keys - ns.without_ttl
            if (
                ns.prefix
                and ns.keys >= options.leak_min_keys
                and 0 < ns.without_ttl < ns.keys
                and with_ttl >= options.leak_ttl_share * ns.keys
            ):
                found.append(
                    LeakSuspect(ns.prefix, ns.keys, ns.without_ttl, self._no_ttl_example(ns.prefix))
                )
        # An ancestor whose keys without TTL are all in one leaking child says nothing more.
        head = self.delimiter
        kept = [
            f for f in found
            if not any(
                g.prefix.startswith(f.prefix + head) and g.without_ttl == f.without_ttl
                for g in found
            )
        ]  # fmt: skip
        kept.sort(key=lambda f: (-f.without_ttl, f.prefix))
        return kept

    def _no_ttl_example(self, prefix: bytes) -> bytes | None:
        group = self.groups.get(prefix)
        if group is not None and group.example_no_ttl is not None:
            return group.example_no_ttl
        head = prefix + self.delimiter
        for other in self.groups.values():
            if other.prefix.startswith(head) and other.example_no_ttl is not None:
                return other.example_no_ttl
        return None

    def stampedes(self) -> list[Stampede]:
        """Seconds in which at least ``stampede_min_keys`` keys expire, busiest first."""
        limit = self.options.stampede_min_keys
        busy = [
            Stampede(second, count, self.expiry_examples.get(second))
            for second, count in self.expiry.items()
            if count >= limit
        ]
        busy.sort(key=lambda s: (-s.keys, s.second))
        return busy


def _estimate(group: Group) -> tuple[float, float]:
    """(memory estimate, its variance) of a group from its measured keys."""
    n, total = group.measured, group.keys
    if n == 0:
        return 0.0, 0.0
    if n >= total:
        return float(group.memory), 0.0
    mean = group.memory / n
    spread = (group.sumsq - group.memory * mean) / (n - 1) if n > 1 else mean * mean
    variance = total * total * max(spread, 0.0) / n * (1 - n / total)
    return mean * total, variance


class _Rollup:
    __slots__ = ("keys", "largest", "measured", "memory", "ttl", "types", "variance")

    def __init__(self) -> None:
        self.keys = 0
        self.memory = 0.0
        self.measured = 0
        self.variance = 0.0
        self.types: dict[str, int] = {}
        self.ttl = [0, 0, 0, 0, 0]
        self.largest: _Top | None = None

    def add(self, group: Group, estimate: float, variance: float) -> None:
        self.keys += group.keys
        self.memory += estimate
        self.measured += group.measured
        self.variance += variance
        for name, count in group.types.items():
            self.types[name] = self.types.get(name, 0) + count
        for i, count in enumerate(group.ttl):
            self.ttl[i] += count
        if group.largest is not None and (
            self.largest is None or group.largest[:2] > self.largest[:2]
        ):
            self.largest = group.largest

    def stats(self, prefix: bytes, delimiter: bytes) -> NamespaceStats:
        largest = None
        if self.largest is not None:
            memory, key, kind, length, ttl = self.largest
            largest = KeyEntry(key, kind, memory, length, ttl)
        return NamespaceStats(
            prefix=prefix,
            depth=prefix.count(delimiter) + 1 if prefix else 0,
            keys=self.keys,
            memory=round(self.memory),
            memory_measured=self.measured,
            memory_error=round(Z95 * math.sqrt(self.variance)),
            largest=largest,
            types=dict(sorted(self.types.items(), key=lambda kv: (-kv[1], kv[0]))),
            ttl=TtlBuckets.of(self.ttl),
        )
