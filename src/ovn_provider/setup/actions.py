"""What setup does, as a list: each action says what it changes and how; `--dry-run` prints
the list, a real run performs it in order. Notes are things kept or skipped, with why."""

from __future__ import annotations

import grp
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field


class SetupError(Exception):
    """Setup cannot go on (a file it cannot read, a database it cannot reach)."""


@dataclass
class Action:
    what: str
    run: Callable[[], None]


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, what: str, run: Callable[[], None]) -> None:
        self.actions.append(Action(what, run))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def execute(self, dry_run: bool, out: Callable[[str], None] = print) -> None:
        for note in self.notes:
            out(f"note: {note}")
        for action in self.actions:
            if dry_run:
                out(f"would {action.what}")
            else:
                action.run()
                out(action.what)
        if not self.actions:
            out("nothing to change")


def group_id(name: str | None) -> int | None:
    if not name:
        return None
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def write_file(path: str, data: bytes, mode: int, gid: int | None = None,
               dir_mode: int = 0o755) -> None:
    """Write `path` atomically (temporary file in the same directory, then rename), with
    `mode` and group `gid` set before any content is in it."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=dir_mode, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".setup-")
    try:
        os.fchmod(fd, mode)
        if gid is not None:
            os.fchown(fd, -1, gid)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def mode_text(mode: int, gid: int | None) -> str:
    if gid is None:
        return f"{mode:04o}"
    return f"{mode:04o}, group {grp.getgrgid(gid).gr_name}"
