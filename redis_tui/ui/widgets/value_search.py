"""``/`` inside a value on the server: what the value pane keeps of the search running.

The matches of a hash, set, zset, list or stream replace the page in the table as they
arrive; a string's matches past the loaded text are listed by byte offset in the footer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from redis_tui.data.values.display import escape_text, unescape_key

# Loaded with the first search or score range (the first screen has neither).
if TYPE_CHECKING:
    from redis_tui.data.values.readers import KeyValue, ValueOrder
    from redis_tui.data.values.search import Batch, Query
    from redis_tui.ui.screens.prompt import PromptScreen

# The collections whose whole value ``/`` searches on the server.
SERVER_SEARCHED = frozenset({"hash", "set", "zset", "list", "stream"})


@dataclass
class ServerSearch:
    """One search: its query, the worker's generation, what came and how far it got."""

    query: str
    kind: str
    generation: int | None = None
    matches: int = 0
    examined: int = 0
    total: int | None = None
    done: bool = False
    capped: bool = False
    scope: str = ""
    error: str | None = None
    # n pressed past the matches that came so far: the row to move to when they come.
    wanted_row: int | None = None
    # Strings: (offset, context) of matches past the loaded text.
    offsets: list[tuple[int, bytes]] = field(default_factory=list)

    def took(self, batch: Batch, error: str | None) -> None:
        self.matches += len(batch.rows)
        self.examined, self.total = batch.examined, batch.total
        self.done, self.capped, self.scope = batch.done, batch.capped, batch.scope
        self.error = error
        if self.kind == "string":
            self.offsets += [(int(r[0]), bytes(r[1])) for r in batch.rows]

    def status(self) -> str:
        """ "12 matches · searching 45% of 200,000", then "… · done"."""
        noun = "match" if self.matches == 1 else "matches"
        where = f" in {self.scope}" if self.scope else ""
        head = f"{self.matches:,} {noun} for {escape_text(self.query, multiline=False)}{where}"
        of = f"{self.total:,}" if self.total is not None else "?"
        unit = " bytes" if self.kind == "string" else ""
        if self.error is not None:
            tail = f"stopped after {self.examined:,} of {of}{unit}: {self.error}"
        elif not self.done:
            percent = f"{min(99, self.examined * 100 // self.total)}% " if self.total else ""
            tail = f"searching {percent}of {of}{unit}"
        elif self.capped:
            tail = f"stopped at a cap after {self.examined:,} of {of}{unit}"
        else:
            tail = "done"
        if self.kind == "string" and self.offsets:
            first = self.offsets[0]
            context = escape_text(first[1], multiline=False)
            tail += f" · first past the loaded text at byte {first[0]:,}: …{context}…"
        elif self.kind != "string":
            tail += " · n/N next/previous · / enter with nothing shows the pages again"
        return f"{head} · {tail}"


def query_of(text: str) -> Query:
    """The bytes searched for (``\\xNN`` and the escapes the key dialogs accept), smart case."""
    from redis_tui.data.values.search import Query

    return Query.smart(unescape_key(text))


# -- O and B: the order a list or sorted set is paged in --------------------------------------


def order_facts(value: KeyValue) -> list[str]:
    """What the header says of a list's or zset's order (nothing for the default)."""
    order = value.order
    facts: list[str] = []
    if order.reverse:
        facts.append("from the tail" if value.type == "list" else "by rank, descending")
    if order.by_score and order.score_min is not None and order.score_max is not None:
        low, high = order.score_min.decode(), order.score_max.decode()
        facts.append(f"scores {low} to {high}")
    return facts


def bound_error(text: str) -> str | None:
    """Why ``text`` is no ZRANGEBYSCORE bound (``1.5``, ``(1.5``, ``-inf``, ``+inf``)."""
    number = text.strip().removeprefix("(")
    try:
        parsed = float(number)
    except ValueError:
        return f"not a score: {text.strip()} (a number, (number for exclusive, -inf or +inf)"
    return "not a score: nan" if math.isnan(parsed) else None


def score_range_prompt(order: ValueOrder) -> PromptScreen:
    from redis_tui.ui.screens.prompt import Field, PromptScreen

    low = order.score_min.decode() if order.score_min is not None else "-inf"
    high = order.score_max.decode() if order.score_max is not None else "+inf"
    return PromptScreen(
        "Sorted set members by score",
        [Field("min", low, "-inf, 1.5, or (1.5 for exclusive"),
         Field("max", high, "+inf, 10, or (10 for exclusive")],
        note="A ( before a score excludes it. -inf and +inf: no bound (both: every member).",
        validate=lambda v: bound_error(v[0] or "-inf") or bound_error(v[1] or "+inf"),
    )  # fmt: skip


def score_range(values: list[str], order: ValueOrder) -> ValueOrder:
    """The order with the range typed in the prompt (no range when both bounds are open)."""
    low = values[0].strip() or "-inf"
    high = values[1].strip() or "+inf"
    if low == "-inf" and high in ("+inf", "inf"):
        return replace(order, score_min=None, score_max=None)
    return replace(order, score_min=low.encode(), score_max=high.encode())
