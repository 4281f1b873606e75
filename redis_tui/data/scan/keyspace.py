"""SCAN pages, key metadata and server facts. Never KEYS: the keyspace is read in paced pages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis_tui.data.scan.pacing import MAX_COUNT, MIN_COUNT, START_COUNT, TARGET_CALL_SECONDS, Pacer
from redis_tui.data.scan.topology import ClusterNodeInfo, SentinelTopology

if TYPE_CHECKING:  # annotations only: the app loads this before its first frame
    import redis.asyncio as aioredis

__all__ = [
    "MAX_COUNT",
    "MIN_COUNT",
    "START_COUNT",
    "TARGET_CALL_SECONDS",
    "Pacer",
    "ScanPage",
    "ServerFacts",
    "key_meta",
    "parse_meta",
    "scan_page",
]


@dataclass
class ScanPage:
    """One page of a scan. ``cursor`` is opaque to callers (a cluster scan keeps one cursor per
    primary): pass it back to get the next page; ``done`` says there is none."""

    cursor: Any
    keys: list[bytes]
    types: list[bytes] = field(default_factory=list)
    pttls: list[int] = field(default_factory=list)
    # Round-trip time of the SCAN call alone, for pacing.
    seconds: float = 0.0

    @property
    def done(self) -> bool:
        return not self.cursor


async def scan_page(
    client: aioredis.Redis,
    cursor: int,
    match: bytes | None = None,
    count: int = START_COUNT,
    type_name: str | None = None,
) -> tuple[int, list[bytes]]:
    """One SCAN call. Returns the next cursor (0 when done) and the keys of this page."""
    args: list[Any] = ["SCAN", cursor]
    if match is not None:
        args += ["MATCH", match]
    args += ["COUNT", count]
    if type_name:
        args += ["TYPE", type_name]
    reply = await client.execute_command(*args)
    next_cursor, keys = reply
    return int(next_cursor), list(keys)


async def key_meta(client: aioredis.Redis, keys: list[bytes]) -> tuple[list[bytes], list[int]]:
    """TYPE and PTTL of many keys in one pipelined round trip (no MULTI)."""
    if not keys:
        return [], []
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command("TYPE", key)
        pipe.execute_command("PTTL", key)
    return parse_meta(await pipe.execute(raise_on_error=False))


def parse_meta(replies: list[Any]) -> tuple[list[bytes], list[int]]:
    """Alternating TYPE and PTTL replies -> (types, pttls). An error (an ACL that forbids
    TYPE) leaves the type unknown (``b"?"``) rather than showing the error text."""
    types: list[bytes] = []
    pttls: list[int] = []
    for i in range(0, len(replies) - 1, 2):
        kind, pttl = replies[i], replies[i + 1]
        types.append(kind if isinstance(kind, bytes) else b"?")
        pttls.append(pttl if isinstance(pttl, int) else -2)
    return types, pttls


@dataclass(frozen=True)
class ServerFacts:
    """What the connection pane shows. Fields are None when the server (or ACL) won't say."""

    version: str | None = None
    # "redis" or "valkey": Valkey reports valkey_version beside a compatible redis_version.
    product: str = "redis"
    mode: str | None = None
    role: str | None = None
    # A replica's master, "host:port" (INFO replication).
    master: str | None = None
    dbsize: int | None = None
    used_memory: int | None = None
    used_memory_human: str | None = None
    connected_clients: int | None = None
    keyspace: dict[int, int] = field(default_factory=dict)
    info_error: str | None = None
    # Commands the ACL forbids (e.g. "INFO"): the pane says what it cannot show.
    unavailable: tuple[str, ...] = ()
    # Cluster: "ok"/"fail" from CLUSTER INFO, and every node as CLUSTER NODES lists it.
    cluster_state: str | None = None
    cluster_nodes: tuple[ClusterNodeInfo, ...] = ()
    # Behind Sentinel: the master, its replicas and the Sentinels, as they see them.
    sentinel: SentinelTopology | None = None
    at: float = 0.0


def parse_facts(info: Any, dbsize: Any) -> ServerFacts:
    """Build ServerFacts from INFO and DBSIZE replies; either may be an exception."""
    facts: dict[str, Any] = {"at": time.time()}
    if isinstance(info, dict):
        facts["version"] = _s(info.get("valkey_version") or info.get("redis_version"))
        facts["product"] = "valkey" if info.get("valkey_version") else "redis"
        facts["mode"] = _s(info.get("redis_mode") or info.get("server_mode"))
        facts["role"] = _s(info.get("role"))
        if info.get("master_host"):
            facts["master"] = f"{_s(info.get('master_host'))}:{_s(info.get('master_port'))}"
        facts["used_memory"] = _int(info.get("used_memory"))
        facts["used_memory_human"] = _s(info.get("used_memory_human"))
        facts["connected_clients"] = _int(info.get("connected_clients"))
        keyspace: dict[int, int] = {}
        for name, value in info.items():
            is_db = isinstance(name, str) and name.startswith("db") and name[2:].isdigit()
            if is_db and isinstance(value, dict):
                keyspace[int(name[2:])] = int(value.get("keys", 0))
        facts["keyspace"] = keyspace
    elif isinstance(info, BaseException):
        facts["info_error"] = str(info)
    if isinstance(dbsize, int):
        facts["dbsize"] = dbsize
    return ServerFacts(**facts)


def _s(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
