"""koa-session (koa-redis), @fastify/session (connect-redis), django-redis as the session
cache and Flask-Session's CacheLib backend, pure (no server): every fixture record, as the
real libraries wrote it, decodes to its framework, user, session id and TTL; the cookie the
library set leads to it; and the same payloads are still recognised under a custom prefix and
under a bare id, from the value alone."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import unquote

import pytest

from redis_tui.data.sessions import detect, encode_edit, to_json
from redis_tui.data.sessions.model import UUID_GLOB, SessionPatterns
from tests.unit.test_sessions_detect import RECORDS, detect_record, record_id, value_of

NODE = [r for r in RECORDS if r["framework"] in ("koa", "fastify")]
# @fastify/session's secret in generate/node/fastify.js (its cookie signer is HMAC-SHA256).
FASTIFY_SECRET = b"redis-tui fixture secret, at least 32 characters long"


def test_node_stores_have_fixtures() -> None:
    assert {(r["framework"], r["variant"]) for r in NODE} == {
        ("koa", "default"), ("koa", "prefixed"), ("fastify", "json"),
    }  # fmt: skip
    koa_keys = [r["key"] for r in NODE if r["framework"] == "koa"]
    assert any(SessionPatterns((UUID_GLOB,)).matcher()(k.encode()) for k in koa_keys)
    assert any(k.startswith("koa:sess:") for k in koa_keys)


@pytest.mark.parametrize("record", NODE, ids=record_id)
def test_node_record_decodes_with_its_cookie(record: dict[str, Any]) -> None:
    found = detect_record(record)
    expected = record["expected"]
    assert (found.framework, found.user, found.error) == (
        record["framework"], expected["user"], None,
    )  # fmt: skip
    assert found.session_id == expected["session_id"] and found.ttl_ms == record["ttl_ms"]
    assert found.writable and found.format == "json"
    cookie = expected["cookie"]
    if record["framework"] == "koa":  # koa.sess holds the external key: the Redis key itself
        assert unquote(cookie) == found.session_id == record["key"]
        assert found.payload_expires_at == dt.datetime.fromtimestamp(
            found.data["_expire"] / 1000, dt.UTC
        )
    else:  # <sid>.<HMAC-SHA256 of it, base64 without padding>
        sid, _, sig = unquote(cookie).rpartition(".")
        assert sid == found.session_id and record["key"] == "sess:" + sid
        mac = hmac.new(FASTIFY_SECRET, sid.encode(), hashlib.sha256).digest()
        assert sig == base64.b64encode(mac).decode().rstrip("=")
        assert found.payload_expires_at is not None
    json.dumps(to_json(found))


@pytest.mark.parametrize("record", NODE, ids=record_id)
@pytest.mark.parametrize("prefix", [b"myapp:node:", b"", b"a.b.c/"])
def test_node_payloads_under_any_prefix(record: dict[str, Any], prefix: bytes) -> None:
    """Under a custom prefix or a bare id, not assumed to be a session (what sniffing every
    key does): the payload alone names the store and its user."""
    sid = record["key"].rsplit(":", 1)[-1].encode()
    for assume in (False, True):
        found = detect(prefix + sid, "string", value_of(record), assume_session=assume)
        assert found is not None, record_id(record)
        assert (found.framework, found.user) == (record["framework"], record["expected"]["user"])


def test_express_stays_express_and_fastify_markers() -> None:
    express = [detect_record(r) for r in RECORDS if r["framework"] == "express"]
    assert express and {s.framework for s in express} == {"express"}
    # express-session's cookie data with every option set still starts with originalMaxAge.
    cookie = {"originalMaxAge": 1000, "expires": "2030-01-01T00:00:00.000Z", "secure": True,
              "httpOnly": True, "domain": "example.com", "path": "/", "sameSite": "lax"}  # fmt: skip
    raw = json.dumps({"cookie": cookie, "passport": {"user": "7"}}).encode()
    assert (found := detect(b"x", "string", raw)) and (found.framework, found.user) == (
        "express", "7",
    )  # fmt: skip
    # @fastify/session with a fixed `expires` cookie writes originalExpires.
    fixed = {"originalMaxAge": None, "originalExpires": "2030-01-01T00:00:00.000Z",
             "expires": "2030-01-01T00:00:00.000Z", "path": "/"}  # fmt: skip
    raw = json.dumps({"cookie": dict(reversed(fixed.items())), "passport": {"id": 9}}).encode()
    assert (found := detect(b"x", "string", raw)) and (found.framework, found.user) == (
        "fastify", "9",
    )  # fmt: skip
    # koa needs both of its markers, as numbers.
    assert detect(b"x", "string", b'{"_expire": 1, "a": 1}') is None
    assert detect(b"x", "string", b'{"_expire": "1", "_maxAge": 2}') is None


def test_koa_and_fastify_edits_are_exact() -> None:
    for record in NODE:
        if record["expected"]["user"] is None:
            continue
        found = detect_record(record)
        raw = bytes.fromhex(record["value_hex"])
        path: list[str | int] = ["passport", "user"] if found.framework == "koa" else ["passport"]
        out = encode_edit(found, raw, path, "43")
        again = detect(bytes.fromhex(record["key_hex"]), "string", out)
        assert again is not None and (again.framework, again.user) == (found.framework, "43")
        assert out.replace(b'"43"', b'"42"', 1) == raw
