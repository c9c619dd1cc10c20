"""JSON of an API answer, for the API layer and for the bodies the model layer keeps
(the plain port list, a network's show): one encoder, so a kept body and a request
thread's answer are made alike."""

from __future__ import annotations

import json
from typing import Any

import orjson


def encode_json(body: Any) -> bytes:
    """orjson, or the standard library for integers beyond 64 bits (orjson refuses them),
    which JSON allows: an IPv6 network's `total_ips` in network-ip-availability, or a
    revision another NB writer stored. Both write UTF-8, not escapes."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
