"""Edits from the keyboard: the browser's side of ``e a x t R C d u @`` and ``:del``/``:ttl``.

Every action only builds an edit and queues it on the worker, which applies it if the key
is still the version the user saw. Results come back as messages the screen hands here.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.content import Content

from redis_tui.data.edit import plans
from redis_tui.data.edit.ops import (
    AddSetMembers,
    AddStreamEntry,
    AddZsetMembers,
    Copy,
    CreateKey,
    Delete,
    DeleteHashField,
    DeleteStreamEntries,
    EditOp,
    InsertListElement,
    PushListElement,
    RemoveListElement,
    RemoveSetMembers,
    RemoveZsetMembers,
    Rename,
    RenameHashField,
    SetHashField,
    SetHashFieldTtl,
    SetListElement,
    SetString,
    SetTtl,
    SetZsetScore,
    json_for_saving,
)
from redis_tui.data.edit.undo import UNDO_CAP, UndoEntry
from redis_tui.data.values.display import (
    escape_key,
    escape_text,
    human_bytes,
    human_ttl,
    unescape_key,
)
from redis_tui.data.values.durations import parse_ttl
from redis_tui.data.values.readers import KeyValue
from redis_tui.ui.screens.bulk import BulkDeleteScreen
from redis_tui.ui.screens.cmdlog import CommandLogScreen
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import ConflictScreen, EditTextScreen, Field, PromptScreen
from redis_tui.ui.style import key_label
from redis_tui.ui.worker import messages as m

if TYPE_CHECKING:
    from redis_tui.data.edit.version import Version
    from redis_tui.ui.browser.host import Host

# A key in a dialog's body (about nine lines of it) and in a dialog's title.
DIALOG_KEY_CELLS = 560
UNDO_SHOWN = 8  # keys of one change named in the undo dialog
TITLE_KEY_CELLS = 60
TTL_HELP = "90, 90s, 15m, 2h, 1d, 1h30m, an ISO time like 2026-12-01T10:00Z, or persist"


class EditFlow:
    """Edits of the selected key and its elements, composed into the browser screen."""

    def __init__(self, host: Host) -> None:
        self.host = host
        # The version an open edit dialog started from (taken when it opened).
        self._edit_base: Version | None = None
        self._bulk: BulkDeleteScreen | None = None

    # -- helpers ------------------------------------------------------------------------

    def loaded(self) -> KeyValue | None:
        """The value on screen, if it belongs to the selected key and is fully loaded.

        Also takes the version the user is looking at *now*: the dialog that follows edits
        from it, even if a reload lands while the dialog is open.
        """
        value = self.host.value_pane.value
        if value is None or value.key != self.host.keys.current_key or self.host.version is None:
            self.host.notify("Select a key first (its value must be loaded)", severity="warning")
            return None
        self._edit_base = self.host.version
        return value

    def selected_row(self, value: KeyValue) -> tuple[Any, ...] | None:
        table = self.host.value_pane.table
        if not table.display or not value.rows:
            return None
        row = table.cursor_row
        return value.rows[row] if 0 <= row < len(value.rows) else None

    def _queue(self, op: EditOp) -> bool:
        """Queue an edit (built from ``_edit_base``, the version on screen). True, for use in
        callbacks."""
        self.confirm_write(f"{op.action} on {escape_key(op.key)}", lambda: self.host.redis.edit(op))
        return True

    @property
    def production(self) -> bool:
        profile = self.host.profile
        return profile is not None and profile.production

    def refused(self, what: str) -> bool:
        """On a read-only connection: say so (every write key does, none stays silent) and
        return True; the worker refuses the write regardless."""
        if not self.host.settings.readonly:
            return False
        self.host.notify(
            f"Read-only connection: {what} refused. Reconnect without --readonly to change data.",
            severity="warning",
            markup=False,
        )
        return True

    def confirm_write(self, what: str, then: Callable[[], object]) -> None:
        """Run ``then`` at once, or on a production profile after the profile name is typed."""
        profile = self.host.profile
        if profile is None or not profile.production:
            then()
            return
        name = profile.name
        self.host.push_screen(
            PromptScreen(
                f"Production: {what}",
                [Field(f"type {name} to confirm")],
                note="This profile is marked production.",
                validate=lambda v: None if v[0].strip() == name else f"type exactly {name}",
            ),
            given(lambda v: then()),
        )

    # -- e: edit ------------------------------------------------------------------------

    def edit(self) -> None:
        value = self.loaded()
        if value is None:
            return
        if value.type == "string":
            self._edit_string(value)
            return
        if value.type not in ("hash", "list", "set", "zset", "stream"):
            self.host.notify(f"{value.type} values are read-only here", severity="warning")
            return
        row = self.selected_row(value)
        if row is None:
            self.host.notify(
                "Select an element in the value pane (3, then j/k)", severity="warning"
            )
            return
        key = value.key
        if value.type == "hash":
            old_field, old_value = row
            if not (_is_utf8(old_field) and _is_utf8(old_value)):
                self.host.notify("Binary field or value: not editable as text", severity="warning")
                return

            def saved(values: list[str] | None) -> None:
                if values is None:
                    return
                new_field, new_value = values[0].encode(), values[1].encode()
                if new_field != old_field and new_value != old_value:
                    self.host.notify(
                        "Change the field name or the value, one at a time", severity="warning"
                    )
                elif new_field != old_field:
                    self._queue(
                        RenameHashField(
                            key, self._edit_base, old_field, new_field, expected=old_value
                        )
                    )
                elif new_value != old_value:
                    self._queue(
                        SetHashField(key, self._edit_base, old_field, new_value, expected=old_value)
                    )

            fields = [Field("field", old_field.decode()), Field("value", old_value.decode())]
            self.host.push_screen(PromptScreen(f"Edit hash field of {_of(key)}", fields), saved)
        elif value.type == "list":
            index, element = row
            if not _is_utf8(element):
                self.host.notify("Binary element: not editable as text", severity="warning")
                return
            self.host.push_screen(
                PromptScreen(
                    f"Edit list element {index} of {_of(key)}", [Field("value", element.decode())]
                ),
                given(
                    lambda v: self._queue(
                        SetListElement(key, self._edit_base, index, v[0].encode(), expected=element)
                    )
                ),
            )
        elif value.type == "zset":
            member, score = row
            self.host.push_screen(
                PromptScreen(
                    f"Change score in {_of(key)}",
                    [Field("score", repr(score))],
                    note=f"member {escape_text(member, multiline=False)}",
                    validate=lambda v: _float_error(v[0]),
                ),
                given(
                    lambda v: self._queue(
                        SetZsetScore(key, self._edit_base, member, float(v[0]), expected=score)
                    )
                ),
            )
        elif value.type == "set":
            self.host.notify(
                "Set members cannot change in place: add (a) one and remove (x) the old"
            )
        else:
            self.host.notify("Stream entries cannot change: add (a) one or delete (x) this one")

    def _edit_string(self, value: KeyValue) -> None:
        if value.truncated:
            self.host.notify(
                "Too large to edit here: only the first 64 KB are loaded", severity="warning"
            )
            return
        data = value.data or b""
        if not _is_utf8(data):
            self.host.notify(
                "Binary value (not UTF-8, or control characters): not editable as text",
                severity="warning",
            )
            return
        text = data.decode("utf-8")
        was_json, compact = False, False
        try:
            parsed = json.loads(text) if text.lstrip()[:1] in ("{", "[") else None
        except ValueError:
            parsed = None
        if parsed is not None:
            was_json, compact = True, "\n" not in text
            text = json.dumps(parsed, indent=2, ensure_ascii=False)
        key = value.key
        note = "JSON: validated on save, written back compact" if compact else ""
        screen = EditTextScreen(f"Edit {key_label(key, TITLE_KEY_CELLS)}", text, note)

        def saved(new_text: str | None) -> None:
            if new_text is None:
                return
            try:
                payload = (
                    json_for_saving(new_text, compact=compact) if was_json else new_text.encode()
                )
            except ValueError as exc:
                self.host.notify(f"Not saved: {exc}", severity="error", markup=False)
                return
            if payload == data:
                self.host.notify("No change", timeout=1.5)
                return
            self._queue(SetString(key, self._edit_base, payload))

        self.host.push_screen(screen, saved)

    # -- a / x: add and remove elements -------------------------------------------------

    def add_element(self) -> None:
        value = self.loaded()
        if value is None:
            return
        key = value.key
        if value.type == "hash":
            self.host.push_screen(
                PromptScreen(f"Add hash field to {_of(key)}", [Field("field"), Field("value")]),
                given(
                    lambda v: self._queue(
                        SetHashField(
                            key, self._edit_base, v[0].encode(), v[1].encode(), must_be_new=True
                        )
                    )
                ),
            )
        elif value.type == "list":

            def add(v: list[str] | None) -> None:
                if v is None:
                    return
                where = v[1].strip().lower() or "tail"
                base = self._edit_base
                if where in ("head", "tail"):
                    self._queue(PushListElement(key, base, (v[0].encode(),), left=where == "head"))
                else:
                    self._queue(InsertListElement(key, base, int(where), v[0].encode()))

            self.host.push_screen(
                PromptScreen(
                    f"Add list element to {_of(key)}",
                    [
                        Field("value"),
                        Field("where", "tail", "head, tail, or an index to insert before"),
                    ],
                    validate=lambda v: (
                        None
                        if v[1].strip().lower() in ("", "head", "tail")
                        or v[1].strip().lstrip("-").isdigit()
                        else "where: head, tail or an index"
                    ),
                ),
                add,
            )
        elif value.type == "set":
            self.host.push_screen(
                PromptScreen(f"Add set member to {_of(key)}", [Field("member")]),
                given(lambda v: self._queue(AddSetMembers(key, self._edit_base, (v[0].encode(),)))),
            )
        elif value.type == "zset":
            self.host.push_screen(
                PromptScreen(
                    f"Add sorted set member to {_of(key)}",
                    [Field("member"), Field("score", "0")],
                    validate=lambda v: _float_error(v[1]),
                ),
                given(
                    lambda v: self._queue(
                        AddZsetMembers(key, self._edit_base, v[0].encode(), float(v[1]))
                    )
                ),
            )
        elif value.type == "stream":

            def add_entry(v: list[str] | None) -> None:
                if v is not None:
                    fields = tuple(_parse_fields(v[0]).items())
                    entry_id = (v[1].strip() or "*").encode()
                    self._queue(AddStreamEntry(key, self._edit_base, fields, entry_id=entry_id))

            self.host.push_screen(
                PromptScreen(
                    f"Add stream entry to {_of(key)}",
                    [Field("fields", "", "name=value name2=value2"), Field("id", "*")],
                    validate=lambda v: None if _parse_fields(v[0]) else "fields: name=value …",
                ),
                add_entry,
            )
        else:
            self.host.notify("Strings have no elements: e edits the value", severity="warning")

    def remove_element(self) -> None:
        value = self.loaded()
        if value is None:
            return
        row = self.selected_row(value)
        if row is None:
            self.host.notify("Select an element in the value pane first", severity="warning")
            return
        key, item = value.key, row[0]
        removals: dict[str, tuple[Callable[[Version | None], EditOp], str]] = {
            "hash": (lambda base: DeleteHashField(key, base, (item,)), "field"),
            "list": (lambda base: RemoveListElement(key, base, item), "element"),
            "set": (lambda base: RemoveSetMembers(key, base, (item,)), "member"),
            "zset": (lambda base: RemoveZsetMembers(key, base, (item,)), "member"),
            "stream": (lambda base: DeleteStreamEntries(key, base, (item,)), "entry"),
        }
        removal, noun = removals[value.type]
        label = str(row[0]) if value.type == "list" else escape_text(row[0], multiline=False)
        body = Content.from_markup(
            "Remove the $noun [b]$label[/b]\nfrom [b]$key[/b]?",
            noun=noun,
            label=label,
            key=key_label(key, DIALOG_KEY_CELLS),
        )
        self.host.push_screen(
            ConfirmScreen(f"Remove {noun}", body, confirm_label="Remove"),
            confirmed(lambda: self._queue(removal(self._edit_base))),
        )

    # -- t, R, C: TTL, rename, copy -------------------------------------------------------

    def _base_for(self, key: bytes) -> None:
        """Key-only actions start from the version on screen when it is this key's, else from
        the key as it is when the edit runs (they never rewrite the value)."""
        value = self.host.value_pane.value
        self._edit_base = self.host.version if value is not None and value.key == key else None

    def ttl_command(self, text: str) -> None:
        """``:ttl TEXT``: the TTL dialog for the selected key, prefilled: the key the change
        lands on is named, and enter confirms it (a TTL of 1s loses the key as surely as
        a delete)."""
        if self.refused("set ttl"):
            return
        key = self.host.keys.current_key
        if key is None:
            self.host.notify("Select a key first", severity="warning")
            return
        error = _ttl_error(text)
        if error is not None:
            self.host.notify(error, severity="warning", markup=False)
            return
        self.ttl(key, text)

    def ttl(self, key: bytes, typed: str | None = None) -> None:
        self._base_for(key)
        # The key list's TTL, else the value pane's: both count down from their reads.
        store = self.host.view.store
        index = store.index_of(key)
        ttl_ms = store.ttl_ms(index) if index is not None else None
        value = self.host.value_pane.value
        if ttl_ms is None and value is not None and value.key == key:
            ttl_ms = self.host.value_pane.ttl_left_ms()
        if ttl_ms is None:
            current, now = "", "unknown"
        elif ttl_ms == -1:
            current = now = "persist"
        elif ttl_ms <= 0:  # expired, or about to: nothing sensible to pre-fill
            current, now = "", "expired"
        else:
            current = now = f"{math.ceil(ttl_ms / 1000)}s"
        self.host.push_screen(
            PromptScreen(
                f"Set TTL of {key_label(key, TITLE_KEY_CELLS)}",
                [Field("TTL", current if typed is None else typed, TTL_HELP)],
                note=f"now: {now}",
                validate=lambda v: _ttl_error(v[0]),
            ),
            given(lambda v: self.apply_ttl_text(v[0], key)),
        )

    def field_ttl(self) -> None:
        """``F``: the TTL of the selected hash field (Redis 7.4+, Valkey 9)."""
        value = self.loaded()
        if value is None:
            return
        row = self.selected_row(value) if value.type == "hash" else None
        if value.type != "hash" or row is None:
            self.host.notify("Select a hash field first (3, then j/k)", severity="warning")
            return
        if value.field_ttls is None:
            self.host.notify(
                "This server has no hash field TTLs (Redis 7.4+, Valkey 9)", severity="warning"
            )
            return
        index = value.rows.index(row)
        ttl = value.field_ttls[index] if index < len(value.field_ttls) else -1
        current = "persist" if ttl < 0 else f"{math.ceil(ttl / 1000)}s"
        key, name = value.key, row[0]
        base = self._edit_base

        def given_ttl(values: list[str] | None) -> None:
            if values is None or self.refused("hash field ttl"):
                return
            try:
                ttl_ms = parse_ttl(values[0])
            except ValueError as exc:
                self.host.notify(str(exc), severity="warning", markup=False)
                return
            self._queue(SetHashFieldTtl(key, base, name, ttl_ms))

        self.host.push_screen(
            PromptScreen(
                f"TTL of field {key_label(name, TITLE_KEY_CELLS)} of {_of(key)}",
                [Field("TTL", current, TTL_HELP)],
                note=f"now: {current} (the key's own TTL is t)",
                validate=lambda v: _ttl_error(v[0]),
            ),
            given_ttl,
        )

    def apply_ttl_text(self, text: str, key: bytes) -> bool:
        """The TTL dialog's answer, for the key it named."""
        if self.refused("set ttl"):
            return False
        try:
            ttl_ms = parse_ttl(text)
        except ValueError as exc:
            self.host.notify(str(exc), severity="warning", markup=False)
            return False
        return self._queue(SetTtl(key, self._edit_base, ttl_ms))

    def rename(self, key: bytes) -> None:
        self._ask_new_name(Rename, "Rename", key)

    def copy_to(self, key: bytes) -> None:
        self._ask_new_name(Copy, "Copy", key)

    def _ask_new_name(self, move: type[Rename] | type[Copy], title: str, key: bytes) -> None:
        self._base_for(key)
        self.host.push_screen(
            PromptScreen(
                # The key that moves is named, not only prefilled in the field the user edits.
                f"{title} {key_label(key, TITLE_KEY_CELLS)}",
                [Field("new name", escape_key(key))],
                note="\\xNN escapes type raw bytes; an existing key is not overwritten unasked",
            ),
            given(
                lambda v: (
                    unescape_key(v[0]) == key
                    or self._queue(move(key, self._edit_base, unescape_key(v[0]), overwrite=False))
                )
            ),
        )

    # -- n: a new key ----------------------------------------------------------------------

    def create_key(self) -> None:
        """``n``: one dialog for the name, type, first value and TTL; enter creates. An
        existing key is never overwritten unasked (the worker refuses; a dialog asks)."""
        if self.refused("create key"):
            return
        self.host.push_screen(
            PromptScreen(
                f"New key in db {self.host.settings.db}",
                [
                    Field("name", "", "\\xNN escapes type raw bytes"),
                    Field("type", "string", " · ".join(CREATE_KINDS)),
                    Field(
                        "value · list element · set or zset member · hash field · stream "
                        "name=value …"
                    ),
                    Field(
                        "hash: the field's value · zset: its score · stream: the entry id",
                        "",
                        "score 0, id * when blank",
                    ),
                    Field("TTL", "", "none when blank · 90s, 15m, 2h, 1d, an ISO time"),
                ],
                note="enter: next field, and on the last creates · more elements afterwards: a",
                compact=True,
                validate=_create_error,
            ),
            given(lambda v: self._queue(_new_key(v))),
        )

    # -- d: delete --------------------------------------------------------------------------

    def undo_promise(self, what: str = "it", memory: int | None = None) -> str:
        """What ``u`` will be able to do after a delete, said before the user confirms."""
        if "DUMP" in self.host.conn_pane.facts.unavailable:
            return "No undo: DUMP is not permitted for this user."
        if memory is not None and memory > UNDO_CAP:
            return f"No undo: over the {UNDO_CAP // 2**20} MB undo limit."
        return f"u undoes {what} while redis-tui runs."

    def delete(self, key: bytes) -> None:
        value = self.host.value_pane.value
        memory = value.memory if value is not None and value.key == key else None
        body = Content.from_markup(
            "Delete the key\n\n[b]$key[/b]\n\nfrom db $db? $undo",
            key=key_label(key, DIALOG_KEY_CELLS),
            db=str(self.host.settings.db),
            undo=self.undo_promise(memory=memory),
        )
        version = self.host.version if value is not None and value.key == key else None

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.confirm_write(
                    f"delete {escape_key(key)}", lambda: self.host.redis.delete(key, version)
                )

        self.host.push_screen(ConfirmScreen("Delete key", body), answered)

    def deleted(self, event: m.KeyDeleted) -> None:
        keys, store = self.host.keys, self.host.view.store
        was_current = keys.current_key == event.key
        if store.remove(event.key):
            keys.rows_changed()
        if was_current:
            keys.reannounce()
        self.host.notify(f"Deleted {escape_key(event.key)}", markup=False, timeout=3)
        self.host.update_status()

    # -- u, @ -------------------------------------------------------------------------------

    def undo(self) -> None:
        if self.refused("undo"):
            return
        stack = self.host.redis.gateway.guard.undo
        newest = stack.peek() if stack is not None else None
        if stack is None or newest is None:
            self.host.notify("Nothing to undo", timeout=2)
            return
        # Say what will be put back, key by key, before anything is written.
        change = [e for e in stack.entries() if newest.group and e.group == newest.group]
        change = list(reversed(change)) or [newest]
        lines = [self._undo_line(entry) for entry in change[:UNDO_SHOWN]]
        if len(change) > UNDO_SHOWN:
            lines.append(Content(f"… and {len(change) - UNDO_SHOWN:,} more keys"))
        body = Content.assemble(
            Content.from_markup("Undo [b]$op[/b]?\n\n", op=newest.describe()),
            Content("\n").join(lines),
            Content(f"\n\nin db {self.host.settings.db}. A key changed since is not touched."),
        )
        self.host.push_screen(
            ConfirmScreen("Undo", body, confirm_label="Undo"),
            lambda yes: self.confirm_write("undo", self.host.redis.undo) if yes else None,
        )

    def _undo_line(self, entry: UndoEntry) -> Content:
        key = key_label(entry.key, DIALOG_KEY_CELLS)
        if entry.moved_from is not None:
            back = key_label(entry.moved_from, DIALOG_KEY_CELLS)
            return Content.from_markup("• [b]$key[/b] is renamed back to [b]$back[/b]",
                                       key=key, back=back)  # fmt: skip
        if entry.dump is None:
            return Content.from_markup("• [b]$key[/b] is deleted (it did not exist before)",
                                       key=key)  # fmt: skip
        ttl = entry.remaining_ttl_ms()
        after = "no TTL" if ttl is None else "already expired" if ttl <= 0 else (
            f"TTL {human_ttl(ttl)}"
        )  # fmt: skip
        return Content.from_markup("• [b]$key[/b] gets back its value ($size), $ttl", key=key,
                                   size=human_bytes(entry.size), ttl=after)  # fmt: skip

    def command_log(self) -> None:
        # The log is the run's: every connection's writes, not only this worker's.
        log = self.host.redis.gateway.guard.log
        entries = log.entries() if log is not None else []
        self.host.push_screen(CommandLogScreen(entries, self._save_log))

    def _save_log(self, text: str) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        default = str(Path.cwd() / f"redis-tui-commands-{stamp}.log")

        def chosen(values: list[str] | None) -> None:
            if not values or not values[0].strip():
                return
            path = Path(values[0].strip()).expanduser()
            try:
                with path.open("x", encoding="utf-8") as out:  # never overwrites
                    out.write(text)
            except FileExistsError:
                self.host.notify(f"{path} exists: choose another name", severity="warning",
                                 markup=False)  # fmt: skip
            except OSError as exc:
                self.host.notify(f"Cannot write {path}: {exc.strerror or exc}", severity="error",
                                 markup=False)  # fmt: skip
            else:
                self.host.notify(f"Command log saved to {path}", markup=False, timeout=4)

        self.host.push_screen(PromptScreen("Save the command log", [Field("file", default)]),
                              chosen)  # fmt: skip

    # -- results --------------------------------------------------------------------------

    def applied(self, event: m.EditApplied) -> None:
        self.host.notify(f"{escape_key(event.key)}: {event.message}", markup=False, timeout=3)
        if isinstance(event.edit, CreateKey):
            new, store = event.edit, self.host.view.store
            pttl = -1 if new.ttl_ms is None else new.ttl_ms
            index = store.index_of(new.key)
            if index is None:
                store.add([new.key], [new.kind], [pttl])
            else:  # it replaced a listed key
                store.set_meta(index, new.kind, pttl, time.monotonic())
            self.host.keys.rows_changed()
            self.host.keys.select_key(event.edit.key)
        elif event.new_key is not None:
            index = self.host.view.store.index_of(event.key)
            kind = self.host.view.store.type_name(index) if index is not None else None
            ttl = self.host.view.store.ttl_ms(index) if index is not None else None
            if isinstance(event.edit, Rename):
                self.host.view.store.remove(event.key)
            self.host.view.store.add([event.new_key], [kind or "?"], [ttl])
            self.host.keys.rows_changed()
            self.host.keys.select_key(event.new_key)
        current = self.host.keys.current_key
        if (
            not isinstance(event.edit, Delete)
            and current is not None
            and current in (event.key, event.new_key)
        ):
            self.host.redis.load(current)
        self.host.update_status()

    def conflicted(self, event: m.EditConflicted) -> None:
        edit = event.edit
        if event.exists:
            body = Content.from_markup("$reason\n\nOverwrite it?", reason=event.reason)
            if isinstance(edit, CreateKey):
                body = Content.from_markup(
                    "$reason\n\nReplace it? It is deleted and the new $kind written in one "
                    "transaction. $undo",
                    reason=event.reason,
                    kind=edit.kind,
                    undo=self.undo_promise("the replacement"),
                )

            def overwrite(ok: bool | None) -> None:
                if not ok:
                    return
                retry = edit.replacing()
                if isinstance(retry, CreateKey):
                    # The key the user agreed to replace, not whatever it is by then.
                    retry = retry.overwritten(event.current)
                self.confirm_write("overwrite", lambda: self.host.redis.edit(retry))

            self.host.push_screen(
                ConfirmScreen("Already exists", body, confirm_label="Overwrite"), overwrite
            )
            return
        body = Content.from_markup(
            "$reason",
            key=escape_key(edit.key),
            reason=event.reason,
        )

        def chosen(choice: str | None) -> None:
            if choice == "overwrite":
                # On purpose: from the version now, without the check of the element seen.
                retry = edit.overwritten(event.current)
                self.confirm_write("overwrite", lambda: self.host.redis.edit(retry))
            elif choice == "reload" and self.host.keys.current_key == edit.key:
                self.host.redis.load(edit.key)

        self.host.push_screen(ConflictScreen(body), chosen)

    def restored(self, event: m.KeyRestored) -> None:
        self.host.notify(event.description, markup=False, timeout=3)
        if event.key is not None:
            self.host.redis.lookup(event.key)

    # -- bulk delete ------------------------------------------------------------------------

    def open_bulk_delete(self, pattern: bytes) -> None:
        if self.refused("bulk delete"):
            return

        def closed(deleted: bool | None) -> None:
            self._bulk = None
            if deleted:
                self.host.start_scan()

        self._bulk = BulkDeleteScreen(
            pattern, start=self.start_bulk_delete, cancel=self.host.redis.cancel_bulk
        )
        self.host.push_screen(self._bulk, closed)
        self.host.redis.bulk_dry_run(pattern)

    def start_bulk_delete(self, pattern: bytes) -> None:
        self.confirm_write(
            f"bulk delete {escape_key(pattern)}", lambda: self.host.redis.bulk_delete(pattern)
        )

    def bulk_dry_run_done(self, event: m.BulkDryRunDone) -> None:
        if self._bulk is not None:
            self._bulk.dry_run_done(event.dry)

    def bulk_progressed(self, event: m.BulkProgressed) -> None:
        if self._bulk is not None:
            self._bulk.progressed(event.progress)

    def bulk_deleted(self, event: m.BulkDeleted) -> None:
        if self._bulk is not None:
            self._bulk.finished(event.summary)
        else:
            self.host.notify(event.summary.describe(), markup=False)


def given(then: Callable[[list[str]], object]) -> Callable[[list[str] | None], None]:
    """A dialog callback that runs ``then(values)`` unless the dialog was cancelled."""

    def callback(values: list[str] | None) -> None:
        if values is not None:
            then(values)

    return callback


def confirmed(then: Callable[[], object]) -> Callable[[bool | None], None]:
    """A confirmation callback that runs ``then()`` on yes."""

    def callback(answer: bool | None) -> None:
        if answer:
            then()

    return callback


def _is_utf8(data: Any) -> bool:
    """Editable as text: valid UTF-8 without control characters (tab and newline aside).
    Anything else would put raw ESC/NUL into an input, and on the terminal."""
    if not isinstance(data, bytes):
        return True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return escape_text(text) == text


CREATE_KINDS = ("string", "hash", "list", "set", "zset", "stream")


def _create_error(values: list[str]) -> str | None:
    """Why the new-key dialog cannot create its key yet (None: it can)."""
    name, kind, first, second, ttl = values
    kind = kind.strip().lower()
    if not name:
        return "name: the new key's name"
    if kind not in CREATE_KINDS:
        return "type: " + ", ".join(CREATE_KINDS)
    if kind == "zset" and second.strip():
        return _float_error(second.strip())
    if kind == "stream" and not _parse_fields(first):
        return "value: the entry's fields, as name=value name2=value2"
    return _ttl_error(ttl) if ttl.strip() else None


def _new_key(values: list[str]) -> CreateKey:
    """The edit the new-key dialog asked for (validated by ``_create_error``)."""
    name, kind, first, second, ttl = values
    kind = kind.strip().lower()
    value, other = first.encode(), second.encode()
    items: tuple[bytes, ...]
    if kind == "hash":
        items = (value, other)
    elif kind == "zset":
        items = (plans.score_arg(float(second.strip() or 0)).encode(), value)
    elif kind == "stream":
        pairs = _parse_fields(first).items()
        items = ((second.strip() or "*").encode(), *(part for pair in pairs for part in pair))
    else:
        items = (value,)
    ttl_ms = parse_ttl(ttl.strip()) if ttl.strip() else None
    return CreateKey(unescape_key(name), None, kind, items, ttl_ms)


def _float_error(text: str) -> str | None:
    try:
        score = float(text)
    except ValueError:
        return "A score is a number, e.g. 42 or 3.5"
    return "A score cannot be NaN" if math.isnan(score) else None


def _ttl_error(text: str) -> str | None:
    try:
        parse_ttl(text)
    except ValueError as exc:
        return str(exc)
    return None


def _parse_fields(text: str) -> dict[bytes, bytes]:
    fields: dict[bytes, bytes] = {}
    for part in text.split():
        name, sep, value = part.partition("=")
        if not sep or not name:
            return {}
        fields[name.encode()] = value.encode()
    return fields


def _of(key: bytes) -> str:
    """The key an element dialog changes, in its title: every write names its key."""
    return key_label(key, TITLE_KEY_CELLS)
