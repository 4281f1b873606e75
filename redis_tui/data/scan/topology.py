"""The shape of a deployment: Cluster scans (one SCAN cursor per primary), cluster nodes and
their state, and the Sentinel view of a master and its replicas.

A cluster scan never shares one cursor between nodes: each primary is scanned to the end
with its own cursor. Keys whose slot moved while the scan ran (resharding, a MIGRATING /
IMPORTING slot) are read again, slot by slot, from every node involved, so none is missed;
a key may then come twice, and the key store drops the repeat.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis_tui.data.values.kinds import pairs
from redis_tui.errors import is_command_error

# redis-py is imported where it is used: the app loads this before its first frame (~50 ms).
if TYPE_CHECKING:
    from redis.asyncio.cluster import ClusterNode, RedisCluster
    from redis.asyncio.sentinel import Sentinel

SLOTS = 16384
# GETKEYSINSLOT has no cursor: one call reads a whole slot, bounded by this.
MAX_SLOT_KEYS = 100_000


# -- cluster scan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterCursor:
    """Where a cluster scan stands. Opaque to callers; false when the scan is over.

    Attributes:
        nodes: (node name, SCAN cursor) of each primary still to scan, in order.
        owners: the slot map when the scan started, as (first, last, node name) ranges.
        unstable: slots that were migrating or importing when the scan started.
        fixups: (node name, slot) still to read with GETKEYSINSLOT after the node scans.
    """

    nodes: tuple[tuple[str, int], ...]
    owners: tuple[tuple[int, int, str], ...] = ()
    unstable: tuple[int, ...] = ()
    fixups: tuple[tuple[str, int], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.nodes or self.fixups)


@dataclass(frozen=True)
class ClusterNodeInfo:
    """One line of ``CLUSTER NODES``, for the connection pane."""

    id: str
    address: str
    role: str  # "primary" or "replica"
    primary_id: str | None
    flags: tuple[str, ...]
    link: str  # "connected" or "disconnected"
    slots: tuple[tuple[int, int], ...]
    migrating: tuple[tuple[int, str], ...] = ()  # (slot, target node id)
    importing: tuple[tuple[int, str], ...] = ()  # (slot, source node id)

    @property
    def failing(self) -> bool:
        return "fail" in self.flags or "fail?" in self.flags

    @property
    def slot_count(self) -> int:
        return sum(last - first + 1 for first, last in self.slots)


def parse_cluster_nodes(raw: Any, remap: Any = None) -> tuple[ClusterNodeInfo, ...]:
    """Parse the text of ``CLUSTER NODES``. ``remap(host, port) -> (host, port)`` maps
    announced addresses to reachable ones (``host_map``)."""
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    nodes: list[ClusterNodeInfo] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        node_id, addr, flags_text, primary, *_, link = parts[:8]
        host_port = addr.split("@", 1)[0].split(",", 1)[0]
        host, _, port_text = host_port.rpartition(":")
        if remap is not None and port_text.isdigit():
            host, port = remap(host, int(port_text))
            host_port = f"{host}:{port}"
        flags = tuple(f for f in flags_text.split(",") if f != "myself")
        slots: list[tuple[int, int]] = []
        migrating: list[tuple[int, str]] = []
        importing: list[tuple[int, str]] = []
        for item in parts[8:]:
            if item.startswith("["):
                body = item.strip("[]")
                if "->-" in body:
                    slot, other = body.split("->-", 1)
                    migrating.append((int(slot), other))
                elif "-<-" in body:
                    slot, other = body.split("-<-", 1)
                    importing.append((int(slot), other))
            elif "-" in item:
                first, last = item.split("-", 1)
                slots.append((int(first), int(last)))
            elif item.isdigit():
                slots.append((int(item), int(item)))
        nodes.append(
            ClusterNodeInfo(
                id=node_id,
                address=host_port,
                role="primary" if "master" in flags else "replica",
                primary_id=None if primary == "-" else primary,
                flags=tuple("primary" if f == "master" else f for f in flags),
                link=link,
                slots=tuple(slots),
                migrating=tuple(migrating),
                importing=tuple(importing),
            )
        )
    return tuple(nodes)


async def _node_views(client: RedisCluster) -> list[ClusterNodeInfo]:
    """Each primary's own line of ``CLUSTER NODES`` (only a node itself reports its
    migrating and importing slots)."""
    primaries = client.get_primaries()
    replies = await asyncio.gather(
        *(client.execute_command("CLUSTER", "NODES", target_nodes=n) for n in primaries)
    )
    remap = client.nodes_manager.remap_host_port
    views: list[ClusterNodeInfo] = []
    for raw in replies:
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        mine = [line for line in text.splitlines() if "myself" in line.split()[2:3][0]]
        views.extend(parse_cluster_nodes("\n".join(mine), remap))
    return views


def _slot_map(views: Sequence[ClusterNodeInfo]) -> tuple[list[str], set[int]]:
    owners = [""] * SLOTS
    unstable: set[int] = set()
    for view in views:
        for first, last in view.slots:
            for slot in range(first, last + 1):
                owners[slot] = view.address
        unstable.update(slot for slot, _ in view.migrating + view.importing)
    return owners, unstable


def _ranges(owners: Sequence[str]) -> tuple[tuple[int, int, str], ...]:
    ranges: list[tuple[int, int, str]] = []
    for slot, owner in enumerate(owners):
        if ranges and ranges[-1][2] == owner and ranges[-1][1] == slot - 1:
            ranges[-1] = (ranges[-1][0], slot, owner)
        else:
            ranges.append((slot, slot, owner))
    return tuple(ranges)


async def start_cluster_scan(client: RedisCluster) -> ClusterCursor:
    """A fresh cursor: every primary at SCAN cursor 0, and the slot map as it is now."""
    await client.initialize()
    views = await _node_views(client)
    owners, unstable = _slot_map(views)
    return ClusterCursor(
        nodes=tuple((node.name, 0) for node in client.get_primaries()),
        owners=_ranges(owners),
        unstable=tuple(sorted(unstable)),
    )


async def _fixups(client: RedisCluster, cursor: ClusterCursor) -> tuple[tuple[str, int], ...]:
    """Slots whose keys may have escaped the node scans: those that changed owner or were
    migrating at the start or the end. Each is read from every node that held it."""
    await client.nodes_manager.initialize()
    views = await _node_views(client)
    now, unstable_now = _slot_map(views)
    before = [""] * SLOTS
    for first, last, owner in cursor.owners:
        before[first : last + 1] = [owner] * (last - first + 1)
    suspects = set(cursor.unstable) | unstable_now
    suspects.update(slot for slot in range(SLOTS) if before[slot] != now[slot])
    by_id = {view.id: view.address for view in views}
    tasks: list[tuple[str, int]] = []
    for slot in sorted(suspects):
        holders = {before[slot], now[slot]}
        for view in views:
            holders.update(
                by_id.get(other, "")
                for moving, other in view.migrating + view.importing
                if moving == slot
            )
            if any(moving == slot for moving, _ in view.migrating + view.importing):
                holders.add(view.address)
        tasks.extend((name, slot) for name in sorted(holders) if name)
    return tuple(tasks)


def _node(client: RedisCluster, name: str) -> ClusterNode:
    from redis.asyncio.cluster import ClusterNode

    node = client.get_node(node_name=name)
    if node is None:
        host, _, port = name.rpartition(":")
        node = ClusterNode(host, int(port))
    return node


async def scan_cluster_page(
    client: RedisCluster,
    cursor: ClusterCursor,
    match: bytes | None,
    count: int,
    type_name: str | None,
) -> tuple[ClusterCursor, list[bytes]]:
    """One step of a cluster scan: one SCAN call on the first primary not done, or, once
    every primary is done, one slot re-read with GETKEYSINSLOT.

    Returns:
        The next cursor (false when the scan is over) and the keys of this step.
    """
    if cursor.nodes:
        name, node_cursor = cursor.nodes[0]
        args: list[Any] = ["SCAN", node_cursor]
        if match is not None:
            args += ["MATCH", match]
        args += ["COUNT", count]
        if type_name:
            args += ["TYPE", type_name]
        raw_cursor, keys = await client.execute_command(*args, target_nodes=_node(client, name))
        if isinstance(raw_cursor, dict):  # redis-py keys the cursor by node name
            raw_cursor = next(iter(raw_cursor.values()))
        following = int(raw_cursor)
        if following:
            nodes = ((name, following), *cursor.nodes[1:])
            return ClusterCursor(nodes, cursor.owners, cursor.unstable, cursor.fixups), list(keys)
        rest = ClusterCursor(cursor.nodes[1:], cursor.owners, cursor.unstable)
        if not rest.nodes:
            rest = ClusterCursor((), cursor.owners, cursor.unstable, await _fixups(client, rest))
        return rest, list(keys)
    if not cursor.fixups:
        return cursor, []
    (name, slot), rest_fixups = cursor.fixups[0], cursor.fixups[1:]
    following_cursor = ClusterCursor((), cursor.owners, cursor.unstable, rest_fixups)
    keys = list(
        await client.execute_command(
            "CLUSTER", "GETKEYSINSLOT", slot, MAX_SLOT_KEYS, target_nodes=_node(client, name)
        )
    )
    if match is not None:
        pattern = glob_regex(match)
        keys = [k for k in keys if pattern.fullmatch(k)]
    if type_name and keys:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.execute_command("TYPE", key)
        kinds = await pipe.execute(raise_on_error=False)
        keys = [k for k, kind in zip(keys, kinds, strict=True) if kind == type_name.encode()]
    return following_cursor, keys


def glob_regex(pattern: bytes) -> re.Pattern[bytes]:
    """Redis glob (``*``, ``?``, ``[a-z]``, ``[^x]``, ``\\`` escapes) as a bytes regex."""
    out = bytearray()
    i = 0
    while i < len(pattern):
        c = pattern[i : i + 1]
        if c == b"*":
            out += b".*"
        elif c == b"?":
            out += b"."
        elif c == b"\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i : i + 1])
        elif c == b"[":
            end = pattern.find(b"]", i + 1)
            if end == -1:
                out += re.escape(c)
            else:
                body = pattern[i + 1 : end]
                negate = body.startswith(b"^")
                body = body[1:] if negate else body
                escaped = re.sub(rb"([\\\]\[^])", rb"\\\1", body)
                out += b"[" + (b"^" if negate else b"") + escaped + b"]"
                i = end
        else:
            out += re.escape(c)
        i += 1
    return re.compile(bytes(out), re.DOTALL)


# -- cluster facts ------------------------------------------------------------------------------


@dataclass
class ClusterPoll:
    """The replies of one cluster poll; errors are kept for the commands the ACL forbids."""

    info: dict[str, Any] | BaseException
    dbsize: int | None
    nodes: Any
    cluster_info: Any
    pttls: list[int]


async def cluster_poll(
    client: RedisCluster, sections: Sequence[str], ttl_keys: Sequence[bytes]
) -> ClusterPoll:
    """INFO and DBSIZE of every primary (summed), ``CLUSTER NODES`` and ``CLUSTER INFO``
    concurrently, then the PTTLs in one cluster pipeline.

    Raises:
        redis-py errors other than per-command ones (the link is down).
    """
    await client.initialize()
    primaries = client.get_primaries()
    calls: list[Any] = []
    for node in primaries:
        calls.append(client.execute_command("INFO", *sections, target_nodes=node))
        calls.append(client.execute_command("DBSIZE", target_nodes=node))
    calls.append(client.execute_command("CLUSTER", "NODES", target_nodes=primaries[0]))
    calls.append(client.execute_command("CLUSTER", "INFO", target_nodes=primaries[0]))
    replies = list(await asyncio.gather(*calls, return_exceptions=True))
    ttl_replies: list[Any] = []
    if ttl_keys:
        pipe = client.pipeline(transaction=False)
        for key in ttl_keys:
            pipe.execute_command("PTTL", key)
        ttl_replies = await pipe.execute(raise_on_error=False)
    for reply in replies + ttl_replies:
        if isinstance(reply, BaseException) and not is_command_error(reply):
            raise reply
    sizes = [s for s in replies[1 : 2 * len(primaries) : 2] if isinstance(s, int)]
    return ClusterPoll(
        info=_merge_info(replies[0 : 2 * len(primaries) : 2]),
        dbsize=sum(sizes) if sizes else None,
        nodes=replies[-2],
        cluster_info=replies[-1],
        pttls=[r if isinstance(r, int) else -2 for r in ttl_replies],
    )


def _merge_info(infos: Sequence[Any]) -> dict[str, Any] | BaseException:
    import redis.exceptions as rex

    good = [i for i in infos if isinstance(i, dict)]
    if not good:
        errors = [i for i in infos if isinstance(i, BaseException)]
        return errors[0] if errors else rex.ResponseError("INFO unavailable")
    merged = dict(good[0])
    for name in ("used_memory", "connected_clients"):
        values = [int(i[name]) for i in good if name in i]
        if values:
            merged[name] = sum(values)
    if "used_memory" in merged:
        merged["used_memory_human"] = human_bytes(int(merged["used_memory"]))
    for info in good[1:]:
        for name, value in info.items():
            if isinstance(name, str) and name.startswith("db") and isinstance(value, dict):
                total = dict(merged.get(name, {"keys": 0}))
                total["keys"] = int(total.get("keys", 0)) + int(value.get("keys", 0))
                merged[name] = total
    return merged


def human_bytes(n: int) -> str:
    """``1.50M`` as INFO writes ``used_memory_human``."""
    value = float(n)
    for unit in ("B", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            return f"{int(value)}B" if unit == "B" else f"{value:.2f}{unit}"
        value /= 1024
    return f"{n}B"  # pragma: no cover


def parse_cluster_info(raw: Any) -> dict[str, str]:
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    out: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip()] = value.strip()
    return out


# -- Sentinel -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentinelTopology:
    """What the Sentinels say about one master, for the connection pane."""

    master_name: str
    master: str | None = None  # "host:port"
    master_flags: tuple[str, ...] = ()
    replicas: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ("host:port", flags)
    sentinels: tuple[str, ...] = ()  # every Sentinel that answered or is known
    quorum: int | None = None
    failover_in_progress: bool = False
    error: str | None = None


def _fields(reply: Any) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in pairs(reply)}


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


async def sentinel_topology(manager: Sentinel, name: str) -> SentinelTopology:
    """Ask the Sentinels, in order, until one answers: the master, its replicas, the others.

    Never raises: an unreachable group comes back with ``error`` set.
    """
    import redis.exceptions as rex

    error = "no Sentinel configured"
    for index, sentinel in enumerate(manager.sentinels):
        try:
            pipe = sentinel.pipeline(transaction=False)
            pipe.execute_command("SENTINEL", "MASTER", name)
            pipe.execute_command("SENTINEL", "REPLICAS", name)
            pipe.execute_command("SENTINEL", "SENTINELS", name)
            # During a failover this names the promoted replica before SENTINEL MASTER does.
            pipe.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
            master_raw, replicas_raw, others_raw, address = await pipe.execute()
        except (rex.RedisError, OSError) as exc:
            error = f"Sentinel {index + 1}: {exc}"
            continue
        master = _fields(master_raw)
        flags = tuple(master.get("flags", "").split(","))
        me = sentinel.connection_pool.connection_kwargs
        known = [f"{me.get('host')}:{me.get('port')}"]
        for other in others_raw or []:
            fields = _fields(other)
            known.append(f"{fields.get('ip')}:{fields.get('port')}")
        return SentinelTopology(
            master_name=name,
            master=":".join(map(_text, address)) if address else None,
            master_flags=flags,
            replicas=tuple(
                (f"{f.get('ip')}:{f.get('port')}", tuple(f.get("flags", "").split(",")))
                for f in map(_fields, replicas_raw or [])
            ),
            sentinels=tuple(known),
            quorum=int(master["quorum"]) if master.get("quorum", "").isdigit() else None,
            failover_in_progress=any("failover" in f for f in flags),
        )
    return SentinelTopology(master_name=name, error=error)
