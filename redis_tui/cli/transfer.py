"""``redis-tui export`` and ``redis-tui import``: keys to a file and back, headless.

    redis-tui export [connection flags] PATTERN PATH [--dump]
    redis-tui import [connection flags] PATH [--skip | --replace] [--dry-run] [--yes]

The export never overwrites a file. The import always runs its dry run first and prints what
it would do; ``--replace`` asks before replacing existing keys (no undo) unless ``--yes``.
Results go to stdout, progress (on a terminal) and questions to stderr. Errors: one line on
stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from redis_tui.cli.common import (
    EXIT_INTERRUPTED,
    OneLineParser,
    add_connection_arguments,
    fail,
    load_settings,
)
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.transfer.importer import Policy
from redis_tui.data.values.display import unescape_key
from redis_tui.errors import RedisTuiError


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = OneLineParser(prog=prog, description=description, add_help=False)
    add_connection_arguments(parser)
    return parser


def build_export_parser() -> argparse.ArgumentParser:
    parser = _parser("redis-tui export", "Export the keys matching a pattern to a file.")
    what = parser.add_argument_group("export")
    what.add_argument("pattern", metavar="PATTERN", help="SCAN MATCH glob (\\xNN: a raw byte)")
    what.add_argument("path", metavar="PATH", help="the file to write (never overwritten)")
    what.add_argument("--dump", action="store_true", help="DUMP payloads instead of values")
    what.add_argument("--help", action="help", help="show this help and exit")
    return parser


def build_import_parser() -> argparse.ArgumentParser:
    parser = _parser("redis-tui import", "Import a file written by redis-tui export.")
    what = parser.add_argument_group("import")
    what.add_argument("path", metavar="PATH", help="the export file")
    policy = what.add_mutually_exclusive_group()
    policy.add_argument(
        "--skip", dest="policy", action="store_const", const="skip",
        help="leave existing keys as they are (the default)",
    )  # fmt: skip
    policy.add_argument(
        "--replace", dest="policy", action="store_const", const="replace",
        help="replace existing keys (no undo)",
    )  # fmt: skip
    what.add_argument("--dry-run", action="store_true", help="only say what it would do")
    what.add_argument("--yes", action="store_true", help="do not ask before replacing keys")
    what.add_argument("--help", action="help", help="show this help and exit")
    return parser


def export_main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args = build_export_parser().parse_args(argv)
    out, err = stdout or sys.stdout, stderr or sys.stderr
    loaded = load_settings(args)
    if isinstance(loaded, int):
        return loaded
    pattern = unescape_key(args.pattern)
    if not pattern:
        return fail("PATTERN cannot be empty (use '*' for every key)")
    show = _progress_line(err) if err.isatty() else None
    try:
        text = asyncio.run(_export(loaded[2], pattern, args.path, args.dump, show))
    except RedisTuiError as exc:
        return fail(exc.message)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    out.write(text + "\n")
    return 0


async def _export(
    settings: ConnectionSettings,
    pattern: bytes,
    path: str,
    dump: bool,
    show: Callable[[str], None] | None,
) -> str:
    from redis_tui.data.gateway import Gateway

    gateway = Gateway(settings)
    try:
        await gateway.connect()
        summary = await gateway.export_keys(
            pattern,
            path,
            dump=dump,
            on_progress=(
                None
                if show is None
                else lambda p: show(f"exported {p.keys:,} keys, {p.written:,} bytes")
            ),
        )
    finally:
        await gateway.close()
        if show is not None:
            show("")
    return summary.describe()


def import_main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args = build_import_parser().parse_args(argv)
    out, err = stdout or sys.stdout, stderr or sys.stderr
    loaded = load_settings(args)
    if isinstance(loaded, int):
        return loaded
    policy: Policy = args.policy or "skip"
    show = _progress_line(err) if err.isatty() else None
    try:
        return asyncio.run(_import(loaded[2], args, policy, stdin or sys.stdin, out, err, show))
    except RedisTuiError as exc:
        return fail(exc.message)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


async def _import(
    settings: ConnectionSettings,
    args: argparse.Namespace,
    policy: Policy,
    stdin: TextIO,
    out: TextIO,
    err: TextIO,
    show: Callable[[str], None] | None,
) -> int:
    from redis_tui.data.gateway import Gateway

    gateway = Gateway(settings)
    try:
        if not args.dry_run:
            gateway.guard.check("import")  # refuse before reading anything
        await gateway.connect()
        dry = await gateway.import_plan(args.path, policy)
        out.write(("Dry run: " if args.dry_run else "") + dry.describe() + "\n")
        out.flush()
        if args.dry_run:
            return 0
        if dry.replace and not args.yes:
            err.write(f"Replace {dry.replace:,} existing keys (no undo)? [y/N] ")
            err.flush()
            if stdin.readline().strip().lower() not in ("y", "yes"):
                err.write("redis-tui: nothing imported\n")
                return 1
        summary = await gateway.import_file(
            args.path,
            policy,
            on_progress=(
                None
                if show is None
                else lambda p: show(f"imported {p.done:,} keys ({_pct(p.read, p.total)})")
            ),
        )
        if show is not None:
            show("")
        out.write(summary.describe() + "\n")
    finally:
        await gateway.close()
    return 0


def _pct(done: int, total: int) -> str:
    return f"{100 * done / total:.0f}%" if total else "?"


def _progress_line(err: TextIO) -> Callable[[str], None]:
    """A line on the terminal, redrawn at most ten times a second; "" clears it."""
    last = 0.0

    def show(text: str) -> None:
        nonlocal last
        now = time.monotonic()
        if text and now - last < 0.1:
            return
        last = now
        err.write(f"\r{text}\x1b[K" if text else "\r\x1b[K")
        err.flush()

    return show
