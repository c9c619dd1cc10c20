"""Which runtime dependencies come from Debian and which are bundled (docs/packaging.md).

A distribution comes from Debian when debian-python.txt lists it and Debian 12's version
satisfies every requirement on it: pyproject.toml's pins and those of the bundled
libraries that need it. Everything else is bundled, in the version installed in the venv
this runs in (the versions the test suite ran with), and its own requirements are followed
the same way. A Debian package brings its own dependencies, so they are not followed.
"""

from __future__ import annotations

import importlib.metadata as metadata
import sys
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version


@dataclass(frozen=True)
class DebianDist:
    package: str
    version: str


@dataclass
class Plan:
    debian: dict[str, DebianDist] = field(default_factory=dict)  # PyPI name -> package
    vendor: dict[str, str] = field(default_factory=dict)  # PyPI name -> version to bundle
    wanted: dict[str, list[tuple[str, SpecifierSet]]] = field(default_factory=dict)

    def debian_depend(self, name: str) -> str | None:
        dist = self.debian.get(canonicalize_name(name))
        return f"{dist.package} (>= {dist.version})" if dist else None

    def debian_depends(self) -> list[str]:
        return [f"{d.package} (>= {d.version})"
                for d in sorted(self.debian.values(), key=lambda d: d.package)]


def read_table(path: Path) -> dict[str, DebianDist]:
    table: dict[str, DebianDist] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, package, version = line.split()
            table[canonicalize_name(name)] = DebianDist(package, version)
    return table


def _applies(req: Requirement) -> bool:
    return req.marker is None or req.marker.evaluate({"extra": ""})


def debian_satisfies(dist: DebianDist, specs: list[tuple[str, SpecifierSet]]) -> bool:
    version = Version(dist.version)
    return all(spec.contains(version, prereleases=True) for _, spec in specs)


def plan(dependencies: list[str], table_path: Path) -> Plan:
    """Decide for pyproject's runtime `dependencies`; repeat until no new requirement."""
    table = read_table(table_path)
    result = Plan()
    wanted = result.wanted
    for line in dependencies:
        req = Requirement(line)
        if _applies(req):
            wanted.setdefault(canonicalize_name(req.name), []).append(("pyproject", req.specifier))
    followed: set[str] = set()
    while True:
        result.debian.clear()
        result.vendor.clear()
        for name, specs in wanted.items():
            dist = table.get(name)
            if dist is not None and debian_satisfies(dist, specs):
                result.debian[name] = dist
            else:
                result.vendor[name] = _installed_version(name, specs)
        todo = [name for name in result.vendor if name not in followed]
        if not todo:
            return result
        for name in todo:
            followed.add(name)
            for line in metadata.distribution(name).requires or []:
                req = Requirement(line)
                if _applies(req):
                    entry = (name, req.specifier)
                    specs = wanted.setdefault(canonicalize_name(req.name), [])
                    if entry not in specs:
                        specs.append(entry)


def _installed_version(name: str, specs: list[tuple[str, SpecifierSet]]) -> str:
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        raise SystemExit(f"{name} is to be bundled but is not installed in this venv "
                         f"({sys.executable}): run `make venv`") from None
    for who, spec in specs:
        if not spec.contains(Version(version), prereleases=True):
            raise SystemExit(f"{name} {version} in the venv does not satisfy {who}'s {spec}")
    return version

