"""msgpack (via the msgpack library) and JSON (stdlib) wrappers."""

from __future__ import annotations

import datetime as dt

import msgpack
import pytest

from redis_tui.data.codecs import CodecError, ObjectValue, decode
from redis_tui.data.codecs.msgpack_codec import parse


def test_msgpack_round_trip_from_packb() -> None:
    value = {"user": "alice", "ids": [1, -2, 2**40], "ok": True, "none": None, "f": 0.5}
    data = msgpack.packb(value)
    assert parse(data) == value
    assert decode(data) == decode(data, "msgpack")
    assert decode(data).format == "msgpack"


def test_msgpack_timestamps_and_ext_types() -> None:
    moment = dt.datetime(2024, 2, 3, 4, 5, 6, 789000, tzinfo=dt.UTC)
    data = msgpack.packb({"at": moment, "ext": msgpack.ExtType(5, b"\x01\x02")}, datetime=True)
    assert parse(data) == {
        "at": moment,
        "ext": ObjectValue("msgpack.ExtType", {"code": 5, "data": b"\x01\x02"}),
    }
    far = msgpack.packb(msgpack.Timestamp(seconds=2**40, nanoseconds=5))
    assert parse(far) == ObjectValue("msgpack.Timestamp", {"seconds": 2**40, "nanoseconds": 5})


def test_msgpack_non_utf8_str_falls_back_to_bytes() -> None:
    data = b"\x82\xa1k\xa2\xff\xfe\xa1b\xc4\x01x"  # {"k": <str ff fe>, "b": bin(x)}
    assert parse(data) == {b"k": b"\xff\xfe", b"b": b"x"}


def test_msgpack_unhashable_keys() -> None:
    data = msgpack.packb({(1, 2): "pair"}, use_bin_type=True)
    assert parse(data) == {(1, 2): "pair"}
    assert parse(b"\x81\x81\x01\x02\x03") == {((1, 2),): 3}  # {{1: 2}: 3}


@pytest.mark.parametrize(
    "bad",
    [
        b"\x92\x01",  # truncated array
        b"\x01\x02",  # trailing data
        b"\xc1",  # never-used byte
        b"\xdd\xff\xff\xff\xff",  # forged array length
        b"\xc6\xff\xff\xff\xff",  # forged bin length
        b"\x91" * 100_000,  # deep
    ],
)
def test_msgpack_errors(bad: bytes) -> None:
    with pytest.raises(CodecError):
        parse(bad)


def test_json() -> None:
    result = decode(b' {"a": [1, 2.5, "\\u00e9", null, true]} ')
    assert result.format == "json"
    assert result.value == {"a": [1, 2.5, "é", None, True]}
    assert decode(b"\xef\xbb\xbf[1]", "json").value == [1]  # UTF-8 BOM


@pytest.mark.parametrize(
    "bad",
    [b'{"a": 1} trailing', b"[1,", b"{'a': 1}", b"\xff", b"[" * 100_000, b"1" * 5000],
)
def test_json_errors(bad: bytes) -> None:
    with pytest.raises(CodecError, match="json"):
        decode(bad, "json")


def test_json_depth_limit() -> None:
    assert decode(b"[" * 150 + b"]" * 150, "json").value is not None
    with pytest.raises(CodecError, match="nesting"):
        decode(b"[" * 500 + b"]" * 500, "json")
