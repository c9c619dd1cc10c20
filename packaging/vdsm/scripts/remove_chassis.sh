#!/bin/sh
# Remove a host's stale chassis from the OVN Southbound DB (compat spec 6.5).
# Installed with the provider package as /usr/share/ovirt-provider-ovn/scripts/remove_chassis.sh
# (mode 0544). The SB is $OVN_SB_DB, else unix:/var/run/ovn/ovnsb_db.sock, else the
# predecessor's unix:/var/run/openvswitch/ovnsb_db.sock.
# Exit codes: 1 wrong argument count, 2 no chassis matched, 0 removed.
if [ "$#" -ne 1 ]; then
    echo "usage: $0 <hostname>" >&2
    exit 1
fi
exec "${OVN_PROVIDER_DRIVER:-ovn-provider-driver}" remove-chassis "$1"
