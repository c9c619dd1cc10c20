"""Helpers shared by the functional tests (moved from test_floating_ips.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ovn_provider import config
from ovn_provider.ovn.central import Central
from tests.support.provider import Api, make_config, running

CHASSIS = ("gw-chassis-1", "gw-chassis-2")


def nat_config(central: Central, chassis: tuple[str, ...] = CHASSIS) -> config.Config:
    """A test config with gateway chassis. The key may not be in config.py yet; the
    provider reads the attribute defensively, so set it on the frozen Config directly."""
    if any(key.name == "gateway-chassis" for key in config.KEYS):
        return make_config(central.nb_remote, **{"NETWORK/gateway-chassis": ",".join(chassis)})
    cfg = make_config(central.nb_remote)
    object.__setattr__(cfg, "gateway_chassis", chassis)
    return cfg


@contextmanager
def nat_api(central: Central) -> Iterator[Api]:
    """A client of a provider with gateway chassis, so that routers with gateways and
    floating IPs exist."""
    with running(nat_config(central)) as provider:
        client = Api(provider)
        try:
            yield client
        finally:
            client.close()
