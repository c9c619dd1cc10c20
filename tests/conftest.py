"""Session fixtures: one real OVN central and one provider for the functional tests.

Tests share the NB, so each test works on the objects it creates and never assumes the
database is empty; tests that need an empty NB start their own Central.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.support.provider import Api, make_config, running


@pytest.fixture(scope="session")
def central() -> Iterator[Central]:
    if shutil.which("ovsdb-server") is None or shutil.which("ovn-northd") is None:
        pytest.fail("OVN is not installed: run `make test` (it installs ovn-central, "
                    "ovn-host and openvswitch-switch)")
    directory = tempfile.mkdtemp(prefix="ovnp-central-")
    bed = Central(directory)
    try:
        bed.start()
        yield bed
    finally:
        bed.stop(remove=True)


@pytest.fixture(scope="session")
def provider(central: Central) -> Iterator[Provider]:
    with running(make_config(central.nb_remote)) as prov:
        yield prov


@pytest.fixture()
def api(provider: Provider) -> Iterator[Api]:
    client = Api(provider)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def module_api(provider: Provider) -> Iterator[Api]:
    """One client for a whole module (creating an httpx client costs ~0.1 s); a module
    that wants it as its `api` overrides that fixture with a module-scoped one
    returning this."""
    client = Api(provider)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture()
def fresh_central() -> Iterator[Central]:
    """A private, empty central for one test."""
    directory = tempfile.mkdtemp(prefix="ovnp-fresh-")
    bed = Central(directory)
    try:
        bed.start()
        yield bed
    finally:
        bed.stop(remove=True)
