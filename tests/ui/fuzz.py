"""A keyboard fuzzer: random bursts of keys against the real app on a real server holding
hostile names and values, with ``MONITOR`` on a second connection.

It checks what a hurried or hostile user must never see:
- a crash (an exception in the app, or the app exiting);
- a control, zero-width or bidi character from Redis reaching the screen;
- a write the user did not confirm: every write command the server receives names keys
  that a dialog named, and that dialog was answered yes (or with a value) before the write.

``tests/ui/test_fuzz.py`` runs it for a bounded time on every test run; ``scripts/fuzz``
runs it longer by hand.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import redis
from textual import events
from textual.widgets import Input, Static, TextArea

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.values.display import escape_key, unescape_key
from redis_tui.demo import seed as demo
from redis_tui.demo.simulator import seed_sessions_from_fixtures
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.base import Dialog

# Commands that change a key. The first argument is a key for all of them; RENAME and COPY
# name a second one.
WRITES = frozenset(
    b"SET SETEX PSETEX SETNX MSET APPEND DEL UNLINK EXPIRE PEXPIRE EXPIREAT PEXPIREAT PERSIST "
    b"HSET HSETNX HDEL HINCRBY LSET LINSERT LPUSH RPUSH LPOP RPOP LREM LTRIM SADD SREM SMOVE "
    b"ZADD ZREM ZINCRBY XADD XDEL XTRIM RENAME RENAMENX COPY RESTORE JSON.SET JSON.DEL "
    b"INCR INCRBY DECR GETDEL GETEX".split()
)
TWO_KEYS = frozenset({b"RENAME", b"RENAMENX", b"COPY", b"SMOVE"})

# Keys of the app that leave the test's world: quit, connect elsewhere, save to a file.
LEAVE = {"q", "ctrl+c", "o", "w", "ctrl+q"}
KEYS = [
    "j", "k", "g", "G", "enter", "escape", "tab", "shift+tab", "1", "2", "3", "4", "d",
    "delete", "e", "t", "R", "C", "a", "u", "y", "n", "s", "slash", "colon", "v", "p", "x", "r",
    "H", "c", "U", "D", "question_mark", "f", "space", "pageup", "pagedown", "up", "down",
    "left", "right", "home", "end", "ctrl+u", "backspace", "Y", "at", "ctrl+s", "i",
]  # fmt: skip
TEXT = "abcxyz019*:/ []{}\\_-."
COMMANDS = [
    "key {key}", "ttl 5m", "ttl persist", "sort size", "sort name", "db 1", "db 0",
    "sessions", "sessions report", "cookie PHPSESSID=abc123", "cookie s%3Aabc.def", "del zz*",
    "help", "info", "dbs", "filter *", "nosuchcommand", "key", "ttl", "analyze",
]  # fmt: skip
SIZES = [(80, 24), (160, 45), (100, 30), (60, 20), (200, 50)]
NAMED_CHARS = {"slash": "/", "colon": ":", "enter": "\r", "escape": "\x1b", "space": " ",
               "tab": "\t", "backspace": "\x7f", "question_mark": "?", "at": "@"}  # fmt: skip
CHAR_NAMES = {"/": "slash", ":": "colon", " ": "space", "*": "asterisk", "?": "question_mark",
              "[": "left_square_bracket", "]": "right_square_bracket", "{": "left_curly_bracket",
              "}": "right_curly_bracket", "\\": "backslash", "_": "underscore", "-": "minus",
              ".": "full_stop", "@": "at"}  # fmt: skip
# What must never reach the screen: controls and the invisible characters display escapes.
UNSAFE_ON_SCREEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff]"
)


def seed_hostile(client: redis.Redis) -> list[bytes]:
    """Hostile names with hostile values of every type, sessions from the real frameworks,
    and a few ordinary keys. Returns the hostile names."""
    value = b"\x1b[2J\x1b]0;title\x07[bold]v[/bold]\xe2\x80\xae\xe2\x80\x8b\x00"
    for i, key in enumerate(demo.HOSTILE_KEYS):
        kind = i % 5
        if kind == 0:
            client.set(key, value)
        elif kind == 1:
            client.hset(key, mapping={b"f\x1b[1m": value, b"[b]": b"x"})
        elif kind == 2:
            client.rpush(key, value, b"\xe2\x80\xaeevil")
        elif kind == 3:
            client.zadd(key, {value: 1.5, b"m\x07": 2})
        else:
            client.sadd(key, value, b"zero\xe2\x80\x8bwidth")
    client.set(b"zero\xe2\x80\x8bwidth-key", value)
    client.set(b"bidi\xe2\x81\xa6isolate", value, ex=900)
    client.mset({f"plain:{i}".encode(): f'{{"n": {i}}}'.encode() for i in range(40)})
    seed_sessions_from_fixtures(client, copies=0)
    return [*demo.HOSTILE_KEYS, b"zero\xe2\x80\x8bwidth-key", b"bidi\xe2\x81\xa6isolate"]


# -- MONITOR ---------------------------------------------------------------------------------

_ARG = re.compile(rb'"((?:[^"\\]|\\.)*)"')
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"a": b"\a", b"b": b"\b", b'"': b'"',
            b"\\": b"\\"}  # fmt: skip


def _unquote(text: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i : i + 1]
        if ch == b"\\" and i + 1 < len(text):
            nxt = text[i + 1 : i + 2]
            if nxt == b"x" and i + 3 < len(text):
                out += bytes([int(text[i + 2 : i + 4], 16)])
                i += 4
                continue
            out += _ESCAPES.get(nxt, nxt)
            i += 2
            continue
        out += ch
        i += 1
    return bytes(out)


@dataclass
class Monitor:
    """Every command the server receives, with the local time it was read."""

    port: int
    commands: list[tuple[float, list[bytes]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(b"MONITOR\r\n")
        sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=True)
        self._thread.start()

    def _run(self, sock: socket.socket) -> None:
        buffer = b""
        while not self._stop.is_set():
            try:
                data = sock.recv(1 << 16)
            except TimeoutError:
                continue
            if not data:
                break
            buffer += data
            *lines, buffer = buffer.split(b"\r\n")
            now = time.monotonic()
            for line in lines:
                if line.startswith(b"+") and b"]" in line:
                    args = [_unquote(a) for a in _ARG.findall(line.split(b"] ", 1)[1])]
                    if args:
                        self.commands.append((now, args))
        sock.close()

    def stop(self) -> None:
        time.sleep(0.3)  # what is in flight arrives
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def writes(self) -> Iterator[tuple[float, list[bytes]]]:
        for when, args in self.commands:
            if args[0].upper() in WRITES and len(args) > 1:
                yield when, args


# -- the app ---------------------------------------------------------------------------------


@dataclass
class Answer:
    """A dialog answered yes (or with a value): when, and everything it showed."""

    at: float
    text: str
    # The keys the dialog's fields name, parsed as the app parses them: a name typed with
    # a lone backslash (a\.b) is the key a\.b, which escape_key shows with the backslash doubled.
    typed: tuple[bytes, ...] = ()


def _dialog_text(screen: Dialog[Any]) -> str:
    parts = [str(getattr(screen, "title_text", ""))]
    for widget in screen.query(Static):
        parts.append(str(widget.content))
    for box in screen.query(Input):
        parts.append(box.value)
    for area in screen.query(TextArea):
        parts.append(area.text[:2000])
    return "\n".join(parts)


@dataclass
class Findings:
    keystrokes: int = 0
    bursts: int = 0
    resizes: int = 0
    writes_checked: int = 0
    answers: list[Answer] = field(default_factory=list)
    unsafe_screens: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    crashed: str | None = None


def _named(key: bytes, answers: list[Answer], before: float) -> bool:
    shown = escape_key(key)
    for answer in answers:
        if answer.at > before:
            break
        if shown in answer.text or key in answer.typed:
            return True
        # A long key is clipped in the middle in titles: both ends are shown.
        if len(shown) > 55 and shown[:20] in answer.text and shown[-8:] in answer.text:
            return True
    return False


def _key_event(name: str) -> events.Key:
    if len(name) == 1:
        return events.Key(CHAR_NAMES.get(name, name), name)
    char = NAMED_CHARS.get(name)
    return events.Key(name, char)


def _burst(rng: random.Random, hostile: list[bytes]) -> list[str]:
    roll = rng.random()
    if roll < 0.45:
        return [rng.choice(KEYS) for _ in range(rng.randint(1, 8))]
    if roll < 0.6:
        command = rng.choice(COMMANDS).format(key=escape_key(rng.choice(hostile)))
        keys = ["colon", *command]
        return [*keys, "enter"] if rng.random() < 0.9 else keys
    if roll < 0.7:
        return [rng.choice(["enter", "escape"]) for _ in range(rng.randint(3, 12))]
    if roll < 0.85:
        return list(rng.choice(TEXT) for _ in range(rng.randint(1, 10)))
    # A confirmation typed ahead, as a hurried user does: d y, t 90s enter…
    return rng.choice([["d", "y"], ["d", "y", "y"], ["t", *"90s", "enter"], ["u"], ["D", "y"],
                       ["4", "d", "y"], ["e", "ctrl+s"], ["R", *"renamed", "enter"]])  # fmt: skip


def _screen_unsafe(app: RedisTuiApp) -> str | None:
    update = app.screen._compositor.render_full_update()
    for line in update.strips:
        for strip in line:
            for segment in strip:
                if segment.control:
                    continue
                found = UNSAFE_ON_SCREEN.search(segment.text)
                if found:
                    return f"{found.group(0)!r} in {segment.text!r}"
    return None


async def run_fuzzer(
    settings: ConnectionSettings, hostile: list[bytes], *, seconds: float, seed: int
) -> Findings:
    """Fuzz the app for ``seconds``; the findings say what went wrong (nothing, we hope)."""
    rng = random.Random(seed)
    findings = Findings()
    original_dismiss = Dialog.dismiss

    def recording_dismiss(self: Dialog[Any], result: Any = None) -> Any:
        if result and not self._answered and self.is_current:
            typed = tuple(unescape_key(box.value) for box in self.query(Input))
            findings.answers.append(Answer(time.monotonic(), _dialog_text(self), typed))
        return original_dismiss(self, result)

    Dialog.dismiss = recording_dismiss  # type: ignore[method-assign]
    monitor = Monitor(settings.port)
    monitor.start()
    try:
        app = RedisTuiApp(settings, poll_interval=0.5)
        async with app.run_test(size=(160, 45)) as pilot:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and app.is_running:
                if rng.random() < 0.04:
                    await pilot.resize_terminal(*rng.choice(SIZES))
                    findings.resizes += 1
                keys = [k for k in _burst(rng, hostile) if k not in LEAVE]
                for name in keys:
                    app.post_message(_key_event(name))
                findings.keystrokes += len(keys)
                findings.bursts += 1
                await asyncio.sleep(rng.choice([0, 0.01, 0.05, 0.1, 0.3]))
                if findings.bursts % 5 == 0:
                    await pilot.pause()
                    problem = _screen_unsafe(app)
                    if problem is not None:
                        findings.unsafe_screens.append(problem)
            await pilot.pause(0.5)
            if app._exception is not None:
                findings.crashed = repr(app._exception)
            elif not app.is_running:
                findings.crashed = f"the app exited (return code {app.return_code})"
    except Exception as exc:  # the app's own exception, re-raised by run_test
        findings.crashed = repr(exc)
    finally:
        Dialog.dismiss = original_dismiss  # type: ignore[method-assign]
        monitor.stop()
    for when, args in monitor.writes():
        findings.writes_checked += 1
        keys = [args[1], args[2]] if args[0].upper() in TWO_KEYS and len(args) > 2 else [args[1]]
        if args[0].upper() in (b"DEL", b"UNLINK"):
            keys = args[1:]
        for key in keys:
            if not _named(key, findings.answers, when):
                command = b" ".join(a[:40] for a in args[:3]).decode("utf-8", "replace")
                findings.unconfirmed.append(command)
    return findings


def connect_settings(port: int) -> ConnectionSettings:
    return ConnectionSettings(host="127.0.0.1", port=port, connect_timeout=2.0, command_timeout=5.0)
