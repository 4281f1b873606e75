"""Raw RESP for the hiredis fast paths (``fastmeta``, ``scanchild``), and the process helper
the children share. Standard library only: the scan child process imports it and must start
fast."""

from __future__ import annotations

import signal
import ssl
import sys


def encode_command(*args: bytes) -> bytes:
    """One command as a RESP array of bulk strings (binary safe)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


def ssl_context(
    cacert: str | None, cert: str | None, key: str | None, verify: bool, server_name: str | None
) -> ssl.SSLContext:
    """The TLS context redis-py builds from the same connection settings."""
    context = ssl.create_default_context(cafile=cacert)
    context.check_hostname = verify and server_name is None
    context.verify_mode = ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
    if cert:
        context.load_cert_chain(cert, key)
    return context


def handshake(username: str | None, password: str | None, db: int, name: bytes) -> list[bytes]:
    """AUTH [username] password (as redis-py sends it), SELECT db, CLIENT SETNAME name: one
    encoded command each. The last one is cosmetic (an ACL may refuse it); the others not."""
    hello: list[bytes] = []
    if username or password:
        auth = [username.encode()] if username else []
        hello.append(encode_command(b"AUTH", *auth, (password or "").encode()))
    if db:
        hello.append(encode_command(b"SELECT", b"%d" % db))
    hello.append(encode_command(b"CLIENT", b"SETNAME", name))
    return hello


def die_with_parent() -> None:  # pragma: no cover - runs in a child
    """Linux: this process gets SIGTERM when its parent dies (PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
