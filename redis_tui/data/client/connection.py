"""Connection settings and the redis.asyncio client built from them.

One seam for every way to reach Redis: TCP, unix socket, TLS and mutual TLS, ACL users,
a Sentinel-managed master and a Cluster (``RedisCluster``). ``diagnose`` explains, step by
step, why a connection fails.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ssl
from dataclasses import dataclass, field
from typing import Any, TypeAlias
from urllib.parse import parse_qs, unquote, urlparse

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff, NoBackoff

DEFAULT_PORT = 6379
DEFAULT_SENTINEL_PORT = 26379

# A standalone or Sentinel-managed master is an ``aioredis.Redis``; a cluster is a
# ``RedisCluster``, which routes single-key commands by slot and follows MOVED/ASK.
Client: TypeAlias = aioredis.Redis | RedisCluster
Address: TypeAlias = tuple[str, int]


@dataclass(frozen=True)
class ConnectionSettings:
    """Where Redis is and how to talk to it. Secrets live here only in memory."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    socket: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    db: int = 0
    tls: bool = False
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    tls_verify: bool = True
    server_name: str | None = None
    readonly: bool = False
    connect_timeout: float = 5.0
    command_timeout: float = 10.0
    # Sentinel: ask ``sentinels`` where the master named ``sentinel_master`` is.
    sentinel_master: str | None = None
    sentinels: tuple[Address, ...] = ()
    sentinel_password: str | None = field(default=None, repr=False)
    # Cluster: forced by ``cluster`` (redis-cli's -c) or detected at connect time.
    cluster: bool = False
    cluster_nodes: tuple[Address, ...] = ()
    # Announced "host:port" -> reachable "host:port", for clusters behind NAT or port forwards.
    host_map: tuple[tuple[str, str], ...] = ()

    @property
    def is_sentinel(self) -> bool:
        return bool(self.sentinel_master)

    def seeds(self) -> tuple[Address, ...]:
        """The cluster nodes to start from: ``cluster_nodes``, else host and port."""
        return self.cluster_nodes or ((self.host, self.port),)

    def describe(self) -> str:
        """Where we connect, for humans: ``rediss://127.0.0.1:6380`` or ``unix:/tmp/r.sock``."""
        if self.socket:
            return f"unix:{self.socket}"
        scheme = "rediss" if self.tls else "redis"
        if self.is_sentinel:
            hosts = ",".join(format_address(a) for a in self.sentinels)
            return f"{scheme}+sentinel://{hosts}/{self.sentinel_master}"
        if self.cluster:
            return f"{scheme}://{format_address(self.seeds()[0])} (cluster)"
        return f"{scheme}://{format_address((self.host, self.port))}"

    def remap(self, host: str, port: int) -> Address:
        """Apply ``host_map`` to an address a cluster node announced."""
        announced = format_address((host, port))
        for source, target in self.host_map:
            if source == announced:
                return parse_address(target)
        return host, port

    def replace(self, **changes: Any) -> ConnectionSettings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> ConnectionSettings:
        """Parse ``redis://[user[:pass]@]host[:port][/db]``, ``rediss://…``, ``unix:///path?db=N``.

        Raises:
            ValueError: the URL is not one of those forms.
        """
        if url.startswith(("redis+sentinel://", "rediss+sentinel://")):
            return cls._from_sentinel_url(url, overrides)
        parsed = urlparse(url)
        values: dict[str, Any] = {}
        query = parse_qs(parsed.query)
        if parsed.scheme in ("redis", "rediss"):
            values["tls"] = parsed.scheme == "rediss"
            values["host"] = parsed.hostname or "127.0.0.1"
            try:
                values["port"] = parsed.port or DEFAULT_PORT
            except ValueError as exc:
                raise ValueError(f"bad port in URL {url!r}") from exc
            path = parsed.path.strip("/")
            if path:
                if not path.isdigit():
                    raise ValueError(f"bad database number in URL: {path!r}")
                values["db"] = int(path)
        elif parsed.scheme == "unix":
            if not parsed.path:
                raise ValueError(f"no socket path in URL {url!r}")
            values["socket"] = unquote(parsed.path)
        else:
            raise ValueError(
                f"unsupported URL scheme {parsed.scheme!r} "
                "(use redis://, rediss://, unix:// or redis+sentinel://)"
            )
        if parsed.username:
            values["username"] = unquote(parsed.username)
        if parsed.password:
            values["password"] = unquote(parsed.password)
        if "db" in query:
            values["db"] = int(query["db"][0])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def _from_sentinel_url(cls, url: str, overrides: dict[str, Any]) -> ConnectionSettings:
        """``redis+sentinel://[[user]:pass@]host:port[,host2:port2]/mastername[/db]``.

        The user and password are the master's; ``?sentinel_password=`` is the Sentinels'.
        """
        scheme, _, rest = url.partition("://")
        rest, _, query_text = rest.partition("?")
        netloc, _, path = rest.partition("/")
        userinfo, at, hosts = netloc.rpartition("@")
        if not at:
            hosts, userinfo = netloc, ""
        values: dict[str, Any] = {"tls": scheme.startswith("rediss")}
        if userinfo:
            user, _, password = userinfo.partition(":")
            if user:
                values["username"] = unquote(user)
            if password:
                values["password"] = unquote(password)
        try:
            values["sentinels"] = tuple(
                parse_address(h, DEFAULT_SENTINEL_PORT) for h in hosts.split(",") if h
            )
        except ValueError as exc:
            raise ValueError(f"bad Sentinel address in URL: {exc}") from exc
        if not values["sentinels"]:
            raise ValueError(f"no Sentinel address in URL {url!r}")
        parts = [unquote(p) for p in path.split("/") if p]
        if not parts:
            raise ValueError(f"no master name in URL {url!r} (…/mastername[/db])")
        values["sentinel_master"] = parts[0]
        if len(parts) > 1:
            if not parts[1].isdigit() or len(parts) > 2:
                raise ValueError(f"bad database number in URL: {'/'.join(parts[1:])!r}")
            values["db"] = int(parts[1])
        query = parse_qs(query_text)
        if "sentinel_password" in query:
            values["sentinel_password"] = query["sentinel_password"][0]
        if "db" in query:
            values["db"] = int(query["db"][0])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def format_address(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> Address:
    """``host:port``, ``[v6]:port`` or ``host`` (default port).

    Raises:
        ValueError: the port is not a number in 1..65535.
    """
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise ValueError(f"no host in {text!r}")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad port in {text!r}")
    return host, int(port_text)


def _tls_kwargs(settings: ConnectionSettings) -> dict[str, Any]:
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
    common.update(_tls_kwargs(settings))
    return aioredis.Redis(host=settings.host, port=settings.port, **common)


def _open_sentinel_master(settings: ConnectionSettings) -> aioredis.Redis:
    timeouts = {
        "socket_connect_timeout": settings.connect_timeout,
        "socket_timeout": settings.command_timeout,
    }
    sentinel_kwargs: dict[str, Any] = {
        **timeouts,
        "password": settings.sentinel_password,
        "retry": Retry(NoBackoff(), 0),
        "protocol": 2,
        **_tls_kwargs(settings),
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
        **_tls_kwargs(settings),
    }
    master: aioredis.Redis = manager.master_for(settings.sentinel_master or "", **master_kwargs)
    return master


def sentinel_manager(client: Client) -> Sentinel | None:
    """The Sentinel manager behind a client from ``open_client``, if it is Sentinel-managed."""
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
    release = getattr(ClusterNode, "release", None)
    if release is None or getattr(release, "_redis_tui_lifo", False):
        return

    def release_lifo(node: ClusterNode, connection: Any) -> None:
        free = getattr(node, "_free", None)
        if free is None or connection.should_reconnect():
            release(node, connection)
        else:
            free.appendleft(connection)

    release_lifo._redis_tui_lifo = True  # type: ignore[attr-defined]
    ClusterNode.release = release_lifo  # type: ignore[method-assign,assignment]


def _open_cluster(settings: ConnectionSettings) -> RedisCluster:
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
        **_tls_kwargs(settings),
    )


# -- diagnosis ------------------------------------------------------------------------------

# What each command the app uses is for, to say what is lost when the ACL forbids it.
_PROBED_COMMANDS: tuple[tuple[str, tuple[Any, ...], str], ...] = (
    ("SCAN", ("SCAN", 0, "COUNT", 1), "the key list"),
    ("TYPE", ("TYPE", "redis-tui:probe"), "key types (inferred instead)"),
    ("PTTL", ("PTTL", "redis-tui:probe"), "TTLs"),
    ("INFO", ("INFO", "server"), "server facts"),
    ("DBSIZE", ("DBSIZE",), "the key count"),
    ("MEMORY", ("MEMORY", "USAGE", "redis-tui:probe"), "memory sizes"),
    ("OBJECT", ("OBJECT", "ENCODING", "redis-tui:probe"), "encodings"),
    ("CONFIG", ("CONFIG", "GET", "maxmemory"), "server settings"),
)


@dataclass(frozen=True)
class Diagnosis:
    """The outcome of ``probe``: ``stage`` names the step that failed (``dns``, ``connect``,
    ``tls``, ``auth``, ``mode``, ``sentinel``, ``permission``) or ``ok``; ``message`` is one
    line for the user."""

    ok: bool
    stage: str
    message: str
    forbidden: tuple[str, ...] = ()


async def diagnose(settings: ConnectionSettings) -> str:
    """Explain in one line whether ``settings`` work and, if not, exactly what failed:
    DNS, connection refused or unanswered, TLS handshake (wrong CA, expired certificate,
    host name, client certificate), authentication, ACL permissions, or the wrong mode
    (cluster vs standalone, Sentinel vs data server). Never raises. See ``probe``."""
    return (await probe(settings)).message


async def probe(settings: ConnectionSettings) -> Diagnosis:
    """Check ``settings`` step by step (network, TLS, protocol, auth, mode, ACL)."""
    from redis_tui.errors import translate

    try:
        if settings.is_sentinel:
            return await _probe_sentinel(settings)
        targets = [None] if settings.socket else list(settings.seeds())
        if settings.cluster and not settings.socket:
            targets = [settings.remap(*t) for t in settings.seeds()]
        failure: Diagnosis | None = None
        for target in targets:
            failure = await _probe_link(settings, target)
            if failure is None:
                if target is not None and not settings.cluster:
                    settings = settings.replace(host=target[0], port=target[1])
                return await _probe_server(settings, target)
        assert failure is not None
        return failure
    except Exception as exc:
        return Diagnosis(False, "error", translate(exc, settings.describe()).message)


async def _probe_link(settings: ConnectionSettings, target: Address | None) -> Diagnosis | None:
    """DNS, TCP (or unix socket) and TLS; then one PING to see the server answers at all."""
    import asyncio
    import os
    import socket as socketlib

    timeout = settings.connect_timeout
    if target is None:
        path = settings.socket or ""
        if not os.path.exists(path):
            return Diagnosis(False, "connect", f"No unix socket at {path}")
        opener: Any = asyncio.open_unix_connection(path)
        where = f"unix:{path}"
    else:
        host, port = target
        where = format_address(target)
        try:
            await asyncio.get_running_loop().getaddrinfo(host, port, type=socketlib.SOCK_STREAM)
        except socketlib.gaierror as exc:
            return Diagnosis(False, "dns", f"DNS: cannot resolve host {host!r} ({exc.strerror})")
        opener = None
    context: ssl.SSLContext | None = None
    if settings.tls and target is not None:
        try:
            context = _ssl_context(settings)
        except (OSError, ssl.SSLError) as exc:
            return Diagnosis(False, "tls", f"TLS: cannot load the certificate files: {exc}")
    # Plain TCP first, so that a refused or unanswered port is not blamed on TLS.
    phases: list[ssl.SSLContext | None] = [None] if context is None else [None, context]
    for phase in phases:
        try:
            if opener is None:
                assert target is not None
                server_hostname = (settings.server_name or target[0]) if phase else None
                opener = asyncio.open_connection(
                    target[0], target[1], ssl=phase, server_hostname=server_hostname
                )
            reader, writer = await asyncio.wait_for(opener, timeout)
        except ssl.SSLCertVerificationError as exc:
            return Diagnosis(
                False, "tls", f"TLS handshake with {where} failed: {_cert_reason(exc)}"
            )
        except ssl.SSLError as exc:
            return Diagnosis(False, "tls", f"TLS handshake with {where} failed: {_tls_reason(exc)}")
        except ConnectionRefusedError:
            return Diagnosis(
                False,
                "connect",
                f"Connection refused by {where}: nothing listens there (wrong port, or the "
                "server is down)",
            )
        except PermissionError:
            return Diagnosis(False, "connect", f"Permission denied opening {where}")
        except TimeoutError:
            if phase is not None:
                return Diagnosis(
                    False,
                    "tls",
                    f"TLS handshake with {where} got no answer: the server does not speak "
                    "TLS on this port (drop --tls?)",
                )
            return Diagnosis(
                False,
                "connect",
                f"No answer from {where} within {timeout:g}s (a firewall, or the wrong host)",
            )
        except OSError as exc:
            return Diagnosis(False, "connect", f"Cannot connect to {where}: {exc.strerror or exc}")
        opener = None
        if phase is None and context is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
    try:
        writer.write(b"PING\r\n")
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(64), settings.command_timeout)
    except ssl.SSLError as exc:
        return Diagnosis(False, "tls", f"TLS with {where} failed: {_tls_reason(exc)}")
    except (OSError, TimeoutError) as exc:
        reply = b""
        if isinstance(exc, TimeoutError):
            return Diagnosis(
                False, "connect", f"{where} accepted the connection but never answered"
            )
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    if not reply and settings.tls and not settings.cert:
        return Diagnosis(
            False,
            "tls",
            f"{where} closed the TLS connection at once: it probably requires a client "
            "certificate (mutual TLS: give --cert and --key)",
        )
    if not reply:
        hint = " Is it a TLS port? (use --tls)" if not settings.tls else ""
        return Diagnosis(False, "connect", f"{where} closed the connection at once.{hint}")
    if not reply.startswith((b"+", b"-")):
        return Diagnosis(False, "connect", f"{where} does not speak the Redis protocol")
    return None


def _ssl_context(settings: ConnectionSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.cacert)
    context.check_hostname = settings.tls_verify
    context.verify_mode = ssl.CERT_REQUIRED if settings.tls_verify else ssl.CERT_NONE
    if settings.cert:
        context.load_cert_chain(settings.cert, settings.key)
    return context


def _cert_reason(exc: ssl.SSLCertVerificationError) -> str:
    code = exc.verify_code
    if code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
        return "the server's certificate has expired"
    if code == 9:  # X509_V_ERR_CERT_NOT_YET_VALID
        return "the server's certificate is not valid yet (check the clocks)"
    if code in (2, 18, 19, 20, 21):
        return (
            "the server's certificate is not signed by a trusted CA "
            "(wrong CA file? give the right one with --cacert)"
        )
    if code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
        return "the server's certificate is for another host name (set the server name)"
    return str(exc.verify_message or exc)


def _tls_reason(exc: ssl.SSLError) -> str:
    text = str(exc).lower()
    if "certificate required" in text or "peer did not return a certificate" in text:
        return "the server requires a client certificate (mutual TLS: give --cert and --key)"
    if "unknown ca" in text or "bad certificate" in text or "certificate unknown" in text:
        return "the server rejected our client certificate"
    if "wrong version number" in text or "record layer failure" in text or "packet length" in text:
        return "the server does not speak TLS on this port (drop --tls?)"
    return str(exc)


async def _probe_server(settings: ConnectionSettings, target: Address | None) -> Diagnosis:
    """Auth, mode (Sentinel / cluster / standalone) and ACL, with a plain client."""
    import redis.exceptions as rex

    from redis_tui.errors import translate

    plain = settings.replace(cluster=False, cluster_nodes=(), sentinel_master=None)
    if target is not None:
        plain = plain.replace(host=target[0], port=target[1])
    client = open_client(plain)
    where = plain.describe()
    try:
        try:
            await client.ping()
            whoami = await _maybe(client.execute_command("ACL", "WHOAMI"))
        except Exception as exc:
            err = translate(exc, where)
            stage = "auth" if type(err).__name__ == "AuthFailed" else "connect"
            if "SELECT is not allowed in cluster mode" in str(exc):
                return Diagnosis(
                    False, "mode", f"{where} is a cluster node: clusters have database 0 only"
                )
            return Diagnosis(False, stage, err.message)
        info = await _maybe(client.execute_command("INFO", "server"))
        cluster_info = await _maybe(client.execute_command("INFO", "cluster"))
        mode = info.get("redis_mode") if isinstance(info, dict) else None
        if mode == "sentinel":
            return Diagnosis(
                False,
                "mode",
                f"{where} is a Sentinel, not a data server: give it as --sentinel with "
                "--sentinel-master NAME",
            )
        enabled = isinstance(cluster_info, dict) and str(cluster_info.get("cluster_enabled")) == "1"
        if settings.cluster and isinstance(cluster_info, dict) and not enabled:
            return Diagnosis(
                False,
                "mode",
                f"{where} is not a cluster node (cluster_enabled:0): connect without -c",
            )
        forbidden: list[str] = []
        lost: list[str] = []
        for name, command, purpose in _PROBED_COMMANDS:
            reply = await _maybe(client.execute_command(*command))
            if isinstance(reply, rex.NoPermissionError) or "NOPERM" in str(reply):
                forbidden.append(name)
                lost.append(purpose)
        user = whoami.decode() if isinstance(whoami, bytes) else (settings.username or "default")
        if isinstance(info, dict):
            product = "valkey" if info.get("valkey_version") else "redis"
            version = info.get("valkey_version") or info.get("redis_version")
            server = f"{product} {version}, {'cluster' if enabled else mode or 'standalone'}"
        else:
            server = "cluster" if enabled else "server"
        if "SCAN" in forbidden:
            return Diagnosis(
                False,
                "permission",
                f"Connected to {server} as {user}, but the ACL forbids SCAN: the key list "
                "cannot work",
                tuple(forbidden),
            )
        message = f"OK: {server} at {where} as user {user}"
        if enabled and not settings.cluster:
            message += " (a cluster node: cluster mode will be used)"
        if forbidden:
            return Diagnosis(
                True,
                "permission",
                f"{message}; the ACL forbids {', '.join(forbidden)}: no {', '.join(lost)}",
                tuple(forbidden),
            )
        return Diagnosis(True, "ok", message)
    finally:
        with contextlib.suppress(Exception):
            await client.aclose()


async def _maybe(awaitable: Any) -> Any:
    """The reply, or the server's error for this one command (connection errors raise)."""
    import redis.exceptions as rex

    try:
        return await awaitable
    except rex.ResponseError as exc:
        return exc


async def _probe_sentinel(settings: ConnectionSettings) -> Diagnosis:
    """Reach a Sentinel, ask it for the master, then probe the master itself."""
    import redis.exceptions as rex

    from redis_tui.errors import translate

    failure: Diagnosis | None = None
    for address in settings.sentinels:
        failure = await _probe_link(settings, address)
        if failure is not None:
            failure = dataclasses.replace(
                failure, stage="sentinel", message=f"Sentinel: {failure.message}"
            )
            continue
        client = aioredis.Redis(
            host=address[0],
            port=address[1],
            password=settings.sentinel_password,
            socket_connect_timeout=settings.connect_timeout,
            socket_timeout=settings.command_timeout,
            retry=Retry(NoBackoff(), 0),
            protocol=2,
            **_tls_kwargs(settings),
        )
        where = f"Sentinel {format_address(address)}"
        try:
            reply = await client.execute_command(
                "SENTINEL", "GET-MASTER-ADDR-BY-NAME", settings.sentinel_master
            )
        except rex.ResponseError as exc:
            text = str(exc)
            if "unknown command" in text.lower():
                failure = Diagnosis(
                    False, "mode", f"{where} is not a Sentinel: connect to it without --sentinel"
                )
            else:
                failure = Diagnosis(False, "sentinel", translate(exc, where).message)
            continue
        except Exception as exc:
            failure = Diagnosis(False, "sentinel", translate(exc, where).message)
            continue
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()
        if not reply:
            return Diagnosis(
                False, "sentinel", f"{where} knows no master named {settings.sentinel_master!r}"
            )
        host = reply[0].decode() if isinstance(reply[0], bytes) else str(reply[0])
        master = settings.replace(sentinel_master=None, sentinels=(), host=host, port=int(reply[1]))
        found = await probe(master)
        named = f"{where} names master {format_address((host, int(reply[1])))}"
        message = f"{found.message} ({named})" if found.ok else f"{named}; {found.message}"
        return dataclasses.replace(found, message=message)
    assert failure is not None
    return failure
