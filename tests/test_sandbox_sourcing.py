"""Where the sandbox emulates something unverified, the product is tested under each
plausible behaviour: here, what Cognito's /oauth2/token does with `resource`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mcpauth_wizard.core.redact import jwt_claims
from mcpauth_wizard.mcp.client import McpSession
from mcpauth_wizard.oauth.signin import exchange_code
from mcpauth_wizard.sandbox.login import TOKEN_RESOURCE_MODES
from tests.sandbox_fixtures import Setup
from tests.test_sandbox import signed_in


@pytest.fixture(params=TOKEN_RESOURCE_MODES)
def mode(request: pytest.FixtureRequest, setup: Setup) -> Iterator[str]:
    login = setup.sandbox.login
    before = login.token_resource
    login.token_resource = request.param
    yield request.param
    login.token_resource = before


def test_the_products_sign_in_binds_aud_and_calls_a_tool_whatever_the_token_endpoint_does(
        setup: Setup, mode: str) -> None:
    """mcpauth sends `resource` on authorize only: its sign-in works under every behaviour."""
    request, params, client = signed_in(setup, resource=setup.mcp_url)
    tokens = exchange_code(setup.token, client, request, params["code"])
    assert jwt_claims(tokens["access_token"])["aud"] == setup.mcp_url
    with McpSession(setup.mcp_url, tokens["access_token"]) as session:
        assert session.initialize().status == 200


def test_a_client_that_also_sends_resource_to_the_token_endpoint(setup: Setup, mode: str) -> None:
    """What an MCP-spec client (VS Code, mcp-remote) meets under each behaviour."""
    request, params, client = signed_in(setup, resource=setup.mcp_url)
    answer = httpx.post(setup.token, data={
        "grant_type": "authorization_code", "code": params["code"], "client_id": client.client_id,
        "redirect_uri": request.redirect_uri, "code_verifier": request.code_verifier,
        "resource": setup.mcp_url})
    if mode == "refuse":
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    else:
        assert answer.status_code == 200, answer.text
        assert jwt_claims(answer.json()["access_token"])["aud"] == setup.mcp_url
