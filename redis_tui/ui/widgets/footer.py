"""The footer: the focused pane's keys only, and without Textual's Footer leak.

Which keys a pane shows is the screen's choice (``FooterChooser``): the browser shows the
key list's keys while the key list has focus, the value pane's while the value pane has it.
A key shown in one pane's footer may work in others too (``e`` edits the open value from
the key list); ``?`` lists them all.

``Footer.compose`` binds every ``FooterKey`` to ``Footer.compact`` (``data_bind``), which
leaves an entry ``(FooterKey, setter)`` in the Footer's watcher list. Entries are pruned only
when ``compact`` changes, which it never does here, so every recompose (each dialog opened
or closed, each focus change that changes the bindings) kept all the old keys alive: about
1 MB per format switch (Textualize/textual#6666). This Footer drops the entries of keys that
are gone after each recompose.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


@runtime_checkable
class FooterChooser(Protocol):
    def footer_keys(self) -> Sequence[str] | None:
        """The ids of the bindings to show, in order; None: those whose ``show`` is set."""
        ...


class TidyFooter(Footer):
    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        screen = self.screen
        active = screen.active_bindings
        chosen = screen.footer_keys() if isinstance(screen, FooterChooser) else None
        shown: list[tuple[Binding, bool, str]] = []
        if chosen is None:
            seen: set[str] = set()
            for _node, binding, enabled, tooltip in active.values():
                if binding.show and binding.action not in seen:
                    seen.add(binding.action)  # one key per action, as Textual's Footer does
                    shown.append((binding, enabled, tooltip))
        else:
            by_id: dict[str, tuple[Binding, bool, str]] = {}
            for _node, binding, enabled, tooltip in active.values():
                if binding.id is not None and binding.id not in by_id:
                    by_id[binding.id] = (binding, enabled, tooltip)
            shown = [by_id[ident] for ident in chosen if ident in by_id]
        self.styles.grid_size_columns = len(shown)
        for binding, enabled, tooltip in shown:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip or binding.tooltip,
            ).data_bind(compact=Footer.compact)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette:
            _node, binding, enabled, _tooltip = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

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
