"""Pure parts of `ovn-provider setup`: listen targets, the conf.d file's edit detection,
subject alternative names."""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509

from ovn_provider.setup import conffile, pki
from ovn_provider.setup.actions import Plan, SetupError
from ovn_provider.setup.ovsdb_tls import client_remote, parse_listen


@pytest.mark.parametrize(("target", "remote"), [
    ("pssl:6641:[::]", "ssl:127.0.0.1:6641"),
    ("pssl:6641", "ssl:127.0.0.1:6641"),
    ("pssl:6642:0.0.0.0", "ssl:127.0.0.1:6642"),
    ("pssl:6641:192.0.2.7", "ssl:192.0.2.7:6641"),
    ("pssl:6641:[2001:db8::1]", "ssl:[2001:db8::1]:6641"),
])
def test_client_remote(target: str, remote: str) -> None:
    assert client_remote(target) == remote


@pytest.mark.parametrize("target", ["ptcp:6641", "pssl:", "pssl:x", "pssl:70000", "ssl:1:2"])
def test_bad_listen_targets(target: str) -> None:
    with pytest.raises(SetupError):
        parse_listen(target)


CONF = conffile.ProviderConf("central.example", "ssl:127.0.0.1:6641", "ssl:127.0.0.1:6642",
                             "/k", "/c", "/ca")


def test_conf_file_written_updated_and_kept_when_edited(tmp_path: Path) -> None:
    path = str(tmp_path / "20.conf")
    plan = Plan()
    conffile.plan_conf(plan, path, CONF)
    assert [a.what.split()[0] for a in plan.actions] == ["write"]
    plan.actions[0].run()
    again = Plan()
    conffile.plan_conf(again, path, CONF)
    assert not again.actions and "up to date" in again.notes[0]
    changed = dataclasses.replace(CONF, fqdn="other.example")
    update = Plan()
    conffile.plan_conf(update, path, changed)
    assert update.actions[0].what.startswith("update ")
    (tmp_path / "20.conf").write_text((tmp_path / "20.conf").read_text().replace(
        "https-enabled=true", "https-enabled=false"))
    kept = Plan()
    conffile.plan_conf(kept, path, changed)
    assert not kept.actions and kept.notes[0].startswith("WARNING: kept")


def test_a_foreign_file_with_the_name_is_kept(tmp_path: Path) -> None:
    (tmp_path / "20.conf").write_text("[PROVIDER]\nprovider-host=mine\n")
    plan = Plan()
    conffile.plan_conf(plan, str(tmp_path / "20.conf"), CONF)
    assert not plan.actions and plan.notes[0].startswith("WARNING: kept")


def test_ip_names_become_ip_sans() -> None:
    key = pki.new_key()
    ca = pki.make_ca(key, "CA")
    cert = pki.issue(ca, key, key.public_key(), "r", "h.example",
                     ["h.example", "192.0.2.1", "[2001:db8::2]", "h.example"])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["h.example"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("192.0.2.1"), ipaddress.ip_address("2001:db8::2")]
    assert pki.signed_by(cert, ca) and pki.matches(cert, key)
    assert not pki.signed_by(ca, pki.make_ca(pki.new_key(), "other"))
