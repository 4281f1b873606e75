"""Discovery's grouping and the shape rule of the ``unknown`` store (pure)."""

from __future__ import annotations

import pytest

from redis_tui.data.sessions import detect
from redis_tui.data.sessions.grouping import Router
from redis_tui.data.sessions.stores_generic import categories, looks_like_session


@pytest.mark.parametrize(
    ("key", "group"),
    [
        (b"sess:abc", b"sess:"),
        (b"myapp:sess:Xy12", b"myapp:sess:"),
        (b"user:42:profile", b"user:*:"),
        (b"user:deadbeefcafe:profile", b"user:*:"),
        (b"t:0c2f6c5e-8a5b-4f0e-9d57-3f1b4f2a9c11:x", b"t:*:"),
        (b"session:2::9e1608fea731b364", b"session:*::"),
        (b"0c2f6c5e-8a5b-4f0e-9d57-3f1b4f2a9c11", b"<uuid>"),
        (b"9e1608fea731b364f22fdd4b652dd34e", b"<hex>"),
        (b"RM7QwtFtUYTFA5-2ro7tF3635RPFVM4X", b"<token>"),
        (b"AIOHTTP_SESSION_8962006b47e24e63", b"AIOHTTP_"),
        (b"starsessions.25e1c09d2e75e3af", b"starsessions."),
        (b"config", b"<other>"),
    ],
)
def test_namespace_of(key: bytes, group: bytes) -> None:
    assert Router().namespace_of(key) == group


def test_globs_name_the_group() -> None:
    router = Router()
    assert router.glob(b"myapp:sess:") == b"myapp:sess:*"
    assert router.glob(b"user:*:") == b"user:*:*"
    assert router.glob(b"a[1]:") == rb"a\[1\]:*"


@pytest.mark.parametrize(
    "value",
    [
        {"uid": 7, "expiresAt": 1},
        {"_csrf": "x"},
        {"flash": {"notice": "saved"}},
        {"isAuthenticated": True},
        {"data": {"user_id": 3}, "last_activity": 5},
        {"user_id": 3, "roles": ["admin"], "logged_in_at": 5},
    ],
)
def test_session_shapes(value: dict[str, object]) -> None:
    assert looks_like_session(value)


@pytest.mark.parametrize(
    "value",
    [
        {"id": 1, "username": "ann", "email": "a@example.com"},  # a cached profile: only "who"
        # A cached user record with its roles and dates is still a profile, not a session.
        {
            "id": 52,
            "name": "Olivia",
            "email": "o@example.com",
            "roles": ["user"],
            "created_at": "2025-11-22T13:33:55Z",
            "prefs": {"theme": "dark"},
        },
        {"author": "ann", "title": "Hello"},  # "author" is not "auth"
        {"sku": "A-1", "price": 2.5},
        {},
        [1, 2],
        "text",
    ],
)
def test_not_session_shapes(value: object) -> None:
    assert not looks_like_session(value)


def test_categories_fold_names() -> None:
    assert categories("csrfToken") == categories("CSRF-Token") == {"csrf"}
    assert "who" in categories("accountId") and "when" in categories("expires_at")


def test_unknown_json_session_has_user_and_expiry() -> None:
    raw = b'{"member_id": 12, "expiry": "2031-01-02T00:00:00Z", "_token": "t"}'
    found = detect(b"x:y:abc", "string", raw)
    assert found is not None and found.framework == "unknown" and found.format == "json"
    assert found.user == "12" and found.expires_at is not None
    assert found.expires_at.year == 2031 and found.session_id == "abc"
    assert detect(b"x:y:abc", "string", b'{"sku": 1}') is None


def test_parse_cookie_forms() -> None:
    from redis_tui.data.sessions.cookie import parse_cookie

    (express,) = [g for g in parse_cookie("connect.sid=s%3Aabc123XYZ.sig+/x") if g.keys]
    assert express.store == "express" and express.session_id == "abc123XYZ"
    assert express.keys == (b"sess:abc123XYZ",)
    rails = [g for g in parse_cookie("_shop_session=0123456789abcdef0123456789abcdef")]
    assert rails[0].store == "rails" and rails[0].keys[0].startswith(b"session:2::")
    spring = [g for g in parse_cookie("SESSION=MzQ1YmRhMjYtM2MwNi00NjE5LWJhYmUtMTIxMDJjNjcyODE2")]
    assert spring[0].session_id == "345bda26-3c06-4619-babe-12102c672816"
    assert spring[0].keys == (b"spring:session:sessions:345bda26-3c06-4619-babe-12102c672816",)
    php = parse_cookie("Cookie: _ga=GA1.1; PHPSESSID=abcdef1234")
    assert [(g.store, g.session_id) for g in php] == [
        ("php", "abcdef1234"),
        ("symfony", "abcdef1234"),
    ]
    assert parse_cookie("MzQ1YmRhMjYtM2MwNi00NjE5LWJhYmUtMTIxMDJjNjcyODE2==")  # a bare value
    (client_side,) = parse_cookie("session=eyJfZnJlc2giOmZhbHNlfQ.ZmZmZg.c2lnbmF0dXJl")
    assert "client-side" in client_side.note
