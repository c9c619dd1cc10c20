# vdsm-tool commands `ovn-config` and `ovn-unconfigure` of ovn-provider's host driver.
# Installed as <python3 sitelib>/vdsm/tool/ovn_config.py, replacing ovirt-provider-ovn's
# module of the same name. The code is in ovn_provider.driver.vdsm_tool (docs/driver.md).
# vdsm-tool imports every module of its package: a broken driver install must not break
# vdsm-tool's other commands, hence the guarded import.
import sys

try:
    from ovn_provider.driver.vdsm_tool import ovn_config, ovn_unconfigure
except ImportError as err:
    print(f"ovn_config: ovn-provider driver unavailable ({err})", file=sys.stderr)
else:
    __all__ = ["ovn_config", "ovn_unconfigure"]
