"""``redis-tui sessions`` against a real redis-server: JSON lines, table, filters,
``--revoke-user`` with and without confirmation, read-only refusal and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest
import redis

from redis_tui.cli.sessions import main
from redis_tui.demo.server import EmbeddedServer, free_port
from tests.integration.test_sessions import load
from tests.unit.test_sessions_detect import RECORDS

# With no patterns configured, discovery finds every record (custom prefixes too).
UNDER_DEFAULTS = RECORDS


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(argv: list[str], stdin: str = "", tty: bool = False) -> tuple[int, str]:
    out: io.StringIO = TTY() if tty else io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def seeded(client: redis.Redis, server: EmbeddedServer) -> list[str]:
    for record in RECORDS:
        load(client, record)
    client.set(b"sess:bad-\xff\x1b[31m", b'{"cookie":{"path":"/"},"passport":{"user":"5"}}')
    client.set(b"cache:user:1", b'{"id": 1}')
    return ["-p", str(server.port)]


def test_json_lines_for_every_session(seeded: list[str]) -> None:
    code, out = run(seeded)  # stdout is not a TTY: JSON by default
    assert code == 0
    objects = lines(out)
    assert len(objects) == len(UNDER_DEFAULTS) + 1
    for obj in objects:
        assert set(obj) >= {
            "key", "framework", "format", "session_id", "user", "ttl_ms", "expires_at",
            "size", "data",
        }  # fmt: skip
        assert obj["framework"] in {r["framework"] for r in RECORDS}
    bad = next(o for o in objects if o["key"].startswith("sess:bad"))
    assert bad["key"] == "sess:bad-\\xff\\e[31m"
    assert bad["user"] == "5"
    spring = next(o for o in objects if o["framework"] == "spring" and o["user"] == "zoë")
    assert spring["data"]["loggedInAt"] == "2024-01-02T03:04:05.678000+00:00"
    pickled = next(o for o in objects if o["format"] == "pickle" and o["user"] == "42")
    assert pickled["ttl_ms"] > 0 and pickled["expires_at"]


def test_filters_and_table(seeded: list[str]) -> None:
    code, out = run([*seeded, "--user", "42", "--json"])
    assert code == 0
    objects = lines(out)
    assert objects and all(o["user"] == "42" for o in objects)
    assert len(objects) == sum(1 for r in UNDER_DEFAULTS if r["expected"]["user"] == "42")
    code, out = run([*seeded, "--match", "starsessions.*"])
    assert [o["framework"] for o in lines(out)] == ["starlette", "starlette"]
    code, out = run([*seeded, "--match", "sess:*"], tty=True)
    assert code == 0
    assert out.splitlines()[0].startswith("FRAMEWORK")
    assert "\x1b" not in out and "sess:bad-\\xff\\e[31m" in out


def test_revoke_user_asks_first(seeded: list[str], client: redis.Redis) -> None:
    before = client.dbsize()
    code, out = run([*seeded, "--revoke-user", "5", "--table"], stdin="n\n")
    assert code == 1 and out.strip() == "sess:bad-\\xff\\e[31m"
    assert client.dbsize() == before
    code, out = run([*seeded, "--revoke-user", "5", "--table"], stdin="y\n")
    assert code == 0 and client.dbsize() == before - 1
    count = sum(1 for r in UNDER_DEFAULTS if r["expected"]["user"] == "42")
    code, out = run([*seeded, "--revoke-user", "42", "--yes"])
    assert code == 0 and len(lines(out)) == count
    assert client.dbsize() == before - 1 - count
    code, out = run([*seeded, "--user", "42"])
    assert out == ""


def test_readonly_refuses_revoke(
    seeded: list[str], client: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    before = client.dbsize()
    code, _ = run([*seeded, "--readonly", "--revoke-user", "42", "--yes"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Read-only" in err
    assert client.dbsize() == before


def test_errors_are_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(["-p", str(free_port())])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Cannot connect" in err
    with pytest.raises(SystemExit) as exc:
        run(["--bogus"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_dispatched_from_the_main_command(seeded: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "redis_tui", "sessions", *seeded, "--user", "42", "--limit", "2"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert [o["user"] for o in lines(proc.stdout)] == ["42", "42"]


def test_config_sessions_section_sets_patterns_and_user_paths(
    client: redis.Redis, server: EmbeddedServer, tmp_path: Any
) -> None:
    client.set("app:s:1", json.dumps({"cookie": {"path": "/"}, "account": {"id": "77"}}))
    client.set("sess:other", json.dumps({"cookie": {"path": "/"}, "passport": {"user": "5"}}))
    config = tmp_path / "config.toml"
    config.write_text('[sessions]\npatterns = ["app:s:*"]\nuser_paths = ["account.id"]\n')
    code, out = run(["-p", str(server.port), "--config", str(config), "--json"])
    assert code == 0
    found = lines(out)
    assert [s["key"] for s in found] == ["app:s:1"]
    assert found[0]["user"] == "77"
