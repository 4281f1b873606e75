"""Pilot tests for the key browser at scale: 100k keys, paging, sizes, sort, the namespace
tree, copying and saving values, against a real redis-server."""

from __future__ import annotations

from pathlib import Path

import redis
from textual.widgets import Input

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.demo import seed as demo
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import PromptScreen
from redis_tui.ui.widgets.key_list import KeyList
from redis_tui.ui.widgets.namespace_list import NamespaceList

from .helpers import dialog_shown, key_list_lines, static_text, wait_for

SIZE = (160, 45)
USERS, SESSIONS, CACHE = 30_000, 50_000, 20_000


def seed_100k(client: redis.Redis) -> None:
    """30k user:{n}:profile, 50k sess:{id}, 20k cache:x:{n}: pipelined MSETs."""
    pipe = client.pipeline(transaction=False)
    batch: dict[bytes, bytes] = {}
    keys = [
        *(b"user:%d:profile" % n for n in range(USERS)),
        *(b"sess:%08x" % (n * 2654435761 % 2**32) for n in range(SESSIONS)),
        *(b"cache:x:%d" % n for n in range(CACHE)),
    ]
    for key in keys:
        batch[key] = b"v" * (len(key) % 7 * 40)
        if len(batch) == 5000:
            pipe.mset(batch)
            batch = {}
    if batch:
        pipe.mset(batch)
    pipe.execute()
    assert client.dbsize() == USERS + SESSIONS + CACHE


def tree_lines(tree: NamespaceList) -> list[str]:
    return ["".join(s.text for s in tree.render_line(y)) for y in range(tree.size.height)]


async def test_100k_keys_page_jump_sizes_sort_tree_filter(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_100k(client)
    app = RedisTuiApp(settings, poll_interval=0.2)
    total = USERS + SESSIONS + CACHE
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: len(app.browser.view.store) == total and not app.browser.view.scanning,
            timeout=20,
        )
        keys = app.query_one(KeyList)
        height = keys.size.height

        # Paging and jumping: the cursor moves by a screen, G reaches the last row.
        for _ in range(5):
            await pilot.press("pagedown")
        assert keys.cursor == 5 * (height - 1)
        assert int(keys.scroll_offset.y) == keys.cursor - height + 1
        await pilot.press("G")
        assert keys.cursor == total - 1
        assert (
            keys.current_key == app.browser.view.store.names[app.browser.view.store.row(total - 1)]
        )
        assert escape(keys.current_key) in key_list_lines(pilot)[-1]

        # Sizes: fetched for the visible rows only, drawn in the size column.
        visible = keys.visible_rows()
        await wait_for(
            pilot, lambda: all(app.browser.view.store.size(i) is not None for i, _ in visible)
        )
        known = sum(size >= 0 for size in app.browser.view.store.sizes)
        # The screens visited (top, five pages, the end), not the 100k keys.
        assert len(visible) <= known <= 7 * len(visible), known
        assert all(line.rstrip().endswith(" B") for line in key_list_lines(pilot))

        # Sort by size (s cycles: name, ttl, type, size): known sizes first, biggest first.
        await pilot.press("g")
        for _ in range(4):
            await pilot.press("s")
        assert app.browser.view.store.sort_field == "size" and "sorted by size" in static_text(
            pilot, "#scan-status"
        )
        top = [app.browser.view.store.sizes[app.browser.view.store.row(p)] for p in range(known)]
        assert top == sorted(top, reverse=True) and min(top) >= 0
        await pilot.press("s")  # back to scan order
        assert app.browser.view.store.sort_field is None

        # The namespace tree: counts per folder, a 50k folder opens and moves at once.
        await pilot.press("v")
        tree = app.query_one(NamespaceList)
        assert tree.display and not keys.display and app.focused is tree
        await wait_for(pilot, lambda: len(tree.index) == total and len(tree.view) == 3)
        lines = tree_lines(tree)
        assert "▸ cache:  (20,000 keys)" in lines[0]
        assert "▸ sess:  (50,000 keys)" in lines[1]
        assert "▸ user:  (30,000 keys)" in lines[2]
        assert "(100,000 keys)" in str(tree.border_title)
        await pilot.press("j", "enter")
        assert tree.prefix == b"sess:" and len(tree.view) == SESSIONS
        assert "sess:" in str(tree.border_title) and "(50,000 keys)" in str(tree.border_title)
        await pilot.press("j", "j")
        assert tree.current_key == tree.view.keys[2]
        await wait_for(pilot, lambda: keys.current_key == tree.current_key)
        await wait_for(
            pilot,
            lambda: (
                app.browser.value_pane.value is not None
                and app.browser.value_pane.value.key == keys.current_key
            ),
        )
        await pilot.press("G")
        last = tree.view.keys[-1]
        assert tree.cursor == SESSIONS - 1 and tree.current_key == last
        assert tree_lines(tree)[-1].strip() == escape(last)[len("sess:") :]
        # A delete elsewhere (here: through the store, as the app does) updates the counts.
        app.browser.view.store.remove(last)
        tree.sync()
        assert tree.index.count(b"sess:") == SESSIONS - 1 and len(tree.view) == SESSIONS - 1
        await pilot.press("h")
        assert tree.prefix == b"" and tree.current_folder == b"sess:"
        assert "(49,999 keys)" in tree_lines(tree)[1]
        # user: holds 30k folders of one key each.
        await pilot.press("j", "right")
        assert tree.prefix == b"user:" and len(tree.view.folders) == USERS
        assert "(1 key)" in tree_lines(tree)[0]
        await pilot.press("left", "v")
        assert keys.display and not tree.display and app.focused is keys

        # Filter: a server-side MATCH scan; the tree follows the new store.
        await pilot.press("slash", *"cache:*", "enter")
        await wait_for(
            pilot,
            lambda: not app.browser.view.scanning and len(app.browser.view.store) == CACHE,
            timeout=20,
        )
        await pilot.press("v")
        await wait_for(pilot, lambda: len(tree.index) == CACHE and len(tree.view) == 1)
        assert "▸ cache:  (20,000 keys)" in tree_lines(tree)[0]


def escape(key: bytes | None) -> str:
    from redis_tui.data.values.display import escape_key

    assert key is not None
    return escape_key(key)


async def test_tree_hostile_names_copy_and_save(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    for key in (*demo.HOSTILE_KEYS, b"a::b", b"x:", b"[bold]x:\x1b[31m:k"):
        client.set(key, b"v")
    client.set("greeting", "hello\nworld")
    client.hset("h", mapping={f"f{i:04d}": f"value {i}" for i in range(1500)})
    app = RedisTuiApp(settings, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == len(demo.HOSTILE_KEYS) + 5)
        keys = app.query_one(KeyList)

        # Hostile names in the tree: literal, escaped, no markup, no terminal codes.
        await pilot.press("v")
        tree = app.query_one(NamespaceList)
        await wait_for(
            pilot, lambda: len(tree.view) > 0 and len(tree.index) == len(app.browser.view.store)
        )
        text = "\n".join(tree_lines(tree))
        for shown in ("▸ a:", "▸ x:", "▸ [bold]x:", "[/x]", "nul\\0byte", "bad-utf8-\\xff\\xfe"):
            assert shown in text, shown
        assert "ansi-\\e[31mred" in text and "\x1b" not in text and "\x07" not in text
        assert '""' in text  # the empty key
        tree.open_folder(b"a:")
        await pilot.press("enter")  # into a:: (an empty segment)
        assert tree.prefix == b"a::" and tree.current_key == b"a::b"
        tree.open_folder(b"x:")
        assert tree.current_key == b"x:" and '""' in tree_lines(tree)[0]
        await pilot.press("backspace", "v")

        await pilot.press("colon", *"sort size", "enter")
        assert app.browser.view.store.sort_field == "size"
        await pilot.press("colon", *"sort none", "enter")
        assert app.browser.view.store.sort_field is None

        # Y copies the value shown: a string's text, a collection's selected element.
        keys.select_key(b"greeting")
        await wait_for(
            pilot, lambda: (v := app.browser.value_pane.value) is not None and v.key == b"greeting"
        )
        await pilot.press("Y")
        assert app.clipboard == "hello\nworld"
        keys.select_key(b"h")
        await wait_for(
            pilot, lambda: (v := app.browser.value_pane.value) is not None and v.key == b"h"
        )
        await pilot.press("3", "down", "down")
        table = app.browser.value_pane.table
        assert app.focused is table and table.cursor_row == 2
        await pilot.press("Y")
        _field, value = app.browser.value_pane.value.rows[2]
        assert app.clipboard == value.decode() and value.startswith(b"value ")

        # w saves the whole value (1,500 fields, more than one page) as JSON lines.
        await pilot.press("2", "w")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        box = app.screen.query_one(Input)
        assert box.value == "./h.jsonl"
        target = tmp_path / "h.jsonl"
        box.value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists())
        assert len(target.read_text().splitlines()) == 1500
        await wait_for(pilot, lambda: any("Saved" in str(n.message) for n in app._notifications))
        # Again: the file exists, so it asks before overwriting.
        target.write_text("old")
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause(0.2)
        assert target.read_text() == "old"
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: target.read_text() != "old")
        assert len(target.read_text().splitlines()) == 1500
