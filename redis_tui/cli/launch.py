"""``redis-tui``: redis-cli's flags -> ConnectionSettings -> the app (or ``--demo``).

``redis-tui sessions …`` is handed to ``redis_tui.cli.sessions``, ``redis-tui analyze …`` to
``redis_tui.cli.analyze``, ``export``/``import`` to ``redis_tui.cli.transfer``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Sequence

from redis_tui import __version__
from redis_tui.cli.common import (
    EXIT_INTERRUPTED,
    MIN_POLL_SECONDS,
    OneLineParser,
    add_connection_arguments,
    fail,
    load_settings,
    seconds,
)
from redis_tui.config import Config, Profile
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.first import FirstPage, first_page
from redis_tui.errors import RedisTuiError


def build_parser() -> argparse.ArgumentParser:
    # add_help=False: -h is the host, as in redis-cli.
    parser = OneLineParser(
        prog="redis-tui",
        description="A keyboard-first terminal UI for Redis.",
        add_help=False,
    )
    add_connection_arguments(parser)
    app = parser.add_argument_group("app")
    app.add_argument(
        "--demo", action="store_true", help="start a private demo server with sample data"
    )
    app.add_argument(
        "--poll", type=seconds(MIN_POLL_SECONDS, "--poll"),
        help=f"seconds between polls (default 2, at least {MIN_POLL_SECONDS})",
    )  # fmt: skip
    app.add_argument("--version", action="version", version=f"redis-tui {__version__}")
    app.add_argument("--help", action="help", help="show this help and exit")
    return parser


async def check_connection(settings: ConnectionSettings) -> None:
    """Connect once before the UI starts, so a bad host or password is one clear line."""
    from redis_tui.data.gateway import Gateway

    gateway = Gateway(settings)
    try:
        await gateway.connect()
    finally:
        await gateway.close()


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["sessions"]:
        from redis_tui.cli.sessions import main as sessions_main

        return sessions_main(argv[1:])
    if argv[:1] == ["analyze"]:
        from redis_tui.cli.analyze import main as analyze_main

        return analyze_main(argv[1:])
    if argv[:1] in (["export"], ["import"]):
        from redis_tui.cli import transfer

        run = transfer.export_main if argv[0] == "export" else transfer.import_main
        return run(argv[1:])
    args = build_parser().parse_args(argv)
    loaded = load_settings(args)
    if isinstance(loaded, int):
        return loaded
    config, profile, settings = loaded
    poll = args.poll if args.poll is not None else config.poll_interval
    try:
        if args.demo:
            return run_demo(settings, poll, config)
        # What start-up allocates lives as long as the app: collecting it as it grows finds
        # nothing and costs ~40 ms. The app freezes it at mount and turns the collector on.
        gc.disable()
        # The quick check also reads the first key page; where it does not apply, the full one.
        first = first_page(settings)
        if first is None:
            asyncio.run(check_connection(settings))
        return run_app(settings, poll, config, profile, first)
    except RedisTuiError as exc:
        return fail(exc.message)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def run_app(
    settings: ConnectionSettings,
    poll: float,
    config: Config | None = None,
    profile: Profile | None = None,
    first: FirstPage | None = None,
) -> int:
    from redis_tui.ui.app import RedisTuiApp

    app = RedisTuiApp(
        settings, poll_interval=poll, config=config, profile=profile, first_page=first
    )
    app.run()
    return app.return_code or 0


def run_demo(settings: ConnectionSettings, poll: float, config: Config | None = None) -> int:
    """Start a private server, seed it, run the app on it, and always stop the server."""
    import redis

    from redis_tui.demo import seed as demo
    from redis_tui.demo import simulator
    from redis_tui.demo.server import EmbeddedServer

    print("redis-tui: starting a private demo server…", file=sys.stderr)
    with EmbeddedServer() as server:
        client = redis.Redis(host="127.0.0.1", port=server.port)
        try:
            print("redis-tui: seeding demo data…", file=sys.stderr)
            demo.seed(client)
            simulator.seed_sessions_from_fixtures(client)
        finally:
            client.close()
        demo_settings = ConnectionSettings(
            host="127.0.0.1", port=server.port, readonly=bool(settings.readonly)
        )
        # A small web app keeps the sessions moving while the app runs; stopped before the
        # server, whatever way the app ends.
        app = simulator.DemoSimulator("127.0.0.1", server.port)
        app.start()
        try:
            return run_app(demo_settings, poll, config)
        finally:
            app.stop()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
