"""The background worker: owns the Redis connection, polls, scans, loads and applies edits.

Widgets never await Redis. They call the worker's request methods, which return at once;
results come back as messages (``redis_tui.ui.worker.messages``) posted to the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import time
import weakref
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from textual.app import App
from textual.message_pump import MessagePump
from textual.worker import Worker

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.edit.cmdlog import CommandLog
from redis_tui.data.edit.version import Version
from redis_tui.data.scan.first import FirstPage
from redis_tui.errors import (
    AlreadyExists,
    ConnectionFailed,
    EditConflict,
    ReadOnlyRefused,
    RedisTuiError,
)
from redis_tui.ui.worker import messages as m
from redis_tui.ui.worker.analyzing import run_analysis
from redis_tui.ui.worker.groups import DATABASE_BOUND, Group
from redis_tui.ui.worker.scanning import ScanRun
from redis_tui.ui.worker.searching import run_search
from redis_tui.ui.worker.transfer import TransferJobs

# Edits, sessions, analysis and value search are imported where they run: the key list's
# first page needs none of them, and at start they cost the app 0.1 s.
if TYPE_CHECKING:
    from redis_tui.data.analysis import AnalysisOptions
    from redis_tui.data.edit.ops import EditOp
    from redis_tui.data.gateway import Gateway, Watch
    from redis_tui.data.scan.keystore import KeyStore
    from redis_tui.data.sessions import Discovery, SessionAction, SessionPatterns
    from redis_tui.data.values.readers import ValueOrder
    from redis_tui.data.values.search import Query

BACKOFF_START, BACKOFF_MAX = 0.5, 10.0
# Keyspace events are batched: one message per EVENT_BATCH seconds, at most this many keys.
EVENT_BATCH, EVENT_BATCH_KEYS = 0.2, 10_000
GONE_EVENTS = frozenset({b"del", b"expired", b"evicted", b"rename_from", b"unlink"})
# From this DBSIZE on, a names-first scan runs its SCAN loop in a child process: ~0.1 s to
# start it buys back its cost after ~50k keys (the in-process loop lists ~350k keys/s).
SCAN_PROCESS_MIN_KEYS = 50_000
# With a first page from the start-up check, the connection waits until its rows are on
# screen (``rows_shown``), at most this long: connecting imports redis-py (~50 ms of CPU),
# which would otherwise come before the first frame.
FIRST_ROWS_WAIT = 0.5
# The epoch a task was started in (set around ``run_worker``: the task copies the context).
_STARTED_IN: contextvars.ContextVar[int | None] = contextvars.ContextVar("epoch", default=None)
_WORKER_IDS = itertools.count(1)


# Sessions read again after an undo, at most (a bigger revoke is rescanned instead).
RELOAD_SESSIONS = 1000


@dataclass(frozen=True)
class Undo:
    """Restore the last deleted or overwritten key."""


@dataclass(frozen=True)
class _Stamped:
    epoch: int
    # An edit (``redis_tui.data.edit.ops``), an undo or a session action.
    item: EditOp | Undo | SessionAction


def _describe(item: EditOp | Undo | SessionAction) -> tuple[str, bytes | None]:
    """A queued item's action, for the user ("hash set field"), and its key if it has one."""
    # Not SessionAction: the session code would load on every first edit of a run.
    from redis_tui.data.edit.ops import EditOp

    if isinstance(item, Undo):
        return "undo", None
    if isinstance(item, EditOp):
        return item.action, item.key
    return item.op.replace("_", " "), None


class _Wake:
    """Queued to wake the loop at once (e.g. to reconnect after a database switch)."""


_WAKE = _Wake()


class Backoff:
    """0.5 s, 1 s, 2 s … up to 10 s between reconnection attempts."""

    def __init__(self) -> None:
        self.delay = BACKOFF_START

    def next(self) -> float:
        delay = self.delay
        self.delay = min(BACKOFF_MAX, self.delay * 2)
        return delay

    def reset(self) -> None:
        self.delay = BACKOFF_START


class RedisWorker:
    """One per connection. ``start()`` runs it; ``cancel_all()`` stops all it started."""

    def __init__(
        self,
        app: App[Any],
        settings: ConnectionSettings,
        poll_interval: float = 2.0,
        *,
        target: MessagePump | None = None,
        log: CommandLog | None = None,
        log_label: str = "",
        first_page: FirstPage | None = None,
    ) -> None:
        self.app = app
        # Where results go: the screen that shows them (the app when none is given).
        self.target: MessagePump = target if target is not None else app
        self.id = next(_WORKER_IDS)
        # Every task this worker started: ``cancel_all`` stops what a connection started.
        self._tasks: set[Worker[None]] = set()
        # The run's command log, when given; entries name ``log_label`` (a profile) or the URL.
        self._gateway_args = (settings, log, log_label)
        self._gateway: Gateway | None = None
        self.poll_interval = poll_interval
        self.connected = asyncio.Event()
        self.edits: asyncio.Queue[_Stamped | _Wake] = asyncio.Queue()
        # Bumped on every database switch: queued edits and late events of the old one are
        # recognised and dropped.
        self.epoch = 0
        # The sessions view (attributes down): keys on screen and the selected one.
        self.visible_sessions: Sequence[bytes] = ()
        self.watched_session: bytes | None = None
        self.sessions_generation = 0
        self.bulk_cancel = asyncio.Event()
        # :export / :import (their own jobs and messages).
        self.transfer = TransferJobs(self, self._spawn)
        self.analysis_stop = asyncio.Event()
        # The database before ``:db N``, until the switch succeeds.
        self._previous_db: int | None = None
        self.backoff = Backoff()
        # Set by the UI (attributes down): what is on screen, and whether a modal is open.
        self.visible: Sequence[tuple[int, bytes]] = ()
        self.hold = False
        self.paused = False
        # The terminal is hidden or the app suspended: no polls (set by the app).
        self.hidden = False
        # The value on screen, watched for changes by the poll (set by the app).
        self.watch: Watch | None = None
        self._last_token: tuple[bytes, Any] | None = None
        # "events" when keyspace notifications keep the screen current, else "poll".
        self.live_mode: Literal["events", "poll"] = "poll"
        self._retry_now = asyncio.Event()
        self._poll_running = False
        self._poll_backoff = Backoff()
        self._poll_resume_at = 0.0
        self.scan_generation = 0
        self.search_generation = 0
        # How the open list or zset is paged (O, B in the value pane; attributes down): every
        # load of that key uses it, so a reload after an edit or a change keeps the order.
        self.order: tuple[bytes, ValueOrder] | None = None
        self.scan_running = False
        # Where the last scan got to, so a stopped scan can continue.
        self.scan_cursor: Any = None
        # DBSIZE from the last connect or poll: a scan of a database this big hands its SCAN
        # loop to a child process (``scanproc``); below it the in-process loop is done first.
        self.dbsize: int | None = None
        self.scan_process_min_keys = SCAN_PROCESS_MIN_KEYS
        # The first SCAN page, read by the start-up check: the first scan shows it at once,
        # before this worker has connected, and goes on from its cursor.
        self.first_page = first_page
        # The first page the last ``scan`` started from, for the caller to show (None after).
        self.first_scanned: FirstPage | None = None
        self._rows_shown = asyncio.Event()
        if first_page is None:
            self._rows_shown.set()
        # Pages that came through a child process, in all scans (for tests and the benchmark).
        self.scan_process_pages = 0

    @property
    def gateway(self) -> Gateway:
        """The connection's gateway, built on first use: the data layer behind it (scan,
        edits, undo, fast metadata: ~10 ms to import) loads when the worker connects, after
        the first frame."""
        if self._gateway is None:
            from redis_tui.data.gateway import Gateway

            self._gateway = Gateway(*self._gateway_args)
        return self._gateway

    @property
    def settings(self) -> ConnectionSettings:
        return self.gateway.settings

    @property
    def connection(self) -> m.Stamp:
        """This worker's connection now: replies stamped otherwise are stale."""
        return (self.id, self.epoch)

    def post(self, message: m.WorkerMessage, epoch: int | None = None) -> None:
        """Post a reply stamped with the connection its request was made on: the epoch the
        task started in (a database switch or a reconnect since makes it stale)."""
        started = _STARTED_IN.get() if epoch is None else epoch
        message.connection = (self.id, self.epoch if started is None else started)
        self.target.post_message(message)

    def _spawn(
        self,
        work: Callable[[], Coroutine[None, None, None]],
        group: Group,
        *,
        exclusive: bool = True,
    ) -> None:
        """Run ``work`` as a Textual worker of ``group``, recorded for ``cancel_all``."""
        # ``work`` makes its coroutine only when it runs: a task replaced or cancelled before
        # it started leaves no never-awaited coroutine behind.
        if not self.app.is_running:
            return
        token = _STARTED_IN.set(self.epoch)
        try:
            task: Worker[None] = self.app.run_worker(
                work, group=str(group), exclusive=exclusive, exit_on_error=False
            )
        finally:
            _STARTED_IN.reset(token)
        self._tasks = {t for t in self._tasks if not t.is_finished}
        self._tasks.add(task)

    def start(self) -> None:
        """Start the main loop (connect, polls, edits)."""
        self._tasks.add(
            self.app.run_worker(self.run(), name="redis", group=str(Group.RUN), exit_on_error=False)
        )

    def cancel_all(self) -> None:
        """Stop everything this worker started (not the closing of old clients)."""
        self._cancel(lambda group: group != Group.CLOSE)

    def _cancel(self, which: Callable[[Group], bool]) -> None:
        for task in list(self._tasks):
            if not task.is_finished and which(Group(task.group)):
                task.cancel()
        self._tasks = {t for t in self._tasks if not t.is_finished}

    @contextlib.contextmanager
    def _failures(self, action: str, key: bytes | None = None) -> Iterator[None]:
        """Our errors become one WorkerFailed; a lost link also starts the reconnect."""
        try:
            yield
        except ConnectionFailed as exc:
            self.lost(exc)
            self.post(m.WorkerFailed(action, exc.message, key))
        except RedisTuiError as exc:
            self.post(m.WorkerFailed(action, exc.message, key))

    # -- requests from the UI: each returns at once ------------------------------------

    def scan(
        self,
        match: bytes | None = None,
        type_name: str | None = None,
        resume: bool = False,
        names_first: bool = True,
        store: KeyStore | None = None,
    ) -> int:
        """Start a new scan (cancelling the previous one), or with ``resume`` continue the last
        one from where it stopped. Returns its generation number.

        ``names_first``: post each page's names at once and fetch their TYPE and PTTL on a
        second connection in parallel (``KeysMetaFetched``), so names arrive at SCAN speed.
        ``store``: where the UI lists this scan's keys. The TYPE/PTTL of names streamed by a
        child process is fetched for the store's rows once they are all in (posted with
        ``hints``), not from a copy of every name; a resumed scan first fetches those of the
        rows still without a type (it stopped before their metadata came).
        """
        self.scan_generation += 1
        generation = self.scan_generation
        start = self.scan_cursor if resume else None
        if not resume:
            self.scan_cursor = None  # a stop before this scan's first page resumes at its start
        first, self.first_page = self.first_page, None  # for the first scan only
        if first is not None and start is None and names_first and not (match or type_name):
            # Read by the start-up check: the scan goes on from its cursor, and the caller
            # shows it (``first_scanned``) before its first frame, not a message later.
            self.scan_cursor = first.cursor
        else:
            first = None
        self.first_scanned = first
        self._spawn(
            # A weak reference: the finished worker (in a cycle) must not keep a replaced
            # store alive, nor its million names.
            partial(
                ScanRun(self).run, generation, match, type_name, start, names_first,
                None if store is None else weakref.ref(store), first,
            ),
            Group.SCAN,
        )  # fmt: skip
        return generation

    def stop_scan(self) -> None:
        self.scan_generation += 1
        self._cancel(lambda group: group == Group.SCAN)
        self.scan_running = False

    def load(self, key: bytes, **page: Any) -> None:
        """Load a key's value; a newer load replaces an older one still running."""
        if not self.app.is_running:
            return  # shutting down: a coroutine made now would never run
        append = bool(page.pop("append", False))
        if self.order is not None and self.order[0] == key:
            page.setdefault("order", self.order[1])
        self._spawn(partial(self._load, key, append, page), Group.LOAD)

    def search_value(
        self,
        key: bytes,
        kind: str,
        query: Query,
        *,
        total: int | None = None,
        start: int = 0,
        reverse: bool = False,
        memory: int | None = None,
    ) -> int:
        """Search inside ``key``'s value on the server (``/`` in the value pane); a newer
        search replaces one still running. Posts ``ValueSearched``; returns its generation."""
        self.search_generation += 1
        generation = self.search_generation
        work = partial(
            run_search, self, generation, key, kind, query, total, start, reverse, memory
        )
        self._spawn(work, Group.SEARCH)
        return generation

    def cancel_search(self) -> None:
        """Stop the search inside a value, if one runs (another key was opened)."""
        self.search_generation += 1
        self._cancel(lambda group: group == Group.SEARCH)

    def delete(self, key: bytes, version: Version | None = None) -> None:
        """Queue a delete. Refused here (not only in the UI) when the connection is read-only."""
        from redis_tui.data.edit.ops import Delete

        self._queue(Delete(key, version))

    def edit(self, op: EditOp) -> None:
        """Queue an edit. Edits run one at a time, in order, and are never cancelled."""
        self._queue(op)

    def _queue(self, item: EditOp | Undo | SessionAction) -> None:
        # Stamped with the connection epoch: an edit confirmed before a database or
        # connection switch is refused, never applied to a same-named key elsewhere.
        self.edits.put_nowait(_Stamped(self.epoch, item))

    def undo(self) -> None:
        self._queue(Undo())

    # -- sessions -----------------------------------------------------------------------------

    def find_sessions(self, **kwargs: Any) -> int:
        """Scan for sessions (newest scan wins). Returns its generation."""
        self.sessions_generation += 1
        generation = self.sessions_generation
        self._spawn(partial(self._find_sessions, generation, kwargs), Group.SESSIONS)
        return generation

    def session_edit(self, action: SessionAction) -> None:
        """Queue a session action; it runs in order with the edits."""
        self._queue(action)

    def preview_user_sessions(self, user: str) -> None:
        self._spawn(partial(self._preview_user, user), Group.SESSIONS_PREVIEW)

    async def _find_sessions(self, generation: int, kwargs: dict[str, Any]) -> None:
        from redis_tui.data.sessions.scan import ScanStats

        stats = ScanStats()
        with self._failures("sessions"):
            await self.connected.wait()
            async for page in self.gateway.find_sessions(**kwargs, stats=stats):
                if generation != self.sessions_generation:
                    return
                self.post(m.SessionsFound(generation, page, False, stats.discovery))
        self.post(m.SessionsFound(generation, [], True, stats.discovery))

    def find_by_cookie(
        self, text: str, patterns: SessionPatterns | None, discovery: Discovery | None
    ) -> None:
        """``:cookie TEXT``: the session it belongs to (a newer lookup replaces this one)."""
        self._spawn(partial(self._find_by_cookie, text, patterns, discovery), Group.COOKIE)

    async def _find_by_cookie(
        self, text: str, patterns: SessionPatterns | None, discovery: Discovery | None
    ) -> None:
        with self._failures("cookie lookup"):
            await self.connected.wait()
            self.post(m.CookieLooked(await self.gateway.find_by_cookie(text, patterns, discovery)))

    async def _preview_user(self, user: str) -> None:
        with self._failures("preview"):
            found = await self.gateway.sessions_of_user(user)
            self.post(m.UserSessionsPreviewed(user, found))

    async def _apply_session_edit(self, action: SessionAction) -> None:
        from redis_tui.data.sessions import EditSessionAttribute, ExtendSession

        done = await self.gateway.apply_session_action(action)
        self.post(m.SessionsChanged(action.op, done.message, list(done.keys)))
        if isinstance(action, ExtendSession | EditSessionAttribute):
            # The inspector shows what Redis holds now, not what it had before the write.
            await self._reload_sessions(done.keys)

    def reload_sessions(self, keys: Sequence[bytes]) -> None:
        """Read these sessions again (an undo brought them back)."""
        work = partial(self._reload_sessions, tuple(keys[:RELOAD_SESSIONS]))
        self._spawn(work, Group.SESSIONS_PREVIEW, exclusive=False)

    async def _reload_sessions(self, keys: Sequence[bytes]) -> None:
        with self._failures("sessions"):
            for key in keys:
                self.post(m.SessionRefreshed(key, await self.gateway.load_session(key)))

    def bulk_dry_run(self, pattern: bytes) -> None:
        self.bulk_cancel = asyncio.Event()
        self._spawn(partial(self._bulk_dry_run, pattern, self.bulk_cancel), Group.BULK)

    def bulk_delete(self, pattern: bytes) -> None:
        self.bulk_cancel = asyncio.Event()
        self._spawn(partial(self._bulk_delete, pattern, self.bulk_cancel), Group.BULK)

    def cancel_bulk(self) -> None:
        """Stop a dry run or bulk delete after the batch in flight (cooperative, not a kill)."""
        self.bulk_cancel.set()

    def analyze(self, run: int, options: AnalysisOptions) -> None:
        """Start the keyspace analysis ``run`` (replacing one still running); posts
        ``AnalysisProgressed`` and one ``AnalysisFinished``."""
        self.analysis_stop.set()  # a run this one replaces ends with its page in flight
        self.analysis_stop = asyncio.Event()
        self._spawn(partial(run_analysis, self, run, options, self.analysis_stop), Group.ANALYZE)

    def stop_analysis(self) -> None:
        """End the analysis after the page in flight: its partial result is posted."""
        self.analysis_stop.set()

    def lookup(self, key: bytes) -> None:
        """Find one key by exact name (``:key NAME``), without scanning."""
        self._spawn(partial(self._lookup, key), Group.LOOKUP)

    def fetch_info(self) -> None:
        self._spawn(partial(self._fetch_info), Group.INFO)

    def load_stream_groups(
        self, key: bytes, group: bytes | None = None, after: bytes | None = None
    ) -> None:
        """Consumer groups of a stream; ``after``: the next page of ``group``'s pending list."""
        self._spawn(partial(self._stream_groups, key, group, after), Group.STREAM_GROUPS)

    async def _stream_groups(self, key: bytes, group: bytes | None, after: bytes | None) -> None:
        with self._failures("consumer groups", key):
            groups, detail = await self.gateway.stream_groups(key, group, after)
            self.post(m.StreamGroupsLoaded(key, groups, detail, append=after is not None))

    def reconnect(self) -> None:
        """Drop the connection and connect again at once (``:reconnect``)."""
        self.connected.clear()
        self.epoch += 1
        self._spawn(partial(self.gateway.detach), Group.CLOSE, exclusive=False)
        self.backoff.reset()
        self.edits.put_nowait(_WAKE)
        self.retry_now()

    def retry_now(self) -> None:
        self._retry_now.set()

    def select_db(self, db: int) -> None:
        """Reconnect on database ``db``. Synchronous up to the point where no request can
        reach the old database: scans started after this call wait for the new connection."""
        self._previous_db = self.gateway.settings.db
        self.connected.clear()
        self.epoch += 1
        self._cancel(lambda group: group in DATABASE_BOUND)
        old = self.gateway.switch_db(db)
        if old is not None:
            self._spawn(partial(old.aclose), Group.CLOSE, exclusive=False)
        self.edits.put_nowait(_WAKE)
        self.retry_now()

    # -- the loop -------------------------------------------------------------------------

    def rows_shown(self) -> None:
        """The first page's rows are on screen: the connection may go ahead."""
        self._rows_shown.set()

    async def run(self) -> None:
        """Connect, then serve edits and polls until cancelled; reconnect with backoff on loss."""
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._rows_shown.wait(), FIRST_ROWS_WAIT)
            while True:
                if not self.connected.is_set():
                    await self._connect()
                    continue
                try:
                    edit = await asyncio.wait_for(self.edits.get(), timeout=self.poll_interval)
                except TimeoutError:
                    await self._poll()
                else:
                    if isinstance(edit, _Stamped):
                        if edit.epoch == self.epoch:
                            await self._apply(edit.item)
                        else:
                            self._refuse_stale(edit.item)
        finally:
            await self.gateway.close()

    async def _connect(self) -> None:
        try:
            facts = await self.gateway.connect()
        except RedisTuiError as exc:
            previous = self._previous_db
            if previous is not None and "DB index is out of range" in exc.message:
                # ``:db N`` past the server's databases: go back instead of retrying forever.
                refused = self.gateway.settings.db
                self._previous_db = None
                self.gateway.switch_db(previous)
                self.post(m.DatabaseRefused(refused, previous))
                return
            delay = self.backoff.next()
            self.post(m.ConnectionLost(exc.message, delay))
            self._retry_now.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._retry_now.wait(), timeout=delay)
            return
        self.backoff.reset()
        self._previous_db = None
        self.connected.set()
        self.dbsize = facts.dbsize
        self.post(m.Connected(facts, self.settings.describe()))
        await self._start_events()

    async def _start_events(self) -> None:
        """Use keyspace notifications when the server already sends them, else poll."""
        flags = await self.gateway.notification_flags()
        mode: Literal["events", "poll"] = "events" if flags else "poll"
        if flags:
            self._spawn(partial(self._listen), Group.EVENTS)
        if mode != self.live_mode:
            self.live_mode = mode
            self.post(m.LiveModeChanged(mode))

    async def _listen(self) -> None:
        """Batch keyspace events every EVENT_BATCH seconds into one KeyspaceChanged."""
        gone: set[bytes] = set()
        changed: set[bytes] = set()
        overflow = False
        flushed = time.monotonic()

        epoch = self.epoch

        def flush() -> None:
            nonlocal gone, changed, overflow, flushed
            if (gone or changed or overflow) and epoch == self.epoch:
                self.post(m.KeyspaceChanged(gone, changed, overflow))
                gone, changed, overflow = set(), set(), False
            flushed = time.monotonic()

        async def tick() -> None:
            # Events that came within EVENT_BATCH of the last flush wait for it: without
            # this, a lone change right after another waited for the next change to show.
            while True:
                await asyncio.sleep(EVENT_BATCH)
                flush()

        ticker = asyncio.get_running_loop().create_task(tick())
        try:
            async for key, event in self.gateway.keyspace_events():
                bucket = gone if event in GONE_EVENTS else changed
                if len(bucket) < EVENT_BATCH_KEYS:
                    bucket.add(key)
                else:
                    overflow = True
                if time.monotonic() - flushed > EVENT_BATCH:
                    flush()
        except RedisTuiError:
            pass  # the link dropped: the main loop reconnects and subscribes again
        finally:
            ticker.cancel()
            flush()
            if epoch == self.epoch:
                self.live_mode = "poll"

    def lost(self, exc: RedisTuiError) -> None:
        if self.connected.is_set():
            self.connected.clear()
            self.post(m.ConnectionLost(exc.message, 0.0))
            # Detach now, close later: the reconnect that follows opens a fresh client.
            asyncio.get_running_loop().create_task(self.gateway.detach())

    async def _poll(self) -> None:
        """Server facts and TTLs of the visible keys in one round trip; never overlaps itself."""
        if (
            self.hold
            or self.paused
            or self.hidden
            or self._poll_running
            or not self.connected.is_set()
            or time.monotonic() < self._poll_resume_at
        ):
            return
        self._poll_running = True
        epoch = self.epoch  # what it reads belongs to this database, even if it switches
        visible = list(self.visible)
        sessions = list(self.visible_sessions)
        watched = self.watched_session
        try:
            keys = [key for _, key in visible]
            # With keyspace events the value's changes arrive by themselves.
            watch = self.watch if self.live_mode == "poll" else None
            # A deadline of its own: a stopped server (SIGSTOP, a hung host) keeps the socket
            # open and answers nothing; the user must not see "connected" meanwhile.
            deadline = self.settings.connect_timeout
            try:
                facts, pttls, token = await asyncio.wait_for(
                    self.gateway.poll_watching([*keys, *sessions], watch), timeout=deadline
                )
            except TimeoutError:
                raise ConnectionFailed(
                    f"The server is not answering (no reply to a poll in {deadline:g} s); retrying"
                ) from None
            self.dbsize = facts.dbsize
            # The session open in the inspector is read again, so its tree stays live.
            refreshed = await self.gateway.load_session(watched) if watched else None
        except ConnectionFailed as exc:
            self.lost(exc)
        except RedisTuiError as exc:
            # A poll that keeps failing (an ACL, a session that no longer decodes) backs off
            # instead of repeating the same error every interval.
            delay = self._poll_backoff.next()
            self._poll_resume_at = time.monotonic() + delay * self.poll_interval
            self.post(m.WorkerFailed("poll", exc.message), epoch)
        else:
            self._poll_backoff.reset()
            session_pttls = dict(zip(sessions, pttls[len(keys) :], strict=False))
            self.post(
                m.ServerPolled(
                    facts, keys, pttls[: len(keys)], [i for i, _ in visible], session_pttls
                ),
                epoch,
            )
            if watched is not None:
                self.post(m.SessionRefreshed(watched, refreshed), epoch)
            if watch is not None and token is not None:
                last, self._last_token = self._last_token, (watch.key, token)
                if last is not None and last[0] == watch.key and last[1] != token:
                    self.post(m.ValueChanged(watch.key), epoch)
        finally:
            self._poll_running = False

    def _refuse_stale(self, edit: EditOp | Undo | SessionAction) -> None:
        action, key = _describe(edit)
        reason = "The database changed before it ran: nothing was changed"
        self.post(m.WorkerFailed(action, reason, key))

    async def _apply(self, edit: EditOp | Undo | SessionAction) -> None:
        from redis_tui.data.edit.ops import Copy, Delete, EditOp, Rename

        action, key = _describe(edit)
        if not self.connected.is_set():
            self.post(m.WorkerFailed(action, "Not connected: nothing was changed", key))
            return
        try:
            if not isinstance(edit, Undo | EditOp):  # a session action
                await self._apply_session_edit(edit)
                return
            if isinstance(edit, Undo):
                entries = await self.gateway.undo()
                if not entries:
                    self.post(m.KeyRestored(None, "Nothing to undo"))
                else:
                    keys = [e.key for e in entries]
                    self.post(m.KeyRestored(keys[0], f"Undone: {entries[0].describe()}", keys))
                return
            result = await self.gateway.apply_edit(edit)
        except EditConflict as exc:
            if isinstance(edit, EditOp):
                exists = isinstance(exc, AlreadyExists)
                current = exc.version if isinstance(exc.version, Version) else None
                self.post(m.EditConflicted(edit, exc.message, current, exists))
            else:  # an undo or a session action: nothing to retry with, just say why
                self.post(m.WorkerFailed(action, exc.message, key))
        except ConnectionFailed as exc:
            self.lost(exc)
            self.post(m.WorkerFailed(action, exc.message, key))
        except RedisTuiError as exc:
            refused = isinstance(exc, ReadOnlyRefused)
            self.post(m.WorkerFailed(action, exc.message, key, refused=refused))
        else:
            assert isinstance(edit, EditOp)
            if isinstance(edit, Delete):
                self.post(m.KeyDeleted(edit.key))
            new_key = edit.new if isinstance(edit, Rename | Copy) else None
            self.post(m.EditApplied(edit, result.message, new_key))

    async def _bulk_dry_run(self, pattern: bytes, cancel: asyncio.Event) -> None:
        with self._failures("dry run"):
            dry = await self.gateway.bulk_dry_run(pattern, cancel)
            self.post(m.BulkDryRunDone(dry))

    async def _bulk_delete(self, pattern: bytes, cancel: asyncio.Event) -> None:
        def progressed(progress: Any) -> None:
            self.post(m.BulkProgressed(progress))

        with self._failures("bulk delete"):
            summary = await self.gateway.bulk_delete(pattern, cancel, on_progress=progressed)
            self.post(m.BulkDeleted(summary))

    async def _load(self, key: bytes, append: bool, page: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(self.connected.wait(), timeout=self.settings.command_timeout)
            version = None
            if append:
                value = await self.gateway.read_value(key, **page)
            else:
                value, version = await self.gateway.read_value_versioned(key, **page)
        except TimeoutError:
            self.post(m.ValueFailed(key, "Not connected"))
        except ConnectionFailed as exc:
            self.lost(exc)
            self.post(m.ValueFailed(key, exc.message))
        except RedisTuiError as exc:
            self.post(m.ValueFailed(key, exc.message))
        else:
            self.post(m.ValueLoaded(value, append=append, version=version))

    async def _lookup(self, key: bytes) -> None:
        with self._failures("lookup", key):
            type_name, pttl = await self.gateway.lookup(key)
            if type_name == b"none":
                self.post(m.WorkerFailed("lookup", "No such key", key))
            else:
                self.post(m.KeyFound(key, type_name, pttl))

    async def _fetch_info(self) -> None:
        with self._failures("info"):
            text = await self.gateway.info_text()
            self.post(m.InfoLoaded(text))

    # -- key browser: sizes of the visible keys, saving a value (issue 3) ---------------------

    def fetch_sizes(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """MEMORY USAGE of ``rows`` ((storage index, key) pairs); a newer request replaces one
        still running. Posts ``KeySizesFetched``."""
        self._spawn(partial(self._fetch_sizes, list(rows)), Group.SIZES)

    def export(self, key: bytes, path: str, overwrite: bool = False) -> None:
        """Save the whole value of ``key`` to the file ``path``, streamed. Posts
        ``ValueExportProgressed`` now and then, then ``ValueExported`` or ``WorkerFailed``."""
        self._spawn(partial(self._export, key, path, overwrite), Group.EXPORT, exclusive=False)

    async def _fetch_sizes(self, rows: list[tuple[int, bytes]]) -> None:
        if not self.connected.is_set() or not rows:
            return
        keys = [key for _, key in rows]
        try:
            sizes = await self.gateway.memory_usage(keys)
        except ConnectionFailed as exc:
            self.lost(exc)
        except RedisTuiError as exc:
            self.post(m.WorkerFailed("sizes", exc.message))
        else:
            self.post(m.KeySizesFetched(keys, sizes, [i for i, _ in rows]))

    async def _export(self, key: bytes, path: str, overwrite: bool) -> None:
        last = 0.0

        def progressed(progress: Any) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= 1.0:  # at most one progress message a second
                last = now
                self.post(m.ValueExportProgressed(progress))

        with self._failures("save", key):
            await self.connected.wait()
            size = await self.gateway.export_value(key, path, progressed, overwrite=overwrite)
            self.post(m.ValueExported(key, path, size))
