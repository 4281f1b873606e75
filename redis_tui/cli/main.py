"""Command line: redis-cli's flags -> ConnectionSettings -> the app (or a headless command)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from redis_tui import __version__
from redis_tui.config import Config, ConfigError, Profile, load_config, resolve_password
from redis_tui.data.client.settings import ConnectionSettings, format_address, parse_address
from redis_tui.errors import RedisTuiError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    # add_help=False: -h is the host, as in redis-cli.
    parser = argparse.ArgumentParser(
        prog="redis-tui",
        description="A keyboard-first terminal UI for Redis.",
        add_help=False,
    )
    add_connection_arguments(parser)
    app = parser.add_argument_group("app")
    app.add_argument(
        "--demo", action="store_true", help="start a private demo server with sample data"
    )
    app.add_argument("--poll", type=float, help="seconds between polls (default 2)")
    app.add_argument("--version", action="version", version=f"redis-tui {__version__}")
    app.add_argument("--help", action="help", help="show this help and exit")
    return parser


def add_connection_arguments(
    parser: argparse.ArgumentParser, *, acl_user_flags: Sequence[str] = ("--user",)
) -> None:
    """The connection and profile flags (as in redis-cli), shared by the app and the
    headless subcommands. ``acl_user_flags`` renames ``--user`` where a subcommand needs
    that flag for something else (``sessions --user ID``)."""
    conn = parser.add_argument_group("connection (as in redis-cli)")
    conn.add_argument("-h", "--host", help="server hostname (default 127.0.0.1)")
    conn.add_argument("-p", "--port", type=int, help="server port (default 6379)")
    conn.add_argument("-s", "--socket", help="server unix socket path (overrides host and port)")
    conn.add_argument(
        "-a", "--pass", dest="password", help="password (prefer the REDISCLI_AUTH env var)"
    )
    conn.add_argument(*acl_user_flags, dest="user", help="ACL username")
    conn.add_argument("-n", "--db", type=int, help="database number")
    conn.add_argument("-u", "--url", help="redis://, rediss:// or unix:// URL (also REDIS_URL)")
    conn.add_argument("--tls", action="store_true", default=None, help="connect with TLS")
    conn.add_argument("--cacert", help="CA certificate file to verify the server with")
    conn.add_argument("--cert", help="client certificate file (mutual TLS)")
    conn.add_argument("--key", help="client private key file (mutual TLS)")
    conn.add_argument("--insecure", action="store_true", help="TLS without verifying the server")
    conn.add_argument("--readonly", action="store_true", default=None, help="refuse every write")
    conn.add_argument("--timeout", type=float, help="seconds to wait for the server (default 5)")
    conn.add_argument(
        "-c", dest="cluster", action="store_true", default=None,
        help="cluster mode (detected anyway when the server says cluster_enabled:1)",
    )  # fmt: skip
    conn.add_argument(
        "--host-map", action="append", metavar="FROM=TO",
        help="cluster behind NAT: reach the announced FROM host:port at TO (repeatable)",
    )  # fmt: skip
    conn.add_argument(
        "--sentinel", action="append", metavar="HOST:PORT",
        help="a Sentinel to ask for the master (repeatable; needs --sentinel-master)",
    )  # fmt: skip
    conn.add_argument("--sentinel-master", metavar="NAME", help="the master's name in Sentinel")
    profiles = parser.add_argument_group("profiles")
    profiles.add_argument("--profile", metavar="NAME", help="connect with a saved profile")
    profiles.add_argument(
        "--config", metavar="PATH",
        help="config file (default $REDIS_TUI_CONFIG, else the user config dir)",
    )  # fmt: skip


def settings_from_args(
    args: argparse.Namespace,
    environ: dict[str, str] | None = None,
    profile: ConnectionSettings | None = None,
) -> ConnectionSettings:
    """Flags beat the URL, the URL beats the profile, REDIS_URL and the defaults.

    Args:
        profile: the settings of the chosen profile (``Profile.to_settings``), if any.

    Raises:
        ValueError: the URL, a ``--sentinel`` or a ``--host-map`` cannot be parsed.
    """
    env = os.environ if environ is None else environ
    url = args.url or (None if profile else env.get("REDIS_URL"))
    sentinels = tuple(parse_address(a, 26379) for a in args.sentinel or ())
    host_map = tuple(_host_map(item) for item in args.host_map or ())
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
        "command_timeout": None if args.timeout is None else max(args.timeout, 5.0),
        "cluster": args.cluster,
        "host_map": host_map or None,
        "sentinels": sentinels or None,
        "sentinel_master": args.sentinel_master,
    }
    if args.sentinel_master and not (sentinels or (profile and profile.sentinels) or url):
        raise ValueError("--sentinel-master needs at least one --sentinel HOST:PORT")
    if sentinels and not (args.sentinel_master or (profile and profile.sentinel_master)):
        raise ValueError("--sentinel needs --sentinel-master NAME")
    if url:
        return ConnectionSettings.from_url(url, **explicit)
    given = {k: v for k, v in explicit.items() if v is not None}
    if profile is not None:
        return profile.replace(**given)
    return ConnectionSettings(**given)


def _host_map(item: str) -> tuple[str, str]:
    source, sep, target = item.partition("=")
    if not sep:
        raise ValueError(f"--host-map wants FROM=TO (host:port=host:port), not {item!r}")
    return format_address(parse_address(source)), format_address(parse_address(target))


def profile_settings(
    args: argparse.Namespace, config: Config, environ: dict[str, str] | None = None
) -> tuple[Profile | None, ConnectionSettings | None]:
    """The profile named by ``--profile`` (or the config's default, when no connection flag
    is given) and its settings, with its password resolved (keyring, env var or prompt).

    Raises:
        ConfigError: no such profile, or its fields are wrong.
    """
    env = os.environ if environ is None else environ
    connection_flags = (args.host, args.port, args.socket, args.url, args.sentinel)
    name = args.profile
    if name is None and (any(connection_flags) or env.get("REDIS_URL")):
        return None, None
    profile = config.profile(name)
    if profile is None:
        return None, None
    password = None if args.password else resolve_password(profile)
    if password is None and profile.password_source and not args.password:
        password = _prompt(f"Password for profile {profile.name!r}: ")
    sentinel_password = resolve_password(profile, sentinel=True)
    if sentinel_password is None and profile.sentinel_password_source:
        sentinel_password = _prompt(f"Sentinel password for profile {profile.name!r}: ")
    return profile, profile.to_settings(password, sentinel_password)


def _prompt(question: str) -> str | None:
    """Ask for a password on the terminal; None without one (no prompt in a pipe)."""
    if not sys.stdin.isatty():
        return None
    import getpass

    return getpass.getpass(question) or None


async def check_connection(settings: ConnectionSettings) -> None:
    """Connect once before the UI starts, so a bad host or password is one clear line."""
    from redis_tui.data.client.gateway import Gateway

    gateway = Gateway(settings)
    try:
        await gateway.connect()
    finally:
        await gateway.close()


def load_settings(
    args: argparse.Namespace,
) -> tuple[Config, Profile | None, ConnectionSettings] | int:
    """Config file, profile and flags -> settings; or the exit code after one clear line."""
    try:
        config = load_config(args.config)
        profile, base = profile_settings(args, config)
        settings = settings_from_args(args, profile=base)
    except ConfigError as exc:
        return fail(exc.message)
    except ValueError as exc:
        return fail(str(exc))
    return config, profile, settings


def fail(message: str) -> int:
    print(f"redis-tui: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["sessions"]:
        from redis_tui.cli.sessions import main as sessions_main

        return sessions_main(argv[1:])
    args = build_parser().parse_args(argv)
    loaded = load_settings(args)
    if isinstance(loaded, int):
        return loaded
    config, profile, settings = loaded
    poll = args.poll if args.poll is not None else config.poll_interval
    try:
        if args.demo:
            return run_demo(settings, poll, config)
        asyncio.run(check_connection(settings))
        return run_app(settings, poll, config, profile)
    except RedisTuiError as exc:
        return fail(exc.message)
    except KeyboardInterrupt:
        return 130


def run_app(
    settings: ConnectionSettings,
    poll: float,
    config: Config | None = None,
    profile: Profile | None = None,
) -> int:
    from redis_tui.ui.app import RedisTuiApp

    RedisTuiApp(settings, poll_interval=poll, config=config, profile=profile).run()
    return 0


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
