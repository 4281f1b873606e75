"""An inspector you can trust (#10 §5), on sessions written by the real frameworks: what it
shows after its own writes, the filter, the cursor while rows arrive, the confirmations, and
undo of a revoke."""

from __future__ import annotations

from typing import Any

import redis
from rich.cells import cell_len
from textual.widgets import Input

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.sessions import Session
from redis_tui.data.values.display import escape_key
from redis_tui.demo.simulator import seed_sessions_from_fixtures
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import PromptScreen

from .helpers import dialog_shown, wait_for
from .test_sessions_view import notified, open_sessions, select

SIZE = (160, 45)


def header(app: RedisTuiApp) -> str:
    return str(app.browser.session_pane.header.content)


def detail(app: RedisTuiApp) -> str:
    return str(app.browser.session_pane.detail.content)


def tree_nodes(tree: Any) -> list[Any]:
    """Every node of the attribute tree, breadth first."""
    nodes, queue = [], list(tree.root.children)
    while queue:
        node = queue.pop(0)
        nodes.append(node)
        queue.extend(node.children)
    return nodes


async def filter_to(pilot: Any, app: RedisTuiApp, text: str) -> None:
    await pilot.press("slash")
    await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
    app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, PromptScreen))


async def test_detail_and_row_show_what_redis_holds_after_extend_and_edit(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=0)
    app = RedisTuiApp(settings, poll_interval=60)  # no poll: the refresh comes from the write
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 20)
        pane = app.browser.session_pane
        session = select(app, lambda s: s.writable and s.framework == "express" and s.ttl_ms > 0)
        await pilot.pause()
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "3d"
        await pilot.press("enter")
        await wait_for(pilot, lambda: client.ttl(session.key) > 2 * 86400)
        await wait_for(pilot, lambda: "TTL 2d 23h" in detail(app) or "TTL 3d" in detail(app))
        assert pane.ttl_now(pane.sessions[pane.by_key[session.key]]) > 2 * 86400 * 1000
        # Edit an attribute: the tree shows the new value without waiting for a poll.
        tree = pane.attrs
        node = next(
            n for n in tree_nodes(tree)
            if n.data and not n.children and all(isinstance(p, str) for p in n.data)
        )  # fmt: skip
        tree.focus()
        tree.move_cursor(node)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = '"edited-by-test"'
        await pilot.press("enter")
        await wait_for(pilot, lambda: b"edited-by-test" in (client.get(session.key) or b""))
        current = pane.sessions[pane.by_key[session.key]]
        await wait_for(pilot, lambda: current is not pane.sessions[pane.by_key[session.key]])
        assert any("edited-by-test" in str(n.label) for n in tree_nodes(pane.attrs))
        assert client.ttl(session.key) > 2 * 86400  # the edit kept the TTL


async def test_filter_combines_terms_counts_n_of_m_and_says_when_nothing_matches(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=1)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 40)
        pane = app.browser.session_pane
        total = len(pane.sessions)
        target: Session = next(s for s in pane.sessions if s.framework == "express" and s.user)
        expected = [s for s in pane.sessions if s.framework == "express" and s.user == target.user]
        await filter_to(pilot, app, f"framework:express user:{target.user}")
        assert len(pane.rows) == len(expected)
        assert f"{len(expected)} of {total:,} sessions" in header(app)
        # A free word narrows further: an attribute name every express session has.
        await filter_to(pilot, app, f"framework:express user:{target.user} cookie")
        assert len(pane.rows) == len(expected)
        await filter_to(pilot, app, "framework:express framework:flask")
        both = sum(1 for s in pane.sessions if s.framework in ("express", "flask"))
        assert len(pane.rows) == both
        await filter_to(pilot, app, "framework:express nosuchwordanywhere")
        assert not pane.rows
        assert f"0 of {total:,} sessions" in header(app) and "nothing matches" in header(app)
        assert notified(app, "No session matches framework:express nosuchwordanywhere")
        await filter_to(pilot, app, "")
        assert len(pane.rows) == total and " of " not in header(app).splitlines()[0]


async def test_cursor_stays_on_its_session_while_rows_arrive_and_leave(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=1)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 40)
        pane = app.browser.session_pane
        await pilot.press("s")  # sorted by TTL: new rows land anywhere
        await wait_for(pilot, lambda: pane.sort == "ttl")
        chosen = select(app, lambda s: s.framework == "rails")
        await pilot.pause()
        # More sessions arrive (a copy of every fixture under new ids); r rescans in place.
        seed_sessions_from_fixtures(client, copies=2)
        await pilot.press("r")
        await wait_for(pilot, lambda: pane.scanning)
        await wait_for(pilot, lambda: not pane.scanning and len(pane.sessions) > 60, timeout=20)
        assert pane.selected is not None and pane.selected.key == chosen.key
        # Rows leave: a session above it is revoked elsewhere and the rescan marks it gone.
        above = pane.sessions[pane.rows[0]]  # type: ignore[index]
        assert isinstance(above, Session)
        client.delete(above.key)
        pane.begin_refresh()
        app.browser.sessions.scan_sessions(fresh=False)
        await wait_for(pilot, lambda: not pane.scanning and above.key in pane.gone, timeout=20)
        assert pane.selected is not None and pane.selected.key == chosen.key


async def test_confirmations_name_the_session_and_a_clean_list_of_keys(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=3)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sessions(pilot, app, 60)
        pane = app.browser.session_pane
        session = select(app, lambda s: s.framework == "spring" and s.user)
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        body = str(app.screen.body)
        assert f"session id: {session.session_id}" in body
        assert f"key: {escape_key(session.key)}" in body and session.session_id in body
        assert "u undoes it while redis-tui runs" in body
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.press("D")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        body = str(app.screen.body)
        theirs = [s for s in pane.sessions if s.user == session.user]
        assert f"Revoke {len(theirs)} sessions of user" in body
        bullets = [line for line in body.splitlines() if line.startswith("• ")]
        assert bullets and all(cell_len(line) <= 64 for line in bullets)
        await pilot.press("n")
        assert all(client.exists(s.key) for s in theirs)


async def test_revoke_keeps_an_undo_that_u_restores_with_its_ttl(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=1)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 40)
        pane = app.browser.session_pane
        victim = select(app, lambda s: s.framework == "django" and s.ttl_ms > 0)
        raw, ttl = client.dump(victim.key), client.pttl(victim.key)
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: victim.key in pane.gone)
        assert not client.exists(victim.key)
        await pilot.press("u", "y")
        await wait_for(pilot, lambda: client.exists(victim.key) == 1)
        assert client.dump(victim.key) == raw
        assert 0 < client.pttl(victim.key) <= ttl
        await wait_for(pilot, lambda: victim.key not in pane.gone)
        assert notified(app, "Undone: revoke session")
        # Every session of a user comes back together.
        user = next(s.user for s in pane.sessions if s.user and s.key not in pane.gone)
        select(app, lambda s: s.user == user)
        theirs = [s.key for s in pane.sessions if s.user == user]
        await pilot.pause()
        await pilot.press("D")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not any(client.exists(k) for k in theirs))
        await pilot.press("u", "y")
        await wait_for(pilot, lambda: all(client.exists(k) for k in theirs))
        await wait_for(pilot, lambda: not any(k in pane.gone for k in theirs))


async def test_cookie_command_opens_the_session_a_browser_cookie_belongs_to(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    import json
    from pathlib import Path

    from redis_tui.demo import simulator

    seed_sessions_from_fixtures(client, copies=0)
    folder = Path(simulator.__file__).with_name("sessions")
    record = next(
        r for r in json.loads((folder / "rails.json").read_text())
        if r["expected"].get("cookie") and r["expected"].get("user")
    )  # fmt: skip
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")
        # Typed at once, as a whole Cookie: header pasted from the browser.
        header = f"Cookie: theme=dark; _app_session={record['expected']['cookie']}; lang=en"
        await pilot.press("colon", *f"cookie {header}", "enter")
        pane = app.browser.session_pane
        await wait_for(pilot, lambda: pane.selected is not None and pane.selected.key ==
                       bytes.fromhex(record["key_hex"]), timeout=20)  # fmt: skip
        assert notified(app, "Cookie → rails session")
        # Laravel's cookie is encrypted: said, not guessed.
        await pilot.press("colon", *"cookie laravel_session=eyJpdiI6IjEyMyJ9", "enter")
        await wait_for(pilot, lambda: notified(app, "No session found for this cookie"))


async def test_health_report_and_where_sessions_were_found(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=1)
    # The same express payload under a custom prefix nobody configured.
    for key in client.scan_iter(match="sess:*", count=1000):
        client.set(b"myapp:sess:" + key[5:], client.get(key) or b"", ex=600)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot, app, 40)
        pane = app.browser.session_pane
        assert any(s.key.startswith(b"myapp:sess:") for s in pane.sessions)
        assert "found in " in header(app)
        assert pane.discovery is not None
        assert any(f.namespace.startswith("myapp:sess:") for f in pane.discovery.found)
        await pilot.press("H")
        from redis_tui.ui.screens.report import SessionReportScreen

        await wait_for(pilot, lambda: isinstance(app.screen, SessionReportScreen))
        text = app.screen.text  # type: ignore[attr-defined]
        live = len(pane.sessions) - len(pane.gone)
        assert f"  {live} sessions" in text and "By framework:" in text
        express = sum(1 for s in pane.sessions if s.framework == "express")
        assert any(line.split() == ["express", str(express)] for line in text.splitlines())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.browser)
        await pilot.press("colon", *"sessions report", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionReportScreen))
