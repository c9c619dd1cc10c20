"""The check that makes a write's address and MAC decisions on a switch race-free against
every other NB writer (docs/concurrency.md, "Addresses")."""

from __future__ import annotations

from typing import Any

from ovn_provider.neutron import layout as L
from ovn_provider.neutron import view
from ovn_provider.ovn.index import NbIdl, verify


def lock_switch(idl: NbIdl, ls: Any) -> None:
    """Make the address and MAC checks of the open transaction on `ls` race-free against
    other NB writers (docs/concurrency.md): what they read from the switch and its subnets
    is verified, so a change committed by another client after the replica read it (an
    operator's ovn-nbctl, the predecessor, another provider instance) makes the server
    answer TRY_AGAIN and the checks run again on the fresh replica (ovn/nb_txn.py):
    - the switch's `other_config` (exclude_ips, subnet, ipv6_prefix) and `external_ids`;
    - each subnet's DHCP_Options `cidr`, `options` (IPv4 gateway, IPv6 stateless flag)
      and `external_ids` (allocation pools, IPv6 gateway and mode, DHCP enabled).
    The address serial in the switch's external_ids is bumped as well: a port another
    provider instance adds to the switch does not change those columns, but its claim
    bumps the serial. Once per transaction and switch."""
    pending = ls._mutations.get("_inserts", {}).get("external_ids", {})
    if L.LS_ADDRESS_SERIAL in pending:  # done already in this transaction
        return
    verify(ls, "external_ids", "other_config")
    for row in view.subnets_of(idl, ls):
        verify(row, "cidr", "options", "external_ids")
    serial = L.parse_int(ls.external_ids.get(L.LS_ADDRESS_SERIAL)) or 0
    ls.setkey("external_ids", L.LS_ADDRESS_SERIAL, str(serial + 1))
