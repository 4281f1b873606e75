"""Small pieces of presentation shared by widgets and screens (neither imports the other)."""

from __future__ import annotations

from textual.color import Color, ColorParseError
from textual.content import Content
from textual.style import Style


def swatch(colour: str | None) -> Content:
    """A ``●`` in the profile's colour (plain when the colour is missing or not a colour)."""
    if not colour:
        return Content("●")
    try:
        color = Color.parse(colour)
    except ColorParseError:
        return Content("●")
    return Content.styled("●", Style(foreground=color))
