"""The standard attributes every created resource shows (docs/nb-layout.md, "Timestamps
and revisions"), for tests that compare whole responses."""

from __future__ import annotations

import re
from typing import Any

SHOWN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
KEYS = ("ovirt_created_at", "ovirt_updated_at", "ovirt_revision_number")


def stamped(obj: dict[str, Any], revision: int = 1) -> dict[str, Any]:
    """`obj`'s created_at, updated_at and revision_number after checking their form and
    the expected revision (to splice into an exact expected dict)."""
    assert obj["revision_number"] == revision, obj
    assert SHOWN.match(obj["created_at"]) and SHOWN.match(obj["updated_at"]), obj
    return {key: obj[key] for key in ("created_at", "updated_at", "revision_number")}


def without_stamps(ext: dict[str, str], revision: int = 1) -> dict[str, str]:
    """An NB row's external_ids without the stamp keys, after checking the revision."""
    assert ext.get("ovirt_revision_number") == str(revision), ext
    return {key: value for key, value in ext.items() if key not in KEYS}
