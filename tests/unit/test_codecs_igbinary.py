"""igbinary against outputs published in the igbinary test suite, plus hand-built bytes.

The type codes are those of igbinary/igbinary src/php7/igbinary.c (enum igbinary_type).
"""

from __future__ import annotations

import struct

import pytest

from redis_tui.data.codecs import CodecError, ObjectValue, decode
from redis_tui.data.codecs.igbinary import parse

HEADER = b"\x00\x00\x00\x02"


def test_object_array_from_igbinary_test_013() -> None:
    # tests/igbinary_013.phpt: igbinary_serialize([new Obj(1, 2), new Obj(3, 4)]) (header cut)
    data = HEADER + bytes.fromhex(
        "1402060017034f626a14021101610601110162060206011a0014020e0106030e020604"
    )
    assert parse(data) == {
        0: ObjectValue("Obj", {"a": 1, "b": 2}),
        1: ObjectValue("Obj", {"a": 3, "b": 4}),
    }


def test_cyclic_array_from_igbinary_test_026() -> None:
    # tests/igbinary_026.phpt: $a = ['a' => ['b' => 'c', 'd' => 'e']]; $a['f'] = &$a;
    data = HEADER + bytes.fromhex(
        "140211016114021101621101631101641101651101662514020e0001010e05250102"
    )
    value = parse(data)
    assert value["a"] == {"b": "c", "d": "e"}
    inner = value["f"]
    assert inner["a"] is value["a"]
    assert inner["f"] is inner  # the PHP reference cycle


def test_scalars_strings_and_string_table() -> None:
    # ["n" => null, "t" => true, "f" => false, "i" => [300, -70000, 2**40, -5], "d" => 1.5,
    #  "e" => "", "u" => "ü", "again" => "u" (written as a string id)]
    body = (
        b"\x14\x08"
        b"\x11\x01n\x00"
        b"\x11\x01t\x05"
        b"\x11\x01f\x04"
        b"\x11\x01i\x14\x04"
        b"\x06\x00\x08\x01\x2c"  # 0 => long16p 300
        b"\x06\x01\x0b\x00\x01\x11\x70"  # 1 => long32n 70000
        b"\x06\x02\x20" + (2**40).to_bytes(8, "big") +  # 2 => long64p
        b"\x06\x03\x07\x05"  # 3 => long8n 5
        b"\x11\x01d\x0c" + struct.pack(">d", 1.5) +
        b"\x11\x01e\x0d"
        b"\x11\x01u\x11\x02\xc3\xbc"
        b"\x11\x05again\x0e\x06"  # table: n t f i d e u ü -> id 6 is "u"
    )  # fmt: skip
    assert parse(HEADER + body) == {
        "n": None,
        "t": True,
        "f": False,
        "i": {0: 300, 1: -70000, 2: 2**40, 3: -5},
        "d": 1.5,
        "e": "",
        "u": "ü",
        "again": "u",
    }


def test_scalar_references_and_serializable_payload() -> None:
    # [0 => &$x (= 7), 1 => &$x] and an object whose Serializable payload is serialize([1]).
    payload = b"a:1:{i:0;i:1;}"
    body = (
        b"\x14\x03"
        b"\x06\x00\x25\x06\x07"  # ref wrapping long 7 -> joins the reference table as #1
        b"\x06\x01\x01\x01"  # ref8 1 -> the same value
        b"\x06\x02\x17\x03Foo\x1d" + bytes([len(payload)]) + payload
    )
    value = parse(HEADER + body)
    assert value[0] == value[1] == 7
    assert value[2] == ObjectValue("Foo", {"__data__": {0: 1}})


def test_session_and_sniffing() -> None:
    # The igbinary session handler stores the session as one array.
    data = HEADER + b"\x14\x01\x11\x07user_id\x06\x2a"
    result = decode(data)
    assert (result.format, result.value) == ("igbinary", {"user_id": 42})
    assert decode(b"\x00\x00\x00\x01\x06\x05").value == 5  # format version 1


@pytest.mark.parametrize(
    "bad",
    [
        b"\x00\x00\x00\x03\x00",  # unknown version
        HEADER,  # no value
        HEADER + b"\x00\x00",  # trailing data
        HEADER + b"\x0e\x00",  # string id before any string
        HEADER + b"\x01\x05",  # reference to nothing
        HEADER + b"\x16\xff\xff\xff\xff",  # forged array length
        HEADER + b"\x13\xff\xff\xff\xff",  # forged string length
        HEADER + b"\x14\x01\x14\x00\x00",  # array as a key
        HEADER + b"\x26",  # unknown type
        HEADER + b"\x17\x01A\x0d",  # object with a bad body
    ],
)
def test_errors(bad: bytes) -> None:
    with pytest.raises(CodecError):
        parse(bad)
