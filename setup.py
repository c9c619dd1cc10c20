"""Build hooks on top of pyproject.toml: stamp `_build_info.json` into built artifacts.

The sdist gets the commit of the work tree it was made from; a wheel built from a git work
tree gets the commit from git, and one built from an sdist keeps the sdist's stamp.
See docs/packaging.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from typing import Any

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

TOP = os.path.dirname(os.path.abspath(__file__))
INFO = os.path.join("ovn_provider", "_build_info.json")


def _record() -> dict[str, str] | None:
    """The build record when TOP is a git work tree; None otherwise (e.g. an sdist)."""
    spec = importlib.util.spec_from_file_location(
        "_ovn_provider_buildinfo", os.path.join(TOP, "src", "ovn_provider", "buildinfo.py"))
    assert spec is not None and spec.loader is not None
    # buildinfo imports ovn_provider.__version__: make src importable for that one module
    sys.path.insert(0, os.path.join(TOP, "src"))
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        data: dict[str, str] = module.record(TOP)
    finally:
        sys.path.remove(os.path.join(TOP, "src"))
    return data if data["git"] else None


def _write(path: str, data: dict[str, str]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(data, stream, sort_keys=True)
        stream.write("\n")


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        data = _record()
        if data is not None:
            _write(os.path.join(self.build_lib, INFO), data)


class Sdist(sdist):
    def make_release_tree(self, base_dir: str, files: Any) -> None:
        super().make_release_tree(base_dir, files)
        data = _record()
        if data is not None:
            target = os.path.join(base_dir, "src", INFO)
            if os.path.exists(target):  # a hard link into the work tree: do not write through
                os.unlink(target)
            _write(target, data)


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
