"""The session inspector's rows: the sessions loaded so far, the filter, the sort, the
grouping by user and the header's counts, kept up to date a page at a time.

Plain Python (no Textual), so it is unit-tested on its own. A page of sessions costs work in
proportion to the page, not to everything loaded so far: counts are kept incrementally,
each session's search text and sort key are computed once, and a sorted list takes a new
page with one ``list.sort`` (Timsort merges the two sorted runs). Only a new filter, a new
sort or a regrouping walks every session.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import shlex
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis_tui.data.values.display import escape_key

if TYPE_CHECKING:  # the session code loads with the first session scan, not at start
    from redis_tui.data.sessions import Session

SORTS = ("found", "ttl", "user", "framework", "size", "idle")
# Characters of a session's attribute names and short values searched by free-text terms.
SEARCH_CHARS = 2048
SHORT_VALUE = 64

Row = int | tuple[str | None, int]
"""An index into ``sessions``, or (user, session count) when grouped by user."""

SortKey = tuple[bool, float | str]


@dataclass(frozen=True)
class SessionFilter:
    """``framework:express user:42 cart``: terms of one field are alternatives (OR), the
    fields and the free words must all match (AND). ``user:-`` is "no known user"."""

    text: str = ""
    frameworks: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> SessionFilter:
        try:
            terms = shlex.split(text)
        except ValueError:  # an unbalanced quote: take the words as they are
            terms = text.split()
        fields: dict[str, list[str]] = {"framework": [], "user": [], "key": [], "": []}
        aliases = {"framework": "framework", "fw": "framework", "user": "user", "key": "key",
                   "id": ""}  # fmt: skip
        for term in terms:
            name, sep, value = term.partition(":")
            field = aliases.get(name.lower()) if sep else None
            if field is None or not value:
                fields[""].append(term.lower())
            else:
                fields[field].append(value.lower())
        return cls(
            text.strip(),
            tuple(fields["framework"]),
            tuple(fields["user"]),
            tuple(fields["key"]),
            tuple(fields[""]),
        )

    def __bool__(self) -> bool:
        return bool(self.frameworks or self.users or self.keys or self.words)

    def matches(self, session: Session, haystack: str) -> bool:
        if self.frameworks and session.framework.lower() not in self.frameworks:
            return False
        if self.users:
            user = (session.user or "-").lower()
            if user not in self.users:
                return False
        if self.keys:
            key = escape_key(session.key).lower()
            if not any(k in key for k in self.keys):
                return False
        return all(word in haystack for word in self.words)


def search_text(session: Session) -> str:
    """What free-text terms match: framework, user, id, key, format and the decoded data as
    compact JSON text (its attribute names and values), bounded so a huge session costs no
    more. JSON encoding runs in C: about 10 µs a session, where walking the data in Python
    cost 100."""
    head = " ".join((session.framework, session.user or "", session.session_id,
                     escape_key(session.key), session.format))  # fmt: skip
    try:
        data = json.dumps(session.data, ensure_ascii=False, default=_plain, check_circular=False)
    except (TypeError, ValueError, RecursionError):
        data = ""
    return f"{head} {data[:SEARCH_CHARS]}".lower()


def _plain(value: object) -> object:
    """What json cannot encode itself: decoded objects by their class and fields."""
    from redis_tui.data import codecs  # loaded by then: the sessions were decoded with it

    if isinstance(value, codecs.ObjectValue):
        return {value.class_name: value.fields}
    if isinstance(value, bytes):
        return value[:SHORT_VALUE].hex()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)[:SHORT_VALUE]


class SessionRows:
    """Sessions by key, the rows shown (filtered, sorted or grouped) and the counts."""

    def __init__(self, deadline: Callable[[bytes], float]) -> None:
        # ``deadline(key)``: the session's expiry on the monotonic clock, -1 for none.
        self._deadline = deadline
        self.sessions: list[Session] = []
        self.by_key: dict[bytes, int] = {}
        self.indexes: list[int] = []  # the rows when not grouped: indexes into sessions
        self.groups: list[tuple[str | None, int]] = []  # the rows when grouped
        self.matched = 0
        self.filter = SessionFilter()
        self.sort = "found"
        self.grouped = False
        self.frameworks: Counter[str] = Counter()
        self.users: Counter[str] = Counter()
        self._haystacks: list[str] = []
        self._sort_keys: list[SortKey] = []
        self._matching: list[bool] = []
        self._matched_users: Counter[str | None] = Counter()
        self._counted_user: list[str | None] = []

    def clear(self) -> None:
        self.sessions, self.by_key, self.indexes, self.groups = [], {}, [], []
        self._haystacks, self._sort_keys, self._matching = [], [], []
        self._counted_user = []
        self.frameworks.clear()
        self.users.clear()
        self._matched_users.clear()
        self.matched = 0

    def __len__(self) -> int:
        return len(self.sessions)

    # -- sessions in ------------------------------------------------------------------------

    def add(self, page: Iterable[Session]) -> None:
        """New sessions, or sessions read again (same key): the rows follow at the cost of
        the page, unless a re-read session moved in the sort or the filter."""
        fresh: list[int] = []
        reorder = False
        for session in page:
            index = self.by_key.get(session.key)
            if index is None:
                index = len(self.sessions)
                self.by_key[session.key] = index
                self.sessions.append(session)
                self._haystacks.append(search_text(session))
                self._sort_keys.append(self._sort_key(session))
                self._matching.append(False)
                self._counted_user.append(None)
                self._count(session, 1)
                fresh.append(index)
                continue
            old = self.sessions[index]
            self._count(old, -1)
            self.sessions[index] = session
            self._count(session, 1)
            self._haystacks[index] = search_text(session)
            key = self._sort_key(session)
            was = self._matching[index]
            now = self._match(index)
            if was != now or old.user != session.user or (now and key != self._sort_keys[index]):
                reorder = True
            self._sort_keys[index] = key
        if reorder:
            self.rebuild()
            return
        added = [i for i in fresh if self._match(i)]
        if not added:
            return
        if self.grouped:
            self._group()
        else:
            self.indexes.extend(added)
            if self.sort != "found":
                self.indexes.sort(key=self._sort_keys.__getitem__)

    def refresh_sort_keys(self) -> None:
        """TTL deadlines changed (a poll): the keys of a TTL sort follow."""
        if self.sort == "ttl":
            self._sort_keys = [self._sort_key(s) for s in self.sessions]

    def _count(self, session: Session, delta: int) -> None:
        self.frameworks[session.framework] += delta
        if self.frameworks[session.framework] <= 0:
            del self.frameworks[session.framework]
        if session.user:
            self.users[session.user] += delta
            if self.users[session.user] <= 0:
                del self.users[session.user]

    def _match(self, index: int) -> bool:
        """Whether session ``index`` passes the filter; keeps ``matched`` and the matched
        users' counts in step (a re-read session moves its count to its new user)."""
        session = self.sessions[index]
        now = not self.filter or self.filter.matches(session, self._haystacks[index])
        if self._matching[index]:
            self.matched -= 1
            self._matched_users[self._counted_user[index]] -= 1
        if now:
            self.matched += 1
            self._matched_users[session.user] += 1
        self._matching[index] = now
        self._counted_user[index] = session.user
        return now

    # -- view -------------------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        self.filter = SessionFilter.parse(text)
        self.rebuild()

    def set_sort(self, sort: str) -> None:
        self.sort = sort
        self._sort_keys = [self._sort_key(s) for s in self.sessions]
        self.rebuild()

    def set_grouped(self, grouped: bool) -> None:
        self.grouped = grouped
        self.rebuild()

    def rebuild(self) -> None:
        """Filter, sort and group every session again."""
        self.matched = 0
        self._matched_users.clear()
        self._matching = [False] * len(self.sessions)
        indexes = [i for i in range(len(self.sessions)) if self._match(i)]
        if self.grouped:
            self._group()
            return
        if self.sort != "found":
            indexes.sort(key=self._sort_keys.__getitem__)
        self.indexes = indexes

    @property
    def rows(self) -> Sequence[Row]:
        return self.groups if self.grouped else self.indexes

    def row_count(self) -> int:
        return len(self.groups) if self.grouped else len(self.indexes)

    def _group(self) -> None:
        counts = [(user, n) for user, n in self._matched_users.items() if n > 0]
        self.groups = sorted(counts, key=lambda kv: (-kv[1], kv[0] or ""))

    def position_of(self, key: bytes) -> int | None:
        index = self.by_key.get(key)
        if index is None or self.grouped or not self._matching[index]:
            return None
        if self.sort == "found":
            # Rows in found order are increasing indexes: a binary search.
            rows = self.indexes
            position = bisect.bisect_left(rows, index)
            return position if position < len(rows) and rows[position] == index else None
        try:
            return self.indexes.index(index)
        except ValueError:
            return None

    def session_at(self, row: int) -> Session | None:
        if self.grouped or not 0 <= row < len(self.indexes):
            return None
        return self.sessions[self.indexes[row]]

    def _sort_key(self, session: Session) -> SortKey:
        sort = self.sort
        if sort == "ttl":
            deadline = self._deadline(session.key)
            return (deadline < 0, deadline)
        if sort == "user":
            return (session.user is None, session.user or "")
        if sort == "framework":
            return (False, session.framework)
        if sort == "size":
            return (False, -float(session.size))
        if sort == "idle":
            last = session.last_access_at
            return (last is None, -(last.astimezone(dt.UTC).timestamp() if last else 0.0))
        return (False, 0.0)
