"""The value pane's text: a read-only TextArea.

A module of its own so that TextArea (~10 ms to import) loads after the first frame, with the
first value or just after that frame (``ValuePane.compose_hidden``), not at start.
"""

from __future__ import annotations

from textual.widgets import TextArea
from textual.widgets.text_area import Location


class ValueText(TextArea):
    """The read-only text of a string value."""

    def find_matching_bracket(self, bracket: str, search_from: Location) -> Location | None:
        # TextArea looks for the matching bracket on every cursor move even when matching is
        # off: a walk of the whole text (0.1 s on 300 KB) when the cursor sits on a bracket.
        if not self.match_cursor_bracket:
            return None
        return super().find_matching_bracket(bracket, search_from)
