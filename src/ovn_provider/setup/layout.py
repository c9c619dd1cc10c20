"""Where setup reads and writes: every path is under `--prefix` (default `/`).

Own PKI (when no CA is given and no oVirt engine PKI is found):
  etc/ovirt-provider-ovn/pki/ca.pem                 CA certificate (0644)
  etc/ovirt-provider-ovn/pki/private/ca.key         CA key (0600)
  etc/ovirt-provider-ovn/pki/certs/<role>.cer       certificates (0644)
  etc/ovirt-provider-ovn/pki/keys/<role>.key.nopass keys (0600, or 0640 with OVN's group)
The roles are the names the oVirt engine's setup gives them: ovn-ndb (NB server), ovn-sdb
(SB server), ovirt-provider-ovn (the APIs, and the provider's NB client certificate).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

NB_ROLE = "ovn-ndb"
SB_ROLE = "ovn-sdb"
PROVIDER_ROLE = "ovirt-provider-ovn"
ROLES = (NB_ROLE, SB_ROLE, PROVIDER_ROLE)

ETC_DIR = "/etc/ovirt-provider-ovn"
CONF_NAME = "20-ovn-provider-setup.conf"
ENGINE_CONF_NAME = "10-setup-ovirt-provider-ovn.conf"  # engine-setup's: never touched
ENGINE_PKI = "/etc/pki/ovirt-engine"


def under(prefix: str, path: str) -> str:
    return os.path.join(prefix, path.lstrip("/"))


@dataclass(frozen=True)
class Files:
    """One certificate and its key."""

    role: str
    cert: str
    key: str
    owned: bool  # written (and renewed) by setup; False: the engine's, used as they are


@dataclass(frozen=True)
class Layout:
    prefix: str

    def path(self, absolute: str) -> str:
        return under(self.prefix, absolute)

    @property
    def main_conf(self) -> str:
        return self.path(f"{ETC_DIR}/ovirt-provider-ovn.conf")

    @property
    def confd(self) -> str:
        return self.path(f"{ETC_DIR}/conf.d")

    @property
    def conf_file(self) -> str:
        return os.path.join(self.confd, CONF_NAME)

    @property
    def pki_dir(self) -> str:
        return self.path(f"{ETC_DIR}/pki")

    @property
    def own_ca(self) -> tuple[str, str]:
        return (os.path.join(self.pki_dir, "ca.pem"),
                os.path.join(self.pki_dir, "private", "ca.key"))

    def own_files(self, role: str) -> Files:
        return Files(role, os.path.join(self.pki_dir, "certs", f"{role}.cer"),
                     os.path.join(self.pki_dir, "keys", f"{role}.key.nopass"), True)

    # -- the oVirt engine's PKI, as engine-setup names it --------------------------------
    @property
    def engine_ca(self) -> tuple[str, str]:
        return (self.path(f"{ENGINE_PKI}/ca.pem"), self.path(f"{ENGINE_PKI}/private/ca.pem"))

    def engine_files(self, role: str) -> Files:
        return Files(role, self.path(f"{ENGINE_PKI}/certs/{role}.cer"),
                     self.path(f"{ENGINE_PKI}/keys/{role}.key.nopass"), False)

    def has_engine_ca(self) -> bool:
        return all(os.path.isfile(path) for path in self.engine_ca)
