"""The names-only SCAN loop, run as a process of its own: ``python -m redis_tui.data.scan.child``.

Why a process: in the app, a SCAN reply waits for the UI's event loop (repainting, parsing the
TYPE/PTTL of earlier pages) before the next SCAN can go out, so names arrive at a fraction of
what the server can give. Here the loop runs back to back on the other CPU, paced as in the app
(``pacing.Pacer``: one call stays near 1 ms of server time), and the app only parses the
replies, in C, whenever its loop gets to them. See ``scanproc`` for the app's side.

Protocol:
    stdin: one JSON line, the connection (the password never goes into argv or the
        environment), database, cursor, MATCH and TYPE.
    stdout: the server's reply to each SCAN, byte for byte (RESP), in order. An error reply
        is passed on like any other and ends the run.
    exit: 0 after the reply whose cursor is 0, or after an error reply; 2 with one line on
        stderr when the connection or the handshake fails.

Standard library and hiredis only, so it starts in well under 0.1 s.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import sys
import time
from typing import Any

import hiredis

from redis_tui.data.client.resp import die_with_parent, encode_command, handshake, ssl_context
from redis_tui.data.scan.pacing import Pacer

READ_CHUNK = 1 << 18
CLIENT_NAME = b"redis-tui-scan"
# Every this many SCANs, INFO commandstats says what they cost the server (``Pacer``).
SERVER_LOOK_EVERY = 50
_SCAN_STATS = re.compile(rb"cmdstat_scan:calls=(\d+),usec=(\d+)")


def _connect(config: dict[str, Any]) -> socket.socket | ssl.SSLSocket:
    timeout = float(config["connect_timeout"])
    if config.get("socket"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(config["socket"])
    else:
        sock = socket.create_connection((config["host"], int(config["port"])), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tls = config.get("tls")
    if tls:
        context = ssl_context(
            tls.get("cacert"), tls.get("cert"), tls.get("key"), bool(tls["verify"]),
            tls.get("server_name"),
        )  # fmt: skip
        sock = context.wrap_socket(sock, server_hostname=tls.get("server_name") or config["host"])
    sock.settimeout(float(config["command_timeout"]))
    return sock


def _read_reply(sock: socket.socket, reader: Any, chunks: list[bytes] | None) -> Any:
    """The next whole reply; the bytes it came in are appended to ``chunks``."""
    reply = reader.gets()
    while reply is False:
        data = sock.recv(READ_CHUNK)
        if not data:
            raise ConnectionError("the server closed the connection")
        if chunks is not None:
            chunks.append(data)
        reader.feed(data)
        reply = reader.gets()
    return reply


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def run(config: dict[str, Any], out: int) -> None:
    sock = _connect(config)
    reader = hiredis.Reader()
    hello = handshake(
        config.get("username"), config.get("password"), int(config.get("db") or 0), CLIENT_NAME
    )
    sock.sendall(b"".join(hello))
    for n in range(len(hello)):
        reply = _read_reply(sock, reader, None)
        # CLIENT SETNAME is cosmetic (an ACL may forbid it); AUTH and SELECT are not.
        if isinstance(reply, hiredis.ReplyError) and n < len(hello) - 1:
            raise ConnectionError(str(reply))
    tail: list[bytes] = []
    if config.get("match_hex") is not None:
        tail += [b"MATCH", bytes.fromhex(config["match_hex"])]
    type_name = config.get("type")
    pacer = Pacer()
    cursor = str(int(config.get("cursor") or 0)).encode()
    server = _ServerTime(sock, reader)
    calls = 0
    while True:
        args = [b"SCAN", cursor, *tail, b"COUNT", b"%d" % pacer.count]
        if type_name:
            args += [b"TYPE", type_name.encode()]
        command = encode_command(*args)
        chunks: list[bytes] = []
        started = time.perf_counter()
        sock.sendall(command)
        reply = _read_reply(sock, reader, chunks)
        pacer.observe(time.perf_counter() - started)
        # Blocks while the app is behind: the pipe is the back pressure.
        _write_all(out, b"".join(chunks))
        if isinstance(reply, hiredis.ReplyError):
            return
        cursor = reply[0]
        if cursor == b"0":
            return
        calls += 1
        if calls % SERVER_LOOK_EVERY == 0:
            per_call = server.per_call()
            if per_call is not None:
                pacer.observe_server(per_call)


class _ServerTime:
    """The server's mean time per SCAN since the last look, from INFO commandstats (every
    client's SCANs: a busy server is a busy server). Gives up for good if INFO is refused."""

    def __init__(self, sock: socket.socket | ssl.SSLSocket, reader: Any) -> None:
        self.sock, self.reader = sock, reader
        self.last: tuple[int, int] | None = None
        self.refused = False

    def per_call(self) -> float | None:
        if self.refused:
            return None
        self.sock.sendall(encode_command(b"INFO", b"commandstats"))
        reply = _read_reply(self.sock, self.reader, None)  # not passed on to the app
        if not isinstance(reply, bytes):
            self.refused = True  # an ACL without INFO: the round trips alone pace it
            return None
        match = _SCAN_STATS.search(reply)
        if match is None:
            return None
        now = (int(match.group(1)), int(match.group(2)))
        last, self.last = self.last, now
        if last is None or now[0] <= last[0]:
            return None
        return (now[1] - last[1]) / (now[0] - last[0]) / 1e6


def main() -> int:
    config = json.loads(sys.stdin.readline())
    die_with_parent()
    if os.getppid() != int(config["parent"]):  # the app died before the line above
        return 0
    # Not niced (it was, at 10): on a 2-core machine busy with other work, a niced child got a
    # sliver of a core, names came 1.2-2.5x slower and keypresses were no faster
    # (benchmarks/README, "The scan process's priority").
    try:
        run(config, sys.stdout.fileno())
    except BrokenPipeError:  # the app stopped reading: the scan was cancelled
        return 0
    except (OSError, ssl.SSLError, ValueError) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
