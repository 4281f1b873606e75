"""App-level messages the background worker posts. Past tense: they report what happened."""

from __future__ import annotations

from collections.abc import Sequence

from textual.message import Message

from redis_tui.data.keyspace import ServerFacts
from redis_tui.data.values import KeyValue


class WorkerMessage(Message):
    """Base of everything the background worker posts."""


class Connected(WorkerMessage):
    def __init__(self, facts: ServerFacts, where: str) -> None:
        super().__init__()
        self.facts = facts
        self.where = where


class ConnectionLost(WorkerMessage):
    def __init__(self, reason: str, retry_in: float) -> None:
        super().__init__()
        self.reason = reason
        self.retry_in = retry_in


class ServerPolled(WorkerMessage):
    def __init__(
        self, facts: ServerFacts, keys: Sequence[bytes], pttls: Sequence[int], hints: Sequence[int]
    ) -> None:
        super().__init__()
        self.facts = facts
        self.keys = keys
        self.pttls = pttls
        self.hints = hints


class KeysScanned(WorkerMessage):
    def __init__(
        self,
        generation: int,
        keys: list[bytes],
        types: list[bytes],
        pttls: list[int],
        done: bool,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.keys = keys
        self.types = types
        self.pttls = pttls
        self.done = done


class ValueLoaded(WorkerMessage):
    def __init__(self, value: KeyValue, append: bool = False) -> None:
        super().__init__()
        self.value = value
        self.append = append


class ValueFailed(WorkerMessage):
    def __init__(self, key: bytes, reason: str) -> None:
        super().__init__()
        self.key = key
        self.reason = reason


class KeyDeleted(WorkerMessage):
    def __init__(self, key: bytes) -> None:
        super().__init__()
        self.key = key


class WorkerFailed(WorkerMessage):
    """Something the user asked for did not happen; ``reason`` says why, in one line."""

    def __init__(self, action: str, reason: str, key: bytes | None = None) -> None:
        super().__init__()
        self.action = action
        self.reason = reason
        self.key = key
