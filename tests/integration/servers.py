"""Real server topologies for the connection tests: TLS (and mutual TLS) with certificates made
at test time, a Sentinel group, a 3-primary Cluster.

Every helper is a context manager that stops every process it started, even when the test
fails. Ports are free loopback ports (never 6379); waits poll for state with deadlines.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from redis_tui.demo.server import FREE_PORT, EmbeddedServer, free_port


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until it is true, or fail the test naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError, OSError):
            if check():
                return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


# -- certificates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Certs:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path  # a CA that signed nothing here: "wrong CA"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: Path, key: ec.EllipticCurvePrivateKey | None, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return path


_CA_USAGE = x509.KeyUsage(
    digital_signature=True,
    key_cert_sign=True,
    crl_sign=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    encipher_only=False,
    decipher_only=False,
)


def _ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    common_name: str,
    usage: x509.ObjectIdentifier,
    expired: bool = False,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    start, end = (
        (now - dt.timedelta(days=10), now - dt.timedelta(days=1))
        if expired
        else (now - dt.timedelta(days=1), now + dt.timedelta(days=30))
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def make_certs(directory: Path, expired: bool = False) -> Certs:
    """A CA, a server certificate for 127.0.0.1/localhost (expired if asked), a client
    certificate, and an unrelated CA."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca("redis-tui test CA")
    server_key, server_cert = _leaf(
        ca_key, ca_cert, "127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH, expired
    )
    client_key, client_cert = _leaf(ca_key, ca_cert, "client", ExtendedKeyUsageOID.CLIENT_AUTH)
    _, other_cert = _ca("some other CA")
    return Certs(
        ca=_write(directory / "ca.crt", None, ca_cert),
        server_cert=_write(directory / "server.crt", server_key, server_cert),
        server_key=directory / "server.key",
        client_cert=_write(directory / "client.crt", client_key, client_cert),
        client_key=directory / "client.key",
        other_ca=_write(directory / "other-ca.crt", None, other_cert),
    )


# -- TLS ----------------------------------------------------------------------------------------


class TlsServer(EmbeddedServer):
    """A server with a TLS port (``tls_port``) beside its plain one (used for the readiness
    check and for seeding)."""

    def __init__(self, certs: Certs, client_auth: bool) -> None:
        self.certs = certs
        self.tls_port = free_port()
        super().__init__(
            extra_args=[
                "--tls-port", str(self.tls_port),
                "--tls-cert-file", str(certs.server_cert),
                "--tls-key-file", str(certs.server_key),
                "--tls-ca-cert-file", str(certs.ca),
                "--tls-auth-clients", "yes" if client_auth else "no",
            ]
        )  # fmt: skip


@contextlib.contextmanager
def tls_server(
    tmp_path: Path, client_auth: bool = False, expired: bool = False
) -> Iterator[TlsServer]:
    """A TLS server with fresh certificates; ``client_auth`` requires a client certificate
    (mutual TLS); ``expired`` serves an expired certificate."""
    certs = make_certs(tmp_path / ("certs-expired" if expired else "certs"), expired=expired)
    with TlsServer(certs, client_auth) as server:
        yield server


# -- Sentinel -----------------------------------------------------------------------------------


class SentinelServer(EmbeddedServer):
    """``redis-server sentinel.conf --sentinel``, monitoring one master with quorum 1."""

    def __init__(self, master_name: str, master_port: int) -> None:
        super().__init__()
        conf = self.dir / "sentinel.conf"
        conf.write_text(
            f"port {self.port}\n"
            "bind 127.0.0.1\n"
            f"dir {self.dir}\n"
            f"sentinel monitor {master_name} 127.0.0.1 {master_port} 1\n"
            f"sentinel down-after-milliseconds {master_name} 1000\n"
            f"sentinel failover-timeout {master_name} 5000\n"
        )
        self.conf = conf

    def command(self) -> list[str]:
        return [
            self.binary, str(self.conf), "--sentinel",
            "--daemonize", "no", "--loglevel", "warning",
            "--logfile", str(self.dir / "server.log"),
        ]  # fmt: skip


def _fields(reply: object) -> dict[str, str]:
    if isinstance(reply, dict):
        return reply
    flat = list(reply)  # type: ignore[call-overload]
    return dict(zip(flat[::2], flat[1::2], strict=False))


@dataclass
class SentinelGroup:
    name: str
    master: EmbeddedServer
    replica: EmbeddedServer
    sentinel: SentinelServer

    def sentinel_client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.sentinel.port, decode_responses=True)

    def master_port(self) -> int:
        with self.sentinel_client() as s:
            _, port = s.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.name)
        return int(port)

    def failover(self, timeout: float = 20.0) -> int:
        """``SENTINEL FAILOVER`` and wait until the replica is the master everywhere.

        Returns:
            The port of the new master.
        """
        old = self.master_port()
        new = self.replica.port if old == self.master.port else self.master.port

        def started() -> bool:
            with self.sentinel_client() as s:
                try:
                    return bool(s.execute_command("SENTINEL", "FAILOVER", self.name))
                except redis.ResponseError as exc:
                    # The replica's INFO may be a few seconds old: Sentinel refreshes it soon.
                    if "NOGOODSLAVE" in str(exc):
                        return False
                    raise

        wait_for(started, timeout, "Sentinel to accept the failover")
        wait_for(lambda: self.master_port() == new, timeout, "Sentinel to name the new master")

        def switched() -> bool:
            # SENTINEL MASTER (what redis-py asks) changes only when the failover is over.
            with self.sentinel_client() as s:
                state = _fields(s.execute_command("SENTINEL", "MASTER", self.name))
            return state["port"] == str(new) and "failover" not in state["flags"]

        wait_for(switched, timeout, "the failover to complete")

        def promoted() -> bool:
            with redis.Redis(host="127.0.0.1", port=new) as c:
                return c.info("replication")["role"] == "master"

        wait_for(promoted, timeout, "the replica to become master")

        # Sentinel turns the old master into a replica and drops its clients only when it
        # next reads its INFO (up to ~15 s later); do now what it would do then.
        with redis.Redis(host="127.0.0.1", port=old) as c:
            c.execute_command("REPLICAOF", "127.0.0.1", new)
            c.execute_command("CLIENT", "KILL", "TYPE", "normal")
        return new


@contextlib.contextmanager
def sentinel_group(name: str = "mymaster") -> Iterator[SentinelGroup]:
    """One master, one replica, one Sentinel (quorum 1, down after 1 s)."""
    with contextlib.ExitStack() as stack:
        # No 5 s wait before the first full sync.
        master = stack.enter_context(EmbeddedServer(extra_args=["--repl-diskless-sync-delay", "0"]))
        replica = stack.enter_context(
            EmbeddedServer(extra_args=["--replicaof", "127.0.0.1", str(master.port)])
        )

        def replica_linked() -> bool:
            with redis.Redis(host="127.0.0.1", port=replica.port) as c:
                return c.info("replication").get("master_link_status") == "up"

        wait_for(replica_linked, 10, "the replica to sync")
        sentinel = stack.enter_context(SentinelServer(name, master.port))
        group = SentinelGroup(name, master, replica, sentinel)

        def replica_known() -> bool:
            with group.sentinel_client() as s:
                replicas = s.execute_command("SENTINEL", "REPLICAS", name)
                return len(replicas) == 1 and _fields(replicas[0]).get("flags") == "slave"

        wait_for(replica_known, 15, "Sentinel to discover the replica")
        yield group


# -- Cluster ------------------------------------------------------------------------------------


@dataclass
class Cluster:
    nodes: list[EmbeddedServer]

    @property
    def ports(self) -> list[int]:
        return [n.port for n in self.nodes]

    def client(self) -> redis.RedisCluster:
        return redis.RedisCluster(host="127.0.0.1", port=self.nodes[0].port)

    def node_client(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port)

    def node_id(self, port: int) -> str:
        with self.node_client(port) as c:
            return str(c.execute_command("CLUSTER", "MYID").decode())

    def owner_port(self, slot: int) -> int:
        with self.node_client(self.ports[0]) as c:
            for start, end, primary, *_ in c.execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return int(primary[1])
        raise AssertionError(f"slot {slot} has no owner")

    def begin_migration(self, slot: int, source: int, target: int) -> None:
        """IMPORTING on the target, MIGRATING on the source: the slot is now split."""
        source_id, target_id = self.node_id(source), self.node_id(target)
        with self.node_client(target) as t:
            t.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
        with self.node_client(source) as s:
            s.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)

    def migrate_keys(self, slot: int, source: int, target: int, limit: int | None = None) -> int:
        """MIGRATE up to ``limit`` keys of ``slot`` from ``source`` to ``target``."""
        with self.node_client(source) as s:
            keys = s.execute_command("CLUSTER", "GETKEYSINSLOT", slot, limit or 100_000)
            if keys:
                s.execute_command("MIGRATE", "127.0.0.1", target, "", 0, 5000, "KEYS", *keys)
        return len(keys)

    def finish_migration(self, slot: int, target: int) -> None:
        target_id = self.node_id(target)
        for port in self.ports:
            with self.node_client(port) as c:
                c.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)

    def move_slot(self, slot: int, target: int) -> None:
        source = self.owner_port(slot)
        self.begin_migration(slot, source, target)
        self.migrate_keys(slot, source, target)
        self.finish_migration(slot, target)


def _cluster_args() -> list[str]:
    return [
        "--cluster-enabled", "yes",
        "--cluster-port", FREE_PORT,
        "--cluster-config-file", "nodes.conf",
        "--cluster-node-timeout", "2000",
    ]  # fmt: skip


@contextlib.contextmanager
def cluster(primaries: int = 3) -> Iterator[Cluster]:
    """``primaries`` cluster-enabled servers joined by ``redis-cli --cluster create``."""
    with contextlib.ExitStack() as stack:
        nodes = [
            stack.enter_context(EmbeddedServer(extra_args=_cluster_args()))
            for _ in range(primaries)
        ]
        addresses = [f"127.0.0.1:{n.port}" for n in nodes]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses,
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        group = Cluster(nodes)

        def ready() -> bool:
            for port in group.ports:
                with group.node_client(port) as c:
                    info = c.execute_command("CLUSTER", "INFO").decode()
                    if (
                        "cluster_state:ok" not in info
                        or f"cluster_known_nodes:{primaries}" not in info
                    ):
                        return False
            return True

        wait_for(ready, 20, "the cluster to be ok on every node")
        yield group
