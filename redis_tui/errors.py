"""Our error types. redis-py errors are translated once, at the data boundary.

Every error carries a one-line, user-facing message: the UI shows it as a notification
and the CLI prints it on stderr, so it must make sense without a traceback.
"""

from __future__ import annotations

import builtins
import errno
import ssl


class RedisTuiError(Exception):
    """Root of every error redis-tui raises on purpose."""

    @property
    def message(self) -> str:
        return str(self)


class ConnectionFailed(RedisTuiError):
    """The server cannot be reached, or the connection dropped."""


class ServerTimeout(ConnectionFailed):
    """The server accepted the connection but did not answer in time."""


class AuthFailed(RedisTuiError):
    """Wrong username or password, or the server wants one."""


class PermissionDenied(RedisTuiError):
    """The ACL user may not run this command or touch this key."""


class CommandFailed(RedisTuiError):
    """The server answered with an error."""


class ReadOnlyRefused(RedisTuiError):
    """A write was asked for while the connection is read-only."""


class ReplicaReadOnly(RedisTuiError):
    """The server is a read-only replica: it refuses writes (READONLY)."""


class EditConflict(RedisTuiError):
    """The key changed since it was read; the edit was not applied.

    ``current`` says what changed ("value changed", "type changed to hash", "key deleted"),
    ``key`` is the raw key, ``version`` the key's version now (a ``edit.version.Version``, or None
    when unknown): the UI may reload, or retry with it to overwrite on purpose.
    """

    def __init__(
        self,
        message: str,
        *,
        current: str = "",
        key: bytes | None = None,
        version: object | None = None,
    ) -> None:
        super().__init__(message)
        self.current = current
        self.key = key
        self.version = version


class AlreadyExists(EditConflict):
    """The target key, field or member exists; overwriting it needs an explicit confirmation."""


class KeyMissing(RedisTuiError):
    """The key does not exist (any more)."""


def is_command_error(exc: BaseException) -> bool:
    """An error the server returned for one command (ACL, syntax), not a dead link."""
    # redis-py is imported where it is used: at start it would load all of it (~50 ms)
    # before the first frame, for the command line and the UI, which need none of it yet.
    import redis.exceptions as rex

    return isinstance(exc, rex.ResponseError)


def translate(exc: BaseException, where: str = "") -> RedisTuiError:
    """Turn a redis-py (or socket/ssl) exception into one of ours, with a clear message.

    Args:
        exc: the exception raised by redis-py or the socket layer.
        where: a short description of the target, e.g. ``127.0.0.1:6379``.

    Returns:
        The matching RedisTuiError; the original is kept as ``__cause__`` by callers.
    """
    if isinstance(exc, RedisTuiError):
        return exc
    import redis.exceptions as rex  # not at start: see is_command_error

    at = f" ({where})" if where else ""
    text = str(exc).strip() or type(exc).__name__
    # Order matters: AuthenticationError and the timeout errors subclass ConnectionError.
    if isinstance(exc, rex.AuthenticationError | rex.AuthenticationWrongNumberOfArgsError):
        return AuthFailed(f"Authentication failed{at}: {_auth_reason(text)}")
    if isinstance(exc, rex.NoPermissionError) or text.startswith("NOPERM"):
        return PermissionDenied(f"Permission denied by ACL{at}: {text.removeprefix('NOPERM ')}")
    if isinstance(exc, rex.ResponseError) and text.startswith(("NOAUTH", "WRONGPASS")):
        return AuthFailed(f"Authentication failed{at}: {_auth_reason(text)}")
    if isinstance(exc, rex.ReadOnlyError) or "write against a read only replica" in text:
        return ReplicaReadOnly(
            f"This server is a read-only replica{at}: nothing was written; writes go to its master"
        )
    if isinstance(exc, rex.TimeoutError | builtins.TimeoutError):
        return ServerTimeout(f"The server did not answer in time{at}")
    if isinstance(exc, ssl.SSLError):
        return ConnectionFailed(f"TLS handshake failed{at}: {text}")
    if isinstance(exc, rex.ConnectionError | OSError):
        return ConnectionFailed(f"Cannot connect{at}: {_connection_reason(exc, text)}")
    if isinstance(exc, rex.ResponseError):
        return CommandFailed(text)
    if isinstance(exc, rex.RedisError):
        return CommandFailed(text)
    if isinstance(exc, ValueError):
        return CommandFailed(text)  # our own validation: its message is the explanation
    return RedisTuiError(f"{type(exc).__name__}: {text}")


def _auth_reason(text: str) -> str:
    if "WRONGPASS" in text or "invalid username-password" in text:
        return "wrong username or password"
    if "NOAUTH" in text or "Authentication required" in text:
        return "the server requires a password (use -a or REDISCLI_AUTH)"
    if "without any password configured" in text or "no password is set" in text:
        return "a password was given but the server has none configured"
    return text


def _connection_reason(exc: BaseException, text: str) -> str:
    err = exc
    while err.__cause__ or err.__context__:
        nxt = err.__cause__ or err.__context__
        assert nxt is not None
        err = nxt
        if isinstance(err, OSError):
            break
    if isinstance(err, ssl.SSLError):
        return f"TLS handshake failed: {err}"
    if isinstance(err, OSError) and err.errno == errno.ECONNREFUSED:
        return "connection refused"
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "unknown host name"
    if "closed by server" in lowered or "connection reset" in lowered:
        return "the server closed the connection"
    return text
