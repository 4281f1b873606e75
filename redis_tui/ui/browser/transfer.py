"""``:export PATTERN PATH [--dump]`` (``:export PATH`` for the marked keys) and
``:import PATH [--replace|--skip]``: the flow between the command bar, the transfer dialog
and the worker's transfer jobs."""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING

from redis_tui.data.transfer.importer import Policy
from redis_tui.data.values.display import escape_key, unescape_key
from redis_tui.ui.screens.transfer import TransferScreen
from redis_tui.ui.worker import transfer as t

if TYPE_CHECKING:
    from redis_tui.ui.browser.edits import EditFlow
    from redis_tui.ui.browser.host import Host

EXPORT_USAGE = "usage: :export PATTERN PATH [--dump], or :export PATH for the marked keys"
IMPORT_USAGE = "usage: :import PATH [--replace|--skip]"


def parse_export(arg: str, marked: int = 0) -> tuple[bytes | None, str, bool] | str:
    """``PATTERN PATH [--dump]`` → (pattern, path, dump), or the error to show. With keys
    marked, ``PATH [--dump]`` alone is (None, path, dump): export the marked keys."""
    try:
        words = shlex.split(arg)
    except ValueError as exc:
        return f"{exc}: {EXPORT_USAGE}"
    dump = "--dump" in words
    rest = [w for w in words if w != "--dump"]
    if any(w.startswith("--") for w in rest):
        return EXPORT_USAGE
    if len(rest) == 1:
        if not marked:
            return f"no keys are marked (space marks the key under the cursor): {EXPORT_USAGE}"
        return None, os.path.expanduser(rest[0]), dump
    if len(rest) != 2:
        return EXPORT_USAGE
    pattern = unescape_key(rest[0])
    if not pattern:
        return f"the pattern cannot be empty ('*' is every key): {EXPORT_USAGE}"
    return pattern, os.path.expanduser(rest[1]), dump


def parse_import(arg: str) -> tuple[str, Policy] | str:
    """``PATH [--replace|--skip]`` → (path, policy; "ask" by default), or the error."""
    try:
        words = shlex.split(arg)
    except ValueError as exc:
        return f"{exc}: {IMPORT_USAGE}"
    flags = [w for w in words if w.startswith("--")]
    rest = [w for w in words if not w.startswith("--")]
    if len(rest) != 1 or len(flags) > 1 or any(f not in ("--replace", "--skip") for f in flags):
        return IMPORT_USAGE
    policy: Policy = "ask" if not flags else ("replace" if flags[0] == "--replace" else "skip")
    return os.path.expanduser(rest[0]), policy


class TransferFlow:
    """Composed into the browser screen; one transfer dialog at a time."""

    def __init__(self, host: Host, edits: EditFlow) -> None:
        self.host = host
        self.edits = edits
        self.dialog: TransferScreen | None = None

    def _warn(self, text: str) -> None:
        self.host.notify(text, severity="warning", markup=False)

    def _open(self, dialog: TransferScreen) -> None:
        def closed(wrote: bool | None) -> None:
            self.dialog = None
            if wrote:
                self.host.start_scan()

        self.dialog = dialog
        self.host.push_screen(dialog, closed)

    def export_command(self, arg: str) -> None:
        marked = self.host.keys.marked
        parsed = parse_export(arg, len(marked))
        if isinstance(parsed, str):
            self._warn(parsed)
            return
        pattern, path, dump = parsed
        jobs = self.host.redis.transfer
        how = " (DUMP payloads)" if dump else ""
        if pattern is None:
            noun = "key" if len(marked) == 1 else "keys"
            title = f"Export the {len(marked):,} marked {noun} to {path}{how}"
            self._open(TransferScreen(title, importing=False, stop=jobs.stop))
            jobs.export(b"", path, dump, names=tuple(sorted(marked)))
            return
        title = f"Export keys matching {escape_key(pattern)} to {path}{how}"
        self._open(TransferScreen(title, importing=False, stop=jobs.stop))
        jobs.export(pattern, path, dump)

    def import_command(self, arg: str) -> None:
        parsed = parse_import(arg)
        if isinstance(parsed, str):
            self._warn(parsed)
            return
        if self.edits.refused("import"):
            return
        path, policy = parsed
        jobs = self.host.redis.transfer
        how = {
            "ask": "ask for each existing key",
            "replace": "replace existing keys",
            "skip": "skip existing keys",
        }[policy]

        def start() -> None:
            self.edits.confirm_write(f"import {path}", lambda: jobs.start_import(path, policy))

        self._open(
            TransferScreen(
                f"Import {path} ({how})",
                importing=True,
                start=start,
                answer=jobs.answer,
                stop=jobs.stop,
            )
        )
        jobs.plan(path, policy)

    def handle(self, event: t.TransferMessage) -> None:
        """A worker message about the transfer running (the dialog may have been closed)."""
        dialog = self.dialog
        match event:
            case t.ExportProgressed(progress=progress):
                if dialog is not None:
                    dialog.export_progressed(progress)
            case t.KeysExported(summary=summary):
                if dialog is not None:
                    dialog.exported(summary)
                else:
                    self.host.notify(summary.describe(), markup=False)
            case t.ImportPlanned(plan=plan):
                if dialog is not None:
                    dialog.planned(plan, event.time)
            case t.ImportProgressed(progress=progress):
                if dialog is not None:
                    dialog.import_progressed(progress)
            case t.ImportAsked(key=key):
                if dialog is not None:
                    dialog.asked(key, event.time)
                else:
                    self.host.redis.transfer.answer("cancel")
            case t.KeysImported(summary=summary):
                if dialog is not None:
                    dialog.imported(summary)
                else:
                    self.host.notify(summary.describe(), markup=False)
                    self.host.start_scan()
            case t.TransferFailed(action=action, reason=reason, refused=refused):
                if dialog is not None:
                    dialog.failed(reason)
                title = "Refused" if refused else f"{action.capitalize()} failed"
                self.host.notify(reason, title=title, severity="warning", markup=False)
