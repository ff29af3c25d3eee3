"""The sandbox's dynamic client registration, as botocore's DcrConfigurationType and RFC 7591
describe it: one real HTTP exchange on 127.0.0.1 per behaviour."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from mcpauth_wizard.core.redact import jwt_claims
from mcpauth_wizard.oauth.signin import (
    ClientCredentials,
    authorization_request,
    callback_params,
    exchange_code,
)
from mcpauth_wizard.sandbox.form_signin import sign_in
from mcpauth_wizard.sandbox.server import Sandbox

CALLBACK = "http://localhost:33418/callback"
RESOURCE = "https://mcp.example.com/mcp"
SCOPE = f"{RESOURCE}/invoke"
OPEN_CODE_ONLY = {"OpenDcrEnabled": True, "OpenDcrGrantTypes": ["code"], "AllowedScopes": [SCOPE]}


@dataclass
class Pool:
    id: str
    domain_url: str
    discovery: str

    @property
    def register(self) -> str:
        return f"{self.domain_url}/oauth2/register"


def make_pool(sandbox: Sandbox, *, tier: str = "ESSENTIALS", dcr: dict[str, Any] | None = None) -> Pool:
    cognito = sandbox.boto("cognito-idp")
    params: dict[str, Any] = {"PoolName": f"dcr-{uuid.uuid4().hex[:6]}", "UserPoolTier": tier,
                              "UsernameAttributes": ["email"]}
    if dcr is not None:
        params["DcrConfiguration"] = dcr
    pool_id = cognito.create_user_pool(**params)["UserPool"]["Id"]
    prefix = f"dcr-{uuid.uuid4().hex[:8]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=prefix, ManagedLoginVersion=2)
    cognito.create_resource_server(UserPoolId=pool_id, Identifier=RESOURCE, Name="mcp",
                                   Scopes=[{"ScopeName": "invoke", "ScopeDescription": "invoke"}])
    sandbox.add_user(pool_id, "dcr@example.com")
    return Pool(pool_id, sandbox.login.domain_url(prefix),
                f"{sandbox.issuer(pool_id)}/.well-known/openid-configuration")


def register(pool: Pool, **metadata: Any) -> httpx.Response:
    body = {"redirect_uris": [CALLBACK], "client_name": "VS Code",
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"], **metadata}
    return httpx.post(pool.register, json=body)


# --- the control plane keeps the configuration -----------------------------------

def test_dcr_configuration_is_stored_returned_and_switched_on_when_enable_status_is_omitted(
        sandbox: Sandbox) -> None:
    pool = make_pool(sandbox, dcr=OPEN_CODE_ONLY)
    described = sandbox.boto("cognito-idp").describe_user_pool(UserPoolId=pool.id)["UserPool"]
    assert described["DcrConfiguration"] == {**OPEN_CODE_ONLY, "EnableStatus": "Enabled"}
    assert described["UserPoolTier"] == "ESSENTIALS"


def test_update_user_pool_replaces_the_dcr_configuration_it_is_given(sandbox: Sandbox) -> None:
    pool = make_pool(sandbox, dcr=OPEN_CODE_ONLY)
    cognito = sandbox.boto("cognito-idp")
    cognito.update_user_pool(UserPoolId=pool.id, DcrConfiguration={"OpenDcrEnabled": False})
    described = cognito.describe_user_pool(UserPoolId=pool.id)["UserPool"]
    assert described["DcrConfiguration"] == {"OpenDcrEnabled": False, "EnableStatus": "Enabled"}


def test_a_lite_pool_cannot_turn_registration_on(sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as refused:
        make_pool(sandbox, tier="LITE", dcr=OPEN_CODE_ONLY)
    assert refused.value.response["Error"]["Code"] == "FeatureUnavailableInTierException"


# --- discovery -------------------------------------------------------------------------

def test_discovery_names_the_registration_endpoint_only_when_registration_is_on(sandbox: Sandbox) -> None:
    off = make_pool(sandbox)
    on = make_pool(sandbox, dcr=OPEN_CODE_ONLY)
    disabled = make_pool(sandbox, dcr={**OPEN_CODE_ONLY, "EnableStatus": "Disabled"})
    assert "registration_endpoint" not in httpx.get(off.discovery).json()
    assert "registration_endpoint" not in httpx.get(disabled.discovery).json()
    assert httpx.get(on.discovery).json()["registration_endpoint"] == on.register


# --- registration ----------------------------------------------------------------------

def test_open_registration_makes_a_public_code_client_listed_as_dcr(sandbox: Sandbox) -> None:
    pool = make_pool(sandbox, dcr=OPEN_CODE_ONLY)
    response = register(pool)
    assert response.status_code == 201, response.text
    body = response.json()
    assert "client_secret" not in body
    assert body["redirect_uris"] == [CALLBACK]
    assert set(body["scope"].split()) == {"openid", "email", "phone", "profile", SCOPE}
    cognito = sandbox.boto("cognito-idp")
    listed = cognito.list_user_pool_clients(UserPoolId=pool.id, MaxResults=60)["UserPoolClients"]
    assert [c["ClientId"] for c in listed] == [body["client_id"]]
    described = cognito.describe_user_pool_client(UserPoolId=pool.id, ClientId=body["client_id"])
    client = described["UserPoolClient"]
    assert client["ClientType"] == "DCR"
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["CallbackURLs"] == [CALLBACK]


def test_a_confidential_registration_gets_a_secret(sandbox: Sandbox) -> None:
    pool = make_pool(sandbox, dcr=OPEN_CODE_ONLY)
    body = register(pool, token_endpoint_auth_method="client_secret_post").json()
    assert body["client_secret"] and body["client_secret_expires_at"] == 0


def test_clients_made_with_create_user_pool_client_are_regular(sandbox: Sandbox) -> None:
    pool = make_pool(sandbox)
    cognito = sandbox.boto("cognito-idp")
    made = cognito.create_user_pool_client(UserPoolId=pool.id, ClientName="static")["UserPoolClient"]
    described = cognito.describe_user_pool_client(UserPoolId=pool.id, ClientId=made["ClientId"])
    assert described["UserPoolClient"]["ClientType"] == "REGULAR"


@pytest.mark.parametrize("redirect_uris", [["http://evil.example.com/cb"], ["https://a.example/cb#frag"], []])
def test_bad_or_missing_redirect_uris_are_invalid_redirect_uri(sandbox: Sandbox, redirect_uris: list[str]) -> None:
    pool = make_pool(sandbox, dcr=OPEN_CODE_ONLY)
    response = register(pool, redirect_uris=redirect_uris)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"


@pytest.mark.parametrize("metadata", [
    {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"},
    {"scope": "openid https://other.example/admin"},
    {"scope": "aws.cognito/dcr/register"},
    {"grant_types": ["password"]},
    {"client_name": "VS Code (insiders)"},
])
def test_what_the_pool_does_not_allow_is_invalid_client_metadata(sandbox: Sandbox, metadata: dict[str, Any]) -> None:
    pool = make_pool(sandbox, dcr=OPEN_CODE_ONLY)
    response = register(pool, **metadata)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


def test_authenticated_only_registration_refuses_a_client_without_a_token(sandbox: Sandbox) -> None:
    pool = make_pool(sandbox, dcr={"OpenDcrEnabled": False, "AllowedScopes": [SCOPE]})
    response = register(pool)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_registration_endpoint_is_absent_when_registration_is_off(sandbox: Sandbox) -> None:
    assert register(make_pool(sandbox)).status_code == 404


# --- a registered client signs in; resource binding by tier ------------------------------

def sign_in_registered(sandbox: Sandbox, pool: Pool, client_id: str, resource: str | None) -> dict[str, Any]:
    client = ClientCredentials(client_id)
    request = authorization_request(f"{pool.domain_url}/oauth2/authorize", client, CALLBACK,
                                    f"openid {SCOPE}", resource)
    params = callback_params(sign_in(request.url, "dcr@example.com", "Sandbox-Passw0rd!"))
    assert "code" in params, params
    tokens = exchange_code(f"{pool.domain_url}/oauth2/token", client, request, params["code"])
    return jwt_claims(tokens["access_token"])


def test_a_registered_client_signs_in_and_its_token_is_bound_to_the_resource(sandbox: Sandbox) -> None:
    pool = make_pool(sandbox, dcr=OPEN_CODE_ONLY)
    client_id = register(pool).json()["client_id"]
    claims = sign_in_registered(sandbox, pool, client_id, RESOURCE)
    assert claims["client_id"] == client_id
    assert claims["aud"] == RESOURCE


def test_a_lite_pool_binds_no_resource(sandbox: Sandbox) -> None:
    pool = make_pool(sandbox, tier="LITE")
    cognito = sandbox.boto("cognito-idp")
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool.id, ClientName="lite", AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", SCOPE], CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]["ClientId"]
    cognito.create_managed_login_branding(UserPoolId=pool.id, ClientId=client_id,
                                          UseCognitoProvidedValues=True)
    claims = sign_in_registered(sandbox, pool, client_id, RESOURCE)
    assert "aud" not in claims


# --- RFC 6750 §3.1: a request without credentials gets a challenge without an error code ----------

def _challenge_error(response: httpx.Response) -> str | None:
    from mcpauth_wizard.doctor.challenge import bearer_params

    params = bearer_params(response.headers.get("www-authenticate"))
    assert params is not None, response.headers  # a Bearer challenge, whatever was sent
    return params.get("error")


@pytest.mark.parametrize("endpoint", ["register", "userInfo"])
@pytest.mark.parametrize(("credentials", "status", "error"), [
    (None, 401, None),                   # no credentials: no error code (RFC 6750 §3.1)
    ("Basic ZHVtbXk6ZHVtbXk=", 401, None),  # another scheme counts as none (RFC 6750 §3.1)
    ("Bearer not-a-token", 401, "invalid_token"),
    ("good", None, None),                # a good token: the endpoint's own answer
])
def test_register_and_userinfo_challenge_as_rfc_6750_says(sandbox: Sandbox, endpoint: str,
                                                          credentials: str | None, status: int | None,
                                                          error: str | None) -> None:
    from mcpauth_wizard.sandbox.registration import REGISTER_SCOPE
    from mcpauth_wizard.sandbox.tokens import access_claims

    pool = make_pool(sandbox, dcr={"OpenDcrEnabled": False, "AllowedScopes": [SCOPE]})  # tokens only
    headers = {}
    if credentials == "good":
        token = sandbox.signer.sign(access_claims(
            issuer=sandbox.issuer(pool.id), client_id="registrar", sub="s", username="dcr@example.com",
            scope=f"openid {REGISTER_SCOPE}", resource=None))
        headers["Authorization"] = f"Bearer {token}"
    elif credentials:
        headers["Authorization"] = credentials
    if endpoint == "register":
        response = httpx.post(pool.register, headers=headers, json={
            "redirect_uris": [CALLBACK], "client_name": "VS Code", "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"]})
    else:
        response = httpx.get(f"{pool.domain_url}/oauth2/userInfo", headers=headers)
    if credentials == "good":
        assert response.status_code == (201 if endpoint == "register" else 200), response.text
        assert "www-authenticate" not in response.headers
        if endpoint == "userInfo":
            assert response.json()["username"] == "dcr@example.com"
        return
    assert response.status_code == status, response.text
    assert _challenge_error(response) == error, response.headers["www-authenticate"]
