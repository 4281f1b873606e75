"""The package-level API: sniff, decode, to_jsonable, pretty, hexdump, import hygiene."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import pickle
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import msgpack
import pytest

from redis_tui.data.codecs import (
    FORMATS,
    CodecError,
    Decoded,
    ObjectValue,
    decode,
    hexdump,
    pretty,
    sniff,
    to_jsonable,
)
from redis_tui.data.codecs.php import serialize

JAVA_LONG = (Path(__file__).parent.parent / "fixtures" / "java" / "long.bin").read_bytes()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", None),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"\x78\x9c\x03\x00", "zlib"),
        (b"\x28\xb5\x2f\xfd\x00", "zstd"),
        (b"\x04\x22\x4d\x18\x00", "lz4"),
        (pickle.dumps({"a": 1}), "pickle"),
        (pickle.dumps({"a": 1}, protocol=0), "pickle"),
        (b"\x04\x08i\x06", "ruby_marshal"),
        (JAVA_LONG, "java"),
        (b"\x00\x00\x00\x02\x06\x01", "igbinary"),
        (b'a:1:{i:0;s:1:"x";}', "php"),
        (b"N;", "php"),
        (b"d:0.5;", "php"),
        (b'user|s:3:"bob";', "php_session"),
        (b' {"a": [1]}', "json"),
        (b"42", "json"),
        (msgpack.packb({"a": 1}), "msgpack"),
        (b"hello world\n", "text"),
        (b"{not json", "text"),
        ("ünïcödé".encode(), "text"),
        (b"\x01\x02\x03", "binary"),
        (b"\xff\xfe\xfd", "binary"),
    ],
)
def test_sniff(data: bytes, expected: str | None) -> None:
    assert sniff(data) == expected


def test_decode_auto_and_forced() -> None:
    assert decode(b"") == Decoded("text", "", ())
    assert decode(b"plain") == Decoded("text", "plain", ())
    assert decode(b"\x00\x01") == Decoded("binary", b"\x00\x01", ())
    assert decode(b'{"a": 1}', "text") == Decoded("text", '{"a": 1}', ())
    assert decode(b"x", "binary").value == b"x"
    with pytest.raises(CodecError, match="unknown format"):
        decode(b"x", "yaml")
    with pytest.raises(CodecError, match="text"):
        decode(b"\xff", "text")
    with pytest.raises(CodecError, match="max_output"):
        decode(b"x" * 101, max_output=100)
    assert set(FORMATS) >= {"json", "pickle", "java", "gzip", "brotli"}


def test_shape_detected_formats_fall_back_to_text() -> None:
    # Starts like PHP serialize() but is not: show it as text instead of failing.
    assert decode(b'a:1:{i:0;s:9:"oops";}').format == "text"


def test_magic_detected_formats_report_corruption() -> None:
    with pytest.raises(CodecError, match="pickle"):
        decode(pickle.dumps([1, 2, 3])[:-3])


def test_brotli_is_tried_last_for_binary() -> None:
    import brotli

    blob = brotli.compress(json.dumps({"k": "v"}).encode())
    result = decode(blob)
    assert (result.format, result.layers, result.value) == ("json", ("brotli",), {"k": "v"})


def test_php_string_layers_after_compression() -> None:
    blob = gzip.compress(serialize(serialize({"a": 1}).decode()))
    result = decode(blob)
    assert (result.format, result.layers, result.value) == ("php", ("gzip", "php_string"), {"a": 1})


def test_to_jsonable() -> None:
    value = {
        "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "day": dt.date(2024, 1, 2),
        "span": dt.timedelta(seconds=90),
        "raw": b"\x00\xff",
        "obj": ObjectValue("User", {"name": "bob", "__class__": "shadow"}),
        "tuple": (1, 2),
        "set": {3},
        1: "int key",
        None: "none key",
        (1, "a"): "tuple key",
        "nan": float("nan"),
        "inf": float("-inf"),
        "money": Decimal("1.10"),
        "huge": 1 << 20_000,
    }
    out = to_jsonable(value)
    json.dumps(out, allow_nan=False)  # strictly JSON-safe
    assert out["when"] == "2024-01-02T03:04:05+00:00"
    assert out["day"] == "2024-01-02"
    assert out["raw"] == "00ff"
    assert out["obj"] == {"__class__": "User", "name": "bob", "___class__": "shadow"}
    assert out["tuple"] == [1, 2] and out["set"] == [3]
    assert out["1"] == "int key" and out["null"] == "none key"
    assert out['[1, "a"]'] == "tuple key"
    assert out["nan"] == "nan" and out["inf"] == "-inf"
    assert out["money"] == "1.10"
    assert out["huge"].startswith("0x1")


def test_to_jsonable_bounds_shared_references() -> None:
    # 40 levels of [x, x] is 2**40 paths through 40 lists: the node budget stops it.
    node: list[object] = []
    for _ in range(40):
        node = [node, node]
    out = json.dumps(to_jsonable(node, max_nodes=10_000))
    assert "<truncated>" in out
    assert len(out) < 200_000


def test_pretty_escapes_control_characters() -> None:
    text = pretty({"k": "\x1b[31mred\x9b2J\ud800"})
    assert "\x1b" not in text and "\x9b" not in text and "\ud800" not in text
    assert "\\u001b" in text and "\\u009b" in text and "\\ud800" in text
    assert pretty([1]) == "[\n  1\n]"
    assert math.isnan(float(json.loads(pretty(float("nan")))))


def test_hexdump() -> None:
    dump = hexdump(b"Hello, world!\x00\x1b\xff" + bytes(range(4)))
    lines = dump.splitlines()
    assert lines[0] == (
        "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 00 1b ff  |Hello, world!...|"
    )
    assert lines[1].startswith("00000010  00 01 02 03")
    assert lines[-1] == "00000014"
    truncated = hexdump(bytes(100), limit=32).splitlines()
    assert truncated[-2:] == ["00000020", "... 68 more bytes not shown"]
    assert hexdump(b"") == "00000000"


def test_codecs_do_not_import_textual_or_rich() -> None:
    code = (
        "import sys, redis_tui.data.codecs as c; c.decode(b'{}'); "
        "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
