"""Profiles in TOML: discovery, validation, round trip, no password on disk, mode 0600."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from redis_tui import config as cfg
from redis_tui.config import ConfigError, Profile, load_config, resolve_password, save_profile
from redis_tui.data.client.settings import ConnectionSettings


def test_missing_file_is_an_empty_config_in_the_user_config_dir() -> None:
    conf = load_config()
    assert conf.profiles == {} and conf.poll_interval == 2.0 and conf.delimiter == ":"
    # conftest points XDG_CONFIG_HOME at a temporary home.
    assert conf.path == Path(os.environ["XDG_CONFIG_HOME"]) / "redis-tui" / "config.toml"


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_env = tmp_path / "env.toml"
    by_env.write_text('delimiter = "/"\n')
    by_flag = tmp_path / "flag.toml"
    by_flag.write_text('delimiter = "|"\n')
    monkeypatch.setenv("REDIS_TUI_CONFIG", str(by_env))
    assert load_config().delimiter == "/"
    assert load_config(by_flag).delimiter == "|"
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.toml")


def test_round_trip_without_password_and_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    prod = Profile(
        name="prod eu",
        colour="red",
        production=True,
        connection=ConnectionSettings(
            readonly=True,
            host="cache.example",
            port=6380,
            username="app",
            tls=True,
            cacert="/etc/ca.pem",
            sentinel_master="mymaster",
            sentinels=(("s1", 26379), ("s2", 26380)),
            host_map=(("10.0.0.1:6379", "127.0.0.1:7000"),),
        ),
        password_source="keyring",
    )
    local = Profile(
        name="local",
        connection=ConnectionSettings(cluster=True, cluster_nodes=(("127.0.0.1", 7000),)),
    )
    save_profile(prod, path)
    save_profile(local, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    conf = load_config(path)
    assert conf.profiles == {"prod eu": prod, "local": local}
    text = path.read_text()
    assert "password =" not in text and 'password_source = "keyring"' in text
    # The settings built from a profile carry the password only in memory.
    settings = prod.to_settings(password="s3cret")
    assert settings.password == "s3cret" and "s3cret" not in path.read_text()
    assert settings.sentinels == (("s1", 26379), ("s2", 26380)) and settings.readonly
    assert local.to_settings().cluster_nodes == (("127.0.0.1", 7000),)
    # Replacing keeps one profile of that name; the file stays 0600.
    save_profile(Profile(name="local", connection=ConnectionSettings(port=7001)), path)
    assert load_config(path).profiles["local"].connection.port == 7001
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cfg.delete_profile("local", path)
    assert list(load_config(path).profiles) == ["prod eu"]


def test_full_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        """
default_profile = "prod"
poll_interval = 5
delimiter = "/"

[keymap]
quit = "ctrl+q"

[profiles.prod]
url = "rediss://app@cache.example:6390/2"
db = 3
production = true
password_source = "env:PROD_PW"
host_map = { "10.0.0.1:6379" = "localhost:7000" }
"""
    )
    conf = load_config(path)
    assert conf.keymap == {"quit": "ctrl+q"} and conf.poll_interval == 5.0
    prod = conf.profile()
    assert prod is not None and prod.production
    s = prod.to_settings()
    assert (s.host, s.port, s.tls, s.username, s.db) == ("cache.example", 6390, True, "app", 3)
    assert s.host_map == (("10.0.0.1:6379", "localhost:7000"),)
    with pytest.raises(ConfigError, match="no profile named 'nope'"):
        conf.profile("nope")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("[profiles.a]\npassword = 'x'\n", "profiles.a.password"),
        ("[profiles.a]\nurl = 'redis://u:pw@h:1'\n", "profiles.a.url"),
        ("[profiles.a]\nport = 'x'\n", "profiles.a.port"),
        ("[profiles.a]\nport = 70000\n", "profiles.a.port"),
        ("[profiles.a]\ncolor_typo = 1\n", "profiles.a.color_typo"),
        ("[profiles.a]\npassword_source = 'file'\n", "profiles.a.password_source"),
        ("[profiles.a]\nsentinels = ['h:notaport']\n", "profiles.a"),
        ("poll_interval = 0\n", "poll_interval"),
        ("default_profile = 'x'\n", "default_profile"),
        ("surprise = 1\n", "surprise"),
        ("this is not toml\n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, body: str, field: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in info.value.message and field in info.value.message


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in memory (no OS keyring in CI)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


def test_password_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROD_PW", "from-env")
    assert resolve_password(Profile(name="p", password_source="env:PROD_PW")) == "from-env"
    assert resolve_password(Profile(name="p", password_source="env:UNSET_PW")) is None
    assert resolve_password(Profile(name="p", password_source="prompt")) is None
    assert resolve_password(Profile(name="p")) is None
    previous = keyring.get_keyring()
    try:
        from keyring.backends import fail

        keyring.set_keyring(fail.Keyring())
        # No usable keyring: fall back (None means "prompt").
        assert not cfg.keyring_available()
        assert not cfg.store_password(Profile(name="k"), "pw")
        assert resolve_password(Profile(name="k", password_source="keyring")) is None
        keyring.set_keyring(MemoryKeyring())
        kept = Profile(name="k", password_source="keyring", sentinel_password_source="keyring")
        assert cfg.store_password(kept, "from-keyring")
        assert cfg.store_password(kept, "sentinel-pw", sentinel=True)
        assert resolve_password(kept) == "from-keyring"
        assert resolve_password(kept, sentinel=True) == "sentinel-pw"
    finally:
        keyring.set_keyring(previous)


def test_sentinel_url() -> None:
    s = ConnectionSettings.from_url(
        "redis+sentinel://:pw@s1:26379,s2/mymaster/2?sentinel_password=spw"
    )
    assert s.sentinels == (("s1", 26379), ("s2", 26379)) and s.sentinel_master == "mymaster"
    assert (s.db, s.password, s.sentinel_password) == (2, "pw", "spw")
    assert "pw" not in repr(s)
    assert s.describe() == "redis+sentinel://s1:26379,s2:26379/mymaster"
    with pytest.raises(ValueError, match="master name"):
        ConnectionSettings.from_url("redis+sentinel://s1:26379")


def test_sessions_section_round_trips_and_feeds_the_scanner(tmp_path: Path) -> None:
    from redis_tui.config import dump_config, load_config
    from redis_tui.data.sessions import SessionPatterns

    path = tmp_path / "config.toml"
    path.write_text(
        '[sessions]\npatterns = ["app:sess:*"]\nexclude = ["app:sess:index*"]\n'
        'user_paths = ["account.id"]\n'
    )
    config = load_config(path)
    assert config.session_patterns == ("app:sess:*",)
    options = config.session_options()
    assert isinstance(options["patterns"], SessionPatterns)
    assert options["patterns"].matcher()(b"app:sess:1") and not options["patterns"].matcher()(
        b"app:sess:index"
    )
    assert options["user_paths"] == ("account.id",)
    path.write_text(dump_config(config))
    assert load_config(path).session_user_paths == ("account.id",)
    path.write_text('[sessions]\npatterns = "x"\n')
    with pytest.raises(ConfigError, match=r"sessions\.patterns"):
        load_config(path)


def test_a_profile_keeps_every_connection_field_but_the_secrets(tmp_path: Path) -> None:
    """Connection fields are declared once, in ConnectionSettings: each one but the passwords
    and the command timeout (it follows connect_timeout) goes to the file and back."""
    every = ConnectionSettings(
        host="h.example", port=6390, socket="/tmp/r.sock", username="app", password="pw", db=3,
        tls=True, cacert="/ca.pem", cert="/c.pem", key="/k.pem", tls_verify=False,
        server_name="sn.example", readonly=True, connect_timeout=7.0, command_timeout=30.0,
        sentinel_master="mymaster", sentinels=(("s1", 26380),), sentinel_password="spw",
        cluster=True, cluster_nodes=(("n1", 7000),), host_map=(("10.0.0.1:1", "h:2"),),
    )  # fmt: skip
    defaults = ConnectionSettings()
    for spec in dataclasses.fields(ConnectionSettings):
        assert getattr(every, spec.name) != getattr(defaults, spec.name), spec.name
    path = tmp_path / "config.toml"
    save_profile(Profile(name="all", connection=every), path)
    text = path.read_text()
    assert "pw" not in text and "command_timeout" not in text
    loaded = load_config(path).profiles["all"]
    assert loaded.connection.password is None and loaded.connection.sentinel_password is None
    assert loaded.to_settings("pw", "spw") == every.replace(command_timeout=7.0)
