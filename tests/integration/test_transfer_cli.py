"""``redis-tui export`` / ``redis-tui import`` against a real redis-server."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from redis_tui.cli.transfer import export_main, import_main
from redis_tui.demo.server import EmbeddedServer


def conn(server: EmbeddedServer) -> list[str]:
    return ["-p", str(server.port)]


def test_export_then_import_with_dry_run_and_policies(
    client: redis.Redis, server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client.set(b"user:\xff", b"\x00bin")
    client.hset("user:2", mapping={"name": "ann"})
    client.set("other", "x")
    path = str(tmp_path / "users.jsonl")
    out = io.StringIO()
    assert export_main([*conn(server), "user:*", path], stdout=out) == 0
    assert "2 keys exported" in out.getvalue()
    # Never over an existing file.
    assert export_main([*conn(server), "user:*", path]) == 2
    assert "exists" in capsys.readouterr().err

    client.flushdb()
    client.hset("user:2", mapping={"name": "bob"})
    out = io.StringIO()
    assert import_main([*conn(server), path, "--dry-run"], stdout=out) == 0
    assert "Dry run: 2 keys" in out.getvalue() and "1 would be created" in out.getvalue()
    assert client.dbsize() == 1
    out = io.StringIO()
    assert import_main([*conn(server), path], stdout=out) == 0
    assert "1 created, 0 replaced, 1 skipped" in out.getvalue()
    assert client.get(b"user:\xff") == b"\x00bin" and client.hget("user:2", "name") == b"bob"
    # --replace asks first (no undo); "n" leaves everything as it is.
    err = io.StringIO()
    code = import_main(
        [*conn(server), path, "--replace"],
        stdin=io.StringIO("n\n"),
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 1 and "no undo" in err.getvalue() and client.hget("user:2", "name") == b"bob"
    out = io.StringIO()
    assert import_main([*conn(server), path, "--replace", "--yes"], stdout=out) == 0
    assert "0 created, 2 replaced" in out.getvalue() and client.hget("user:2", "name") == b"ann"


def test_bad_input_is_one_line_and_exit_2(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("hello\n")
    assert import_main([*conn(server), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Not a redis-tui export" in err
    assert import_main([*conn(server), str(tmp_path / "none.jsonl")]) == 2
    assert "Cannot" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        import_main([*conn(server), str(bad), "--skip", "--replace"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_read_only_import_is_refused(
    client: redis.Redis, server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client.set("k", "v")
    path = str(tmp_path / "k.jsonl")
    assert export_main([*conn(server), "*", path], stdout=io.StringIO()) == 0
    client.flushdb()
    assert import_main([*conn(server), "--readonly", path]) == 2
    assert "Read-only" in capsys.readouterr().err and client.dbsize() == 0


def test_the_subcommands_are_reachable_from_redis_tui(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    path = str(tmp_path / "e.jsonl")
    done = subprocess.run(
        [sys.executable, "-m", "redis_tui", "export", *conn(server), "*", path],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "redis_tui", "import", *conn(server), path, "--dry-run"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and "Dry run: 0 keys" in done.stdout
