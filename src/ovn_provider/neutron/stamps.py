"""Timestamps and revision numbers (Neutron's standard-attr-timestamp,
standard-attr-revisions and revision-if-match; docs/nb-layout.md, "Timestamps and
revisions").

Every resource row records `created_at`, `updated_at` and `revision_number` in its
`external_ids` (layout.STAMP_*): set when the provider creates it, and `updated_at` plus
revision +1 on every change the provider makes. Rows written by another NB writer (or
the predecessor) without them show revision 0 and null timestamps until their first
change through the provider.

`If-Match: revision_number=N` on a PUT or DELETE reaches the write function as
`Writer.if_match`; `check` compares it with the stored revision INSIDE the transaction
and verifies the column, so a concurrent change by another provider instance makes the
transaction run again and answer 412.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ovn_provider.errors import PreconditionFailed
from ovn_provider.neutron import layout as L
from ovn_provider.ovn.index import changed, verify
from ovn_provider.ovn.nb import Writer
from ovn_provider.schema import codec

STORED_TS = "%Y-%m-%dT%H:%M:%S.%f"


def now_text() -> str:
    return datetime.now(UTC).strftime(STORED_TS)


#: A stored timestamp as shown (schema/codec.py holds the decoders of every attribute).
shown_time = codec.timestamp


def revision_of(ext: Mapping[str, str]) -> int:
    """A row's revision number from its external_ids (0 when unset or unreadable)."""
    return codec.revision(ext.get(L.STAMP_REVISION))


def new(revision: int = 1) -> dict[str, str]:
    """The keys a created row gets."""
    when = now_text()
    return {L.STAMP_CREATED: when, L.STAMP_UPDATED: when, L.STAMP_REVISION: str(revision)}


def check(w: Writer, row: Any, current: int | None = None) -> None:
    """412 when the request's `If-Match` names another revision than the stored one.
    `current`: the revision when it is not the row's own (a floating IP)."""
    if w.if_match is None:
        return
    verify(row, "external_ids")
    revision = revision_of(row.external_ids) if current is None else current
    if revision != w.if_match:
        raise PreconditionFailed(f"Constrained to {w.if_match}, but current revision is "
                                 f"{revision}")


def touch(w: Writer, row: Any) -> None:
    """+1 revision and a new `updated_at` on a row this transaction changed (call it after
    the changes; once per transaction; a request that changes nothing bumps nothing, as
    in Neutron). The verify makes a concurrent bump by another provider retry instead of
    being lost."""
    done = w.pending.setdefault("stamps-touched", set())
    if row.uuid in done or not changed(row):  # done already, or nothing changed
        return
    done.add(row.uuid)
    bump(row)


def bump(row: Any) -> None:
    """`touch` for a caller without the Writer (a tag change: one per transaction)."""
    verify(row, "external_ids")
    revision = revision_of(row.external_ids)
    row.setkey("external_ids", L.STAMP_REVISION, str(revision + 1))
    row.setkey("external_ids", L.STAMP_UPDATED, now_text())


# -- floating IPs: one key on the floating network's LS --------------------------------------
def fip_parts(ext: Mapping[str, str], fip_id: str) -> tuple[int, str | None, str | None]:
    text = ext.get(L.LS_FIP_STAMP_PREFIX + fip_id, "")
    parts = text.split()
    revision = L.parse_int(parts[0]) if parts else None
    return (revision if revision is not None and revision >= 0 else 0,
            parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)


def fip_shown(ext: Mapping[str, str], fip_id: str) -> dict[str, Any]:
    revision, created, updated = fip_parts(ext, fip_id)
    return {"created_at": shown_time(created), "updated_at": shown_time(updated),
            "revision_number": revision}


def fip_new(fip_id: str) -> dict[str, str]:
    when = now_text()
    return {L.LS_FIP_STAMP_PREFIX + fip_id: f"1 {when} {when}"}


def fip_check(w: Writer, ls: Any, fip_id: str) -> None:
    check(w, ls, fip_parts(ls.external_ids, fip_id)[0])


def fip_touch(w: Writer, ls: Any, fip_id: str) -> None:
    done = w.pending.setdefault("stamps-touched", set())
    if ("fip", fip_id) in done:
        return
    done.add(("fip", fip_id))
    fip_bump(ls, fip_id)


def fip_bump(ls: Any, fip_id: str) -> None:
    verify(ls, "external_ids")
    revision, created, _ = fip_parts(ls.external_ids, fip_id)
    when = now_text()
    ls.setkey("external_ids", L.LS_FIP_STAMP_PREFIX + fip_id,
              f"{revision + 1} {created or '-'} {when}")
