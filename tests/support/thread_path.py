"""Which path answered a request (api/network.py `Networking.quick`): the networking app's
request-thread handler, wrapped to count the requests a test cares about. A request the
event loop answered never reaches it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ovn_provider.api.http import Request, Response
from ovn_provider.server import Provider


class Counted:
    """The handler, counting the requests `counts` picks in `calls`."""

    def __init__(self, handler: Any, counts: Callable[[Request], bool]) -> None:
        self.handler = handler
        self.counts = counts
        self.calls = 0

    def __call__(self, request: Request) -> Response:
        if self.counts(request):
            self.calls += 1
        result: Response = self.handler(request)
        return result


@contextmanager
def counting(provider: Provider, monkeypatch: pytest.MonkeyPatch,
             counts: Callable[[Request], bool]) -> Iterator[Counted]:
    """The provider's request-thread handler replaced by a `Counted` one while in use."""
    counted = Counted(provider.networking.handler, counts)
    monkeypatch.setattr(provider.networking, "handler", counted)
    yield counted
