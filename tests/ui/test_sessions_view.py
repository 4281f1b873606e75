"""The session inspector driven by keys, on sessions written by the real frameworks."""

from __future__ import annotations

import json
from typing import Any

import redis
from textual.widgets import Input

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.demo.simulator import seed_sessions_from_fixtures
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import PromptScreen

from .helpers import dialog_shown, wait_for

SIZE = (160, 45)


def notified(app: RedisTuiApp, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def open_sessions(pilot: Any, app: RedisTuiApp, minimum: int) -> None:
    await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")
    await pilot.press("4")
    pane = app.browser.session_pane
    await wait_for(pilot, lambda: not pane.scanning and len(pane.sessions) >= minimum, timeout=20)


def select(app: RedisTuiApp, predicate: Any) -> Any:
    pane = app.browser.session_pane
    for row, item in enumerate(pane.rows):
        if isinstance(item, int) and predicate(pane.sessions[item]):
            pane.list.cursor = row
            return pane.sessions[item]
    raise AssertionError("no such session")


async def test_every_framework_is_listed_and_opens(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=1)
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 40)
        pane = app.browser.session_pane
        frameworks = {s.framework for s in pane.sessions}
        assert {
            "express",
            "flask",
            "django",
            "php",
            "rails",
            "laravel",
            "starlette",
            "aiohttp",
            "spring",
        } <= frameworks
        header = str(pane.header.content)
        assert "sessions" in header and "users" in header
        for framework in ("express", "rails", "spring", "php"):
            session = select(app, lambda s, f=framework: s.framework == f and s.user)
            await pilot.pause()
            detail = str(pane.detail.content)
            assert framework in detail and f"user {session.user}" in detail
            assert pane.attrs.root.children  # the decoded tree
        # Group by user, then open one user's sessions.
        await pilot.press("U")
        assert all(isinstance(r, tuple) for r in pane.rows)
        pane.list.cursor = next(i for i, (user, _n) in enumerate(pane.rows) if user)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not pane.grouped and pane.filter_text.startswith("user:"))


async def test_revoke_extend_and_expiry_show_live(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=1)
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 40)
        pane = app.browser.session_pane
        victim = select(app, lambda s: s.framework == "express" and s.user)
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not client.exists(victim.key))
        await wait_for(pilot, lambda: victim.key in pane.gone)
        # Extend another one.
        other = select(app, lambda s: s.framework == "flask" and s.key not in pane.gone)
        await pilot.pause()
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "3d"
        await pilot.press("enter")
        await wait_for(pilot, lambda: client.ttl(other.key) > 2 * 86400)
        # Someone else deletes the selected session: the inspector says so.
        watched = select(app, lambda s: s.framework == "rails" and s.key not in pane.gone)
        await pilot.pause(0.5)
        client.delete(watched.key)
        await wait_for(pilot, lambda: watched.key in pane.gone)
        await wait_for(
            pilot,
            lambda: "gone" in str(pane.detail.content) or "revoked" in str(pane.detail.content),
        )


async def test_revoke_every_session_of_a_user_previews_first(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=3)
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 60)
        pane = app.browser.session_pane
        target = select(
            app,
            lambda s: s.user is not None and sum(1 for x in pane.sessions if x.user == s.user) >= 2,
        )
        user = target.user
        theirs = {s.key for s in pane.sessions if s.user == user}
        await pilot.pause()
        await pilot.press("D")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        assert f"{len(theirs)}" in str(app.screen.body)
        await pilot.press("y")
        await wait_for(pilot, lambda: not any(client.exists(k) for k in theirs))
        others = [s.key for s in pane.sessions if s.user != user]
        assert all(client.exists(k) for k in others[:20])


async def test_edit_an_attribute_of_a_json_session(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("sess:abc", json.dumps({"cookie": {"originalMaxAge": 1000, "httpOnly": True, "path": "/"},
                                        "passport": {"user": "42"}, "cart": 1}), ex=600)  # fmt: skip
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 1)
        pane = app.browser.session_pane
        select(app, lambda s: s.key == b"sess:abc")
        await pilot.pause()
        tree = pane.attrs
        node = next(n for n in tree.root.children if n.data == ("cart",))
        tree.focus()
        tree.move_cursor(node)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "3"
        await pilot.press("enter")
        await wait_for(pilot, lambda: json.loads(client.get("sess:abc"))["cart"] == 3)
        assert 0 < client.ttl("sess:abc") <= 600


async def test_symfony_php_msgpack_rails_cache_and_spring_indexed_open(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    """One session of each store added for #10 is listed and opens with its user and tree."""
    seed_sessions_from_fixtures(client, copies=0)
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 40)
        pane = app.browser.session_pane
        stores = {
            "symfony": lambda s: s.framework == "symfony" and s.user == "zoë",
            "php msgpack": lambda s: s.format == "php_msgpack" and s.user == "42",
            "rails cache": lambda s: "rails_cache_entry" in s.layers and "zlib" in s.layers,
            "spring indexed": lambda s: s.framework == "spring" and bool(s.related) and s.user,
        }
        for name, predicate in stores.items():
            session = select(app, predicate)
            await pilot.pause()
            detail = str(pane.detail.content)
            assert session.framework in detail and f"user {session.user}" in detail, name
            assert pane.attrs.root.children, name  # the decoded tree
            if session.related:  # Spring's expires marker and buckets name the session
                assert "expires marker: " in detail and ":expires:" in detail
        # Spring's bookkeeping keys are not rows.
        assert not any(b":sessions:expires:" in s.key or b":index:" in s.key for s in pane.sessions)
