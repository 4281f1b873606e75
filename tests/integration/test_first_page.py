"""The start-up check on a raw socket (``data.scan.first``): it reads the first SCAN page on a
plain server, and leaves anything it cannot vouch for to the full check."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.first import FirstPage, first_page
from redis_tui.data.scan.pacing import START_COUNT
from redis_tui.demo.server import EmbeddedServer, free_port
from redis_tui.errors import ServerTimeout


@pytest.fixture(scope="module")
def acl_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(unix_socket=True) as server:
        admin = redis.Redis(port=server.port)
        admin.execute_command("ACL", "SETUSER", "reader", "on", ">pw", "~*", "+@all")
        admin.execute_command("ACL", "SETUSER", "noping", "on", ">pw", "~*", "+@all", "-ping")
        admin.execute_command("ACL", "SETUSER", "default", "off")
        admin.close()
        yield server


def test_reads_the_first_page(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.mset({b"k:%d" % i: b"v" for i in range(2000)})
    client.set(b"odd:\x00\xff\r\n[b]x", b"v")
    page = first_page(settings)
    assert page is not None and page.cursor != 0
    assert 0 < len(page.keys) <= 2 * START_COUNT and len(set(page.keys)) == len(page.keys)
    rest = redis.Redis(port=settings.port).scan(page.cursor, count=5000)
    assert rest[1] and not set(rest[1]) & set(page.keys)


def test_a_small_database_is_one_page(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.set(b"odd:\x00\xff\r\n[b]x", b"v")
    client.select(2)
    client.set(b"in-db-2", b"v")
    assert first_page(settings) == FirstPage(0, [b"odd:\x00\xff\r\n[b]x"])
    assert first_page(settings.replace(db=2)) == FirstPage(0, [b"in-db-2"])


def test_acl_user_over_tcp_and_unix_socket(acl_server: EmbeddedServer) -> None:
    assert acl_server.socket_path is not None
    tcp = ConnectionSettings(port=acl_server.port, username="reader", password="pw")
    assert first_page(tcp) == FirstPage(0, [])
    assert first_page(ConnectionSettings(socket=acl_server.socket_path, username="reader",
                                         password="pw")) == FirstPage(0, [])  # fmt: skip


@pytest.mark.parametrize("user, password", [("reader", "wrong"), (None, None), ("noping", "pw")])
def test_refusals_are_left_to_the_full_check(
    acl_server: EmbeddedServer, user: str | None, password: str | None
) -> None:
    settings = ConnectionSettings(port=acl_server.port, username=user, password=password)
    assert first_page(settings) is None


def test_not_a_plain_server_or_nobody_there_is_left_to_the_full_check(
    settings: ConnectionSettings,
) -> None:
    assert first_page(settings.replace(tls=True)) is None
    assert first_page(settings.replace(cluster=True)) is None
    assert first_page(settings.replace(port=free_port())) is None  # refused: said by the full check


def test_no_answer_is_a_timeout_at_once() -> None:
    with socket.socket() as listener:  # accepts (the backlog), never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(ServerTimeout, match=f"did not answer in time.*{port}"):
            first_page(ConnectionSettings(port=port, command_timeout=0.2))
