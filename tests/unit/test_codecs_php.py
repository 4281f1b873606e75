"""PHP serialize()/session formats: reading, writing and byte-exact round trips.

No PHP interpreter is available here, so the fixtures are byte strings as PHP (>= 7.1,
serialize_precision=-1) writes them; the grammar is ext/standard/var_unserializer.re and the
examples match the PHP manual (serialize(), session_encode()).
"""

from __future__ import annotations

import math

import pytest

from redis_tui.data.codecs import CodecError, ObjectValue, decode
from redis_tui.data.codecs.php import (
    format_float,
    parse,
    parse_session,
    serialize,
    serialize_session,
)

# serialize(["a" => 1, "b" => [true, null, 1.5], "é" => "ü", 7 => -2, "f" => 0.1])
ARRAY = (
    b'a:5:{s:1:"a";i:1;s:1:"b";a:3:{i:0;b:1;i:1;N;i:2;d:1.5;}'
    b's:2:"\xc3\xa9";s:2:"\xc3\xbc";i:7;i:-2;s:1:"f";d:0.1;}'
)

# Byte-exact fixtures of plain data; serialize(parse(x)) must give x back.
PHP_FIXTURES = [
    b"N;",
    b"b:0;",
    b"b:1;",
    b"i:0;",
    b"i:-9223372036854775808;",
    b"d:0.1;",
    b"d:1;",
    b"d:-0;",
    b"d:1.0E+25;",
    b"d:1.5E-7;",
    b"d:0.0001;",
    b"d:123456.789;",
    b"d:INF;",
    b"d:-INF;",
    b's:0:"";',
    b's:5:"a"b;c";',  # quotes and semicolons inside are fine: the length rules
    b's:4:"\xf0\x9f\x98\x80";',  # one emoji, four bytes
    b"a:0:{}",
    ARRAY,
]


def test_array_decodes_to_dict_with_int_and_str_keys() -> None:
    assert parse(ARRAY) == {
        "a": 1,
        "b": {0: True, 1: None, 2: 1.5},
        "é": "ü",
        7: -2,
        "f": 0.1,
    }


def test_list_arrays_option() -> None:
    assert parse(ARRAY, list_arrays=True)["b"] == [True, None, 1.5]
    assert parse(b"a:0:{}", list_arrays=True) == []
    assert parse(b"a:1:{i:1;i:5;}", list_arrays=True) == {1: 5}


@pytest.mark.parametrize("fixture", PHP_FIXTURES, ids=lambda b: b[:16].decode("latin-1"))
def test_php_fixtures_round_trip_byte_exact(fixture: bytes) -> None:
    assert serialize(parse(fixture)) == fixture


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(2**63),
        0.1,
        -0.0,
        1e300,
        5e-324,
        "",
        "naïve ☃",
        b"\xff\x00\xfe",
        {"nested": {"deep": [1, {"x": None}]}, 3: "three"},
    ],
)
def test_python_values_round_trip(value: object) -> None:
    assert parse(serialize(value), list_arrays=True) == value


def test_nan_round_trips() -> None:
    assert math.isnan(parse(serialize(float("nan"))))
    assert serialize(float("nan")) == b"d:NAN;"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (1.0, "1"),
        (-0.0, "-0"),
        (100.0, "100"),
        (1e15, "1000000000000000"),
        (1e17, "1.0E+17"),
        (1e25, "1.0E+25"),
        (0.0001, "0.0001"),
        (0.00001, "1.0E-5"),
        (1.5e-7, "1.5E-7"),
        (2.5, "2.5"),
        (-1.2345678901234567e19, "-1.2345678901234567E+19"),
    ],
)
def test_float_formatting_matches_php(value: float, text: str) -> None:
    assert format_float(value) == text


def test_non_ascii_lengths_are_bytes() -> None:
    assert serialize("é") == b's:2:"\xc3\xa9";'
    assert parse(b's:2:"\xc3\xa9";') == "é"
    assert parse(b's:1:"\xe9";') == b"\xe9"  # latin-1 data stays bytes
    with pytest.raises(CodecError):
        parse(b's:1:"\xc3\xa9";')


def test_objects_enums_and_custom_serialized() -> None:
    # class User { public $name = "bob"; protected $role = "admin"; private $pw = "x"; }
    user = (
        b'O:4:"User":3:{s:4:"name";s:3:"bob";'
        b's:7:"\x00*\x00role";s:5:"admin";s:8:"\x00User\x00pw";s:1:"x";}'
    )
    assert parse(user) == ObjectValue("User", {"name": "bob", "role": "admin", "pw": "x"})
    assert parse(b'E:11:"Suit:Hearts";') == ObjectValue("Suit", {"__enum__": "Hearts"})
    custom = b'C:11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}'
    assert parse(custom) == ObjectValue("ArrayObject", {"__serialized__": "x:i:0;a:0:{};m:a:0:{}"})
    nested = b'C:3:"Foo":12:{a:1:{i:0;N;}}'
    assert parse(nested) == ObjectValue("Foo", {"__data__": {0: None}})
    assert serialize(ObjectValue("Suit", {"__enum__": "Hearts"})) == b'E:11:"Suit:Hearts";'


def test_references() -> None:
    # $a = [1]; $x = [$a, &$a[0], $o = new stdClass, $o];  r: is an object copy, R: a reference
    data = b'a:4:{i:0;a:1:{i:0;i:1;}i:1;R:3;i:2;O:8:"stdClass":0:{}i:3;r:4;}'
    value = parse(data)
    assert value[1] == 1
    assert value[3] is value[2]
    # A reference to the enclosing array makes a cycle.
    cyclic = parse(b"a:1:{i:0;R:1;}")
    assert cyclic[0] is cyclic
    with pytest.raises(CodecError, match="reference"):
        parse(b"a:1:{i:0;R:9;}")


def test_session_handler_format() -> None:
    # session_encode() with the default "php" handler (PHP manual example, extended).
    data = b'login_ok|b:1;nome|s:4:"sica";inteiro|i:34;cart|a:1:{i:0;s:3:"pen";}'
    session = parse_session(data)
    assert session == {"login_ok": True, "nome": "sica", "inteiro": 34, "cart": {0: "pen"}}
    assert serialize_session(session) == data
    assert decode(data).format == "php_session"
    assert parse_session(b"") == {}


def test_laravel_nested_serialized_string_is_unwrapped() -> None:
    inner = serialize({"_token": "abc", "_previous": {"url": "https://x.test"}, "_flash": {}})
    outer = serialize(inner.decode())
    result = decode(outer)
    assert result.format == "php"
    assert result.layers == ("php_string",)
    assert result.value == {"_token": "abc", "_previous": {"url": "https://x.test"}, "_flash": {}}


def test_errors() -> None:
    for bad in [
        b"",
        b"x:1;",
        b"i:1",
        b"i:1x;",
        b"b:2;",
        b"a:1:{i:0;N;",
        b"a:1:{d:1.5;N;}",
        b'O:3:"Foo":1:{}',
        b"N;N;",
        b"d:1_0;",
        b"i: 5;",
    ]:
        with pytest.raises(CodecError):
            parse(bad)
    with pytest.raises(TypeError):
        serialize({1, 2})
    with pytest.raises(CodecError):
        serialize_session({"a|b": 1})
