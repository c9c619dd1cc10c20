"""ovn/views.py: which IDL notifications drop which kept port views (no OVN needed; the
functional tests in tests/functional/test_port_list_views.py check the lists)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from ovs.db import data as ovs_data
from ovs.db import types as ovs_types

from ovn_provider.ovn.views import LspViews

REFS = ovs_types.Type(ovs_types.BaseType(ovs_types.UuidType), None, 0, 2**31)


def refs(*members: uuid.UUID) -> ovs_data.Datum:
    return ovs_data.Datum(REFS, {ovs_data.Atom(ovs_types.UuidType, m): None for m in members})


def row(router: bool = False, **columns: Any) -> Any:
    return SimpleNamespace(uuid=uuid.uuid4(), _data=dict(columns), router=router)


def update(**old: Any) -> Any:
    """The `updates` argument of an IDL "update" notification: old values of the changed
    columns."""
    return SimpleNamespace(_data=dict(old))


def kept(*lsps: Any, router: Any = None) -> LspViews:
    """Views of `lsps` (and of the router port `router`) after a first list."""
    views = LspViews()
    table = {lsp.uuid: lsp for lsp in (*lsps, *([router] if router else []))}
    assert rerendered(views, *table.values()) == set(table)
    return views


def rerendered(views: LspViews, *lsps: Any) -> set[uuid.UUID]:
    """The rows the next list of the table `lsps` renders again."""
    asked: list[Any] = []

    def render(missing: list[Any]) -> list[tuple[Any, Any, bool]]:
        asked.extend(missing)
        return [(lsp, {"id": str(lsp.uuid)}, getattr(lsp, "router", False))
                for lsp in missing]

    shown = views.collect({lsp.uuid: lsp for lsp in lsps}, render)
    assert sorted(v["id"] for v in shown) == sorted(str(lsp.uuid) for lsp in lsps)
    return {lsp.uuid for lsp in asked}


def test_lsp_change_drops_only_that_port() -> None:
    a, b = row(), row()
    views = kept(a, b)
    views.notify("update", a, update(name="x"), "Logical_Switch_Port")
    assert rerendered(views, a, b) == {a.uuid}
    assert rerendered(views, a, b) == set()


def test_group_membership_diff_drops_only_the_members_that_changed() -> None:
    a, b, c = row(), row(), row()
    views = kept(a, b, c)
    pg = row(ports=refs(a.uuid, c.uuid))  # b was removed, c added
    views.notify("update", pg, update(ports=refs(a.uuid, b.uuid)), "Port_Group")
    assert rerendered(views, a, b, c) == {b.uuid, c.uuid}


def test_group_rename_drops_its_members_and_acl_changes_drop_nothing() -> None:
    a, b = row(), row()
    views = kept(a, b)
    pg = row(ports=refs(a.uuid))
    views.notify("update", pg, update(acls=refs()), "Port_Group")
    assert rerendered(views, a, b) == set()
    views.notify("update", pg, update(name="old"), "Port_Group")
    assert rerendered(views, a, b) == {a.uuid}


def test_switch_created_or_deleted_drops_its_ports_other_columns_nothing() -> None:
    a, b = row(), row()
    views = kept(a, b)
    ls = row(ports=refs(b.uuid))
    views.notify("update", ls, update(external_ids={}), "Logical_Switch")
    assert rerendered(views, a, b) == set()
    views.notify("delete", ls, None, "Logical_Switch")
    assert rerendered(views, a, b) == {b.uuid}


def test_subnet_changes_drop_all_but_dhcp_option_values() -> None:
    a = row()
    views = kept(a)
    dhcp = row()
    views.notify("update", dhcp, update(options={}), "DHCP_Options")
    assert rerendered(views, a) == set()
    views.notify("update", dhcp, update(cidr="10.0.0.0/24"), "DHCP_Options")
    assert rerendered(views, a) == {a.uuid}
    views.notify("insert", dhcp, None, "DHCP_Options")
    assert rerendered(views, a) == {a.uuid}


def test_router_rows_drop_only_router_port_views() -> None:
    a, r = row(), row(router=True)
    views = kept(a, router=r)
    views.notify("update", row(), update(nat=refs()), "Logical_Router")
    assert rerendered(views, a, r) == {r.uuid}
    views.notify("delete", row(), None, "Logical_Router_Port")
    assert rerendered(views, a, r) == {r.uuid}


def test_a_port_without_a_view_to_show_is_kept_as_none() -> None:
    a, b = row(), row()
    views = LspViews()
    shown = views.collect({a.uuid: a, b.uuid: b},
                          lambda missing: [(lsp, None if lsp is a else {"id": "b"}, False)
                                           for lsp in missing])
    assert shown == [{"id": "b"}]
    assert views.collect({a.uuid: a, b.uuid: b}, lambda missing: []) == [{"id": "b"}]


def test_new_and_deleted_ports() -> None:
    a, b, c = row(), row(), row()
    views = kept(a, b)
    views.notify("insert", c, None, "Logical_Switch_Port")
    assert rerendered(views, a, b, c) == {c.uuid}
    views.notify("delete", a, None, "Logical_Switch_Port")
    assert rerendered(views, b, c) == set()


def test_a_row_nobody_was_told_about_is_still_rendered() -> None:
    """The count check: a row that appeared without a notification (which should not
    happen) makes the next list look at every row."""
    a, b = row(), row()
    views = kept(a)
    assert rerendered(views, a, b) == {b.uuid}
    views.notify("delete", a, None, "Logical_Switch_Port")
    c = row()  # a replaced by c, no notification for c
    assert rerendered(views, b, c) == {c.uuid}


def test_full_resync_forgets_everything() -> None:
    a = row()
    views = kept(a)
    views.clear()
    assert rerendered(views, a) == {a.uuid}


def test_encoded_keeps_id_order_and_encodes_only_changed_views() -> None:
    a, b, c = row(), row(), row()
    views = kept(a, b, c)
    calls: list[str] = []

    def encode(view: Any) -> bytes:
        calls.append(view["id"])
        return view["id"].encode()

    def body(ids: list[str]) -> bytes:
        return b",".join(i.encode() for i in ids)

    ids = sorted(str(r.uuid) for r in (a, b, c))
    assert b"".join(views.encoded(encode)) == body(ids)
    assert sorted(calls) == ids
    calls.clear()
    assert b"".join(views.encoded(encode)) == body(ids) and calls == []
    views.notify("update", b, update(name="x"), "Logical_Switch_Port")
    assert rerendered(views, a, b, c) == {b.uuid}
    assert b"".join(views.encoded(encode)) == body(ids)
    assert calls == [str(b.uuid)]
    views.notify("delete", c, None, "Logical_Switch_Port")
    assert rerendered(views, a, b) == set()
    assert b"".join(views.encoded(encode)) == body(sorted(str(r.uuid) for r in (a, b)))
    views.clear()
    assert views.encoded(encode) == ()
