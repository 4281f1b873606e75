"""The run's command log: every write redis-tui sent, exactly, with its time and result.

The ``@`` screen shows it. One log serves every connection of the run (``for_source`` gives
each connection its own view of it, which stamps entries with where they were sent), so
writes made before a connection or database switch stay in it. Entries are kept in memory
only, in a bounded deque. Two things are never stored as sent:

- secrets: the arguments of AUTH, HELLO … AUTH, MIGRATE … AUTH/AUTH2, CONFIG SET of a password
  and ``>password`` rules of ACL SETUSER are replaced by ``(redacted)``;
- big arguments (a 20 MB value, a DUMP payload for RESTORE): only their first
  ``ARG_CAP`` bytes are kept, as an ``Elided`` that says how big the whole was.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis_tui.data.values.display import escape_key

MAX_ENTRIES = 10_000
# Bytes of one argument kept in the log; the rest is summarised by its size.
ARG_CAP = 256
# Arguments of one command kept in the log (an UNLINK of 500 keys keeps the first ones).
MAX_ARGS = 64
REDACTED = "(redacted)"
_PASSWORD_SETTINGS = {b"requirepass", b"masterauth", b"masteruser", b"tls-key-file-pass"}


@dataclass(frozen=True)
class Elided:
    """A long argument: its first bytes and its full size."""

    head: bytes
    size: int


LogArg = bytes | str | Elided


@dataclass(frozen=True)
class LogEntry:
    """One command sent to the server (or refused before being sent, with ``ok`` False).

    ``command`` holds the arguments as sent: ``str`` for command names, options and numbers,
    ``bytes`` for user data (keys, values), ``Elided`` for long values. ``op`` names the user
    action it belongs to ("hash rename field", "bulk delete user:*", "undo").
    """

    at: datetime
    command: tuple[LogArg, ...]
    result: str
    ok: bool
    op: str = ""
    # Where it was sent: ``redis://host:port/db``, or a profile's name.
    source: str = ""


@dataclass
class CommandLog:
    """Bounded, in-memory log of writes; the oldest entries fall off."""

    maxlen: int = MAX_ENTRIES
    # Stamped on each entry appended through this view (see ``for_source``).
    source: str = ""
    _entries: deque[LogEntry] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._entries = deque(maxlen=self.maxlen)

    def for_source(self, source: str) -> CommandLog:
        """A view of this log whose entries say they come from ``source``: one per
        connection, all sharing the same entries (deque appends are thread-safe)."""
        view = CommandLog(self.maxlen, source)
        view._entries = self._entries
        return view

    def append(
        self,
        command: Sequence[Any],
        result: Any,
        *,
        ok: bool = True,
        op: str = "",
        at: datetime | None = None,
    ) -> LogEntry:
        """Record one command and its reply (or error). Secrets are redacted here."""
        args = redact(command)
        kept: list[LogArg] = [_arg(a) for a in args[:MAX_ARGS]]
        if len(args) > MAX_ARGS:
            kept.append(f"…(+{len(args) - MAX_ARGS} more arguments)")
        entry = LogEntry(
            at=at or datetime.now(UTC),
            command=tuple(kept),
            result=result if isinstance(result, str) else describe_reply(result),
            ok=ok,
            op=op,
            source=self.source,
        )
        self._entries.append(entry)
        return entry

    def extend(self, commands: Iterable[Sequence[Any]], replies: Sequence[Any], *, op: str) -> None:
        """Record commands sent together (one MULTI/EXEC) with their replies in order."""
        at = datetime.now(UTC)
        for command, reply in zip(commands, replies, strict=True):
            self.append(command, reply, ok=not isinstance(reply, BaseException), op=op, at=at)

    def entries(self) -> list[LogEntry]:
        """Oldest first."""
        return list(self._entries)

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()


def redact(command: Sequence[Any]) -> list[Any]:
    """A copy of ``command`` with passwords replaced by ``(redacted)``."""
    args = list(command)
    if not args:
        return args
    name = _lower(args[0])
    if name == b"auth":
        return [args[0]] + [REDACTED] * (len(args) - 1)
    if name == b"hello":
        for i, arg in enumerate(args[:-2]):
            if _lower(arg) == b"auth":
                args[i + 2] = REDACTED
    elif name == b"migrate":
        for i, arg in enumerate(args):
            word = _lower(arg)
            if word == b"auth" and i + 1 < len(args):
                args[i + 1] = REDACTED
            elif word == b"auth2" and i + 2 < len(args):
                args[i + 2] = REDACTED
    elif name == b"config" and len(args) > 2 and _lower(args[1]) == b"set":
        for i in range(2, len(args) - 1, 2):
            if _lower(args[i]) in _PASSWORD_SETTINGS:
                args[i + 1] = REDACTED
    elif name == b"acl" and len(args) > 2 and _lower(args[1]) == b"setuser":
        for i in range(3, len(args)):
            rule = args[i] if isinstance(args[i], bytes) else str(args[i]).encode()
            if rule[:1] in (b">", b"<", b"#", b"!"):
                args[i] = rule[:1].decode() + REDACTED
    return args


def describe_reply(reply: Any) -> str:
    """A short, one-line rendering of a reply: ``OK``, ``1``, ``(nil)``, ``ERR …``."""
    if isinstance(reply, BaseException):
        return f"error: {reply}"
    if reply is None:
        return "(nil)"
    if reply is True:
        return "OK"
    if reply is False:
        return "0"
    if isinstance(reply, bytes):
        text = escape_key(reply[:ARG_CAP])
        return text + ("…" if len(reply) > ARG_CAP else "")
    if isinstance(reply, list | tuple):
        return (
            "["
            + ", ".join(describe_reply(r) for r in reply[:10])
            + (", …]" if len(reply) > 10 else "]")
        )
    return str(reply)


def format_entry(entry: LogEntry) -> str:
    """One line for the ``@`` screen: local time, the command as redis-cli would take it, result.

    Bytes are escaped with ``display.escape_key`` and quoted when they hold a space or are
    empty; the line is plain text (never markup) and safe to put on a terminal.
    """
    when = entry.at.astimezone().strftime("%H:%M:%S.%f")[:-3]
    words = " ".join(format_arg(arg) for arg in entry.command) or f"({entry.op})"
    mark = "→" if entry.ok else "✗"
    where = (
        f"[{escape_key(entry.source.encode('utf-8', 'surrogateescape'))}]  " if entry.source else ""
    )
    result = escape_key(entry.result.encode("utf-8", "surrogateescape"))
    return f"{when}  {where}{words}  {mark} {result}"


def format_arg(arg: LogArg) -> str:
    if isinstance(arg, Elided):
        head = escape_key(arg.head) + "…"
        return f"{_quote(head) if _needs_quotes(arg.head) else head}({arg.size} bytes)"
    if isinstance(arg, bytes):
        text = escape_key(arg)
        return _quote(text) if _needs_quotes(arg) else text
    return arg


def _needs_quotes(data: bytes) -> bool:
    return not data or any(c in data for c in b" \"'")


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _arg(arg: Any) -> LogArg:
    if isinstance(arg, Elided | str):
        return arg
    if isinstance(arg, bytes | bytearray | memoryview):
        data = bytes(arg)
        return Elided(data[:ARG_CAP], len(data)) if len(data) > ARG_CAP else data
    return str(arg)


def _lower(arg: Any) -> bytes:
    if isinstance(arg, bytes):
        return arg.lower()
    return str(arg).lower().encode()
