from __future__ import annotations

import gzip
import json
import os
import pickle
import zlib
from pathlib import Path

import msgpack

from redis_tui.data.values.formatting import FORMATS, render


def test_auto_detects_and_unwraps() -> None:
    assert render(b'{"a": [1, 2]}').format == "json"
    gz = render(gzip.compress(json.dumps({"user": "zoë"}).encode()))
    assert gz.format == "gzip → json" and '"user": "zoë"' in gz.text
    assert render(zlib.compress(b'{"z": 1}')).format == "zlib → json"
    mp = render(msgpack.packb({"cart": [1, 2]}))
    assert mp.format == "msgpack" and '"cart"' in mp.text
    assert render(b'a:1:{s:4:"name";s:3:"Zoe";}').format == "php"
    assert render(bytes(range(40))).format == "hex"


def test_corrupt_gzip_is_shown_with_the_reason() -> None:
    shown = render(gzip.compress(b"x" * 100)[:15])
    assert shown.format == "hex" and shown.note is not None and "gzip" in shown.note


class WritesFile:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


def test_hostile_pickle_is_described_never_run(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    payload = pickle.dumps({"session": WritesFile(str(target))})
    for fmt in ("auto", "pickle"):
        shown = render(payload, fmt)
        assert shown.format == "pickle"
        assert "builtins.open" in shown.text or "io.open" in shown.text
    assert not target.exists() and not os.path.exists(str(target))


def test_forced_formats_never_raise() -> None:
    samples = [b"", b"\x00\xff", b"hello", b'{"a":1}', gzip.compress(b"hi"), bytes(range(256))]
    for fmt in FORMATS:
        for data in samples:
            shown = render(data, fmt)
            assert isinstance(shown.text, str)
            assert "\x1b" not in shown.text


def test_escape_sequences_in_values_never_reach_the_terminal() -> None:
    shown = render(json.dumps({"x": "\x1b[2J"}).encode())
    assert "\x1b" not in shown.text
    assert "\x1b" not in render(b"\x1b[2J\x07 text").text


def test_truncated_value_is_not_decoded() -> None:
    shown = render(b'{"a": 1', truncated=True)
    assert shown.format == "text" and shown.note
