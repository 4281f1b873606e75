"""Whose session it is: :func:`find_user` looks the user id up along configurable paths."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

from redis_tui.data.codecs import ObjectValue
from redis_tui.data.sessions.model import DEFAULT_USER_PATHS
from redis_tui.data.values.display import escape_key


def find_user(data: Any, user_paths: Sequence[str] = DEFAULT_USER_PATHS) -> str | None:
    """The user a session belongs to: the first of ``user_paths`` that holds an id.

    A path is dotted; each segment may be a glob, and a run of segments may match one key
    that contains dots (Devise's ``warden.user.user.key``). Lists yield their first scalar
    (``[[42], "salt"]`` -> ``42``); objects their ``username``, ``name``, ``id`` or ``email``.
    """
    for path in user_paths:
        for found in _resolve(data, path.split("."), 0):
            user = _user_text(found, 0)
            if user is not None:
                return user
    return None


def _resolve(node: Any, segments: list[str], depth: int) -> Iterator[Any]:
    if not segments:
        yield node
        return
    if depth > 16:
        return
    if isinstance(node, ObjectValue):
        node = node.fields
    if not isinstance(node, dict):
        return
    for i in range(len(segments), 0, -1):
        pattern, literal = _pattern(tuple(segments[:i]))
        if literal is None:
            if pattern in node:
                yield from _resolve(node[pattern], segments[i:], depth + 1)
            continue
        for name, child in list(node.items())[:10_000]:
            # The glob's literal head first: most names fail it without fnmatch.
            if isinstance(name, str) and name.startswith(literal) and fnmatchcase(name, pattern):
                yield from _resolve(child, segments[i:], depth + 1)


@functools.lru_cache(maxsize=256)
def _pattern(segments: tuple[str, ...]) -> tuple[str, str | None]:
    """A run of path segments joined, and its literal head when it is a glob (else None)."""
    pattern = ".".join(segments)
    cut = min((pattern.find(c) for c in "*?[" if c in pattern), default=-1)
    return pattern, (None if cut < 0 else pattern[:cut])


def _user_text(value: Any, depth: int) -> str | None:
    if depth > 6 or value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, bytes):
        return escape_key(value) if value else None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        for item in value[:4]:
            found = _user_text(item, depth + 1)
            if found is not None:
                return found
        return None
    fields = value.fields if isinstance(value, ObjectValue) else value
    if isinstance(fields, dict):
        for name in ("username", "name", "id", "email", "user_id", "userId", "principal"):
            if name in fields:
                found = _user_text(fields[name], depth + 1)
                if found is not None:
                    return found
    return None
