"""The sandbox answers like Cognito and AgentCore: one test per documented behaviour,
each a real HTTP exchange on 127.0.0.1."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mcpauth_wizard.core.redact import jwt_claims
from mcpauth_wizard.mcp.client import McpSession
from mcpauth_wizard.oauth.signin import (
    ClientCredentials,
    authorization_request,
    callback_params,
    exchange_code,
)
from mcpauth_wizard.sandbox.form_signin import sign_in
from tests.sandbox_fixtures import Setup

INSPECTOR_CALLBACK = "http://localhost:6274/oauth/callback"
CHATGPT_CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect"


def authorize(setup: Setup, **params: str) -> httpx.Response:
    query = {"response_type": "code", "client_id": setup.clients["inspector"],
             "redirect_uri": INSPECTOR_CALLBACK, "scope": setup.scope,
             "code_challenge": "x" * 43, "code_challenge_method": "S256", "state": "s1", **params}
    query = {k: v for k, v in query.items() if v != ""}
    return httpx.get(setup.authorize, params=query, follow_redirects=False)


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def signed_in(setup: Setup, platform: str = "inspector", *, scope: str | None = None,
              resource: str | None = None, redirect: str = INSPECTOR_CALLBACK) -> tuple[Any, dict[str, str], ClientCredentials]:
    client = ClientCredentials(setup.clients[platform], setup.secrets.get(platform))
    if platform == "chatgpt":
        redirect = CHATGPT_CALLBACK
    request = authorization_request(setup.authorize, client, redirect, scope or setup.scope, resource)
    params = callback_params(sign_in(request.url, setup.seed.username, setup.seed.password))
    assert params.get("state") == request.state, params
    return request, params, client


# --- authorize -----------------------------------------------------------------

def test_good_request_goes_to_the_login_page(setup: Setup) -> None:
    response = authorize(setup)
    assert response.status_code == 302
    assert "/login?" in response.headers["location"]


def test_unregistered_redirect_uri_shows_redirect_mismatch_and_never_redirects_to_it(setup: Setup) -> None:
    response = authorize(setup, redirect_uri="http://localhost:6274/oauth/callback/")
    location = response.headers["location"]
    assert location.startswith(f"{setup.domain_url}/error?")
    assert redirect_query(response) == {"error": "redirect_mismatch", "client_id": setup.clients["inspector"]}


@pytest.mark.parametrize("scope", ["openid phone", "openid https://nowhere.example.com/invoke"])
def test_scope_not_allowed_or_not_existing_is_invalid_scope_to_the_client(setup: Setup, scope: str) -> None:
    response = authorize(setup, scope=scope)
    assert response.headers["location"].startswith(INSPECTOR_CALLBACK)
    query = redirect_query(response)
    assert query["error"] == "invalid_scope" and query["state"] == "s1"


def test_client_without_code_grant_is_unauthorized_client(setup: Setup) -> None:
    cognito = setup.sandbox.boto("cognito-idp")
    m2m = cognito.create_user_pool_client(
        UserPoolId=setup.pool_id, ClientName="m2m", GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"], AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=[f"{setup.mcp_url}/invoke"], CallbackURLs=[INSPECTOR_CALLBACK],
    )["UserPoolClient"]["ClientId"]
    query = redirect_query(authorize(setup, client_id=m2m, scope=f"{setup.mcp_url}/invoke"))
    assert query["error"] == "unauthorized_client"


def test_pkce_plain_is_invalid_request(setup: Setup) -> None:
    assert redirect_query(authorize(setup, code_challenge_method="plain"))["error"] == "invalid_request"


def test_missing_response_type_is_invalid_request(setup: Setup) -> None:
    assert redirect_query(authorize(setup, response_type=""))["error"] == "invalid_request"


# --- token ---------------------------------------------------------------------

def test_sign_in_and_access_token_claims_are_cognito_shaped(setup: Setup) -> None:
    request, params, client = signed_in(setup)
    tokens = exchange_code(setup.token, client, request, params["code"])
    claims = jwt_claims(tokens["access_token"])
    assert claims["client_id"] == setup.clients["inspector"]
    assert claims["token_use"] == "access"
    assert claims["scope"] == setup.scope
    assert claims["iss"] == setup.sandbox.issuer(setup.pool_id)
    assert "aud" not in claims  # Cognito access tokens carry no aud…
    assert jwt_claims(tokens["id_token"])["aud"] == setup.clients["inspector"]


def test_resource_binding_puts_the_resource_in_aud(setup: Setup) -> None:
    request, params, client = signed_in(setup, resource=setup.mcp_url)
    tokens = exchange_code(setup.token, client, request, params["code"])
    assert jwt_claims(tokens["access_token"])["aud"] == setup.mcp_url  # …unless a resource is bound


def token_error(setup: Setup, data: dict[str, str], auth: tuple[str, str] | None = None) -> str:
    response = httpx.post(setup.token, data=data, auth=auth)
    assert response.status_code == 400
    return response.json()["error"]


def test_wrong_or_missing_secret_is_invalid_client(setup: Setup) -> None:
    request, params, _ = signed_in(setup, "chatgpt")
    data = {"grant_type": "authorization_code", "code": params["code"],
            "redirect_uri": CHATGPT_CALLBACK, "code_verifier": request.code_verifier,
            "client_id": setup.clients["chatgpt"]}
    assert token_error(setup, data) == "invalid_client"
    assert token_error(setup, data, (setup.clients["chatgpt"], "wrong")) == "invalid_client"
    good = httpx.post(setup.token, data=data, auth=(setup.clients["chatgpt"], setup.secrets["chatgpt"]))
    assert good.status_code == 200, good.text  # the secret travels as HTTP basic
    form = httpx.post(setup.token, data={**data, "client_secret": setup.secrets["chatgpt"]})
    assert form.json()["error"] == "invalid_grant"  # client_secret_post authenticates too; the code is spent


def test_reused_expired_or_unverified_code_is_invalid_grant(setup: Setup) -> None:
    request, params, client = signed_in(setup)
    data = {"grant_type": "authorization_code", "code": params["code"], "client_id": client.client_id,
            "redirect_uri": INSPECTOR_CALLBACK, "code_verifier": "wrong-verifier-" + "x" * 40}
    assert token_error(setup, data) == "invalid_grant"  # wrong verifier
    exchange_code(setup.token, client, request, params["code"])
    assert token_error(setup, {**data, "code_verifier": request.code_verifier}) == "invalid_grant"  # reused
    request, params, client = signed_in(setup)
    setup.sandbox.login.codes[params["code"]].expires = time.time() - 1
    assert token_error(setup, {**data, "code": params["code"],
                               "code_verifier": request.code_verifier}) == "invalid_grant"  # expired


def test_token_redirect_uri_differing_is_unauthorized_client(setup: Setup) -> None:
    request, params, client = signed_in(setup)
    data = {"grant_type": "authorization_code", "code": params["code"], "client_id": client.client_id,
            "redirect_uri": "http://localhost:6274/oauth/callback/debug",
            "code_verifier": request.code_verifier}
    assert token_error(setup, data) == "unauthorized_client"


def test_discovery_is_cognito_shaped(setup: Setup) -> None:
    issuer = setup.sandbox.issuer(setup.pool_id)
    document = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert document["issuer"] == issuer
    assert "code_challenge_methods_supported" not in document
    assert document["authorization_endpoint"] == setup.authorize
    base = setup.sandbox.web_url
    assert httpx.get(f"{base}/.well-known/oauth-authorization-server/{setup.pool_id}").status_code == 404
    keys = httpx.get(document["jwks_uri"]).json()["keys"]
    assert keys[0]["kty"] == "RSA" and "d" not in keys[0]


def test_login_page_unavailable_without_a_style(setup: Setup) -> None:
    cognito = setup.sandbox.boto("cognito-idp")
    branding = cognito.describe_managed_login_branding_by_client(
        UserPoolId=setup.pool_id, ClientId=setup.clients["claude"])["ManagedLoginBranding"]
    cognito.delete_managed_login_branding(UserPoolId=setup.pool_id,
                                          ManagedLoginBrandingId=branding["ManagedLoginBrandingId"])
    try:
        response = authorize(setup, client_id=setup.clients["claude"],
                             redirect_uri="https://claude.ai/api/mcp/auth_callback")
        page = httpx.get(response.headers["location"])
        assert "Login pages unavailable" in page.text
    finally:
        cognito.create_managed_login_branding(UserPoolId=setup.pool_id, ClientId=setup.clients["claude"],
                                              UseCognitoProvidedValues=True)


# --- the gateway look-alike --------------------------------------------------------

def test_gateway_challenge_and_protected_resource_metadata(setup: Setup) -> None:
    with McpSession(setup.mcp_url, None) as session:
        answer = session.initialize()
    assert answer.status == 401
    challenge = answer.headers["www-authenticate"]
    metadata_url = f"{setup.mcp_url.removesuffix('/mcp')}/.well-known/oauth-protected-resource"
    # no error code: the request sent no credentials (RFC 6750 §3.1)
    assert challenge == f'Bearer scope="{setup.mcp_url}/invoke", resource_metadata="{metadata_url}"'
    metadata = httpx.get(metadata_url).json()
    assert metadata["resource"] == setup.mcp_url
    assert metadata["authorization_servers"] == [setup.sandbox.issuer(setup.pool_id)]
    path = urlsplit(setup.mcp_url).path
    inserted = httpx.get(f"{setup.sandbox.web_url}/.well-known/oauth-protected-resource{path}")
    assert inserted.json() == metadata


def access_token(setup: Setup, platform: str = "inspector", scope: str | None = None) -> str:
    request, params, client = signed_in(setup, platform, scope=scope)
    return exchange_code(setup.token, client, request, params["code"])["access_token"]


def test_good_token_lists_and_calls_tools(setup: Setup) -> None:
    with McpSession(setup.mcp_url, access_token(setup)) as session:
        assert session.initialize().status == 200
        names = [t["name"] for t in session.list_tools().result["tools"]]
        assert names == ["add", "echo"]
        assert session.call_tool("add", {"a": 20, "b": 22}).result["content"][0]["text"] == "42"


def test_token_of_a_client_not_in_allowed_clients_is_401(setup: Setup) -> None:
    cognito = setup.sandbox.boto("cognito-idp")
    outsider = cognito.create_user_pool_client(
        UserPoolId=setup.pool_id, ClientName="outsider", AllowedOAuthFlows=["code"],
        AllowedOAuthFlowsUserPoolClient=True, SupportedIdentityProviders=["COGNITO"],
        AllowedOAuthScopes=["openid", f"{setup.mcp_url}/invoke"], CallbackURLs=[INSPECTOR_CALLBACK],
    )["UserPoolClient"]["ClientId"]
    cognito.create_managed_login_branding(UserPoolId=setup.pool_id, ClientId=outsider,
                                          UseCognitoProvidedValues=True)
    setup.clients["outsider"] = outsider
    with McpSession(setup.mcp_url, access_token(setup, "outsider")) as session:
        answer = session.initialize()
    assert answer.status == 401
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


def test_token_without_the_allowed_scope_is_403_insufficient_scope(setup: Setup) -> None:
    with McpSession(setup.mcp_url, access_token(setup, scope="openid")) as session:
        answer = session.initialize()
    assert answer.status == 403
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]
