"""From a cookie to its session against a real redis-server: every fixture record that says
what its browser cookie holds (``expected.cookie``) is found by that cookie alone — as a
value, as ``name=value`` and inside a whole ``Cookie:`` header, under default and custom
prefixes with no configuration — and the headless ``--cookie`` flag prints it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from typing import Any
from urllib.parse import quote

import pytest
import redis
import redis.asyncio as aioredis

from redis_tui.cli.sessions import main
from redis_tui.data.sessions import SessionPatterns
from redis_tui.data.sessions.cookie import find_by_cookie, parse_cookie
from redis_tui.demo.server import EmbeddedServer
from tests.integration.test_sessions_discovery import seed_noise
from tests.integration.test_sessions_stores import load
from tests.unit.test_sessions_detect import RECORDS, RELATED, by, record_id

WITH_COOKIE = [r for r in RECORDS if r["expected"].get("cookie")]
# The cookie name each store sets by default.
COOKIE_NAMES = {
    "express": "connect.sid", "fastify": "sessionId", "koa": "koa.sess", "rails": "_app_session",
    "php": "PHPSESSID", "symfony": "PHPSESSID", "django": "sessionid", "flask": "session",
    "spring": "SESSION", "starlette": "session", "aiohttp": "AIOHTTP_SESSION",
}  # fmt: skip


@pytest.fixture
def seeded(client: redis.Redis) -> redis.Redis:
    for record in RECORDS + RELATED:
        load(client, record)
    seed_noise(client)
    return client


def test_fixtures_carry_cookies() -> None:
    assert {r["framework"] for r in WITH_COOKIE} >= {"php", "rails", "spring", "symfony"}


def forms(record: dict[str, Any]) -> list[str]:
    cookie: str = record["expected"]["cookie"]
    name = COOKIE_NAMES.get(record["framework"], "sid")
    return [cookie, f"{name}={cookie}", f"Cookie: _ga=GA1.2.3.4; {name}={cookie}; theme=dark"]


@pytest.mark.parametrize("record", WITH_COOKIE, ids=record_id)
async def test_every_fixture_cookie_finds_its_session(
    seeded: redis.Redis, aclient: aioredis.Redis, record: dict[str, Any]
) -> None:
    key = bytes.fromhex(record["key_hex"])
    for text in forms(record):
        lookup = await find_by_cookie(aclient, text)
        assert [s.key for s in lookup.sessions] == [key], (text, lookup.notes)
        assert lookup.sessions[0].framework == record["framework"]


async def test_express_signed_cookie_and_configured_prefix(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    record = by("express", "json")
    sid = record["expected"]["session_id"]
    load(client, record)
    client.set(b"myapp:sess:" + sid.encode(), bytes.fromhex(record["value_hex"]))
    mac = hmac.new(b"keyboard cat", sid.encode(), hashlib.sha256).digest()  # cookie-signature
    signed = "s:" + sid + "." + base64.b64encode(mac).decode().rstrip("=")
    lookup = await find_by_cookie(aclient, "connect.sid=" + quote(signed, safe=""))
    assert {s.key for s in lookup.sessions} == {bytes.fromhex(record["key_hex"])}
    assert not any(k.startswith(b"myapp:") for k in lookup.tried)
    mine = SessionPatterns.of(["myapp:sess:*"])
    lookup = await find_by_cookie(aclient, quote(signed, safe=""), patterns=mine, walk=False)
    assert b"myapp:sess:" + sid.encode() in {s.key for s in lookup.sessions}
    assert b"myapp:sess:" + sid.encode() in lookup.tried


async def test_laravel_cookie_is_said_to_be_encrypted(aclient: aioredis.Redis) -> None:
    payload = {"iv": "a" * 24, "value": "b" * 64, "mac": "c" * 64, "tag": ""}
    cookie = base64.b64encode(json.dumps(payload).encode()).decode()
    (guess,) = parse_cookie(f"laravel_session={quote(cookie)}")
    assert guess.store == "laravel" and "encrypted" in guess.note and not guess.keys
    lookup = await find_by_cookie(aclient, f"laravel_session={cookie}")
    assert not lookup.sessions and "cannot be mapped" in lookup.notes[-1]


def test_cli_cookie(seeded: redis.Redis, server: EmbeddedServer, capsys: Any) -> None:
    record = next(r for r in WITH_COOKIE if r["framework"] == "spring")
    out = io.StringIO()
    code = main(["-p", str(server.port), "--cookie", "SESSION=" + record["expected"]["cookie"]],
                stdout=out)  # fmt: skip
    assert code == 0
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["key"] == record["key"]
    out = io.StringIO()
    code = main(["-p", str(server.port), "--cookie", "PHPSESSID=nosuchsession42"], stdout=out)
    assert code == 1 and out.getvalue() == ""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no session found" in err[0]
