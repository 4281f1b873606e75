"""The one door to Redis: typed calls, our errors, no redis-py exception escapes.

The background worker is its only user in the app; tests and headless commands use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis

from redis_tui.data import edits, keyspace, values
from redis_tui.data.connection import ConnectionSettings, open_client
from redis_tui.data.keyspace import ScanPage, ServerFacts
from redis_tui.data.values import KeyValue
from redis_tui.errors import RedisTuiError, translate

INFO_SECTIONS = ("server", "clients", "memory", "replication", "keyspace")


class Gateway:
    """A connection to one Redis server, with the operations redis-tui needs."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self.guard = edits.WriteGuard(settings.readonly)
        self._client: aioredis.Redis | None = None
        self._multi_section_info = True

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            self._client = open_client(self.settings)
        return self._client

    @asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        try:
            yield
        except (RedisTuiError, asyncio.CancelledError):
            raise
        except Exception as exc:
            raise translate(exc, self.settings.describe()) from exc

    async def connect(self) -> ServerFacts:
        """Open the connection, authenticate, select the db and read the server facts.

        Raises:
            ConnectionFailed, ServerTimeout, AuthFailed: the server cannot be used.
        """
        async with self._errors():
            await self.client.ping()
        return await self.facts()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            # Closing a dead connection may fail; there is nothing to do about it.
            with contextlib.suppress(Exception):
                await client.aclose()

    async def facts(self, ttl_keys: Sequence[bytes] = ()) -> ServerFacts:
        """INFO + DBSIZE (+ PTTL of ``ttl_keys``) in one round trip. An ACL that forbids INFO
        degrades the pane instead of failing the poll."""
        facts, _ = await self.poll(ttl_keys)
        return facts

    async def poll(self, ttl_keys: Sequence[bytes] = ()) -> tuple[ServerFacts, list[int]]:
        """One pipelined round trip: server facts and the PTTL of each of ``ttl_keys``."""
        async with self._errors():
            pipe = self.client.pipeline(transaction=False)
            if self._multi_section_info:
                pipe.execute_command("INFO", *INFO_SECTIONS)
            else:
                pipe.execute_command("INFO")
            pipe.execute_command("DBSIZE")
            for key in ttl_keys:
                pipe.execute_command("PTTL", key)
            replies = await pipe.execute(raise_on_error=False)
            info, dbsize = replies[0], replies[1]
            if isinstance(info, BaseException) and "syntax" in str(info).lower():
                # Servers before 7.0 take one INFO section at a time.
                self._multi_section_info = False
            for reply in replies:
                if isinstance(reply, BaseException) and not _is_command_error(reply):
                    raise reply
            if isinstance(info, BaseException):
                info = translate(info)
            pttls = [r if isinstance(r, int) else -2 for r in replies[2:]]
            return keyspace.parse_facts(info, dbsize), pttls

    async def scan(
        self,
        cursor: Any,
        match: bytes | None,
        count: int,
        type_name: str | None = None,
        with_meta: bool = True,
    ) -> ScanPage:
        """One SCAN page, with TYPE and PTTL of its keys when ``with_meta``.

        Args:
            cursor: None (or 0) to start, else the ``cursor`` of the previous page.
        """
        cursor = cursor or 0
        async with self._errors():
            started = time.perf_counter()
            next_cursor, keys = await keyspace.scan_page(
                self.client, cursor, match, count, type_name
            )
            page = ScanPage(next_cursor, keys, seconds=time.perf_counter() - started)
            if with_meta and keys:
                page.types, page.pttls = await keyspace.key_meta(self.client, keys)
            return page

    async def read_value(self, key: bytes, **kwargs: Any) -> KeyValue:
        """See ``values.read_value``."""
        async with self._errors():
            return await values.read_value(self.client, key, **kwargs)

    async def delete(self, key: bytes) -> None:
        """Delete a key; refused when read-only."""
        self.guard.check("delete")
        async with self._errors():
            await edits.delete_key(self.client, self.guard, key)

    async def select_db(self, db: int) -> None:
        """Switch database: a new client, so pooled connections never mix databases."""
        await self.close()
        self.settings = self.settings.replace(db=db)


def _is_command_error(exc: BaseException) -> bool:
    """Errors the server returned for one command (ACL, syntax), as opposed to a dead link."""
    import redis.exceptions as rex

    return isinstance(exc, rex.ResponseError)
