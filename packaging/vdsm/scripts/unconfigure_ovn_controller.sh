#!/bin/sh
# Legacy entry point of ovirt-provider-ovn-driver, kept at its old path
# (/usr/libexec/ovirt-provider-ovn/unconfigure_ovn_controller.sh).
# It does what `vdsm-tool ovn-unconfigure` does (compat spec 6.4).
if [ "$#" -ne 0 ]; then
    echo "usage: $0 (no arguments)" >&2
    exit 1
fi
exec "${OVN_PROVIDER_DRIVER:-ovn-provider-driver}" unconfigure --legacy
