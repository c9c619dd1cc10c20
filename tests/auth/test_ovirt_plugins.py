"""The oVirt SSO plugins against a fake engine over real HTTPS (docs/compatibility.md, "What the
oVirt engine sends")."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

import pytest

from ovn_provider.auth import loader
from ovn_provider.auth.ovirt import (
    AuthorizationByGroup,
    AuthorizationByRole,
    AuthorizationByUserName,
)
from ovn_provider.auth.sso import EngineClient, untag
from ovn_provider.config import ConfigError
from ovn_provider.errors import BadGateway, Forbidden, GatewayTimeout, Unauthorized
from tests.auth.conftest import ovirt_config
from tests.auth.fake_engine import (
    ADMIN_ROLE,
    BASE,
    GROUP_ATTR,
    OTHER_ROLE,
    SEARCH_SCOPE,
    TOKEN_SCOPE,
    Call,
    FakeEngine,
)

PASSWORD = "Pa55-w0rd!"


# -- create_token -----------------------------------------------------------------------------
def test_create_token_uses_password_grant(engine: FakeEngine,
                                          caplog: pytest.LogCaptureFixture) -> None:
    engine.add_user("admin@internal", PASSWORD)
    plugin = AuthorizationByUserName(ovirt_config(engine))
    with caplog.at_level(logging.DEBUG, logger="ovn_provider"):
        token = plugin.create_token("admin@internal", PASSWORD)
        assert plugin.validate_token(token) is True
    assert token in engine.tokens
    call = engine.calls[0]
    assert (call.method, call.path) == ("POST", f"{BASE}/sso/oauth/token")
    assert call.form == {"grant_type": "password", "scope": TOKEN_SCOPE,
                         "username": "admin@internal"}
    assert call.headers["accept"] == "application/json"
    assert "authorization" not in call.headers
    # SSO calls are logged at INFO, never with the password or the token.
    assert any(r.levelno == logging.INFO and "create token" in r.getMessage()
               for r in caplog.records)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert PASSWORD not in text and token not in text


def test_create_token_bad_password_is_401_naming_sso_error(engine: FakeEngine) -> None:
    engine.add_user("admin@internal", PASSWORD)
    plugin = AuthorizationByUserName(ovirt_config(engine))
    with pytest.raises(Unauthorized) as err:
        plugin.create_token("admin@internal", "wrong")
    message = err.value.message
    assert "error: Cannot authenticate user 'admin@internal'" in message
    assert "error_code: access_denied" in message
    assert "error_description: Invalid credentials" in message
    assert "wrong" not in message


def test_create_token_without_access_token_is_502(engine: FakeEngine) -> None:
    engine.canned = (200, b'{"token_type": "bearer"}', "application/json")
    plugin = AuthorizationByUserName(ovirt_config(engine))
    with pytest.raises(BadGateway, match="access_token"):
        plugin.create_token("admin@internal", PASSWORD)


# -- token-info and the user-name plugin ------------------------------------------------------
def test_token_info_uses_client_credentials(engine: FakeEngine) -> None:
    engine.add_user("admin@internal")
    token = engine.issue("admin@internal")
    assert AuthorizationByUserName(ovirt_config(engine)).validate_token(token) is True
    call = engine.calls[-1]
    assert (call.method, call.path) == ("POST", f"{BASE}/sso/oauth/token-info")
    assert call.form == {"token": token}
    assert call.headers["authorization"].startswith("Basic ")


def test_wrong_client_secret_is_401_from_sso_error(engine: FakeEngine) -> None:
    engine.add_user("admin@internal")
    token = engine.issue("admin@internal")
    cfg = ovirt_config(engine, **{"OVIRT/ovirt-sso-client-secret": "to_be_set"})
    with pytest.raises(Unauthorized, match="unauthorized_client"):
        AuthorizationByUserName(cfg).validate_token(token)


def test_other_user_is_403(engine: FakeEngine) -> None:
    engine.add_user("joe@internal")
    token = engine.issue("joe@internal")
    with pytest.raises(Forbidden, match="joe@internal"):
        AuthorizationByUserName(ovirt_config(engine)).validate_token(token)


def test_configured_admin_user_name(engine: FakeEngine) -> None:
    engine.add_user("joe@internal")
    token = engine.issue("joe@internal")
    cfg = ovirt_config(engine, **{"OVIRT/ovirt-admin-user-name": "joe@internal"})
    assert AuthorizationByUserName(cfg).validate_token(token) is True
    with pytest.raises(Forbidden):
        AuthorizationByUserName(ovirt_config(engine)).validate_token(token)


@pytest.mark.parametrize("cls", [AuthorizationByUserName, AuthorizationByGroup,
                                 AuthorizationByRole])
def test_inactive_token_is_401(engine: FakeEngine, cls: type) -> None:
    engine.add_user("admin@internal", groups=[{GROUP_ATTR: "NetAdmin"}], roles=[ADMIN_ROLE])
    token = engine.issue("admin@internal", active=False)
    with pytest.raises(Unauthorized) as err:
        cls(ovirt_config(engine)).validate_token(token)
    assert err.value.message == "Token is not active."


def test_unknown_token_is_401(engine: FakeEngine) -> None:
    with pytest.raises(Unauthorized, match="error_code: invalid_grant"):
        AuthorizationByUserName(ovirt_config(engine)).validate_token("tok-unknown")


@pytest.mark.parametrize("token", ["", "bad\r\nX-Injected: 1", "é" * 4, "x" * 9000])
def test_malformed_token_is_401_without_calling_sso(engine: FakeEngine, token: str) -> None:
    with pytest.raises(Unauthorized):
        AuthorizationByUserName(ovirt_config(engine)).validate_token(token)
    assert engine.calls == []


# -- by group ---------------------------------------------------------------------------------
def test_group_plugin_defaults_to_netadmin(engine: FakeEngine) -> None:
    """: the defaults are the documented attribute name and NetAdmin."""
    engine.add_user("net@internal", groups=[{GROUP_ATTR: "Users"}, {GROUP_ATTR: "NetAdmin"}])
    engine.add_user("joe@internal", groups=[{GROUP_ATTR: "Users"}])
    engine.add_user("admin@internal")  # the user-name plugin's admin, but in no group
    plugin = AuthorizationByGroup(ovirt_config(engine))
    assert plugin.validate_token(engine.issue("net@internal")) is True
    for name in ("joe@internal", "admin@internal"):
        with pytest.raises(Forbidden):
            plugin.validate_token(engine.issue(name))


def test_group_plugin_configured_attribute(engine: FakeEngine) -> None:
    engine.add_user("ops@corp", groups=[{GROUP_ATTR: "NetAdmin", "AAA_AUTHZ_GROUP_DEPT": "x"},
                                        {GROUP_ATTR: "Operators"}])
    token = engine.issue("ops@corp")
    cfg = ovirt_config(engine, **{"OVIRT/ovirt-admin-group-attribute-value": "Operators"})
    assert AuthorizationByGroup(cfg).validate_token(token) is True
    # A bare attribute name matches the engine's "name;type;uuid" key.
    cfg = ovirt_config(engine, **{"OVIRT/ovirt-admin-group-attribute-name":
                                  "AAA_AUTHZ_GROUP_NAME"})
    assert AuthorizationByGroup(cfg).validate_token(token) is True
    cfg = ovirt_config(engine, **{"OVIRT/ovirt-admin-group-attribute-name":
                                  "AAA_AUTHZ_GROUP_DEPT",
                                  "OVIRT/ovirt-admin-group-attribute-value": "NetAdmin"})
    with pytest.raises(Forbidden):
        AuthorizationByGroup(cfg).validate_token(token)


# -- by role ----------------------------------------------------------------------------------
def test_role_plugin_checks_roles_through_the_api(engine: FakeEngine) -> None:
    user = engine.add_user("net@internal", roles=[OTHER_ROLE, ADMIN_ROLE])
    token = engine.issue("net@internal")
    assert AuthorizationByRole(ovirt_config(engine)).validate_token(token) is True
    paths = [(c.method, c.path) for c in engine.calls]
    assert paths == [("POST", f"{BASE}/sso/oauth/token-info"),
                     ("POST", f"{BASE}/sso/oauth/token-info"),
                     ("GET", f"{BASE}/api/users"),
                     ("GET", f"{BASE}/api/users/{user.api_id}/roles")]
    assert engine.calls[1].form == {"token": token, "query_type": "profile-list",
                                    "scope": SEARCH_SCOPE}
    assert engine.calls[1].headers["authorization"].startswith("Basic ")
    search = engine.calls[2]
    assert search.query == {"search": ["usrname=net@internal-authz"]}
    for call in engine.calls[2:]:
        assert call.headers["authorization"] == f"Bearer {token}"
        assert call.headers["accept"] == "application/json"


def test_role_plugin_searches_every_profile(engine: FakeEngine) -> None:
    """: a user of the second SSO profile is found too."""
    engine.add_user("jane@example.com@corp", roles=[ADMIN_ROLE])
    token = engine.issue("jane@example.com@corp")
    assert AuthorizationByRole(ovirt_config(engine)).validate_token(token) is True
    searches = [c.query["search"][0] for c in engine.calls if c.path == f"{BASE}/api/users"]
    assert searches == ["usrname=jane@example.com@corp.example.com-authz"]


def test_role_plugin_without_the_role_is_403(engine: FakeEngine) -> None:
    engine.add_user("joe@internal", roles=[OTHER_ROLE])
    engine.add_user("nobody@corp")
    plugin = AuthorizationByRole(ovirt_config(engine))
    for name in ("joe@internal", "nobody@corp"):
        with pytest.raises(Forbidden, match="role"):
            plugin.validate_token(engine.issue(name))


def test_role_plugin_configured_role(engine: FakeEngine) -> None:
    engine.add_user("joe@internal", roles=[OTHER_ROLE])
    cfg = ovirt_config(engine, **{"OVIRT/ovirt-admin-role-id": OTHER_ROLE.upper()})
    assert AuthorizationByRole(cfg).validate_token(engine.issue("joe@internal")) is True


def test_role_link_to_another_origin_is_refused(engine: FakeEngine) -> None:
    client = EngineClient(ovirt_config(engine))
    user = {"link": [{"rel": "roles", "href": "https://elsewhere.invalid/api/roles"}]}
    with pytest.raises(BadGateway, match="outside"):
        client.follow("tok-x", user, "roles", "role")
    assert engine.calls == []


# -- transport failures -----------------------------------------------------------------------
def test_timeout_is_504(engine: FakeEngine) -> None:
    engine.add_user("admin@internal", behaviour="gate")
    plugin = AuthorizationByUserName(ovirt_config(engine,
                                                  **{"OVIRT/ovirt-auth-timeout": "0.5"}))
    with pytest.raises(GatewayTimeout):
        plugin.create_token("admin@internal", "pw")
    assert engine.gated_arrived.is_set()


def test_wrong_ca_is_502(engine: FakeEngine) -> None:
    engine.add_user("admin@internal")
    cfg = ovirt_config(engine, **{"OVIRT/ovirt-ca-file": engine.pki["other-ca"]})
    with pytest.raises(BadGateway, match="CERTIFICATE_VERIFY_FAILED"):
        AuthorizationByUserName(cfg).create_token("admin@internal", "pw")
    assert engine.count("/sso/oauth/token") == 0


def test_missing_ca_file_is_502(engine: FakeEngine) -> None:
    cfg = ovirt_config(engine, **{"OVIRT/ovirt-ca-file": "/nonexistent/ca.pem"})
    with pytest.raises(BadGateway, match="ovirt-ca-file"):
        AuthorizationByUserName(cfg).create_token("admin@internal", "pw")


def test_connection_refused_is_502(engine: FakeEngine) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        cfg = ovirt_config(engine, **{"OVIRT/ovirt-host": f"https://127.0.0.1:{port}"})
        with pytest.raises(BadGateway, match="Cannot reach"):
            AuthorizationByUserName(cfg).create_token("admin@internal", "pw")


@pytest.mark.parametrize("canned", [
    (500, b"<html>Internal Server Error</html>", "text/html"),
    (200, b"<html>maintenance</html>", "text/html"),
    (502, b'{"status": "down"}', "application/json"),
    (200, b'["not", "an", "object"]', "application/json"),
    (302, b"", "text/html"),  # redirects are not followed
])
def test_non_json_or_unexpected_answer_is_502(engine: FakeEngine,
                                              canned: tuple[int, bytes, str]) -> None:
    engine.canned = canned
    plugin = AuthorizationByUserName(ovirt_config(engine))
    with pytest.raises(BadGateway):
        plugin.create_token("admin@internal", "pw")
    with pytest.raises(BadGateway):
        plugin.validate_token("tok-any")
    assert len(engine.calls) == 2  # one call each: no retries, no redirects followed


def test_json_error_on_server_error_is_401(engine: FakeEngine) -> None:
    engine.canned = (500, b'{"error": "server_error", "error_code": "x"}', "application/json")
    with pytest.raises(Unauthorized, match="server_error"):
        AuthorizationByUserName(ovirt_config(engine)).validate_token("tok-any")


def test_role_api_failure_is_502_and_refusal_403(engine: FakeEngine) -> None:
    engine.add_user("net@internal", roles=[ADMIN_ROLE])
    token = engine.issue("net@internal")
    plugin = AuthorizationByRole(ovirt_config(engine))
    original = engine.handle

    def api_down(call: Call, password: str = "") -> tuple[int, Any]:
        if call.path.startswith(f"{BASE}/api/"):
            return 503, {"detail": "maintenance"}
        return original(call, password)

    engine.handle = api_down  # type: ignore[method-assign]
    with pytest.raises(BadGateway, match="HTTP 503"):
        plugin.validate_token(token)

    def api_refuses(call: Call, password: str = "") -> tuple[int, Any]:
        if call.path.startswith(f"{BASE}/api/"):
            return 403, {"reason": "Forbidden", "detail": "no permission"}
        return original(call, password)

    engine.handle = api_refuses  # type: ignore[method-assign]
    with pytest.raises(Forbidden, match="no permission"):
        plugin.validate_token(token)


def test_calls_run_in_parallel(engine: FakeEngine) -> None:
    """One slow SSO call does not hold up another one made by the same plugin."""
    engine.add_user("slow@internal", behaviour="gate")
    engine.add_user("admin@internal")
    plugin = AuthorizationByUserName(ovirt_config(engine))
    results: list[object] = []

    def slow() -> None:
        try:
            results.append(plugin.create_token("slow@internal", "pw"))
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion below
            results.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        assert engine.gated_arrived.wait(10)
        token = plugin.create_token("admin@internal", "pw")
        assert plugin.validate_token(token) is True
        assert results == []  # the slow call is still held by the engine
    finally:
        engine.gate.set()
        thread.join(10)
    assert len(results) == 1 and isinstance(results[0], str)


# -- wiring and helpers -----------------------------------------------------------------------
def test_loader_maps_predecessor_names(engine: FakeEngine) -> None:
    for name, cls in [("AuthorizationByUserName", AuthorizationByUserName),
                      ("AuthorizationByGroup", AuthorizationByGroup),
                      ("AuthorizationByRole", AuthorizationByRole)]:
        cfg = ovirt_config(engine, **{"AUTH/auth-plugin": f"auth.plugins.ovirt:{name}"})
        plugin = loader.load(cfg)
        assert type(plugin) is cls
        assert plugin.allows_anonymous is False


@pytest.mark.parametrize("host", ["engine.example.com", "ftp://engine", "https://",
                                  "https://engine/ovirt-engine"])
def test_bad_ovirt_host_stops_start_up(engine: FakeEngine, host: str) -> None:
    with pytest.raises(ConfigError, match="ovirt-host"):
        AuthorizationByUserName(ovirt_config(engine, **{"OVIRT/ovirt-host": host}))


def test_engine_url_joins_host_and_base(engine: FakeEngine) -> None:
    cfg = ovirt_config(engine, **{"OVIRT/ovirt-host": "https://engine.example.com:443/",
                                  "OVIRT/ovirt-base": "/ovirt-engine/"})
    assert EngineClient(cfg).engine == "https://engine.example.com:443/ovirt-engine"


def test_untag() -> None:
    assert untag(["java.util.HashMap", {"a": 1}]) == {"a": 1}
    assert untag(["org.ovirt.engine.api.extensions.ExtMap", {}]) == {}
    assert untag(["java.util.ArrayList", [1, 2]]) == [1, 2]
    assert untag(["NetAdmin", "Users"]) == ["NetAdmin", "Users"]
    assert untag({"a": 1}) == {"a": 1}
    assert untag(["java.util", {}]) == ["java.util", {}]
