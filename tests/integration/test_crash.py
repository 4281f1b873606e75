"""An unexpected exception: the terminal is restored, one line names a crash report that holds
the stack and the versions (no password, no key, no value), and the exit code is not 0."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import redis

from redis_tui.demo.server import EmbeddedServer

SCRIPT = textwrap.dedent(
    """
    import sys
    from redis_tui.data.client.settings import ConnectionSettings
    from pathlib import Path
    import redis_tui.ui.app as app_module
    from redis_tui.ui.app import RedisTuiApp

    class Boom(RedisTuiApp):
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
        def on_mount(self) -> None:
            super().on_mount()
            self.set_timer(0.8, self.boom)

        def boom(self) -> None:
            value = "sess:the-secret-value"  # a local: never in the report
            raise RuntimeError("failed on " + value)

    app = Boom(ConnectionSettings(host="127.0.0.1", port=int(sys.argv[1]), password="pw-hunter2"))
    app.run(headless=True, size=(80, 24))
    sys.exit(app.return_code or 0)
    """
)


def test_a_crash_prints_one_line_and_writes_a_report_without_data(
    server: EmbeddedServer, client: redis.Redis, tmp_path: Path
) -> None:
    client.config_set("requirepass", "pw-hunter2")
    try:
        env = {**os.environ, "REDIS_TUI_CRASH_DIR": str(tmp_path)}
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(server.port)],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
    finally:
        redis.Redis(port=server.port, password="pw-hunter2").config_set("requirepass", "")
    assert done.returncode == 1
    output = (done.stdout + done.stderr).strip()
    (line,) = [x for x in output.splitlines() if "redis-tui crashed" in x]
    assert line.startswith("redis-tui crashed (RuntimeError); report: ")
    assert "Traceback" not in output and "the-secret-value" not in output
    (report,) = tmp_path.glob("crash-*.txt")
    assert str(report) in line
    text = report.read_text()
    assert "builtins.RuntimeError" in text and "in boom" in text and "textual:" in text
    for secret in ("pw-hunter2", "the-secret-value", "failed on"):
        assert secret not in text
    assert report.stat().st_mode & 0o077 == 0
