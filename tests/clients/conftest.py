"""Real OpenStack clients against the session provider, with Keystone v2.0 and v3.

python-openstackclient runs as the `openstack` executable installed next to the test
interpreter (a declared test dependency); openstacksdk runs in-process. Both use the
static-token plugin of the session provider, so any user name and password work.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ovn_provider.server import Provider

IDENTITY_VERSIONS = ("v2.0", "v3")


def openstack_executable() -> str:
    beside = Path(sys.executable).with_name("openstack")
    if beside.exists():
        return str(beside)
    found = shutil.which("openstack")
    if found is None:
        pytest.fail("python-openstackclient is a test dependency: "
                    "pip install python-openstackclient openstacksdk")
    return found


def auth_settings(provider: Provider, version: str) -> dict[str, str]:
    """Keystone settings as a user would give them (OS_* names, lower case)."""
    keystone = provider.ports[1]
    settings = {"auth_url": f"http://127.0.0.1:{keystone}/{version}",
                "username": "admin@internal", "password": "secret",
                "project_name": "tenant",
                "identity_api_version": "2" if version == "v2.0" else "3"}
    if version == "v3":
        settings.update(user_domain_name="Default", project_domain_name="Default")
    return settings


class Osc:
    """Runs the `openstack` executable with the provider's credentials in its environment.

    `batch` feeds several commands to one interactive `openstack` process on stdin, as a
    user typing them would: the same command code, one start-up (about a second of
    imports) instead of one per command.
    """

    def __init__(self, provider: Provider, version: str, home: str) -> None:
        self.version = version
        self.executable = openstack_executable()
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
                    "LANG": "C.UTF-8", "no_proxy": "127.0.0.1,localhost",
                    "NO_PROXY": "127.0.0.1,localhost"}
        for key, value in auth_settings(provider, version).items():
            self.env[f"OS_{key.upper()}"] = value
        self.processes = 0

    def _run(self, args: list[str], stdin: str | None) -> str:
        self.processes += 1
        proc = subprocess.run([self.executable, *args], env=self.env, input=stdin,
                              capture_output=True, text=True, timeout=180)
        what = " ".join(args) if stdin is None else f"the batch\n{stdin}"
        # The interactive shell always exits 1 at the end of its input; a failed command
        # shows on stderr (and the shell goes on with the next one).
        ok = (0, 1) if stdin is not None else (0,)
        assert proc.returncode in ok and not proc.stderr.strip(), (
            f"openstack {what} (Keystone {self.version}) failed ({proc.returncode}):\n"
            f"{proc.stderr.strip()}")
        return proc.stdout

    def run(self, *args: str) -> str:
        """One command in its own process."""
        return self._run(list(args), None)

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-f", "json"))

    def batch(self, *commands: list[str]) -> list[Any]:
        """Run `commands` in one process; a command that names `-f json` yields its
        parsed output, the others None. Any error fails with the client's message."""
        script = "".join(shlex.join(cmd) + "\n" for cmd in commands)
        out = self._run([], script)
        decoder = json.JSONDecoder()
        results: list[Any] = []
        pos = 0
        for cmd in commands:
            if "json" not in cmd:
                results.append(None)
                continue
            while pos < len(out) and out[pos].isspace():
                pos += 1
            doc, pos = decoder.raw_decode(out, pos)
            results.append(doc)
        assert not out[pos:].strip(), f"unexpected output: {out[pos:]}"
        return results


@pytest.fixture(params=IDENTITY_VERSIONS)
def identity_version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def osc(provider: Provider, identity_version: str) -> Iterator[Osc]:
    home = tempfile.mkdtemp(prefix="ovnp-osc-")
    try:
        yield Osc(provider, identity_version, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture()
def sdk(provider: Provider, identity_version: str) -> Iterator[Any]:
    """An openstacksdk Connection built from explicit settings (the SDK then reads no
    clouds.yaml and no OS_* environment)."""
    import openstack.connection

    settings: dict[str, Any] = dict(auth_settings(provider, identity_version))
    conn = openstack.connection.Connection(**settings)
    try:
        yield conn
    finally:
        conn.close()
