"""The worker's task groups, in one place: what each is, and what a switch cancels."""

from __future__ import annotations

import enum


class Group(enum.StrEnum):
    """Textual worker groups. Within an exclusive group a new request replaces the old."""

    RUN = "redis"  # the connection's main loop: connect, polls, the edit queue
    SCAN = "scan"
    LOAD = "load"
    LOOKUP = "lookup"
    INFO = "info"
    BULK = "bulk"
    SESSIONS = "sessions"
    SESSIONS_PREVIEW = "sessions-preview"
    COOKIE = "cookie"
    EVENTS = "events"
    SIZES = "sizes"
    EXPORT = "export"
    TRANSFER = "transfer"  # :export / :import of many keys
    ANALYZE = "analyze"
    SEARCH = "search"  # / inside a value: the newest search replaces the one running
    STREAM_GROUPS = "stream-groups"
    CLOSE = "close"  # closing an old client: never cancelled, it must finish


# Requests that read the current database: a database switch cancels them (the scan is
# replaced by the new one the screen starts; the main loop and the edit queue go on).
DATABASE_BOUND = frozenset(
    {Group.LOAD, Group.LOOKUP, Group.INFO, Group.SESSIONS, Group.SESSIONS_PREVIEW,
     Group.COOKIE, Group.EVENTS, Group.SIZES, Group.TRANSFER, Group.ANALYZE,
     Group.SEARCH, Group.STREAM_GROUPS}
)  # fmt: skip
