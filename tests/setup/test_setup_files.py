"""`ovn-provider setup` against a private central: what it writes, where, with which
modes; --dry-run, --prefix, idempotence, operator files, --renew, given and engine CAs."""

from __future__ import annotations

import grp
import os
import subprocess
from collections.abc import Callable

import pytest
from cryptography import x509

from ovn_provider import config
from ovn_provider.setup import pki
from tests.setup.conftest import SetupBed, snapshot

ROLES = ("ovn-ndb", "ovn-sdb", "ovirt-provider-ovn")


def ctl(bed: SetupBed, tool: str, *args: str) -> str:
    sock = bed.central.nb[0].sock if tool == "ovn-nbctl" else bed.central.sb.sock  # type: ignore[union-attr]
    return subprocess.run([tool, f"--db=unix:{sock}", "--timeout=10", *args], check=True,
                          capture_output=True, text=True, timeout=30).stdout


def db_state(bed: SetupBed) -> tuple[str, ...]:
    return tuple(ctl(bed, tool, cmd) for tool in ("ovn-nbctl", "ovn-sbctl")
                 for cmd in ("get-ssl", "get-connection"))


def test_dry_run_prints_every_action_and_changes_nothing(
        bed_factory: Callable[[], SetupBed]) -> None:
    bed = bed_factory()
    before = db_state(bed)
    result = bed.setup("--dry-run")
    assert result.code == 0, result.err
    for expected in ("would create a CA", "would create key", "would issue certificate",
                     "would NB: set-ssl", "would NB: set-connection", "would SB: set-ssl",
                     "would SB: set-connection", "inactivity_probe=60000",
                     "would write " + bed.conf, "dry run: nothing was changed"):
        assert expected in result.out, result.out
    assert os.listdir(bed.prefix) == []
    assert db_state(bed) == before


def test_first_run_writes_under_the_prefix_with_modes(
        bed_factory: Callable[[], SetupBed]) -> None:
    bed = bed_factory()
    outside = "/etc/ovirt-provider-ovn/conf.d/20-ovn-provider-setup.conf"
    existed = os.path.exists(outside)
    result = bed.setup()
    assert result.code == 0, result.err
    assert os.path.exists(outside) == existed
    files = snapshot(bed.prefix)
    modes = {path: mode for path, (mode, _, _) in files.items()}
    base = "etc/ovirt-provider-ovn/"
    expected = {base + "pki/ca.pem": 0o644, base + "pki/private/ca.key": 0o600,
                base + "conf.d/20-ovn-provider-setup.conf": 0o600}
    for role in ROLES:
        expected[f"{base}pki/certs/{role}.cer"] = 0o644
        expected[f"{base}pki/keys/{role}.key.nopass"] = 0o600
    assert modes == expected
    assert os.stat(os.path.dirname(bed.etc("pki", "private", "ca.key"))).st_mode & 0o777 == 0o700

    ca = pki.load_cert(bed.ca)
    for role in ROLES:
        cert = pki.load_cert(bed.cert(role))
        assert pki.signed_by(cert, ca)
        assert pki.matches(cert, pki.load_key(bed.key(role)))
        assert pki.san_names(cert) == ["localhost", "127.0.0.1"]
        assert 700 < pki.days_left(cert) <= 730
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False

    cfg = config.load([bed.conf])
    assert cfg.https is True and cfg.provider_host == "localhost"
    assert cfg.ovn_remote == f"ssl:127.0.0.1:{bed.nb_port}"
    assert (cfg.ssl_key, cfg.ssl_cert, cfg.ssl_cacert) == (
        bed.key("ovirt-provider-ovn"), bed.cert("ovirt-provider-ovn"), bed.ca)
    with open(bed.conf, encoding="utf-8") as handle:
        assert f"ovn-sb-remote=ssl:127.0.0.1:{bed.sb_port}\n" in handle.read()

    nb_ssl = ctl(bed, "ovn-nbctl", "get-ssl")
    assert f"Certificate: {bed.cert('ovn-ndb')}" in nb_ssl
    assert f"CA Certificate: {bed.ca}" in nb_ssl
    assert ctl(bed, "ovn-nbctl", "get-connection").split() == [f"pssl:{bed.nb_port}:127.0.0.1"]
    assert ctl(bed, "ovn-sbctl", "get-connection").split()[-1] == f"pssl:{bed.sb_port}:127.0.0.1"
    assert ctl(bed, "ovn-sbctl", "get", "Connection", ".", "inactivity_probe").strip() == "60000"
    protocols = ctl(bed, "ovn-nbctl", "get", "SSL", ".", "ssl_protocols").strip().strip('"')
    assert protocols.split(",")[0] == "TLSv1.2"
    assert ctl(bed, "ovn-nbctl", "get", "SSL", ".", "ssl_ciphers").strip().strip('"') == (
        config.load([]).ssl_ciphers)


def test_second_run_changes_nothing_and_keeps_operator_files(
        bed_factory: Callable[[], SetupBed]) -> None:
    bed = bed_factory()
    confd = bed.etc("conf.d")
    os.makedirs(confd)
    engine_file = os.path.join(confd, "10-setup-ovirt-provider-ovn.conf")
    local_file = os.path.join(confd, "50-local.conf")
    for path in (engine_file, local_file):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("[PROVIDER]\nprovider-host=operator.example\n")
        os.chmod(path, 0o600)
    first = bed.setup()
    assert first.code == 0, first.err
    files = snapshot(bed.prefix)
    state = db_state(bed)
    second = bed.setup()
    assert second.code == 0, second.err
    assert second.out.rstrip().endswith("nothing to change"), second.out
    assert "kept " + bed.conf + " (up to date)" in second.out
    assert snapshot(bed.prefix) == files
    assert db_state(bed) == state
    for path in (engine_file, local_file):
        with open(path, encoding="utf-8") as handle:
            assert handle.read() == "[PROVIDER]\nprovider-host=operator.example\n"


def test_an_edited_conf_file_is_kept(bed_factory: Callable[[], SetupBed]) -> None:
    bed = bed_factory()
    assert bed.setup().code == 0
    with open(bed.conf, "a", encoding="utf-8") as handle:
        handle.write("# mine\n")
    with open(bed.conf, "rb") as handle:
        edited = handle.read()
    result = bed.setup("--fqdn", "other.example")
    assert result.code == 0, result.err
    assert f"WARNING: kept {bed.conf}: it was edited" in result.out
    with open(bed.conf, "rb") as handle:
        assert handle.read() == edited


def test_an_unedited_conf_file_follows_new_options(bed_factory: Callable[[], SetupBed]) -> None:
    bed = bed_factory()
    assert bed.setup().code == 0
    result = bed.setup("--fqdn", "central.example")
    assert result.code == 0, result.err
    assert f"update {bed.conf}" in result.out
    assert config.load([bed.conf]).provider_host == "central.example"


def test_server_keys_get_the_ovn_group(bed_factory: Callable[[], SetupBed]) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file another group needs root; CI runs the tests as root")
    group = grp.getgrgid(1).gr_name  # any group other than root's
    bed = bed_factory()
    result = bed.setup("--ovn-group", group)
    assert result.code == 0, result.err
    for role in ("ovn-ndb", "ovn-sdb"):
        st = os.stat(bed.key(role))
        assert (st.st_mode & 0o777, st.st_gid) == (0o640, 1)
    st = os.stat(bed.key("ovirt-provider-ovn"))
    assert (st.st_mode & 0o777, st.st_gid) == (0o600, 0)


def test_renew_issues_new_certificates_for_the_same_keys(
        bed_factory: Callable[[], SetupBed]) -> None:
    bed = bed_factory()
    assert bed.setup().code == 0
    before = snapshot(bed.prefix)
    serials = {role: pki.load_cert(bed.cert(role)).serial_number for role in ROLES}
    result = bed.setup("--renew")
    assert result.code == 0, result.err
    after = snapshot(bed.prefix)
    ca = pki.load_cert(bed.ca)
    for role in ROLES:
        cert = pki.load_cert(bed.cert(role))
        assert cert.serial_number != serials[role]
        assert pki.signed_by(cert, ca) and pki.matches(cert, pki.load_key(bed.key(role)))
        assert f"renew certificate {bed.cert(role)}" in result.out
    changed = {path for path in after if after[path] != before[path]}
    assert changed == {f"etc/ovirt-provider-ovn/pki/certs/{role}.cer" for role in ROLES}


def test_a_given_ca_is_used_and_not_copied(bed_factory: Callable[[], SetupBed],
                                          tmp_path: object) -> None:
    bed = bed_factory()
    key = pki.new_key()
    ca_dir = os.path.join(bed.prefix, "operator-ca")
    os.makedirs(ca_dir)
    ca_cert, ca_key = os.path.join(ca_dir, "ca.crt"), os.path.join(ca_dir, "ca.key")
    with open(ca_key, "wb") as handle:
        handle.write(pki.key_pem(key))
    with open(ca_cert, "wb") as handle:
        handle.write(pki.cert_pem(pki.make_ca(key, "operator CA")))
    result = bed.setup("--ca-cert", ca_cert, "--ca-key", ca_key)
    assert result.code == 0, result.err
    assert not os.path.exists(bed.ca)
    assert config.load([bed.conf]).ssl_cacert == ca_cert
    for role in ROLES:
        assert pki.signed_by(pki.load_cert(bed.cert(role)), pki.load_cert(ca_cert))


def test_the_engine_pki_is_detected_and_left_alone(bed_factory: Callable[[], SetupBed]) -> None:
    bed = bed_factory()
    engine = os.path.join(bed.prefix, "etc/pki/ovirt-engine")
    for sub in ("private", "certs", "keys"):
        os.makedirs(os.path.join(engine, sub))
    ca_key = pki.new_key()
    ca = pki.make_ca(ca_key, "engine CA")
    provider_key = pki.new_key()
    provider_cert = pki.issue(ca, ca_key, provider_key.public_key(), "ovirt-provider-ovn",
                              "engine.example", ["engine.example"])
    contents = {"ca.pem": pki.cert_pem(ca), "private/ca.pem": pki.key_pem(ca_key),
                "certs/ovirt-provider-ovn.cer": pki.cert_pem(provider_cert),
                "keys/ovirt-provider-ovn.key.nopass": pki.key_pem(provider_key)}
    for name, data in contents.items():
        with open(os.path.join(engine, name), "wb") as handle:
            handle.write(data)
    before = snapshot(engine)
    result = bed.setup()
    assert result.code == 0, result.err
    assert snapshot(engine) == before
    cfg = config.load([bed.conf])
    assert cfg.ssl_cacert == os.path.join(engine, "ca.pem")
    assert cfg.ssl_cert == os.path.join(engine, "certs/ovirt-provider-ovn.cer")
    assert cfg.ssl_key == os.path.join(engine, "keys/ovirt-provider-ovn.key.nopass")
    assert not os.path.exists(bed.ca)
    for role in ("ovn-ndb", "ovn-sdb"):  # not issued by the engine yet: from its CA
        assert pki.signed_by(pki.load_cert(bed.cert(role)), ca)
    assert "ovirt-provider-ovn: the engine's" in result.out
    renewed = bed.setup("--renew")
    assert renewed.code == 0 and snapshot(engine) == before


def test_services_installed_where_the_host_has_them(bed_factory: Callable[[], SetupBed]) -> None:
    bed = bed_factory()
    for directory in ("etc/systemd/system", "etc/logrotate.d"):
        os.makedirs(os.path.join(bed.prefix, directory))
    result = bed.setup()
    assert result.code == 0, result.err
    unit = os.path.join(bed.prefix, "etc/systemd/system/ovirt-provider-ovn.service")
    rotate = os.path.join(bed.prefix, "etc/logrotate.d/ovirt-provider-ovn")
    for path in (unit, rotate):
        assert os.stat(path).st_mode & 0o777 == 0o644
    with open(unit, encoding="utf-8") as handle:
        assert "ExecReload=/bin/kill -HUP $MAINPID" in handle.read()
    assert "skipped firewalld service: this host has no" in result.out
    assert "services not enabled or restarted: --prefix" in result.out


def test_without_a_service_manager_setup_says_what_it_skipped(
        bed_factory: Callable[[], SetupBed]) -> None:
    if os.path.isdir("/run/systemd/system"):
        pytest.skip("this host runs systemd: the no-systemd message is not expected here")
    from ovn_provider.setup import services
    from ovn_provider.setup.actions import Plan

    plan = Plan()
    services.plan_services(plan, "/", ["systemd unit"], restart=True, reload=False)
    assert not plan.actions
    assert any(note.startswith("skipped systemd: not running here") for note in plan.notes)


def test_unreachable_database_is_a_clear_error(bed_factory: Callable[[], SetupBed]) -> None:
    bed = bed_factory()
    args = bed.args()
    args[args.index("--nb-db") + 1] = f"unix:{bed.prefix}/missing.sock"
    import contextlib
    import io

    from ovn_provider import cli
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(args)
    assert code == 1
    assert "NB database at unix:" in err.getvalue()


def test_with_systemd_the_unit_is_enabled_and_reloaded_after_a_renewal(
        tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """systemctl here is a stand-in script that records its arguments (this test machine
    runs no systemd): enabled when it is not, reloaded (SIGHUP) when only certificates
    changed, restarted when the configuration changed."""
    from pathlib import Path

    from ovn_provider.setup import services
    from ovn_provider.setup.actions import Plan

    base = Path(str(tmp_path))
    (base / "bin").mkdir()
    (base / "marker").mkdir()
    calls = base / "calls"
    script = base / "bin" / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n'
                      'case "$1" in is-enabled) exit 1;; *) exit 0;; esac\n')
    script.chmod(0o755)
    firewall = base / "bin" / "firewall-cmd"  # never the host's firewall: "not running"
    firewall.write_text("#!/bin/sh\nexit 252\n")
    firewall.chmod(0o755)
    monkeypatch.setenv("PATH", f"{base / 'bin'}:{os.environ['PATH']}")
    monkeypatch.setattr(services, "SYSTEMD_MARKER", str(base / "marker"))
    def run(restart: bool, reload: bool) -> list[str]:
        calls.write_text("")
        plan = Plan()
        services.plan_services(plan, "/", ["systemd unit"], restart=restart, reload=reload)
        plan.execute(dry_run=False, out=lambda line: None)
        return calls.read_text().splitlines()

    unit = services.UNIT
    assert run(restart=False, reload=True) == [
        f"is-enabled --quiet {unit}", f"is-active --quiet {unit}", "daemon-reload",
        f"enable {unit}", f"reload {unit}"]
    assert run(restart=True, reload=False)[-1] == f"restart {unit}"
    assert run(restart=False, reload=False)[-1] == f"enable {unit}"
