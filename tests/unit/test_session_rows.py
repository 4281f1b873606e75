"""The inspector's rows model: filter terms, incremental pages, sorts, grouping, positions."""

from __future__ import annotations

from redis_tui.data.sessions import Session
from redis_tui.ui.style import clip_middle
from redis_tui.ui.widgets.session_rows import SessionFilter, SessionRows


def session(n: int, framework: str = "express", user: str | None = None, size: int = 0,
            data: object = None) -> Session:  # fmt: skip
    return Session(
        key=f"k:{n}".encode(), framework=framework, format="json", session_id=str(n),
        user=user, size=size, data=data,
    )  # fmt: skip


def test_filter_terms_or_within_a_field_and_across_fields() -> None:
    f = SessionFilter.parse("framework:express FW:koa user:42 cart")
    assert f.frameworks == ("express", "koa") and f.users == ("42",) and f.words == ("cart",)
    assert f.matches(session(1, "koa", "42"), "koa 42 cart")
    assert not f.matches(session(1, "flask", "42"), "cart")
    assert not f.matches(session(1, "koa", "7"), "cart")
    assert not f.matches(session(1, "koa", "42"), "basket")
    assert SessionFilter.parse("user:-").matches(session(1), "")
    assert SessionFilter.parse('user:"ann lee"').users == ("ann lee",)
    assert SessionFilter.parse('unbalanced "quote').words == ("unbalanced", '"quote')
    assert not SessionFilter.parse("  ")


def test_pages_append_in_found_order_and_merge_into_a_sort() -> None:
    rows = SessionRows(lambda key: -1.0)
    rows.add([session(i, size=i % 7) for i in range(10)])
    assert rows.indexes == list(range(10))
    rows.set_sort("size")
    rows.add([session(i, size=100 + i) for i in range(10, 13)])
    sizes = [rows.sessions[i].size for i in rows.indexes]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == 112
    assert rows.position_of(b"k:12") == 0
    rows.set_sort("found")
    assert rows.position_of(b"k:5") == 5 and rows.position_of(b"nope") is None


def test_filter_counts_and_re_read_sessions_move_between_users() -> None:
    rows = SessionRows(lambda key: -1.0)
    rows.add([session(i, user=str(i % 3), data={"cart": [1]}) for i in range(9)])
    rows.set_filter("user:1 cart")
    assert rows.matched == 3 and len(rows.indexes) == 3
    assert rows.users == {"0": 3, "1": 3, "2": 3}
    rows.add([session(0, user="1", data={"cart": []})])  # k:0 logged in as user 1
    assert rows.matched == 4 and rows.users["0"] == 2 and rows.users["1"] == 4
    rows.set_grouped(True)
    assert rows.groups == [("1", 4)]
    rows.set_filter("")
    assert rows.groups == [("1", 4), ("2", 3), ("0", 2)]
    rows.add([session(20, user="0")])
    assert rows.groups == [("1", 4), ("0", 3), ("2", 3)]


def test_search_text_is_bounded_and_reaches_nested_attribute_names() -> None:
    rows = SessionRows(lambda key: -1.0)
    rows.add([session(1, data={"deep": {"er": {"basket": ["x" * 10_000]}}})])
    rows.set_filter("basket")
    assert rows.matched == 1
    rows.set_filter("xxxxxxxxxx")
    assert rows.matched == 1  # a short prefix of the long value is searched, not all of it


def test_clip_middle_keeps_both_ends_within_the_cells() -> None:
    long = "myapp:sess:" + "a" * 80 + ":tail"
    clipped = clip_middle(long, 30)
    assert len(clipped) == 30 and clipped.startswith("myapp:sess:") and clipped.endswith(":tail")
    assert clip_middle("short", 30) == "short"
    assert clip_middle("日本語" * 10, 11) == "日本語…本語"
