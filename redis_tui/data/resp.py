"""Raw RESP for the hiredis fast paths (``fastmeta``, ``scanchild``). Standard library only:
the scan child process imports it and must start fast."""

from __future__ import annotations

import ssl


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
