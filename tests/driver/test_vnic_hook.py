"""Unit tests of the before_device_create / before_nic_hotplug hook (docs/driver.md).

Inputs are libvirt domain XML as vdsm writes it: a device fragment (what vdsm passes in
`_hook_domxml` for a device) and a whole domain. Outputs are validated against libvirt's
own schema with `virt-xml-validate` when libvirt-clients is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.dom import minidom

import pytest

from ovn_provider.driver import vnic_hook
from ovn_provider.driver.vnic_hook import rewrite_xml

REPO = Path(__file__).resolve().parents[2]
VNIC = "c3d6ab51-28bb-4c4a-a4b5-46f0f52b6c28"
ENV = {"provider_type": "EXTERNAL_NETWORK", "plugin_type": "OVIRT_PROVIDER_OVN",
       "vnic_id": VNIC, "security_groups": "Default"}

VDSM_BRIDGE = """<interface type="bridge">
    <model type="virtio"/>
    <link state="up"/>
    <source bridge=";vdsmdummy;"/>
    <alias name="ua-0d6e4a8c-8f1f-4f4e-9d31-0a1a3d2f5e11"/>
    <mac address="56:6f:91:9b:00:05"/>
    <mtu size="1442"/>
    <filterref filter="vdsm-no-mac-spoofing"/>
    <boot order="2"/>
    <bandwidth/>
</interface>"""

NETWORK = """<interface type="network">
  <mac address="52:54:00:6d:90:02"/>
  <source network="default" portgroup="engineering"/>
  <model type="e1000e"/>
</interface>"""

DIRECT = """<interface type="direct">
  <mac address="52:54:00:6d:90:03"/>
  <source dev="eth0" mode="vepa"/>
  <virtualport type="802.1Qbg">
    <parameters managerid="11" typeid="1193047" typeidversion="2"/>
  </virtualport>
  <model type="virtio"/>
</interface>"""

ALREADY_OVS = """<interface type="bridge">
  <mac address="52:54:00:6d:90:04"/>
  <source bridge="br-int"/>
  <virtualport type="openvswitch">
    <parameters interfaceid="0f0f0f0f-1111-2222-3333-444444444444"/>
  </virtualport>
  <virtualport type="openvswitch"/>
  <model type="virtio"/>
</interface>"""

NO_SOURCE = """<interface type="bridge">
  <mac address="52:54:00:6d:90:05"/>
  <model type="virtio"/>
</interface>"""

DOMAIN = """<domain xmlns:ns0="http://ovirt.org/vm/tune/1.0"
        xmlns:ovirt-vm="http://ovirt.org/vm/1.0" type="kvm">
  <name>vm1</name>
  <uuid>7c4b5ee0-3d3a-4a4e-8b3f-2b1d1c0c2c11</uuid>
  <memory unit="KiB">1048576</memory>
  <metadata>
    <ns0:qos/>
    <ovirt-vm:vm>
      <ovirt-vm:device mac_address="56:6f:91:9b:00:05">
        <ovirt-vm:custom>
          <ovirt-vm:provider_type>EXTERNAL_NETWORK</ovirt-vm:provider_type>
        </ovirt-vm:custom>
      </ovirt-vm:device>
    </ovirt-vm:vm>
  </metadata>
  <os>
    <type arch="x86_64">hvm</type>
  </os>
  <devices>
    <!-- first NIC: the OVN one -->
    <interface type="bridge">
      <mac address="56:6f:91:9b:00:05"/>
      <source bridge="ovirtmgmt"/>
      <model type="virtio"/>
    </interface>
    <interface type="bridge">
      <mac address="56:6f:91:9b:00:06"/>
      <source bridge="ovirtmgmt"/>
      <model type="virtio"/>
      <virtualport type="openvswitch"/>
    </interface>
  </devices>
</domain>"""

NO_INTERFACE = """<domain type="kvm">
  <name>vm2</name>
  <memory>1048576</memory>
  <os><type>hvm</type></os>
  <devices><disk type="file" device="disk"><source file="/tmp/x.img"/>
  <target dev="vda" bus="virtio"/></disk></devices>
</domain>"""


def first_interface(xml: str) -> minidom.Element:
    return minidom.parseString(xml).getElementsByTagName("interface")[0]


def elements(node: minidom.Element) -> list[minidom.Element]:
    return [child for child in node.childNodes if child.nodeType == child.ELEMENT_NODE]


def assert_on_br_int(iface: minidom.Element) -> None:
    assert iface.getAttribute("type") == "bridge"
    sources = [e for e in elements(iface) if e.tagName == "source"]
    assert len(sources) == 1 and sources[0].getAttribute("bridge") == "br-int"
    ports = [e for e in elements(iface) if e.tagName == "virtualport"]
    assert len(ports) == 1 and ports[0].getAttribute("type") == "openvswitch"
    params = elements(ports[0])
    assert [p.tagName for p in params] == ["parameters"]
    assert dict(params[0].attributes.items()) == {"interfaceid": VNIC}


def wrap_device(xml: str) -> str:
    """A minimal domain around a device fragment, for the schema."""
    body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
    return ('<domain type="kvm"><name>t</name><memory>1024</memory><os><type>hvm</type>'
            f"</os><devices>{body}</devices></domain>")


def schema_valid(domain_xml: str, tmp_path: Path) -> None:
    tool = shutil.which("virt-xml-validate")
    if tool is None:
        pytest.skip("virt-xml-validate not installed (Debian package libvirt-clients): "
                    "libvirt schema check skipped")
    path = tmp_path / "domain.xml"
    path.write_text(domain_xml)
    proc = subprocess.run([tool, str(path), "domain"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_vdsm_bridge_interface_keeps_everything_else(tmp_path: Path) -> None:
    out = rewrite_xml(VDSM_BRIDGE, VNIC)
    iface = first_interface(out)
    assert_on_br_int(iface)
    before = [(e.tagName, dict(e.attributes.items())) for e in elements(
        first_interface(VDSM_BRIDGE)) if e.tagName != "source"]
    after = [(e.tagName, dict(e.attributes.items())) for e in elements(iface)
             if e.tagName not in ("source", "virtualport")]
    assert before == after  # model, link, alias, mac, mtu, filterref, boot, bandwidth
    # virtualport right after source, indented like its siblings
    assert '<source bridge="br-int"/>\n    <virtualport type="openvswitch">' in out
    schema_valid(wrap_device(out), tmp_path)


@pytest.mark.parametrize("xml", [NETWORK, DIRECT], ids=["network", "direct"])
def test_other_types_become_bridge_on_br_int(xml: str, tmp_path: Path) -> None:
    out = rewrite_xml(xml, VNIC)
    iface = first_interface(out)
    assert_on_br_int(iface)
    source = [e for e in elements(iface) if e.tagName == "source"][0]
    assert dict(source.attributes.items()) == {"bridge": "br-int"}
    tags = [e.tagName for e in elements(iface)]
    assert "mac" in tags and "model" in tags
    schema_valid(wrap_device(out), tmp_path)


def test_existing_virtualports_are_replaced(tmp_path: Path) -> None:
    out = rewrite_xml(ALREADY_OVS, VNIC)
    assert_on_br_int(first_interface(out))
    assert "0f0f0f0f" not in out
    schema_valid(wrap_device(out), tmp_path)


def test_missing_source_is_created(tmp_path: Path) -> None:
    out = rewrite_xml(NO_SOURCE, VNIC)
    assert_on_br_int(first_interface(out))
    schema_valid(wrap_device(out), tmp_path)


def test_whole_domain_only_first_interface(tmp_path: Path) -> None:
    out = rewrite_xml(DOMAIN, VNIC)
    document = minidom.parseString(out)
    first, second = document.getElementsByTagName("interface")
    assert_on_br_int(first)
    assert second.toxml() == minidom.parseString(DOMAIN).getElementsByTagName(
        "interface")[1].toxml()
    # namespace prefixes, metadata and comments survive untouched
    assert "<ovirt-vm:provider_type>EXTERNAL_NETWORK</ovirt-vm:provider_type>" in out
    assert 'xmlns:ovirt-vm="http://ovirt.org/vm/1.0"' in out
    assert "<!-- first NIC: the OVN one -->" in out
    schema_valid(out.split("?>", 1)[1], tmp_path)


def test_no_interface_no_change() -> None:
    assert rewrite_xml(NO_INTERFACE, VNIC) == NO_INTERFACE


def run_hook_file(tmp_path: Path, xml: str, env: dict[str, str]) -> tuple[int, str]:
    path = tmp_path / "domxml"
    path.write_text(xml)
    code = vnic_hook.run({**env, "_hook_domxml": str(path)})
    return code, path.read_text()


@pytest.mark.parametrize("env", [
    {},
    {"provider_type": "EXTERNAL_NETWORK"},
    {"provider_type": "EXTERNAL_NETWORK", "plugin_type": "OPENSTACK_NETWORK",
     "vnic_id": VNIC},
    {"provider_type": "OPENSTACK_NETWORK", "plugin_type": "OVIRT_PROVIDER_OVN",
     "vnic_id": VNIC},
])
def test_not_ours_exits_0_unchanged(tmp_path: Path, env: dict[str, str]) -> None:
    assert run_hook_file(tmp_path, VDSM_BRIDGE, env) == (0, VDSM_BRIDGE)


def test_file_protocol(tmp_path: Path) -> None:
    code, out = run_hook_file(tmp_path, VDSM_BRIDGE, ENV)
    assert code == 0
    assert_on_br_int(first_interface(out))
    assert run_hook_file(tmp_path, NO_INTERFACE, ENV) == (0, NO_INTERFACE)


def test_missing_vnic_id_fails(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if k != "vnic_id"}
    with pytest.raises(vnic_hook.HookError, match="vnic_id"):
        run_hook_file(tmp_path, VDSM_BRIDGE, env)


@pytest.mark.parametrize("hook_dir", ["before_device_create", "before_nic_hotplug"])
def test_installed_executable(tmp_path: Path, hook_dir: str) -> None:
    script = REPO / "packaging/vdsm/hooks" / hook_dir / "10_ovirt_provider_ovn_hook"
    assert os.access(script, os.X_OK)
    path = tmp_path / "domxml"
    path.write_text(VDSM_BRIDGE)
    env = {**os.environ, **ENV, "_hook_domxml": str(path),
           "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert_on_br_int(first_interface(path.read_text()))
    env.pop("vnic_id")
    path.write_text(VDSM_BRIDGE)
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode != 0 and "vnic_id" in proc.stderr
    assert path.read_text() == VDSM_BRIDGE
