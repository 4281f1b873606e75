"""What a keyspace analysis finds: plain frozen dataclasses, keys as bytes throughout."""

from __future__ import annotations

from dataclasses import dataclass, field

# TTL buckets, in the order they are reported; the bounds are upper limits in milliseconds.
TTL_BUCKETS: tuple[str, ...] = ("none", "under_1m", "under_1h", "under_1d", "longer")
TTL_BOUNDS_MS: tuple[int, ...] = (60_000, 3_600_000, 86_400_000)


@dataclass(frozen=True)
class AnalysisOptions:
    """How to analyse.

    Attributes:
        delimiter: splits keys into namespaces (``a:b:c`` counts in ``a`` and ``a:b``).
        match: SCAN MATCH glob, or None for every key.
        top: how many keys the top-by-memory and top-by-length lists keep.
        sample_per_namespace: measure MEMORY USAGE for at most this many keys of each
            namespace and extrapolate; None measures every key (unless ``exact_limit``).
        exact_limit: with no ``sample_per_namespace``, a database of more keys than this is
            sampled with ``DEFAULT_SAMPLE`` keys per namespace (the total key budget).
        max_depth: namespaces deeper than this many segments are counted in their ancestor.
        max_namespaces: a bound on the namespaces tracked; further ones fold into their
            parent (the result says how many keys were folded).
        stampede_min_keys: this many keys expiring in the same second is a stampede risk.
        leak_min_keys, leak_ttl_share: a namespace of at least this many keys, of which at
            least this share has a TTL but some do not, is a likely leak.
        measure_memory: send MEMORY USAGE at all.
    """

    delimiter: bytes = b":"
    match: bytes | None = None
    top: int = 50
    sample_per_namespace: int | None = None
    exact_limit: int | None = 2_000_000
    max_depth: int = 4
    max_namespaces: int = 10_000
    stampede_min_keys: int = 100
    leak_min_keys: int = 10
    leak_ttl_share: float = 0.8
    measure_memory: bool = True


DEFAULT_SAMPLE = 1000


@dataclass(frozen=True)
class Progress:
    """Reported after each page: keys done of ``total`` (DBSIZE; None when refused)."""

    done: int
    total: int | None
    elapsed_s: float
    eta_s: float | None


@dataclass(frozen=True)
class TtlBuckets:
    """Keys by remaining TTL: no TTL, under a minute, an hour, a day, longer."""

    none: int = 0
    under_1m: int = 0
    under_1h: int = 0
    under_1d: int = 0
    longer: int = 0

    @classmethod
    def of(cls, counts: list[int]) -> TtlBuckets:
        return cls(*counts)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in TTL_BUCKETS}


@dataclass(frozen=True)
class KeyEntry:
    """One key of a top list (or a namespace's largest)."""

    key: bytes
    type: str
    memory: int | None
    length: int | None
    ttl_ms: int  # -1: no TTL


@dataclass(frozen=True)
class NamespaceStats:
    """One namespace, counting every key under it at any depth.

    ``memory`` is exact when ``memory_measured == keys``, else extrapolated from the
    measured keys with ``memory_error`` (bytes, 95% confidence) as its margin.
    """

    prefix: bytes  # without the trailing delimiter; b"" for keys with no delimiter
    depth: int  # 1 for a top-level namespace, 0 for the no-namespace group
    keys: int
    memory: int
    memory_measured: int
    memory_error: int
    largest: KeyEntry | None
    types: dict[str, int]
    ttl: TtlBuckets

    @property
    def average_memory(self) -> int:
        return self.memory // self.keys if self.keys else 0

    @property
    def without_ttl(self) -> int:
        return self.ttl.none


@dataclass(frozen=True)
class MemoryMode:
    """How the memory figures were obtained."""

    permitted: bool
    measured: int  # keys whose MEMORY USAGE was read
    total: int  # keys analysed
    error_pct: float | None  # 95% margin of the total, when sampled

    @property
    def exact(self) -> bool:
        return self.permitted and self.measured == self.total

    def describe(self) -> str:
        if not self.permitted:
            return "memory not permitted"
        if self.exact:
            return "exact"
        margin = f", ±{self.error_pct:.1f}%" if self.error_pct is not None else ""
        return f"sampled {self.measured} of {self.total}{margin}"


@dataclass(frozen=True)
class LeakSuspect:
    """A namespace whose keys mostly expire, but not all: the rest likely leak."""

    prefix: bytes
    keys: int
    without_ttl: int
    example: bytes | None


@dataclass(frozen=True)
class Stampede:
    """Many keys expiring in the same second (unix time)."""

    second: int
    keys: int
    example: bytes | None


@dataclass(frozen=True)
class ServerHealth:
    """From INFO (and CONFIG GET when INFO does not say); None where the server won't say."""

    keyspace_hits: int | None = None
    keyspace_misses: int | None = None
    evicted_keys: int | None = None
    used_memory: int | None = None
    maxmemory: int | None = None
    maxmemory_policy: str | None = None

    @property
    def hit_ratio(self) -> float | None:
        if self.keyspace_hits is None or self.keyspace_misses is None:
            return None
        total = self.keyspace_hits + self.keyspace_misses
        return self.keyspace_hits / total if total else None

    @property
    def memory_share(self) -> float | None:
        """used_memory / maxmemory; None without a limit (maxmemory 0) or when unknown."""
        if not self.used_memory or not self.maxmemory:
            return None
        return self.used_memory / self.maxmemory


@dataclass(frozen=True)
class AnalysisResult:
    """The whole analysis. Lists are sorted: namespaces and tops by memory (then length)."""

    mode: str  # "standalone" or "cluster"
    primaries: int
    dbsize: int | None
    keys: int
    seconds: float
    complete: bool
    delimiter: bytes
    match: bytes | None
    memory_mode: MemoryMode
    memory: int
    memory_error: int
    types: dict[str, int]
    ttl: TtlBuckets
    namespaces: tuple[NamespaceStats, ...]
    top_by_memory: tuple[KeyEntry, ...]
    top_by_length: tuple[KeyEntry, ...]
    leaks: tuple[LeakSuspect, ...]
    stampedes: tuple[Stampede, ...]
    server: ServerHealth
    folded_keys: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
