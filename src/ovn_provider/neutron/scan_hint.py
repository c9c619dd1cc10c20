"""Passing over a switch's dense runs of held addresses while a pool is searched for a
free one.

A search checks each candidate exactly (`addressing.Allocator.taken`: the index's owners
of the address, each re-read from the replica), about 20 us a candidate. That is cheap
while the search starts just after the last address handed out, but not when it must
cross a run of held addresses: the first create on a fresh replica (the allocation cursor
is kept per replica), or after the cursor wrapped around, on a network of 20,000 ports
took 2 s, and the connection thread, which runs writes one at a time, held every other
write of the instance meanwhile (bench/README.md, "2026-12-06 night").

So past its first candidates (`ipam.EXACT_FIRST`), the search (`ipam.pick_free`) reads
one set: the addresses the address index holds for the switch's ports, made once per
search. A candidate in it is passed over unchecked, with integer arithmetic only. The
index only lags the replica for rows the open transaction changed, so at worst an address
freed in this same transaction is not handed out again by it; the address picked is
still checked exactly.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from ovn_provider.ovn.index import NbIdl, set_uuids


def held_on_switch(idl: NbIdl, ls: Any, version: int) -> set[int]:
    """The IPv4 (or IPv6) addresses the address index holds for the ports of `ls`, as
    integers."""
    family, v6 = (socket.AF_INET6, True) if version == 6 else (socket.AF_INET, False)
    held: set[int] = set()
    ips_of = idl.addresses.ips_of
    for port in set_uuids(ls, "ports"):
        for text in ips_of(port):
            if (":" in text) is v6:
                try:
                    held.add(int.from_bytes(socket.inet_pton(family, text), "big"))
                except (OSError, ValueError):  # the index keeps normalised addresses only
                    continue
    return held


def held(idl: NbIdl, ls: Any, version: int) -> Callable[[], set[int]]:
    """`held_on_switch`, made only if the search asks for it (`ipam.pick_free`'s `held`)."""
    return lambda: held_on_switch(idl, ls, version)
