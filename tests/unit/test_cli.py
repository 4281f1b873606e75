from __future__ import annotations

import subprocess
import sys

import pytest

from redis_tui.cli import build_parser, main, settings_from_args
from redis_tui.data.server import free_port


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
