"""Static-token plugins (docs/configuration.md): for tests and trials, never for production."""

from __future__ import annotations

import logging

from ovn_provider.config import Config

LOG = logging.getLogger(__name__)

MAGIC_TOKEN = "00000000000000000000000000000001"


class MagicTokenPlugin:
    """Any credentials yield the fixed token; only that token is valid."""

    allows_anonymous = False

    def __init__(self, cfg: Config) -> None:
        LOG.warning("auth plugin %s is INSECURE: any user name and password are accepted",
                    type(self).__name__)

    def create_token(self, user: str, password: str) -> str:
        return MAGIC_TOKEN

    def validate_token(self, token: str) -> bool:
        return token == MAGIC_TOKEN


class NoAuthPlugin(MagicTokenPlugin):
    """Yields the same token, and every request passes with or without one."""

    allows_anonymous = True

    def validate_token(self, token: str) -> bool:
        return True
