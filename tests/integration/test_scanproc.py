"""The names-only SCAN child process against real servers: every key, binary safe, MATCH /
TYPE / db / cursor, TLS, unix socket and ACL users, failures, and no process left behind."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.process import ScanProcess, ScanProcessFailed
from redis_tui.demo import seed as demo
from redis_tui.demo.server import EmbeddedServer
from redis_tui.errors import PermissionDenied
from tests.integration.servers import tls_server


async def scan_all(scan: ScanProcess) -> tuple[list[bytes], int]:
    keys: list[bytes] = []
    deliveries = 0
    try:
        async for cursor, page in scan.pages():
            keys += page
            deliveries += 1
            if cursor == 0:
                break
    finally:
        await scan.close()
    return keys, deliveries


def seed(client: redis.Redis, n: int, prefix: bytes = b"k:") -> list[bytes]:
    keys = [prefix + b"%d" % i for i in range(n)]
    pipe = client.pipeline(transaction=False)
    for start in range(0, n, 5000):
        pipe.mset({k: b"v" for k in keys[start : start + 5000]})
    pipe.execute()
    return keys


async def test_every_key_once_and_binary_safe(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    expected = seed(client, 30_000)
    for key in demo.HOSTILE_KEYS:
        client.set(key, b"v")
    expected += demo.HOSTILE_KEYS
    scan = ScanProcess(settings, 0, None, None)
    keys, deliveries = await scan_all(scan)
    # SCAN may repeat a key across pages (rehashing); it never misses one.
    assert set(keys) == set(expected) and len(keys) >= len(expected)
    assert scan.cursor == 0 and deliveries >= 1
    assert b"nul\x00byte" in keys and b"" in keys


async def test_match_type_db_and_a_starting_cursor(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.select(2)
    users = seed(client, 5000, b"user:")
    seed(client, 5000, b"cache:")
    for i in range(300):
        client.hset(b"user:h:%d" % i, "f", "v")
    db2 = settings.replace(db=2)
    keys, _ = await scan_all(ScanProcess(db2, 0, b"user:*", None))
    assert set(keys) == {*users, *(b"user:h:%d" % i for i in range(300))}
    hashes, _ = await scan_all(ScanProcess(db2, 0, b"user:*", "hash"))
    assert set(hashes) == {b"user:h:%d" % i for i in range(300)}
    # From a cursor: what the in-process loop got plus what the child gets is everything.
    cursor, first = client.scan(0, count=500)
    rest, _ = await scan_all(ScanProcess(db2, cursor, None, None))
    assert set(first) | set(rest) == set(client.scan_iter(count=1000))
    assert (await scan_all(ScanProcess(settings, 0, None, None)))[0] == []  # db 0 is empty


@pytest.fixture
def acl_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(unix_socket=True) as server:
        admin = redis.Redis(host="127.0.0.1", port=server.port)
        admin.execute_command("ACL", "SETUSER", "reader", "on", ">pw", "~*", "+@read")
        admin.execute_command("ACL", "SETUSER", "noscan", "on", ">pw", "~*", "+@read", "-scan")
        # Enough keys for more than SERVER_LOOK_EVERY calls: the child's INFO commandstats
        # is refused to "reader" (+@read only), and the scan goes on without it.
        admin.mset({f"a:{i}": i for i in range(40_000)})
        admin.close()
        yield server


async def test_unix_socket_acl_user_and_refusals(acl_server: EmbeddedServer) -> None:
    assert acl_server.socket_path is not None
    reader = ConnectionSettings(socket=acl_server.socket_path, username="reader", password="pw")
    keys, _ = await scan_all(ScanProcess(reader, 0, None, None))
    assert len(set(keys)) == 40_000
    with pytest.raises(ScanProcessFailed, match=r"WRONGPASS|invalid"):
        await scan_all(ScanProcess(reader.replace(password="wrong"), 0, None, None))
    # An error reply to SCAN is the server's answer: raised as the app's error.
    with pytest.raises(PermissionDenied):
        await scan_all(ScanProcess(reader.replace(username="noscan"), 0, None, None))


async def test_tls(tmp_path: Path) -> None:
    with tls_server(tmp_path) as server:
        expected = seed(redis.Redis(port=server.port), 3000)
        settings = ConnectionSettings(port=server.tls_port, tls=True, cacert=str(server.certs.ca))
        keys, _ = await scan_all(ScanProcess(settings, 0, None, None))
        assert set(keys) == set(expected)
        wrong_ca = settings.replace(cacert=str(server.certs.other_ca))
        with pytest.raises(ScanProcessFailed, match="certificate"):
            await scan_all(ScanProcess(wrong_ca, 0, None, None))


async def test_unreachable_and_a_child_that_dies(fresh_server: EmbeddedServer) -> None:
    settings = ConnectionSettings(port=fresh_server.port, connect_timeout=1, command_timeout=1)
    fresh_server.kill()
    with pytest.raises(ScanProcessFailed, match=r"refused|Errno"):
        await scan_all(ScanProcess(settings, 0, None, None))
    dead = ScanProcess(settings, 0, None, None)
    dead.command = (sys.executable, "-c", "import sys; sys.exit(3)")
    with pytest.raises(ScanProcessFailed, match=r"ended \(3\)"):
        await scan_all(dead)
    garbled = ScanProcess(settings, 0, None, None)
    garbled.command = ("/bin/sh", "-c", "cat >/dev/null; printf 'garbage\\r\\n'")
    with pytest.raises(ScanProcessFailed, match="unexpected output"):
        await scan_all(garbled)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited: only its parent's wait is missing.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[1][0] != "Z"


async def test_close_midway_leaves_no_process(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client, 200_000)
    scan = ScanProcess(settings, 0, None, None)
    await scan.start()
    assert scan._process is not None
    pid = scan._process.pid
    async for _cursor, _page in scan.pages():
        break
    await scan.close()
    assert not _alive(pid)


PARENT = """
import asyncio, os, sys
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.process import ScanProcess

async def main():
    scan = ScanProcess(ConnectionSettings(port=int(sys.argv[1])), 0, None, None)
    await scan.start()
    await asyncio.sleep(0.5)  # the child is connected and blocked on a full pipe
    print(scan._process.pid, flush=True)
    os._exit(1)  # a crash: no close(), no cleanup

asyncio.run(main())
"""


def test_the_child_dies_with_the_app(client: redis.Redis, settings: ConnectionSettings) -> None:
    seed(client, 200_000)
    crashed = subprocess.run(
        [sys.executable, "-c", PARENT, str(settings.port)], capture_output=True, timeout=30
    )
    pid = int(crashed.stdout.split()[0])
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


async def test_a_slow_reader_still_gets_every_key(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    expected = seed(client, 100_000)
    scan = ScanProcess(settings, 0, None, None)
    keys: list[bytes] = []
    async for _cursor, page in scan.pages():
        keys += page
        await asyncio.sleep(0.01)  # a busy UI
    await scan.close()
    assert set(keys) == set(expected)


async def test_the_child_reads_the_servers_scan_time_and_passes_on_only_scan_replies(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    expected = seed(client, 60_000)
    client.config_resetstat()
    keys, _ = await scan_all(ScanProcess(settings, 0, None, None))
    assert set(keys) == set(expected)
    stats = client.info("commandstats")
    # INFO commandstats every SERVER_LOOK_EVERY SCANs (its reply never reached the app: the
    # names above are exactly the keys).
    assert stats["cmdstat_info"]["calls"] >= 1
    assert stats["cmdstat_scan"]["calls"] >= 50
