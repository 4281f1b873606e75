"""Command line: redis-cli's flags -> ConnectionSettings -> the app (or a headless command)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from redis_tui import __version__
from redis_tui.data.connection import ConnectionSettings
from redis_tui.errors import RedisTuiError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    # add_help=False: -h is the host, as in redis-cli.
    parser = argparse.ArgumentParser(
        prog="redis-tui",
        description="A keyboard-first terminal UI for Redis.",
        add_help=False,
    )
    conn = parser.add_argument_group("connection (as in redis-cli)")
    conn.add_argument("-h", "--host", help="server hostname (default 127.0.0.1)")
    conn.add_argument("-p", "--port", type=int, help="server port (default 6379)")
    conn.add_argument("-s", "--socket", help="server unix socket path (overrides host and port)")
    conn.add_argument(
        "-a", "--pass", dest="password", help="password (prefer the REDISCLI_AUTH env var)"
    )
    conn.add_argument("--user", help="ACL username")
    conn.add_argument("-n", "--db", type=int, help="database number")
    conn.add_argument("-u", "--url", help="redis://, rediss:// or unix:// URL (also REDIS_URL)")
    conn.add_argument("--tls", action="store_true", default=None, help="connect with TLS")
    conn.add_argument("--cacert", help="CA certificate file to verify the server with")
    conn.add_argument("--cert", help="client certificate file (mutual TLS)")
    conn.add_argument("--key", help="client private key file (mutual TLS)")
    conn.add_argument("--insecure", action="store_true", help="TLS without verifying the server")
    conn.add_argument("--readonly", action="store_true", default=None, help="refuse every write")
    conn.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for the server (default 5)"
    )
    app = parser.add_argument_group("app")
    app.add_argument(
        "--demo", action="store_true", help="start a private demo server with sample data"
    )
    app.add_argument("--poll", type=float, default=2.0, help="seconds between polls (default 2)")
    app.add_argument("--version", action="version", version=f"redis-tui {__version__}")
    app.add_argument("--help", action="help", help="show this help and exit")
    return parser


def settings_from_args(
    args: argparse.Namespace, environ: dict[str, str] | None = None
) -> ConnectionSettings:
    """Flags beat the URL, the URL beats REDIS_URL and the defaults.

    Raises:
        ValueError: the URL cannot be parsed.
    """
    env = os.environ if environ is None else environ
    url = args.url or env.get("REDIS_URL")
    explicit = {
        "host": args.host,
        "port": args.port,
        "socket": args.socket,
        "username": args.user,
        "password": args.password or env.get("REDISCLI_AUTH") or None,
        "db": args.db,
        "tls": True if args.tls or args.cacert or args.cert else None,
        "cacert": args.cacert,
        "cert": args.cert,
        "key": args.key,
        "tls_verify": False if args.insecure else None,
        "readonly": args.readonly,
        "connect_timeout": args.timeout,
        "command_timeout": max(args.timeout, 5.0),
    }
    if url:
        return ConnectionSettings.from_url(url, **explicit)
    return ConnectionSettings(**{k: v for k, v in explicit.items() if v is not None})


async def check_connection(settings: ConnectionSettings) -> None:
    """Connect once before the UI starts, so a bad host or password is one clear line."""
    from redis_tui.data.gateway import Gateway

    gateway = Gateway(settings)
    try:
        await gateway.connect()
    finally:
        await gateway.close()


def fail(message: str) -> int:
    print(f"redis-tui: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        return fail(str(exc))
    try:
        if args.demo:
            return run_demo(settings, args.poll)
        asyncio.run(check_connection(settings))
        return run_app(settings, args.poll)
    except RedisTuiError as exc:
        return fail(exc.message)
    except KeyboardInterrupt:
        return 130


def run_app(settings: ConnectionSettings, poll: float) -> int:
    from redis_tui.ui.app import RedisTuiApp

    RedisTuiApp(settings, poll_interval=poll).run()
    return 0


def run_demo(settings: ConnectionSettings, poll: float) -> int:
    """Start a private server, seed it, run the app on it, and always stop the server."""
    import redis

    from redis_tui.data import demo
    from redis_tui.data.server import EmbeddedServer

    print("redis-tui: starting a private demo server…", file=sys.stderr)
    with EmbeddedServer() as server:
        client = redis.Redis(host="127.0.0.1", port=server.port)
        try:
            print("redis-tui: seeding demo data…", file=sys.stderr)
            demo.seed(client)
        finally:
            client.close()
        demo_settings = ConnectionSettings(
            host="127.0.0.1", port=server.port, readonly=bool(settings.readonly)
        )
        return run_app(demo_settings, poll)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
