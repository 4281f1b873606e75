"""The redis.asyncio client built from ConnectionSettings.

One seam for every way to reach Redis: TCP, unix socket, TLS and mutual TLS, ACL users,
a Sentinel-managed master and a Cluster (``RedisCluster``).
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any, TypeAlias

from redis_tui.data.client.settings import Address, ConnectionSettings

# redis-py is imported where a client is built, not with this module: the app imports the
# worker (and so this) before its first frame, which needs no client yet (~50 ms).
if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from redis.asyncio.cluster import RedisCluster
    from redis.asyncio.sentinel import Sentinel

# A standalone or Sentinel-managed master is an ``aioredis.Redis``; a cluster is a
# ``RedisCluster``, which routes single-key commands by slot and follows MOVED/ASK.
Client: TypeAlias = "aioredis.Redis | RedisCluster"


def tls_kwargs(settings: ConnectionSettings) -> dict[str, Any]:
    """redis-py's TLS keyword arguments for ``settings`` (none without TLS)."""
    if not settings.tls:
        return {}
    return {
        "ssl": True,
        "ssl_ca_certs": settings.cacert,
        "ssl_certfile": settings.cert,
        "ssl_keyfile": settings.key,
        "ssl_cert_reqs": ssl.CERT_REQUIRED if settings.tls_verify else ssl.CERT_NONE,
        "ssl_check_hostname": settings.tls_verify and settings.server_name is None,
    }


def open_client(settings: ConnectionSettings) -> Client:
    """Build (not connect) a redis.asyncio client. Connections open lazily on first command.

    Keys and values stay bytes (``decode_responses=False``). redis-py's own retries are off:
    the background worker owns reconnection and backoff, so a failure surfaces at once.

    Returns:
        A ``RedisCluster`` when ``settings.cluster``; a client of the master that the
        Sentinels name when ``settings.sentinel_master`` (each new connection asks them
        again, so a failover is followed on reconnect); else a plain ``Redis``.
    """
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    if settings.cluster and not settings.socket:
        return _open_cluster(settings)
    if settings.is_sentinel:
        return _open_sentinel_master(settings)
    common: dict[str, Any] = {
        "db": settings.db,
        "username": settings.username,
        "password": settings.password,
        "socket_connect_timeout": settings.connect_timeout,
        "socket_timeout": settings.command_timeout,
        "decode_responses": False,
        "retry": Retry(NoBackoff(), 0),
        "client_name": "redis-tui",
        "protocol": 2,
    }
    if settings.socket:
        return aioredis.Redis(unix_socket_path=settings.socket, **common)
    common.update(tls_kwargs(settings))
    return aioredis.Redis(host=settings.host, port=settings.port, **common)


def _open_sentinel_master(settings: ConnectionSettings) -> aioredis.Redis:
    from redis.asyncio.retry import Retry
    from redis.asyncio.sentinel import Sentinel
    from redis.backoff import NoBackoff

    timeouts = {
        "socket_connect_timeout": settings.connect_timeout,
        "socket_timeout": settings.command_timeout,
    }
    sentinel_kwargs: dict[str, Any] = {
        **timeouts,
        "password": settings.sentinel_password,
        "retry": Retry(NoBackoff(), 0),
        "protocol": 2,
        **tls_kwargs(settings),
    }
    manager = Sentinel(list(settings.sentinels), sentinel_kwargs=sentinel_kwargs)
    master_kwargs: dict[str, Any] = {
        **timeouts,
        "db": settings.db,
        "username": settings.username,
        "password": settings.password,
        "decode_responses": False,
        "retry": Retry(NoBackoff(), 0),
        "client_name": "redis-tui",
        "protocol": 2,
        **tls_kwargs(settings),
    }
    master: aioredis.Redis = manager.master_for(settings.sentinel_master or "", **master_kwargs)
    return master


def sentinel_manager(client: Client) -> Sentinel | None:
    """The Sentinel manager behind a client from ``open_client``, if it is Sentinel-managed."""
    from redis.asyncio.cluster import RedisCluster
    from redis.asyncio.sentinel import Sentinel

    if isinstance(client, RedisCluster):
        return None
    manager = getattr(client.connection_pool, "sentinel_manager", None)
    return manager if isinstance(manager, Sentinel) else None


def _reuse_last_connection_first() -> None:
    """Make redis-py's cluster nodes hand out their most recently used connection first.

    On an ASK redirect redis-py sends ``ASKING`` and then the command as two pooled calls;
    with a first-in-first-out pool and two idle connections they go out on different
    connections, the target answers MOVED, and the command ping-pongs until "TTL
    exhausted" (a read during a slot migration fails). Last-in-first-out keeps them on one
    connection. Applied once, only where the pool looks as expected.
    """
    from redis.asyncio.cluster import ClusterNode

    release = getattr(ClusterNode, "release", None)
    if release is None or getattr(release, "_redis_tui_lifo", False):
        return

    def release_lifo(node: Any, connection: Any) -> None:
        free = getattr(node, "_free", None)
        if free is None or connection.should_reconnect():
            release(node, connection)
        else:
            free.appendleft(connection)

    release_lifo._redis_tui_lifo = True  # type: ignore[attr-defined]
    ClusterNode.release = release_lifo  # type: ignore[method-assign,assignment]


def _open_cluster(settings: ConnectionSettings) -> RedisCluster:
    from redis.asyncio.cluster import ClusterNode, RedisCluster
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff

    _reuse_last_connection_first()
    remap = None
    if settings.host_map:

        def remap(address: Address) -> Address:
            return settings.remap(*address)

    startup = [ClusterNode(*settings.remap(host, port)) for host, port in settings.seeds()]
    return RedisCluster(
        startup_nodes=startup,
        username=settings.username,
        password=settings.password,
        socket_connect_timeout=settings.connect_timeout,
        socket_timeout=settings.command_timeout,
        decode_responses=False,
        # One quick retry lets redis-py refresh the slot map after a failover;
        # MOVED and ASK are followed whatever this says.
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 1),
        client_name="redis-tui",
        protocol=2,
        address_remap=remap,
        **tls_kwargs(settings),
    )
