"""The restricted pickle reader against real ``pickle.dumps`` output, protocols 0-5."""

from __future__ import annotations

import collections
import datetime as dt
import os
import pickle
import pickletools
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from redis_tui.data.codecs import CodecError, ObjectValue, decode, pretty
from redis_tui.data.codecs.pickle_reader import parse

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)

# Module-level so pickle can reference them by name; never unpickled by the tests.


class Account:
    def __init__(self) -> None:
        self.name = "alice"
        self.roles = ["admin", "dev"]
        self.nested = {"k": (1, 2)}


class Slotted:
    __slots__ = ("x", "y")

    def __init__(self) -> None:
        self.x = 5
        self.y = "why"


class WriteFile:
    """Unpickling this with pickle.loads would create the file named by ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.path}",))


class OpenFile:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


PLAIN: dict[Any, Any] = {
    "none": None,
    "bools": [True, False],
    "ints": [0, 1, -1, 255, 256, 65535, 65536, -(2**31), 2**31, 2**63, -(2**100)],
    "float": 1.25,
    "text": "héllo ☃ \x00",
    "bytes": b"\x00\xffbin",
    "tuple": (1, "two", (3.0,)),
    "empty": ([], {}, (), set(), frozenset()),
    "set": {1, 2, 3},
    "frozen": frozenset({"a"}),
    "nested": {"a": [{"b": [1, 2, {"c": None}]}]},
    (1, 2): "tuple key",
    "bytearray": b"ba",
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_plain_data_round_trips(protocol: int) -> None:
    value = dict(PLAIN)
    value["bytearray"] = bytearray(b"ba")  # comes back as bytes
    assert parse(pickle.dumps(value, protocol=protocol)) == PLAIN


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_datetimes_decimal_and_timedelta_are_rebuilt(protocol: int) -> None:
    value = {
        "naive": dt.datetime(2024, 5, 6, 7, 8, 9, 123456),
        "utc": dt.datetime(2024, 5, 6, tzinfo=dt.UTC),
        "offset": dt.datetime(2024, 5, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=-3), "BRT")),
        "fold": dt.datetime(2024, 11, 3, 1, 30, fold=1),
        "date": dt.date(1999, 12, 31),
        "time": dt.time(23, 59, 58, 7),
        "delta": dt.timedelta(days=-2, seconds=5, microseconds=6),
        "money": Decimal("-1234.5600"),
        "complex": 1 + 2j,
    }
    result = parse(pickle.dumps(value, protocol=protocol))
    assert result == value
    assert result["offset"].tzinfo.tzname(None) == "BRT"
    # datetime only records fold for protocols above 3, as pickle.loads would see it.
    assert result["fold"].fold == pickle.loads(pickle.dumps(value["fold"], protocol)).fold


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_ordered_and_default_dicts_become_dicts(protocol: int) -> None:
    ordered = collections.OrderedDict([("z", 1), ("a", 2)])
    default: collections.defaultdict[str, list[int]] = collections.defaultdict(list, {"k": [1]})
    counter = collections.Counter("aab")
    result = parse(pickle.dumps([ordered, default, counter], protocol=protocol))
    assert result == [{"z": 1, "a": 2}, {"k": [1]}, {"a": 2, "b": 1}]
    assert list(result[0]) == ["z", "a"]
    assert all(type(item) is dict for item in result)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_custom_objects_are_described_not_built(protocol: int) -> None:
    account = parse(pickle.dumps(Account(), protocol=protocol))
    assert account == ObjectValue(
        f"{__name__}.Account",
        {"name": "alice", "roles": ["admin", "dev"], "nested": {"k": (1, 2)}},
    )


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_slotted_objects_merge_their_slot_state(protocol: int) -> None:
    # __slots__ classes pickle (state_dict, slots_dict); protocols 0-1 cannot write them.
    slotted = parse(pickle.dumps(Slotted(), protocol=protocol))
    assert slotted == ObjectValue(f"{__name__}.Slotted", {"x": 5, "y": "why"})


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("factory", [WriteFile, OpenFile])
def test_malicious_pickle_writes_nothing(
    protocol: int, factory: type[WriteFile] | type[OpenFile], tmp_path: Path
) -> None:
    target = tmp_path / "pwned"
    payload = pickle.dumps(factory(str(target)), protocol=protocol)
    # Sanity: the payload really calls os.system / open when loaded by pickle.
    assert b"system" in payload or b"open" in payload

    result = decode(payload)

    assert not target.exists()
    assert result.format == "pickle"
    value = result.value
    assert isinstance(value, ObjectValue)
    assert value.class_name in ("posix.system", "nt.system", "io.open", "builtins.open")
    assert str(target) in str(value.fields["__args__"][0])
    assert "system" in pretty(value) or "open" in pretty(value)


def test_shared_references_and_cycles_are_kept() -> None:
    shared = [1, 2]
    cyclic: list[Any] = ["self"]
    cyclic.append(cyclic)
    result = parse(pickle.dumps({"a": shared, "b": shared, "c": cyclic}, protocol=2))
    assert result["a"] is result["b"]
    assert result["c"][1] is result["c"]
    assert '"<cycle>"' in pretty(result)


def test_django_session_dict() -> None:
    # What Django's PickleSerializer stored (django.contrib.sessions, Django < 4.1).
    session = {
        "_auth_user_id": "1",
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": "5f1b3e",
        "_session_expiry": 1209600,
        "_messages": '[["__json_message",0,20,"Welcome back"]]',
    }
    assert decode(pickle.dumps(session, protocol=pickle.HIGHEST_PROTOCOL)).value == session


def test_globals_are_recorded_not_imported() -> None:
    result = parse(pickle.dumps([len, dt.datetime], protocol=4))
    assert result == [
        ObjectValue("pickle.global", {"name": "builtins.len"}),
        ObjectValue("pickle.global", {"name": "datetime.datetime"}),
    ]


def test_python2_names_and_strings() -> None:
    # A Python 2 protocol 0 pickle of {'k': 'v', 's': set([1])} (py2 str -> STRING opcode).
    data = b"(dp0\nS'k'\np1\nS'v'\np2\nsS's'\np3\nc__builtin__\nset\np4\n((lp5\nI1\natp6\nRp7\ns."
    assert parse(data) == {"k": "v", "s": {1}}


def test_python2_string_escapes_without_warnings() -> None:
    # codecs.escape_decode would warn on "\q"; warnings-as-errors must not break decoding.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse(b"S'a\\qb\\x41\\101\\n\\''\n.") == "a\\qbAA\n'"
        assert parse(b"S'\\xff'\n.") == b"\xff"
        with pytest.raises(CodecError, match="escape"):
            parse(b"S'ab\\'\n.")


def test_persistent_ids_and_extensions_are_recorded() -> None:
    data = b"\x80\x02(Pmy-pid\nK\x07Q\x82\x05t."
    assert parse(data) == (
        ObjectValue("pickle.persistent_id", {"pid": "my-pid"}),
        ObjectValue("pickle.persistent_id", {"pid": 7}),
        ObjectValue("pickle.extension", {"code": 5}),
    )


def test_out_of_band_buffers_are_refused() -> None:
    data = pickle.dumps(pickle.PickleBuffer(b"abc"), protocol=5, buffer_callback=lambda b: False)
    with pytest.raises(CodecError, match="NEXT_BUFFER"):
        parse(data)


def test_trailing_data_and_unknown_opcodes_are_errors() -> None:
    with pytest.raises(CodecError, match="trailing"):
        parse(pickle.dumps(1) + b"junk")
    with pytest.raises(CodecError, match="unknown opcode"):
        parse(b"\x80\x04\xff.")
    with pytest.raises(CodecError, match="protocol"):
        parse(b"\x80\x09N.")


def test_optimized_pickles_decode_too() -> None:
    value = {"a": [1, 2], "b": "x" * 10}
    assert parse(pickletools.optimize(pickle.dumps(value, protocol=2))) == value
