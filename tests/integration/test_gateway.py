"""The gateway against real redis-server processes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.gateway import Gateway
from redis_tui.data.values.readers import STRING_CAP
from redis_tui.demo import seed as demo
from redis_tui.demo.server import EmbeddedServer
from redis_tui.errors import (
    AuthFailed,
    ConnectionFailed,
    KeyMissing,
    PermissionDenied,
    ReadOnlyRefused,
    ServerTimeout,
)


async def test_scan_returns_every_key_once_with_meta(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({f"k:{i}": i for i in range(1500)})
    client.expire("k:1", 100)
    gateway = Gateway(settings)
    seen: dict[bytes, tuple[bytes, int]] = {}
    cursor = 0
    while True:
        page = await gateway.scan(cursor, None, 500)
        for key, kind, ttl in zip(page.keys, page.types, page.pttls, strict=True):
            seen[key] = (kind, ttl)
        cursor = page.cursor
        if cursor == 0:
            break
    await gateway.close()
    assert len(seen) == 1500
    assert seen[b"k:2"] == (b"string", -1)
    assert 0 < seen[b"k:1"][1] <= 100_000


async def test_scan_match_is_server_side(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.mset({"user:1": 1, "user:2": 2, "order:1": 3})
    gateway = Gateway(settings)
    keys: set[bytes] = set()
    cursor = 0
    while True:
        page = await gateway.scan(cursor, b"user:*", 100)
        keys.update(page.keys)
        cursor = page.cursor
        if not cursor:
            break
    await gateway.close()
    assert keys == {b"user:1", b"user:2"}


async def test_every_type_reads_a_bounded_page(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("s", "hello")
    client.hset("h", mapping={f"f{i}": i for i in range(1000)})
    client.rpush("l", *range(1000))
    client.sadd("st", *range(1000))
    client.zadd("z", {f"m{i}": i for i in range(1000)})
    for i in range(150):
        client.xadd("x", {"n": i})
    client.xgroup_create("x", "g1", id="0")
    gateway = Gateway(settings)
    s = await gateway.read_value(b"s")
    assert (s.type, s.data, s.length, s.truncated) == ("string", b"hello", 5, False)
    h = await gateway.read_value(b"h")
    assert h.type == "hash" and h.length == 1000 and 0 < len(h.rows) < 1000 and h.has_more
    nxt = await gateway.read_value(b"h", cursor=h.cursor)
    assert not {r[0] for r in nxt.rows} & {r[0] for r in h.rows}
    lst = await gateway.read_value(b"l", offset=990)
    assert lst.rows[0] == (990, b"990") and len(lst.rows) == 10 and not lst.has_more
    st = await gateway.read_value(b"st")
    assert st.length == 1000 and len(st.rows) <= 1000
    z = await gateway.read_value(b"z")
    assert z.rows[0] == (b"m0", 0.0) and len(z.rows) == 200
    x = await gateway.read_value(b"x")
    assert x.length == 150 and len(x.rows) == 100 and x.groups[0]["name"] == b"g1"
    with pytest.raises(KeyMissing):
        await gateway.read_value(b"nope")
    await gateway.close()


async def test_big_values_open_with_a_first_page(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    demo.seed_big_keys(client)
    gateway = Gateway(settings)
    big = await gateway.read_value(b"big:string:20mb")
    assert (
        big.length == demo.BIG_STRING_BYTES and len(big.data or b"") == STRING_CAP and big.truncated
    )
    more = await gateway.read_value(b"big:string:20mb", offset=STRING_CAP)
    assert more.offset == STRING_CAP and len(more.data or b"") == STRING_CAP
    h = await gateway.read_value(b"big:hash:200k")
    assert h.length == demo.BIG_HASH_FIELDS and len(h.rows) < 2000
    await gateway.close()


async def test_big_elements_make_small_pages(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    mb = b"x" * (1 << 20)
    for i in range(20):  # 20 MB per key: a page of 200 would read all of it
        client.rpush("big:list", mb)
        client.hset("big:hash", f"f{i}", mb)
        client.zadd("big:zset", {mb[:-2] + b"%02d" % i: i})
        client.sadd("big:set", mb[:-2] + b"%02d" % i)
        client.xadd("big:stream", {"f": mb})
    client.rpush("small:list", *range(300))
    gateway = Gateway(settings)
    for key in (b"big:list", b"big:hash", b"big:zset", b"big:set", b"big:stream"):
        value = await gateway.read_value(key)
        # COUNT is a hint to HSCAN/SSCAN: a page may hold a few more than asked.
        assert value.length == 20 and 1 <= len(value.rows) <= 8, (key, len(value.rows))
        assert value.note is not None and "per page" in value.note
    more = await gateway.read_value(b"big:list", offset=4)
    assert [row[0] for row in more.rows][:1] == [4]
    small = await gateway.read_value(b"small:list")
    assert len(small.rows) == 200 and small.note is None
    await gateway.close()


async def test_readonly_refuses_delete_in_the_data_layer(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("keep", "1")
    gateway = Gateway(settings.replace(readonly=True))
    with pytest.raises(ReadOnlyRefused):
        await gateway.delete(b"keep")
    assert client.get("keep") == b"1"
    await gateway.close()


async def test_delete_binary_key(client: redis.Redis, settings: ConnectionSettings) -> None:
    for key in demo.HOSTILE_KEYS:
        client.set(key, "v")
    gateway = Gateway(settings)
    for key in demo.HOSTILE_KEYS:
        await gateway.delete(key)
    assert client.dbsize() == 0
    with pytest.raises(KeyMissing):
        await gateway.delete(b"\xff")
    await gateway.close()


async def test_wrong_password_is_auth_failed() -> None:
    with EmbeddedServer(extra_args=["--requirepass", "s3cret"]) as srv:
        base = ConnectionSettings(port=srv.port, connect_timeout=2)
        with pytest.raises(AuthFailed, match="wrong username or password"):
            await Gateway(base.replace(password="nope")).connect()
        with pytest.raises(AuthFailed, match="requires a password"):
            await Gateway(base).connect()
        facts = await Gateway(base.replace(password="s3cret")).connect()
        assert facts.version


async def test_acl_noperm_is_permission_denied_and_info_degrades() -> None:
    with EmbeddedServer() as srv:
        admin = redis.Redis(port=srv.port)
        admin.execute_command(
            "ACL", "SETUSER", "viewer", "on", ">pw", "~*", "+@read", "+@connection", "-info"
        )
        admin.set("a", "1")
        settings = ConnectionSettings(
            port=srv.port, username="viewer", password="pw", connect_timeout=2
        )
        gateway = Gateway(settings)
        facts = await gateway.connect()
        assert facts.info_error is not None and "permission" in facts.info_error.lower()
        assert facts.dbsize == 1
        with pytest.raises(PermissionDenied):
            await gateway.delete(b"a")
        await gateway.close()
        admin.close()


async def test_unreachable_port_is_connection_failed() -> None:
    from redis_tui.demo.server import free_port

    with pytest.raises(ConnectionFailed, match="connection refused"):
        await Gateway(ConnectionSettings(port=free_port(), connect_timeout=1)).connect()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers: a hung proxy or a stopped process."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for c in conns:
        c.close()
    listener.close()


async def test_silent_server_times_out(silent_server: int) -> None:
    settings = ConnectionSettings(port=silent_server, connect_timeout=1, command_timeout=1)
    with pytest.raises(ServerTimeout, match="did not answer"):
        await Gateway(settings).connect()


async def test_stream_pages_follow_the_last_id(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    ids = [client.xadd("events", {"n": i}) for i in range(250)]
    gateway = Gateway(settings)
    first = await gateway.read_value(b"events")
    assert [r[0] for r in first.rows] == ids[:100] and first.has_more
    second = await gateway.read_value(b"events", offset=100, after_id=first.rows[-1][0])
    assert [r[0] for r in second.rows] == ids[100:200] and second.has_more
    third = await gateway.read_value(b"events", offset=200, after_id=second.rows[-1][0])
    assert [r[0] for r in third.rows] == ids[200:] and not third.has_more
    await gateway.close()


def test_a_port_taken_before_the_server_binds_it_is_chosen_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from redis_tui.demo import server as embedded

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        picks = [taken, taken]  # the main port, then the cluster port: both taken at first
        real = embedded.free_port
        monkeypatch.setattr(embedded, "free_port", lambda: picks.pop() if picks else real())
        args = ["--cluster-enabled", "yes", "--cluster-port", embedded.FREE_PORT]
        with embedded.EmbeddedServer(extra_args=args) as node:
            assert node.port != taken
            assert redis.Redis(port=node.port).ping()
