"""The ``:`` commands: each declared once, with its arguments, help and handler.

The command bar, its completion, the palette and ``:help`` read ``COLON_COMMANDS``; the
browser screen is the host the handlers run on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

from redis_tui.data.values.display import unescape_key
from redis_tui.ui.browser.scan_view import Filters
from redis_tui.ui.commands import SORTS, TYPES, CommandTable

if TYPE_CHECKING:
    from textual.app import App

    from redis_tui.data.client.settings import ConnectionSettings
    from redis_tui.ui.browser.analysis import AnalysisFlow
    from redis_tui.ui.browser.edits import EditFlow
    from redis_tui.ui.browser.scan_view import ScanView
    from redis_tui.ui.browser.selection import Selection
    from redis_tui.ui.browser.sessions import SessionFlow
    from redis_tui.ui.browser.transfer import TransferFlow
    from redis_tui.ui.widgets.connection_pane import ConnectionPane
    from redis_tui.ui.widgets.key_list import KeyList
    from redis_tui.ui.worker.service import RedisWorker


class CommandHost(Protocol):
    """What the commands need of the browser screen."""

    conn_pane: ConnectionPane
    keys: KeyList
    view: ScanView
    selection: Selection
    analysis: AnalysisFlow

    @property
    def edits(self) -> EditFlow: ...

    @property
    def sessions(self) -> SessionFlow: ...

    @property
    def transfer(self) -> TransferFlow: ...

    @property
    def redis(self) -> RedisWorker: ...

    @property
    def settings(self) -> ConnectionSettings: ...

    @property
    def app(self) -> App[None]: ...

    def notify(
        self,
        message: str,
        *,
        title: str = ...,
        severity: Literal["information", "warning", "error"] = ...,
        timeout: float | None = ...,
        markup: bool = ...,
    ) -> None: ...

    def switch_db(self, db: int) -> None: ...

    def set_filters(self, filters: Filters) -> None: ...

    def focus_pane(self, pane: str) -> None: ...

    def stop_scan(self) -> None: ...

    def continue_scan(self) -> None: ...

    def sort_by(self, field: str | None) -> None: ...

    def action_stream_groups(self) -> None: ...

    def request_connection(
        self, what: Literal["settings", "reconnect", "disconnect", "help"]
    ) -> None: ...


COLON_COMMANDS: CommandTable[CommandHost] = CommandTable()


@COLON_COMMANDS.command(
    "db", "N", "switch to database N", needs_arg=True, number=True, aliases=("select",)
)
def _db(host: CommandHost, arg: str) -> None:
    facts = host.conn_pane.facts
    if facts.mode == "cluster" or facts.cluster_state is not None:
        host.notify(
            "A cluster has database 0 only: :db cannot switch",
            severity="warning",
            markup=False,
        )
    else:
        host.switch_db(int(arg))


@COLON_COMMANDS.command(
    "filter", "PATTERN", "show keys matching a glob pattern (server-side MATCH)", aliases=("f",)
)
def _filter(host: CommandHost, arg: str) -> None:
    f = host.view.filters
    host.set_filters(Filters("" if arg in ("", "*") else arg, f.type_name, f.no_ttl_only))


@COLON_COMMANDS.command(
    "type",
    "TYPE",
    "show only keys of a type (string, hash, list, set, zset, stream)",
    choices=TYPES,
    aliases=("t",),
)
def _type(host: CommandHost, arg: str) -> None:
    f = host.view.filters
    host.set_filters(Filters(f.pattern, arg or None, f.no_ttl_only))


@COLON_COMMANDS.command("nottl", "", "show only keys without a TTL (toggle)")
def _nottl(host: CommandHost, arg: str) -> None:
    f = host.view.filters
    host.set_filters(Filters(f.pattern, f.type_name, not f.no_ttl_only))


@COLON_COMMANDS.command(
    "key", "NAME", "jump to an exact key without scanning", needs_arg=True, aliases=("k",)
)
def _key(host: CommandHost, arg: str) -> None:
    key = unescape_key(arg)
    host.selection.expect(key)
    host.redis.lookup(key)


@COLON_COMMANDS.command(
    "del", "PATTERN", "delete every key matching a pattern, after a dry run", needs_arg=True
)
def _del(host: CommandHost, arg: str) -> None:
    host.edits.open_bulk_delete(unescape_key(arg))


@COLON_COMMANDS.command(
    "export", "[PATTERN] PATH [--dump]",
    "save the keys matching a pattern (or the marked keys) to a new file", needs_arg=True,
)  # fmt: skip
def _export(host: CommandHost, arg: str) -> None:
    host.transfer.export_command(arg)


@COLON_COMMANDS.command("unmark", "", "clear the marks (space marks a key)")
def _unmark(host: CommandHost, arg: str) -> None:
    host.keys.clear_marks()


@COLON_COMMANDS.command(
    "import", "PATH [--replace|--skip]", "load keys from an export file, after a dry run",
    needs_arg=True,
)  # fmt: skip
def _import(host: CommandHost, arg: str) -> None:
    host.transfer.import_command(arg)


@COLON_COMMANDS.command(
    "ttl", "TTL", "set the TTL of the selected key (2h, 90s, persist…)", needs_arg=True
)
def _ttl(host: CommandHost, arg: str) -> None:
    host.edits.ttl_command(arg)


@COLON_COMMANDS.command(
    "sessions", "[report]", "open the session inspector; report: its health report",
    choices=("report",),
)  # fmt: skip
def _sessions(host: CommandHost, arg: str) -> None:
    host.focus_pane("sessions")
    if arg == "report":
        host.sessions.report()


@COLON_COMMANDS.command(
    "cookie", "VALUE", "open the session of a cookie value or a whole Cookie: header",
    needs_arg=True,
)  # fmt: skip
def _cookie(host: CommandHost, arg: str) -> None:
    host.sessions.cookie(arg)


@COLON_COMMANDS.command(
    "analyze", "", "keyspace analysis: memory by namespace, top keys, cache health",
    aliases=("analyse",),
)  # fmt: skip
def _analyze(host: CommandHost, arg: str) -> None:
    host.analysis.open()


@COLON_COMMANDS.command("info", "", "show the server's INFO")
def _info(host: CommandHost, arg: str) -> None:
    host.redis.fetch_info()


@COLON_COMMANDS.command("groups", "", "the open stream's consumer groups, consumers, pending")
def _groups(host: CommandHost, arg: str) -> None:
    host.action_stream_groups()


@COLON_COMMANDS.command("dbs", "", "list the non-empty databases")
def _dbs(host: CommandHost, arg: str) -> None:
    keyspace = host.conn_pane.facts.keyspace
    if not keyspace:
        host.notify("No database has keys (or INFO is not permitted)", markup=False)
        return
    lines = [
        f"db{db}: {count:,} key{'s' if count != 1 else ''}"
        + ("  ← current" if db == host.settings.db else "")
        for db, count in sorted(keyspace.items())
    ]
    host.notify("\n".join(lines), title="Databases (:db N switches)", markup=False, timeout=8)


@COLON_COMMANDS.command("reconnect", "", "drop the connection and connect again")
def _reconnect(host: CommandHost, arg: str) -> None:
    host.request_connection("reconnect")


@COLON_COMMANDS.command("disconnect", "", "close the connection (o connects again)")
def _disconnect(host: CommandHost, arg: str) -> None:
    host.request_connection("disconnect")


@COLON_COMMANDS.command("stop", "", "stop the running scan")
def _stop(host: CommandHost, arg: str) -> None:
    host.stop_scan()


@COLON_COMMANDS.command("continue", "", "continue a stopped scan")
def _continue(host: CommandHost, arg: str) -> None:
    host.continue_scan()


@COLON_COMMANDS.command(
    "sort",
    "name|ttl|type|size|none",
    "sort the loaded keys (size: biggest known first)",
    choices=SORTS,
)
def _sort(host: CommandHost, arg: str) -> None:
    host.sort_by(None if arg in ("", "none") else arg)


@COLON_COMMANDS.command("help", "", "every key binding and command")
def _help(host: CommandHost, arg: str) -> None:
    host.request_connection("help")


@COLON_COMMANDS.command("q", "", "quit", aliases=("quit",))
def _quit(host: CommandHost, arg: str) -> None:
    host.app.exit()
