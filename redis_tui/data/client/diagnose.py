"""Why a connection fails, step by step: DNS, TCP, TLS, protocol, auth, mode and ACL."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket as socketlib
import ssl
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions as rex
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from redis_tui.data.client.open import open_client, tls_kwargs
from redis_tui.data.client.settings import Address, ConnectionSettings, format_address
from redis_tui.errors import translate

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
    try:
        return await awaitable
    except rex.ResponseError as exc:
        return exc


async def _probe_sentinel(settings: ConnectionSettings) -> Diagnosis:
    """Reach a Sentinel, ask it for the master, then probe the master itself."""
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
            **tls_kwargs(settings),
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
