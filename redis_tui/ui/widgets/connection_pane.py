"""The connection pane: where we are connected, to what, and in which state.

Besides the address and the server facts it shows the shape of the deployment: the nodes of
a cluster and their state, the Sentinel view of a master, and what the ACL does not permit.
"""

from __future__ import annotations

import time

from textual.content import Content
from textual.widgets import Static

from redis_tui.config import Profile
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.keyspace import ServerFacts
from redis_tui.data.scan.topology import ClusterNodeInfo, SentinelTopology
from redis_tui.data.values.display import escape_text
from redis_tui.ui.style import swatch, update_static

# Cluster nodes listed one a line; the rest are summed up as "+N more".
MAX_NODE_LINES = 6

# What is lost when the ACL forbids a command the pane or the key list relies on.
LOST_WITHOUT = {
    "INFO": "server facts",
    "DBSIZE": "key count",
    "CLUSTER": "cluster nodes",
    "MEMORY": "memory sizes",
    "OBJECT": "encodings",
    "TYPE": "key types",
    "PTTL": "TTLs",
    "CONFIG": "server settings",
    "SCAN": "the key list (:key NAME opens a key by name)",
    "DUMP": "undo",
}


def _text(value: str) -> Content:
    """Untrusted text (server strings, names from files), escaped and never markup."""
    return Content(escape_text(value, multiline=False))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


class ConnectionPane(Static, can_focus=True):
    """Renders connection settings, server facts and the link state. Pure display."""

    def __init__(self, settings: ConnectionSettings, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.settings = settings
        # The profile connected with (attributes down: the app owns it, the pane shows it).
        self.profile: Profile | None = None
        self.facts = ServerFacts()
        self.state = "connecting"
        self.reason = ""
        self.retry_at = 0.0
        # Set by the app: "live · polling every 2s", "paused"...
        self.live = ""

    def on_mount(self) -> None:
        self.border_title = "1 Connection"
        self.set_interval(1.0, self._tick)
        self._draw()

    def _tick(self) -> None:
        if self.state == "lost":
            self._draw()

    def set_connected(self, facts: ServerFacts) -> None:
        self.state, self.reason, self.facts = "connected", "", facts
        self._draw()

    def set_facts(self, facts: ServerFacts) -> None:
        self.facts = facts
        self._draw()

    def set_lost(self, reason: str, retry_in: float) -> None:
        self.state, self.reason = "lost", reason
        self.retry_at = time.monotonic() + retry_in
        self._draw()

    def set_disconnected(self) -> None:
        self.state = "disconnected"
        self._draw()

    def set_live(self, live: str) -> None:
        if live != self.live:
            self.live = live
            self._draw()

    def set_settings(self, settings: ConnectionSettings, profile: Profile | None = None) -> None:
        if settings.describe() != self.settings.describe():
            # Another server: what the last one said no longer applies.
            self.facts = ServerFacts()
        self.settings = settings
        self.profile = profile
        self.state = "connecting"
        self._draw()

    def _draw(self) -> None:
        lines = [self._where_line(), self._server_line()]
        f = self.facts
        if f.cluster_state is not None or f.cluster_nodes:
            lines += self._cluster_lines(f.cluster_state, f.cluster_nodes)
        if f.sentinel is not None:
            lines += self._sentinel_lines(f.sentinel)
        if f.unavailable:
            lines.append(self._unavailable_line(f.unavailable))
        lines.append(self._state_line())
        update_static(self, Content("\n").join(line for line in lines if line is not None))

    def _where_line(self) -> Content:
        s = self.settings
        user = s.username or "default"
        where = f"{s.describe()}  user {user}  db {s.db}"
        parts: list[Content] = []
        profile = self.profile
        if profile is not None:
            parts += [swatch(profile.colour), Content(" "), _text(profile.name).stylize("bold")]
            if profile.production:
                parts.append(Content.from_markup(" [b $error]PRODUCTION[/]"))
            parts.append(Content("  "))
        parts.append(_text(where))
        if s.readonly:
            parts.append(Content("  READ-ONLY"))
        return Content.assemble(*parts)

    def _server_line(self) -> Content | None:
        f = self.facts
        server = "  ".join(
            part
            for part in (
                f"{f.product} {f.version}" if f.version else "",
                f"role {f.role}" if f.role else "",
                f"keys {f.dbsize:,}" if f.dbsize is not None else "",
                f"mem {f.used_memory_human}" if f.used_memory_human else "",
                f"clients {f.connected_clients}" if f.connected_clients is not None else "",
            )
            if part
        )
        if f.info_error:
            server = (server + "  " if server else "") + "INFO unavailable"
        return _text(server)

    def _cluster_lines(
        self, state: str | None, nodes: tuple[ClusterNodeInfo, ...]
    ) -> list[Content]:
        primaries = sorted((n for n in nodes if n.role == "primary"), key=lambda n: n.address)
        replicas = [n for n in nodes if n.role != "primary"]
        summary = Content.from_markup(
            "cluster [b $colour]$state[/] · $primaries · $replicas",
            colour="green" if state == "ok" else "red",
            state=state or "?",
            primaries=f"{len(primaries)} primar{'y' if len(primaries) == 1 else 'ies'}",
            replicas=_plural(len(replicas), "replica"),
        )
        ordered: list[tuple[ClusterNodeInfo, bool]] = []
        for primary in primaries:
            ordered.append((primary, False))
            ordered += [(r, True) for r in replicas if r.primary_id == primary.id]
        placed = {node.id for node, _ in ordered}
        ordered += [(r, True) for r in replicas if r.id not in placed]
        lines = [summary]
        shown = ordered if len(ordered) <= MAX_NODE_LINES else ordered[: MAX_NODE_LINES - 1]
        lines += [self._node_line(node, nested) for node, nested in shown]
        if len(shown) < len(ordered):
            lines.append(Content.styled(f"  +{len(ordered) - len(shown)} more", "dim"))
        return lines

    def _node_line(self, node: ClusterNodeInfo, nested: bool) -> Content:
        parts: list[Content] = [
            Content("  ↳ " if nested else "  "),
            _text(node.address),
            Content("  "),
            Content(node.role),
        ]
        if node.role == "primary":
            parts.append(Content(f"  {node.slot_count:,} slots"))
        if node.link == "connected":
            parts.append(Content.styled("  connected", "dim"))
        else:
            parts.append(Content.from_markup("  [b $error]$link[/]", link=node.link))
        if node.failing:
            flag = "fail?" if "fail?" in node.flags else "FAIL"
            parts.append(Content.from_markup("  [b $error]$flag[/]", flag=flag))
        if node.migrating:
            parts.append(
                Content.from_markup(
                    "  [$warning]migrating $n[/]", n=_plural(len(node.migrating), "slot")
                )
            )
        if node.importing:
            parts.append(
                Content.from_markup(
                    "  [$warning]importing $n[/]", n=_plural(len(node.importing), "slot")
                )
            )
        return Content.assemble(*parts)

    def _sentinel_lines(self, view: SentinelTopology) -> list[Content]:
        head = Content.from_markup("sentinel [b]$name[/]", name=escape_text(view.master_name))
        if view.error and view.master is None:
            return [
                Content.assemble(
                    head,
                    Content.from_markup(
                        "  [$error]$error[/]", error=escape_text(view.error, multiline=False)
                    ),
                )
            ]
        quorum = f" (quorum {view.quorum})" if view.quorum is not None else ""
        line = Content.assemble(
            head,
            Content(" → master "),
            _text(view.master or "?"),
            Content(
                f" · {_plural(len(view.replicas), 'replica')}"
                f" · {_plural(len(view.sentinels), 'sentinel')}{quorum}"
            ),
        )
        lines = [line]
        if view.failover_in_progress:
            lines.append(Content.from_markup("  [b $warning]failover in progress[/]"))
        down = [addr for addr, flags in view.replicas if {"s_down", "o_down"} & set(flags)]
        if "s_down" in view.master_flags or "o_down" in view.master_flags:
            lines.append(Content.from_markup("  [b $error]master down[/]"))
        if down:
            lines.append(
                Content.from_markup(
                    "  [$error]replica down: $who[/]",
                    who=escape_text(", ".join(down), multiline=False),
                )
            )
        return lines

    def _unavailable_line(self, unavailable: tuple[str, ...]) -> Content:
        lost = [LOST_WITHOUT[c] for c in unavailable if c in LOST_WITHOUT]
        text = "not permitted: " + ", ".join(unavailable)
        if lost:
            text += " (degraded: no " + ", ".join(lost) + ")"
        return Content.styled(escape_text(text, multiline=False), "dim")

    def _state_line(self) -> Content:
        if self.state == "connected":
            return Content.from_markup("[b green]● connected[/]  [dim]$live[/]", live=self.live)
        if self.state == "lost":
            left = max(0, int(self.retry_at - time.monotonic() + 0.99))
            return Content.from_markup(
                "[b red]✖ lost[/] — retrying in $left s: $reason",
                left=str(left),
                reason=escape_text(self.reason, multiline=False),
            )
        if self.state == "disconnected":
            return Content.from_markup("[b]○ disconnected[/]  [dim]o connects, :reconnect[/]")
        return Content.from_markup("[b yellow]… connecting[/]")
