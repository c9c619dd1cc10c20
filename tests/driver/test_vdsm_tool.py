"""Unit tests of the vdsm-tool module (docs/driver.md), with and without vdsm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ovn_provider.driver import vdsm_tool
from tests.driver.test_host_units import SAMPLE_CAPS

REPO = Path(__file__).resolve().parents[2]
THIN = REPO / "packaging/vdsm/tool/ovn_config.py"

FAKE_VDSM_TOOL = textwrap.dedent('''
    class expose(object):
        def __init__(self, name):
            self.name = name

        def __call__(self, fun):
            fun._vdsm_tool = {"name": self.name}
            return fun


    class UsageError(RuntimeError):
        pass
''')

# What vdsm-tool does: import every module of vdsm/tool and collect `_vdsm_tool` marks.
LOADER = textwrap.dedent('''
    import importlib, json, sys
    sys.path[:0] = sys.argv[1:]
    import vdsm.tool
    module = importlib.import_module("vdsm.tool.ovn_config")
    commands = {getattr(module, n)._vdsm_tool["name"]: getattr(module, n).__doc__.split()[0]
                for n in dir(module) if hasattr(getattr(module, n), "_vdsm_tool")}
    result = {"commands": commands}
    if commands:
        try:
            module.ovn_config("ovn-config", "192.0.2.1")
        except vdsm.tool.UsageError as err:
            result["usage_error"] = str(err)
    print(json.dumps(result))
''')


@pytest.fixture()
def fake_vdsm(tmp_path: Path) -> Path:
    tool = tmp_path / "vdsm" / "tool"
    tool.mkdir(parents=True)
    (tmp_path / "vdsm" / "__init__.py").write_text("")
    (tool / "__init__.py").write_text(FAKE_VDSM_TOOL)
    (tool / "ovn_config.py").write_text(THIN.read_text())
    return tmp_path


def load_with_vdsm_tool(*paths: Path, site: bool = True) -> dict[str, object]:
    flags = ["-I"] if site else ["-I", "-S"]  # -S: not even the editable install
    proc = subprocess.run([sys.executable, *flags, "-c", LOADER, *map(str, paths)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    result["stderr"] = proc.stderr
    return result


def test_vdsm_tool_finds_both_commands(fake_vdsm: Path) -> None:
    result = load_with_vdsm_tool(fake_vdsm, REPO / "src")
    assert result["commands"] == {"ovn-config": "ovn-config", "ovn-unconfigure": "ovn-unconfigure"}
    # vdsm's own UsageError is raised, so vdsm-tool prints its usage for a bad call
    assert "2 or 3 arguments" in str(result["usage_error"])


def test_broken_driver_install_does_not_break_vdsm_tool(fake_vdsm: Path) -> None:
    result = load_with_vdsm_tool(fake_vdsm, site=False)  # ovn_provider not importable
    assert result["commands"] == {}
    assert "driver unavailable" in str(result["stderr"])


def test_without_vdsm_the_fallback_marks_commands() -> None:
    assert getattr(vdsm_tool.ovn_config, "_vdsm_tool") == {"name": "ovn-config"}  # noqa: B009
    assert getattr(vdsm_tool.ovn_unconfigure, "_vdsm_tool") == {  # noqa: B009
        "name": "ovn-unconfigure"}


@pytest.mark.parametrize("args", [(), ("192.0.2.1",), ("a", "b", "c", "d")])
def test_ovn_config_argument_count(args: tuple[str, ...]) -> None:
    with pytest.raises(vdsm_tool.UsageError):
        vdsm_tool.ovn_config("ovn-config", *args)
    with pytest.raises(vdsm_tool.UsageError):
        vdsm_tool.run_ovn_config(args)


def test_ovn_unconfigure_takes_no_arguments() -> None:
    with pytest.raises(vdsm_tool.UsageError):
        vdsm_tool.ovn_unconfigure("ovn-unconfigure", "extra")


def test_command_name_stripped_for_old_and_new_vdsm() -> None:
    assert vdsm_tool._command_args(("ovn-config", "a", "b"), "ovn-config") == ["a", "b"]
    assert vdsm_tool._command_args(("a", "b"), "ovn-config") == ["a", "b"]


def test_unknown_network_fails_with_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    code = vdsm_tool.run_ovn_config(["192.0.2.1", "nosuchnet"], caps=lambda: SAMPLE_CAPS)
    assert code == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["vdsm network 'nosuchnet' not found", "Failed to configure OVN controller."]


def test_caps_loader_prefers_vdsm_network_api(tmp_path: Path) -> None:
    api = tmp_path / "vdsm" / "network"
    api.mkdir(parents=True)
    (tmp_path / "vdsm" / "__init__.py").write_text("")
    (api / "__init__.py").write_text("")
    (api / "api.py").write_text(f"def network_caps():\n    return {SAMPLE_CAPS!r}\n")
    code = textwrap.dedent(f'''
        import sys
        sys.path[:0] = [{str(tmp_path)!r}, {str(REPO / "src")!r}]
        from ovn_provider.driver.host import Host
        from ovn_provider.driver.vdsm_tool import vdsm_caps_loader
        from ovn_provider.driver.tunnel import resolve_tunnel_ip
        print(resolve_tunnel_ip("tunnel6", vdsm_caps_loader(Host())))
    ''')
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                          check=False, env={"PATH": os.environ["PATH"]})
    assert proc.stdout.strip() == "2001:db8:0:2::21", proc.stderr
