"""The namespace tree: keys grouped into folders by a delimiter, with counts, built as keys arrive.

``user:42:profile`` with the delimiter ``:`` lives in folder ``user:42:``, inside ``user:``,
inside the root ``b""``. A folder is named by its full prefix, delimiter included, so empty
segments (``a::b``) and keys ending with the delimiter (``x:``, a key of folder ``x:``) need no
special case, and any bytes work: nothing is decoded here.

Two dicts, no object per key or per folder:

* ``folders``: folder prefix -> {child folder prefix -> keys under it, at any depth}, only for
  folders that have subfolders;
* ``leaves``: folder prefix -> its direct keys: the key itself when there is one (the common
  ``user:{n}:profile`` shape, a folder per key), a list when there are more.

The child prefix is one bytes object shared by both dicts. Opening a folder costs no Python
work per child: ``view`` hands out the live leaf list (scan order) and ``list(dict)`` of the
subfolders (a C-level copy, ~3 ms for 500k); only folders of up to ``SORT_LIMIT`` children are
sorted by name. Rendering a row is then an index into those lists.

Memory at 1M keys (``benchmarks/bench_namespaces.py``, see ``benchmarks/README.md``): a key in
a big folder (``sess:{id}``) costs one list slot, 8 bytes (8 MB); a key that makes its own
folder (``user:{n}:profile``) costs a prefix bytes object and two dict entries, 129 bytes
(123 MB); the test mix of both, 40 bytes (38 MB). The key bytes are the store's, not copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Folders with at most this many direct children are listed sorted by name (~15 ms for 50k);
# bigger ones in scan order, so that opening one stays instant.
SORT_LIMIT = 50_000


@dataclass(frozen=True)
class FolderView:
    """One folder's rows: subfolders (child prefixes) first, then keys."""

    prefix: bytes
    folders: Sequence[bytes]
    keys: Sequence[bytes]
    sorted: bool

    def __len__(self) -> int:
        return len(self.folders) + len(self.keys)


class NamespaceIndex:
    """Folder counts and per-folder keys for a stream of distinct keys.

    The caller guarantees each key is added once (the ``KeyStore`` deduplicates) and only
    removed if it was added.
    """

    def __init__(self, delimiter: bytes = b":") -> None:
        if not delimiter:
            raise ValueError("the namespace delimiter cannot be empty")
        self.delimiter = delimiter
        self.folders: dict[bytes, dict[bytes, int]] = {}
        self.leaves: dict[bytes, bytes | list[bytes]] = {}
        self.total = 0
        # Bumped by every change; views compare it to know they are stale.
        self.version = 0

    def __len__(self) -> int:
        return self.total

    def add(self, keys: Iterable[bytes]) -> None:
        delim, width = self.delimiter, len(self.delimiter)
        folders, leaves = self.folders, self.leaves
        added = 0
        for key in keys:
            parent = b""
            pos = key.find(delim)
            while pos >= 0:
                end = pos + width
                child = key[:end]
                sub = folders.get(parent)
                if sub is None:
                    folders[parent] = {child: 1}
                else:
                    sub[child] = sub.get(child, 0) + 1
                parent = child
                pos = key.find(delim, end)
            held = leaves.get(parent)
            if held is None:
                leaves[parent] = key
            elif type(held) is bytes:
                leaves[parent] = [held, key]
            else:
                held.append(key)  # type: ignore[union-attr]
            added += 1
        if added:
            self.total += added
            self.version += 1

    def remove(self, key: bytes) -> None:
        """Forget one key: its folder loses it, every folder above counts one less, and
        folders left empty disappear."""
        parent = self.folder_of(key)
        held = self.leaves.get(parent)
        if held is None:
            return
        if isinstance(held, bytes):
            if held != key:
                return
            del self.leaves[parent]
        else:
            try:
                held.remove(key)
            except ValueError:
                return
            if len(held) == 1:
                self.leaves[parent] = held[0]
        delim, width = self.delimiter, len(self.delimiter)
        folders = self.folders
        parent = b""
        pos = key.find(delim)
        while pos >= 0:
            end = pos + width
            child = key[:end]
            sub = folders[parent]
            count = sub[child] - 1
            if count:
                sub[child] = count
            else:
                del sub[child]
                if not sub:
                    del folders[parent]
            parent = child
            pos = key.find(delim, end)
        self.total -= 1
        self.version += 1

    def folder_of(self, key: bytes) -> bytes:
        """The prefix of the folder a key is listed in (``b""`` for the root)."""
        cut = key.rfind(self.delimiter)
        return b"" if cut < 0 else key[: cut + len(self.delimiter)]

    def parent_of(self, prefix: bytes) -> bytes:
        """The folder above ``prefix`` (the root stays the root)."""
        if not prefix:
            return b""
        cut = prefix.rfind(self.delimiter, 0, len(prefix) - len(self.delimiter))
        return b"" if cut < 0 else prefix[: cut + len(self.delimiter)]

    def count(self, prefix: bytes) -> int:
        """Keys under ``prefix`` at any depth (0 for a folder that does not exist)."""
        if not prefix:
            return self.total
        return self.folders.get(self.parent_of(prefix), {}).get(prefix, 0)

    def subfolder_count(self, parent: bytes, child: bytes) -> int:
        """Keys under ``child``, a subfolder of ``parent``: one dict lookup, for drawing."""
        return self.folders.get(parent, {}).get(child, 0)

    def segment(self, prefix: bytes) -> bytes:
        """The last segment of a folder prefix, without the delimiter (may be empty)."""
        parent = self.parent_of(prefix)
        return prefix[len(parent) : len(prefix) - len(self.delimiter)]

    def view(self, prefix: bytes) -> FolderView:
        """The rows of one folder. Sorted by name when small; else live, in scan order."""
        sub = self.folders.get(prefix)
        held = self.leaves.get(prefix)
        keys: Sequence[bytes]
        if held is None:
            keys = ()
        elif isinstance(held, bytes):
            keys = (held,)
        else:
            keys = held
        subfolders: Sequence[bytes] = list(sub) if sub else ()
        small = len(subfolders) + len(keys) <= SORT_LIMIT
        if small:
            subfolders = sorted(subfolders)
            keys = sorted(keys)
        return FolderView(prefix, subfolders, keys, small)
