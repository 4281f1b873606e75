"""Connection settings: where Redis is and how to talk to it, parsed from URLs and addresses.

No redis-py here: ``open.py`` builds the client from these settings, ``diagnose.py`` explains
why they fail, and ``redis_tui.config`` stores them in profiles.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeAlias
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_PORT = 6379
DEFAULT_SENTINEL_PORT = 26379

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
