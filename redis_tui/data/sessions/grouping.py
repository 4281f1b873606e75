"""Discovery's bookkeeping: keys grouped by namespace, a bounded sample of each group sniffed,
and the groups whose samples are sessions read in full. Pure: the caller does the reads.

A key's group is its namespace: the key up to its last delimiter, with id-shaped segments
(numbers, hex, UUIDs, long tokens) folded to ``*`` so that ``user:42:`` and ``user:43:`` are one
group, ``user:*:``. Keys with no delimiter are grouped by shape: ``<uuid>``, ``<hex>``,
``<token>`` (base64-ish ids), a short word prefix glued to an id (``AIOHTTP_``, ``sf_``...),
else ``<other>``.

:class:`Router` takes each page of key names and says which to read now, and with which
assumption: a sample of a group not yet judged (``assume=False``: the payload decides), the
keys of a group whose samples were all sessions (``assume=True``: an undecodable one is still
listed, with its error), of a mixed group (``assume=False``), and the keys the stores' default
prefixes name (always read: a cache namespace may hold a few sessions among many entries).
Keys of groups judged not to hold sessions are only counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from redis_tui.data.sessions.model import DEFAULT_EXCLUDE, DEFAULT_PATTERNS, Session
from redis_tui.data.sessions.model import SessionPatterns as _Patterns
from redis_tui.data.values.display import escape_key

SAMPLE = 8
"""Values sniffed per group before it is judged."""
MAX_SAMPLED = 20_000
"""Values sniffed in all: past it, groups not yet sampled are skipped (the result says so)."""
MAX_GROUPS = 10_000
"""Groups tracked; keys of further namespaces share the ``<other>`` group."""
_CACHE_LIMIT = 100_000

_SAMPLING, _SESSIONS, _MIXED, _SKIPPED = range(4)

_UUID = re.compile(rb"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(rb"[0-9a-fA-F]{16,}")
_TOKEN = re.compile(rb"(?=[^\d]*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-+/=.]{16,}")
# A word in one case glued to an id (``AIOHTTP_SESSION_<hex>``, ``starsessions.<hex>``):
# random tokens rarely start with four letters of one case and a separator.
_WORD_ID = re.compile(rb"((?:[a-z]{4,24}|[A-Z]{4,24})[._\-#|])[A-Za-z0-9_\-+/=.]{8,}")
_GLOB_SPECIAL = re.compile(rb"([*?\[\]\\])")


@dataclass(frozen=True)
class Found:
    """Sessions of one framework in one namespace. ``count``: sessions found (by
    ``find_sessions``), or keys in the namespace (by ``discover`` alone, which reads only
    samples)."""

    namespace: str
    framework: str
    count: int
    sample_keys: tuple[bytes, ...]


@dataclass(frozen=True)
class Skipped:
    """A namespace whose sampled values are not sessions, or that was not sampled."""

    namespace: str
    reason: str
    sampled: int


@dataclass
class Discovery:
    """Where sessions were found and what was skipped. ``patterns``: globs naming the
    namespaces that hold sessions (for ``SessionPatterns``); ``complete``: the whole keyspace
    was walked and every group was sampled."""

    found: list[Found] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    patterns: list[bytes] = field(default_factory=list)
    keys_scanned: int = 0
    complete: bool = False


class _Group:
    __slots__ = ("count", "frameworks", "hits", "name", "sample_keys", "sampled", "state")

    def __init__(self, name: bytes, state: int) -> None:
        self.name = name
        self.count = 0
        self.sampled = 0
        self.hits = 0
        self.state = state
        self.frameworks: dict[str, int] = {}
        self.sample_keys: list[bytes] = []


class Router:
    """Which keys of each page to read, from what the samples said (see the module doc)."""

    def __init__(
        self,
        delimiter: bytes = b":",
        *,
        sample: int = SAMPLE,
        max_sampled: int = MAX_SAMPLED,
        read_all: bool = False,
    ) -> None:
        self.delimiter = delimiter or b":"
        self.sample = max(1, sample)
        self.budget = max_sampled
        self.read_all = read_all
        self.groups: dict[bytes, _Group] = {}
        self.scanned = 0
        self._cache: dict[bytes, bytes] = {}
        self._defaults = _Patterns(DEFAULT_PATTERNS, DEFAULT_EXCLUDE).matcher()
        delim = re.escape(self.delimiter)
        self._id_segment = re.compile(
            rb"(?:(?<=" + delim + rb")|\A)(?:\d+|[0-9a-fA-F]{8,}|[0-9a-fA-F-]{36}"
            rb"|(?=[^\d" + delim + rb"]*\d)[A-Za-z0-9_\-+/=.]{16,})(?=" + delim + rb")"
        )
        self._page: dict[bytes, tuple[_Group, bool]] = {}  # key -> group, is a sample
        self._pending: dict[bytes, list[bytes]] = {}

    # -- grouping ---------------------------------------------------------------------------

    def namespace_of(self, key: bytes) -> bytes:
        """The group a key belongs to (see the module doc)."""
        cut = key.rfind(self.delimiter)
        if cut >= 0:
            prefix = key[: cut + len(self.delimiter)]
            found = self._cache.get(prefix)
            if found is None:
                found = self._id_segment.sub(b"*", prefix)
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[prefix] = found
            return found
        if _UUID.fullmatch(key):
            return b"<uuid>"
        if _HEX.fullmatch(key):
            return b"<hex>"
        word = _WORD_ID.fullmatch(key)
        if word is not None:
            return word[1]
        if _TOKEN.fullmatch(key):
            return b"<token>"
        return b"<other>"

    def _group(self, key: bytes) -> _Group:
        name = self.namespace_of(key)
        group = self.groups.get(name)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                name = b"<other>"
                group = self.groups.get(name)
            if group is None:
                group = _Group(name, _MIXED if self.read_all else _SAMPLING)
                self.groups[name] = group
        return group

    # -- one page ---------------------------------------------------------------------------

    def route(self, keys: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
        """Keys of a page to read now: (payload decides, assumed sessions). Keys of groups
        still being judged beyond their sample wait for :meth:`settle`."""
        self.scanned += len(keys)
        strict: list[bytes] = []
        assumed: list[bytes] = []
        page = self._page = {}
        pending = self._pending = {}
        defaults = self._defaults
        for key in keys:
            group = self._group(key)
            group.count += 1
            state = group.state
            if state == _SESSIONS:
                assumed.append(key)
            elif state == _MIXED:
                strict.append(key)
            elif state == _SAMPLING and group.sampled < self.sample and self.budget > 0:
                group.sampled += 1
                self.budget -= 1
                if len(group.sample_keys) < 3:
                    group.sample_keys.append(key)
                strict.append(key)
                page[key] = (group, True)
                continue
            elif defaults(key):
                strict.append(key)
            elif state == _SAMPLING:
                pending.setdefault(group.name, []).append(key)
                continue
            else:
                continue
            page[key] = (group, False)
        return strict, assumed

    def is_sample(self, key: bytes) -> bool:
        """Whether :meth:`route` chose ``key`` as a sample of its group."""
        seen = self._page.get(key)
        return seen is not None and seen[1]

    def settle(self, found: Iterable[Session]) -> tuple[list[bytes], list[bytes]]:
        """Count the sessions a page's reads gave, judge the groups whose sample is complete,
        and return their waiting keys to read: (payload decides, assumed sessions)."""
        page = self._page
        for session in found:
            seen = page.get(session.key)
            if seen is None:
                continue
            group, is_sample = seen
            group.frameworks[session.framework] = group.frameworks.get(session.framework, 0) + 1
            if is_sample:
                group.hits += 1
        for group, is_sample in list(page.values()):
            if is_sample and group.state == _SAMPLING and group.sampled >= self.sample:
                self._judge(group)
        strict: list[bytes] = []
        assumed: list[bytes] = []
        for name, waiting in self._pending.items():
            group = self.groups[name]
            if group.state == _SAMPLING:
                self._judge(group)
            target = assumed if group.state == _SESSIONS else strict
            if group.state in (_SESSIONS, _MIXED):
                target += waiting
                page.update((key, (group, False)) for key in waiting)
        self._pending = {}
        return strict, assumed

    def _judge(self, group: _Group) -> None:
        if group.hits == 0:
            group.state = _SKIPPED
        elif group.hits >= group.sampled:
            group.state = _SESSIONS
        else:
            group.state = _MIXED

    def counted(self, found: Iterable[Session]) -> None:
        """Count sessions read outside :meth:`route` (the waiting keys :meth:`settle` gave)."""
        page = self._page
        for session in found:
            seen = page.get(session.key)
            if seen is not None:
                group = seen[0]
                group.frameworks[session.framework] = group.frameworks.get(session.framework, 0) + 1

    # -- the result -------------------------------------------------------------------------

    def discovery(self, *, walked: bool, samples_only: bool = False) -> Discovery:
        """What was found so far. ``samples_only``: only samples were read, so a namespace's
        count is its number of keys."""
        result = Discovery(keys_scanned=self.scanned)
        unsampled = False
        for group in self.groups.values():
            shown = escape_key(group.name)
            if group.frameworks:
                main = max(group.frameworks, key=group.frameworks.__getitem__)
                for framework, count in sorted(group.frameworks.items()):
                    if samples_only and framework == main:
                        count = max(count, group.count if group.state == _SESSIONS else count)
                    result.found.append(Found(shown, framework, count, tuple(group.sample_keys)))
                result.patterns.append(self.glob(group.name))
                continue
            if group.sampled == 0:
                unsampled = True
                reason = "not sampled: the sample budget was spent"
            else:
                reason = f"none of {group.sampled} sampled values is a session"
            result.skipped.append(Skipped(shown, reason, group.sampled))
        result.found.sort(key=lambda f: (-f.count, f.namespace, f.framework))
        result.skipped.sort(key=lambda s: s.namespace)
        result.complete = walked and not unsampled
        return result

    def glob(self, name: bytes) -> bytes:
        """A Redis glob for the keys of a group (wider than the group: the payload decides)."""
        if name == b"<uuid>":
            return b"????????-????-????-????-????????????"
        if name == b"<hex>":
            return b"[0-9a-fA-F]" * 16 + b"*"
        if name == b"<token>":
            return b"[A-Za-z0-9_+/=.-]" * 16 + b"*"
        if name == b"<other>":
            return b"*"
        parts = name.split(self.delimiter)
        escaped = [p if p == b"*" else _GLOB_SPECIAL.sub(rb"\\\1", p) for p in parts]
        return self.delimiter.join(escaped) + b"*"
