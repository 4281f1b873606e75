"""Hostile input: every failure must be a CodecError, never another exception type.

Truncation at every offset, seeded random garbage and mutations of valid samples, 100k-deep
nesting, forged lengths up to 2**62 and 10 MB payloads, for every format.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import pickle
import random
from pathlib import Path
from typing import Any

import msgpack
import pytest

from redis_tui.data.codecs import FORMATS, CodecError, decode, pretty
from redis_tui.data.codecs.php import serialize, serialize_session

JAVA = Path(__file__).parent.parent / "fixtures" / "java"
DEEP = 100_000

_RICH = {
    "user": "alice",
    "ids": [1, -2, 2**40, 3.5],
    "nested": {"a": [None, True, {"b": "ü"}]},
    "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
}

# (forced format, valid sample)
SAMPLES: list[tuple[str, bytes]] = [
    *[("pickle", pickle.dumps(_RICH, protocol=p)) for p in range(pickle.HIGHEST_PROTOCOL + 1)],
    ("php", serialize({"a": [1, "ü", 2.5, None, True], "o": {"x": {"y": "z"}}})),
    (
        "php",
        b'a:3:{s:1:"a";a:2:{i:0;i:1;i:1;s:2:"\xc3\xbc";}'
        b's:1:"o";O:4:"User":2:{s:4:"name";s:3:"bob";s:7:"\x00*\x00role";R:3;}'
        b's:1:"c";C:3:"Foo":12:{a:1:{i:0;N;}}}',
    ),
    ("php_session", serialize_session({"login": True, "cart": {"pen": 2}, "name": "ü"})),
    (
        "igbinary",
        b"\x00\x00\x00\x02"
        + bytes.fromhex("1402060017034f626a14021101610601110162060206011a0014020e0106030e020604"),
    ),
    (
        "igbinary",
        b"\x00\x00\x00\x02"
        + bytes.fromhex("140211016114021101621101631101641101651101662514020e0001010e05250102"),
    ),
    (
        "ruby_marshal",
        b'\x04\x08{\x07I"\x0fsession_id\x06:\x06ETI"\x0b3f2a9c\x06;\x00T'
        b'I"\x09list\x06;\x00T[\x08i\x06f\x081.5o:\tUser\x06:\n@nameI"\x08bob\x06;\x00T',
    ),
    ("java", (JAVA / "user.bin").read_bytes()),
    ("java", (JAVA / "hashmap.bin").read_bytes()),
    ("java", (JAVA / "custom.bin").read_bytes()),
    ("msgpack", msgpack.packb({"a": [1, 2.5, "x", b"\x00", None, {"b": True}]}, datetime=True)),
    ("json", json.dumps({"a": [1, 2.5, "x", None, {"b": True}]}).encode()),
    ("gzip", gzip.compress(json.dumps(_RICH, default=str).encode())),
]

SAMPLE_IDS = [f"{fmt}-{i}" for i, (fmt, _) in enumerate(SAMPLES)]


def _check(data: bytes, fmt: str | None, **kwargs: Any) -> None:
    try:
        result = decode(data, fmt, **kwargs)
    except CodecError:
        return
    pretty(result.value)  # whatever decodes must also render


@pytest.mark.parametrize(("fmt", "sample"), SAMPLES, ids=SAMPLE_IDS)
def test_samples_are_valid(fmt: str, sample: bytes) -> None:
    assert decode(sample, fmt).value is not None
    assert decode(sample).format in (fmt, "json")  # gzip sample holds JSON


@pytest.mark.parametrize(("fmt", "sample"), SAMPLES, ids=SAMPLE_IDS)
def test_truncated_at_every_offset(fmt: str, sample: bytes) -> None:
    for cut in range(len(sample)):
        _check(sample[:cut], fmt)
        _check(sample[:cut], None)


@pytest.mark.parametrize(("fmt", "sample"), SAMPLES, ids=SAMPLE_IDS)
def test_seeded_mutations(fmt: str, sample: bytes) -> None:
    rng = random.Random(f"{fmt}-{len(sample)}")
    for _ in range(300):
        data = bytearray(sample)
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(3)
            pos = rng.randrange(len(data))
            if op == 0:
                data[pos] = rng.randrange(256)
            elif op == 1:
                data.insert(pos, rng.randrange(256))
            elif len(data) > 1:
                del data[pos]
        _check(bytes(data), fmt)
        _check(bytes(data), None)


@pytest.mark.parametrize("fmt", [*FORMATS, None])
def test_seeded_random_garbage(fmt: str | None) -> None:
    rng = random.Random(20240501)
    for size in [0, 1, 2, 3, 4, 5, 8, 16, 64, 256, 1024] * 20:
        _check(rng.randbytes(size), fmt)
    # Garbage behind each format's magic bytes reaches the parsers themselves.
    for prefix in [b"\x80\x04", b"\x04\x08", b"\xac\xed\x00\x05", b"\x00\x00\x00\x02", b"a:"]:
        for size in [1, 2, 3, 8, 32, 128] * 20:
            _check(prefix + rng.randbytes(size), fmt)


def _java_nested_arrays(depth: int) -> bytes:
    first = b"\x75\x72\x00\x13[Ljava.lang.Object;" + bytes(8) + b"\x02\x00\x00\x78\x70"
    again = b"\x75\x71\x00\x7e\x00\x00"  # same class descriptor by handle
    return b"\xac\xed\x00\x05" + first + b"\x00\x00\x00\x01" + (again + b"\x00\x00\x00\x01") * depth


def _java_deep_hierarchy(depth: int) -> bytes:
    desc = b"\x72\x00\x01A" + bytes(8) + b"\x02\x00\x00\x78"
    return b"\xac\xed\x00\x05\x73" + desc * depth + b"\x70"


DEEP_INPUTS = {
    "json": b"[" * DEEP + b"]" * DEEP,
    "msgpack": b"\x91" * DEEP + b"\xc0",
    "pickle-marks": b"\x80\x02" + b"(" * DEEP,
    "pickle-tuples": b"\x80\x02N" + b"\x85" * DEEP + b".",
    # MARK, BINGET 0, FROZENSET, BINPUT 0 -> a frozenset holding the previous one.
    "pickle-frozensets": b"\x80\x04Nq\x00" + b"(h\x00\x91q\x00" * DEEP + b".",
    # Each step: EMPTY_LIST, BINGET 0, APPEND, BINPUT 0 -> a list holding the previous one.
    "pickle-memo-chain": b"\x80\x02]q\x00" + b"]h\x00aq\x00" * DEEP + b".",
    "php": b"a:1:{i:0;" * DEEP + b"N;" + b"}" * DEEP,
    "php-object": b'O:1:"A":1:{s:1:"a";' * DEEP + b"N;" + b"}" * DEEP,
    "igbinary": b"\x00\x00\x00\x02" + b"\x14\x01\x06\x00" * DEEP + b"\x00",
    "ruby": b"\x04\x08" + b"[\x06" * DEEP + b"0",
    "ruby-ivar": b"\x04\x08" + b"I" * DEEP + b"0",
    "java-arrays": _java_nested_arrays(DEEP),
    "java-hierarchy": _java_deep_hierarchy(DEEP),
}


@pytest.mark.parametrize("name", DEEP_INPUTS)
def test_deep_nesting_is_refused(name: str) -> None:
    fmt = {"pickle": "pickle", "php": "php", "ruby": "ruby_marshal", "java": "java"}.get(
        name.split("-")[0], name
    )
    with pytest.raises(CodecError):
        decode(DEEP_INPUTS[name], fmt)
    _refused_or_shown_raw(DEEP_INPUTS[name])


def _refused_or_shown_raw(data: bytes) -> None:
    # Detection may fall back to showing shape-sniffed data (JSON, PHP) as plain text.
    try:
        result = decode(data)
    except CodecError:
        return
    assert result.format in ("text", "binary")


FORGED_LENGTHS = {
    "pickle-binbytes8": b"\x80\x04\x8e" + (2**62).to_bytes(8, "little") + b".",
    "pickle-binunicode8": b"\x80\x04\x8d" + (2**62).to_bytes(8, "little") + b".",
    "pickle-bytearray8": b"\x80\x05\x96" + (2**62).to_bytes(8, "little") + b".",
    "pickle-long4": b"\x80\x02\x8b\xff\xff\xff\x7f.",
    "pickle-frame": b"\x80\x04\x95" + (2**62).to_bytes(8, "little") + b"N.",
    "php-string": b's:4611686018427387904:"x";',
    "php-array": b"a:4611686018427387904:{}",
    "php-float": b"d:" + b"9" * 100_000 + b";",
    "php-int": b"i:" + b"9" * 100_000 + b";",
    "igbinary-string": b"\x00\x00\x00\x02\x13\xff\xff\xff\xff",
    "igbinary-array": b"\x00\x00\x00\x02\x16\xff\xff\xff\xff",
    "ruby-string": b'\x04\x08"\x04\xff\xff\xff\x3f',
    "ruby-bignum": b"\x04\x08l+\x04\xff\xff\xff\x3f",
    "java-longstring": b"\xac\xed\x00\x05\x7c" + (2**62).to_bytes(8, "big"),
    "java-blockdata": b"\xac\xed\x00\x05\x7a\x7f\xff\xff\xff",
    "msgpack-bin32": b"\xc6\xff\xff\xff\xff",
    "msgpack-map32": b"\xdf\xff\xff\xff\xff",
    "json-bigint": b"1" * 100_000,
}


@pytest.mark.parametrize("name", FORGED_LENGTHS)
def test_forged_lengths_are_refused(name: str) -> None:
    fmt = {"ruby": "ruby_marshal"}.get(name.split("-")[0], name.split("-")[0])
    with pytest.raises(CodecError):
        decode(FORGED_LENGTHS[name], fmt)
    _refused_or_shown_raw(FORGED_LENGTHS[name])


def test_too_many_objects_is_refused() -> None:
    # 1.1 million one-byte EMPTY_DICT opcodes: past the cap on containers per decode.
    with pytest.raises(CodecError, match="objects"):
        decode(b"\x80\x02" + b"}" * 1_100_000 + b".", "pickle")


def test_ten_megabyte_payloads_decode() -> None:
    rng = random.Random(7)
    garbage = rng.randbytes(10 << 20)
    big = "x" * (10 << 20)
    _check(garbage, None)
    for fmt in FORMATS:
        _check(garbage, fmt)
    assert decode(pickle.dumps(big.encode())).value == big.encode()
    assert decode(serialize(big)).value == big
    assert decode(json.dumps(big).encode()).value == big
    assert decode(b'\x04\x08"\x04\x00\x00\xa0\x00' + big.encode()).value == big.encode()
