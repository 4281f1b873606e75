"""Real deployments: TLS and mutual TLS, unix sockets, a restricted ACL user, Sentinel with a
failover, and a 3-primary Cluster with a slot migration in the middle of a scan."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from redis_tui.data.client.diagnose import diagnose, probe
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.gateway import Gateway
from redis_tui.data.scan.keystore import KeyStore
from redis_tui.data.scan.topology import ClusterCursor
from redis_tui.demo.server import EmbeddedServer, free_port
from redis_tui.errors import AuthFailed, ConnectionFailed, RedisTuiError
from tests.integration.servers import Cluster, TlsServer, cluster, sentinel_group, tls_server

FAST = {"connect_timeout": 2.0, "command_timeout": 5.0}


async def scan_all(gateway: Gateway, match: bytes | None = None) -> list[bytes]:
    keys: list[bytes] = []
    cursor = None
    while True:
        page = await gateway.scan(cursor, match, 200)
        keys += page.keys
        cursor = page.cursor
        if page.done:
            return keys


# -- TLS ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    with tls_server(tmp_path_factory.mktemp("tls")) as server:
        yield server


@pytest.fixture(scope="module")
def mtls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    with tls_server(tmp_path_factory.mktemp("mtls"), client_auth=True) as server:
        yield server


def tls_settings(server: TlsServer, **changes: object) -> ConnectionSettings:
    base = ConnectionSettings(port=server.tls_port, tls=True, cacert=str(server.certs.ca), **FAST)
    return base.replace(**changes)


async def test_tls_connects_scans_and_reads(tls: TlsServer) -> None:
    with redis.Redis(port=tls.port) as c:
        c.flushall()
        c.set("t:1", "over tls")
    gateway = Gateway(tls_settings(tls))
    facts = await gateway.connect()
    assert facts.version and facts.dbsize == 1
    assert await scan_all(gateway) == [b"t:1"]
    assert (await gateway.read_value(b"t:1")).data == b"over tls"
    await gateway.close()
    assert (await diagnose(tls_settings(tls))).startswith("OK: redis")


async def test_tls_wrong_ca_says_so(tls: TlsServer) -> None:
    settings = tls_settings(tls, cacert=str(tls.certs.other_ca))
    assert "not signed by a trusted CA" in await diagnose(settings)
    gateway = Gateway(settings)
    with pytest.raises(ConnectionFailed, match=r"TLS|certificate"):
        await gateway.connect()
    await gateway.close()


async def test_tls_and_plain_port_mixups(tls: TlsServer) -> None:
    plain_to_tls = ConnectionSettings(port=tls.tls_port, **FAST)
    assert "TLS port" in await diagnose(plain_to_tls)
    tls_to_plain = tls_settings(tls, port=tls.port)
    assert "does not speak TLS" in await diagnose(tls_to_plain)


async def test_expired_certificate_says_so(tmp_path: Path) -> None:
    with tls_server(tmp_path, expired=True) as server:
        settings = tls_settings(server)
        result = await probe(settings)
        assert (result.ok, result.stage) == (False, "tls")
        assert "expired" in result.message
        gateway = Gateway(settings)
        with pytest.raises(ConnectionFailed, match=r"expired|TLS"):
            await gateway.connect()
        await gateway.close()


async def test_mutual_tls(mtls: TlsServer) -> None:
    certs = mtls.certs
    good = tls_settings(mtls, cert=str(certs.client_cert), key=str(certs.client_key))
    gateway = Gateway(good)
    assert (await gateway.connect()).version
    await gateway.close()
    missing = tls_settings(mtls)
    assert "requires a client certificate" in await diagnose(missing)
    gateway = Gateway(missing)
    with pytest.raises(RedisTuiError):
        await gateway.connect()
    await gateway.close()


def test_cli_wrong_ca_is_one_line_without_traceback(tls: TlsServer) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "redis_tui", "-p", str(tls.tls_port), "--tls",
         "--cacert", str(tls.certs.other_ca), "--timeout", "2"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "TLS" in proc.stderr


# -- plain failures, unix socket, ACL ---------------------------------------------------------


async def test_refused_dns_and_wrong_password(fresh_server: EmbeddedServer) -> None:
    refused = await probe(ConnectionSettings(port=free_port(), **FAST))
    assert refused.stage == "connect" and "refused" in refused.message
    dns = await probe(ConnectionSettings(host="no-such-host.invalid", **FAST))
    assert dns.stage == "dns" and "cannot resolve" in dns.message
    with redis.Redis(port=fresh_server.port) as c:
        c.config_set("requirepass", "right")
    wrong = ConnectionSettings(port=fresh_server.port, password="wrong", **FAST)
    result = await probe(wrong)
    assert result.stage == "auth" and "wrong username or password" in result.message
    gateway = Gateway(wrong)
    with pytest.raises(AuthFailed):
        await gateway.connect()
    await gateway.close()


async def test_unix_socket() -> None:
    with EmbeddedServer(unix_socket=True) as server:
        assert server.socket_path
        with redis.Redis(unix_socket_path=server.socket_path) as c:
            c.set("sock", "1")
        settings = ConnectionSettings(socket=server.socket_path, **FAST)
        gateway = Gateway(settings)
        await gateway.connect()
        assert await scan_all(gateway) == [b"sock"]
        assert await gateway.key_location(b"sock") == (f"unix:{server.socket_path}", None)
        await gateway.close()
        assert (await diagnose(settings)).startswith("OK:")
    gone = await diagnose(ConnectionSettings(socket=server.socket_path, **FAST))
    assert gone.startswith("No unix socket")


async def test_restricted_acl_user_degrades(fresh_server: EmbeddedServer) -> None:
    with redis.Redis(port=fresh_server.port) as c:
        c.execute_command(
            "ACL", "SETUSER", "limited", "on", ">pw", "~*", "&*", "+@all",
            "-info", "-memory", "-config", "-keys", "-type",
        )  # fmt: skip
        c.hset("h", mapping={"a": "1", "b": "2"})
        c.set("s", "v")
    settings = ConnectionSettings(port=fresh_server.port, username="limited", password="pw", **FAST)
    gateway = Gateway(settings)
    facts = await gateway.connect()
    assert facts.info_error and facts.version is None
    assert "INFO" in facts.unavailable and facts.dbsize == 2
    page = await gateway.scan(None, None, 100)
    assert sorted(page.keys) == [b"h", b"s"]
    assert page.types == [b"?", b"?"]  # TYPE forbidden: unknown, not an error text
    value = await gateway.read_value(b"h")
    assert value.type == "hash" and len(value.rows) == 2 and value.memory is None
    assert value.note and "inferred" in value.note
    facts, pttls = await gateway.poll([b"s"])
    assert pttls == [-1]
    await gateway.close()
    result = await probe(settings)
    assert result.ok and result.stage == "permission"
    assert set(result.forbidden) == {"INFO", "TYPE", "MEMORY", "CONFIG"}


# -- Sentinel -----------------------------------------------------------------------------------


async def test_sentinel_discovers_master_and_follows_failover() -> None:
    with sentinel_group() as group:
        with redis.Redis(port=group.master.port) as c:
            c.set("before", "failover")
            assert c.execute_command("WAIT", 1, 5000) == 1  # the replica has it
        url = f"redis+sentinel://127.0.0.1:{group.sentinel.port}/{group.name}"
        settings = ConnectionSettings.from_url(url, **FAST)
        gateway = Gateway(settings)
        facts = await gateway.connect()
        assert facts.role == "master"
        assert facts.sentinel is not None
        assert facts.sentinel.master == f"127.0.0.1:{group.master.port}"
        assert [r for r, _ in facts.sentinel.replicas] == [f"127.0.0.1:{group.replica.port}"]
        assert "OK:" in await diagnose(settings)

        new_port = group.failover()
        assert new_port == group.replica.port

        # As the worker does: a lost connection is closed and opened again.
        async def reconnected() -> int:
            for _ in range(100):
                try:
                    facts = await gateway.poll()
                    if facts[0].role == "master":
                        assert (await gateway.key_location(b"before"))[1] is None
                        return int((await gateway.read_value(b"before")).data == b"failover")
                except ConnectionFailed:
                    await gateway.close()
                await asyncio.sleep(0.1)
            return 0

        assert await reconnected() == 1
        facts, _ = await gateway.poll()
        assert facts.sentinel is not None
        assert facts.sentinel.master == f"127.0.0.1:{new_port}"
        await gateway.close()
        unknown = settings.replace(sentinel_master="nope")
        assert "knows no master named 'nope'" in await diagnose(unknown)


# -- Cluster ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three() -> Iterator[Cluster]:
    with cluster(3) as group:
        yield group


@pytest.fixture
def seeded(three: Cluster) -> Iterator[tuple[Cluster, set[bytes]]]:
    with three.client() as c:
        c.flushall()
        keys = {f"key:{i}".encode() for i in range(3000)}
        c.mset_nonatomic({k: b"v" for k in keys})
    yield three, keys


async def test_cluster_detected_scans_every_node_exactly_once(
    seeded: tuple[Cluster, set[bytes]],
) -> None:
    group, keys = seeded
    gateway = Gateway(ConnectionSettings(port=group.ports[1], **FAST))
    facts = await gateway.connect()
    assert gateway.settings.cluster  # detected: cluster_enabled:1
    assert facts.mode == "cluster" and facts.cluster_state == "ok" and facts.dbsize == 3000
    assert sorted(n.address for n in facts.cluster_nodes) == sorted(
        f"127.0.0.1:{p}" for p in group.ports
    )
    assert all(n.role == "primary" and n.slot_count > 5000 for n in facts.cluster_nodes)
    store = KeyStore()
    seen: list[bytes] = []
    cursor = None
    nodes_seen: set[str] = set()
    while True:
        page = await gateway.scan(cursor, None, 300)
        if isinstance(page.cursor, ClusterCursor) and page.cursor.nodes:
            nodes_seen.add(page.cursor.nodes[0][0])
        seen += page.keys
        store.add(page.keys, page.types)
        cursor = page.cursor
        if page.done:
            break
    assert len(seen) == len(set(seen)) == 3000 and set(seen) == keys
    assert len(store) == 3000 and len(nodes_seen) == 3
    node, slot = await gateway.key_location(b"key:1")
    assert node == f"127.0.0.1:{group.owner_port(slot)}"
    value = await gateway.read_value(b"key:1")
    assert value.data == b"v" and value.memory
    _, pttls = await gateway.poll([b"key:1", b"key:2", b"nope"])
    assert pttls == [-1, -1, -2]
    await gateway.close()


async def test_cluster_delete(seeded: tuple[Cluster, set[bytes]]) -> None:
    group, _ = seeded
    gateway = Gateway(ConnectionSettings(port=group.ports[0], **FAST))
    await gateway.connect()
    try:
        await gateway.delete(b"key:2")
        assert b"key:2" not in await scan_all(gateway, b"key:2")
    finally:
        await gateway.close()


async def test_delete_without_memory_permission(fresh_server: EmbeddedServer) -> None:
    with redis.Redis(port=fresh_server.port) as c:
        c.execute_command("ACL", "SETUSER", "limited", "on", ">pw", "~*", "+@all", "-memory")
        c.set("s", "v")
    gateway = Gateway(
        ConnectionSettings(port=fresh_server.port, username="limited", password="pw", **FAST)
    )
    try:
        await gateway.delete(b"s")
    finally:
        await gateway.close()


async def test_cluster_scan_survives_slot_migration(seeded: tuple[Cluster, set[bytes]]) -> None:
    """Slots move from the node scanned last to the node scanned first while the scan runs:
    without the slot re-reads their keys would be missed."""
    group, keys = seeded
    gateway = Gateway(ConnectionSettings(port=group.ports[0], cluster=True, **FAST))
    await gateway.connect()
    page = await gateway.scan(None, None, 100)
    cursor = page.cursor
    assert isinstance(cursor, ClusterCursor)
    first, last = cursor.nodes[0][0], cursor.nodes[-1][0]
    first_port, last_port = int(first.rsplit(":", 1)[1]), int(last.rsplit(":", 1)[1])
    seen = set(page.keys)
    while cursor.nodes and cursor.nodes[0][0] == first:  # finish the first node
        page = await gateway.scan(cursor, None, 100)
        seen |= set(page.keys)
        cursor = page.cursor
    # Two slots of the last node, with keys in them: one moves whole, one is left half-way.
    slots = sorted({c for c in (_slot(k) for k in keys) if group.owner_port(c) == last_port})
    moved, split = slots[0], slots[1]
    group.move_slot(moved, first_port)
    group.begin_migration(split, last_port, first_port)
    assert group.migrate_keys(split, last_port, first_port, limit=1) == 1
    while True:
        page = await gateway.scan(cursor, None, 100)
        seen |= set(page.keys)
        cursor = page.cursor
        if page.done:
            break
    assert seen == keys  # none missed; repeats are the key store's to drop
    # Reads follow ASK (a key already on the importing node) and MOVED.
    split_keys = [k for k in keys if _slot(k) == split]
    for key in split_keys[:3] + [k for k in keys if _slot(k) == moved][:2]:
        assert (await gateway.read_value(key)).data == b"v"
    group.migrate_keys(split, last_port, first_port)
    group.finish_migration(split, first_port)
    await gateway.close()


class Forward:
    """A TCP port forward to one node."""

    def __init__(self, server: asyncio.Server) -> None:
        self.server = server
        self.port = int(server.sockets[0].getsockname()[1])
        self.connections = 0

    @classmethod
    async def start(cls, target: int) -> Forward:
        forward: Forward

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            finally:
                dst.close()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            forward.connections += 1
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
            await asyncio.gather(
                pump(reader, up_writer), pump(up_reader, writer), return_exceptions=True
            )

        forward = cls(await asyncio.start_server(handle, "127.0.0.1", 0))
        return forward


def _slot(key: bytes) -> int:
    from redis.crc import key_slot

    return int(key_slot(key))


async def test_cluster_host_map_and_wrong_mode(
    seeded: tuple[Cluster, set[bytes]], fresh_server: EmbeddedServer
) -> None:
    group, keys = seeded
    # Port forwards in front of every node, as for a cluster behind NAT.
    forwards = {port: await Forward.start(port) for port in group.ports}
    host_map = tuple((f"127.0.0.1:{p}", f"127.0.0.1:{f.port}") for p, f in forwards.items())
    settings = ConnectionSettings(port=group.ports[0], cluster=True, host_map=host_map, **FAST)
    gateway = Gateway(settings)
    facts = await gateway.connect()
    reachable = sorted(f"127.0.0.1:{f.port}" for f in forwards.values())
    assert sorted(n.address for n in facts.cluster_nodes) == reachable
    node, _ = await gateway.key_location(b"key:7")
    assert node in reachable
    assert set(await scan_all(gateway)) == keys
    await gateway.close()
    assert all(f.connections for f in forwards.values())
    for forward in forwards.values():
        forward.server.close()

    forced = ConnectionSettings(port=fresh_server.port, cluster=True, **FAST)
    assert "connect without -c" in await diagnose(forced)
    gateway = Gateway(forced)
    with pytest.raises(ConnectionFailed, match="not a cluster"):
        await gateway.connect()
    await gateway.close()
