"""ovn/rope.py: the plain port list's JSON, kept in id order in blocks joined once."""

from __future__ import annotations

import json
import random
import uuid

from ovn_provider.ovn.rope import JsonRope


def body(rope: JsonRope) -> list[str]:
    """The items as a client parses them from `[` + pieces + `]`."""
    return [item["id"] for item in json.loads(b"[" + b"".join(rope.pieces()) + b"]")]


def item(ident: str, name: str = "") -> bytes:
    return json.dumps({"id": ident, "name": name}).encode()


def test_items_in_id_order_across_blocks_after_every_kind_of_change() -> None:
    rope = JsonRope()
    assert rope.pieces() == () and body(rope) == []
    rng = random.Random(7)
    # UUIDs, and ids whose first characters are prefixes of others or not hex at all
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(300)]
    ids += ["a", "ab", "A", "z9", "0", "-", "é"]
    live: set[str] = set()
    for step, ident in enumerate(ids):
        rope.set(ident, item(ident))
        live.add(ident)
        if step % 3 == 0:
            gone = rng.choice(sorted(live))
            rope.discard(gone)
            live.discard(gone)
        assert body(rope) == sorted(live)
    assert len(rope) == len(live)
    for ident in sorted(live):
        rope.discard(ident)
    assert rope.pieces() == () and len(rope) == 0
    rope.discard("never there")
    assert rope.pieces() == ()


def test_a_change_rejoins_only_its_leaf_and_block_and_pieces_are_kept_until_a_change() -> None:
    rope = JsonRope()
    for first in "0123456789abcdef":
        for n in range(3):
            ident = f"{first}{n}-port"
            rope.set(ident, item(ident))
    before = rope.pieces()
    assert len(before) == 16 and rope.pieces() is before
    rope.set("51-port", item("51-port", "renamed"))
    after = rope.pieces()
    assert after is not before
    changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True))
               if old is not new]
    assert changed == [5]  # the other 15 blocks are the same objects, not joined again
    leaves = dict(rope._leaf_joined)
    rope.set("52-port", item("52-port", "renamed"))
    rope.pieces()
    # inside block 5, only the leaf of "52" joins its items again; "50" and "51" are copied
    assert [key for key, part in rope._leaf_joined.items() if part is not leaves[key]] \
        == ["52"]
    parsed = json.loads(b"[" + b"".join(after) + b"]")
    assert [p["name"] for p in parsed if p["id"] == "51-port"] == ["renamed"]
    rope.discard("00-port")
    assert body(rope)[0] == "01-port"
    rope.clear()
    assert rope.pieces() == ()
