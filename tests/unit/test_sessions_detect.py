"""Session detection, decoding and exact re-encoding, pure (no server): every real-framework
fixture record, colliding prefixes, hostile payloads."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import msgpack
import pytest

from redis_tui.data import sessions
from redis_tui.data.codecs import php
from redis_tui.data.sessions import Session, detect, encode_edit, find_user, to_json
from redis_tui.data.sessions.hints import framework_hint
from redis_tui.demo import simulator

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sessions"
PACKAGED = Path(simulator.__file__).parent / "sessions"


def records() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(FIXTURES.glob("*.json")):
        out.extend(json.loads(path.read_text(encoding="utf-8")))
    return out


ALL_RECORDS = records()
# Keys a store keeps beside its sessions (Spring's index keys) are records too, not sessions.
RECORDS = [r for r in ALL_RECORDS if r["expected"].get("session", True)]
RELATED = [r for r in ALL_RECORDS if not r["expected"].get("session", True)]


def record_id(record: dict[str, Any]) -> str:
    return f"{record['framework']}-{record['variant']}-{record['expected']['session_id'][:12]}"


def value_of(record: dict[str, Any]) -> bytes | dict[bytes, bytes]:
    if record["type"] == "hash":
        return {bytes.fromhex(k): bytes.fromhex(v) for k, v in record["hash_hex"].items()}
    return bytes.fromhex(record["value_hex"])


def expected_id(record: dict[str, Any]) -> str:
    sid: str = record["expected"]["session_id"]
    if record["framework"] == "rails":
        # The key holds Rack's private id: "2::" + sha256 of the cookie's public id.
        return "2::" + hashlib.sha256(sid.encode()).hexdigest()
    return sid


def detect_record(record: dict[str, Any], **kwargs: Any) -> Session:
    found = detect(
        bytes.fromhex(record["key_hex"]), record["type"], value_of(record),
        ttl_ms=record["ttl_ms"], **kwargs,
    )  # fmt: skip
    assert found is not None, record_id(record)
    return found


def walk(value: Any) -> list[Any]:
    out: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        out.append(item)
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "fields"):
            stack.extend(item.fields.values())
    return out


def test_every_framework_has_fixtures() -> None:
    assert {r["framework"] for r in RECORDS} == set(sessions.FRAMEWORKS)


def test_packaged_demo_fixtures_match_the_committed_ones() -> None:
    for path in FIXTURES.glob("*.json"):
        assert (PACKAGED / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("record", RECORDS, ids=record_id)
def test_fixture_detected(record: dict[str, Any]) -> None:
    found = detect_record(record)
    assert found.framework == record["framework"]
    assert found.session_id == expected_id(record)
    assert found.user == record["expected"]["user"]
    assert found.error is None
    assert found.ttl_ms == record["ttl_ms"]
    assert isinstance(found.data, dict)
    out = to_json(found)
    json.dumps(out)  # JSON-safe
    assert out["framework"] == record["framework"]
    assert out["key"] == record["key"]


@pytest.mark.parametrize("record", RECORDS, ids=record_id)
def test_fixture_detected_by_payload_under_a_custom_prefix(record: dict[str, Any]) -> None:
    """Prefixes are configurable: the payload alone names the framework wherever it can."""
    key = b"myapp:" + bytes.fromhex(record["key_hex"]).replace(b":", b"/")
    found = detect(key, record["type"], value_of(record), assume_session=True)
    assert found is not None
    by_payload_only = {"php", "rails"}  # php_serialize/igbinary/empty, Marshal without markers
    if found.framework != record["framework"]:
        assert record["framework"] in by_payload_only or found.framework == "unknown", (
            record_id(record),
            found.framework,
        )
    else:
        assert found.user == record["expected"]["user"]


@pytest.mark.parametrize("record", RECORDS, ids=record_id)
def test_writable_fixtures_re_encode_exactly(record: dict[str, Any]) -> None:
    found = detect_record(record)
    if found.writable:
        raw = bytes.fromhex(record["value_hex"])
        assert found.format in sessions.WRITABLE_FORMATS
        # Setting an attribute to the value it has is the identity, byte for byte.
        assert sessions.reencode(found, raw) == raw
        name = next(iter(found.data), None)
        if name is not None:
            assert encode_edit(found, raw, [name], _raw_attr(found, raw, name)) == raw
    else:
        assert found.refusal


def _raw_attr(found: Session, raw: bytes, name: Any) -> Any:
    value = sessions.decode_exact(found.format, found.layers, raw)
    for step in found.root:
        value = value[step]
    return value[name]


def test_which_fixture_formats_are_writable() -> None:
    writable = {(r["framework"], r["variant"]) for r in RECORDS if detect_record(r).writable}
    for pair in [
        ("express", "json"), ("flask", "msgpack"), ("flask", "json"), ("starlette", "json"),
        ("aiohttp", "json"), ("rails", "json"), ("laravel", "php_serialize_nested"),
        ("php", "php_serialize"), ("php", "php"), ("php", "php_binary"),
    ]:  # fmt: skip
        assert pair in writable
    for pair in [("django", "pickle"), ("flask", "pickle"), ("rails", "marshal"),
                 ("php", "igbinary"), ("spring", "jdk")]:  # fmt: skip
        assert pair not in writable


def by(framework: str, variant: str, user: str | None = "42") -> dict[str, Any]:
    return next(
        r for r in RECORDS
        if r["framework"] == framework and r["variant"] == variant
        and r["expected"]["user"] == user
    )  # fmt: skip


def test_datetimes_decode() -> None:
    flask = detect_record(by("flask", "msgpack"))
    assert isinstance(flask.data["logged_in_at"], dt.datetime)
    assert flask.data["logged_in_at"].tzinfo is not None
    django = detect_record(by("django", "pickle"))
    assert django.data["logged_in_at"] == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, dt.UTC)
    rails = detect_record(by("rails", "marshal"))
    assert isinstance(rails.data["logged_in_at"], dt.datetime)
    php_login = detect_record(by("php", "php"))
    assert php_login.data["logged_in_at"] == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, dt.UTC)
    tokyo = php_login.data["expires"]
    assert isinstance(tokyo, dt.datetime) and tokyo.utcoffset() == dt.timedelta(hours=9)
    laravel = detect_record(by("laravel", "php_serialize_nested"))
    assert isinstance(laravel.data["logged_in_at"], dt.datetime)
    spring = detect_record(by("spring", "jdk", "zoë"))
    assert spring.data["loggedInAt"] == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, dt.UTC)
    assert isinstance(spring.data["user"].fields["lastLogin"], dt.datetime)
    assert spring.created_at is not None and spring.last_access_at is not None
    assert spring.payload_expires_at == spring.last_access_at + dt.timedelta(seconds=1800)
    starlette = detect_record(by("starlette", "json"))
    assert starlette.created_at is not None and starlette.payload_expires_at is not None
    aiohttp = detect_record(by("aiohttp", "json"))
    assert aiohttp.created_at == dt.datetime.fromtimestamp(1795687843, dt.UTC)
    assert aiohttp.root == ("session",) and "created" not in aiohttp.data
    express = detect_record(by("express", "json"))
    # The cookie's own expiry is kept; the key's TTL decides expires_at (none given here).
    assert express.payload_expires_at == dt.datetime(2026, 11, 26, 11, 10, 41, 833000, dt.UTC)
    # Every decoded datetime renders as ISO text in the headless output.
    for record in RECORDS:
        json.dumps(to_json(detect_record(record)))


def test_nested_encodings_unwrapped() -> None:
    laravel = detect_record(by("laravel", "php_serialize_nested"))
    assert laravel.layers == ("php_string",)
    assert laravel.data["_token"]
    django = detect_record(by("django", "pickle"))
    assert django.data["_messages"][0] == {
        "level": 25, "message": "Welcome back, Zoë 👋", "extra_tags": "",
    }  # fmt: skip


def test_prefix_collision_is_resolved_by_the_payload() -> None:
    rails = by("rails", "marshal")
    raw = bytes.fromhex(rails["value_hex"])
    flask_like_key = b"session:abc"  # Flask-Session's prefix, Rails' Marshal payload
    found = detect(flask_like_key, "string", raw)
    assert found is not None and found.framework == "rails" and found.user == "42"
    flask = by("flask", "msgpack")
    found = detect(b"session:2::" + b"0" * 64, "string", bytes.fromhex(flask["value_hex"]))
    assert found is not None and found.framework == "flask"


def test_not_a_session_is_none_and_hint_without_payload_is_an_error() -> None:
    assert detect(b"cache:user:1", "string", b'{"id": 1}') is None
    assert detect(b"cache:x", "string", b"\x80\x04K\x01.") is None
    assert detect(b"sess:x", "list", b"") is None
    broken = detect(b"sess:abc", "string", b'{"cookie": ')
    assert broken is not None and broken.framework == "express"
    assert broken.error and broken.data == '{"cookie": '
    assert not broken.writable
    unknown = detect(b"x:1", "string", b'{"a": 1}', assume_session=True)
    assert unknown is not None and unknown.framework == "unknown"


def test_user_paths_are_configurable() -> None:
    data = {"account": {"owner": {"login": "ann"}}, "user_id": 7}
    assert find_user(data) == "7"
    assert find_user(data, ["account.owner.login"]) == "ann"
    assert find_user({"warden.user.admin.key": [[3], "salt"]}) == "3"
    assert find_user({"login_web_abc": 9}) == "9"
    assert find_user({"passport": {}}) is None
    raw = json.dumps({"cookie": {"path": "/"}, "me": {"id": 5}}).encode()
    found = detect(b"sess:1", "string", raw, user_paths=["me"])
    assert found is not None and found.user == "5"


def test_ttl_gives_expires_at_when_the_payload_has_none() -> None:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    found = detect(b"sess:a", "string", b'{"cookie":{"path":"/"}}', ttl_ms=60_000, now=now)
    assert found is not None and found.expires_at == now + dt.timedelta(minutes=1)
    found = detect(b"sess:a", "string", b'{"cookie":{"path":"/"}}', ttl_ms=-1, now=now)
    assert found is not None and found.expires_at is None


# -------------------------------------------------------------------------- editing


def test_edit_json_keeps_the_writers_style() -> None:
    express = by("express", "json")
    raw = bytes.fromhex(express["value_hex"])
    found = detect_record(express)
    out = encode_edit(found, raw, ["passport", "user"], "7")
    assert out == raw.replace(b'"passport":{"user":"42"}', b'"passport":{"user":"7"}')
    aiohttp = by("aiohttp", "json")
    raw = bytes.fromhex(aiohttp["value_hex"])
    found = detect_record(aiohttp)
    out = encode_edit(found, raw, ["user_id"], "8")
    assert json.loads(out)["session"]["user_id"] == "8"
    assert b'"user_id": "8"' in out  # Python's json.dumps style, as aiohttp-session writes
    removed = encode_edit(found, raw, ["flash"], None, delete=True)
    assert "flash" not in json.loads(removed)["session"]


def test_edit_msgpack_and_php() -> None:
    flask = by("flask", "msgpack")
    raw = bytes.fromhex(flask["value_hex"])
    out = encode_edit(detect_record(flask), raw, ["_user_id"], "9")
    assert msgpack.unpackb(out, timestamp=3)["_user_id"] == "9"
    laravel = by("laravel", "php_serialize_nested")
    raw = bytes.fromhex(laravel["value_hex"])
    found = detect_record(laravel)
    out = encode_edit(found, raw, ["cart", "0", "qty"], 5)
    inner = php.parse(php.parse(out).encode())
    assert inner["cart"][0]["qty"] == 5
    anon = by("php", "php", None)
    raw = bytes.fromhex(anon["value_hex"])
    out = encode_edit(detect_record(anon), raw, ["ok"], True)
    assert out.endswith(b"ok|b:1;")
    binary = by("php", "php_binary", None)
    raw = bytes.fromhex(binary["value_hex"])
    out = encode_edit(detect_record(binary), raw, ["ok"], True)
    assert out.endswith(b"\x02okb:1;")


def test_edit_refused_with_a_reason() -> None:
    for record in (by("django", "pickle"), by("rails", "marshal"), by("php", "igbinary"),
                   by("spring", "jdk", "zoë"), by("php", "php_serialize")):  # fmt: skip
        found = detect_record(record)
        assert not found.writable and found.refusal
        with pytest.raises(sessions.EditRefused, match="Cannot edit"):
            encode_edit(found, b"", ["x"], 1)
    express = by("express", "json")
    found = detect_record(express)
    raw = bytes.fromhex(express["value_hex"])
    with pytest.raises(sessions.EditRefused):
        encode_edit(found, raw, ["nope", "deeper"], 1)
    with pytest.raises(sessions.EditRefused, match="Cannot store"):
        encode_edit(found, raw, ["x"], {1, 2})  # a set is not JSON
    with pytest.raises(sessions.EditRefused):
        encode_edit(found, raw, [], 1)


# -------------------------------------------------------------------------- hostile input


class Boom:
    """Pickled as ``builtins.open(path, "w")``: loading it would create the file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


class Shell:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        import os

        return (os.system, (f"touch {self.path}",))


def test_malicious_pickle_is_never_executed(tmp_path: Path) -> None:
    targets = [tmp_path / "opened", tmp_path / "touched"]
    payloads = [
        pickle.dumps({"_auth_user_id": "1", "x": Boom(str(targets[0]))}),
        pickle.dumps({"_user_id": "1", "x": Shell(str(targets[1]))}, protocol=0),
        pickle.dumps(Shell(str(targets[1]))),
    ]
    for raw in payloads:
        for key in (b":1:django.contrib.sessions.cacheabc", b"session:abc", b"other"):
            found = detect(key, "string", raw, assume_session=True)
            assert found is not None
            json.dumps(to_json(found))
    assert not any(t.exists() for t in targets)


@pytest.mark.parametrize("record", RECORDS, ids=record_id)
def test_truncated_and_corrupt_payloads_never_raise(record: dict[str, Any]) -> None:
    key = bytes.fromhex(record["key_hex"])
    value = value_of(record)
    if isinstance(value, dict):
        for cut in (1, 5, 20):
            mangled = {k: v[: max(0, len(v) - cut)] for k, v in value.items()}
            found = detect(key, "hash", mangled)
            assert found is not None and found.framework == "spring"
            json.dumps(to_json(found))
        return
    variants = [value[:n] for n in (1, 2, 5, len(value) // 2, len(value) - 1)]
    variants += [value[:-3] + b"\xff\xfe\x00", bytes(b ^ 0x5A for b in value[:64])]
    for raw in variants:
        found = detect(key, "string", raw)
        if record["framework"] in ("laravel", "symfony") or framework_hint(key) is None:
            # A cache-wide prefix (Laravel), a weak one (Symfony's sf_s) or a custom one: a
            # broken value is not claimed.
            assert found is None or found.framework == record["framework"]
            continue
        assert found is not None  # the key names a framework: shown with the reason
        json.dumps(to_json(found))
        if found.error is None:
            assert found.data is not None


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep_json = b'{"cookie":{"path":"/"},"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    found = detect(b"sess:deep", "string", deep_json)
    assert found is not None and found.error and "nest" in found.error
    deep_php = b"a:1:{i:0;" * 5000 + b"N;" + b"}" * 5000
    found = detect(b"PHPREDIS_SESSION:deep", "string", deep_php)
    assert found is not None and found.error
    deep_msgpack = b"\x91" * 100_000 + b"\xc0"
    found = detect(b"session:deep", "string", deep_msgpack)
    assert found is not None and found.error


def test_ten_megabyte_session() -> None:
    body = {"cookie": {"path": "/"}, "passport": {"user": "3"}, "blob": "x" * (10 * 1024 * 1024)}
    raw = json.dumps(body, separators=(",", ":")).encode()
    capped = detect(b"sess:big", "string", raw)
    assert capped is not None
    assert capped.error == f"too large to decode ({len(raw)} bytes)"
    assert capped.framework == "express" and not capped.writable and capped.size == len(raw)
    found = detect(b"sess:big", "string", raw, max_bytes=64 * 1024 * 1024)
    assert found is not None and found.error is None and found.user == "3"
