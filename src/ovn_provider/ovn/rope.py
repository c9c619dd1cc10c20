"""The JSON of many items, kept in id order and joined in a few blocks (the plain port
list, docs/architecture.md "The port list").

The items are grouped by the first character of their id (16 blocks for UUID ids: about
850 kB each at 20,000 ports), each block sorted by id and joined once. A change of one item
joins its block again, not the whole list (13 MB at 20,000 ports), and the body is sent as
those blocks, never joined into one copy. Strings whose first characters differ compare
as those characters do, so the blocks in the order of their keys, each in id order, are
the items in id order.
"""

from __future__ import annotations

from sortedcontainers import SortedDict


class JsonRope:
    """id -> JSON bytes of one item; `pieces()` is the comma-separated items in id order."""

    def __init__(self) -> None:
        self._blocks: dict[str, SortedDict] = {}  # first character of the id -> its items
        self._joined: dict[str, bytes] = {}  # block -> b"," + its items joined by b","
        self._pieces: tuple[bytes, ...] | None = None
        self._first: tuple[bytes, bytes] = (b"", b"")  # the first block, without its comma

    def __len__(self) -> int:
        return sum(len(block) for block in self._blocks.values())

    def set(self, ident: str, json: bytes) -> None:
        key = ident[:1]
        block = self._blocks.get(key)
        if block is None:
            block = self._blocks[key] = SortedDict()
        block[ident] = json
        self._changed(key)

    def discard(self, ident: str) -> None:
        key = ident[:1]
        block = self._blocks.get(key)
        if block is None or block.pop(ident, None) is None:
            return
        if not block:
            del self._blocks[key]
        self._changed(key)

    def clear(self) -> None:
        self._blocks.clear()
        self._joined.clear()
        self._pieces = None
        self._first = (b"", b"")

    def pieces(self) -> tuple[bytes, ...]:
        """The JSON of every item in id order, separated by commas: the pieces, in order,
        make the inside of a JSON array (an empty tuple: no item). Kept until a change."""
        if self._pieces is None:
            joined = []
            for key in sorted(self._blocks):
                part = self._joined.get(key)
                if part is None:
                    part = self._joined[key] = b",".join([b"", *self._blocks[key].values()])
                joined.append(part)
            if joined:  # no comma before the first item (copied only when it changed)
                if self._first[0] is not joined[0]:
                    self._first = (joined[0], joined[0][1:])
                joined[0] = self._first[1]
            self._pieces = tuple(joined)
        return self._pieces

    def _changed(self, key: str) -> None:
        self._joined.pop(key, None)
        self._pieces = None
