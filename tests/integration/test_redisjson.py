"""RedisJSON documents, read bounded, on a real server with the module loaded."""

from __future__ import annotations

import json

import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.gateway import Gateway
from redis_tui.data.values import readers as values
from redis_tui.demo.server import EmbeddedServer


async def test_small_document_is_read_whole_and_shown_as_json(json_server: EmbeddedServer) -> None:
    client = redis.Redis(port=json_server.port)
    client.flushall()
    doc = {"user": {"id": 42, "name": "Zoë"}, "tags": ["a", "b"], "[bold]": "\x1b[2J"}
    client.execute_command("JSON.SET", "doc", "$", json.dumps(doc))
    gateway = Gateway(ConnectionSettings(port=json_server.port))
    page = await gateway.scan(None, None, 100)
    assert page.types == [b"ReJSON-RL"]
    value = await gateway.read_value(b"doc")
    assert value.type == "json" and json.loads(value.data or b"") == doc
    await gateway.close()
    client.close()


async def test_big_document_is_not_read_whole(json_server: EmbeddedServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client = redis.Redis(port=json_server.port)
    client.flushall()
    client.execute_command(
        "JSON.SET", "big", "$", json.dumps({f"k{i}": "v" * 50 for i in range(2000)})
    )
    monkeypatch.setattr(values, "JSON_CAP", 10_000)
    gateway = Gateway(ConnectionSettings(port=json_server.port))
    value = await gateway.read_value(b"big")
    assert value.note is not None and "too big" in value.note
    assert value.length == 2000 and (value.data or b"").startswith(b"top-level keys: k0")
    await gateway.close()
    client.close()
