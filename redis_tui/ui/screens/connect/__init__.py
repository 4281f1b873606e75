"""``o``: the connection screen (``screen``), its form (``form``) and its dialogs (``dialogs``)."""

from redis_tui.ui.screens.connect.dialogs import PasswordScreen, ProfileChoice, SaveProfileScreen
from redis_tui.ui.screens.connect.screen import ConnectScreen, ProfileList

__all__ = ["ConnectScreen", "PasswordScreen", "ProfileChoice", "ProfileList", "SaveProfileScreen"]
