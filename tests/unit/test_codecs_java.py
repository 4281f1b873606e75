"""Java serialization against real ObjectOutputStream output (tests/fixtures/java/*.bin).

The fixtures come from tests/fixtures/java/GenFixtures.java (OpenJDK 17); its header says
how to regenerate them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from redis_tui.data.codecs import CodecError, ObjectValue, decode, pretty
from redis_tui.data.codecs.java_ser import parse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "java"
CREATED = dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=dt.UTC)


def load(name: str) -> Any:
    return parse((FIXTURES / f"{name}.bin").read_bytes())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("long", 1700000000123),  # Spring Session creationTime / lastAccessedTime
        ("integer", 1800),  # Spring Session maxInactiveInterval
        ("boolean", True),
        ("double", -2.5),
        ("string", "héllo \x00 😀"),  # modified UTF-8: C0 80 and a surrogate pair
        ("date", CREATED),
        ("bigdecimal", Decimal("-12345678901234567890.125")),
        ("biginteger", -123456789012345678901234567890),
        ("arraylist", ["one", 2, None, 3.0, "one"]),
        ("hashmap", {"count": 7, "user": "alice", "nested": [1, 2]}),
        ("linkedhashmap", {"z": 1, "a": 2, "m": 3}),
        ("treemap", {"a": 1, "b": 2}),
        ("linkedhashset", ["x", "y"]),
        ("hashset", [5]),
        ("enum", ObjectValue("GenFixtures$Role", {"__enum__": "USER"})),
        ("arrays", {"roles": ["admin"], "matrix": [[1, 2], [3]]}),
    ],
)
def test_real_streams(name: str, value: Any) -> None:
    assert load(name) == value


def test_linked_hash_map_keeps_order() -> None:
    assert list(load("linkedhashmap")) == ["z", "a", "m"]


def test_custom_serializable_class() -> None:
    user = load("user")
    assert isinstance(user, ObjectValue)
    assert user.class_name == "GenFixtures$User"
    assert user.fields == {
        "id": "base-id",  # superclass fields come first
        "b": -2,
        "c": "é",
        "d": 1.5,
        "f": 0.25,
        "i": -123456,
        "l": 1 << 40,
        "s": -300,
        "z": True,
        "blob": b"\x00\x01\xff",
        "created": CREATED,
        "friend": None,
        "name": "Zoë \x00 😀",
        "nothing": None,
        "role": ObjectValue("GenFixtures$Role", {"__enum__": "ADMIN"}),
        "scores": [1, 2, 3],
        "tags": ["a", None, "a"],
    }


def test_write_object_data_is_kept_as_annotations() -> None:
    custom = load("custom")
    assert custom.fields["version"] == 3
    # writeInt(0xCAFE) + writeUTF("extra") share one block; writeObject("tail") follows.
    assert custom.fields["__annotations__"] == [b"\x00\x00\xca\xfe\x00\x05extra", "tail"]


def test_spring_security_context_shape() -> None:
    context = load("security_context")
    principal = context.fields["authentication"]
    assert principal == ObjectValue(
        "GenFixtures$Principal",
        {"enabled": True, "authorities": ["ROLE_USER", "ROLE_ADMIN"], "username": "alice"},
    )
    assert '"username": "alice"' in pretty(context)


def test_self_referencing_list() -> None:
    value = load("cycle")
    assert value[0] is value
    assert pretty(value) == '[\n  "<cycle>"\n]'


def test_decode_sniffs_java() -> None:
    result = decode((FIXTURES / "hashmap.bin").read_bytes())
    assert result.format == "java"
    assert result.value["user"] == "alice"


def test_several_top_level_contents_become_a_list() -> None:
    # ObjectOutputStream.writeInt(5) then writeObject(null): block data, then TC_NULL.
    data = b"\xac\xed\x00\x05\x77\x04\x00\x00\x00\x05\x70"
    assert parse(data) == [b"\x00\x00\x00\x05", None]


def test_reset_inside_an_object_does_not_break_handles() -> None:
    # Found by fuzzing: TC_RESET in writeObject data empties the handle table while the
    # enclosing object still waits for its own handle slot.
    data = (FIXTURES / "custom.bin").read_bytes()
    assert data.endswith(b"t\x00\x04tailx")
    patched = data[: -len(b"t\x00\x04tailx")] + b"yt\x00\x04tailx"
    assert parse(patched).fields["__annotations__"][-1] == "tail"


@pytest.mark.parametrize(
    "bad",
    [
        b"\xac\xed\x00\x04\x70",  # wrong version
        b"\xac\xed\x00\x05",  # empty stream
        b"\xac\xed\x00\x05\x71\x00\x7e\x00\x00",  # handle to nothing
        b"\xac\xed\x00\x05\x7c" + (2**62).to_bytes(8, "big"),  # forged long string length
        b"\xac\xed\x00\x05\x74\x00\x02\xff\xff",  # not modified UTF-8
        b"\xac\xed\x00\x05\x73\x70",  # object with a null class
        b"\xac\xed\x00\x05\x78",  # stray end of block data
    ],
)
def test_errors(bad: bytes) -> None:
    with pytest.raises(CodecError):
        parse(bad)


def test_cyclic_superclass_chains_terminate() -> None:
    # Class A's superclass is class B, whose superclass is A again (handle 0x7e0000).
    desc_b = b"\x72\x00\x01B" + bytes(8) + b"\x12\x00\x00\x78\x71\x00\x7e\x00\x00"
    desc_a = b"\x72\x00\x01A" + bytes(8) + b"\x12\x00\x00\x78" + desc_b
    enum = b"\xac\xed\x00\x05\x7e" + desc_a + b"\x74\x00\x01X"
    assert parse(enum).fields == {"__enum__": "X"}
    with pytest.raises(CodecError, match="cyclic"):
        parse(b"\xac\xed\x00\x05\x73" + desc_a)


def test_forged_array_length_is_checked_before_allocating() -> None:
    # TC_ARRAY, class "[I" (no fields, no super), handle, length 0x7fffffff, no data.
    desc = b"\x72\x00\x02[I" + bytes(8) + b"\x02\x00\x00\x78\x70"
    data = b"\xac\xed\x00\x05\x75" + desc + b"\x7f\xff\xff\xff"
    with pytest.raises(CodecError, match="truncated"):
        parse(data)
