"""A third-party auth plugin for tests: token "slow" takes 2 s to validate."""

from __future__ import annotations

import threading
import time

from ovn_provider.config import Config


class SlowPlugin:
    allows_anonymous = False
    #: set while a "slow" validation is in progress
    slow_started = threading.Event()

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def create_token(self, user: str, password: str) -> str:
        return "slow" if user == "slow" else "fast"

    def validate_token(self, token: str) -> bool:
        if token == "slow":
            SlowPlugin.slow_started.set()
            time.sleep(2.0)
        return token in ("slow", "fast")
