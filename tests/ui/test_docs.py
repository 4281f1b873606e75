"""The README's key bindings match the app: every key of every pane (what the footer and `?`
show) and every `:` command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from textual.binding import Binding
from textual.keys import key_to_character

from redis_tui.ui.app import help_sections
from redis_tui.ui.browser.colon import COLON_COMMANDS
from redis_tui.ui.browser.screen import FOOTER_KEYS

README = Path(__file__).resolve().parents[2] / "README.md"
# How the README writes a key Textual names otherwise.
SPELLED = {"escape": "esc", "pagedown": "pgdn", "pageup": "pgup", "down": "↓", "up": "↑",
           "left": "←", "right": "→", "slash": "/", "at": "@", "minus": "-"}  # fmt: skip
PANES = dict(help_sections())


def _section() -> str:
    text = README.read_text()
    return text.split("## Key bindings", 1)[1].split("\n## ", 1)[0]


def _documented() -> set[str]:
    words: set[str] = set()
    for quoted in re.findall(r"`([^`]+)`", _section()):
        words |= {quoted, *quoted.split()}
    return words


def _spelled(key: str) -> str:
    key = key.strip()
    if key in SPELLED:
        return SPELLED[key]
    if len(key) > 1 and "+" not in key:
        return key_to_character(key) or key
    return key


def test_every_key_of_every_pane_is_in_the_readme() -> None:
    documented = _documented()
    missing = [
        f"{where}: {key} ({binding.id})"
        for where, bindings in PANES.items()
        for binding in bindings
        if isinstance(binding, Binding)
        for key in binding.key.split(",")
        if _spelled(key) not in documented and key not in documented
    ]
    assert not missing, f"keys the README does not document: {missing}"


def test_every_footer_key_is_a_binding_that_help_lists() -> None:
    ids = {b.id for bindings in PANES.values() for b in bindings if isinstance(b, Binding)}
    unknown = [i for keys in FOOTER_KEYS.values() for i in keys if i not in ids]
    assert not unknown, f"footer ids with no binding (so not in ? either): {unknown}"


def test_every_colon_command_is_in_the_readme() -> None:
    section = _section()
    missing = [spec.name for spec in COLON_COMMANDS if f"`:{spec.name}" not in section]
    assert not missing, f"commands the README does not document: {missing}"
