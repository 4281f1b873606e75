"""Cluster routing for edits: every edit runs on the node that owns its key's slot.

``RedisCluster`` has no WATCH/MULTI of its own that we trust (redis-py 8.1 runs the watched
reads of its cluster transaction on a helper thread), so every edit runs on a plain
``redis.asyncio.Redis`` over the pool of the node that owns the key's slot (``node_client``).
A MOVED reply (the slot map was stale) refreshes the map and tries once more: safe, since a
redirected transaction never reaches EXEC, or is aborted by it. An ASK or TRYAGAIN (the slot is
being migrated) is an ``EditConflict``: nothing was saved, try again when it is over. A rename
or copy needs both names in one slot (``{tag}`` hash tags); across slots it is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import redis.asyncio as aioredis
import redis.exceptions as rex
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection, ConnectionPoolInterface

from redis_tui.data.edit.version import AnyClient
from redis_tui.data.values.display import escape_key
from redis_tui.errors import EditConflict

if TYPE_CHECKING:
    from redis_tui.data.edit.cmdlog import CommandLog

T = TypeVar("T")


class _NodePool(ConnectionPoolInterface):
    """One cluster node's own connections, as the pool of a plain ``redis.asyncio.Redis``.

    Connections come from and go back to the ``ClusterNode`` (so they carry the cluster
    client's auth, TLS and timeouts, and close with it); this pool owns nothing itself.
    The ``Any`` below are redis-py's own interface signatures.
    """

    def __init__(self, node: ClusterNode) -> None:
        self.node = node
        self.connection_kwargs = node.connection_kwargs

    def get_protocol(self) -> Any:
        return self.connection_kwargs.get("protocol")

    def reset(self) -> None:
        pass

    async def get_connection(
        self, command_name: str | None = None, *keys: Any, **options: Any
    ) -> AbstractConnection:
        connection = self.node.acquire_connection()
        try:
            await connection.connect()
        except BaseException:
            await connection.disconnect()
            self.node.release(connection)
            raise
        return connection

    def get_encoder(self) -> Any:
        return self.node.get_encoder()

    async def release(self, connection: AbstractConnection) -> None:
        await self.node.disconnect_if_needed(connection)  # type: ignore[arg-type]
        self.node.release(connection)  # type: ignore[arg-type]

    async def disconnect(self, inuse_connections: bool = True) -> None:
        pass  # the cluster client closes its nodes

    async def aclose(self) -> None:
        pass

    def set_retry(self, retry: Any) -> None:
        pass

    async def re_auth_callback(self, token: Any) -> None:
        pass

    def get_connection_count(self) -> list[tuple[int, dict[str, Any]]]:
        return []


def node_client(node: ClusterNode) -> aioredis.Redis:
    """A plain client for one cluster node, over that node's pooled connections: WATCH,
    MULTI/EXEC and pipelines behave as on a standalone server. Nothing to close."""
    # redis-py annotates ``connection_pool`` as its concrete class; the interface is enough.
    return aioredis.Redis(connection_pool=_NodePool(node))  # type: ignore[arg-type]


async def on_owner(
    client: AnyClient,
    log: CommandLog | None,
    op: str,
    key: bytes,
    run: Callable[[aioredis.Redis], Awaitable[T]],
) -> T:
    """``run(conn)`` where ``conn`` reaches the node owning ``key``: the client itself when
    it is not a cluster. A refusal is logged in ``log`` as ``op``, not sent.

    A MOVED refreshes the slot map and runs again, once; ``run`` must send no write before
    its EXEC (a redirected transaction never applies). ASK, TRYAGAIN: the slot is migrating.

    Raises:
        EditConflict: the slot is being migrated, or moved twice.
    """
    if not isinstance(client, RedisCluster):
        return await run(client)
    await client.initialize()
    for attempt in range(2):
        node = client.nodes_manager.get_node_from_slot(client.keyslot(key))
        try:
            return await run(node_client(node))
        except rex.MovedError:
            if attempt:
                break
            await client.nodes_manager.initialize()
        except (rex.AskError, rex.TryAgainError):
            break
    slot = client.keyslot(key)
    if log is not None:
        log.append((), f"not sent: slot {slot} is migrating", ok=False, op=op)
    raise EditConflict(
        f"{escape_key(key)} is moving to another node (slot {slot} is being migrated): "
        "nothing was saved; try again in a moment",
        current="slot migrating",
        key=key,
    )
