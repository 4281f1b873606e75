"""Writes to Redis by hand: one frozen dataclass per edit, applied by ``apply``.

Every edit carries its key and the ``Version`` of it the user loaded (None: the key as it is
now, for a delete confirmed by name) and is applied only if the key is still that version
(``txn``: WATCH, compare, MULTI/EXEC); a mismatch is an ``EditConflict`` and nothing is
written. Every write passes ``WriteGuard.check`` first, here below the UI, so no path can skip
the read-only switch. Value edits never touch the TTL (``SET … KEEPTTL``; the collection
commands keep it anyway); only ``SetTtl`` changes it. On a cluster an edit runs on the node
that owns its key (``routing``).

A refused edit knows its "on purpose" retry, which the user may confirm:

- ``overwritten(current)``: the key (or the element the user saw) changed: write over it,
  from the version it has now, without the check of the element;
- ``replacing()``: the target exists (``AlreadyExists``): replace it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import ClassVar, Self, assert_never

# ``X as X``: re-exported for callers that take the edit API as one module (sessions).
from redis_tui.data.edit import plans
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.txn import EditResult, PlanFn, transact
from redis_tui.data.edit.version import AnyClient, Version, key_version
from redis_tui.data.values.display import escape_key
from redis_tui.errors import AlreadyExists, KeyMissing


@dataclass(frozen=True)
class _Edit:
    """What every edit has: the key, and the version the user read it at."""

    key: bytes
    version: Version | None

    # The edit's name in the command log, in refusals and in the UI ("hash set field").
    action: ClassVar[str]
    # The types it applies to (none: any existing key); whether it may create a missing key.
    kinds: ClassVar[tuple[str, ...]] = ()
    creates: ClassVar[bool] = False

    def overwritten(self, current: Version | None) -> Self:
        """The retry after a conflict, on purpose: from ``current`` (None: as the key is
        then), without the check of the element the user saw."""
        return replace(self, version=current)

    def replacing(self) -> Self:
        """The retry after ``AlreadyExists``, on purpose: replace the existing target."""
        return self


# -- strings and hashes ---------------------------------------------------------------------


@dataclass(frozen=True)
class SetString(_Edit):
    """Replace a string's value (or create the key): ``SET key value KEEPTTL``; without
    ``keep_ttl`` a plain SET, which removes the TTL."""

    value: bytes
    keep_ttl: bool = True
    action = "set string"
    kinds = ("string",)
    creates = True


@dataclass(frozen=True)
class SetHashField(_Edit):
    """Add or edit one field: ``HSET key field value``.

    ``must_be_new``: the user asked to *add* a field; refused (``AlreadyExists``) if it
    exists. ``expected``: the field's value as the user saw it, compared under WATCH (the
    version of a big hash is a sample that may miss a change of this one field).
    """

    field: bytes
    value: bytes
    must_be_new: bool = False
    expected: bytes | None = None
    action = "hash set field"
    kinds = ("hash",)
    creates = True

    def overwritten(self, current: Version | None) -> Self:
        return replace(self, version=current, expected=None)

    def replacing(self) -> Self:
        return replace(self, must_be_new=False)


@dataclass(frozen=True)
class SetHashFieldTtl(_Edit):
    """One field's TTL (Redis 7.4+, Valkey 9): ``HPEXPIRE key ms FIELDS 1 field``, or
    ``HPERSIST key FIELDS 1 field`` when ``ttl_ms`` is None. Refused when the field is gone."""

    field: bytes
    ttl_ms: int | None
    action = "hash field ttl"
    kinds = ("hash",)


@dataclass(frozen=True)
class DeleteHashField(_Edit):
    """``HDEL key field…`` (deleting the last one deletes the key)."""

    fields: tuple[bytes, ...]
    action = "hash delete field"
    kinds = ("hash",)


@dataclass(frozen=True)
class RenameHashField(_Edit):
    """Rename a field atomically: HGET old, then ``MULTI HSET key new v; HDEL key old EXEC``.

    Refused (``AlreadyExists``) when ``new`` exists, unless ``overwrite``; ``expected`` as in
    ``SetHashField``.
    """

    old: bytes
    new: bytes
    overwrite: bool = False
    expected: bytes | None = None
    action = "hash rename field"
    kinds = ("hash",)

    def overwritten(self, current: Version | None) -> Self:
        return replace(self, version=current, expected=None)

    def replacing(self) -> Self:
        return replace(self, overwrite=True)


# -- lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetListElement(_Edit):
    """Replace the element at ``index``: ``LSET key index value``; ``expected`` as in
    ``SetHashField``."""

    index: int
    value: bytes
    expected: bytes | None = None
    action = "list set"
    kinds = ("list",)

    def overwritten(self, current: Version | None) -> Self:
        return replace(self, version=current, expected=None)


@dataclass(frozen=True)
class InsertListElement(_Edit):
    """Insert ``value`` before (or after) the element at ``index``.

    LINSERT addresses a pivot by value, which is ambiguous when values repeat; so the element
    at ``index`` is swapped for a unique tombstone, LINSERT uses it as the pivot, and the
    element is put back, all in one MULTI:
    ``LSET key i T; LINSERT key BEFORE|AFTER T value; LSET key i' element``.
    """

    index: int
    value: bytes
    before: bool = True
    action = "list insert"
    kinds = ("list",)


@dataclass(frozen=True)
class PushListElement(_Edit):
    """``RPUSH`` (or ``LPUSH``) values; creates the list when the key is missing. As in
    Redis, LPUSH of ``a b`` leaves ``b a`` at the head."""

    values: tuple[bytes, ...]
    left: bool = False
    action = "list push"
    kinds = ("list",)
    creates = True


@dataclass(frozen=True)
class RemoveListElement(_Edit):
    """Remove the element at ``index``: ``MULTI LSET key i T; LREM key 1 T EXEC`` (Redis has
    no remove-by-index; the tombstone makes LREM hit exactly that position)."""

    index: int
    action = "list remove"
    kinds = ("list",)


# -- sets and sorted sets -------------------------------------------------------------------


@dataclass(frozen=True)
class AddSetMembers(_Edit):
    """``SADD key member…`` (creates the set when missing)."""

    members: tuple[bytes, ...]
    action = "set add"
    kinds = ("set",)
    creates = True


@dataclass(frozen=True)
class RemoveSetMembers(_Edit):
    """``SREM key member…``."""

    members: tuple[bytes, ...]
    action = "set remove"
    kinds = ("set",)


@dataclass(frozen=True)
class AddZsetMembers(_Edit):
    """Add a member: ``ZADD key score member`` (creates the zset when missing). Refused
    (``AlreadyExists``) when the member exists, unless ``overwrite``."""

    member: bytes
    score: float
    overwrite: bool = False
    action = "zset add"
    kinds = ("zset",)
    creates = True

    def replacing(self) -> Self:
        return replace(self, overwrite=True)


@dataclass(frozen=True)
class RemoveZsetMembers(_Edit):
    """``ZREM key member…``."""

    members: tuple[bytes, ...]
    action = "zset remove"
    kinds = ("zset",)


@dataclass(frozen=True)
class SetZsetScore(_Edit):
    """Change a member's score: ``ZADD key XX score member``. ``expected``: the score the
    user saw, compared under WATCH (see ``SetHashField``)."""

    member: bytes
    score: float
    expected: float | None = None
    action = "zset set score"
    kinds = ("zset",)

    def overwritten(self, current: Version | None) -> Self:
        return replace(self, version=current, expected=None)


# -- streams --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddStreamEntry(_Edit):
    """``XADD key id field value…`` (creates the stream when missing). The new id is
    ``result.replies[0]``."""

    fields: tuple[tuple[bytes, bytes], ...]
    entry_id: bytes = b"*"
    action = "stream add"
    kinds = ("stream",)
    creates = True


@dataclass(frozen=True)
class DeleteStreamEntries(_Edit):
    """``XDEL key id…`` (the stream stays, even when empty)."""

    ids: tuple[bytes, ...]
    action = "stream delete"
    kinds = ("stream",)


@dataclass(frozen=True)
class AckStreamEntries(_Edit):
    """``XACK key group id…``: the entries leave the group's pending list (no undo: the
    pending list is not restored)."""

    group: bytes
    ids: tuple[bytes, ...]
    action = "stream ack"
    kinds = ("stream",)


@dataclass(frozen=True)
class ClaimStreamEntries(_Edit):
    """``XCLAIM key group consumer min-idle-ms id…``: pending entries idle for at least
    ``min_idle_ms`` move to ``consumer`` (their delivery count goes up; no undo)."""

    group: bytes
    consumer: bytes
    min_idle_ms: int
    ids: tuple[bytes, ...]
    action = "stream claim"
    kinds = ("stream",)


# -- any key --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetTtl(_Edit):
    """``PEXPIRE key ms``, or ``PERSIST key`` when ``ttl_ms`` is None (see ``durations``)."""

    ttl_ms: int | None
    action = "set ttl"


@dataclass(frozen=True)
class Rename(_Edit):
    """Rename a key (its TTL moves with it): ``RENAMENX key new``, or ``RENAME`` with
    ``overwrite``; the clobbered value is kept for undo. Undo renames it back and restores
    what ``new`` held. On a cluster both names must share a hash slot."""

    new: bytes
    overwrite: bool = False
    action = "rename"

    def replacing(self) -> Self:
        return replace(self, overwrite=True)


@dataclass(frozen=True)
class Copy(_Edit):
    """``COPY key new`` (``REPLACE`` with ``overwrite``). The TTL is copied too. Undo deletes
    the copy (or restores what ``new`` held)."""

    new: bytes
    overwrite: bool = False
    action = "copy"

    def replacing(self) -> Self:
        return replace(self, overwrite=True)


@dataclass(frozen=True)
class CreateKey(_Edit):
    """A new key of ``kind`` with its first value (``n``): ``SET`` / ``HSET`` / ``RPUSH`` /
    ``SADD`` / ``ZADD`` / ``XADD``, then ``PEXPIRE`` when ``ttl_ms`` is given, in one MULTI.
    ``items`` is what the command takes after the key (a value; field, value; member; score,
    member; id, field, value…). Refused (``AlreadyExists``) when the key exists, unless
    ``overwrite`` (asked for): then the old key is unlinked in the same MULTI and ``u`` brings
    it back; undoing a created key deletes it."""

    kind: str
    items: tuple[bytes, ...]
    ttl_ms: int | None = None
    overwrite: bool = False
    action = "create key"
    creates = True

    def replacing(self) -> Self:
        return replace(self, overwrite=True)


@dataclass(frozen=True)
class Delete(_Edit):
    """``UNLINK key`` if it is still the version the user saw; a DUMP is kept for undo (up
    to ``undo.UNDO_CAP``)."""

    action = "delete"


EditOp = (
    SetString
    | SetHashField
    | SetHashFieldTtl
    | DeleteHashField
    | RenameHashField
    | SetListElement
    | InsertListElement
    | PushListElement
    | RemoveListElement
    | AddSetMembers
    | RemoveSetMembers
    | AddZsetMembers
    | RemoveZsetMembers
    | SetZsetScore
    | AddStreamEntry
    | DeleteStreamEntries
    | AckStreamEntries
    | ClaimStreamEntries
    | SetTtl
    | Rename
    | Copy
    | CreateKey
    | Delete
)

# -- applying an edit -----------------------------------------------------------------------


async def apply(client: AnyClient, guard: WriteGuard, op: EditOp) -> EditResult:
    """Apply ``op`` if its key is still the version it was read at: ``check``, then its plan
    (``plans``) in the one transaction every edit shares (``txn``: the read-only guard, the
    owner node on a cluster, WATCH and the version check, the log and the undo entry).

    Raises:
        ReadOnlyRefused, EditConflict, AlreadyExists, KeyMissing, CommandFailed (a rename
        across cluster slots), ValueError (see ``check``), and translated server errors.
    """
    version = op.version if op.version is not None else await key_version(client, op.key)
    check(op, version)
    key, watch_also = op.key, tuple[bytes, ...]()
    plan: PlanFn
    match op:
        case SetString():
            plan = plans.set_string(key, op.value, op.keep_ttl)
        case SetHashField():
            plan = plans.set_hash_field(key, op.field, op.value, op.must_be_new, op.expected)
        case SetHashFieldTtl():
            plan = plans.set_hash_field_ttl(key, op.field, op.ttl_ms)
        case DeleteHashField():
            plan = plans.many("HDEL", key, op.fields, "field(s)", "deleted")
        case RenameHashField():
            plan = plans.rename_hash_field(key, op.old, op.new, op.overwrite, op.expected)
        case SetListElement():
            plan = plans.set_list_element(key, op.index, op.value, op.expected)
        case InsertListElement():
            plan = plans.insert_list_element(key, op.index, op.value, op.before)
        case PushListElement():
            plan = plans.push_list_element(key, op.values, op.left)
        case RemoveListElement():
            plan = plans.remove_list_element(key, op.index)
        case AddSetMembers():
            plan = plans.many("SADD", key, op.members, "member(s)", "added")
        case RemoveSetMembers():
            plan = plans.many("SREM", key, op.members, "member(s)", "removed")
        case AddZsetMembers():
            plan = plans.add_zset_member(key, op.member, op.score, op.overwrite)
        case RemoveZsetMembers():
            plan = plans.many("ZREM", key, op.members, "member(s)", "removed")
        case SetZsetScore():
            plan = plans.set_zset_score(key, op.member, op.score, op.expected)
        case AddStreamEntry():
            plan = plans.add_stream_entry(key, op.fields, op.entry_id)
        case DeleteStreamEntries():
            plan = plans.many("XDEL", key, op.ids, "entr(y/ies)", "deleted")
        case AckStreamEntries():
            plan = plans.stream_group_write(
                (b"XACK", key, op.group, *op.ids), f"{len(op.ids)} entr(y/ies) acknowledged"
            )
        case ClaimStreamEntries():
            plan = plans.stream_group_write(
                (b"XCLAIM", key, op.group, op.consumer, op.min_idle_ms, *op.ids),
                f"{len(op.ids)} entr(y/ies) claimed by {escape_key(op.consumer)}",
            )
        case SetTtl():
            plan = plans.set_ttl(key, op.ttl_ms)
        case Rename() | Copy():
            plans.same_slot(client, guard, op.action, key, op.new)
            plan = plans.move(key, op.new, op.overwrite, rename=isinstance(op, Rename))
            watch_also = (op.new,)
        case CreateKey():
            plan = plans.create_key(key, op.kind, op.items, op.ttl_ms, op.overwrite)
        case Delete():
            plan = plans.delete(key)
        case _:
            assert_never(op)
    # The key's type after the edit, when it survives: a TTL, a move or a delete keep it.
    creates = op.kind if isinstance(op, CreateKey) else op.kinds[0] if op.kinds else version.type
    return await transact(
        client, guard, op.action, key, version, plan, creates=creates, watch_also=watch_also
    )


def check(op: EditOp, version: Version) -> None:
    """Refuse, before anything is sent, an edit that cannot apply to a key at ``version``.

    Raises:
        KeyMissing: the key does not exist (any more) and the edit does not create it.
        ValueError: the key is of another type, or the edit is void (nothing to push, a NaN
            score, a TTL <= 0, a rename to the same name…).
    """
    fits = version.type in op.kinds if op.kinds else version.exists
    if not fits and not (op.creates and not version.exists):
        if not version.exists:
            raise KeyMissing("The key does not exist (any more)")
        raise ValueError(f"This is a {version.type}, not a {' or '.join(op.kinds)}")
    match op:
        case CreateKey() if version.exists and not op.overwrite:
            raise AlreadyExists(
                f"{escape_key(op.key)} already exists (a {version.type})",
                current="key exists",
                key=op.key,
                version=version,
            )
        case CreateKey() if op.kind not in plans.CREATE_COMMANDS:
            raise ValueError(f"Cannot create a key of type {op.kind}")
        case CreateKey() if not op.items:
            raise ValueError("A new key needs a first value")
        case CreateKey() if op.ttl_ms is not None and op.ttl_ms <= 0:
            raise ValueError("A TTL must be positive")
        case RenameHashField() if op.old == op.new:
            raise ValueError("The new field name is the same as the old one")
        case PushListElement(values=()):
            raise ValueError("Nothing to push")
        case AddZsetMembers() | SetZsetScore():
            plans.score_arg(op.score)
        case AddStreamEntry(fields=()):
            raise ValueError("An entry needs at least one field")
        case SetHashFieldTtl() if op.ttl_ms is not None and op.ttl_ms <= 0:
            raise ValueError("A field TTL must be positive (use x to remove the field)")
        case SetTtl() if op.ttl_ms is not None and op.ttl_ms <= 0:
            raise ValueError("A TTL must be positive (use delete to delete the key)")
        case Rename() | Copy() if op.new == op.key:
            raise ValueError("The new name is the same as the old one")
        case DeleteHashField(fields=()):
            raise ValueError("Nothing given: no field to change")
        case (
            AddSetMembers(members=()) | RemoveSetMembers(members=()) | RemoveZsetMembers(members=())
        ):
            raise ValueError("Nothing given: no member to change")
        case DeleteStreamEntries(ids=()) | AckStreamEntries(ids=()) | ClaimStreamEntries(ids=()):
            raise ValueError("Nothing given: no entry to change")
        case ClaimStreamEntries() if not op.consumer or op.min_idle_ms < 0:
            raise ValueError("A claim needs a consumer name and an idle time of 0 or more")


# -- outside the typed edits ----------------------------------------------------------------


async def delete_key(client: AnyClient, guard: WriteGuard, key: bytes) -> None:
    """UNLINK one key (freed in the background, so a 200k-field hash does not block the server).

    No version check and no undo: ``Delete`` is the checked edit.

    Raises:
        ReadOnlyRefused: the connection is read-only.
        KeyMissing: the key was already gone.
    """
    guard.check("delete")
    removed = await client.execute_command("UNLINK", key)
    if guard.log is not None:
        guard.log.append(("UNLINK", key), removed, op="delete")
    if not removed:
        raise KeyMissing("The key was already gone")


def json_for_saving(text: str, *, compact: bool) -> bytes:
    """Validate JSON typed in the editor and encode it for saving.

    Args:
        text: the editor's text (shown pretty-printed).
        compact: re-compact it (when the stored value was compact), else keep the text as is.

    Raises:
        ValueError: not valid JSON; the message gives the line and column.
    """
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if compact:
        return json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
    return text.encode("utf-8", "surrogateescape")
