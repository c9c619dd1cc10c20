"""What the audit reports: one finding per broken invariant, with the ids it concerns."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    check: str  # the invariant's name (docs/audit.md)
    ids: tuple[str, ...]  # affected rows: REST ids where there are any, else row UUIDs
    detail: str

    def line(self) -> str:
        return f"{self.check}: {' '.join(self.ids)}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "ids": list(self.ids), "detail": self.detail}


@dataclass
class Findings:
    items: list[Finding] = field(default_factory=list)

    def add(self, check: str, ids: Iterable[Any], detail: str) -> None:
        self.items.append(Finding(check, tuple(str(i) for i in ids), detail))

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def rows(idl: Any, table: str) -> list[Any]:
    """All rows of `table` (none when the schema has no such table)."""
    if table not in idl.tables:
        return []
    return list(idl.tables[table].rows.values())


def by_uuid(idl: Any, table: str) -> dict[str, Any]:
    return {str(row.uuid): row for row in rows(idl, table)}


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
