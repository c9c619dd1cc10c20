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


def row(**columns: Any) -> Any:
    return SimpleNamespace(uuid=uuid.uuid4(), _data=dict(columns))


def update(**old: Any) -> Any:
    """The `updates` argument of an IDL "update" notification: old values of the changed
    columns."""
    return SimpleNamespace(_data=dict(old))


def kept(*lsps: Any, router: Any = None) -> LspViews:
    views = LspViews()
    for lsp in lsps:
        views.put(lsp, {"id": str(lsp.uuid)})
    if router is not None:
        views.put(router, {"id": "r"}, router=True)
    return views


def shown(views: LspViews, *lsps: Any) -> list[Any]:
    return views.shown({lsp.uuid: lsp for lsp in lsps})


def test_lsp_change_drops_only_that_port() -> None:
    a, b = row(), row()
    views = kept(a, b)
    views.notify("update", a, update(name="x"), "Logical_Switch_Port")
    assert views.missing({a.uuid: a, b.uuid: b}) == [a]


def test_group_membership_diff_drops_only_the_members_that_changed() -> None:
    a, b, c = row(), row(), row()
    views = kept(a, b, c)
    pg = row(ports=refs(a.uuid, c.uuid))  # b was removed, c added
    views.notify("update", pg, update(ports=refs(a.uuid, b.uuid)), "Port_Group")
    assert views.missing({x.uuid: x for x in (a, b, c)}) == [b, c]


def test_group_rename_drops_its_members_and_acl_changes_drop_nothing() -> None:
    a, b = row(), row()
    views = kept(a, b)
    pg = row(ports=refs(a.uuid))
    views.notify("update", pg, update(acls=refs()), "Port_Group")
    assert len(views) == 2
    views.notify("update", pg, update(name="old"), "Port_Group")
    assert views.missing({a.uuid: a, b.uuid: b}) == [a]


def test_switch_created_or_deleted_drops_its_ports_other_columns_nothing() -> None:
    a, b = row(), row()
    views = kept(a, b)
    ls = row(ports=refs(b.uuid))
    views.notify("update", ls, update(external_ids={}), "Logical_Switch")
    assert len(views) == 2
    views.notify("delete", ls, None, "Logical_Switch")
    assert views.missing({a.uuid: a, b.uuid: b}) == [b]


def test_subnet_changes_drop_all_but_dhcp_option_values() -> None:
    a = row()
    views = kept(a)
    dhcp = row()
    views.notify("update", dhcp, update(options={}), "DHCP_Options")
    assert len(views) == 1
    views.notify("update", dhcp, update(cidr="10.0.0.0/24"), "DHCP_Options")
    assert len(views) == 0
    views = kept(a)
    views.notify("insert", dhcp, None, "DHCP_Options")
    assert len(views) == 0


def test_router_rows_drop_only_router_port_views() -> None:
    a, r = row(), row()
    views = kept(a, router=r)
    views.notify("update", row(), update(nat=refs()), "Logical_Router")
    assert views.missing({a.uuid: a, r.uuid: r}) == [r]
    views.put(r, {"id": "r"}, router=True)
    views.notify("delete", row(), None, "Logical_Router_Port")
    assert views.missing({a.uuid: a, r.uuid: r}) == [r]


def test_a_port_without_a_view_to_show_is_kept_as_none() -> None:
    a, b = row(), row()
    views = LspViews()
    views.put(a, None)
    views.put(b, {"id": "b"})
    assert views.missing({a.uuid: a, b.uuid: b}) == []
    assert shown(views, a, b) == [{"id": "b"}]
