"""oVirt engine SSO auth plugins (docs/compatibility.md, "What the oVirt engine sends";
docs/configuration.md).

`create_token` exchanges the user's password for an engine SSO token. `validate_token`
asks SSO about the token: an inactive token is 401 "Token is not active.", a user who
fails the plugin's authorisation check is 403 (never 401, so the engine does not retry).
The caller (api/identity.py) caches successful checks only (docs/compatibility.md, "Beyond the
predecessor").
"""

from __future__ import annotations

import logging
from typing import Any

from ovn_provider.auth.sso import EngineClient, untag
from ovn_provider.config import Config
from ovn_provider.errors import BadGateway, Forbidden, Unauthorized

LOG = logging.getLogger(__name__)


class OvirtPlugin:
    """What the three plugins share: token creation and the `active` check."""

    allows_anonymous = False

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.engine = EngineClient(cfg)
        LOG.info("auth plugin %s: engine SSO at %s", type(self).__name__, self.engine.engine)

    def create_token(self, user: str, password: str) -> str:
        return self.engine.password_token(user, password)

    def validate_token(self, token: str) -> bool:
        info = self.engine.token_info(token)
        if info.get("active") is not True:
            raise Unauthorized("Token is not active.")
        user = info.get("user_id")
        user = user if isinstance(user, str) else ""
        if not self.authorised(token, user, info):
            LOG.info("SSO user %s fails the %s check", user or "(unknown)",
                     type(self).__name__)
            raise Forbidden(f"User {user or '(unknown)'} is not authorized to use this "
                            f"provider: {self.requirement()}")
        return True

    def authorised(self, token: str, user: str, info: dict[str, Any]) -> bool:
        raise NotImplementedError

    def requirement(self) -> str:
        raise NotImplementedError


class AuthorizationByUserName(OvirtPlugin):
    """The token's `user_id` must equal `[OVIRT] ovirt-admin-user-name`."""

    def authorised(self, token: str, user: str, info: dict[str, Any]) -> bool:
        return user == self.cfg.admin_user_name

    def requirement(self) -> str:
        return "it is not the configured administrator user"


def _ovirt_data(info: dict[str, Any]) -> dict[str, Any]:
    data = untag(info.get("ovirt"))
    return data if isinstance(data, dict) else {}


def groups_of(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The user's groups from token-info's type-tagged `ovirt.group_ids`."""
    groups = untag(_ovirt_data(info).get("group_ids"))
    if not isinstance(groups, list):
        return []
    return [group for group in (untag(entry) for entry in groups) if isinstance(group, dict)]


class AuthorizationByGroup(OvirtPlugin):
    """Some group of the user has attribute `ovirt-admin-group-attribute-name` equal to
    `ovirt-admin-group-attribute-value` (defaults: the group name attribute, NetAdmin)."""

    def _key_matches(self, key: str) -> bool:
        wanted = self.cfg.admin_group_attribute_name
        if key == wanted:
            return True
        # A bare attribute name (no ";type;uuid" suffix) matches the engine's full key.
        return ";" not in wanted and key.split(";", 1)[0] == wanted

    def _value_matches(self, value: Any) -> bool:
        value = untag(value)
        wanted = self.cfg.admin_group_attribute_value
        if isinstance(value, list):
            return any(untag(item) == wanted for item in value)
        return bool(value == wanted)

    def authorised(self, token: str, user: str, info: dict[str, Any]) -> bool:
        return any(self._key_matches(key) and self._value_matches(value)
                   for group in groups_of(info) for key, value in group.items())

    def requirement(self) -> str:
        return "it is in no group with the configured administrator attribute"


def _hex_id(principal: str) -> str:
    """The engine API's `domain_entry_id`: the principal id's bytes in upper-case hex."""
    return principal.encode("utf-8").hex().upper()


class AuthorizationByRole(OvirtPlugin):
    """The user holds role `ovirt-admin-role-id`, looked up through the engine API under
    every SSO profile whose authn name is the user's profile (every profile if none is)."""

    def authorised(self, token: str, user: str, info: dict[str, Any]) -> bool:
        if not user:
            raise BadGateway("Engine SSO token-info has no user_id")
        name, _, profile = user.rpartition("@")
        if not name:
            name, profile = user, ""
        profiles = self.engine.profiles(token)
        authz_names = [p["authz_name"] for p in profiles if p["authn_name"] == profile]
        if not authz_names:
            authz_names = [p["authz_name"] for p in profiles]
        principal = _ovirt_data(info).get("principal_id")
        entry_id = _hex_id(principal) if isinstance(principal, str) and principal else None
        role_id = self.cfg.admin_role_id.lower()
        for authz in dict.fromkeys(authz_names):
            for api_user in self.engine.search_users(token, f"usrname={name}@{authz}"):
                found = api_user.get("domain_entry_id")
                if entry_id is not None and (not isinstance(found, str)
                                             or found.upper() != entry_id):
                    continue
                roles = self.engine.follow(token, api_user, "roles", "role")
                if any(str(role.get("id", "")).lower() == role_id for role in roles):
                    return True
        return False

    def requirement(self) -> str:
        return "it does not hold the configured administrator role"
