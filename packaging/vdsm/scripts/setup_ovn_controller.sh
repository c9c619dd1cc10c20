#!/bin/sh
# Legacy entry point of ovirt-provider-ovn-driver, kept at its old path
# (/usr/libexec/ovirt-provider-ovn/setup_ovn_controller.sh). Options as before:
#   --central-ip IP --tunnel-ip IP [--host-fqdn FQDN]
#   [--ovn-key PATH] [--ovn-cert PATH] [--ovn-ca-cert PATH]
# It does what `vdsm-tool ovn-config` does (compat spec 6.4), through ovn-provider-driver.
exec "${OVN_PROVIDER_DRIVER:-ovn-provider-driver}" configure --protocol ssl --restart host \
    --system-id-file /etc/openvswitch/system-id.conf \
    --sysconfig-file /etc/sysconfig/ovn-controller "$@"
