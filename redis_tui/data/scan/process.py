"""Names-only SCAN in a child process (``scanchild``), for big databases.

The app's own SCAN loop shares one event loop with the UI and the TYPE/PTTL fetches: each
reply waits for the loop before the next SCAN goes out. ``ScanProcess`` starts the loop in a
child process that does nothing else, reads its replies from a pipe and parses them with
hiredis, so the app's cost per name is a C-level parse and a list append.

Used only where ``fastmeta`` is (one server at the settings' address: not a cluster or a
Sentinel-managed master) and hiredis is installed. Any failure of the child (connect, auth,
link lost, killed) surfaces as ``ScanProcessFailed``; the caller carries on in-process from
``cursor``, where a real problem gets its usual message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncGenerator

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.errors import translate

try:
    import hiredis
except ImportError:  # pragma: no cover - hiredis is a dependency
    hiredis = None  # type: ignore[assignment]

READ_CHUNK = 1 << 18


class ScanProcessFailed(Exception):
    """The child stopped before the scan was done (not an error reply from the server)."""


class ScanProcess:
    """One names-only scan from ``cursor`` by a child process.

    Example:
        scan = ScanProcess(settings, cursor, match=None, type_name=None)
        try:
            async for cursor, keys in scan.pages():
                ...
        finally:
            await scan.close()
    """

    # The child's command line (a test may put a failing one here).
    command: tuple[str, ...] = (sys.executable, "-m", "redis_tui.data.scan.child")

    def __init__(
        self,
        settings: ConnectionSettings,
        cursor: int,
        match: bytes | None,
        type_name: str | None,
    ) -> None:
        self.settings = settings
        # The cursor after the last page handed out: where an in-process scan carries on.
        self.cursor = cursor
        self.match = match
        self.type_name = type_name
        self._process: asyncio.subprocess.Process | None = None

    def _config(self) -> bytes:
        s = self.settings
        tls = (
            {
                "cacert": s.cacert,
                "cert": s.cert,
                "key": s.key,
                "verify": s.tls_verify,
                "server_name": s.server_name,
            }
            if s.tls
            else None
        )
        config = {
            "parent": os.getpid(),
            "host": s.host,
            "port": s.port,
            "socket": s.socket,
            "tls": tls,
            "username": s.username,
            "password": s.password,
            "db": s.db,
            "connect_timeout": s.connect_timeout,
            "command_timeout": s.command_timeout,
            "cursor": self.cursor,
            "match_hex": None if self.match is None else self.match.hex(),
            "type": self.type_name,
        }
        return json.dumps(config).encode() + b"\n"

    async def start(self) -> None:
        """Start the child; it connects and scans while the caller does other things.

        Raises:
            OSError: the process could not be started.
        """
        process = self._process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=READ_CHUNK,
        )
        assert process.stdin is not None
        try:
            process.stdin.write(self._config())
            await process.stdin.drain()
            process.stdin.close()
        except OSError:  # it died at once: reap it
            await self.close()
            raise

    async def pages(self) -> AsyncGenerator[tuple[int, list[bytes]], None]:
        """``(cursor, keys)`` of all the SCAN replies that came in since the last read (the
        child runs ahead), until the one whose cursor is 0. Starts the child if need be.

        Raises:
            RedisTuiError: the server answered a SCAN with an error (an ACL, say).
            ScanProcessFailed: the child could not connect, or stopped early.
        """
        # redis-py where it is used: the app loads this module before its first frame.
        import redis.exceptions as rex

        if self._process is None:
            await self.start()
        process = self._process
        assert process is not None and process.stdout is not None
        reader = hiredis.Reader(replyError=rex.ResponseError, protocolError=rex.InvalidResponse)
        read = process.stdout.read
        while True:
            data = await read(READ_CHUNK)
            if not data:
                break
            reader.feed(data)
            keys: list[bytes] = []
            cursor = None
            try:
                reply = reader.gets()
                while reply is not False:
                    if isinstance(reply, Exception):
                        raise translate(reply, self.settings.describe())
                    cursor = int(reply[0])
                    keys += reply[1]
                    reply = reader.gets()
            except (rex.InvalidResponse, TypeError, ValueError, IndexError) as exc:
                raise ScanProcessFailed(f"unexpected output from the scan process: {exc}") from exc
            if cursor is not None:
                self.cursor = cursor
                yield cursor, keys
                if cursor == 0:
                    return
        await process.wait()
        assert process.stderr is not None
        why = (await process.stderr.read()).decode(errors="replace").strip()
        raise ScanProcessFailed(why or f"the scan process ended ({process.returncode})")

    async def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        # communicate(), not wait(): it drains what is left in the pipes, so they close and
        # the child is reaped at once (unread output would keep wait() waiting).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(process.communicate(), timeout=5.0)
