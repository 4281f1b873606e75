"""A decoded value as a tree (the session inspector's and the value pane's): containers are
branches, scalars leaves; every label is escaped text, never markup."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from rich.text import Text
from textual.widgets.tree import TreeNode

from redis_tui.data.values.display import escape_text

# The steps from the root of the data to one node: mapping keys and list indexes.
AttrPath = tuple[object, ...]


def fill_tree(
    node: TreeNode[AttrPath],
    value: object,
    path: AttrPath,
    budget: list[int],
    scalar: Callable[[object], str] | None = None,
) -> None:
    """Add ``value`` under ``node``: containers become branches, scalars leaves (drawn by
    ``scalar``, Python-like by default). ``budget`` counts the nodes still allowed."""
    from redis_tui.data import codecs  # loaded by then: the value was decoded with it

    scalar = scalar or scalar_text
    items: list[tuple[object, object]]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list | tuple):
        items = list(enumerate(value))
    elif isinstance(value, codecs.ObjectValue):
        items = list(value.fields.items())
    else:
        node.add_leaf(Text(scalar(value)), data=path)
        return
    for name, child in items:
        budget[0] -= 1
        if budget[0] < 0:
            node.add_leaf(Text("… (more not shown)"))
            return
        label = escape_text(str(name), multiline=False)
        child_path = (*path, name)
        if isinstance(child, dict | list | tuple | codecs.ObjectValue) and child:
            kind = (
                f" <{escape_text(child.class_name, multiline=False)}>"
                if isinstance(child, codecs.ObjectValue)
                else ""
            )
            branch = node.add(Text(f"{label}{kind}"), data=child_path)
            fill_tree(branch, child, child_path, budget, scalar)
        else:
            node.add_leaf(Text(f"{label}: {scalar(child)}"), data=child_path)


def scalar_text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return "0x" + value[:64].hex() + ("…" if len(value) > 64 else "")
    if isinstance(value, str):
        text = escape_text(value, multiline=False)
        return repr(text[:200] + ("…" if len(text) > 200 else ""))
    if isinstance(value, dict | list | tuple):
        return "{}" if isinstance(value, dict) else "[]"
    return escape_text(repr(value), multiline=False)[:200]


def json_scalar(value: object) -> str:
    """A JSON scalar as JSON writes it: "text", 12, true, null."""
    if isinstance(value, str):
        text = value[:200] + ("…" if len(value) > 200 else "")
        return escape_text(json.dumps(text, ensure_ascii=False), multiline=False)
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return scalar_text(value)
