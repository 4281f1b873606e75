"""Ruby Marshal 4.8 without Ruby: literal dumps and a tiny spec-following writer.

Byte layouts follow Ruby's marshal.c (w_object / r_object0) and doc/marshal.rdoc; the
literal strings are what ``Marshal.dump`` prints in irb for the values named beside them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from redis_tui.data.codecs import CodecError, ObjectValue, decode
from redis_tui.data.codecs.ruby_marshal import parse


def fixnum(n: int) -> bytes:
    """Ruby's w_long: 0, 1..122 as n+5, -123..-1 as n-5, else a length byte + LE bytes."""
    if n == 0:
        return b"\x00"
    if 0 < n < 123:
        return bytes([n + 5])
    if -124 < n < 0:
        return bytes([(n - 5) & 0xFF])
    size = (max(n.bit_length(), (~n).bit_length()) + 8) // 8
    size = min(size, 4)
    raw = (n & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    return bytes([size if n > 0 else (256 - size)]) + raw


class Writer:
    """Enough of Marshal.dump for session-shaped data: symbols are written once and then
    linked with ';', strings carry the UTF-8 ``E`` ivar like Ruby strings do."""

    def __init__(self) -> None:
        self.symbols: list[str] = []

    def symbol(self, name: str) -> bytes:
        if name in self.symbols:
            return b";" + fixnum(self.symbols.index(name))
        self.symbols.append(name)
        raw = name.encode()
        return b":" + fixnum(len(raw)) + raw

    def dump(self, value: Any) -> bytes:
        return b"\x04\x08" + self.obj(value)

    def obj(self, value: Any) -> bytes:
        if value is None:
            return b"0"
        if value is True:
            return b"T"
        if value is False:
            return b"F"
        if isinstance(value, int):
            return b"i" + fixnum(value)
        if isinstance(value, str):
            raw = value.encode()
            return b'I"' + fixnum(len(raw)) + raw + b"\x06" + self.symbol("E") + b"T"
        if isinstance(value, list):
            return b"[" + fixnum(len(value)) + b"".join(self.obj(v) for v in value)
        if isinstance(value, dict):
            body = b"".join(self.obj(k) + self.obj(v) for k, v in value.items())
            return b"{" + fixnum(len(value)) + body
        raise TypeError(value)


@pytest.mark.parametrize(
    ("dump", "value"),
    [
        (b"\x04\x080", None),  # nil
        (b"\x04\x08T", True),
        (b"\x04\x08F", False),
        (b"\x04\x08i\x00", 0),
        (b"\x04\x08i\x06", 1),
        (b"\x04\x08i\xfa", -1),
        (b"\x04\x08i\x7f", 122),
        (b"\x04\x08i\x01\x7b", 123),
        (b"\x04\x08i\x02,\x01", 300),
        (b"\x04\x08i\xfe\xd4\xfe", -300),
        (b"\x04\x08i\x04\xff\xff\xff\x3f", 2**30 - 1),
        (b"\x04\x08l+\x0a" + (2**70).to_bytes(10, "little"), 2**70),  # Bignum, 5 words
        (b"\x04\x08l-\x08" + (2**32).to_bytes(6, "little"), -(2**32)),
        (b"\x04\x08f\x081.5", 1.5),
        (b"\x04\x08f\x09-inf", float("-inf")),
        (b'\x04\x08I"\x08abc\x06:\x06ET', "abc"),  # "abc" (UTF-8)
        (b'\x04\x08"\x08\xff\x00\x01', b"\xff\x00\x01"),  # binary (ASCII-8BIT) string
        (b'\x04\x08I"\x06a\x06:\x06EF', "a"),  # US-ASCII
        (b'\x04\x08I"\x06\xe9\x06:\rencoding"\x0fISO-8859-1', "é"),
        (b"\x04\x08:\x08abc", "abc"),  # :abc
        (b'\x04\x08[\x08i\x06I"\x06a\x06:\x06ET:\x06b', [1, "a", "b"]),  # [1, "a", :b]
        (b'\x04\x08{\x06I"\x06a\x06:\x06ETi\x06', {"a": 1}),  # {"a" => 1}
        (b"\x04\x08}\x00i\x06", {}),  # Hash.new(1): the default is dropped
        (b"\x04\x08{\x06[\x07i\x06i\x07T", {(1, 2): True}),  # {[1, 2] => true}
    ],
)
def test_literal_dumps(dump: bytes, value: Any) -> None:
    assert parse(dump) == value


def test_writer_fixnums_match_ruby() -> None:
    for n in [0, 1, -1, 122, 123, -123, -124, 255, 256, -256, 65536, -65537, 2**30 - 1]:
        assert parse(b"\x04\x08i" + fixnum(n)) == n


def test_rails_session_hash() -> None:
    session = {
        "session_id": "3f2a9c",
        "_csrf_token": "q1w2e3==",
        "warden.user.user.key": [[1], "$2a$12$saltsaltsalt"],
        "flash": {"discard": [], "flashes": {"notice": "Signed in."}},
        "return_to": None,
    }
    data = Writer().dump(session)
    assert b";\x00" in data  # the E symbol really is linked after its first use
    result = decode(data)
    assert result.format == "ruby_marshal"
    assert result.value == session


def test_time_is_an_aware_utc_datetime() -> None:
    # Marshal.dump(Time.utc(2024, 1, 2, 3, 4, 5, 678901)): Iu:\tTime + 8 packed bytes +
    # ivars {zone: "UTC"}. Layout from time.c time_mdump.
    p = 1 << 31 | 1 << 30 | (2024 - 1900) << 14 | (1 - 1) << 10 | 2 << 5 | 3
    s = 4 << 26 | 5 << 20 | 678901
    raw = p.to_bytes(4, "little") + s.to_bytes(4, "little")
    data = b"\x04\x08Iu:\tTime\r" + raw + b'\x06:\tzoneI"\x08UTC\x06:\x06EF'
    assert parse(data) == dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    # The Time sits after its ivar values in the link table: [Time, Time] links with "@\x07".
    pair = b"\x04\x08[\x07Iu:\tTime\r" + raw + b'\x06:\tzoneI"\x08UTC\x06:\x06EF@\x07'
    first, second = parse(pair)
    assert second is first


def test_objects_structs_and_links() -> None:
    # class User; @name = "bob"; @tags = ["a"]; end and the same string linked twice.
    user = (
        b'\x04\x08[\x07o:\tUser\x07:\n@nameI"\x08bob\x06:\x06ET:\n@tags[\x06I"\x06a\x06;\x07T@\x07'
    )
    value, again = parse(user)
    assert value == ObjectValue("User", {"name": "bob", "tags": ["a"]})
    assert again == "bob"
    # Struct.new(:x, :y) named Point, Point.new(1, 2)
    point = b"\x04\x08S:\nPoint\x07:\x06xi\x06:\x06yi\x07"
    assert parse(point) == ObjectValue("Point", {"x": 1, "y": 2})


def test_hash_with_indifferent_access_bigdecimal_date_regexp() -> None:
    hwia = b'\x04\x08C:-ActiveSupport::HashWithIndifferentAccess{\x06I"\x06a\x06:\x06ETi\x06'
    assert parse(hwia) == {"a": 1}
    # The marshal_dump spelling ("U") some ActiveSupport versions use, linked twice.
    hwia_u = b"\x04\x08[\x07U:-ActiveSupport::HashWithIndifferentAccess{\x00@\x06"
    first, second = parse(hwia_u)
    assert first == {} and second is first
    # BigDecimal("1.25")._dump is "18:0.125e1"
    assert parse(b"\x04\x08u:\x0fBigDecimal\x0f18:0.125e1") == Decimal("1.25")
    # Date.new(2024, 1, 1).marshal_dump == [0, 2460311, 0, 0, 0, 2299161.0]
    date = b"\x04\x08U:\tDate[\x0bi\x00i\x03\x97\x8a%i\x00i\x00i\x00f\x0c2299161"
    assert parse(date) == dt.date(2024, 1, 1)
    # /ab+c/i
    regexp = b"\x04\x08I/\tab+c\x01\x06:\x06EF"
    assert parse(regexp) == ObjectValue("Regexp", {"source": "ab+c", "options": 1})
    assert parse(b"\x04\x08c\x0bObject") == ObjectValue("Class", {"name": "Object"})


@pytest.mark.parametrize(
    "bad",
    [
        b"\x04\x07i\x06",  # another version
        b"\x04\x08",
        b"\x04\x08i",
        b"\x04\x08i\x06i\x06",  # trailing
        b"\x04\x08@\x00",  # link to nothing
        b"\x04\x08;\x00",  # symlink to nothing
        b'\x04\x08"\x04\xff\xff\xff\x3f',  # forged string length
        b"\x04\x08[\x04\xff\xff\xff\x3f",  # forged array length
        b"\x04\x08f\x06x",  # bad float
        b"\x04\x08o\x06",  # object with a non-symbol class
        b"\x04\x08Z",  # unknown type
    ],
)
def test_errors(bad: bytes) -> None:
    with pytest.raises(CodecError):
        parse(bad)
