"""The JSON of many items, kept in id order and joined in a few blocks (the plain port
list, docs/architecture.md "The port list").

The items are kept in leaves by the first two characters of their id (256 leaves for UUID
ids: about 80 items, 55 kB each at 20,000 ports), each leaf sorted by id and joined once;
the leaves are joined again by the first character into the blocks that are sent (16 for
UUID ids: about 850 kB each). A change of one item joins its leaf's items again and then
its block from the joined leaves (a copy of bytes objects, no Python per item): after a
group of port creates, or another instance's, the connection thread re-joins a few leaves,
not every item of a few blocks (a third of its busy time in the engine storm,
bench/README.md). The body is sent as the blocks, never joined into one copy. Strings whose
first characters differ compare as those characters do, so keys in order, each leaf in id
order, are the items in id order.
"""

from __future__ import annotations

from itertools import groupby

from sortedcontainers import SortedDict


class JsonRope:
    """id -> JSON bytes of one item; `pieces()` is the comma-separated items in id order."""

    def __init__(self) -> None:
        self._leaves: dict[str, SortedDict] = {}  # first two characters -> their items
        self._leaf_joined: dict[str, bytes] = {}  # leaf -> b"," before each of its items
        self._joined: dict[str, bytes] = {}  # block -> its leaves' joined items, in order
        self._pieces: tuple[bytes, ...] | None = None
        self._first: tuple[bytes, bytes] = (b"", b"")  # the first block, without its comma

    def __len__(self) -> int:
        return sum(len(leaf) for leaf in self._leaves.values())

    def set(self, ident: str, json: bytes) -> None:
        key = ident[:2]
        leaf = self._leaves.get(key)
        if leaf is None:
            leaf = self._leaves[key] = SortedDict()
        leaf[ident] = json
        self._changed(key)

    def discard(self, ident: str) -> None:
        key = ident[:2]
        leaf = self._leaves.get(key)
        if leaf is None or leaf.pop(ident, None) is None:
            return
        if not leaf:
            del self._leaves[key]
        self._changed(key)

    def clear(self) -> None:
        self._leaves.clear()
        self._leaf_joined.clear()
        self._joined.clear()
        self._pieces = None
        self._first = (b"", b"")

    def pieces(self) -> tuple[bytes, ...]:
        """The JSON of every item in id order, separated by commas: the pieces, in order,
        make the inside of a JSON array (an empty tuple: no item). Kept until a change."""
        if self._pieces is None:
            joined = []
            # the leaves of a block are neighbours in key order (they share its character)
            for block, keys in groupby(sorted(self._leaves), key=lambda key: key[:1]):
                part = self._joined.get(block)
                if part is None:
                    part = self._joined[block] = b"".join([self._leaf(key) for key in keys])
                joined.append(part)
            if joined:  # no comma before the first item (copied only when it changed)
                if self._first[0] is not joined[0]:
                    self._first = (joined[0], joined[0][1:])
                joined[0] = self._first[1]
            self._pieces = tuple(joined)
        return self._pieces

    def _leaf(self, key: str) -> bytes:
        part = self._leaf_joined.get(key)
        if part is None:
            leaf = self._leaves[key]
            # the keys iterate in C (a SortedList's lists chained); a SortedDict's values()
            # view yields each value from a Python generator
            part = self._leaf_joined[key] = b",".join([b"", *map(leaf.__getitem__, leaf)])
        return part

    def _changed(self, key: str) -> None:
        self._leaf_joined.pop(key, None)
        self._joined.pop(key[:1], None)
        self._pieces = None
