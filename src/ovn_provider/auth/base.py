"""The auth plugin interface (docs/compatibility.md, "What the oVirt engine sends";
docs/configuration.md) and the token-check cache (docs/compatibility.md, "Beyond the
predecessor")."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Protocol


class AuthPlugin(Protocol):
    """Token issue and validation. Both may raise ApiError subclasses: Unauthorized (401)
    for bad credentials or inactive tokens, Forbidden (403) for users that fail the
    authorisation check, BadGateway / GatewayTimeout for SSO transport problems."""

    #: True when any request passes without a token (NoAuthPlugin).
    allows_anonymous: bool

    def create_token(self, user: str, password: str) -> str: ...

    def validate_token(self, token: str) -> bool: ...


class TokenCache:
    """Successful token checks, keyed by a hash of the token (never the token itself).
    `hits` and `misses` count the lookups (exported as metrics, docs/operations.md)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, float] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    def valid(self, token: str, count_miss: bool = True) -> bool:
        """`count_miss` False: a miss is not counted (the caller checks again, counted)."""
        if self.ttl <= 0:
            with self._lock:
                self.misses += count_miss
            return False
        key = self._key(token)
        with self._lock:
            expiry = self._entries.get(key)
            if expiry is not None and expiry < time.monotonic():
                del self._entries[key]
                expiry = None
            if expiry is None:
                self.misses += count_miss
                return False
            self.hits += 1
            return True

    def remember(self, token: str) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) > 10000:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v >= now}
            self._entries[self._key(token)] = time.monotonic() + self.ttl

    def forget(self, token: str) -> None:
        with self._lock:
            self._entries.pop(self._key(token), None)
