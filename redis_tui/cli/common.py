"""What every command shares: the connection flags, settings from flags, profile, URL and
environment, one-line failures and the exit codes. ``main`` (the app) and ``sessions`` (the
headless command) both build on this; neither imports the other's internals.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from redis_tui.config import Config, ConfigError, Profile, load_config, resolve_password
from redis_tui.data.client.settings import (
    DEFAULT_SENTINEL_PORT,
    ConnectionSettings,
    format_address,
    parse_address,
)

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
MIN_POLL_SECONDS = 0.2  # below this the poll is a load test of the server (INFO + DBSIZE)
PASSWORD_WARNING = (
    "Warning: Using a password with '-a' or '-u' option on the command line interface may not "
    "be safe (other users see it in ps). Set REDISCLI_AUTH instead."
)


class OneLineParser(argparse.ArgumentParser):
    """Bad flags or values: one line and "see --help", exit code 2 (not the whole usage)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def seconds(floor: float, what: str) -> Callable[[str], float]:
    """An argparse type: a number of seconds, at least ``floor`` (exclusive when 0)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or value < floor or (floor == 0 and value <= 0):
            bound = f"at least {floor:g}" if floor else "more than 0"
            raise argparse.ArgumentTypeError(f"{what} must be {bound} seconds, not {text}")
        return value

    return parse


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
    conn.add_argument(
        "--timeout", type=seconds(0, "--timeout"),
        help="seconds to wait for the server (default 5)",
    )  # fmt: skip
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
    sentinels = tuple(parse_address(a, DEFAULT_SENTINEL_PORT) for a in args.sentinel or ())
    host_map = tuple(_host_map(item) for item in args.host_map or ())
    explicit = {
        "host": args.host,
        "port": args.port,
        "socket": args.socket,
        "username": args.user,
        "password": args.password or None,
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
    for flag, path in (("--cacert", args.cacert), ("--cert", args.cert), ("--key", args.key)):
        if path and not Path(path).is_file():
            raise ValueError(f"{flag}: no such file: {path}")
    if args.sentinel_master and not (sentinels or (profile and profile.sentinels) or url):
        raise ValueError("--sentinel-master needs at least one --sentinel HOST:PORT")
    if sentinels and not (args.sentinel_master or (profile and profile.sentinel_master)):
        raise ValueError("--sentinel needs --sentinel-master NAME")
    if url:
        settings = ConnectionSettings.from_url(url, **explicit)
    else:
        given = {k: v for k, v in explicit.items() if v is not None}
        settings = profile.replace(**given) if profile is not None else ConnectionSettings(**given)
    # As redis-cli does: REDISCLI_AUTH only where no -a, URL or profile gave a password.
    fallback = env.get("REDISCLI_AUTH")
    if fallback and not settings.password:
        settings = settings.replace(password=fallback)
    return settings


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


def load_settings(
    args: argparse.Namespace,
) -> tuple[Config, Profile | None, ConnectionSettings] | int:
    """Config file, profile and flags -> settings; or the exit code after one clear line."""
    if args.password or (args.url and urlsplit(args.url).password):
        print(PASSWORD_WARNING, file=sys.stderr)
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
