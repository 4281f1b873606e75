"""The ``:`` command bar: parsing, history, completion, and the same commands in the palette."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.suggester import Suggester
from textual.widgets import Input


@dataclass(frozen=True)
class CommandSpec:
    name: str
    args: str
    help: str
    needs_arg: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("db", "N", "switch to database N", needs_arg=True),
    CommandSpec("filter", "PATTERN", "show keys matching a glob pattern (server-side MATCH)"),
    CommandSpec("type", "TYPE", "show only keys of a type (string, hash, list, set, zset, stream)"),
    CommandSpec("nottl", "", "show only keys without a TTL (toggle)"),
    CommandSpec("key", "NAME", "jump to an exact key without scanning", needs_arg=True),
    CommandSpec(
        "del", "PATTERN", "delete every key matching a pattern, after a dry run", needs_arg=True
    ),
    CommandSpec(
        "ttl", "TTL", "set the TTL of the selected key (2h, 90s, persist…)", needs_arg=True
    ),
    CommandSpec("sessions", "", "open the session inspector"),
    CommandSpec("info", "", "show the server's INFO"),
    CommandSpec("dbs", "", "list the non-empty databases"),
    CommandSpec("reconnect", "", "drop the connection and connect again"),
    CommandSpec("disconnect", "", "close the connection (o connects again)"),
    CommandSpec("stop", "", "stop the running scan"),
    CommandSpec("continue", "", "continue a stopped scan"),
    CommandSpec(
        "sort", "name|ttl|type|size|none", "sort the loaded keys (size: biggest known first)"
    ),
    CommandSpec("help", "", "every key binding and command"),
    CommandSpec("q", "", "quit"),
)
BY_NAME = {spec.name: spec for spec in COMMANDS}
ALIASES = {"quit": "q", "f": "filter", "t": "type", "k": "key", "select": "db"}
TYPES = ("string", "hash", "list", "set", "zset", "stream")


class CommandError(ValueError):
    """What the user typed is not a command; the message says why."""


@dataclass(frozen=True)
class Command:
    name: str
    arg: str = ""


def parse_command(text: str) -> Command:
    """``":db 3"`` -> Command("db", "3").

    Raises:
        CommandError: unknown command or missing argument.
    """
    text = text.strip().removeprefix(":").strip()
    if not text:
        raise CommandError("Type a command, e.g. :db 3 — :help lists them all")
    name, _, arg = text.partition(" ")
    name = ALIASES.get(name.lower(), name.lower())
    spec = BY_NAME.get(name)
    if spec is None:
        raise CommandError(f"Unknown command: {name} (try :db, :filter, :type, :key, :del, :ttl…)")
    arg = arg.strip()
    if spec.needs_arg and not arg:
        raise CommandError(f"Usage: :{spec.name} {spec.args}")
    if spec.name == "db" and not arg.isdigit():
        raise CommandError("Usage: :db N (a database number)")
    if spec.name == "type" and arg and arg not in TYPES:
        raise CommandError(f"Unknown type {arg!r}: one of {', '.join(TYPES)}")
    return Command(spec.name, arg)


class CommandSuggester(Suggester):
    """Completes command names, then the history."""

    def __init__(self, history: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.history = history

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        for past in reversed(self.history):
            if past.startswith(value) and past != value:
                return past
        bare = value.removeprefix(":")
        if " " not in bare:
            for spec in COMMANDS:
                if spec.name.startswith(bare) and spec.name != bare:
                    return (":" if value.startswith(":") else "") + spec.name + " "
            if bare in ("type ",):
                return value
        if bare.startswith("type "):
            typed = bare[5:]
            for name in TYPES:
                if name.startswith(typed) and name != typed:
                    return value[: len(value) - len(typed)] + name
        return None


class CommandBar(Input):
    """``:`` input with history (up/down) and completion (right arrow / tab accepts)."""

    BINDINGS = [
        Binding("up", "history(-1)", "Older", show=False, id="commands.older"),
        Binding("down", "history(1)", "Newer", show=False, id="commands.newer"),
        Binding("tab", "complete", "Complete", show=False, id="commands.complete"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        self.history: list[str] = []
        super().__init__(
            placeholder=":db 3   :filter user:*   :type hash   :key NAME   :del PATTERN",
            id=id,
            suggester=CommandSuggester(self.history),
        )
        self._position = 0

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._position = len(self.history)

    def open(self) -> None:
        self.value = ""
        self._position = len(self.history)
        self.display = True
        self.focus()

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else ""
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)


class RedisCommands(Provider):
    """The command bar's commands in the palette (ctrl+p)."""

    async def discover(self) -> Hits:
        for spec in COMMANDS:
            if not spec.needs_arg:
                yield DiscoveryHit(f":{spec.name}", partial(self._run, spec.name), help=spec.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for spec in COMMANDS:
            title = f":{spec.name} {spec.args}".strip()
            score = matcher.match(title + " " + spec.help)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), partial(self._run, spec.name), help=spec.help
                )

    def _run(self, name: str) -> None:
        app = self.app
        runner = getattr(app, "open_command_bar", None)
        if callable(runner):
            runner(f":{name} " if BY_NAME[name].needs_arg else f":{name}")
