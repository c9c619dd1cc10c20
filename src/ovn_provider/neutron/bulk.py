"""Creating one object or several in ONE NB transaction (docs/compatibility.md, "Bulk
create").

Each collection's model module offers `prepare_create(ctx, body)`: it validates the body
(raising a 4xx before anything is sent) and returns a write function that inserts the
object into an open transaction and returns its id, or a callable giving the id once the
transaction has committed. A bulk POST validates every element first, then runs all the
write functions in one transaction: an element the write refuses (a taken address, a
missing network) aborts the transaction, so nothing is written. Addresses and MACs picked
for earlier elements count as taken for later ones (`NbIdl.txn_claims`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ovn_provider.errors import BadRequest
from ovn_provider.neutron import view
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.nb import Writer

Body = dict[str, Any]
Write = Callable[[Writer], Any]
Prepare = Callable[[Ctx, Body], Write]
Show = Callable[[Ctx, str], Body]


def _ident(result: Any) -> str:
    return str(result() if callable(result) else result)


def create_one(ctx: Ctx, prepare: Prepare, show: Show, data: Body, group: bool = False
               ) -> Body:
    """`group`: the create may share its NB transaction with others queued with it
    (ovn/nb_txn.py `commit_together`)."""
    return show(ctx, _ident(ctx.nb.transact(prepare(ctx, data), group=group)))


def create_many(ctx: Ctx, prepare: Prepare, show: Show, items: list[Body]) -> list[Body]:
    """The objects of a bulk POST, in request order, written in one transaction."""
    if not items:
        raise BadRequest("Resource body required: the list of objects to create is empty")
    writes = [prepare(ctx, item) for item in items]

    def write(w: Writer) -> list[Any]:
        results = []
        for fn in writes:
            results.append(fn(w))
            # Read caches built by one element may miss the rows the next one sees.
            view.txn_cache(w.idl).clear()
        return results

    return [show(ctx, _ident(result)) for result in ctx.nb.transact(write)]
