"""The one door to Redis: typed calls, our errors, no redis-py exception escapes.

The background worker is its only user in the app; tests and headless commands use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from redis_tui.data.client.open import Client, open_client, sentinel_manager
from redis_tui.data.client.settings import ConnectionSettings, format_address
from redis_tui.data.edit.cmdlog import CommandLog
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.undo import UndoEntry, UndoStack
from redis_tui.data.edit.version import Version, key_version
from redis_tui.data.scan import fastmeta, keyspace, topology
from redis_tui.data.scan import process as scanproc
from redis_tui.data.scan.keyspace import ScanPage, ServerFacts
from redis_tui.data.values.kinds import LENGTH_COMMAND
from redis_tui.errors import (
    ConnectionFailed,
    RedisTuiError,
    ReplicaReadOnly,
    ServerTimeout,
    is_command_error,
    translate,
)

# What only the key list's first page does not need is imported where it is used (analysis,
# sessions, edits, transfer, value readers): at start they cost the app 0.1 s. redis-py too:
# the app builds a Gateway before its first frame; the client comes after (~50 ms).
if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from redis.asyncio.cluster import RedisCluster

    from redis_tui.data import analysis, sessions
    from redis_tui.data.edit import bulk
    from redis_tui.data.edit.ops import EditOp
    from redis_tui.data.edit.txn import EditResult
    from redis_tui.data.transfer import exporter, importer
    from redis_tui.data.values import export, streams
    from redis_tui.data.values import search as value_search
    from redis_tui.data.values.readers import KeyValue

INFO_SECTIONS = ("server", "clients", "memory", "replication", "keyspace")
# The commands whose refusal changes what the app can do, and a harmless way to try each.
PERMISSION_PROBES: tuple[tuple[str, tuple[str | int, ...]], ...] = (
    ("SCAN", ("SCAN", 0, "COUNT", 1)),
    ("DUMP", ("DUMP", "redis-tui:permission-probe")),
    ("MEMORY", ("MEMORY", "USAGE", "redis-tui:permission-probe")),
    ("CONFIG", ("CONFIG", "GET", "maxmemory")),
    ("KEYS", ("KEYS", "redis-tui:permission-probe")),
    ("INFO", ("INFO", "server")),
)


class Gateway:
    """A connection to one Redis server, with the operations redis-tui needs."""

    def __init__(
        self, settings: ConnectionSettings, log: CommandLog | None = None, label: str = ""
    ) -> None:
        self.settings = settings
        # The write context: read-only switch, command log (``@``; the run's, shared by every
        # connection, when given), undo stack (``u``).
        self._label = label
        shared = log if log is not None else CommandLog()
        # One undo stack per database: `u` after `:db 1` must never restore a db0 key in db1.
        self._undos: dict[int, UndoStack] = {settings.db: UndoStack()}
        self.guard = WriteGuard(
            settings.readonly, log=shared.for_source(self._source()), undo=self._undos[settings.db]
        )
        self._client: Client | None = None
        self._multi_section_info = True
        # Dedicated hiredis connection for TYPE + PTTL of scanned keys (not for a cluster).
        # Dedicated TYPE/PTTL connections by lane: a scan keeps two batches in flight, so
        # that the server works on one while this process parses the other.
        self._metas: dict[int, fastmeta.MetaConnection] = {}
        # Commands the ACL denies this user, probed once per connection (see ``connect``).
        self.denied: tuple[str, ...] = ()
        # A replica's master as its INFO says (set by each poll), for the READONLY message.
        self.master: str | None = None

    @property
    def client(self) -> aioredis.Redis:
        """The redis-py client. On a cluster it is a ``RedisCluster``, which offers the same
        single-key commands and non-transactional pipelines (see ``cluster``)."""
        if self._client is None:
            self._client = open_client(self.settings)
        return cast("aioredis.Redis", self._client)

    @property
    def cluster(self) -> RedisCluster | None:
        """The cluster client when connected to a cluster, else None."""
        from redis.asyncio.cluster import RedisCluster

        client = self.client
        return client if isinstance(client, RedisCluster) else None

    @asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        try:
            yield
        except ReplicaReadOnly as exc:
            raise self._name_master(exc) from exc
        except (RedisTuiError, asyncio.CancelledError):
            raise
        except Exception as exc:
            error = translate(exc, self.settings.describe())
            if isinstance(error, ReplicaReadOnly):
                error = self._name_master(error)
            raise error from exc

    def _name_master(self, error: ReplicaReadOnly) -> ReplicaReadOnly:
        if self.master is None or "master at" in error.message:
            return error
        return ReplicaReadOnly(
            f"This server is a read-only replica (master at {self.master}): nothing was "
            f"written. To change data, connect to the master (o, then host {self.master})"
        )

    async def connect(self) -> ServerFacts:
        """Open the connection, authenticate, select the db and read the server facts.

        Raises:
            ConnectionFailed, ServerTimeout, AuthFailed: the server cannot be used.
        """
        from redis.exceptions import RedisClusterException
        from redis.exceptions import TimeoutError as RedisTimeout

        async with self._errors():
            try:
                await self.client.ping()
            except (RedisTimeout, TimeoutError) as exc:
                if not self.settings.tls:
                    raise
                # A plain server answers nothing to a TLS ClientHello: say so, not "slow".
                await self.close()
                raise ServerTimeout(
                    f"No answer to the TLS handshake ({self.settings.describe()}): is the "
                    "server TLS? For a plain server use redis:// (no --tls)"
                ) from exc
            except RedisClusterException as exc:
                await self.close()
                raise ConnectionFailed(
                    f"Cannot connect ({self.settings.describe()}): cluster mode was asked for "
                    f"(-c) but the server is not a cluster node ({exc})"
                ) from exc
            if await self._is_cluster_node():
                # Detected (cluster_enabled:1): from now on, a cluster client.
                await self.close()
                self.settings = self.settings.replace(cluster=True)
                await self.client.ping()
            self.denied = await self._probe_permissions()
        return await self.facts()

    async def _probe_permissions(self) -> tuple[str, ...]:
        """Which of the commands the app relies on the ACL denies, asked once: ``ACL DRYRUN``
        when the user may (nothing runs), else the harmless ones tried on a key that does
        not exist (KEYS is never run: without DRYRUN it stays unknown)."""
        user = self.settings.username or "default"
        try:
            pipe = self.client.pipeline(transaction=False)
            for _name, command in PERMISSION_PROBES:
                pipe.execute_command("ACL", "DRYRUN", user, *command)
            replies = await pipe.execute(raise_on_error=False)
            if not any(isinstance(r, BaseException) for r in replies):
                return tuple(
                    name for (name, _), reply in zip(PERMISSION_PROBES, replies, strict=True)
                    if reply not in (b"OK", "OK")
                )  # fmt: skip
            pipe = self.client.pipeline(transaction=False)
            tried = [(n, c) for n, c in PERMISSION_PROBES if n != "KEYS"]
            for _name, command in tried:
                pipe.execute_command(*command)
            replies = await pipe.execute(raise_on_error=False)
        except Exception:  # a probe never fails the connection
            return ()
        return _denied(*((name, reply) for (name, _), reply in zip(tried, replies, strict=True)))

    async def _is_cluster_node(self) -> bool:
        if self.settings.cluster or self.settings.is_sentinel or self.settings.socket:
            return False
        try:
            info = await self.client.execute_command("INFO", "cluster")
        except Exception as exc:
            if is_command_error(exc):  # INFO forbidden by the ACL: assume standalone
                return False
            raise
        return isinstance(info, dict) and str(info.get("cluster_enabled")) == "1"

    async def detach(self) -> None:
        """Forget the current connections at once (the next call opens new ones), then close
        the old ones. Unlike ``close``, it cannot close a client opened in between."""
        metas, self._metas = self._metas, {}
        client, self._client = self._client, None
        for meta in metas.values():
            await meta.close()
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def close(self) -> None:
        metas, self._metas = self._metas, {}
        for meta in metas.values():
            await meta.close()
        client, self._client = self._client, None
        if client is not None:
            # Closing a dead connection may fail; there is nothing to do about it.
            with contextlib.suppress(Exception):
                await client.aclose()

    async def facts(self, ttl_keys: Sequence[bytes] = ()) -> ServerFacts:
        """INFO + DBSIZE (+ PTTL of ``ttl_keys``) in one round trip. An ACL that forbids INFO
        degrades the pane instead of failing the poll."""
        facts, _ = await self.poll(ttl_keys)
        return facts

    async def poll(self, ttl_keys: Sequence[bytes] = ()) -> tuple[ServerFacts, list[int]]:
        """Server facts and the PTTL of each of ``ttl_keys`` (see ``poll_watching``)."""
        facts, pttls, _ = await self.poll_watching(ttl_keys)
        return facts, pttls

    async def poll_watching(
        self, ttl_keys: Sequence[bytes] = (), watch: Watch | None = None
    ) -> tuple[ServerFacts, list[int], tuple[Any, ...] | None]:
        """One pipelined round trip: server facts, the PTTL of each of ``ttl_keys``, and a
        change token of the value on screen (``watch``): compare two tokens to know whether
        the value changed, without reading it. Small values are fingerprinted by DUMP,
        bigger ones by type and length only.

        On a cluster, every primary is asked concurrently and ``cluster_nodes`` is filled;
        behind Sentinel, ``sentinel`` says what the Sentinels see. ``unavailable`` names the
        commands the ACL forbids."""
        extra = _watch_commands(watch) if watch is not None else []
        if self.cluster is not None:
            facts, pttls = await self._cluster_poll(ttl_keys)
            token = None
            if extra:
                async with self._errors():
                    pipe = self.client.pipeline(transaction=False)
                    for command in extra:
                        pipe.execute_command(*command)
                    token = _token(await pipe.execute(raise_on_error=False))
            return self._with_denied(facts), pttls, token
        facts, pttls, replies = await self._poll(ttl_keys, extra)
        facts = self._with_denied(facts)
        self.master = facts.master
        manager = sentinel_manager(self.client)
        if manager is not None and self.settings.sentinel_master:
            view = await topology.sentinel_topology(manager, self.settings.sentinel_master)
            facts = replace(facts, sentinel=view)
        return facts, pttls, _token(replies) if extra else None

    def _with_denied(self, facts: ServerFacts) -> ServerFacts:
        if not self.denied:
            return facts
        merged = (*facts.unavailable, *(c for c in self.denied if c not in facts.unavailable))
        return replace(facts, unavailable=merged)

    async def _cluster_poll(self, ttl_keys: Sequence[bytes]) -> tuple[ServerFacts, list[int]]:
        cluster = self.cluster
        assert cluster is not None
        async with self._errors():
            got = await topology.cluster_poll(cluster, INFO_SECTIONS, ttl_keys)
        info = translate(got.info) if isinstance(got.info, BaseException) else got.info
        facts = keyspace.parse_facts(info, got.dbsize)
        nodes: tuple[topology.ClusterNodeInfo, ...] = ()
        if not isinstance(got.nodes, BaseException):
            nodes = topology.parse_cluster_nodes(got.nodes, cluster.nodes_manager.remap_host_port)
        state = None
        if not isinstance(got.cluster_info, BaseException):
            state = topology.parse_cluster_info(got.cluster_info).get("cluster_state")
        denied = _denied(("INFO", got.info), ("CLUSTER", got.nodes))
        facts = replace(
            facts, mode="cluster", cluster_state=state, cluster_nodes=nodes, unavailable=denied
        )
        return facts, got.pttls

    async def _poll(
        self, ttl_keys: Sequence[bytes], extra: Sequence[tuple[Any, ...]] = ()
    ) -> tuple[ServerFacts, list[int], list[Any]]:
        async with self._errors():
            pipe = self.client.pipeline(transaction=False)
            if self._multi_section_info:
                pipe.execute_command("INFO", *INFO_SECTIONS)
            else:
                pipe.execute_command("INFO")
            pipe.execute_command("DBSIZE")
            for key in ttl_keys:
                pipe.execute_command("PTTL", key)
            for command in extra:
                pipe.execute_command(*command)
            replies = await pipe.execute(raise_on_error=False)
            extra_replies = replies[len(replies) - len(extra) :] if extra else []
            replies = replies[: len(replies) - len(extra)] if extra else replies
            info, dbsize = replies[0], replies[1]
            if isinstance(info, BaseException) and "syntax" in str(info).lower():
                # Servers before 7.0 take one INFO section at a time.
                self._multi_section_info = False
            for reply in replies:
                if isinstance(reply, BaseException) and not is_command_error(reply):
                    raise reply
            denied = _denied(("INFO", info), ("DBSIZE", dbsize))
            if isinstance(info, BaseException):
                info = translate(info)
            pttls = [r if isinstance(r, int) else -2 for r in replies[2:]]
            facts = replace(keyspace.parse_facts(info, dbsize), unavailable=denied)
            return facts, pttls, extra_replies

    async def scan(
        self,
        cursor: Any,
        match: bytes | None,
        count: int,
        type_name: str | None = None,
        with_meta: bool = True,
    ) -> ScanPage:
        """One SCAN page, with TYPE and PTTL of its keys when ``with_meta``.

        Args:
            cursor: None (or 0) to start, else the ``cursor`` of the previous page.
        """
        cursor = cursor or 0
        async with self._errors():
            started = time.perf_counter()
            cluster = self.cluster
            if cluster is not None:
                # One SCAN cursor per primary, never one shared cursor.
                start = cursor
                if not isinstance(start, topology.ClusterCursor):
                    start = await topology.start_cluster_scan(cluster)
                next_cursor: Any
                next_cursor, keys = await topology.scan_cluster_page(
                    cluster, start, match, count, type_name
                )
            else:
                next_cursor, keys = await keyspace.scan_page(
                    self.client, cursor, match, count, type_name
                )
            page = ScanPage(next_cursor, keys, seconds=time.perf_counter() - started)
            if with_meta and keys:
                page.types, page.pttls = await self._key_meta(keys)
            return page

    async def key_meta(self, keys: list[bytes], lane: int = 0) -> tuple[list[bytes], list[int]]:
        """TYPE and PTTL of many keys in one round trip (``b"none"``/-2 for a missing key).
        Calls on different lanes may be in flight together (their own connections)."""
        async with self._errors():
            return await self._key_meta(keys, lane)

    async def _key_meta(self, keys: list[bytes], lane: int = 0) -> tuple[list[bytes], list[int]]:
        """TYPE and PTTL of ``keys``: over a dedicated hiredis connection when it applies
        (see ``fastmeta.supports``: not a cluster), else through redis-py's pipeline."""
        client = self.client
        if not fastmeta.supports(client):
            return await keyspace.key_meta(client, keys)
        meta = self._metas.get(lane)
        if meta is None or meta.settings != self.settings:
            # First use, or the db changed since: a connection for the current settings.
            self._metas.pop(lane, None)
            if meta is not None:
                await meta.close()
            meta = self._metas[lane] = fastmeta.MetaConnection(self.settings)
        return await meta.fetch(keys)

    def scan_process(
        self, cursor: int, match: bytes | None, type_name: str | None
    ) -> scanproc.ScanProcess | None:
        """A names-only scan from ``cursor`` in a child process (see ``scanproc``), or None
        where it does not apply (a cluster, Sentinel, no hiredis, not connected)."""
        client = self._client
        if client is None or not isinstance(cursor, int) or not fastmeta.supports(client):
            return None
        return scanproc.ScanProcess(self.settings, cursor, match, type_name)

    async def lookup(self, key: bytes) -> tuple[bytes, int]:
        """TYPE and PTTL of one key; TYPE is ``b"none"`` when it does not exist."""
        async with self._errors():
            types, pttls = await keyspace.key_meta(self.client, [key])
            return types[0], pttls[0]

    async def info_text(self) -> str:
        """The whole INFO reply as the server wrote it."""
        async with self._errors():
            # A bytes command name skips redis-py's INFO callback, which drops the sections.
            raw = await self.client.execute_command(b"INFO", b"everything")
            return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)

    async def analyze(
        self,
        options: analysis.AnalysisOptions | None = None,
        on_progress: Callable[[analysis.Progress], None] | None = None,
        stop: asyncio.Event | None = None,
    ) -> analysis.AnalysisResult:
        """The keyspace analysis of the current database (every primary of a cluster).

        Args:
            options: delimiter, MATCH, top-N, sampling and bounds.
            on_progress: called after each SCAN page (keys done, DBSIZE, ETA).
            stop: set it to end after the current page with a partial result.

        Returns:
            Per-namespace figures, top keys and cache health (see ``data.analysis``).

        Raises:
            ConnectionFailed, ServerTimeout, AuthFailed: the link failed. An ACL that
            refuses MEMORY, INFO or CONFIG degrades the result (with a note) instead.
        """
        from redis_tui.data import analysis

        async with self._errors():
            return await analysis.analyze(
                self.client, options, settings=self.settings, on_progress=on_progress, stop=stop
            )

    async def memory_usage(self, keys: Sequence[bytes]) -> list[int | None]:
        """MEMORY USAGE of each key (``SAMPLES 5``), in one pipelined round trip.

        Returns:
            Bytes per key, in order; None for a key that is gone or when the server refuses
            the command (an ACL without MEMORY, a server without it).

        Raises:
            ConnectionFailed, ServerTimeout: the link failed (command errors do not raise).
        """
        if not keys:
            return []
        async with self._errors():
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.execute_command("MEMORY USAGE", key, "SAMPLES", 5)
            replies = await pipe.execute(raise_on_error=False)
            for reply in replies:
                if isinstance(reply, BaseException) and not is_command_error(reply):
                    raise reply
            return [r if isinstance(r, int) else None for r in replies]

    async def export_value(
        self,
        key: bytes,
        path: str,
        on_progress: export.ProgressCallback | None = None,
        overwrite: bool = False,
    ) -> int:
        """Stream the whole value of ``key`` to the file ``path`` (see ``export``).

        Returns:
            The number of bytes written.

        Raises:
            KeyMissing, ExportRefused (file exists, unsupported type), CommandFailed for a
            file that cannot be written, and connection errors.
        """
        from redis_tui.data.values import export

        async with self._errors():
            try:
                return await export.export_value(
                    self.client, key, path, on_progress=on_progress, overwrite=overwrite
                )
            except OSError as exc:
                if isinstance(exc, ConnectionError | TimeoutError):
                    raise
                raise export.ExportRefused(f"Cannot write {path}: {exc.strerror or exc}") from exc

    async def key_location(self, key: bytes) -> tuple[str, int | None]:
        """Where a key lives: the node's ``host:port`` and, on a cluster, its hash slot.

        The slot map is redis-py's (refreshed on MOVED), so during a resharding the node is
        the slot's owner, even while some of its keys already sit on the importing node.
        """
        cluster = self.cluster
        if cluster is None:
            if self.settings.socket:
                return f"unix:{self.settings.socket}", None
            return format_address((self.settings.host, self.settings.port)), None
        async with self._errors():
            await cluster.initialize()
            slot = cluster.keyslot(key)
            node = cluster.nodes_manager.get_node_from_slot(slot)
            return (node.name if node is not None else "?"), slot

    async def read_value(self, key: bytes, **kwargs: Any) -> KeyValue:
        """See ``values.read_value``."""
        from redis_tui.data.values import readers as values

        async with self._errors():
            return await values.read_value(self.client, key, **kwargs)

    async def search_value(
        self, key: bytes, kind: str, query: value_search.Query, **kwargs: Any
    ) -> AsyncIterator[value_search.Batch]:
        """Search one key's value on the server, batch by batch (see ``search.search``).

        Raises:
            Our errors (connection, permission), from any batch.
        """
        from redis_tui.data.values import search as value_search

        async with self._errors():
            async for batch in value_search.search(self.client, key, kind, query, **kwargs):
                yield batch

    async def stream_groups(
        self, key: bytes, group: bytes | None, after: bytes | None = None
    ) -> tuple[list[streams.StreamGroup], streams.GroupDetail | None]:
        """The consumer groups of stream ``key`` and, for ``group``, its consumers and a page
        of its pending entries after id ``after`` (see ``values.streams``)."""
        from redis_tui.data.values import streams

        async with self._errors():
            groups = await streams.read_groups(self.client, key)
            if group is None and groups:  # the group with most pending first: the likely question
                group = max(groups, key=lambda g: g.pending).name
            detail = None
            if group is not None and any(g.name == group for g in groups):
                detail = await streams.read_group(self.client, key, group, after)
            return groups, detail

    async def read_value_versioned(self, key: bytes, **kwargs: Any) -> tuple[KeyValue, Version]:
        """A page of the value and the version it was read at (see ``version.Version``).

        The version is read before and after the page; if they differ the key changed while
        it was read, and it is read again, so an edit never starts from a stale screen.
        """
        from redis_tui.data.values import readers as values

        async with self._errors():
            for _ in range(3):
                before = await key_version(self.client, key)
                value = await values.read_value(self.client, key, **kwargs)
                after = await key_version(self.client, key)
                if before == after:
                    break
            return value, after

    async def apply_edit(self, op: EditOp) -> EditResult:
        """Apply one edit if its key is still at ``op.version``; None there means "as it is
        now" (e.g. a delete confirmed by name).

        Raises:
            ReadOnlyRefused, EditConflict, AlreadyExists, KeyMissing, and connection errors.
        """
        from redis_tui.data.edit import ops

        self.guard.check(op.action)
        async with self._errors():
            return await ops.apply(self.client, self.guard, op)

    async def delete(self, key: bytes) -> None:
        """Delete a key as it is now (no version check), with undo."""
        from redis_tui.data.edit.ops import Delete

        await self.apply_edit(Delete(key, None))

    async def undo(self) -> list[UndoEntry]:
        """Restore the last deleted or overwritten key, or every session of the last revoke;
        empty when there is nothing to undo.

        Raises:
            EditConflict: a key was re-created since; it is left as it is.
        """
        assert self.guard.undo is not None
        async with self._errors():
            return await self.guard.undo.restore_change(self.client, self.guard)

    async def bulk_dry_run(self, pattern: bytes, cancel: asyncio.Event) -> bulk.DryRun:
        from redis_tui.data.edit import bulk

        async with self._errors():
            return await bulk.dry_run(self.client, pattern, cancel=cancel)

    async def bulk_delete(
        self, pattern: bytes, cancel: asyncio.Event, on_progress: Any = None
    ) -> bulk.Summary:
        from redis_tui.data.edit import bulk

        self.guard.check("bulk delete")
        async with self._errors():
            return await bulk.bulk_delete(
                self.client, self.guard, pattern, on_progress=on_progress, cancel=cancel
            )

    # -- export / import of many keys (see ``data.transfer``) --------------------------------

    @asynccontextmanager
    async def _transfer_errors(self, path: str) -> AsyncIterator[None]:
        async with self._errors():
            try:
                yield
            except OSError as exc:
                if isinstance(exc, ConnectionError | TimeoutError):
                    raise
                from redis_tui.data.transfer.fileformat import TransferRefused

                raise TransferRefused(f"Cannot use {path}: {exc.strerror or exc}") from exc

    async def export_keys(
        self,
        pattern: bytes,
        path: str,
        dump: bool = False,
        on_progress: Callable[[exporter.ExportProgress], None] | None = None,
        cancel: asyncio.Event | None = None,
        names: Sequence[bytes] | None = None,
    ) -> exporter.ExportSummary:
        """``exporter.export_keys`` on this connection (of the keys ``names`` when given).
        Raises ExportRefused (the file exists), TransferRefused (cannot write it) and
        connection errors."""
        from redis_tui.data.transfer import exporter

        async with self._transfer_errors(path):
            return await exporter.export_keys(
                self.client, pattern, path, dump=dump, on_progress=on_progress, cancel=cancel,
                names=names,
            )  # fmt: skip

    async def import_plan(
        self, path: str, policy: importer.Policy, cancel: asyncio.Event | None = None
    ) -> importer.ImportPlan:
        """The dry run of an import (``importer.plan``): nothing is written."""
        from redis_tui.data.transfer import importer

        async with self._transfer_errors(path):
            return await importer.plan(self.client, path, policy, cancel)

    async def import_file(
        self,
        path: str,
        policy: importer.Policy,
        ask: importer.Ask | None = None,
        on_progress: Callable[[importer.ImportProgress], None] | None = None,
        cancel: asyncio.Event | None = None,
    ) -> importer.ImportSummary:
        """``importer.import_file``: refused when read-only; every write is logged."""
        from redis_tui.data.transfer import importer

        self.guard.check("import")
        async with self._transfer_errors(path):
            return await importer.import_file(
                self.client, self.guard, path, policy,
                ask=ask, on_progress=on_progress, cancel=cancel,
            )  # fmt: skip

    # -- live ----------------------------------------------------------------------------

    async def notification_flags(self) -> str | None:
        """The server's ``notify-keyspace-events`` if it can tell us about deletes and
        expiries (``K`` with ``g`` and ``x``, or ``A``); None when off, not enough, not
        permitted (ACL without CONFIG), or on a cluster (events are per node).

        redis-tui never turns notifications on itself: that is the operator's setting.
        """
        if self.cluster is not None:
            return None
        try:
            async with self._errors():
                reply = await self.client.execute_command(
                    b"CONFIG", b"GET", b"notify-keyspace-events"
                )
        except RedisTuiError:
            return None
        flags = reply[1].decode() if isinstance(reply, list) and len(reply) == 2 else ""
        if "K" in flags and ("A" in flags or {"g", "x"} <= set(flags)):
            return flags
        return None

    async def keyspace_events(self) -> AsyncIterator[tuple[bytes, bytes]]:
        """(key, event) pairs from ``__keyspace@<db>__:*`` on a connection of their own.

        Raises:
            ConnectionFailed: the subscription dropped.
        """
        prefix = f"__keyspace@{self.settings.db}__:".encode()
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            async with self._errors():
                await pubsub.psubscribe(prefix + b"*")
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "pmessage":
                        continue
                    channel, data = message["channel"], message["data"]
                    if isinstance(channel, bytes) and isinstance(data, bytes):
                        yield channel[len(prefix) :], data
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    # -- sessions ------------------------------------------------------------------------

    async def find_sessions(
        self, patterns: sessions.SessionPatterns | None = None, **kwargs: Any
    ) -> AsyncIterator[list[sessions.Session]]:
        """Stream decoded sessions page by page (see ``sessions.find_sessions``)."""
        from redis_tui.data import sessions

        async with self._errors():
            async for page in sessions.find_sessions(self.client, patterns, **kwargs):
                yield page

    async def find_by_cookie(
        self,
        text: str,
        patterns: sessions.SessionPatterns | None = None,
        discovery: sessions.Discovery | None = None,
    ) -> sessions.CookieLookup:
        """The session(s) a pasted cookie or ``Cookie:`` header belongs to."""
        from redis_tui.data import sessions

        async with self._errors():
            return await sessions.find_by_cookie(
                self.client, text, patterns=patterns, discovery=discovery
            )

    async def load_session(self, key: bytes) -> sessions.Session | None:
        """One session read again (None: gone, expired or no longer a session)."""
        from redis_tui.data import sessions

        async with self._errors():
            return await sessions.load_session(self.client, key)

    async def sessions_of_user(
        self, user: str, patterns: sessions.SessionPatterns | None = None
    ) -> list[sessions.Session]:
        """Every session of ``user`` (the preview before revoking them)."""
        from redis_tui.data import sessions

        async with self._errors():
            return await sessions.sessions_of_user(self.client, patterns, user)

    async def apply_session_action(
        self, action: sessions.SessionAction
    ) -> sessions.SessionActionDone:
        """Revoke, revoke a user's sessions, set a TTL or edit an attribute; every write
        passes the read-only guard."""
        from redis_tui.data import sessions

        async with self._errors():
            return await sessions.apply_session_action(self.client, self.guard, action)

    def switch_db(self, db: int) -> Client | None:
        """Use database ``db`` from now on: the next call opens a new client, so pooled
        connections never mix databases. Returns the old client for the caller to close."""
        client, self._client = self._client, None
        self.settings = self.settings.replace(db=db)
        self.guard.undo = self._undos.setdefault(db, UndoStack())
        if self.guard.log is not None:
            self.guard.log.source = self._source()
        return client

    def _source(self) -> str:
        """Where writes go, for the command log: the profile's name or the URL, and the db."""
        where = self._label or self.settings.describe()
        return where if self.settings.cluster else f"{where} db{self.settings.db}"


@dataclass(frozen=True)
class Watch:
    """The value on screen, for change detection: its key, its type, and whether it is small
    enough to fingerprint with DUMP on every poll (else type and length only)."""

    key: bytes
    type: str
    small: bool


def _watch_commands(watch: Watch) -> list[tuple[Any, ...]]:
    commands: list[tuple[Any, ...]] = [("TYPE", watch.key)]
    length = LENGTH_COMMAND.get(watch.type)
    if length:
        commands.append((length, watch.key))
    if watch.small:
        commands.append((b"DUMP", watch.key))  # bytes name: no redis-py reply callback
    return commands


def _token(replies: Sequence[Any]) -> tuple[Any, ...]:
    """A comparable fingerprint of the watch replies (DUMP is hashed, errors become None)."""
    out: list[Any] = []
    for reply in replies:
        if isinstance(reply, BaseException):
            out.append(None)
        elif isinstance(reply, bytes) and len(reply) > 64:
            out.append(hashlib.sha1(reply).hexdigest())
        else:
            out.append(reply)
    return tuple(out)


def _denied(*replies: tuple[str, Any]) -> tuple[str, ...]:
    """The commands whose reply is an ACL refusal (NOPERM), for the pane to say so."""
    from redis.exceptions import NoPermissionError

    return tuple(
        name
        for name, reply in replies
        if isinstance(reply, NoPermissionError) or "NOPERM" in str(reply)
    )
