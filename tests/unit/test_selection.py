"""Typed-ahead actions: each acts on the key it was typed for, in order, never dropped silently."""

from __future__ import annotations

from redis_tui.ui.browser.selection import Selection


class Recorder:
    def __init__(self) -> None:
        self.ran: list[tuple[str, bytes]] = []
        self.said: list[str] = []
        self.busy = False

    def selection(self) -> Selection:
        return Selection(
            lambda action, key: self.ran.append((action, key)),
            self.said.append,
            lambda: self.busy,
        )


def test_a_key_action_runs_at_once_when_a_key_is_highlighted() -> None:
    r = Recorder()
    s = r.selection()
    s.request("delete", needs_value=False, current=b"a", loaded=None, waiting=False)
    assert r.ran == [("delete", b"a")]


def test_an_action_typed_during_a_scan_acts_on_its_first_row() -> None:
    r = Recorder()
    s = r.selection()
    assert s.request("delete", needs_value=False, current=None, loaded=None, waiting=True)
    assert r.ran == []
    s.highlighted(b"first", None)
    assert r.ran == [("delete", b"first")]


def test_a_value_action_waits_for_the_value_of_its_key() -> None:
    r = Recorder()
    s = r.selection()
    assert s.request("edit", needs_value=True, current=b"k", loaded=None, waiting=False)
    s.value_loaded(b"other", current=b"k")  # a late value of another key: not this one
    assert r.ran == []
    s.value_loaded(b"k", current=b"k")
    assert r.ran == [("edit", b"k")]


def test_lookup_then_edit_acts_on_the_looked_up_key_not_the_row_before() -> None:
    r = Recorder()
    s = r.selection()
    s.expect(b"v:dummy1")
    s.request("edit", needs_value=True, current=b"x[/]", loaded=b"x[/]", waiting=True)
    s.highlighted(b"x[/]", b"x[/]")  # rows moving meanwhile do not take it
    assert r.ran == []
    s.highlighted(b"v:dummy1", None)
    s.value_loaded(b"v:dummy1", current=b"v:dummy1")
    assert r.ran == [("edit", b"v:dummy1")]


def test_actions_run_in_the_order_typed() -> None:
    r = Recorder()
    s = r.selection()
    s.request("edit", needs_value=True, current=b"k", loaded=None, waiting=False)
    s.request("copy_key", needs_value=False, current=b"k", loaded=None, waiting=False)
    assert r.ran == []  # the key-only action waits behind the value action typed first
    s.value_loaded(b"k", current=b"k")
    assert r.ran == [("edit", b"k"), ("copy_key", b"k")]


def test_a_dialog_holds_what_was_typed_after_it_until_it_closes() -> None:
    r = Recorder()
    s = r.selection()
    s.request("delete", needs_value=False, current=b"k", loaded=None, waiting=False)
    r.busy = True  # the delete confirmation is open
    s.request("ttl", needs_value=False, current=b"k", loaded=None, waiting=False)
    assert r.ran == [("delete", b"k")]
    r.busy = False
    s.resume(b"k", None)
    assert r.ran == [("delete", b"k"), ("ttl", b"k")]


def test_nothing_is_dropped_silently() -> None:
    r = Recorder()
    s = r.selection()
    assert not s.request("delete", needs_value=False, current=None, loaded=None, waiting=False)
    assert r.said == ["Delete: no key selected"]
    s.expect(b"missing")
    s.request("edit", needs_value=True, current=None, loaded=None, waiting=True)
    s.lookup_failed(b"missing")
    assert "Edit: not done, the key was not found" in r.said
    s.request("edit", needs_value=True, current=b"a", loaded=None, waiting=False)
    s.highlighted(b"b", None)  # the user moved on before the value came
    assert any("cancelled" in said for said in r.said)
    s.request("rename", needs_value=False, current=None, loaded=None, waiting=True)
    s.clear("the database changed")
    assert r.said[-1] == "Rename: not done, the database changed"
    assert r.ran == []
