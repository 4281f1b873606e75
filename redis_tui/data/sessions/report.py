"""Session health: what a stream of sessions says about the store, in one pass.

Sessions per framework and per namespace (discovery's grouping); sessions whose key has no
TTL (a leak: nothing will ever drop them); sessions expiring in the next five minutes; the
users with the most sessions; the largest sessions; the undecodable ones with the reason.
Built incrementally (:class:`ReportBuilder`), so a scan of 1M sessions never holds them all:
lists are bounded and their totals counted. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from redis_tui.data.sessions.grouping import Discovery, Router
from redis_tui.data.sessions.model import Session
from redis_tui.data.values.display import escape_key, escape_text

SOON = dt.timedelta(minutes=5)
LIST_LIMIT = 50
"""Sessions listed per section (the counts are exact)."""
TOP = 10


@dataclass(frozen=True)
class SessionRef:
    """One session as the report lists it."""

    key: bytes
    framework: str
    session_id: str
    user: str | None
    size: int
    ttl_ms: int
    expires_at: dt.datetime | None = None
    error: str | None = None


@dataclass
class HealthReport:
    """The figures of :func:`build_report` (lists bounded by ``LIST_LIMIT``; counts exact)."""

    generated_at: dt.datetime
    total: int = 0
    by_framework: dict[str, int] = field(default_factory=dict)
    by_namespace: dict[str, dict[str, int]] = field(default_factory=dict)
    no_ttl_count: int = 0
    no_ttl: list[SessionRef] = field(default_factory=list)
    expiring_count: int = 0
    expiring: list[SessionRef] = field(default_factory=list)
    top_users: list[tuple[str, int]] = field(default_factory=list)
    users: int = 0
    anonymous: int = 0
    largest: list[SessionRef] = field(default_factory=list)
    total_bytes: int = 0
    undecodable_count: int = 0
    undecodable: list[SessionRef] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # from a discovery


def _ref(session: Session) -> SessionRef:
    return SessionRef(
        session.key, session.framework, session.session_id, session.user, session.size,
        session.ttl_ms, session.expires_at, session.error,
    )  # fmt: skip


class ReportBuilder:
    """Feed sessions with :meth:`add`; :meth:`build` gives the report."""

    def __init__(self, now: dt.datetime, *, delimiter: bytes = b":") -> None:
        self.now = now
        self._router = Router(delimiter)
        self._frameworks: Counter[str] = Counter()
        self._namespaces: dict[bytes, Counter[str]] = {}
        self._users: Counter[str] = Counter()
        self._largest: list[tuple[int, bytes, SessionRef]] = []
        self._expiring: list[tuple[float, bytes, SessionRef]] = []
        self.report = HealthReport(generated_at=now)

    def add(self, session: Session) -> None:
        report = self.report
        report.total += 1
        self._frameworks[session.framework] += 1
        namespace = self._router.namespace_of(session.key)
        counts = self._namespaces.get(namespace)
        if counts is None:
            counts = self._namespaces[namespace] = Counter()
        counts[session.framework] += 1
        if session.user is None:
            report.anonymous += 1
        else:
            self._users[session.user] += 1
        if session.size > 0:
            report.total_bytes += session.size
        if session.ttl_ms == -1:
            report.no_ttl_count += 1
            if len(report.no_ttl) < LIST_LIMIT:
                report.no_ttl.append(_ref(session))
        expires = session.expires_at
        if expires is not None and self.now <= expires <= self.now + SOON:
            report.expiring_count += 1
            # A max-heap on the expiry keeps the soonest LIST_LIMIT.
            entry = (-expires.timestamp(), session.key, _ref(session))
            if len(self._expiring) < LIST_LIMIT:
                heapq.heappush(self._expiring, entry)
            elif entry[:2] > self._expiring[0][:2]:
                heapq.heapreplace(self._expiring, entry)
        if session.error is not None:
            report.undecodable_count += 1
            if len(report.undecodable) < LIST_LIMIT:
                report.undecodable.append(_ref(session))
        sized = (session.size, session.key)
        if len(self._largest) < TOP:
            heapq.heappush(self._largest, (*sized, _ref(session)))
        elif sized > self._largest[0][:2]:
            heapq.heapreplace(self._largest, (*sized, _ref(session)))

    def build(self, discovery: Discovery | None = None) -> HealthReport:
        report = self.report
        report.by_framework = dict(self._frameworks.most_common())
        report.by_namespace = {
            escape_key(ns): dict(counts.most_common())
            for ns, counts in sorted(self._namespaces.items(), key=lambda i: -i[1].total())
        }
        report.users = len(self._users)
        report.top_users = sorted(self._users.items(), key=lambda i: (-i[1], i[0]))[:TOP]
        report.largest = [ref for _, _, ref in sorted(self._largest, key=lambda i: i[:2])][::-1]
        report.expiring = [ref for _, _, ref in sorted(self._expiring, key=lambda i: i[:2])][::-1]
        if discovery is not None:
            report.skipped = [(s.namespace, s.reason) for s in discovery.skipped]
        return report


def build_report(
    sessions: Iterable[Session],
    now: dt.datetime,
    *,
    discovery: Discovery | None = None,
) -> HealthReport:
    """The health of a set of sessions at ``now`` (see the module doc)."""
    builder = ReportBuilder(now)
    for session in sessions:
        builder.add(session)
    return builder.build(discovery)


def _ref_json(ref: SessionRef) -> dict[str, object]:
    return {
        "key": escape_key(ref.key),
        "framework": ref.framework,
        "session_id": ref.session_id,
        "user": ref.user,
        "size": ref.size,
        "ttl_ms": ref.ttl_ms,
        "expires_at": ref.expires_at.isoformat() if ref.expires_at else None,
        "error": ref.error,
    }


def report_json(report: HealthReport) -> dict[str, object]:
    """The report as JSON-safe data (``redis-tui sessions --report`` when piped)."""
    return {
        "generated_at": report.generated_at.isoformat(),
        "total": report.total,
        "total_bytes": report.total_bytes,
        "by_framework": report.by_framework,
        "by_namespace": report.by_namespace,
        "no_ttl": {"count": report.no_ttl_count, "sessions": list(map(_ref_json, report.no_ttl))},
        "expiring_in_5_min": {
            "count": report.expiring_count,
            "sessions": list(map(_ref_json, report.expiring)),
        },
        "users": report.users,
        "anonymous": report.anonymous,
        "top_users": [{"user": user, "sessions": n} for user, n in report.top_users],
        "largest": list(map(_ref_json, report.largest)),
        "undecodable": {
            "count": report.undecodable_count,
            "sessions": list(map(_ref_json, report.undecodable)),
        },
        "skipped_namespaces": [{"namespace": ns, "reason": why} for ns, why in report.skipped],
    }


def _line(ref: SessionRef, extra: str) -> str:
    user = escape_text(ref.user or "-", multiline=False)
    return f"    {escape_key(ref.key)}  {ref.framework}  user {user}  {extra}"


def report_text(report: HealthReport, *, limit: int = 10) -> str:
    """The report for a terminal."""
    out = [
        f"Session health at {report.generated_at:%Y-%m-%d %H:%M:%S %Z}".rstrip(),
        f"  {report.total} sessions, {report.total_bytes} bytes, {report.users} users, "
        f"{report.anonymous} anonymous",
        "",
        "By framework:",
    ]
    out += [f"    {fw:<12} {n}" for fw, n in report.by_framework.items()] or ["    none"]
    out += ["", "By namespace:"]
    for ns, counts in list(report.by_namespace.items())[: limit * 2]:
        parts = ", ".join(f"{fw} {n}" for fw, n in counts.items())
        out.append(f"    {ns:<32} {parts}")
    out += ["", f"No TTL (never expire): {report.no_ttl_count}"]
    out += [_line(r, f"{r.size} B") for r in report.no_ttl[:limit]]
    out += ["", f"Expiring in the next 5 minutes: {report.expiring_count}"]
    out += [
        _line(r, f"in {max(0, r.ttl_ms) // 1000}s" if r.ttl_ms >= 0 else "payload expiry")
        for r in report.expiring[:limit]
    ]
    out += ["", "Users with the most sessions:"]
    out += [f"    {escape_text(u, multiline=False):<24} {n}" for u, n in report.top_users[:limit]]
    out += ["", "Largest sessions:"]
    out += [_line(r, f"{r.size} B") for r in report.largest[:limit]]
    out += ["", f"Undecodable: {report.undecodable_count}"]
    out += [
        _line(r, escape_text(r.error or "", multiline=False)) for r in report.undecodable[:limit]
    ]
    if report.skipped:
        out += ["", f"Namespaces skipped by discovery: {len(report.skipped)}"]
        out += [f"    {ns}: {why}" for ns, why in report.skipped[:limit]]
    return "\n".join(out) + "\n"
