"""Messages the background worker posts. Past tense: they report what happened.

Each is a dataclass with concrete types. Every one is stamped by the worker with the
connection it came from (``connection``): a late reply from an old connection or database
is dropped by the screen instead of reaching the new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from textual.message import Message

# Field types only: importing them here pulled the session, analysis and edit code into the
# app's start (0.09 s); the dataclasses keep them as strings.
if TYPE_CHECKING:
    from redis_tui.data.analysis import AnalysisResult
    from redis_tui.data.analysis import Progress as AnalysisProgress
    from redis_tui.data.edit.bulk import DryRun, Progress, Summary
    from redis_tui.data.edit.ops import EditOp
    from redis_tui.data.edit.version import Version
    from redis_tui.data.scan.keyspace import ServerFacts
    from redis_tui.data.sessions import CookieLookup, Discovery, Session
    from redis_tui.data.values.export import ExportProgress
    from redis_tui.data.values.readers import KeyValue
    from redis_tui.data.values.search import Batch
    from redis_tui.data.values.streams import GroupDetail, StreamGroup

# (worker id, epoch): which connection of which worker a message belongs to.
Stamp = tuple[int, int]
UNSTAMPED: Stamp = (0, 0)


class WorkerMessage(Message):
    """Base of everything the background worker posts."""

    # Set by the worker when it posts the message (not a dataclass field: subclasses keep
    # their own fields in order).
    connection: Stamp = UNSTAMPED


@dataclass
class Connected(WorkerMessage):
    facts: ServerFacts
    where: str


@dataclass
class ConnectionLost(WorkerMessage):
    reason: str
    retry_in: float


@dataclass
class ServerPolled(WorkerMessage):
    facts: ServerFacts
    keys: Sequence[bytes]
    pttls: Sequence[int]
    hints: Sequence[int]
    # PTTL of the sessions on screen in the inspector.
    session_pttls: dict[bytes, int] = field(default_factory=dict)


# The scan's messages come by the thousand and only the screen handles them: they do not
# bubble on to the App, whose queue would otherwise take each one again.
@dataclass
class KeysScanned(WorkerMessage, bubble=False):
    generation: int
    keys: list[bytes]
    types: list[bytes]
    pttls: list[int]
    # All names are in (the metadata may still follow, see ``meta_follows``).
    done: bool
    batch: int = 0
    # Names-first scan: types and TTLs come later in a KeysMetaFetched of the same batch.
    meta_follows: bool = False


@dataclass
class KeysMetaFetched(WorkerMessage, bubble=False):
    """TYPE and PTTL of one batch of a names-first scan."""

    generation: int
    batch: int
    keys: list[bytes]
    types: list[bytes]
    pttls: list[int]
    # The last batch: every key now has its type and TTL.
    done: bool
    # Where ``keys`` start in their batch's names, and whether they end the batch.
    offset: int = 0
    last: bool = True
    # Storage indexes of ``keys``: rows read back from the store (a child-streamed or
    # resumed scan's names), not one batch's rows.
    hints: list[int] | None = None


@dataclass
class ValueLoaded(WorkerMessage):
    value: KeyValue
    append: bool = False
    # The version the page was read at; edits start from it.
    version: Version | None = None


@dataclass
class ValueFailed(WorkerMessage):
    key: bytes
    reason: str


@dataclass
class KeyDeleted(WorkerMessage):
    key: bytes


@dataclass
class WorkerFailed(WorkerMessage):
    """Something the user asked for did not happen; ``reason`` says why, in one line."""

    action: str
    reason: str
    key: bytes | None = None
    # Refused by design (a read-only connection), not failed.
    refused: bool = False


@dataclass
class KeyFound(WorkerMessage):
    """``:key NAME`` found the key."""

    key: bytes
    type_name: bytes
    pttl: int


@dataclass
class InfoLoaded(WorkerMessage):
    text: str


@dataclass
class StreamGroupsLoaded(WorkerMessage):
    """A stream's consumer groups, and one group's consumers and pending page."""

    key: bytes
    groups: list[StreamGroup]
    detail: GroupDetail | None
    # True: a further page of the pending list, to be added below what is shown.
    append: bool = False


@dataclass
class EditApplied(WorkerMessage):
    """An edit went through. ``new_key`` is set for a rename or a copy."""

    edit: EditOp
    message: str
    new_key: bytes | None = None

    @property
    def key(self) -> bytes:
        return self.edit.key


@dataclass
class EditConflicted(WorkerMessage):
    """The key changed since it was loaded (or a target exists): nothing was written."""

    edit: EditOp
    reason: str
    # The key's version now: retrying with it means "overwrite what is there".
    current: Version | None
    # True for "the new name / field / member already exists" (AlreadyExists).
    exists: bool


@dataclass
class KeyRestored(WorkerMessage):
    key: bytes | None
    description: str
    # Every key the undo brought back (a revoke of several sessions), ``key`` first.
    keys: list[bytes] = field(default_factory=list)


@dataclass
class BulkDryRunDone(WorkerMessage):
    dry: DryRun


@dataclass
class BulkProgressed(WorkerMessage):
    progress: Progress


@dataclass
class BulkDeleted(WorkerMessage):
    summary: Summary


@dataclass
class SessionsFound(WorkerMessage):
    """A page of decoded sessions from a sessions scan."""

    generation: int
    sessions: list[Session]
    done: bool
    # Where sessions were found so far and what was skipped (None: patterns were given).
    discovery: Discovery | None = None


@dataclass
class SessionRefreshed(WorkerMessage):
    """The selected session read again; ``session`` is None when it is gone."""

    key: bytes
    session: Session | None


@dataclass
class SessionsChanged(WorkerMessage):
    """A session action went through (revoked, extended, edited)."""

    op: str
    message: str
    keys: list[bytes]


@dataclass
class CookieLooked(WorkerMessage):
    """What ``:cookie TEXT`` found: the session(s), the keys tried, notes (encrypted…)."""

    lookup: CookieLookup


@dataclass
class UserSessionsPreviewed(WorkerMessage):
    """The sessions a "revoke every session of this user" would delete."""

    user: str
    sessions: list[Session]


@dataclass
class ValueChanged(WorkerMessage):
    """The value on screen changed on the server (someone else wrote it)."""

    key: bytes


@dataclass
class KeyspaceChanged(WorkerMessage):
    """Keyspace notifications since the last batch: keys deleted or expired, keys written."""

    gone: set[bytes]
    changed: set[bytes]
    # More events than we keep per batch: the batch is partial.
    overflow: bool


@dataclass
class LiveModeChanged(WorkerMessage):
    """How the worker keeps the screen current: keyspace notifications or polls."""

    mode: Literal["events", "poll"]


@dataclass
class KeySizesFetched(WorkerMessage):
    """MEMORY USAGE of some listed keys (None: cannot be known); ``hints`` are the storage
    indexes the keys had when asked for."""

    keys: Sequence[bytes]
    sizes: Sequence[int | None]
    hints: Sequence[int]


@dataclass
class ValueExportProgressed(WorkerMessage):
    """A save to a file is under way."""

    progress: ExportProgress


@dataclass
class ValueExported(WorkerMessage):
    """A value was saved to a file: ``size`` bytes written to ``path``."""

    key: bytes
    path: str
    size: int


@dataclass
class DatabaseRefused(WorkerMessage):
    """``:db N`` asked for a database the server does not have; the worker went back."""

    refused: int
    back_to: int


@dataclass
class AnalysisProgressed(WorkerMessage):
    """The keyspace analysis ``run`` got this far (keys done of DBSIZE, its ETA)."""

    run: int
    progress: AnalysisProgress


@dataclass
class AnalysisFinished(WorkerMessage):
    """The keyspace analysis ``run`` ended: its result (partial when stopped), or None and
    why it failed."""

    run: int
    result: AnalysisResult | None
    reason: str = ""


@dataclass
class ValueSearched(WorkerMessage):
    """Matches found by a search inside a value (``generation`` names the search; the
    newest wins), with how far it got; ``batch.done`` on the last one."""

    key: bytes
    generation: int
    batch: Batch
    # The search failed part way: why (the matches so far stand).
    error: str | None = None
