"""Configuration files (docs/configuration.md): order, defaults, syntax, errors, and the
`ovn-provider check-config` command."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from ovn_provider import cli, config
from ovn_provider.config import ConfigError, load

# Every key of docs/configuration.md (plus this project's own) with its built-in default, as parsed.
DEFAULTS = {
    ("PROVIDER", "neutron-port"): ("neutron_port", 9696),
    ("PROVIDER", "keystone-port"): ("keystone_port", 35357),
    ("PROVIDER", "nova-port"): ("nova_port", 9696),
    ("PROVIDER", "provider-host"): ("provider_host", "localhost"),
    ("PROVIDER", "openstack-region"): ("region", "RegionOne"),
    ("PROVIDER", "openstack-neutron-id"): ("neutron_id", "00000000000000000000000000000001"),
    ("PROVIDER", "openstack-keystone-id"): ("keystone_id",
                                            "00000000000000000000000000000002"),
    ("PROVIDER", "openstack-tenant-id"): ("tenant_id", "00000000000000000000000000000001"),
    ("PROVIDER", "openstack-tenant-name"): ("tenant_name", "tenant"),
    ("PROVIDER", "openstack-tenant-description"): ("tenant_description", "tenant"),
    ("PROVIDER", "ovs-version-2.9"): ("ovs_29", False),
    ("PROVIDER", "url_filter_exception"): ("url_filter_exception",
                                           ("limit", "page_reverse", "next", "previous")),
    ("PROVIDER", "bind-address"): ("bind_address", "::"),
    ("PROVIDER", "max-request-body"): ("max_body", 1048576),
    ("PROVIDER", "nb-timeout"): ("nb_timeout", 20.0),
    ("PROVIDER", "healthcheck-disable-file"): ("healthcheck_disable_file", ""),
    ("PROVIDER", "agent-down-time"): ("agent_down_time", 75),
    ("OVN REMOTE", "ovn-remote"): ("ovn_remote", "tcp:127.0.0.1:6641"),
    ("OVN REMOTE", "ovn-sb-remote"): ("ovn_sb_remote", ""),
    ("NETWORK", "port-security-enabled-default"): ("port_security_default", False),
    ("NETWORK", "gateway-chassis"): ("gateway_chassis", ()),
    ("NETWORK", "max-allowed-address-pairs"): ("max_address_pairs", 10),
    ("NETWORK", "subnet-default-gateway"): ("subnet_default_gateway", False),
    ("DHCP", "dhcp-server-mac"): ("dhcp_server_mac", "02:00:00:00:00:00"),
    ("DHCP", "dhcp-lease-time"): ("dhcp_lease_time", 86400),
    ("DHCP", "dhcp-enable-mtu"): ("dhcp_enable_mtu", True),
    ("DHCP", "dhcp-mtu"): ("dhcp_mtu", 1442),
    ("DHCP", "dhcp-default-ipv6-address-mode"): ("ipv6_default_mode", "dhcpv6-stateful"),
    ("SSL", "https-enabled"): ("https", False),
    ("SSL", "ssl-key-file"): ("ssl_key",
                              "/etc/pki/ovirt-engine/keys/ovirt-provider-ovn.key.nopass"),
    ("SSL", "ssl-cert-file"): ("ssl_cert",
                               "/etc/pki/ovirt-engine/certs/ovirt-provider-ovn.cer"),
    ("SSL", "ssl-cacert-file"): ("ssl_cacert", "/etc/pki/ovirt-engine/ca.pem"),
    ("SSL", "ssl-ciphers-string"): ("ssl_ciphers",
                                    "kECDHE+FIPS:kDHE+FIPS:kRSA+FIPS:!eNULL:!aNULL:-3DES"),
    ("AUTH", "auth-plugin"): ("auth_plugin", "auth.plugins.ovirt:AuthorizationByUserName"),
    ("AUTH", "auth-token-timeout"): ("auth_token_timeout", 360000),
    ("AUTH", "token-cache-seconds"): ("token_cache_seconds", 60),
    ("OVIRT", "ovirt-host"): ("ovirt_host", "https://localhost"),
    ("OVIRT", "ovirt-base"): ("ovirt_base", "/ovirt-engine"),
    ("OVIRT", "ovirt-ca-file"): ("ovirt_ca_file", "/etc/pki/ovirt-engine/ca.pem"),
    ("OVIRT", "ovirt-auth-timeout"): ("ovirt_auth_timeout", 110.0),
    ("OVIRT", "ovirt-sso-client-id"): ("sso_client_id", "ovirt-provider-ovn"),
    ("OVIRT", "ovirt-sso-client-secret"): ("sso_client_secret", "to_be_set"),
    ("OVIRT", "ovirt-admin-user-name"): ("admin_user_name", "admin@internal"),
    ("OVIRT", "ovirt-admin-role-id"): ("admin_role_id", "def00005-0000-0000-0000-def000000005"),
    ("OVIRT", "ovirt-admin-group-attribute-name"): (
        "admin_group_attribute_name",
        "AAA_AUTHZ_GROUP_NAME;java.lang.String;0eebe54f-b429-44f3-aa80-4704cbb16835"),
    ("OVIRT", "ovirt-admin-group-attribute-value"): ("admin_group_attribute_value",
                                                     "NetAdmin"),
    ("VALIDATION", "validation-max-allowed-mtu"): ("max_mtu", 0),
}

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "packaging" / "ovirt-provider-ovn.conf"


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- defaults --------------------------------------------------------------------------------
def test_catalogue_covers_every_key_exactly() -> None:
    assert {(k.section, k.name) for k in config.KEYS} == set(DEFAULTS)


@pytest.mark.parametrize(("section", "name"), sorted(DEFAULTS))
def test_default_of_every_key(section: str, name: str) -> None:
    attr, expected = DEFAULTS[(section, name)]
    cfg = load([])
    assert getattr(cfg, attr) == expected
    assert cfg.sources == ()


def test_missing_files_are_skipped(tmp_path: Path) -> None:
    cfg = load([str(tmp_path / "absent.conf"), str(tmp_path / "conf.d" / "x.conf")])
    assert cfg.sources == () and cfg.neutron_port == 9696


def test_derived_urls() -> None:
    cfg = load([])
    assert cfg.neutron_url == "http://localhost:9696/"
    assert cfg.keystone_url == "http://localhost:35357/"
    assert cfg.nova_url == "http://localhost:9696/v2.1/"
    tls = load([], overrides=[("SSL", "https-enabled", "true"),
                              ("PROVIDER", "provider-host", "fd00::5")])
    assert tls.neutron_url == "https://[fd00::5]:9696/"


# -- file order ---------------------------------------------------------------------------------
def test_main_then_confd_in_name_order_key_by_key(tmp_path: Path) -> None:
    main = write(tmp_path / "ovirt-provider-ovn.conf", """
[PROVIDER]
neutron-port = 9001
keystone-port = 9002
provider-host = main.example
[DHCP]
dhcp-mtu = 1400
""")
    confd = tmp_path / "conf.d"
    write(confd / "20-later.conf", "[PROVIDER]\nneutron-port = 9020\n")
    write(confd / "10-setup-ovirt-provider-ovn.conf", """
[PROVIDER]
neutron-port = 9010
provider-host = engine.example
[NETWORK]
port-security-enabled-default = True
""")
    write(confd / "README", "[PROVIDER]\nneutron-port = 1\n")  # not *.conf: never read
    write(confd / "05-early.conf.rpmsave", "[PROVIDER]\nneutron-port = 2\n")
    files = config.default_files(main, str(confd))
    assert files == [main, str(confd / "10-setup-ovirt-provider-ovn.conf"),
                     str(confd / "20-later.conf")]
    cfg = load(files)
    assert cfg.neutron_port == 9020  # the last file wins
    assert cfg.provider_host == "engine.example"  # conf.d overrides main
    assert cfg.keystone_port == 9002  # other keys of main survive
    assert cfg.dhcp_mtu == 1400
    assert cfg.port_security_default is True
    assert cfg.sources == tuple(files)


def test_default_files_without_confd(tmp_path: Path) -> None:
    main = str(tmp_path / "main.conf")
    assert config.default_files(main, str(tmp_path / "no-such-dir")) == [main]


def test_load_without_paths_reads_the_default_locations(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    main = write(tmp_path / "main.conf", "[PROVIDER]\nnova-port = 8774\n")
    write(tmp_path / "conf.d" / "50.conf", "[PROVIDER]\nopenstack-region = Two\n")
    monkeypatch.setattr(config, "DEFAULT_MAIN", main)
    monkeypatch.setattr(config, "DEFAULT_CONFD", str(tmp_path / "conf.d"))
    cfg = load()
    assert cfg.nova_port == 8774 and cfg.region == "Two"
    assert cfg.sources == (main, str(tmp_path / "conf.d" / "50.conf"))


# -- syntax -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("1", True), ("yes", True), ("true", True), ("on", True), ("True", True), ("TRUE", True),
    ("Yes", True), (" On ", True),
    ("0", False), ("no", False), ("false", False), ("off", False), ("False", False),
    ("NO", False), ("OFF", False),
])
def test_boolean_spellings(tmp_path: Path, text: str, expected: bool) -> None:
    path = write(tmp_path / "b.conf", f"[SSL]\nhttps-enabled = {text}\n"
                                      f"[PROVIDER]\novs-version-2.9 = {text}\n"
                                      f"[NETWORK]\nport-security-enabled-default = {text}\n"
                                      f"[DHCP]\ndhcp-enable-mtu = {text}\n")
    cfg = load([path])
    assert (cfg.https, cfg.ovs_29, cfg.port_security_default, cfg.dhcp_enable_mtu) == \
        (expected,) * 4


def test_key_names_ignore_case_but_section_names_do_not(tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    path = write(tmp_path / "c.conf", """
[PROVIDER]
Neutron-Port = 9100
[provider]
keystone-port = 9200
[OVN REMOTE]
OVN-REMOTE = ssl:10.0.0.1:6641
""")
    with caplog.at_level(logging.WARNING, logger="ovn_provider.config"):
        cfg = load([path])
    assert cfg.neutron_port == 9100 and cfg.ovn_remote == "ssl:10.0.0.1:6641"
    assert cfg.keystone_port == 35357
    assert any("[provider]" in r.getMessage() and path in r.getMessage()
               for r in caplog.records)


def test_unknown_sections_and_keys_are_ignored_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path / "u.conf", """
[PROVIDER]
neutron-port = 9300
no-such-key = 1
[NO SUCH SECTION]
whatever = 2
""")
    with caplog.at_level(logging.WARNING, logger="ovn_provider.config"):
        cfg = load([path])
    assert cfg.neutron_port == 9300
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(path in m and "[PROVIDER]" in m and "no-such-key" in m for m in messages)
    assert any(path in m and "[NO SUCH SECTION]" in m for m in messages)


def test_default_section_applies_to_sections_like_configparser(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path / "d.conf", """
[DEFAULT]
dhcp-mtu = 1300
odd-key = 1
[DHCP]
dhcp-lease-time = 600
""")
    with caplog.at_level(logging.WARNING, logger="ovn_provider.config"):
        cfg = load([path])
    assert cfg.dhcp_mtu == 1300 and cfg.dhcp_lease_time == 600
    odd = [r for r in caplog.records if "odd-key" in r.getMessage()]
    assert len(odd) == 1


def test_values_are_not_interpolated(tmp_path: Path) -> None:
    path = write(tmp_path / "p.conf", "[OVIRT]\novirt-sso-client-secret = a%b%%c$(x)\n")
    assert load([path]).sso_client_secret == "a%b%%c$(x)"


def test_values_are_normalised(tmp_path: Path) -> None:
    path = write(tmp_path / "n.conf", """
[DHCP]
dhcp-server-mac = 02-AA-BB-CC-DD-EE
dhcp-default-ipv6-address-mode = dhcpv6_stateless
[PROVIDER]
url_filter_exception = limit, marker ,,page_reverse
[SSL]
ssl-cacert-file =
[OVIRT]
ovirt-auth-timeout = 110
""")
    cfg = load([path])
    assert cfg.dhcp_server_mac == "02:aa:bb:cc:dd:ee"
    assert cfg.ipv6_default_mode == "dhcpv6-stateless"
    assert cfg.url_filter_exception == ("limit", "marker", "page_reverse")
    assert cfg.ssl_cacert == "/etc/pki/ovirt-engine/ca.pem"  # never the cert path
    assert cfg.ovirt_auth_timeout == 110.0


@pytest.mark.parametrize("remote", [
    "tcp:127.0.0.1:6641", "ssl:[fd00::1]:6641", "unix:/run/ovn/ovnnb_db.sock",
    "tcp:10.0.0.1:6641,tcp:10.0.0.2:6641,tcp:10.0.0.3:6641", "ssl:engine.example:6641",
    "tcp:[::1]", "ssl:10.0.0.1",
])
def test_good_remotes(tmp_path: Path, remote: str) -> None:
    path = write(tmp_path / "r.conf", f"[OVN REMOTE]\novn-remote = {remote}\n")
    assert load([path]).ovn_remote == remote


# -- bad values ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("section", "key", "value"), [
    ("PROVIDER", "neutron-port", "http"),
    ("PROVIDER", "neutron-port", "0"),
    ("PROVIDER", "keystone-port", "65536"),
    ("PROVIDER", "nova-port", "-1"),
    ("PROVIDER", "ovs-version-2.9", "maybe"),
    ("PROVIDER", "max-request-body", "0"),
    ("PROVIDER", "nb-timeout", "0"),
    ("PROVIDER", "nb-timeout", "soon"),
    ("PROVIDER", "agent-down-time", "0"),
    ("PROVIDER", "agent-down-time", "-75"),
    ("PROVIDER", "agent-down-time", "75s"),
    ("PROVIDER", "agent-down-time", ""),
    ("OVN REMOTE", "ovn-remote", "127.0.0.1:6641"),
    ("OVN REMOTE", "ovn-remote", "tcp:::1:6641"),
    ("OVN REMOTE", "ovn-remote", "tcp:10.0.0.1:port"),
    ("OVN REMOTE", "ovn-remote", "ssl:[fd00::1:6641"),
    ("OVN REMOTE", "ovn-remote", "tcp:10.0.0.1:6641,"),
    ("OVN REMOTE", "ovn-remote", "http://nb:6641"),
    ("NETWORK", "port-security-enabled-default", "enabled"),
    ("DHCP", "dhcp-server-mac", "02:00:00:00:00"),
    ("DHCP", "dhcp-lease-time", "a day"),
    ("DHCP", "dhcp-lease-time", "0"),
    ("DHCP", "dhcp-enable-mtu", ""),
    ("DHCP", "dhcp-mtu", "0"),
    ("DHCP", "dhcp-mtu", "1442.5"),
    ("DHCP", "dhcp-default-ipv6-address-mode", "dhcpv7"),
    ("SSL", "https-enabled", "2"),
    ("AUTH", "auth-token-timeout", "-5"),
    ("AUTH", "token-cache-seconds", "x"),
    ("OVIRT", "ovirt-auth-timeout", "0"),
    ("OVIRT", "ovirt-auth-timeout", "-1.5"),
    ("VALIDATION", "validation-max-allowed-mtu", "-1"),
    ("VALIDATION", "validation-max-allowed-mtu", "big"),
])
def test_bad_value_names_file_section_and_key(tmp_path: Path, section: str, key: str,
                                              value: str) -> None:
    good = write(tmp_path / "a.conf", f"[{section}]\n")
    bad = write(tmp_path / "conf.d" / "10-bad.conf", f"[{section}]\n{key} = {value}\n")
    with pytest.raises(ConfigError) as info:
        load([good, bad])
    text = str(info.value)
    assert bad in text and f"[{section}]" in text and key in text
    assert repr(value.strip()) in text


def test_bad_value_overridden_by_a_later_file_is_fine(tmp_path: Path) -> None:
    bad = write(tmp_path / "a.conf", "[PROVIDER]\nneutron-port = nope\n")
    good = write(tmp_path / "b.conf", "[PROVIDER]\nneutron-port = 9500\n")
    assert load([bad, good]).neutron_port == 9500


@pytest.mark.parametrize("text", [
    "no section header\n",
    "[PROVIDER]\nneutron-port = 1\nneutron-port = 2\n",
    "[PROVIDER]\n[PROVIDER]\n",
    "[PROVIDER\n",
])
def test_unparsable_file_names_the_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "broken.conf", text)
    with pytest.raises(ConfigError, match="broken.conf"):
        load([path])


def test_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "latin.conf"
    path.write_bytes(b"[PROVIDER]\nopenstack-tenant-name = caf\xe9\n")
    with pytest.raises(ConfigError, match="latin.conf"):
        load([str(path)])


def test_unknown_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no-such"):
        load([], overrides=[("PROVIDER", "no-such", "1")])


def test_replace_keeps_sources(tmp_path: Path) -> None:
    path = write(tmp_path / "x.conf", "[PROVIDER]\nneutron-port = 9600\n")
    cfg = load([path]).replace(ovn_remote="tcp:127.0.0.1:1")
    assert cfg.ovn_remote == "tcp:127.0.0.1:1" and cfg.neutron_port == 9600
    assert cfg.sources == (path,)


# -- the shipped file ---------------------------------------------------------------------------
SHIPPED_VALUES = {
    ("PROVIDER", "neutron-port"): "9696",
    ("PROVIDER", "keystone-port"): "35357",
    ("PROVIDER", "provider-host"): "localhost",
    ("PROVIDER", "openstack-region"): "RegionOne",
    ("PROVIDER", "openstack-neutron-id"): "00000000000000000000000000000001",
    ("PROVIDER", "openstack-keystone-id"): "00000000000000000000000000000002",
    ("PROVIDER", "openstack-tenant-id"): "00000000000000000000000000000001",
    ("PROVIDER", "openstack-tenant-name"): "tenant",
    ("PROVIDER", "openstack-tenant-description"): "tenant",
    ("PROVIDER", "ovs-version-2.9"): "false",
    ("PROVIDER", "url_filter_exception"): "limit,page_reverse,next,previous",
    ("OVN REMOTE", "ovn-remote"): "tcp:127.0.0.1:6641",
    ("NETWORK", "port-security-enabled-default"): "false",
    ("DHCP", "dhcp-server-mac"): "02:00:00:00:00:00",
    ("DHCP", "dhcp-lease-time"): "86400",
    ("SSL", "https-enabled"): "false",
    ("SSL", "ssl-key-file"): "/etc/pki/ovirt-engine/keys/ovirt-provider-ovn.key.nopass",
    ("SSL", "ssl-cert-file"): "/etc/pki/ovirt-engine/certs/ovirt-provider-ovn.cer",
    ("SSL", "ssl-cacert-file"): "/etc/pki/ovirt-engine/ca.pem",
    ("AUTH", "auth-plugin"): "auth.plugins.ovirt:AuthorizationByUserName",
    ("AUTH", "auth-token-timeout"): "360000",
    ("OVIRT", "ovirt-host"): "https://engine-host",
    ("OVIRT", "ovirt-base"): "/ovirt-engine",
    ("OVIRT", "ovirt-ca-file"): "/etc/pki/ovirt-engine/ca.pem",
    ("OVIRT", "ovirt-auth-timeout"): "110",
    ("OVIRT", "ovirt-sso-client-id"): "ovirt-provider-ovn",
    ("OVIRT", "ovirt-sso-client-secret"): "to_be_set",
    ("OVIRT", "ovirt-admin-user-name"): "admin@internal",
}


def test_shipped_file_holds_exactly_the_shipped_column() -> None:
    """Spec 5.2 "Shipped": these keys set, every other key absent or commented out."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SHIPPED, encoding="utf-8")
    found = {(s, k): v for s in parser.sections() for k, v in parser.items(s, raw=True)}
    assert found == SHIPPED_VALUES
    cfg = load([str(SHIPPED)])
    assert cfg.ovirt_host == "https://engine-host" and cfg.ovirt_auth_timeout == 110.0


def test_shipped_file_documents_every_other_key_commented_out() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    for _section, key in set(DEFAULTS) - set(SHIPPED_VALUES):
        assert f"#{key} =" in text or f"# {key} =" in text, key


def test_configuration_doc_names_every_key() -> None:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section, key in DEFAULTS:
        assert f"`{key}`" in text, key
        assert f"[{section}]" in text, section


# -- ovn-provider check-config ---------------------------------------------------------------
def test_check_config_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "ok.conf", "[PROVIDER]\nneutron-port = 9700\n")
    assert cli.main(["check-config", "--config", path]) == 0
    assert path in capsys.readouterr().out


def test_check_config_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-config", "--config", str(SHIPPED)]) == 0


def test_check_config_several_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path / "a.conf", "[DHCP]\ndhcp-mtu = x\n")
    fix = write(tmp_path / "b.conf", "[DHCP]\ndhcp-mtu = 1500\n")
    assert cli.main(["check-config", "--config", bad, "--config", fix]) == 0
    assert cli.main(["check-config", "--config", fix, "--config", bad]) == 2


def test_check_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "bad.conf", "[SSL]\nhttps-enabled = sometimes\n")
    assert cli.main(["check-config", "--config", path]) == 2
    err = capsys.readouterr().err
    assert path in err and "[SSL]" in err and "https-enabled" in err and "sometimes" in err


def test_check_config_unparsable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "bad.conf", "garbage\n")
    assert cli.main(["check-config", "--config", path]) == 2
    assert path in capsys.readouterr().err


def test_check_config_missing_file_means_defaults(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-config", "--config", str(tmp_path / "absent.conf")]) == 0
    assert "defaults only" in capsys.readouterr().out


def test_check_config_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["check-config", "--no-such-option"])
    assert info.value.code == 2


def test_engine_setup_file_shape(tmp_path: Path) -> None:
    """What engine-setup writes into conf.d (docs/configuration.md), over the shipped file."""
    setup = write(tmp_path / "conf.d" / "10-setup-ovirt-provider-ovn.conf", """
[OVN REMOTE]
ovn-remote=ssl:127.0.0.1:6641
[SSL]
ssl-cacert-file=/etc/pki/ovirt-engine/ca.pem
https-enabled=true
[OVIRT]
ovirt-sso-client-secret=AbCdEfGhIjKlMnOpQrStUvWxYz012345
ovirt-host=https://engine.example.com:443
ovirt-ca-file=/etc/pki/ovirt-engine/apache-ca.pem
[NETWORK]
port-security-enabled-default=True
[PROVIDER]
provider-host=engine.example.com
""")
    os.chmod(setup, 0o600)
    cfg = load([str(SHIPPED), setup])
    assert cfg.ovn_remote == "ssl:127.0.0.1:6641" and cfg.https is True
    assert cfg.sso_client_secret == "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    assert cfg.ovirt_host == "https://engine.example.com:443"
    assert cfg.ovirt_ca_file == "/etc/pki/ovirt-engine/apache-ca.pem"
    assert cfg.port_security_default is True
    assert cfg.neutron_url == "https://engine.example.com:9696/"


@pytest.mark.parametrize(("nb", "sb"), [
    ("tcp:127.0.0.1:6641", "tcp:127.0.0.1:6642"),
    ("ssl:[::1]:6641,ssl:10.0.0.2:6641", "ssl:[::1]:6642,ssl:10.0.0.2:6642"),
    ("unix:/run/ovn/ovnnb_db.sock", "unix:/run/ovn/ovnsb_db.sock"),
    ("tcp:nb.example:7000", "tcp:nb.example:7000"),
])
def test_sb_remote_default_is_derived_from_the_nb(nb: str, sb: str) -> None:
    cfg = config.load([], overrides=[("OVN REMOTE", "ovn-remote", nb)])
    assert cfg.sb_remote == sb


def test_sb_remote_set_explicitly_wins() -> None:
    cfg = config.load([], overrides=[("OVN REMOTE", "ovn-sb-remote", "ssl:sb.example:16642")])
    assert cfg.sb_remote == "ssl:sb.example:16642"
    with pytest.raises(config.ConfigError):
        config.load([], overrides=[("OVN REMOTE", "ovn-sb-remote", "http://x")])
