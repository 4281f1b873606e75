"""The value pane on real server data: formats, caps, hostile payloads."""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path
from typing import Any

import msgpack
import redis
from textual import events
from textual.widgets import OptionList

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.demo.server import EmbeddedServer
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.info import FormatScreen, TextScreen

from .helpers import static_text, wait_for

SIZE = (160, 45)


async def show(pilot: Any, app: RedisTuiApp, key: bytes) -> str:
    await wait_for(pilot, lambda: key in app.browser.view.store)
    app.browser.keys.select_key(key)
    await wait_for(pilot, lambda: (v := app.browser.value_pane.value) is not None and v.key == key)
    return app.browser.value_pane.shown_text


class Evil:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


async def test_formats_on_real_data(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    target = tmp_path / "written-by-pickle"
    client.set("gz", gzip.compress(json.dumps({"page": "home"}).encode()))
    client.set("gz:corrupt", gzip.compress(b"x" * 1000)[:20])
    client.set("mp", msgpack.packb({"cart": ["book"]}))
    client.set("pk", pickle.dumps({"user": Evil(str(target))}))
    client.set("big", b"y" * (200 * 1024))
    client.hset("h", "doc", json.dumps({"nested": True}))
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        assert '"page": "home"' in await show(pilot, app, b"gz")
        assert "format gzip → json" in static_text(pilot, "#value-header")
        await show(pilot, app, b"gz:corrupt")
        assert "cannot decode as gzip" in static_text(pilot, "#value-footer")
        assert '"cart"' in await show(pilot, app, b"mp")
        text = await show(pilot, app, b"pk")
        assert "open" in text and not target.exists()
        await show(pilot, app, b"big")
        assert "showing the first 64.0 KB of 200.0 KB" in static_text(pilot, "#value-footer")
        await pilot.press("3", "right_square_bracket")
        await wait_for(pilot, lambda: len(app.browser.value_pane.value.data or b"") == 128 * 1024)
        # f picks a format by hand.
        await show(pilot, app, b"mp")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FormatScreen))
        options = app.screen.query_one(OptionList)
        options.highlighted = [o.id for o in options.options].index("hex")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "format hex" in static_text(pilot, "#value-header"))
        # Enter on a hash field shows its value decoded.
        await show(pilot, app, b"h")
        await pilot.press("3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen))
        assert '"nested": true' in app.screen.text


async def test_large_key_says_edits_check_in_part(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("small", "x")
    client.hset(
        "wide", mapping={f"f{i}": "v" * 100 for i in range(20_000)}
    )  # over the 1 MB digest cap
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot, app, b"wide")
        await wait_for(pilot, lambda: "only in part" in static_text(pilot, "#value-header"))
        await show(pilot, app, b"small")
        await wait_for(pilot, lambda: "only in part" not in static_text(pilot, "#value-header"))


async def test_redisjson_document_in_the_value_pane(json_server: EmbeddedServer) -> None:
    client = redis.Redis(port=json_server.port)
    client.flushall()
    client.execute_command(
        "JSON.SET", "profile", "$", json.dumps({"name": "Zoë", "roles": ["admin"]})
    )
    app = RedisTuiApp(ConnectionSettings(port=json_server.port), poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        text = await show(pilot, app, b"profile")
        assert '"name": "Zoë"' in text
        assert "type json" in static_text(pilot, "#value-header")
        assert app.browser.view.store.type_name(0) == "json"
        await pilot.press("e")
        await pilot.pause(0.2)
        assert app.screen is app.screen_stack[0]  # not editable here: no dialog
    client.close()


async def test_big_elements_page_with_a_note(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    for _ in range(12):
        client.rpush("fat", b"z" * (2 << 20))
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot, app, b"fat")
        footer = static_text(pilot, "#value-footer")
        first = len(app.browser.value_pane.value.rows)
        assert 1 <= first <= 2 and f"{first} of 12 shown — ] loads more" in footer
        assert "per page" in footer
        await pilot.press("3", "right_square_bracket")
        await wait_for(pilot, lambda: len(app.browser.value_pane.value.rows) == 2 * first)


async def test_a_64_kb_key_name_leaves_type_ttl_and_value_on_screen(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    """#11 item 11: the header clips a huge name and says its length; y copies it whole."""
    key = b"big:" + b"n" * 65_536 + b":end"
    client.set(key, "the value", ex=600)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(
            pilot, lambda: (v := app.browser.value_pane.value) is not None and v.key == key
        )
        header = static_text(pilot, "#value-header")
        assert len(header) < 400 and "(65,544-byte name)" in header
        assert header.startswith("big:nnn") and ":end" in header and "type string" in header
        await pilot.press("3")
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen is not app.browser)
        body = str(app.screen.body)  # type: ignore[attr-defined]
        assert len(body) < 1000 and "(65,544-byte name)" in body
        await pilot.press("y")
        await wait_for(pilot, lambda: not client.exists(key))  # the whole name was deleted


async def test_opening_dialogs_again_and_again_keeps_no_old_footer_keys(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    """#11 item 13: every recompose of Textual's Footer left its old keys alive through a
    watcher (about 1 MB per format switch); TidyFooter drops them."""
    from textual.widgets._footer import FooterKey

    from redis_tui.ui.widgets.footer import TidyFooter

    client.set("k", json.dumps({"a": 1}))
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.browser.value_pane.value is not None)
        for _ in range(8):
            await pilot.press("3", "f")
            await wait_for(pilot, lambda: isinstance(app.screen, FormatScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.browser)
        await pilot.pause(0.2)
        footer = app.browser.query_one(TidyFooter)
        watchers = getattr(footer, "__watchers", {}).get("compact", [])
        assert len(watchers) <= len(footer.query(FooterKey))


async def test_pages_of_a_long_line_from_the_key_list(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    """A one-line 300 KB JSON string: `]` pressed in the key list adds a page at a time, the
    line is folded for the screen (never for `Y`), and a character cut by the page boundary
    is shown whole."""
    page = 64 * 1024
    # "é" is two bytes; it straddles the first page boundary.
    body = b'["' + b"a" * (page - 3) + "é".encode() + b"b" * (4 * page) + b'"]'
    client.set("long", body)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.browser.value_pane
        await show(pilot, app, b"long")
        assert "\\x" not in pane.shown_text and not pane.shown_text.endswith("é")
        lines = pane.text.text.split("\n")
        assert len(lines) > 1 and max(map(len, lines)) <= 1024
        app.browser.keys.focus()
        await pilot.press("right_square_bracket", "right_square_bracket")
        await wait_for(
            pilot, lambda: "showing the first 192.0 KB" in static_text(pilot, "#value-footer")
        )
        assert pane.shown_text == body[: 3 * page].decode()
        assert pane.text.text.replace("\n", "") == pane.shown_text
        assert app.focused is app.browser.keys  # the list keeps the focus
        await pilot.press("Y")
        await pilot.pause()
        assert app.clipboard == pane.shown_text


async def test_pages_typed_ahead_are_all_loaded(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    """`:key` then `]` three times with no pause, from the key list: the value is opened and
    three more pages come, one after the other (none dropped while one is on its way)."""
    page = 64 * 1024
    client.set("other", "x")
    client.set("long", b"z" * (6 * page))
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: b"other" in app.browser.view.store)
        await pilot.press(":", *"key long", "enter", "2", *["right_square_bracket"] * 3)
        await wait_for(
            pilot, lambda: "showing the first 256.0 KB" in static_text(pilot, "#value-footer")
        )
        await pilot.pause(0.3)
        assert len(app.browser.value_pane.shown_text) == 4 * page


def tree_labels(app: RedisTuiApp) -> list[str]:
    nodes, queue = [], list(app.browser.value_pane.data_tree.root.children)
    while queue:
        node = queue.pop(0)
        nodes.append(str(node.label))
        queue.extend(node.children)
    return nodes


async def test_json_opens_as_a_tree_with_its_text_one_key_away(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    doc = {"[bold]name": "Zoë\x1b[31m", "roles": ["admin", {"deep": None}], "ok": True, "n": 2}
    client.set("doc", json.dumps(doc))
    client.set("plain", "just words")
    client.set("many", json.dumps(list(range(3_000))))  # one page, more nodes than the cap
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.browser.value_pane
        await show(pilot, app, b"doc")
        assert pane.data_tree.display and not pane.text.display
        labels = tree_labels(app)
        # JSON as JSON writes it; markup and escape bytes as text, never interpreted.
        assert '[bold]name: "Zoë\\u001b[31m"' in labels
        assert "ok: true" in labels and "n: 2" in labels and "deep: null" in labels
        assert "roles" in labels
        # 3 then T typed at once: the pretty text, focused; T again: the tree.
        for key in ("3", "T"):
            app.post_message(events.Key(key, key))
        await wait_for(pilot, lambda: pane.text.display and pane.text.has_focus)
        assert not pane.data_tree.display and '"roles": [' in pane.shown_text
        await pilot.press("T")
        await wait_for(pilot, lambda: pane.data_tree.has_focus)
        # The choice holds for the next key; a plain string has no tree.
        await pilot.press("escape")
        await show(pilot, app, b"plain")
        assert pane.text.display and not pane.data_tree.display
        # A huge array: the tree stops at its node cap and says so.
        await show(pilot, app, b"many")
        labels = tree_labels(app)
        assert len(labels) <= 2001 and labels[-1] == "… (more not shown)"


async def test_slash_searches_the_value_and_n_N_step_through_matches(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    # A long one-line value is folded into rows: a match across a fold is still found.
    line = ("x" * 1500) + "needle" + ("y" * 3000) + "Needle" + "z" * 10
    client.set("text", line + "\nsecond line with needle\n")
    client.hset("h", mapping={"a": "hay", "b": "more hay", "c": "the needle", "d": "hay"})
    client.set("doc", json.dumps({"list": [{"deep": {"needle": 1}}], "other": "needle too"}))
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.browser.value_pane
        await show(pilot, app, b"text")

        def selected() -> str:
            return pane.text.selected_text

        # Typed at once: 3 / needle enter n n N — in order, none dropped.
        for key in ("3", "slash", *"needle", "enter", "n", "n", "N"):
            app.post_message(
                events.Key(key, key if len(key) == 1 else "/" if key == "slash" else None)
            )
        await wait_for(pilot, lambda: not pane.search_box.display and selected())
        await pilot.pause()
        # needle (1500), Needle (4506), needle (line 2), back to Needle: smart case folds.
        assert selected().lower() == "needle"
        start = pane._offset_of(pane.text.selection.start)
        assert start == pane.shown_text.lower().index("needle", 1600)
        # A capital letter matches exactly; esc closes the box and keeps the pane.
        await pilot.press("slash", *"Needle", "enter")
        await pilot.pause()
        assert pane._offset_of(pane.text.selection.start) == pane.shown_text.index("Needle")
        await pilot.press("slash", "a", "escape")
        assert not pane.search_box.display and pane.text.has_focus
        # A hash: searched whole on the server; the matching field replaces the page.
        await pilot.press("escape")
        await show(pilot, app, b"h")
        await pilot.press("3", "slash", *"needle", "enter")
        await wait_for(pilot, lambda: pane.search is not None and pane.search.done)
        assert pane.value is not None and pane.value.rows == [(b"c", b"the needle")]
        # The tree: the match is opened and the cursor is on it.
        await pilot.press("escape")
        await show(pilot, app, b"doc")
        await pilot.press("3", "slash", *"needle", "enter")
        await pilot.pause()
        node = pane.data_tree.cursor_node
        assert node is not None and "needle" in str(node.label)
        await pilot.press("n")
        await pilot.pause()
        node = pane.data_tree.cursor_node
        assert node is not None and str(node.label) == 'other: "needle too"'
        await pilot.press("slash", *"absent", "enter")
        await pilot.pause()
        assert any("Not found" in n.message for n in app._notifications)


async def test_slash_searches_whole_keys_on_the_server(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    pipe = client.pipeline(transaction=False)
    for start in range(0, 200_000, 10_000):
        pipe.hset("big", mapping={f"f:{i}": "v" for i in range(start, start + 10_000)})
    pipe.execute()
    client.hset("big", "zz-Needle", "found")
    client.sadd("s", *[f"m{i}" for i in range(3000)], "a-needle")
    client.zadd("z", {f"m{i}": i for i in range(3000)} | {"needle-z": 7})
    client.rpush("l", *[f"e{i}" for i in range(2000)], "n1 needle", "n2 needle", "n3 needle")
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.browser.value_pane

        def done() -> bool:
            return pane.search is not None and pane.search.done

        await show(pilot, app, b"big")
        await pilot.press("3", "slash", *"needle", "enter")
        await wait_for(pilot, done, timeout=30)
        assert pane.value is not None and pane.value.rows == [(b"zz-Needle", b"found")]
        footer = static_text(pilot, "#value-footer")
        assert "1 match for needle in field names" in footer and "done" in footer
        for key, row in ((b"s", (b"a-needle",)), (b"z", (b"needle-z", 7.0))):
            await pilot.press("escape")
            await show(pilot, app, key)
            await pilot.press("3", "slash", *"needle", "enter")
            await wait_for(pilot, done)
            assert pane.value is not None and pane.value.rows == [row]
        # A list past its first page; typed at once: / needle enter n n (the n's wait for
        # the matches and move along them as they come).
        await pilot.press("escape")
        await show(pilot, app, b"l")
        await pilot.press("3")
        for key in ("slash", *"needle", "enter", "n", "n"):
            app.post_message(events.Key(key, "/" if key == "slash" else None if key == "enter"
                                        else key))  # fmt: skip
        await wait_for(pilot, done)
        await pilot.pause()
        assert [r[0] for r in pane.value.rows] == [2000, 2001, 2002]
        assert pane.table.cursor_row == 2
        await pilot.press("N")
        assert pane.table.cursor_row == 1
        # Enter on nothing: the pages again.
        await pilot.press("slash", *["backspace"] * 6, "enter")
        await wait_for(pilot, lambda: pane.search is None and len(pane.value.rows) == 200)


async def test_O_reverses_and_B_picks_a_score_range(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.zadd("z", {f"m{i}": i for i in range(300)})
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.browser.value_pane
        await show(pilot, app, b"z")
        await pilot.press("3", "O")
        await wait_for(pilot, lambda: pane.value is not None and pane.value.reverse)
        assert pane.value.rows[0] == (b"m299", 299.0)
        assert "by rank, descending" in static_text(pilot, "#value-header")
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: len(pane.value.rows) == 300)
        assert pane.value.rows[-1] == (b"m0", 0.0)
        await pilot.press("B")
        await pilot.pause()
        await pilot.press(*["backspace"] * 4, *"(10", "tab")
        await pilot.press(*["backspace"] * 4, *"20", "enter")
        await wait_for(pilot, lambda: pane.value is not None and pane.value.length == 10)
        assert pane.value.rows[0] == (b"m20", 20.0) and pane.value.rows[-1] == (b"m11", 11.0)
        assert "scores (10 to 20" in static_text(pilot, "#value-header")


async def test_the_header_ttl_counts_down_between_reads(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set(b"countdown", b"v", ex=3600)
    app = RedisTuiApp(settings, poll_interval=30)  # no poll reloads the value meanwhile
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot, app, b"countdown")
        assert "ttl 59m" in static_text(pilot, "#value-header")
        # Ten minutes pass on the pane's clock: the next tick shows them, with no read.
        app.browser.value_pane._ttl_read_at -= 600
        await wait_for(pilot, lambda: "ttl 49m" in static_text(pilot, "#value-header"))
        assert 2_990_000 < (app.browser.value_pane.ttl_left_ms() or 0) < 3_000_000
