"""Fixtures shared by the integration tests (the servers themselves are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from redis_tui.demo.server import EmbeddedServer


@pytest.fixture
async def aclient(server: EmbeddedServer) -> AsyncIterator[aioredis.Redis]:
    """An asyncio client of the shared server (flushed for each test)."""
    client = aioredis.Redis(host="127.0.0.1", port=server.port)
    yield client
    await client.aclose()
