"""Symfony, PHP's msgpack handler, Rails' CacheStore and Spring's indexed repository, pure (no
server): every fixture record of these stores, as the real libraries wrote it, decodes to its
framework, user, session id and cookie with the pure codecs; Spring's bookkeeping keys are
never sessions and are named from the session they point at."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import zlib
from typing import Any

import pytest

from redis_tui.data import codecs
from redis_tui.data.codecs import ObjectValue, msgpack_codec, rails_cache
from redis_tui.data.sessions import detect, encode_edit, stores_jvm, stores_php, to_json
from redis_tui.data.sessions.model import EditRefused
from tests.unit.test_sessions_detect import RECORDS, RELATED, detect_record, record_id, value_of

STORES = {
    ("symfony", "sf_s"), ("symfony", "custom_prefix"), ("php", "msgpack"), ("rails", "cache"),
    ("rails", "cache-namespace"), ("spring", "jdk"), ("spring", "indexed"),
    ("spring", "indexed-namespace"),
}  # fmt: skip
NEW = [r for r in RECORDS if (r["framework"], r["variant"]) in STORES]


def test_every_store_and_variant_has_fixtures() -> None:
    assert {(r["framework"], r["variant"]) for r in NEW} == STORES
    # Each store also under a custom prefix / namespace, so detection is not by prefix.
    keys = [r["key"] for r in NEW]
    assert any(k.startswith("sf_s") for k in keys) and any(
        k.startswith("myapp:sess:") for k in keys
    )
    assert any(k.startswith("myapp:php:") for k in keys)
    assert any(k.startswith("_session_id:2::") for k in keys)
    assert any(k.startswith("myapp:cache:_session_id:") for k in keys)
    assert any(k.startswith("myapp:sessions:") for k in keys)


@pytest.mark.parametrize("record", NEW, ids=record_id)
def test_new_store_record_decodes_with_its_cookie(record: dict[str, Any]) -> None:
    found = detect_record(record)
    expected = record["expected"]
    assert (found.framework, found.user, found.error) == (
        record["framework"],
        expected["user"],
        None,
    )
    cookie = expected["cookie"]
    if record["framework"] == "spring":  # DefaultCookieSerializer: base64 of the id
        assert base64.b64decode(cookie).decode() == expected["session_id"] == found.session_id
    elif record["framework"] == "rails":  # the cookie's public id; the key has its sha256
        assert cookie == expected["session_id"]
        assert found.session_id == "2::" + hashlib.sha256(cookie.encode()).hexdigest()
    else:  # PHPSESSID holds the id
        assert cookie == expected["session_id"] == found.session_id
    json.dumps(to_json(found))


@pytest.mark.parametrize("record", NEW, ids=record_id)
def test_found_by_payload_without_any_prefix(record: dict[str, Any]) -> None:
    """A bare id as the key: the payload alone names the store (empty PHP/Rails sessions
    excepted: nothing in them says whose they are)."""
    found = detect(record["expected"]["session_id"].encode(), record["type"], value_of(record),
                   assume_session=True)  # fmt: skip
    assert found is not None
    if found.data or record["framework"] in ("symfony", "spring"):
        assert (found.framework, found.user) == (record["framework"], record["expected"]["user"])


def by(framework: str, variant: str, user: str | None) -> dict[str, Any]:
    return next(
        r for r in NEW
        if (r["framework"], r["variant"], r["expected"]["user"]) == (framework, variant, user)
    )  # fmt: skip


def test_symfony_bags_meta_flashes_and_token_user() -> None:
    found = detect_record(by("symfony", "sf_s", "zoë"))
    assert found.format == "php_session" and found.writable
    assert set(found.data) == {"_sf2_attributes", "_symfony_flashes", "_sf2_meta"}
    attrs = found.data["_sf2_attributes"]
    assert attrs["user_id"] == 42  # the app's own id: the security token's user wins
    assert attrs["logged_in_at"] == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, dt.UTC)
    assert found.data["_symfony_flashes"] == {
        "notice": {0: "Welcome back, Zoë 👋", 1: "2 items in your cart"}
    }
    meta = found.data["_sf2_meta"]
    assert found.created_at == dt.datetime.fromtimestamp(meta["c"], dt.UTC)
    assert found.last_access_at == dt.datetime.fromtimestamp(meta["u"], dt.UTC)
    assert meta["l"] == 0 and found.payload_expires_at is None  # a browser-session cookie
    # The serialized UsernamePasswordToken, decoded by the pure PHP parser.
    token = codecs.decode(attrs["_security_main"].encode()).value
    assert token.class_name.endswith("UsernamePasswordToken")
    assert stores_php.symfony_user(attrs) == "zoë"
    # Configured user paths come before the convention.
    assert detect_record(by("symfony", "sf_s", "zoë"), user_paths=["user_id"]).user == "42"
    # An edit inside a bag is written back exactly, in PHP's session format.
    raw = bytes.fromhex(by("symfony", "sf_s", "zoë")["value_hex"])
    out = encode_edit(found, raw, ["_sf2_attributes", "user_id"], 7)
    assert b's:7:"user_id";i:7;' in out and out.startswith(b"_sf2_attributes|")
    only_flash = detect_record(by("symfony", "custom_prefix", None))
    assert only_flash.session_id == by("symfony", "custom_prefix", None)["expected"]["session_id"]


def test_symfony_is_not_claimed_from_the_sf_s_prefix_alone() -> None:
    assert detect(b"sf_settings", "string", b'{"a": 1}') is None
    assert detect(b"sf_sabc", "string", b"user_id|i:1;") is None  # PHP, but no Symfony bag


def test_php_msgpack_objects_and_dates() -> None:
    record = next(r for r in NEW if r["key"] == "PHPREDIS_SESSION:fixture-msgpack-login")
    found = detect_record(record)
    assert found.format == "php_msgpack" and found.framework == "php" and found.user == "42"
    assert found.data["user"] == ObjectValue(
        "App\\Models\\User", {"id": 42, "email": "zoë@example.jp", "roles": ["admin", "editor"]}
    )  # public, protected and private properties, unmangled
    assert found.data["logged_in_at"] == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, dt.UTC)
    assert found.data["expires"].utcoffset() == dt.timedelta(hours=9)
    assert found.data["prefs"].class_name == "stdClass"
    assert found.data["sparse"] == {3: "three", 10: "ten", "k": -7}
    assert not found.writable and found.refusal
    with pytest.raises(EditRefused):
        encode_edit(found, bytes.fromhex(record["value_hex"]), ["user_id"], 1)
    empty = detect_record(next(r for r in NEW if r["key"].endswith("fixture-msgpack-empty")))
    assert (empty.framework, empty.format, empty.data) == ("php", "php_msgpack", {})
    # Flask-Session's msgpack (no PHP marker) stays Flask's.
    flask = next(r for r in RECORDS if r["framework"] == "flask" and r["variant"] == "msgpack")
    assert detect_record(flask).format == "msgpack"


def test_php_msgpack_hostile_input_is_an_error() -> None:
    raw = bytes.fromhex(by("php", "msgpack", "42")["value_hex"])
    for cut in (3, len(raw) // 2, len(raw) - 1):
        with pytest.raises(codecs.CodecError):
            msgpack_codec.parse_php(raw[:cut])
    found = detect(b"PHPREDIS_SESSION:x", "string", raw[: len(raw) // 2])
    assert found is not None and found.error


def test_rails_cache_entries_small_and_compressed() -> None:
    small = detect_record(by("rails", "cache", "42"))
    assert small.layers == ("rails_cache_entry",)
    assert small.data["warden.user.user.key"][0] == [42]
    assert small.data["flash"]["flashes"] == {"notice": "Welcome back, Zoë 👋"}
    assert small.payload_expires_at == small.last_access_at + dt.timedelta(hours=2)
    assert type(small.data) is dict
    entries = [detect_record(r) for r in NEW if r["variant"].startswith("cache")]
    compressed = [s for s in entries if "zlib" in s.layers]
    assert len(compressed) == 2  # over compress_threshold, one per cache namespace
    for session in compressed:
        assert session.layers == ("rails_cache_entry", "zlib")
        assert session.user == "42" and len(session.data["cart"]) == 40
        assert session.data["roles"] == ["admin", "editor"]
    empty = [s for s in entries if not s.data]
    assert len(empty) == 2 and all(s.framework == "rails" and s.user is None for s in empty)


def test_rails_cache_entry_bomb_and_garbage() -> None:
    entry = codecs.decode(bytes.fromhex(by("rails", "cache", "42")["value_hex"])).value
    bomb = ObjectValue(entry.class_name, {**entry.fields, "compressed": True,
                                          "value": zlib.compress(b"\0" * (20 << 20))})  # fmt: skip
    with pytest.raises(codecs.CodecError):
        rails_cache.unwrap_entry(bomb, 1 << 20)
    garbage = ObjectValue(entry.class_name, {**entry.fields, "compressed": True, "value": b"xx"})
    with pytest.raises(codecs.CodecError):
        rails_cache.unwrap_entry(garbage, 1 << 20)
    assert rails_cache.unwrap_entry(ObjectValue("Other", {"value": 1}), 1 << 20) is None


def test_spring_security_context_principal_and_types() -> None:
    found = detect_record(by("spring", "indexed", "zoë"))
    context = found.data["SPRING_SECURITY_CONTEXT"]
    assert context.class_name == "org.springframework.security.core.context.SecurityContextImpl"
    auth = context.fields["authentication"]
    principal = auth.fields["principal"]
    assert principal.fields["username"] == "zoë" and principal.fields["password"] is None
    # TreeSet(AuthorityComparator) inside an unmodifiable set: the comparator is not an element.
    roles = [a.fields["role"] for a in principal.fields["authorities"]]
    assert roles == ["ROLE_ADMIN", "ROLE_USER"]
    assert found.data["userId"] == 42 and found.data["total"] == 40.48
    assert found.data["cart"][0]["tags"] == ["sale", "日本語"] and found.data["mood"] == "🎉"
    assert found.data["loggedInAt"] == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, dt.UTC)
    assert found.data["user"].class_name == "org.example.User"
    assert stores_jvm.principal_name(found.data) == "zoë"
    # Configured user paths come first; the default ones start with the principal.
    assert detect_record(by("spring", "indexed", "zoë"), user_paths=["userId"]).user == "42"
    named = detect_record(by("spring", "indexed", "ann"))
    assert stores_jvm.PRINCIPAL_NAME_INDEX_NAME in named.data and named.user == "ann"


def test_spring_bookkeeping_keys_are_not_sessions() -> None:
    assert {r["expected"]["what"] for r in RELATED} == {
        "expires marker", "principal index", "expirations",
    }  # fmt: skip
    for record in RELATED:
        key = bytes.fromhex(record["key_hex"])
        if record["type"] == "string":
            assert record["value_hex"] == ""
            assert stores_jvm.not_a_session(key, b"")
            for assume in (False, True):
                assert detect(key, "string", b"", assume_session=assume) is None
        else:
            assert detect(key, record["type"], b"", assume_session=True) is None
    assert not stores_jvm.not_a_session(b"myapp:sessions:expires:abc", b"x")


def test_spring_related_probes_name_the_generated_keys() -> None:
    """The keys :func:`stores_jvm.fill_related` asks about are exactly those the repository
    wrote for the session, with the members it wrote (JDK-serialized strings)."""
    written: dict[bytes, tuple[str, set[bytes]]] = {}
    for record in RELATED:
        members = {bytes.fromhex(m) for m in record.get("members_hex", [])}
        written[bytes.fromhex(record["key_hex"])] = (record["expected"]["what"], members)
    for record in NEW:
        if record["variant"] not in ("indexed", "indexed-namespace"):
            continue
        session = detect_record(record)
        probes = stores_jvm.related_probes(session)
        expected = {k for r in RELATED for k in [bytes.fromhex(r["key_hex"])]
                    if record["key"] in r["expected"]["related_to"]}  # fmt: skip
        assert {key for _c, key, _m, _w in probes} == expected, record_id(record)
        for command, key, member, _what in probes:
            if command == "SISMEMBER":
                assert member in written[key][1]


def test_jdk_string_matches_object_output_stream() -> None:
    member = bytes.fromhex(next(r for r in RELATED if r["type"] == "set")["members_hex"][0])
    assert codecs.decode(member).format == "java"
    text = codecs.decode(member).value
    assert stores_jvm.jdk_string(text) == member
    assert codecs.decode(stores_jvm.jdk_string("a\0🎉ü") or b"").value == "a\0🎉ü"
