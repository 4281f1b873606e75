"""App-level messages the background worker posts. Past tense: they report what happened."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.message import Message

from redis_tui.data.edit.ops import EditOp
from redis_tui.data.edit.version import Version
from redis_tui.data.scan.keyspace import ServerFacts
from redis_tui.data.values.readers import KeyValue


class WorkerMessage(Message):
    """Base of everything the background worker posts."""


class Connected(WorkerMessage):
    def __init__(self, facts: ServerFacts, where: str) -> None:
        super().__init__()
        self.facts = facts
        self.where = where


class ConnectionLost(WorkerMessage):
    def __init__(self, reason: str, retry_in: float) -> None:
        super().__init__()
        self.reason = reason
        self.retry_in = retry_in


class ServerPolled(WorkerMessage):
    def __init__(
        self,
        facts: ServerFacts,
        keys: Sequence[bytes],
        pttls: Sequence[int],
        hints: Sequence[int],
        session_pttls: dict[bytes, int] | None = None,
    ) -> None:
        super().__init__()
        self.facts = facts
        self.keys = keys
        self.pttls = pttls
        self.hints = hints
        # PTTL of the sessions on screen in the inspector.
        self.session_pttls = session_pttls or {}


class KeysScanned(WorkerMessage):
    def __init__(
        self,
        generation: int,
        keys: list[bytes],
        types: list[bytes],
        pttls: list[int],
        done: bool,
        batch: int = 0,
        meta_follows: bool = False,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.keys = keys
        self.types = types
        self.pttls = pttls
        # All names are in (the metadata may still follow, see ``meta_follows``).
        self.done = done
        self.batch = batch
        # Names-first scan: types and TTLs come later in a KeysMetaFetched of the same batch.
        self.meta_follows = meta_follows


class KeysMetaFetched(WorkerMessage):
    """TYPE and PTTL of one batch of a names-first scan."""

    def __init__(
        self,
        generation: int,
        batch: int,
        keys: list[bytes],
        types: list[bytes],
        pttls: list[int],
        done: bool,
        offset: int = 0,
        last: bool = True,
        hints: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.batch = batch
        self.keys = keys
        self.types = types
        self.pttls = pttls
        # The last batch: every key now has its type and TTL.
        self.done = done
        # Where ``keys`` start in their batch's names, and whether they end the batch.
        self.offset = offset
        self.last = last
        # Storage indexes of ``keys`` (not one batch's rows: a resumed scan's backlog).
        self.hints = hints


class ValueLoaded(WorkerMessage):
    def __init__(self, value: KeyValue, append: bool = False, version: Any = None) -> None:
        super().__init__()
        self.value = value
        self.append = append
        # The edits.Version the page was read at; edits start from it.
        self.version = version


class ValueFailed(WorkerMessage):
    def __init__(self, key: bytes, reason: str) -> None:
        super().__init__()
        self.key = key
        self.reason = reason


class KeyDeleted(WorkerMessage):
    def __init__(self, key: bytes) -> None:
        super().__init__()
        self.key = key


class WorkerFailed(WorkerMessage):
    """Something the user asked for did not happen; ``reason`` says why, in one line."""

    def __init__(self, action: str, reason: str, key: bytes | None = None) -> None:
        super().__init__()
        self.action = action
        self.reason = reason
        self.key = key


class KeyFound(WorkerMessage):
    """``:key NAME`` found the key."""

    def __init__(self, key: bytes, type_name: bytes, pttl: int) -> None:
        super().__init__()
        self.key = key
        self.type_name = type_name
        self.pttl = pttl


class InfoLoaded(WorkerMessage):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class EditApplied(WorkerMessage):
    """An edit went through. ``new_key`` is set for a rename or a copy."""

    def __init__(self, edit: EditOp, message: str, new_key: bytes | None = None) -> None:
        super().__init__()
        self.edit = edit
        self.key = edit.key
        self.message = message
        self.new_key = new_key


class EditConflicted(WorkerMessage):
    """The key changed since it was loaded (or a target exists): nothing was written."""

    def __init__(self, edit: EditOp, reason: str, current: Version | None, exists: bool) -> None:
        super().__init__()
        self.edit = edit
        self.reason = reason
        # The key's version now: retrying with it means "overwrite what is there".
        self.current = current
        # True for "the new name / field / member already exists" (AlreadyExists).
        self.exists = exists


class KeyRestored(WorkerMessage):
    def __init__(self, key: bytes | None, description: str) -> None:
        super().__init__()
        self.key = key
        self.description = description


class BulkDryRunDone(WorkerMessage):
    def __init__(self, dry: Any) -> None:
        super().__init__()
        self.dry = dry


class BulkProgressed(WorkerMessage):
    def __init__(self, progress: Any) -> None:
        super().__init__()
        self.progress = progress


class BulkDeleted(WorkerMessage):
    def __init__(self, summary: Any) -> None:
        super().__init__()
        self.summary = summary


class SessionsFound(WorkerMessage):
    """A page of decoded sessions from a sessions scan."""

    def __init__(self, generation: int, sessions: list[Any], done: bool) -> None:
        super().__init__()
        self.generation = generation
        self.sessions = sessions
        self.done = done


class SessionRefreshed(WorkerMessage):
    """The selected session read again; ``session`` is None when it is gone."""

    def __init__(self, key: bytes, session: Any) -> None:
        super().__init__()
        self.key = key
        self.session = session


class SessionsChanged(WorkerMessage):
    """A session action went through (revoked, extended, edited)."""

    def __init__(self, op: str, message: str, keys: list[bytes]) -> None:
        super().__init__()
        self.op = op
        self.message = message
        self.keys = keys


class UserSessionsPreviewed(WorkerMessage):
    """The sessions a "revoke every session of this user" would delete."""

    def __init__(self, user: str, sessions: list[Any]) -> None:
        super().__init__()
        self.user = user
        self.sessions = sessions


class ValueChanged(WorkerMessage):
    """The value on screen changed on the server (someone else wrote it)."""

    def __init__(self, key: bytes) -> None:
        super().__init__()
        self.key = key


class KeyspaceChanged(WorkerMessage):
    """Keyspace notifications since the last batch: keys deleted or expired, keys written."""

    def __init__(self, gone: set[bytes], changed: set[bytes], overflow: bool) -> None:
        super().__init__()
        self.gone = gone
        self.changed = changed
        # More events than we keep per batch: the batch is partial.
        self.overflow = overflow


class LiveModeChanged(WorkerMessage):
    """How the worker keeps the screen current: "events" (keyspace notifications) or "poll"."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode


# -- key browser: sizes and saving values (issue 3) ----------------------------------------


class KeySizesFetched(WorkerMessage):
    """MEMORY USAGE of some listed keys (None: cannot be known); ``hints`` are the storage
    indexes the keys had when asked for."""

    def __init__(
        self, keys: Sequence[bytes], sizes: Sequence[int | None], hints: Sequence[int]
    ) -> None:
        super().__init__()
        self.keys = keys
        self.sizes = sizes
        self.hints = hints


class ValueExportProgressed(WorkerMessage):
    """A save to a file is under way: ``progress`` is a ``data.export.ExportProgress``."""

    def __init__(self, progress: Any) -> None:
        super().__init__()
        self.progress = progress


class ValueExported(WorkerMessage):
    """A value was saved to a file: ``size`` bytes written to ``path``."""

    def __init__(self, key: bytes, path: str, size: int) -> None:
        super().__init__()
        self.key = key
        self.path = path
        self.size = size


class DatabaseRefused(WorkerMessage):
    """``:db N`` asked for a database the server does not have; the worker went back."""

    def __init__(self, refused: int, back_to: int) -> None:
        super().__init__()
        self.refused = refused
        self.back_to = back_to
