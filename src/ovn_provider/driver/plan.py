"""Plans: the exact changes `configure`/`unconfigure` make, computed before acting.

A plan is compared with the database, so running configure twice changes nothing the
second time, and `--dry-run` prints the same plan without applying it.

What configure set is recorded in `external_ids:ovn-provider-configured-keys` (a
comma-separated list of `column:key` and `bridge:NAME` items), so unconfigure removes
exactly those keys and bridges and nothing an administrator set by other means.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ovn_provider.driver import cms_options
from ovn_provider.driver.errors import DriverError
from ovn_provider.driver.ovs import Ovs, OvsState, quote
from ovn_provider.driver.settings import SYSTEM_ID, Key, ext

RECORD = ext("ovn-provider-configured-keys")
BRIDGE_PREFIX = "bridge:"

Action = Literal["set", "remove", "add-bridge", "del-bridge", "write-file"]


@dataclass(frozen=True)
class Change:
    action: Action
    target: str  # "column:key", a bridge name or a file path
    value: str | None = None  # new value, datapath type or file content
    old: str | None = None

    def describe(self) -> str:
        if self.action == "set":
            was = "unset" if self.old is None else quote(self.old)
            return f"set {self.target}={quote(self.value or '')} (was {was})"
        if self.action == "remove":
            return f"remove {self.target} (was {quote(self.old or '')})"
        if self.action == "add-bridge":
            dp = f" (datapath_type={self.value})" if self.value else ""
            return f"create bridge {self.target}{dp}"
        if self.action == "del-bridge":
            return f"delete bridge {self.target}"
        return f"write {self.target}: {(self.value or '').strip()}"

    def operations(self) -> list[list[str]]:
        """ovs-vsctl commands for this change (none for a file)."""
        if self.action in ("set", "remove"):
            key = Key.parse(self.target)
            if self.action == "set":
                return [["set", "Open_vSwitch", ".",
                         f"{key.column}:{quote(key.key)}={quote(self.value or '')}"]]
            return [["remove", "Open_vSwitch", ".", key.column, quote(key.key)]]
        if self.action == "add-bridge":
            ops = [["--may-exist", "add-br", self.target]]
            if self.value:
                ops.append(["set", "Bridge", self.target, f"datapath_type={self.value}"])
            return ops
        if self.action == "del-bridge":
            return [["--if-exists", "del-br", self.target]]
        return []


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def lines(self, dry_run: bool = False) -> list[str]:
        prefix = "would " if dry_run else ""
        return [prefix + change.describe() for change in self.changes]


def parse_record(value: str | None) -> list[str]:
    return [item for item in (value or "").split(",") if item]


def format_record(items: Iterable[str]) -> str:
    return ",".join(sorted(set(items)))


def plan_configure(state: OvsState, desired: Mapping[Key, str],
                   bridges: Iterable[str] = (), datapath_type: str | None = None,
                   files: Mapping[str, str] | None = None,
                   cms: Mapping[str, bool] | None = None) -> Plan:
    """Changes that make the database (and files) hold `desired`, recorded for undo.
    `cms`: options of `ovn-cms-options` to add (True) or remove (False)."""
    plan = Plan()
    record = set(parse_record(state.external_ids.get(RECORD.key)))
    _plan_cms(state, cms or {}, plan, record)
    for key, value in desired.items():
        old = state.column(key.column).get(key.key)
        if old != value:
            plan.changes.append(Change("set", str(key), value, old))
        # The system-id is the host's identity (ovs-ctl sets it from system-id.conf too):
        # record it only when configure actually changed it.
        if key != SYSTEM_ID or old != value:
            record.add(str(key))
    for bridge in bridges:
        existing = state.bridges.get(bridge)
        if existing is None:
            plan.changes.append(Change("add-bridge", bridge, datapath_type))
            record.add(BRIDGE_PREFIX + bridge)
        elif datapath_type and existing["datapath_type"] != datapath_type:
            plan.notes.append(f"bridge {bridge} exists with datapath_type="
                              f"{existing['datapath_type'] or 'system'}: left as it is")
    plan.changes += plan_files(files or {})
    old_record = state.external_ids.get(RECORD.key)
    new_record = format_record(record)
    if new_record != (old_record or ""):
        plan.changes.append(Change("set", str(RECORD), new_record, old_record))
    return plan


def _plan_cms(state: OvsState, options: Mapping[str, bool], plan: Plan,
              record: set[str]) -> None:
    """Merge options into `ovn-cms-options`; record only the options configure added
    (an option the administrator had set stays when unconfigure runs)."""
    key = cms_options.CMS_OPTIONS
    old = state.external_ids.get(key.key)
    value = old
    for option, present in options.items():
        had = option in cms_options.split(value)
        value = cms_options.with_option(value, option, present)
        if present and not had:
            record.add(cms_options.RECORD_PREFIX + option)
        elif not present:
            record.discard(cms_options.RECORD_PREFIX + option)
    if value != old:
        plan.changes.append(Change("set", str(key), value, old) if value is not None
                            else Change("remove", str(key), None, old))


def plan_files(files: Mapping[str, str]) -> list[Change]:
    """Writes for the files whose content differs."""
    changes = []
    for path, content in files.items():
        old_content = read_text(path)
        if old_content != content:
            changes.append(Change("write-file", path, content, old_content))
    return changes


def plan_unconfigure(state: OvsState, also: Iterable[Key] = ()) -> Plan:
    """Remove what configure recorded (plus `also`), then the record itself."""
    plan = Plan()
    items = parse_record(state.external_ids.get(RECORD.key))
    keys: list[Key] = []
    bridges: list[str] = []
    cms = state.external_ids.get(cms_options.CMS_OPTIONS.key)
    for item in items:
        if item.startswith(BRIDGE_PREFIX):
            bridges.append(item[len(BRIDGE_PREFIX):])
            continue
        if item.startswith(cms_options.RECORD_PREFIX):
            cms = cms_options.with_option(cms, item[len(cms_options.RECORD_PREFIX):], False)
            continue
        try:
            keys.append(Key.parse(item))
        except ValueError:
            plan.notes.append(f"ignored unknown record item {item!r}")
    for key in also:
        if key not in keys:
            keys.append(key)
    for key in keys:
        old = state.column(key.column).get(key.key)
        if old is not None:
            plan.changes.append(Change("remove", str(key), None, old))
    old_cms = state.external_ids.get(cms_options.CMS_OPTIONS.key)
    if cms != old_cms and cms_options.CMS_OPTIONS not in keys:
        target = str(cms_options.CMS_OPTIONS)
        plan.changes.append(Change("set", target, cms, old_cms) if cms is not None
                            else Change("remove", target, None, old_cms))
    for bridge in bridges:
        if bridge in state.bridges:
            plan.changes.append(Change("del-bridge", bridge))
    if RECORD.key in state.external_ids:
        plan.changes.append(Change("remove", str(RECORD), None,
                                   state.external_ids[RECORD.key]))
    return plan


def apply(ovs: Ovs, plan: Plan) -> None:
    """Files first, then every database change in one ovs-vsctl transaction."""
    apply_files(plan.changes)
    apply_db(ovs, plan)


def apply_files(changes: Iterable[Change]) -> None:
    for change in changes:
        if change.action == "write-file":
            write_text(change.target, change.value or "")


def apply_db(ovs: Ovs, plan: Plan) -> None:
    ovs.transact([op for change in plan.changes for op in change.operations()])


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise DriverError(f"cannot read {path}: {err.strerror}") from None


def write_text(path: str, content: str, mode: int = 0o644) -> None:
    """Replace `path` atomically (a reader never sees half a file)."""
    directory = os.path.dirname(path) or "."
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ovn-provider-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as err:
        raise DriverError(f"cannot write {path}: {err.strerror}") from None
