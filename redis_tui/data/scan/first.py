"""The start-up check and the key list's first SCAN page, in one round trip on a raw socket.

Before the UI is imported, ``redis-tui`` checks that the server can be used, so that a bad host
or password is one line and exit code 2. On a plain server (TCP or unix socket, no TLS, no
Cluster, no Sentinel) this module does it with the standard library and hiredis: the
handshake, ``PING`` and ``SCAN 0`` go out in one write, and the page comes back while the UI
is still loading. The worker shows it as the scan's first page, so the first frame can have key
rows in it, and the scan goes on from its cursor.

``None`` means "not checked here": not a plain server, or any refusal or failure other than a
timeout. The caller then makes the full check (``Gateway.connect``), which says what is wrong in
the words the app uses everywhere else.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from redis_tui.data.client.resp import encode_command, handshake
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.pacing import START_COUNT
from redis_tui.errors import translate

try:
    import hiredis
except ImportError:  # pragma: no cover - hiredis is a dependency
    hiredis = None  # type: ignore[assignment]

CLIENT_NAME = b"redis-tui"
READ_CHUNK = 1 << 16


@dataclass(frozen=True)
class FirstPage:
    """The reply to ``SCAN 0 COUNT START_COUNT`` (no MATCH, no TYPE)."""

    cursor: int
    keys: list[bytes]


def first_page(settings: ConnectionSettings) -> FirstPage | None:
    """Connect, authenticate, select the db, ``PING`` and read the first SCAN page.

    Returns:
        The page, or None when this check does not apply or the server refused something
        (the full check then reports it).

    Raises:
        ServerTimeout: no connection or no answer in the settings' time (asking again would
            only double the wait).
    """
    s = settings
    if hiredis is None or s.tls or s.is_sentinel or s.cluster or s.cluster_nodes:
        return None
    commands = [
        *handshake(s.username, s.password, s.db, CLIENT_NAME),
        encode_command(b"PING"),
        encode_command(b"SCAN", b"0", b"COUNT", b"%d" % START_COUNT),
    ]
    try:
        with _connect(s) as sock:
            sock.sendall(b"".join(commands))
            replies = _read_replies(sock, len(commands))
    except TimeoutError as exc:
        raise translate(exc, s.describe()) from exc
    except OSError:
        return None
    # The handshake's last command (CLIENT SETNAME) is cosmetic: an ACL may refuse it.
    *hello, _name, pong, scan = replies
    if any(isinstance(r, Exception) for r in hello) or pong != b"PONG":
        return None
    if not (isinstance(scan, list) and len(scan) == 2 and isinstance(scan[1], list)):
        return None
    return FirstPage(int(scan[0]), scan[1])


def _connect(s: ConnectionSettings) -> socket.socket:
    if s.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(s.connect_timeout)
        try:
            sock.connect(s.socket)
        except BaseException:
            sock.close()
            raise
    else:
        sock = socket.create_connection((s.host, s.port), timeout=s.connect_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(s.command_timeout)
    return sock


def _read_replies(sock: socket.socket, count: int) -> list[Any]:
    """``count`` whole replies; error replies come back as exception instances."""
    reader = hiredis.Reader()
    replies: list[Any] = []
    while len(replies) < count:
        reply = reader.gets()
        if reply is False:
            data = sock.recv(READ_CHUNK)
            if not data:
                raise ConnectionError("the server closed the connection")
            reader.feed(data)
            continue
        replies.append(reply)
    return replies
