"""The typed edits without a server: frozen, their on-purpose retries, the checks made before
anything is sent, and the version probe read back."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import typing

import pytest

from redis_tui.data.edit.ops import (
    AckStreamEntries,
    AddSetMembers,
    AddStreamEntry,
    AddZsetMembers,
    ClaimStreamEntries,
    Copy,
    CreateKey,
    Delete,
    DeleteHashField,
    DeleteStreamEntries,
    EditOp,
    InsertListElement,
    PushListElement,
    RemoveListElement,
    RemoveSetMembers,
    RemoveZsetMembers,
    Rename,
    RenameHashField,
    SetHashField,
    SetHashFieldTtl,
    SetListElement,
    SetString,
    SetTtl,
    SetZsetScore,
    check,
)
from redis_tui.data.edit.plans import score_arg
from redis_tui.data.edit.version import (
    DIGEST_CAP,
    MISSING,
    Version,
    probe_commands,
    version_from_probe,
)
from redis_tui.errors import KeyMissing

SEEN = Version("hash", 2, "d1")
NOW = Version("hash", 3, "d2")
K = b"k"

ONE_OF_EACH: list[EditOp] = [
    SetString(K, Version("string", 1, "s"), b"v"),
    SetHashField(K, SEEN, b"f", b"v", expected=b"old"),
    SetHashFieldTtl(K, SEEN, b"f", 90_000),
    DeleteHashField(K, SEEN, (b"f",)),
    RenameHashField(K, SEEN, b"a", b"b", expected=b"old"),
    SetListElement(K, Version("list", 3, "l"), 1, b"v", expected=b"old"),
    InsertListElement(K, Version("list", 3, "l"), 1, b"v", before=False),
    PushListElement(K, Version("list", 3, "l"), (b"a", b"b"), left=True),
    RemoveListElement(K, Version("list", 3, "l"), -1),
    AddSetMembers(K, Version("set", 1, "t"), (b"m",)),
    RemoveSetMembers(K, Version("set", 1, "t"), (b"m",)),
    AddZsetMembers(K, Version("zset", 1, "z"), b"m", 1.5),
    RemoveZsetMembers(K, Version("zset", 1, "z"), (b"m",)),
    SetZsetScore(K, Version("zset", 1, "z"), b"m", 2.0, expected=1.5),
    AddStreamEntry(K, Version("stream", 1, "x"), ((b"f", b"v"),), entry_id=b"1-0"),
    DeleteStreamEntries(K, Version("stream", 1, "x"), (b"1-0",)),
    AckStreamEntries(K, None, b"g", (b"1-0",)),
    ClaimStreamEntries(K, None, b"g", b"worker", 1000, (b"1-0",)),
    SetTtl(K, SEEN, 90_000),
    Rename(K, SEEN, b"new"),
    Copy(K, SEEN, b"new"),
    CreateKey(K, None, "hash", (b"f", b"v"), 90_000),
    Delete(K, None),
]


def test_one_dataclass_per_edit_and_every_one_is_in_the_union() -> None:
    assert {type(op) for op in ONE_OF_EACH} == set(typing.get_args(EditOp))
    assert len(ONE_OF_EACH) == 23


@pytest.mark.parametrize("op", ONE_OF_EACH, ids=lambda op: type(op).__name__)
def test_edits_are_frozen_and_hashable(op: EditOp) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.key = b"other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.version = None  # type: ignore[misc]
    assert hash(op) == hash(dataclasses.replace(op))


def test_action_names_are_the_logged_op_names() -> None:
    assert [op.action for op in ONE_OF_EACH] == [
        "set string", "hash set field", "hash field ttl", "hash delete field", "hash rename field",
        "list set", "list insert", "list push", "list remove",
        "set add", "set remove", "zset add", "zset remove", "zset set score",
        "stream add", "stream delete", "stream ack", "stream claim", "set ttl", "rename", "copy",
        "create key", "delete",
    ]  # fmt: skip


@pytest.mark.parametrize("op", ONE_OF_EACH, ids=lambda op: type(op).__name__)
def test_overwritten_takes_the_version_now_and_drops_the_element_check(op: EditOp) -> None:
    again = op.overwritten(NOW)
    assert type(again) is type(op) and again.version == NOW and again.key == op.key
    if hasattr(op, "expected"):
        assert op.expected is not None and again.expected is None
    # Nothing else changes, and the original stays as it was.
    expected = {f.name: getattr(op, f.name) for f in dataclasses.fields(op)}
    expected.update(version=NOW, **({"expected": None} if hasattr(op, "expected") else {}))
    assert {f.name: getattr(again, f.name) for f in dataclasses.fields(op)} == expected
    assert op.version != NOW
    # None: "as the key is then" (the conflict did not say which version it has).
    assert op.overwritten(None).version is None


def test_replacing_allows_the_existing_target_and_keeps_the_checks() -> None:
    add = SetHashField(K, SEEN, b"f", b"v", must_be_new=True)
    assert add.replacing() == SetHashField(K, SEEN, b"f", b"v", must_be_new=False)
    rename_field = RenameHashField(K, SEEN, b"a", b"b", expected=b"old")
    assert rename_field.replacing() == RenameHashField(
        K, SEEN, b"a", b"b", overwrite=True, expected=b"old"
    )
    zset = Version("zset", 1, "z")
    assert AddZsetMembers(K, zset, b"m", 1.0).replacing() == AddZsetMembers(
        K, zset, b"m", 1.0, overwrite=True
    )
    assert Rename(K, SEEN, b"n").replacing() == Rename(K, SEEN, b"n", overwrite=True)
    assert Copy(K, SEEN, b"n").replacing() == Copy(K, SEEN, b"n", overwrite=True)
    new = CreateKey(K, None, "set", (b"m",))
    assert new.replacing() == CreateKey(K, None, "set", (b"m",), overwrite=True)
    # Edits that never meet an existing target retry as they are.
    replaceable = SetHashField | RenameHashField | AddZsetMembers | Rename | Copy | CreateKey
    for op in ONE_OF_EACH:
        if not isinstance(op, replaceable):
            assert op.replacing() == op


def test_check_refuses_another_type_or_a_missing_key() -> None:
    with pytest.raises(ValueError, match="This is a hash, not a list"):
        check(SetListElement(K, SEEN, 0, b"x"), SEEN)
    with pytest.raises(KeyMissing):
        check(RemoveListElement(K, MISSING, 0), MISSING)
    with pytest.raises(KeyMissing):
        check(Delete(K, MISSING), MISSING)
    with pytest.raises(KeyMissing):
        check(SetTtl(K, MISSING, 1000), MISSING)
    # Creating a key: edits that may create it accept MISSING.
    for op in (
        SetString(K, MISSING, b"v"),
        SetHashField(K, MISSING, b"f", b"v"),
        PushListElement(K, MISSING, (b"v",)),
        AddSetMembers(K, MISSING, (b"m",)),
        AddZsetMembers(K, MISSING, b"m", 1.0),
        AddStreamEntry(K, MISSING, ((b"f", b"v"),)),
    ):
        check(op, MISSING)
    # Any existing type for a TTL, a move or a delete.
    for op in (SetTtl(K, SEEN, None), Rename(K, SEEN, b"n"), Copy(K, SEEN, b"n")):
        check(op, SEEN)
    check(Delete(K, None), Version("stream", 1, "x"))


def test_check_refuses_void_edits() -> None:
    zset, lst = Version("zset", 1, "z"), Version("list", 1, "l")
    refusals: list[tuple[EditOp, Version, str]] = [
        (RenameHashField(K, SEEN, b"a", b"a"), SEEN, "same as the old one"),
        (PushListElement(K, lst, ()), lst, "Nothing to push"),
        (AddZsetMembers(K, zset, b"m", math.nan), zset, "NaN"),
        (SetZsetScore(K, zset, b"m", math.nan), zset, "NaN"),
        (AddStreamEntry(K, MISSING, ()), MISSING, "at least one field"),
        (SetTtl(K, SEEN, 0), SEEN, "must be positive"),
        (SetTtl(K, SEEN, -5), SEEN, "must be positive"),
        (Rename(K, SEEN, K), SEEN, "same as the old one"),
        (Copy(K, SEEN, K), SEEN, "same as the old one"),
        (DeleteHashField(K, SEEN, ()), SEEN, "no field to change"),
        (AddSetMembers(K, MISSING, ()), MISSING, "no member to change"),
        (RemoveZsetMembers(K, zset, ()), zset, "no member to change"),
        (DeleteStreamEntries(K, Version("stream", 1, "x"), ()), Version("stream", 1, "x"), "entr"),
    ]
    for op, version, words in refusals:
        with pytest.raises(ValueError, match=words):
            check(op, version)


def test_score_arg() -> None:
    assert score_arg(1.5) == "1.5" and score_arg(3) == "3.0"
    assert score_arg(math.inf) == "+inf" and score_arg(-math.inf) == "-inf"
    with pytest.raises(ValueError, match="NaN"):
        score_arg(math.nan)


def test_describe_change() -> None:
    string = Version("string", 5, "a")
    assert string.describe_change(string) == "unchanged"
    assert string.describe_change(MISSING) == "key deleted"
    assert MISSING.describe_change(string) == "key created (a string)"
    assert string.describe_change(Version("hash", 5, "a")) == "type changed to hash"
    assert string.describe_change(Version("string", 6, "b")) == ("length changed from 5 to 6 bytes")
    assert SEEN.describe_change(NOW) == "length changed from 2 to 3 elements"
    assert string.describe_change(Version("string", 5, "b")) == "value changed"


def test_probe_leaves_out_what_the_server_refused() -> None:
    full = probe_commands(K, "list", True)
    assert full[0] == ("TYPE", K) and full[1] == ("MEMORY", "USAGE", K)
    assert full[2] == ("LLEN", K) and full[-1] == ("DUMP", K)
    bare = probe_commands(K, "list", False, frozenset({"MEMORY", "DUMP"}))
    assert ("MEMORY", "USAGE", K) not in bare and ("DUMP", K) not in bare
    assert len(bare) == len(full) - 2


def test_version_read_back_from_the_probe() -> None:
    dump = b"\x00\x05hello"
    # TYPE, MEMORY USAGE, STRLEN, the two sampled ends, DUMP.
    replies = [b"string", 64, 5, b"hello", b"hello", dump]
    digest = hashlib.sha1(b"string\0" + dump, usedforsecurity=False).hexdigest()
    assert version_from_probe("string", replies, True) == Version("string", 5, digest)
    assert version_from_probe("string", [b"none"], True) == MISSING
    assert version_from_probe("string", [b"hash", 64, 5], False) is None
    # Small again but read without its DUMP: its version would be a digest we lack.
    assert version_from_probe("string", [b"string", 64, 5, b"h", b"h"], False) is None
    big = version_from_probe("string", [b"string", DIGEST_CAP + 1, 9, b"h", b"t"], False)
    assert big is not None and not big.exact and big.length == 9
