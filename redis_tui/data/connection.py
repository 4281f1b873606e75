"""Connection settings and the redis.asyncio client built from them."""

from __future__ import annotations

import dataclasses
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

DEFAULT_PORT = 6379


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

    def describe(self) -> str:
        """Where we connect, for humans: ``rediss://127.0.0.1:6380`` or ``unix:/tmp/r.sock``."""
        if self.socket:
            return f"unix:{self.socket}"
        scheme = "rediss" if self.tls else "redis"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def replace(self, **changes: Any) -> ConnectionSettings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> ConnectionSettings:
        """Parse ``redis://[user[:pass]@]host[:port][/db]``, ``rediss://…``, ``unix:///path?db=N``.

        Raises:
            ValueError: the URL is not one of those forms.
        """
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
                f"unsupported URL scheme {parsed.scheme!r} (use redis://, rediss://, unix://)"
            )
        if parsed.username:
            values["username"] = unquote(parsed.username)
        if parsed.password:
            values["password"] = unquote(parsed.password)
        if "db" in query:
            values["db"] = int(query["db"][0])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def open_client(settings: ConnectionSettings) -> aioredis.Redis:
    """Build (not connect) a redis.asyncio client. Connections open lazily on first command.

    Keys and values stay bytes (``decode_responses=False``). redis-py's own retries are off:
    the background worker owns reconnection and backoff, so a failure surfaces at once.
    """
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
    if settings.tls:
        common.update(
            ssl=True,
            ssl_ca_certs=settings.cacert,
            ssl_certfile=settings.cert,
            ssl_keyfile=settings.key,
            ssl_cert_reqs=ssl.CERT_REQUIRED if settings.tls_verify else ssl.CERT_NONE,
            ssl_check_hostname=settings.tls_verify and settings.server_name is None,
        )
    return aioredis.Redis(host=settings.host, port=settings.port, **common)
