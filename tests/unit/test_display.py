from __future__ import annotations

import pytest

from redis_tui.data.values.display import (
    escape_key,
    escape_text,
    human_bytes,
    human_ttl,
    is_text,
    unescape_key,
)
from redis_tui.demo.seed import HOSTILE_KEYS


@pytest.mark.parametrize(
    "key", [*HOSTILE_KEYS, b"\\x00 literal", b"back\\slash", bytes(range(256))]
)
def test_escape_key_round_trips_and_is_terminal_safe(key: bytes) -> None:
    shown = escape_key(key)
    assert unescape_key(shown) == key
    assert "\n" not in shown
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "\u202e" not in shown


def test_escape_key_examples() -> None:
    assert escape_key(b"ansi-\x1b[31m") == "ansi-\\e[31m"
    assert escape_key(b"nul\x00") == "nul\\0"
    assert escape_key(b"\xff") == "\\xff"
    assert escape_key("café 🔑".encode()) == "café 🔑"
    assert escape_key(b"[bold]x") == "[bold]x"  # literal: markup is never parsed downstream
    # A key that literally contains a backslash sequence never looks like a control byte.
    assert escape_key(b"\\x00") != escape_key(b"\x00")


def test_escape_text_keeps_layout_but_not_controls() -> None:
    assert escape_text(b"a\nb\tc") == "a\nb\tc"
    assert escape_text(b"\x1b[2J\x07") == "\\e[2J\\x07"
    assert escape_text(b"a\rb") == "a\\rb"
    assert escape_text(b"x\ny", multiline=False) == "x\\ny"


def test_is_text() -> None:
    assert is_text(b'{"a": 1}')
    assert not is_text(b"\x1f\x8b\x08\x00")
    assert not is_text(bytes(range(32)) * 3)


def test_human_units() -> None:
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KB"
    assert human_ttl(-1) == "no ttl"
    assert human_ttl(-2) == "gone"
    assert human_ttl(45_000) == "45s"
    assert human_ttl(3_720_000) == "1h 02m"
    assert human_ttl(3 * 86_400_000) == "3d 00h"


def test_every_invisible_or_reordering_character_is_escaped() -> None:
    """#11 item 12: zero-width, bidi and every other format character (Unicode category Cf),
    line/paragraph separators and controls, over the whole code space: two different keys
    never look the same."""
    import sys
    import unicodedata

    from redis_tui.data.values.display import escape_key, escape_text

    kinds = ("Cf", "Cc", "Zl", "Zp")
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF or unicodedata.category(chr(code)) not in kinds:
            continue
        ch = chr(code)
        assert ch not in escape_key(f"a{ch}b".encode()), hex(code)
        if ch not in "\n\t":
            assert ch not in escape_text(f"a{ch}b"), hex(code)
    for ch in "\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2066\u2069\u061c\ufeff":
        assert escape_key(f"admin{ch}".encode()) != "admin"


def test_a_ttl_that_just_ran_out_reads_expired() -> None:
    from redis_tui.data.values.display import human_ttl

    assert human_ttl(0) == "expired" and human_ttl(450) == "450ms" and human_ttl(1500) == "1s"
