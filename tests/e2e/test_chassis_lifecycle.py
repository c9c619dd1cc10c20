"""The driver takes a chassis out again: `unconfigure` on a live host, `remove-chassis` for
a host that is gone. Each test adds its own short-lived chassis to the running bed, so the
two hypervisors of the dataplane tests are not touched; their tunnels show the effect."""

from __future__ import annotations

import json

import pytest

from tests.e2e.bed import UNDERLAY, Bed, Hypervisor, poll

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def chassis_private(bed: Bed) -> set[str]:
    out = bed.ovn.sbctl("--format=json", "--columns=name", "list", "Chassis_Private")
    return {row[0] for row in json.loads(out)["data"]}


def tunnel_to(bed: Bed, hv: Hypervisor, name: str) -> bool:
    return any(t["chassis"] == name for t in bed.tunnels(hv))


def test_unconfigure_removes_the_chassis(e2e_bed: Bed, hv1: Hypervisor) -> None:
    chassis = e2e_bed.new_chassis("hv3")
    name = f"{e2e_bed.prefix}hv3"
    e2e_bed.run_driver(chassis, *e2e_bed.configure_args(name, f"{UNDERLAY}.3"))
    poll(lambda: name in e2e_bed.sb_chassis_names(), 20, f"{name} in the SB")
    assert e2e_bed.sb_encaps()[name] == ("geneve", f"{UNDERLAY}.3")
    poll(lambda: tunnel_to(e2e_bed, hv1, name), 20, f"hv1's tunnel to {name}")

    out = e2e_bed.run_driver(chassis, "unconfigure").stdout
    assert "ovn-controller exited" in out
    # ovn-controller deleted its own rows before exiting: gone at once, not by a timeout
    assert name not in e2e_bed.sb_chassis_names()
    assert name not in chassis_private(e2e_bed)
    assert not chassis.controller_alive()
    ids = chassis.ovs_map("external_ids")
    assert not [key for key in ids if key.startswith(("ovn-remote", "ovn-encap",
                                                      "ovn-bridge-mappings"))], ids
    assert "br-ex" not in chassis.vsctl("list-br").split()  # created by configure
    poll(lambda: not tunnel_to(e2e_bed, hv1, name), 20, f"hv1's tunnel to {name} to go")
    chassis.stop()  # early, to spare the CPU (the bed would stop it at the end anyway)


def test_remove_chassis_deletes_a_stale_chassis(e2e_bed: Bed, hv1: Hypervisor) -> None:
    chassis = e2e_bed.new_chassis("hv4")
    name = f"{e2e_bed.prefix}hv4"
    e2e_bed.run_driver(chassis, *e2e_bed.configure_args(name, f"{UNDERLAY}.4"))
    poll(lambda: name in e2e_bed.sb_chassis_names(), 20, f"{name} in the SB")
    poll(lambda: tunnel_to(e2e_bed, hv1, name), 20, f"hv1's tunnel to {name}")
    chassis.stop()  # the host dies: its daemons are killed, nothing cleans up
    assert not chassis.controller_alive()
    assert name in e2e_bed.sb_chassis_names()  # stale
    assert name in chassis_private(e2e_bed)

    remote = ["--sb-db", e2e_bed.ovn.sb_remote]
    out = e2e_bed.run_driver(None, "remove-chassis", name, *remote).stdout
    assert f"removed chassis {name}" in out
    assert name not in e2e_bed.sb_chassis_names()
    assert name not in chassis_private(e2e_bed)
    assert f"{UNDERLAY}.4" not in e2e_bed.ovn.sbctl("--columns=ip", "list", "Encap")
    poll(lambda: not tunnel_to(e2e_bed, hv1, name), 20, f"hv1's tunnel to {name} to go")
    again = e2e_bed.run_driver(None, "remove-chassis", name, *remote, check=False)
    assert again.returncode == 2 and "no chassis named" in again.stderr
