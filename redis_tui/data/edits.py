"""Writes to Redis. Every write passes the read-only guard here, below the UI."""

from __future__ import annotations

import redis.asyncio as aioredis

from redis_tui.errors import KeyMissing, ReadOnlyRefused


class WriteGuard:
    """Refuses every write while read-only. Lives in the data layer so no UI path can skip it."""

    def __init__(self, readonly: bool) -> None:
        self.readonly = readonly

    def check(self, action: str) -> None:
        if self.readonly:
            raise ReadOnlyRefused(f"Read-only connection: {action} refused")


async def delete_key(client: aioredis.Redis, guard: WriteGuard, key: bytes) -> None:
    """UNLINK one key (freed in the background, so a 200k-field hash does not block the server).

    Raises:
        ReadOnlyRefused: the connection is read-only.
        KeyMissing: the key was already gone.
    """
    guard.check("delete")
    removed = await client.execute_command("UNLINK", key)
    if not removed:
        raise KeyMissing("The key was already gone")
