"""The connection screen (``o``), profiles in the app, and the deployment in the connection pane.

Every test drives the app with key presses against real servers: a second private server, one
with a password, a production profile, a 3-primary cluster and a Sentinel group.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import redis
from textual.pilot import Pilot
from textual.widgets import Input, Static

from redis_tui.config import Config, Profile, load_config, save_profile
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.keyspace import ServerFacts
from redis_tui.data.scan.topology import ClusterNodeInfo, SentinelTopology
from redis_tui.demo.server import EmbeddedServer, free_port
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.connect import (
    ConnectScreen,
    PasswordScreen,
    ProfileList,
    SaveProfileScreen,
)
from redis_tui.ui.screens.prompt import PromptScreen
from tests.integration.servers import cluster, sentinel_group

from .helpers import dialog_shown, static_text, wait_for

SIZE = (160, 45)


def make_app(
    settings: ConnectionSettings, config: Config | None = None, profile: Profile | None = None
) -> RedisTuiApp:
    return RedisTuiApp(settings, poll_interval=0.2, config=config, profile=profile)


async def open_connect(pilot: Pilot[None]) -> ConnectScreen:
    await pilot.press("o")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConnectScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ConnectScreen)
    return screen


async def fill(pilot: Pilot[None], ident: str, text: str, paste: bool = False) -> None:
    """Focus a field of the form and type ``text`` over what it held (``paste``: put it
    there at once, as a terminal paste would, instead of one key press per character)."""
    box = pilot.app.screen.query_one(f"#{ident}", Input)
    box.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u")
    if paste:
        box.insert_text_at_cursor(text)
    else:
        await pilot.press(*text)
    assert box.value == text


def result(pilot: Pilot[None]) -> str:
    return str(pilot.app.screen.query_one("#connect-result", Static).content)


async def test_form_tests_and_connects_to_another_server(
    client: redis.Redis, settings: ConnectionSettings, fresh_server: EmbeddedServer
) -> None:
    client.mset({"here:1": 1, "here:2": 2})
    with redis.Redis(host="127.0.0.1", port=fresh_server.port) as other:
        other.mset({"there:a": 1, "there:b": 2, "there:c": 3})
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 2)
        screen = await open_connect(pilot)
        assert screen.query_one("#port", Input).value == str(settings.port)  # prefilled
        await fill(pilot, "port", str(fresh_server.port))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: result(pilot).startswith("✔ OK"))
        assert f"127.0.0.1:{fresh_server.port}" in result(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectScreen))
        await wait_for(
            pilot, lambda: len(app.browser.view.store) == 3 and not app.browser.view.scanning
        )
        assert all(k.startswith(b"there:") for k in app.browser.view.store.names)
        assert app.settings.port == fresh_server.port and app.profile is None
        await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")
        assert f":{fresh_server.port}" in static_text(pilot, "#connection")


async def test_test_says_what_failed(
    settings: ConnectionSettings, fresh_server: EmbeddedServer
) -> None:
    with redis.Redis(host="127.0.0.1", port=fresh_server.port) as c:
        c.config_set("requirepass", "right")
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_connect(pilot)
        await fill(pilot, "port", str(fresh_server.port))
        await fill(pilot, "password", "wrong")
        assert pilot.app.screen.query_one("#password", Input).password  # masked
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: result(pilot).startswith("✖"))
        assert "Authentication failed" in result(pilot)
        await fill(pilot, "port", str(free_port()))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "refused" in result(pilot))
        # A bad URL says why, in the same place, and the form keeps its values.
        await fill(pilot, "url", "http://nope")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Bad URL" in result(pilot))
        assert "unsupported URL scheme" in result(pilot)
        # A good one fills the form.
        await fill(pilot, "url", f"redis://app@127.0.0.1:{fresh_server.port}/3", paste=True)
        await pilot.press("enter")
        screen = app.screen
        await wait_for(pilot, lambda: screen.query_one("#db", Input).value == "3")
        assert screen.query_one("#username", Input).value == "app"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectScreen))
        assert app.settings == settings  # cancelled: nothing changed


async def test_save_profile_keeps_no_password(
    settings: ConnectionSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    app = make_app(settings, Config(path=path))
    async with app.run_test(size=SIZE) as pilot:
        await open_connect(pilot)
        await fill(pilot, "password", "hunter2")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveProfileScreen))
        await pilot.press(*"staging", "tab", *"orange")
        await pilot.click("#source-env")
        await fill(pilot, "save-env", "STAGING_PASS")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        await wait_for(pilot, lambda: "Saved profile staging" in result(pilot))
        text = path.read_text()
        assert "hunter2" not in text
        assert 'password_source = "env:STAGING_PASS"' in text
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert load_config(path).profiles["staging"].colour == "orange"
        listing = app.screen.query_one(ProfileList)
        assert listing.option_count == 2 and "staging" in str(listing.get_option_at_index(1).prompt)

        # Loading it back takes the password from the variable it names.
        monkeypatch.setenv("STAGING_PASS", "from-env")
        listing.focus()
        listing.highlighted = 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one("#password", Input).value == "from-env")

        # Removing it asks first, then rewrites the file.
        listing.focus()
        listing.highlighted = 1
        await pilot.press("delete")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: "Removed profile staging" in result(pilot))
        assert "staging" not in load_config(path).profiles
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_profile_that_prompts_for_its_password(
    settings: ConnectionSettings, fresh_server: EmbeddedServer, tmp_path: Path
) -> None:
    with redis.Redis(host="127.0.0.1", port=fresh_server.port) as c:
        c.config_set("requirepass", "s3cret")
    path = tmp_path / "config.toml"
    profile = Profile(
        name="guarded",
        colour="purple",
        connection=ConnectionSettings(port=fresh_server.port, readonly=True, connect_timeout=2.0),
        password_source="prompt",
    )
    save_profile(profile, path)
    app = make_app(settings, load_config(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_connect(pilot)
        listing = screen.query_one(ProfileList)
        listing.focus()
        listing.highlighted = 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PasswordScreen))
        assert app.screen.query_one(Input).password
        await pilot.press(*"s3cret", "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectScreen))
        # The server wants a password: connected means the typed one was used.
        await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")
        assert app.settings.readonly and app.settings.password == "s3cret"
        assert app.profile is not None and app.profile.name == "guarded"
        pane = static_text(pilot, "#connection")
        assert pane.startswith("● guarded") and "READ-ONLY" in pane


async def test_production_profile_asks_for_its_name_before_writes(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.mset({"doomed": 1})
    path = tmp_path / "config.toml"
    prod = Profile(
        name="prod",
        colour="red",
        connection=ConnectionSettings(port=settings.port),
        production=True,
    )
    save_profile(prod, path)
    app = make_app(settings, load_config(path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 1)
        assert not app.browser.banner.display
        screen = await open_connect(pilot)
        listing = screen.query_one(ProfileList)
        listing.focus()
        listing.highlighted = 1
        await pilot.press("enter", "ctrl+s")
        await wait_for(pilot, lambda: app.production and len(app.browser.view.store) == 1)
        assert app.browser.banner.display and "PRODUCTION" in static_text(
            pilot, "#production-banner"
        )
        assert app.has_class("-production")
        assert "PRODUCTION" in static_text(pilot, "#connection")

        app.browser.keys.focus()
        app.browser.keys.select_key(b"doomed")
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"production", "enter")
        await wait_for(
            pilot,
            lambda: (
                "type exactly prod" in str(app.screen.query_one("#prompt-error", Static).content)
            ),
        )
        assert isinstance(app.screen, PromptScreen) and client.exists("doomed")
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert client.exists("doomed")

        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"prod", "enter")
        await wait_for(pilot, lambda: not client.exists("doomed"))


async def test_cluster_nodes_in_the_pane_and_no_db_switch() -> None:
    with cluster(3) as group:
        app = make_app(ConnectionSettings(port=group.ports[0], connect_timeout=2.0))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(
                pilot, lambda: "cluster ok" in static_text(pilot, "#connection"), timeout=15
            )
            pane = static_text(pilot, "#connection")
            assert "cluster ok · 3 primaries · 0 replicas" in pane
            for port in group.ports:
                line = next(x for x in pane.splitlines() if x.startswith(f"  127.0.0.1:{port}  "))
                assert "primary" in line and "slots" in line and "connected" in line
            app.browser.run_command("db", "2")
            await pilot.pause()
            assert app.settings.db == 0


async def test_sentinel_topology_in_the_pane() -> None:
    with sentinel_group() as group:
        settings = ConnectionSettings(
            sentinel_master=group.name,
            sentinels=(("127.0.0.1", group.sentinel.port),),
            connect_timeout=2.0,
        )
        app = make_app(settings)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(
                pilot, lambda: "sentinel mymaster" in static_text(pilot, "#connection"), timeout=15
            )
            pane = static_text(pilot, "#connection")
            assert f"master 127.0.0.1:{group.master.port}" in pane
            assert "1 replica · 1 sentinel (quorum 1)" in pane


async def test_pane_markers_are_plain_text(settings: ConnectionSettings) -> None:
    """Failing nodes, migrations, "+N more", a failover and ACL limits; hostile strings stay
    text (no markup is interpreted)."""
    nodes = tuple(
        ClusterNodeInfo(
            id=f"n{i}",
            address=f"10.0.0.{i}:7000",
            role="primary" if i < 4 else "replica",
            primary_id=None if i < 4 else f"n{i - 4}",
            flags=("fail",) if i == 1 else (),
            link="disconnected" if i == 1 else "connected",
            slots=((i * 4096, i * 4096 + 4095),) if i < 4 else (),
            migrating=((5, "n2"),) if i == 0 else (),
        )
        for i in range(8)
    )
    facts = ServerFacts(
        version="7.2.0",
        role="master",
        mode="cluster",
        cluster_state="fail",
        cluster_nodes=nodes,
        unavailable=("INFO", "MEMORY"),
        sentinel=SentinelTopology(
            master_name="[b]evil[/b]",
            master="10.0.0.9:6379",
            replicas=(("10.0.0.10:6379", ("slave", "s_down")),),
            sentinels=("a:26379", "b:26379", "c:26379"),
            quorum=2,
            failover_in_progress=True,
        ),
    )
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")
        app.browser.action_pause()
        app.browser.conn_pane.set_connected(facts)
        pane = static_text(pilot, "#connection")
        assert "cluster fail · 4 primaries · 4 replicas" in pane
        assert "10.0.0.0:7000  primary  4,096 slots  connected  migrating 1 slot" in pane
        assert "10.0.0.1:7000  primary  4,096 slots  disconnected  FAIL" in pane
        assert "↳ 10.0.0.4:7000  replica" in pane
        assert "+3 more" in pane
        assert "sentinel [b]evil[/b] → master 10.0.0.9:6379 · 1 replica · 3 sentinels" in pane
        assert "failover in progress" in pane and "replica down: 10.0.0.10:6379" in pane
        assert "not permitted: INFO, MEMORY (degraded: no server facts, memory sizes)" in pane


async def test_the_form_says_what_it_edits_keeps_a_failed_test_as_typed_and_enter_saves(
    settings: ConnectionSettings, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    app = make_app(settings, Config(path=path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_connect(pilot)
        assert str(screen.query_one("#connect-profile", Static).content).startswith(
            "new connection"
        )
        dead = free_port()
        await fill(pilot, "host", "127.0.0.1")
        await fill(pilot, "port", str(dead))
        await fill(pilot, "username", "app")
        await fill(pilot, "password", "s3cret")
        await fill(pilot, "db", "4")
        typed = {
            i: screen.query_one(f"#{i}", Input).value
            for i in ("host", "port", "username", "password", "db")
        }
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: result(pilot).startswith("✖"))
        assert {i: screen.query_one(f"#{i}", Input).value for i in typed} == typed
        # Enter in the profile name saves at once, as the hint says.
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveProfileScreen))
        await pilot.press(*"dead-box", "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: "Saved profile dead-box" in result(pilot))
        assert "dead-box" in load_config(path).profiles
        assert {i: screen.query_one(f"#{i}", Input).value for i in typed} == typed
        listing = screen.query_one(ProfileList)
        listing.focus()
        listing.highlighted = 1
        await pilot.press("enter")

        def editing() -> str:
            return str(screen.query_one("#connect-profile", Static).content)

        await pilot.pause(0.3)
        assert editing().startswith("editing profile ● dead-box"), editing()


async def test_a_url_typed_without_enter_keeps_the_password_typed_beside_it(
    settings: ConnectionSettings, fresh_server: EmbeddedServer
) -> None:
    with redis.Redis(host="127.0.0.1", port=fresh_server.port) as c:
        c.config_set("requirepass", "s3cret")
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_connect(pilot)
        await fill(pilot, "password", "s3cret")
        await fill(pilot, "url", f"redis://127.0.0.1:{fresh_server.port}/0", paste=True)
        await pilot.press("ctrl+t")  # no enter in the URL field first
        await wait_for(pilot, lambda: result(pilot).startswith("✔ OK"))
        assert screen.query_one("#password", Input).value == "s3cret"
        assert screen.query_one("#port", Input).value == str(fresh_server.port)
