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


PY = [r for r in RECORDS if r["variant"].startswith(("django-redis-", "cachelib"))]
# variant: (format, layers) of a session above the compressor's min_length
FORMS = {
    "django-redis-json": ("json", ()), "django-redis-msgpack": ("msgpack", ()),
    "django-redis-zlib": ("pickle", ("zlib",)), "django-redis-lzma": ("pickle", ("lzma",)),
    "django-redis-lz4": ("pickle", ("lz4",)), "django-redis-zstd": ("json", ("zstd",)),
    "cachelib": ("pickle", ("cachelib",)), "cachelib-prefixed": ("pickle", ("cachelib",)),
}  # fmt: skip


def test_python_stores_have_fixtures() -> None:
    assert {r["variant"] for r in PY} == set(FORMS)
    assert {r["framework"] for r in PY} == {"django", "flask"}
    assert any(r["key"].startswith("myapp:1:django.contrib.sessions.cache") for r in PY)
    assert any(r["key"].startswith("myapp:session:") for r in PY)


@pytest.mark.parametrize("record", PY, ids=record_id)
def test_python_record_decodes_with_its_cookie(record: dict[str, Any]) -> None:
    found = detect_record(record)
    expected = record["expected"]
    assert (found.framework, found.user, found.error) == (
        record["framework"], expected["user"], None,
    )  # fmt: skip
    assert found.session_id == expected["session_id"] == expected["cookie"]
    assert found.ttl_ms == record["ttl_ms"] > 0
    fmt, layers = FORMS[record["variant"]]
    codec_layers = tuple(layer for layer in found.layers if ":" not in layer)
    if found.data:
        assert (found.format, codec_layers) == (fmt, layers)
    else:  # below django-redis' min_length: not compressed
        assert found.format == fmt and codec_layers == (layers if layers == ("cachelib",) else ())
    # Compressed or wrapped values are not written back (no exact writer for the layer).
    assert found.writable == (fmt in ("json", "msgpack") and not codec_layers)
    json.dumps(to_json(found))


@pytest.mark.parametrize("record", PY, ids=record_id)
@pytest.mark.parametrize("prefix", [b"myapp:sessions:", b""])
def test_python_payloads_under_any_prefix(record: dict[str, Any], prefix: bytes) -> None:
    """Sessions that say whose store they are (auth keys, Django's expiry, Flask's
    ``_permanent``) are found under any key; an empty one only when the key is given."""
    key = prefix + record["expected"]["session_id"].encode()
    sniffed = detect(key, "string", value_of(record))
    given = detect(key, "string", value_of(record), assume_session=True)
    assert given is not None and given.error is None
    if detect_record(record).data:
        assert sniffed is not None
        assert sniffed.framework == record["framework"]
        assert sniffed.user == record["expected"]["user"]
    else:
        assert sniffed is None and given.framework == "unknown"


def test_django_redis_values() -> None:
    by_variant = {
        r["variant"]: detect_record(r)
        for r in PY if r["framework"] == "django" and r["expected"]["user"] == "42"
    }  # fmt: skip
    pickled = by_variant["django-redis-lzma"].data
    assert pickled["logged_in_at"] == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, dt.UTC)
    assert str(pickled["total"]) == "40.48"
    assert pickled["_messages"][0]["message"] == "Welcome back, Zoë 👋"
    as_json = by_variant["django-redis-zstd"].data  # DjangoJSONEncoder: ISO text, Decimal text
    assert as_json["logged_in_at"] == "2024-01-02T03:04:05.678Z" and as_json["total"] == "40.48"
    assert by_variant["django-redis-msgpack"].data["cart"][0]["tags"] == ["sale", "日本語"]
    for variant, found in by_variant.items():
        assert found.data["_auth_user_backend"].endswith("ModelBackend"), variant
    # An edit of a JSON session keeps Django's _messages string as it was stored.
    record = next(r for r in PY if r["variant"] == "django-redis-json" and r["expected"]["user"])
    raw = bytes.fromhex(record["value_hex"])
    out = encode_edit(detect_record(record), raw, ["lang"], "fr")
    assert json.loads(out)["_messages"] == json.loads(raw)["_messages"]


@pytest.mark.parametrize("layer", ["zlib", "lzma", "lz4", "zstd"])
def test_compressed_sessions_never_inflate_past_the_cap(layer: str) -> None:
    import lzma
    import pickle
    import zlib

    import lz4.frame
    import zstandard

    bomb_inner = pickle.dumps({"_auth_user_id": "1", "pad": "x" * (4 << 20)})
    compress = {
        "zlib": zlib.compress, "lzma": lzma.compress, "lz4": lz4.frame.compress,
        "zstd": zstandard.ZstdCompressor().compress,
    }[layer]  # fmt: skip
    bomb = compress(bomb_inner)
    assert len(bomb) < 64 << 10
    key = b":1:django.contrib.sessions.cachebomb"
    found = detect(key, "string", bomb)
    assert found is not None and found.error and "larger than" in found.error
    assert detect(b"bomb", "string", bomb) is None  # not a session by key, not decodable
    small = compress(pickle.dumps({"_auth_user_id": "1"}))
    found = detect(key, "string", small, max_bytes=1 << 10)
    assert found is not None and (found.user, found.layers[0]) == ("1", layer)


def test_cachelib_mark_and_hostile_pickles() -> None:
    from redis_tui.data.sessions import stores_py

    raw = bytes.fromhex(next(r for r in PY if r["variant"] == "cachelib")["value_hex"])
    assert raw[:1] == b"!" and stores_py.cachelib(raw) is not None
    assert stores_py.cachelib(raw[1:]) is None  # a plain pickle is the codecs' own
    assert stores_py.cachelib(b"!\x80\x09abc") is None and stores_py.cachelib(b"!hi") is None
    for cut in (4, len(raw) // 2, len(raw) - 1):
        found = detect(b"session:x", "string", raw[:cut])
        assert found is not None and found.error, cut
        assert detect(b"x", "string", raw[:cut]) is None
    # cachelib stores ints as ASCII digits: not a session.
    assert detect(b"myapp:counter", "string", b"42") is None
