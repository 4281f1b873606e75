"""The ``:`` command bar: parsing, history, completion, and the same commands in the palette."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

H = TypeVar("H")
TYPES = ("string", "hash", "list", "set", "zset", "stream")
SORTS = ("name", "ttl", "type", "size", "none")


@dataclass(frozen=True)
class CommandSpec(Generic[H]):
    """One ``:`` command: everything about it in one place."""

    name: str
    args: str
    help: str
    handler: Callable[[H, str], None]
    needs_arg: bool = False
    # The argument's possible values: completion and validation (empty: anything).
    choices: tuple[str, ...] = ()
    # The argument is a whole number (``:db 3``).
    number: bool = False
    aliases: tuple[str, ...] = ()


class CommandError(ValueError):
    """What the user typed is not a command; the message says why."""


@dataclass(frozen=True)
class Command:
    name: str
    arg: str = ""


class CommandTable(Generic[H]):
    """The ``:`` commands, declared once with a decorator on their handler::

        COMMANDS: CommandTable[Browser] = CommandTable()

        @COMMANDS.command("db", "N", "switch to database N", needs_arg=True, number=True)
        def command_db(self, arg: str) -> None: ...

    The bar, its completion, the palette and ``:help`` all read this table.
    """

    def __init__(self) -> None:
        self.specs: dict[str, CommandSpec[H]] = {}
        self.aliases: dict[str, str] = {}

    def command(
        self,
        name: str,
        args: str,
        help: str,
        *,
        needs_arg: bool = False,
        choices: tuple[str, ...] = (),
        number: bool = False,
        aliases: tuple[str, ...] = (),
    ) -> Callable[[Callable[[H, str], None]], Callable[[H, str], None]]:
        def register(handler: Callable[[H, str], None]) -> Callable[[H, str], None]:
            self.specs[name] = CommandSpec(
                name, args, help, handler, needs_arg, choices, number, aliases
            )
            for alias in aliases:
                self.aliases[alias] = name
            return handler

        return register

    def __iter__(self) -> Iterator[CommandSpec[H]]:
        return iter(self.specs.values())

    def parse(self, text: str) -> Command:
        """``":db 3"`` -> Command("db", "3").

        Raises:
            CommandError: unknown command, missing or wrong argument.
        """
        text = text.strip().removeprefix(":").strip()
        if not text:
            raise CommandError("Type a command, e.g. :db 3 — :help lists them all")
        name, _, arg = text.partition(" ")
        name = self.aliases.get(name.lower(), name.lower())
        spec = self.specs.get(name)
        if spec is None:
            known = ", ".join(f":{s.name}" for s in list(self)[:6])
            raise CommandError(f"Unknown command: {name} (try {known}…; :help lists them)")
        arg = arg.strip()
        usage = f"Usage: :{spec.name} {spec.args}".rstrip()
        if spec.needs_arg and not arg:
            raise CommandError(usage)
        if spec.number and not arg.isdigit():
            raise CommandError(f"{usage} (a whole number)")
        if spec.choices and arg and arg not in spec.choices:
            raise CommandError(
                f"Unknown {spec.args.lower()} {arg!r}: one of {', '.join(spec.choices)}"
            )
        return Command(spec.name, arg)

    def run(self, host: H, command: Command) -> None:
        self.specs[command.name].handler(host, command.arg)


class CommandSuggester(Suggester):
    """Completes command names, then their arguments, then the history."""

    def __init__(self, history: list[str], table: CommandTable[Any]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.history = history
        self.table = table

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        for past in reversed(self.history):
            if past.startswith(value) and past != value:
                return past
        bare = value.removeprefix(":")
        name, space, typed = bare.partition(" ")
        if not space:
            for spec in self.table:
                if spec.name.startswith(bare) and spec.name != bare:
                    return (":" if value.startswith(":") else "") + spec.name + " "
            return None
        found = self.table.specs.get(self.table.aliases.get(name, name))
        for choice in found.choices if found is not None else ():
            if choice.startswith(typed) and choice != typed:
                return value[: len(value) - len(typed)] + choice
        return None


class CommandBar(Input):
    """``:`` input with history (up/down) and completion (right arrow / tab accepts)."""

    BINDINGS = [
        Binding("up", "history(-1)", "Older", show=False, id="commands.older"),
        Binding("down", "history(1)", "Newer", show=False, id="commands.newer"),
        Binding("tab", "complete", "Complete", show=False, id="commands.complete"),
    ]

    class Requested(Message):
        """Open the bar with ``text`` typed (from the palette)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, table: CommandTable[Any], *, id: str | None = None) -> None:
        self.history: list[str] = []
        self.table = table
        super().__init__(
            placeholder=":db 3   :filter user:*   :type hash   :key NAME   :del PATTERN",
            id=id,
            suggester=CommandSuggester(self.history, table),
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


def palette(table: CommandTable[Any]) -> type[Provider]:
    """A palette provider (ctrl+p) for the commands of ``table``."""

    class RedisCommands(Provider):
        async def discover(self) -> Hits:
            for spec in table:
                if not spec.needs_arg:
                    yield DiscoveryHit(f":{spec.name}", partial(self._run, spec), help=spec.help)

        async def search(self, query: str) -> Hits:
            matcher = self.matcher(query)
            for spec in table:
                title = f":{spec.name} {spec.args}".strip()
                score = matcher.match(title + " " + spec.help)
                if score > 0:
                    yield Hit(
                        score, matcher.highlight(title), partial(self._run, spec), help=spec.help
                    )

        def _run(self, spec: CommandSpec[Any]) -> None:
            # The screen the palette was opened on owns the bar.
            text = f":{spec.name} " if spec.needs_arg else f":{spec.name}"
            self.screen.post_message(CommandBar.Requested(text))

    return RedisCommands
