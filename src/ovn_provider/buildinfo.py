"""Version, git commit and build date of the running code (`--version`, start-up log).

Built artifacts (wheel, sdist, .deb, .rpm) carry `_build_info.json` next to this module,
written by setup.py or packaging/deb/build.py (docs/packaging.md). A source checkout has no
such file: the commit then comes from git and the date from this file's modification time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
from typing import Any

from ovn_provider import __version__

HERE = os.path.dirname(os.path.abspath(__file__))
INFO_FILE = os.path.join(HERE, "_build_info.json")


def git_commit(directory: str) -> str:
    """The short commit of the git work tree holding `directory` ('-dirty' when tracked
    files differ from it), or '' outside a work tree."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True,
                              timeout=10, check=False)

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        if head.returncode != 0:
            return ""
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return head.stdout.strip() + ("-dirty" if dirty else "")


def record(directory: str) -> dict[str, str]:
    """What a build writes into `_build_info.json` (git looked up from `directory`)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # reproducible builds set it
    built = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return {"version": __version__, "git": git_commit(directory),
            "built": f"{built:%Y-%m-%d}"}


def info() -> dict[str, str]:
    """version, git (may be ''), built (YYYY-MM-DD) of the running code."""
    try:
        with open(INFO_FILE, encoding="utf-8") as stream:
            data = json.load(stream)
        return {"version": __version__, "git": str(data.get("git", "")),
                "built": str(data.get("built", ""))}
    except (OSError, ValueError):
        pass
    built = dt.datetime.fromtimestamp(os.path.getmtime(__file__), dt.UTC)
    return {"version": __version__, "git": git_commit(HERE), "built": f"{built:%Y-%m-%d}"}


def describe() -> str:
    """`built 2026-12-06, git 0123abcd4567` (git 'unknown' when it cannot be known)."""
    data = info()
    return f"built {data['built']}, git {data['git'] or 'unknown'}"


def version_line(prog: str) -> str:
    """The `--version` output: `ovn-provider 0.1.0 (built ..., git ...)`."""
    return f"{prog} {__version__} ({describe()})"


class _VersionAction(argparse.Action):
    """`--version`: computed only when asked (it may run git)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(version_line(parser.prog))
        parser.exit()


def add_version_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action=_VersionAction,
                        help="print the version, git commit and build date, then exit")
