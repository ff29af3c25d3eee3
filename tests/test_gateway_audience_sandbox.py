"""A gateway that requires aud = the MCP URL works for clients that send `resource` (RFC 8707
resource binding), end to end in the sandbox: init keeps it, a sign-in with `resource` calls
a tool, and the doctor signs in the same way and finds no fault (issue 9, items 1 and 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcpauth_wizard.core.project import load_project
from mcpauth_wizard.mcp.client import McpSession
from mcpauth_wizard.oauth.signin import (
    ClientCredentials,
    authorization_request,
    callback_params,
    exchange_code,
)
from mcpauth_wizard.sandbox.form_signin import sign_in
from mcpauth_wizard.sandbox.local import environment, working_folder
from tests.sandbox_fixtures import Setup, mcpauth

INSPECTOR_CALLBACK = "http://localhost:6274/oauth/callback"


@pytest.fixture(scope="module")
def audience_setup(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """init with defaults, then the gateway as a careful admin left it: allowedScopes
    ["openid", "<mcp_url>/invoke"] and allowedAudience ["<mcp_url>"]."""
    folder = tmp_path_factory.mktemp("audience")
    seed = sandbox.seed(pool_name="audience-users", gateway_name="audience-gw")
    args = ("init", "--pool-id", seed.pool_id, "--domain", "aud-login", "--gateway-id", seed.gateway_id,
            "--platform", "inspector", "--yes")
    code, out = mcpauth(sandbox, folder, *args, "--allow-breaking")  # AWS_IAM → CUSTOM_JWT
    assert code == 0, out
    with working_folder(str(folder)):
        url = load_project().resource_url or ""
    update_authorizer(sandbox, seed.gateway_id, allowedScopes=["openid", f"{url}/invoke"], allowedAudience=[url])
    sandbox.control_plane.log.clear()

    code, out = mcpauth(sandbox, folder, *args)  # a re-run: nothing to change, nothing breaking

    assert code == 0, out
    assert sandbox.control_plane.log.mutating() == []
    code, shown = mcpauth(sandbox, folder, "show", "--reveal", "--json")
    handoff = json.loads(shown)["handoffs"][0]
    return Setup(sandbox, seed, Path(folder), seed.pool_id, url, f"openid {url}/invoke",
                 {"inspector": handoff["client_id"]}, {}, sandbox.login.domain_url("aud-login"))


def update_authorizer(sandbox: Any, gateway_id: str, **fields: Any) -> None:
    from mcpauth_wizard.aws.agentcore import safe_update_gateway
    from mcpauth_wizard.aws.session import AwsContext

    def change(gateway: dict[str, Any]) -> dict[str, Any]:
        gateway["authorizerConfiguration"]["customJWTAuthorizer"].update(fields)
        return gateway

    with environment(sandbox.aws_env()):
        safe_update_gateway(AwsContext(), gateway_id, change)


def authorizer(setup: Setup) -> dict[str, Any]:
    gateway = setup.sandbox.boto("bedrock-agentcore-control").get_gateway(gatewayIdentifier=setup.seed.gateway_id)
    return gateway["authorizerConfiguration"]["customJWTAuthorizer"]


def token(setup: Setup, resource: str | None) -> str:
    client = ClientCredentials(setup.clients["inspector"], None)
    request = authorization_request(setup.authorize, client, INSPECTOR_CALLBACK, setup.scope, resource)
    params = callback_params(sign_in(request.url, setup.seed.username, setup.seed.password))
    return exchange_code(setup.token, client, request, params["code"])["access_token"]


def test_init_keeps_openid_and_the_audience(audience_setup: Setup) -> None:
    url = audience_setup.mcp_url
    assert authorizer(audience_setup)["allowedScopes"] == ["openid", f"{url}/invoke"]
    assert authorizer(audience_setup)["allowedAudience"] == [url]


def test_a_client_that_sends_resource_calls_a_tool(audience_setup: Setup) -> None:
    with McpSession(audience_setup.mcp_url, token(audience_setup, audience_setup.mcp_url)) as session:
        assert session.initialize().status == 200
        assert session.call_tool("add", {"a": 40, "b": 2}).result["content"][0]["text"] == "42"


def test_a_client_that_sends_no_resource_is_refused(audience_setup: Setup) -> None:
    with McpSession(audience_setup.mcp_url, token(audience_setup, None)) as session:
        assert session.initialize().status == 401  # no aud: what the per-platform warning is about


def test_the_doctor_signing_in_with_resource_finds_no_scope_or_audience_fault(audience_setup: Setup) -> None:
    from mcpauth_wizard.cli import Options
    from mcpauth_wizard.doctor.run import aws_access, make_target, run

    setup = audience_setup
    code, out = mcpauth(setup.sandbox, setup.folder, "add-callback", "doctor", "--port", "18977",
                        "--client-id", setup.clients["inspector"])
    assert code == 0, out

    def opener(url: str, deadline: float) -> None:
        httpx.get(sign_in(url, setup.seed.username, setup.seed.password))

    with environment(setup.sandbox.aws_env()), working_folder(str(setup.folder)):
        target = make_target(load_project(), url=None, platforms="inspector", client_id=None,
                             secret_env=None, pool_id=None, gateway_id=None, token_env=None,
                             login_platform="inspector")
        aws, problem = aws_access(Options(None, None, None, 0, True, True), target)
        report = run(target, aws, problem, opener=opener)
    codes = {f.code for f in report.findings}
    assert not codes & {"GATEWAY_SCOPE_SHORT_NAME", "GATEWAY_AUDIENCE_UNMATCHABLE",
                        "GATEWAY_AUDIENCE_NEEDS_BINDING", "GATEWAY_AUDIENCE_NO_RESOURCE",
                        "TOKEN_AUDIENCE_MISMATCH"}, codes
    by_id = {s.id: s for s in report.steps}
    assert by_id["token.validate"].status == "pass", by_id["token.validate"].findings
    assert by_id["mcp.call"].note == "MCP 2026-07-28: server/discover ok; tools: add, echo"
    assert report.errors == 0, [f.code for f in report.findings]
