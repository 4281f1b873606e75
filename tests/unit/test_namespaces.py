"""The namespace index: folders, counts, incremental adds and removes, hostile names."""

from __future__ import annotations

from redis_tui.data.scan.namespaces import SORT_LIMIT, NamespaceIndex


def rows(index: NamespaceIndex, prefix: bytes) -> tuple[list[tuple[bytes, int]], list[bytes]]:
    view = index.view(prefix)
    return [(f, index.count(f)) for f in view.folders], list(view.keys)


def test_folders_counts_and_leaves() -> None:
    index = NamespaceIndex()
    index.add([b"user:1:profile", b"user:1:cart", b"user:2:profile", b"sess:abc", b"plain"])
    index.add([b"sess:def"])  # incremental
    assert len(index) == 6
    assert rows(index, b"") == ([(b"sess:", 2), (b"user:", 3)], [b"plain"])
    assert rows(index, b"user:") == ([(b"user:1:", 2), (b"user:2:", 1)], [])
    assert rows(index, b"user:1:") == ([], [b"user:1:cart", b"user:1:profile"])
    assert index.count(b"user:1:") == 2 and index.count(b"nope:") == 0
    assert index.parent_of(b"user:1:") == b"user:" and index.parent_of(b"user:") == b""
    assert index.segment(b"user:1:") == b"1"


def test_remove_decrements_and_drops_empty_folders() -> None:
    index = NamespaceIndex()
    index.add([b"a:b:c", b"a:b:d", b"a:x", b"top"])
    index.remove(b"a:b:c")
    assert index.count(b"a:") == 2 and index.count(b"a:b:") == 1
    index.remove(b"a:b:d")
    assert rows(index, b"a:") == ([], [b"a:x"])
    assert b"a:b:" not in index.folders.get(b"a:", {})
    index.remove(b"a:x")
    index.remove(b"never-added")
    assert rows(index, b"") == ([], [b"top"]) and len(index) == 1
    assert index.folders == {} and index.leaves == {b"": b"top"}


def test_hostile_names_and_odd_shapes() -> None:
    index = NamespaceIndex()
    keys = [b"a::b", b"x:", b":lead", b"[bold]x:\x1b[31m", b"bad:\xff\xfe", b"", b"::"]
    index.add(keys)
    folders, leaves = rows(index, b"")
    assert dict(folders) == {b":": 2, b"[bold]x:": 1, b"a:": 1, b"bad:": 1, b"x:": 1}
    assert leaves == [b""]
    assert rows(index, b"a:") == ([(b"a::", 1)], [])
    assert rows(index, b"a::") == ([], [b"a::b"])
    assert rows(index, b"x:") == ([], [b"x:"])  # a key ending with the delimiter
    assert rows(index, b":") == ([(b"::", 1)], [b":lead"])
    assert index.segment(b"a::") == b"" and index.folder_of(b"x:") == b"x:"
    for key in keys:
        index.remove(key)
    assert len(index) == 0 and index.folders == {} and index.leaves == {}


def test_multibyte_delimiter() -> None:
    index = NamespaceIndex(b"::")
    index.add([b"a::b::c", b"a:b"])
    assert rows(index, b"") == ([(b"a::", 1)], [b"a:b"])
    assert rows(index, b"a::b::") == ([], [b"a::b::c"])
    assert index.parent_of(b"a::b::") == b"a::"


def test_opening_a_folder_of_500k_keys_is_instant() -> None:
    index = NamespaceIndex()
    index.add([b"sess:%d" % i for i in range(500_000)])
    index.add([b"user:%d:profile" % i for i in range(50_000)])
    view = index.view(b"sess:")
    assert len(view) == 500_000 and not view.sorted and view.keys[-1] == b"sess:499999"
    # No per-child Python work: the view is the index's own live list, not a copy or a sort.
    assert view.keys is index.leaves[b"sess:"]
    users = index.view(b"user:")
    assert len(users.folders) == 50_000 and users.sorted  # at SORT_LIMIT: sorted once
    assert SORT_LIMIT == 50_000
