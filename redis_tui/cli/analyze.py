"""``redis-tui analyze``: where the memory goes, by namespace, and the cache's health.

    redis-tui analyze [connection flags] [--json] [--delimiter D] [--match PATTERN]
                      [--top N] [--sample N]

One paced pass (SCAN with COUNT, never KEYS). A readable report by default; ``--json``
prints the whole result as one JSON object. Progress goes to stderr when it is a terminal.
Errors: one line on stderr, exit code 2. Read-only: nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from redis_tui.data.analysis import AnalysisOptions, AnalysisResult, Progress
from redis_tui.data.analysis.output import report_text, result_json
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.values.display import unescape_key
from redis_tui.errors import RedisTuiError


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="redis-tui analyze",
        description="Keyspace analysis: memory, counts and TTLs by namespace; cache health.",
        add_help=False,
    )
    add_connection_arguments(parser)
    what = parser.add_argument_group("analysis")
    what.add_argument("--json", action="store_true", help="print the whole result as JSON")
    what.add_argument(
        "--delimiter", default=None, metavar="D",
        help="namespace delimiter (default the config's, else ':'; \\xNN for a raw byte)",
    )  # fmt: skip
    what.add_argument("--match", metavar="PATTERN", help="only keys matching this glob")
    what.add_argument(
        "--top", type=_positive, default=50, metavar="N",
        help="how many keys the top-by-memory and top-by-length lists hold (default 50)",
    )  # fmt: skip
    what.add_argument(
        "--sample", type=_positive, metavar="N",
        help="measure memory for N keys per namespace and extrapolate (default: every key, "
        "or 1000 per namespace above 2,000,000 keys)",
    )  # fmt: skip
    what.add_argument("--help", action="help", help="show this help and exit")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args = build_parser().parse_args(argv)
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    loaded = load_settings(args)
    if isinstance(loaded, int):
        return loaded
    config, _, settings = loaded
    delimiter = unescape_key(args.delimiter if args.delimiter is not None else config.delimiter)
    if not delimiter:
        return fail("--delimiter cannot be empty")
    options = AnalysisOptions(
        delimiter=delimiter,
        match=None if args.match is None else unescape_key(args.match),
        top=args.top,
        sample_per_namespace=args.sample,
    )
    try:
        result = asyncio.run(_run(settings, options, _progress(err) if err.isatty() else None))
    except RedisTuiError as exc:
        return fail(exc.message)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    try:
        if args.json:
            out.write(json.dumps(result_json(result), ensure_ascii=False) + "\n")
        else:
            out.write(report_text(result, top=min(args.top, 20)))
        out.flush()
    except BrokenPipeError:
        return 0
    return 0


async def _run(
    settings: ConnectionSettings,
    options: AnalysisOptions,
    on_progress: Callable[[Progress], None] | None,
) -> AnalysisResult:
    from redis_tui.data.gateway import Gateway

    gateway = Gateway(settings)
    try:
        await gateway.connect()
        return await gateway.analyze(options, on_progress)
    finally:
        await gateway.close()
        if on_progress is not None:
            on_progress(Progress(-1, None, 0.0, None))  # clears the progress line


def _progress(err: TextIO) -> Callable[[Progress], None]:
    """A progress line on the terminal, redrawn at most ten times a second."""
    last = 0.0

    def show(progress: Progress) -> None:
        nonlocal last
        if progress.done < 0:
            err.write("\r\x1b[K")
            err.flush()
            return
        now = time.monotonic()
        if now - last < 0.1:
            return
        last = now
        total = f" of {progress.total}" if progress.total is not None else ""
        pct = f" ({100 * progress.done / progress.total:.0f}%)" if progress.total else ""
        eta = f", {progress.eta_s:.0f} s left" if progress.eta_s is not None else ""
        err.write(f"\ranalysing: {progress.done}{total} keys{pct}{eta}\x1b[K")
        err.flush()

    return show


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
