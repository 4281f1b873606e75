"""Textual's Footer, without its leak.

``Footer.compose`` binds every ``FooterKey`` to ``Footer.compact`` (``data_bind``), which
leaves an entry ``(FooterKey, setter)`` in the Footer's watcher list. Entries are pruned only
when ``compact`` changes, which it never does here, so every recompose (each dialog opened
or closed, each focus change that changes the bindings) kept all the old keys alive: about
1 MB per format switch (Textualize/textual#6666). This Footer drops the entries of keys that
are gone after each recompose.
"""

from __future__ import annotations

from textual.widgets import Footer


class TidyFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        self.prune_watchers()

    def prune_watchers(self) -> int:
        """Drop watchers whose widget is no longer in the DOM; how many were dropped."""
        watchers = getattr(self, "__watchers", None)
        if not watchers:
            return 0
        dropped = 0
        for name, entries in watchers.items():
            kept = [(node, callback) for node, callback in entries if node.is_attached]
            dropped += len(entries) - len(kept)
            watchers[name] = kept
        return dropped
