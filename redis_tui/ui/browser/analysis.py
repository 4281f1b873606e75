"""``:analyze``, the browser's side: starts the worker's analysis, feeds its screen, keeps
the last result of each connection and database, and lends its sizes to ``:sort size``.

A plain object given the screen as its typed ``Host`` (as the other flows are).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis_tui.data.values.display import escape_key, escape_text
from redis_tui.ui.worker import messages as m

# The analysis code and its screen load on the first :analyze, not at start (0.03 s).
if TYPE_CHECKING:
    from redis_tui.data.analysis import AnalysisResult
    from redis_tui.data.client.settings import ConnectionSettings
    from redis_tui.ui.browser.host import Host
    from redis_tui.ui.screens.analysis import AnalysisScreen

# The top lists the analysis keeps: the screen shows 50 of each; the rest are sizes that
# ``:sort size`` puts first even for keys never shown (the biggest N are exactly these).
SIZE_HINTS = 1000
KEPT_RESULTS = 4  # results kept, one per connection and database (the oldest goes)


@dataclass(frozen=True)
class Kept:
    """The last analysis of one connection and database."""

    result: AnalysisResult
    at: float  # wall clock, for its age
    scope: str
    # MEMORY USAGE of the biggest keys it measured (top lists and namespace largest).
    sizes: dict[bytes, int]


def sizes_of(result: AnalysisResult) -> dict[bytes, int]:
    """Every key size the result holds: its top lists and each namespace's largest key."""
    sizes: dict[bytes, int] = {}
    entries = [*result.top_by_memory, *result.top_by_length]
    entries += [ns.largest for ns in result.namespaces if ns.largest is not None]
    for entry in entries:
        if entry.memory is not None:
            sizes[entry.key] = entry.memory
    return sizes


class AnalysisFlow:
    """One per browser screen; results are kept per connection settings (which name the db)."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.kept: OrderedDict[ConnectionSettings, Kept] = OrderedDict()
        self.run = 0
        # The run in progress: the worker connection (id, epoch) and settings it started on.
        self._running: tuple[tuple[int, int], ConnectionSettings, str] | None = None
        self.screen: AnalysisScreen | None = None

    # -- what the user asks -------------------------------------------------------------

    def scope(self) -> str:
        filters = self.host.view.filters
        if filters.pattern:
            pattern = escape_text(filters.pattern, multiline=False)
            text = f"keys matching {pattern} (the key list's filter)"
        else:
            text = "every key"
        if filters.type_name or filters.no_ttl_only:
            text += " · the type and no-TTL filters do not apply: every type, with or without TTL"
        return text

    def running(self) -> bool:
        running = self._running
        return running is not None and running[0] == self.host.redis.connection

    def open(self) -> None:
        """Show the analysis screen: the last result here (with its age), or a new run."""
        if self.screen is not None:
            return
        host = self.host
        settings = host.settings
        where = f"db {settings.db} · {settings.describe()}"
        kept = self.kept.get(settings)
        scope = self.scope()
        if kept is not None and not self.running() and kept.scope != scope:
            scope = f"{kept.scope} · the key list now shows {scope}: r analyses those"
        from redis_tui.ui.screens.analysis import AnalysisScreen

        self.screen = AnalysisScreen(where, scope, stop=self.stop, rerun=self.rerun)
        host.push_screen(self.screen, self._closed)
        if self.running():
            self.screen.started()
        elif kept is not None:
            self.screen.finished(kept.result, kept.at)
        else:
            self.start()

    def start(self) -> None:
        host = self.host
        from redis_tui.data.analysis import AnalysisOptions

        self.run += 1
        options = AnalysisOptions(
            delimiter=host.config.delimiter.encode(),
            match=host.view.filters.match,
            top=SIZE_HINTS,
        )
        self._running = (host.redis.connection, host.settings, self.scope())
        host.redis.analyze(self.run, options)
        if self.screen is not None:
            self.screen.started(self._running[2])

    def rerun(self) -> None:
        self.start()

    def stop(self) -> None:
        if self.running():
            self.host.redis.stop_analysis()

    def _closed(self, key: bytes | None) -> None:
        self.screen = None
        if key is not None:
            # As ``:key NAME`` does: found without a scan, then highlighted and opened.
            self.host.selection.expect(key)
            self.host.redis.lookup(key)
            self.host.notify(f"Opening {escape_key(key)}", timeout=1.5, markup=False)

    # -- the worker's messages ----------------------------------------------------------

    def progressed(self, event: m.AnalysisProgressed) -> None:
        if event.run == self.run and self.screen is not None:
            self.screen.progressed(event.progress)

    def finished(self, event: m.AnalysisFinished) -> None:
        if event.run != self.run or self._running is None:
            return
        _, settings, scope = self._running
        self._running = None
        if event.result is None:
            if self.screen is not None:
                self.screen.failed(event.reason)
            return
        kept = Kept(event.result, time.time(), scope, sizes_of(event.result))
        self.kept[settings] = kept
        self.kept.move_to_end(settings)
        while len(self.kept) > KEPT_RESULTS:
            self.kept.popitem(last=False)
        if self.screen is not None:
            self.screen.finished(kept.result, kept.at)
        if settings == self.host.settings and self.host.view.store.sort_field == "size":
            self.apply_sizes()  # sorted by size: the biggest go to the top now

    # -- sizes for the key list ---------------------------------------------------------

    def _sizes(self) -> dict[bytes, int]:
        kept = self.kept.get(self.host.settings)
        return kept.sizes if kept is not None else {}

    def keys_listed(self, keys: Sequence[bytes]) -> None:
        """A scan page was just added to the store: give its keys the analysis' sizes."""
        sizes = self._sizes()
        if sizes:
            self._apply_sizes(keys)

    def apply_sizes(self) -> None:
        """Before a sort by size: every listed key the analysis measured gets its size (one
        pass over the store, ~40 ms at a million keys; the sort itself costs more)."""
        if self._sizes():
            self._apply_sizes(None)

    def _apply_sizes(self, keys: Sequence[bytes] | None) -> None:
        """Sizes of the listed keys (``keys``: a page just added at the end; None: all)."""
        sizes = self._sizes()
        store = self.host.view.store
        if keys is None:
            hits = [key for key in sizes if key in store]
            hints: list[int] = []
        else:
            base = len(store) - len(keys)
            found = [(base + i, key) for i, key in enumerate(keys) if key in sizes]
            hits, hints = [key for _, key in found], [i for i, _ in found]
        if not hits:
            return
        store.set_sizes(hits, [sizes[key] for key in hits], hints)
        if keys is None and store.sort_field == "size":
            self.host.view.sort_by("size", self.host.keys)
