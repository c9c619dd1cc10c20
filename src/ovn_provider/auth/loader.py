"""Load the plugin named by `[AUTH] auth-plugin` (docs/configuration.md)."""

from __future__ import annotations

import importlib
from typing import Any

from ovn_provider.auth.base import AuthPlugin
from ovn_provider.config import Config, ConfigError

# The predecessor's plugin names, mapped to this project's implementations.
KNOWN = {
    "auth.plugins.ovirt:AuthorizationByUserName": "ovn_provider.auth.ovirt:AuthorizationByUserName",
    "auth.plugins.ovirt:AuthorizationByGroup": "ovn_provider.auth.ovirt:AuthorizationByGroup",
    "auth.plugins.ovirt:AuthorizationByRole": "ovn_provider.auth.ovirt:AuthorizationByRole",
    "auth.plugins.static_token:MagicTokenPlugin": "ovn_provider.auth.static:MagicTokenPlugin",
    "auth.plugins.static_token:NoAuthPlugin": "ovn_provider.auth.static:NoAuthPlugin",
}


class _ThirdParty:
    """Adapter for third-party plugins that offer create_token / validate_token."""

    def __init__(self, impl: Any) -> None:
        self.impl = impl
        self.allows_anonymous = bool(getattr(impl, "allows_anonymous", False))

    def create_token(self, user: str, password: str) -> str:
        return str(self.impl.create_token(user, password))

    def validate_token(self, token: str) -> bool:
        return bool(self.impl.validate_token(token))


def load(cfg: Config) -> AuthPlugin:
    name = cfg.auth_plugin.strip()
    target = KNOWN.get(name, name)
    module_name, _, class_name = target.partition(":")
    if not module_name or not class_name:
        raise ConfigError(f"[AUTH] auth-plugin: {name!r} is not of the form module:Class")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"[AUTH] auth-plugin: cannot load {name!r}: {exc}") from exc
    plugin = cls(cfg)
    if target in KNOWN.values():
        return plugin
    return _ThirdParty(plugin)
