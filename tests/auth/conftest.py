"""Fixtures for the oVirt SSO plugin tests: a throwaway PKI and a fake engine over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ovn_provider import config
from tests.auth.fake_engine import CLIENT_SECRET, FakeEngine, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return make_pki(str(tmp_path_factory.mktemp("fake-engine-pki")))


@pytest.fixture()
def engine(pki: dict[str, str]) -> Iterator[FakeEngine]:
    fake = FakeEngine(pki)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def ovirt_config(engine: FakeEngine, **overrides: str) -> config.Config:
    """A Config whose [OVIRT] keys point at `engine`; `overrides` are 'SECTION/key'."""
    values = {"OVIRT/ovirt-host": engine.url,
              "OVIRT/ovirt-ca-file": engine.pki["ca"],
              "OVIRT/ovirt-sso-client-secret": CLIENT_SECRET,
              "OVIRT/ovirt-auth-timeout": "10"}
    values.update(overrides)
    triples = []
    for key, value in values.items():
        section, name = key.split("/")
        triples.append((section, name, value))
    return config.load([], overrides=triples)
