"""Profiles and settings: one TOML file, discovered, validated into frozen dataclasses.

Discovery: ``--config PATH``, else ``$REDIS_TUI_CONFIG``, else
``platformdirs.user_config_path("redis-tui") / "config.toml"``. A missing file is an empty
config. Passwords are never stored in the file: a profile names where its password comes
from (``password_source``): the OS keyring, an environment variable, or a prompt.

Example::

    default_profile = "local"
    poll_interval = 2.0
    delimiter = ":"

    [keymap]                  # binding id = keys (``?`` lists the ids)
    "app.quit" = "q,ctrl+q"

    [profiles.local]
    port = 6379
    colour = "green"

    [profiles.prod]
    url = "rediss://app@cache.example:6380/0"
    production = true
    readonly = true
    password_source = "keyring"     # or "env:PROD_REDIS_PASSWORD", or "prompt"

A profile's table holds its own fields (``colour``, ``production``, ``url``, the password
sources) beside the fields of ConnectionSettings, flat; the connection fields are read,
checked and written from ConnectionSettings' own declaration, so a new one needs no change
here unless its type is new.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import tomllib
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis_tui.data.client.settings import (
    DEFAULT_PORT,
    DEFAULT_SENTINEL_PORT,
    Address,
    ConnectionSettings,
    format_address,
    parse_address,
)
from redis_tui.errors import RedisTuiError

ENV_CONFIG = "REDIS_TUI_CONFIG"
KEYRING_SERVICE = "redis-tui"
FILE_MODE = 0o600


class ConfigError(RedisTuiError):
    """The config file cannot be read or holds a wrong value; the message names both."""


# Connection fields a profile does not keep: passwords never go to the file (nor into a
# Profile), and the command timeout follows connect_timeout, as ``--timeout`` does.
_NOT_STORED = frozenset({"password", "sentinel_password", "command_timeout"})
_NO_CONNECTION = ConnectionSettings()
_CONNECTION_TYPES: dict[str, Any] = {
    name: hint
    for name, hint in typing.get_type_hints(ConnectionSettings).items()
    if name not in _NOT_STORED
}


def _stored(connection: ConnectionSettings) -> ConnectionSettings:
    """``connection`` without what a profile does not keep."""
    return connection.replace(**{name: getattr(_NO_CONNECTION, name) for name in _NOT_STORED})


def _changed(connection: ConnectionSettings) -> dict[str, Any]:
    """The stored fields of ``connection`` that differ from the defaults."""
    return {
        name: getattr(connection, name)
        for name in _CONNECTION_TYPES
        if getattr(connection, name) != getattr(_NO_CONNECTION, name)
    }


@dataclass(frozen=True)
class Profile:
    """One saved connection: its name and looks, an optional ``url``, its ``connection``
    (ConnectionSettings without passwords) and where its passwords come from.

    ``password_source`` is ``"keyring"``, ``"env:VARNAME"``, ``"prompt"`` or None (no
    password); ``sentinel_password_source`` likewise for the Sentinels. ``to_settings``
    adds the passwords.
    """

    name: str
    colour: str | None = None
    production: bool = False
    url: str | None = None
    connection: ConnectionSettings = field(default_factory=ConnectionSettings)
    password_source: str | None = None
    sentinel_password_source: str | None = None

    def __post_init__(self) -> None:
        # Whatever settings a profile is made from, it keeps no password, even in memory.
        object.__setattr__(self, "connection", _stored(self.connection))

    def to_settings(
        self, password: str | None = None, sentinel_password: str | None = None
    ) -> ConnectionSettings:
        """ConnectionSettings for this profile; ``url`` (if any) first, the fields that
        differ from the defaults over it.

        Raises:
            ConfigError: the URL cannot be parsed.
        """
        connection = self.connection
        command_timeout = max(connection.connect_timeout, 5.0)
        if self.url:
            try:
                return ConnectionSettings.from_url(
                    self.url,
                    **_changed(connection),
                    password=password,
                    sentinel_password=sentinel_password,
                    command_timeout=command_timeout,
                )
            except ValueError as exc:
                raise ConfigError(f"profile {self.name!r}: {exc}") from exc
        return dataclasses.replace(
            connection,
            tls=connection.tls or bool(connection.cacert or connection.cert),
            password=password,
            sentinel_password=sentinel_password,
            command_timeout=command_timeout,
        )


@dataclass(frozen=True)
class Config:
    """Everything the config file says. ``path`` is where it was (or would be) read."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    default_profile: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    poll_interval: float = 2.0
    delimiter: str = ":"
    # [sessions]: which keys may hold sessions, and where the user id lives in a session.
    # Empty means the built-in defaults (``data.sessions.DEFAULT_PATTERNS`` / ``..._USER_PATHS``).
    session_patterns: tuple[str, ...] = ()
    session_exclude: tuple[str, ...] = ()
    session_user_paths: tuple[str, ...] = ()
    path: Path | None = None

    def session_options(self) -> dict[str, Any]:
        """Keyword arguments for ``sessions.find_sessions`` from ``[sessions]``."""
        from redis_tui.data import sessions

        options: dict[str, Any] = {}
        if self.session_patterns:
            options["patterns"] = sessions.SessionPatterns.of(
                self.session_patterns, self.session_exclude
            )
        if self.session_user_paths:
            options["user_paths"] = self.session_user_paths
        return options

    def profile(self, name: str | None = None) -> Profile | None:
        """The profile called ``name``, else the default one, else None.

        Raises:
            ConfigError: ``name`` is not a profile in the file.
        """
        wanted = name or self.default_profile
        if wanted is None:
            return None
        if wanted not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise ConfigError(f"{self.path}: no profile named {wanted!r} (profiles: {known})")
        return self.profiles[wanted]


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Where the config file is: ``path``, else $REDIS_TUI_CONFIG, else the platform's
    user config directory."""
    if path:
        return Path(path).expanduser()
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_config_path("redis-tui") / "config.toml"


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config file (a missing file is an empty config).

    Raises:
        ConfigError: the file is not valid TOML, or a field is wrong; the message names the
            file and the field.
    """
    where = config_path(path)
    try:
        raw = tomllib.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if path:  # asked for by name: it must exist
            raise ConfigError(f"{where}: no such config file") from None
        return Config(path=where)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    return _validate(raw, where)


_TOP = {"default_profile", "keymap", "poll_interval", "delimiter", "profiles", "sessions"}
_SESSION_FIELDS = {"patterns", "exclude", "user_paths"}
_PROFILE_TYPES: dict[str, Any] = {
    name: hint
    for name, hint in typing.get_type_hints(Profile).items()
    if name not in ("name", "connection")
}
# One flat table holds both: a name must not mean two things.
assert not _PROFILE_TYPES.keys() & _CONNECTION_TYPES.keys()
_SECRET_FIELDS = {"password", "pass", "sentinel_password", "secret", "auth"}
_SOURCE = re.compile(r"^(keyring|prompt|env:[A-Za-z_][A-Za-z0-9_]*)$")


def _validate(raw: dict[str, Any], where: Path) -> Config:
    def bad(name: str, problem: str) -> ConfigError:
        return ConfigError(f"{where}: {name}: {problem}")

    for name in raw:
        if name not in _TOP:
            raise bad(name, "unknown setting")
    keymap = raw.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise bad("keymap", 'expected a table of binding id = "keys"')
    poll = raw.get("poll_interval", 2.0)
    if isinstance(poll, bool) or not isinstance(poll, int | float) or not 0.1 <= poll <= 3600:
        raise bad("poll_interval", "expected seconds between 0.1 and 3600")
    delimiter = raw.get("delimiter", ":")
    if not isinstance(delimiter, str) or not delimiter:
        raise bad("delimiter", "expected a non-empty string")
    tables = raw.get("profiles", {})
    if not isinstance(tables, dict):
        raise bad("profiles", "expected tables [profiles.NAME]")
    profiles: dict[str, Profile] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise bad(f"profiles.{name}", "expected a table")
        profiles[name] = _profile(name, table, bad)
    default = raw.get("default_profile")
    if default is not None and default not in profiles:
        raise bad("default_profile", f"no profile named {default!r}")
    session_table = raw.get("sessions", {})
    if not isinstance(session_table, dict):
        raise bad("sessions", "expected a table [sessions]")
    lists: dict[str, tuple[str, ...]] = {}
    for name, value in session_table.items():
        if name not in _SESSION_FIELDS:
            raise bad(f"sessions.{name}", "unknown setting (patterns, exclude, user_paths)")
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise bad(f"sessions.{name}", "expected a list of non-empty strings")
        lists[name] = tuple(value)
    return Config(
        profiles=profiles,
        default_profile=default,
        keymap=dict(keymap),
        poll_interval=float(poll),
        delimiter=delimiter,
        session_patterns=lists.get("patterns", ()),
        session_exclude=lists.get("exclude", ()),
        session_user_paths=lists.get("user_paths", ()),
        path=where,
    )


Bad = Callable[[str, str], ConfigError]


def _profile(name: str, table: dict[str, Any], bad_in_file: Bad) -> Profile:
    def bad(key: str, problem: str) -> ConfigError:
        return bad_in_file(f"profiles.{name}.{key}", problem)

    values: dict[str, Any] = {}
    connection: dict[str, Any] = {}
    for key, value in table.items():
        if key in _SECRET_FIELDS:
            raise bad(
                key,
                "passwords are never read from the config file: set "
                'password_source = "keyring", "env:VARNAME" or "prompt"',
            )
        if key in _PROFILE_TYPES:
            values[key] = _check(key, value, _PROFILE_TYPES[key], bad)
        elif key in _CONNECTION_TYPES:
            connection[key] = _check(key, value, _CONNECTION_TYPES[key], bad)
        else:
            raise bad(key, "unknown field")
    for key in ("password_source", "sentinel_password_source"):
        source = values.get(key)
        if source is not None and not _SOURCE.match(source):
            raise bad(key, 'expected "keyring", "env:VARNAME" or "prompt"')
    url = values.get("url")
    if url and "@" in url.split("://", 1)[-1].split("/", 1)[0]:
        userinfo = url.split("://", 1)[-1].split("@", 1)[0]
        if ":" in userinfo:
            raise bad("url", "the URL holds a password: remove it and set password_source")
    profile = Profile(name=name, connection=ConnectionSettings(**connection), **values)
    if url:
        try:
            profile.to_settings()
        except ConfigError as exc:
            raise bad("url", str(exc).split(": ", 1)[-1]) from exc
    return profile


def _check(key: str, value: Any, kind: Any, bad: Bad) -> Any:
    """``value`` from the file, checked against the field's type ``kind``."""
    if kind is bool:
        if not isinstance(value, bool):
            raise bad(key, "expected true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad(key, "expected a whole number")
        if key == "port" and not 0 < value < 65536:
            raise bad(key, "expected a port number (1-65535)")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise bad(key, "expected a number of seconds")
        return float(value)
    if kind == tuple[Address, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(key, 'expected a list of "host:port" strings')
        port = DEFAULT_SENTINEL_PORT if key == "sentinels" else DEFAULT_PORT
        try:
            return tuple(parse_address(v, port) for v in value)
        except ValueError as exc:
            raise bad(key, str(exc)) from exc
    if kind == tuple[tuple[str, str], ...]:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise bad(key, 'expected a table of "announced host:port" = "reachable host:port"')
        try:
            return tuple(
                (format_address(parse_address(k)), format_address(parse_address(v)))
                for k, v in value.items()
            )
        except ValueError as exc:
            raise bad(key, str(exc)) from exc
    if kind not in (str, str | None):
        # A new field of a new type: say here how it is read (and in _profile_items, written).
        raise TypeError(f"no TOML form for {key}: {kind}")
    if not isinstance(value, str):
        raise bad(key, "expected a string")
    return value


# -- writing ------------------------------------------------------------------------------------


def save_profile(profile: Profile, path: str | os.PathLike[str] | None = None) -> Path:
    """Add or replace ``profile`` in the config file, written atomically with mode 0600.

    The file is rewritten from the validated config (comments are not kept). No password is
    ever written: only ``password_source``.

    Raises:
        ConfigError: the existing file is invalid, or the file cannot be written.
    """
    current = load_config(path) if config_path(path).exists() else Config(path=config_path(path))
    profiles = {**current.profiles, profile.name: profile}
    updated = dataclasses.replace(current, profiles=profiles)
    return write_config(updated, config_path(path))


def delete_profile(name: str, path: str | os.PathLike[str] | None = None) -> Path:
    """Remove the profile called ``name`` (and its default mark) from the config file."""
    current = load_config(path)
    profiles = {k: v for k, v in current.profiles.items() if k != name}
    default = current.default_profile if current.default_profile != name else None
    updated = dataclasses.replace(current, profiles=profiles, default_profile=default)
    return write_config(updated, config_path(path))


def write_config(config: Config, path: Path) -> Path:
    """Write ``config`` as TOML to ``path``: a 0600 temporary file, then an atomic rename."""
    text = dump_config(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    return path


def dump_config(config: Config) -> str:
    """The TOML text of ``config`` (no passwords: profiles do not hold any)."""
    lines = ["# redis-tui config. Passwords are never stored here: see password_source."]
    if config.default_profile:
        lines.append(f"default_profile = {_toml(config.default_profile)}")
    lines.append(f"poll_interval = {_toml(config.poll_interval)}")
    lines.append(f"delimiter = {_toml(config.delimiter)}")
    if config.keymap:
        lines += ["", "[keymap]"]
        lines += [f"{_key(k)} = {_toml(v)}" for k, v in config.keymap.items()]
    session_lists = (
        ("patterns", config.session_patterns),
        ("exclude", config.session_exclude),
        ("user_paths", config.session_user_paths),
    )
    if any(values for _, values in session_lists):
        lines += ["", "[sessions]"]
        for name, values in session_lists:
            if values:
                lines.append(f"{name} = [{', '.join(_toml(v) for v in values)}]")
    for name, profile in config.profiles.items():
        lines += ["", f"[profiles.{_key(name)}]"]
        lines += [f"{key} = {text}" for key, text in _profile_items(profile)]
    return "\n".join(lines) + "\n"


def _profile_items(profile: Profile) -> Iterator[tuple[str, str]]:
    """The fields of ``profile`` that differ from the defaults, as TOML, in field order,
    with the connection's fields flat in the place of ``connection``."""
    for spec in dataclasses.fields(Profile):
        if spec.name == "connection":
            for key, value in _changed(profile.connection).items():
                kind = _CONNECTION_TYPES[key]
                if kind == tuple[Address, ...]:
                    yield key, _toml([format_address(a) for a in value])
                elif kind == tuple[tuple[str, str], ...]:
                    pairs = ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value)
                    yield key, f"{{ {pairs} }}"
                else:
                    yield key, _toml(value)
            continue
        value = getattr(profile, spec.name)
        if spec.name != "name" and value is not None and value != spec.default:
            yield spec.name, _toml(value)


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml(name)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


# -- passwords ------------------------------------------------------------------------------------


def _keyring() -> Any:
    """The keyring module when a usable backend exists, else None (not installed, or only
    the "fail" backend, as on a headless server)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    return None if isinstance(backend, fail.Keyring) else keyring


def keyring_available() -> bool:
    return _keyring() is not None


def resolve_password(profile: Profile, sentinel: bool = False) -> str | None:
    """The profile's password from where ``password_source`` says.

    Returns:
        The password, or None: no password, or the caller must prompt (``"prompt"``, an
        unset variable, or no keyring).
    """
    source = profile.sentinel_password_source if sentinel else profile.password_source
    if not source or source == "prompt":
        return None
    if source.startswith("env:"):
        return os.environ.get(source[4:]) or None
    if source == "keyring":
        keyring = _keyring()
        if keyring is None:
            return None
        try:
            value = keyring.get_password(KEYRING_SERVICE, _account(profile, sentinel))
        except Exception:
            return None
        return value if isinstance(value, str) else None
    return None


def store_password(profile: Profile, password: str, sentinel: bool = False) -> bool:
    """Keep ``password`` in the OS keyring for ``profile``. False when there is no keyring."""
    keyring = _keyring()
    if keyring is None:
        return False
    try:
        keyring.set_password(KEYRING_SERVICE, _account(profile, sentinel), password)
    except Exception:
        return False
    return True


def _account(profile: Profile, sentinel: bool) -> str:
    return f"{profile.name}:sentinel" if sentinel else profile.name
