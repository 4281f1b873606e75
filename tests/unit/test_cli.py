from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from redis_tui.cli.common import settings_from_args
from redis_tui.cli.launch import build_parser, main
from redis_tui.demo.server import EmbeddedServer, free_port


def parse(*argv: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return settings_from_args(build_parser().parse_args(list(argv)), env or {})


def test_redis_cli_flags() -> None:
    s = parse(
        "-h", "db.example", "-p", "6380", "-n", "3", "--user", "app", "-a", "pw", "--readonly"
    )
    assert (s.host, s.port, s.db, s.username, s.password, s.readonly) == (
        "db.example",
        6380,
        3,
        "app",
        "pw",
        True,
    )


def test_url_and_env() -> None:
    s = parse("-u", "rediss://bob:secret@cache.example:6390/2")
    assert (s.host, s.port, s.db, s.tls, s.username, s.password) == (
        "cache.example",
        6390,
        2,
        True,
        "bob",
        "secret",
    )
    s = parse(env={"REDIS_URL": "redis://h:1/4", "REDISCLI_AUTH": "envpw"})
    assert (s.host, s.port, s.db, s.password) == ("h", 1, 4, "envpw")
    s = parse("-u", "unix:///tmp/r.sock?db=5")
    assert (s.socket, s.db) == ("/tmp/r.sock", 5)
    # Flags beat the URL.
    assert parse("-u", "redis://h:1/4", "-n", "7").db == 7


def test_password_is_not_in_repr() -> None:
    assert "secret" not in repr(parse("-a", "secret"))


def test_bad_url_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-u", "http://nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("redis-tui: ") and err.count("\n") == 1


def test_unreachable_host_exits_2_without_traceback() -> None:
    port = free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "redis_tui", "-p", str(port), "--timeout", "2"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip()
        == f"redis-tui: Cannot connect (redis://127.0.0.1:{port}): connection refused"
    )


def test_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "redis_tui", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.startswith("redis-tui ")


def test_cluster_sentinel_and_host_map_flags() -> None:
    s = parse("-c", "-h", "10.0.0.1", "-p", "7000", "--host-map", "10.0.0.1:7000=127.0.0.1:17000")
    assert s.cluster and s.seeds() == (("10.0.0.1", 7000),)
    assert s.host_map == (("10.0.0.1:7000", "127.0.0.1:17000"),)
    assert s.remap("10.0.0.1", 7000) == ("127.0.0.1", 17000)
    s = parse("--sentinel", "s1:26380", "--sentinel", "s2", "--sentinel-master", "mymaster")
    assert s.sentinels == (("s1", 26380), ("s2", 26379)) and s.sentinel_master == "mymaster"
    with pytest.raises(ValueError, match="--sentinel"):
        parse("--sentinel-master", "mymaster")
    with pytest.raises(ValueError, match="FROM=TO"):
        parse("--host-map", "nope")


def test_profile_flags_override_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from redis_tui.cli.common import profile_settings
    from redis_tui.config import Profile, load_config, save_profile
    from redis_tui.data.client.settings import ConnectionSettings

    path = tmp_path / "config.toml"
    save_profile(
        Profile(name="prod", password_source="env:PROD_PW",
                connection=ConnectionSettings(host="cache.example", port=6390, db=2,
                                              readonly=True)),
        path,
    )  # fmt: skip
    monkeypatch.setenv("PROD_PW", "pw")
    args = build_parser().parse_args(["--config", str(path), "--profile", "prod", "-n", "5"])
    profile, base = profile_settings(args, load_config(args.config), {})
    assert profile is not None and base is not None
    s = settings_from_args(args, {}, profile=base)
    assert (s.host, s.port, s.db, s.readonly, s.password) == ("cache.example", 6390, 5, True, "pw")
    # An unknown profile is one line and exit 2.
    assert main(["--config", str(path), "--profile", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no profile named 'nope'" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--poll", "0"], "--poll must be at least 0.2 seconds, not 0"),
        (["--poll", "0.05"], "--poll must be at least 0.2 seconds"),
        (["--timeout", "-1"], "--timeout must be more than 0 seconds, not -1"),
        (["--timeout", "nan"], "--timeout must be more than 0 seconds"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["-p", "notaport"], "invalid int value: 'notaport'"),
        (["--cacert", "/no/such/ca.pem"], "--cacert: no such file: /no/such/ca.pem"),
        (["--cert", "/no/cert.pem", "--key", "/no/key.pem"], "--cert: no such file: /no/cert.pem"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """#11 item 9: one line (plus "see --help"), never the whole usage block."""
    with pytest.raises(SystemExit) as exited:
        code = main([*argv, "-p", "1"] if "-p" not in argv else argv)
        raise SystemExit(code)
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert said in err and len(err.splitlines()) == 1 and "usage:" not in err


def test_a_password_on_the_command_line_warns_like_redis_cli(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """#11 item 10: -a shows in ps; REDISCLI_AUTH is the way, and it is honoured."""
    assert main(["-a", "hunter2", "-p", str(free_port()), "--timeout", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "Warning: Using a password with '-a' or '-u' option" in err and "REDISCLI_AUTH" in err
    assert parse("-p", "1", env={"REDISCLI_AUTH": "from-env"}).password == "from-env"
    # As in redis-cli, a password given by -a or in the URL wins over REDISCLI_AUTH.
    env = {"REDISCLI_AUTH": "from-env"}
    assert parse("-u", "redis://:in-url@h:1", env=env).password == "in-url"
    assert parse("-a", "flag", "-p", "1", env=env).password == "flag"
    main(["-u", "redis://:pw@127.0.0.1:1", "--timeout", "0.5"])
    assert "Warning: Using a password" in capsys.readouterr().err
    main(["-p", "1", "--timeout", "0.5"])
    assert "Warning" not in capsys.readouterr().err


def test_rediss_to_a_plain_server_says_the_tls_handshake_got_no_answer(
    server: EmbeddedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-u", f"rediss://127.0.0.1:{server.port}", "--timeout", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "No answer to the TLS handshake" in err and "is the server TLS?" in err
