"""``redis-tui sessions``: list, filter and revoke web sessions without the UI.

    redis-tui sessions [connection flags] [--match PATTERN] [--user ID] [--json]
    redis-tui sessions [connection flags] --revoke-user ID [--yes]
    redis-tui sessions [connection flags] --cookie VALUE
    redis-tui sessions [connection flags] --report [--match PATTERN]

One JSON object per line (``--json``, the default when stdout is not a terminal), else a
table. The ACL username flag is ``--acl-user`` here, since ``--user`` names the session user.
``--cookie`` takes a cookie value or a whole ``Cookie:`` header and prints its session(s);
none found: one line on stderr, exit code 1. ``--report`` prints the sessions' health: JSON
when stdout is not a terminal, a readable text otherwise. Errors: one line on stderr, exit
code 2. Uses the same decoders as the TUI (``redis_tui.data.sessions``); nothing from Redis
is executed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from redis_tui.cli.common import (
    EXIT_INTERRUPTED,
    OneLineParser,
    add_connection_arguments,
    fail,
    load_settings,
)
from redis_tui.data import sessions
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.sessions.output import to_json_line
from redis_tui.data.values.display import escape_text
from redis_tui.errors import RedisTuiError


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="redis-tui sessions",
        description="List, filter and revoke web framework sessions stored in Redis.",
        add_help=False,
    )
    add_connection_arguments(parser, acl_user_flags=("--acl-user",))
    what = parser.add_argument_group("sessions")
    what.add_argument("--match", metavar="PATTERN", help="only keys matching this glob")
    what.add_argument("--user", dest="session_user", metavar="ID", help="only this user's")
    what.add_argument(
        "--sniff-all", action="store_true",
        help="discover by reading every key (size-capped), not a sample of each namespace",
    )  # fmt: skip
    what.add_argument("--limit", type=int, metavar="N", help="stop after N sessions")
    what.add_argument(
        "--json", action="store_true", default=None,
        help="one JSON object per line (default when stdout is not a terminal)",
    )  # fmt: skip
    what.add_argument("--table", dest="json", action="store_false", help="a readable table")
    what.add_argument(
        "--revoke-user", metavar="ID", help="delete every session of this user (asks first)"
    )
    what.add_argument("--yes", action="store_true", help="do not ask before deleting")
    what.add_argument(
        "--report", action="store_true",
        help="the sessions' health (JSON when piped, text on a terminal)",
    )  # fmt: skip
    what.add_argument(
        "--cookie", metavar="VALUE",
        help="the session of this cookie (a value or a whole Cookie: header)",
    )  # fmt: skip
    what.add_argument("--help", action="help", help="show this help and exit")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    args = build_parser().parse_args(argv)
    out = stdout or sys.stdout
    loaded = load_settings(args)
    if isinstance(loaded, int):
        return loaded
    config, _, settings = loaded
    if args.limit is not None and args.limit <= 0:
        return fail("--limit must be positive")
    as_json = args.json if args.json is not None else not out.isatty()
    try:
        options = config.session_options()
        if args.match is not None:
            options["patterns"] = sessions.SessionPatterns((args.match.encode("utf-8"),), ())
        if args.revoke_user is not None:
            return asyncio.run(_revoke(settings, args, out, stdin or sys.stdin, as_json, options))
        if args.report:
            as_json = args.json if args.json is not None else not out.isatty()
            return asyncio.run(_report(settings, args, out, as_json, options))
        if args.cookie is not None:
            return asyncio.run(_cookie(settings, args.cookie, out, as_json, options))
        return asyncio.run(_list(settings, args, out, as_json, options))
    except RedisTuiError as exc:
        return fail(exc.message)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0


async def _list(
    settings: ConnectionSettings,
    args: argparse.Namespace,
    out: TextIO,
    as_json: bool,
    options: dict[str, Any],
) -> int:
    from redis_tui.data.gateway import Gateway

    gateway = Gateway(settings)
    try:
        await gateway.connect()
        if not as_json:
            out.write(_table_header())
        async for page in sessions.find_sessions(
            gateway.client,
            options.get("patterns") if args.match is None else None,
            user_paths=options.get("user_paths", sessions.DEFAULT_USER_PATHS),
            match=args.match,
            user=args.session_user,
            limit=args.limit,
            sniff_all=args.sniff_all,
        ):
            for session in page:
                out.write(_json_line(session) if as_json else _table_row(session))
            out.flush()
    finally:
        await gateway.close()
    return 0


async def _revoke(
    settings: ConnectionSettings,
    args: argparse.Namespace,
    out: TextIO,
    stdin: TextIO,
    as_json: bool,
    options: dict[str, Any],
) -> int:
    from redis_tui.data.gateway import Gateway

    gateway = Gateway(settings)
    user = args.revoke_user
    try:
        gateway.guard.check("revoke sessions")  # refuse before reading anything
        await gateway.connect()
        patterns = options.get("patterns")
        user_paths = options.get("user_paths", sessions.DEFAULT_USER_PATHS)
        found = await sessions.sessions_of_user(
            gateway.client, patterns, user, user_paths=user_paths
        )
        if not found:
            print(f"redis-tui: no session of user {user!r}", file=sys.stderr)
            return 0
        for session in found:
            out.write(_json_line(session) if as_json else f"{session.key_text}\n")
        out.flush()
        if not args.yes:
            print(f"Delete {len(found)} sessions? [y/N] ", end="", file=sys.stderr, flush=True)
            answer = stdin.readline().strip().lower()
            if answer not in ("y", "yes"):
                print("redis-tui: nothing deleted", file=sys.stderr)
                return 1
        deleted = await sessions.revoke_user(
            gateway.client, gateway.guard, patterns, user,
            expected=[s.key for s in found], user_paths=user_paths,
        )  # fmt: skip
        print(f"redis-tui: deleted {len(deleted)} sessions of user {user!r}", file=sys.stderr)
    finally:
        await gateway.close()
    return 0


async def _report(
    settings: ConnectionSettings,
    args: argparse.Namespace,
    out: TextIO,
    as_json: bool,
    options: dict[str, Any],
) -> int:
    import datetime as dt

    from redis_tui.data.gateway import Gateway
    from redis_tui.data.sessions.report import ReportBuilder, report_json, report_text

    gateway = Gateway(settings)
    builder = ReportBuilder(dt.datetime.now(dt.UTC))
    stats = sessions.ScanStats()
    try:
        await gateway.connect()
        async for page in sessions.find_sessions(
            gateway.client,
            options.get("patterns") if args.match is None else None,
            user_paths=options.get("user_paths", sessions.DEFAULT_USER_PATHS),
            match=args.match, user=args.session_user, stats=stats,
        ):  # fmt: skip
            for session in page:
                builder.add(session)
    finally:
        await gateway.close()
    report = builder.build(stats.discovery)
    if as_json:
        out.write(json.dumps(report_json(report), ensure_ascii=False) + "\n")
    else:
        out.write(report_text(report))
    out.flush()
    return 0


async def _cookie(
    settings: ConnectionSettings, text: str, out: TextIO, as_json: bool, options: dict[str, Any]
) -> int:
    from redis_tui.data.gateway import Gateway
    from redis_tui.data.sessions.cookie import find_by_cookie

    gateway = Gateway(settings)
    try:
        await gateway.connect()
        lookup = await find_by_cookie(
            gateway.client, text, patterns=options.get("patterns"),
            user_paths=options.get("user_paths", sessions.DEFAULT_USER_PATHS),
        )  # fmt: skip
    finally:
        await gateway.close()
    if not lookup.sessions:
        why = lookup.notes[-1] if lookup.notes else "no session found for this cookie"
        print(f"redis-tui: {escape_text(why, multiline=False)}", file=sys.stderr)
        return 1
    if not as_json:
        out.write(_table_header())
    for session in lookup.sessions:
        out.write(_json_line(session) if as_json else _table_row(session))
    out.flush()
    return 0


def _json_line(session: sessions.Session) -> str:
    return to_json_line(session)


_COLUMNS = (("FRAMEWORK", 10), ("FORMAT", 14), ("USER", 12), ("TTL", 9), ("SIZE", 8))


def _table_header() -> str:
    head = " ".join(name.ljust(width) for name, width in _COLUMNS)
    return f"{head} SESSION ID / KEY\n"


def _table_row(session: sessions.Session) -> str:
    cells = (
        session.framework,
        session.format,
        escape_text(session.user or "-", multiline=False),
        _ttl(session.ttl_ms),
        str(session.size),
    )
    row = " ".join(_fit(cell, width) for cell, (_, width) in zip(cells, _COLUMNS, strict=True))
    note = f"  ! {escape_text(session.error, multiline=False)}" if session.error else ""
    return f"{row} {escape_text(session.session_id, multiline=False)}  {session.key_text}{note}\n"


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def _ttl(ms: int) -> str:
    if ms < 0:
        return "none"
    seconds = ms // 1000
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172_800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
