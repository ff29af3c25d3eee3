"""No client ids to paste: after `mcpauth init --registration dcr|both --yes`, the official
MCP Python SDK client (given no client id) discovers, registers itself, signs in through the
login page and calls a tool through the sandbox gateway; and the doctor finds no error."""

from __future__ import annotations

import asyncio
import itertools
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.core.redact import jwt_claims
from mcpauth_wizard.sandbox.server import Sandbox
from tests.sandbox_fixtures import mcpauth
from tests.test_gateway_audience_sandbox import update_authorizer
from tests.test_sandbox_clients import CLAUDE_CALLBACK, sdk_list_tools

VSCODE_CALLBACK = "http://127.0.0.1:33418/"
_count = itertools.count()


def init(sandbox: Sandbox, folder: Path, registration: str, platforms: str,
         *extra: str) -> tuple[Any, dict[str, Any]]:
    n = next(_count)
    seed = sandbox.seed(pool_name=f"dcr-e2e-{n}", gateway_name=f"dcr-gw-{n}")
    code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain", f"dcr-e2e-{n}",
                        "--gateway-id", seed.gateway_id, "--platform", platforms,
                        "--registration", registration, "--yes", "--allow-breaking", "--json", *extra)
    assert code == 0, out
    return seed, json.loads(out[out.index("{"):])


def gateway_authorizer(sandbox: Sandbox, gateway_id: str) -> dict[str, Any]:
    gateway = sandbox.boto("bedrock-agentcore-control").get_gateway(gatewayIdentifier=gateway_id)
    return gateway["authorizerConfiguration"]["customJWTAuthorizer"]


def test_sdk_client_without_a_client_id_registers_signs_in_and_calls_a_tool(
        sandbox: Sandbox, tmp_path: Path) -> None:
    seed, result = init(sandbox, tmp_path, "dcr", "vscode")
    entry = next(h["fields"]["mcp.json entry"] for h in result["handoffs"] if h["platform"] == "vscode")
    (server,) = json.loads(entry)["servers"].values()
    assert server["type"] == "http" and "auth" not in server  # no client id: VS Code registers itself
    url = server["url"]
    pool = sandbox.boto("cognito-idp").describe_user_pool(UserPoolId=seed.pool_id)["UserPool"]
    assert pool["DcrConfiguration"] == {"EnableStatus": "Enabled", "OpenDcrEnabled": True,
                                        "OpenDcrGrantTypes": ["code"], "AllowedScopes": [f"{url}/invoke"]}
    authorizer = gateway_authorizer(sandbox, seed.gateway_id)
    assert "allowedClients" not in authorizer
    assert authorizer["allowedScopes"] == [f"{url}/invoke"]
    assert authorizer["allowedAudience"] == [url]  # VS Code sends resource
    recorded = tomllib.loads((tmp_path / "mcpauth.toml").read_text())
    assert recorded["gateway"]["allowed_scopes"] is True  # the file says what the gateway has
    clients_before = sandbox.boto("cognito-idp").list_user_pool_clients(
        UserPoolId=seed.pool_id, MaxResults=60)["UserPoolClients"]
    assert clients_before == []  # nothing made in advance

    seen: dict[str, Any] = {}
    tools = asyncio.run(sdk_list_tools(url, None, None, VSCODE_CALLBACK, seed.username, seed.password, seen))
    assert tools == ["add", "echo"]
    registered = seen["client"].client_id
    claims = jwt_claims(seen["tokens"].access_token)
    assert claims["client_id"] == registered
    assert claims["aud"] == url  # the SDK sent resource; Cognito bound the token to the MCP URL
    described = sandbox.boto("cognito-idp").describe_user_pool_client(
        UserPoolId=seed.pool_id, ClientId=registered)["UserPoolClient"]
    assert described["ClientType"] == "DCR"

    code, out = mcpauth(sandbox, tmp_path, "doctor", "--json", "--probe-registration")
    report = json.loads(out[out.index("{"):])
    assert code == 0, [f for s in report["steps"] for f in s["findings"] if f["severity"] == "error"]

    # doctor --fix repairs a setup with no app client of its own (every client registers itself).
    update_authorizer(sandbox, seed.gateway_id, allowedScopes=["invoke"])  # a short name: no token has it
    assert call_gateway(url, seen["tokens"].access_token) == 403  # insufficient scope
    code, out = mcpauth(sandbox, tmp_path, "doctor", "--fix", "--yes")
    assert code == 0, out
    assert gateway_authorizer(sandbox, seed.gateway_id)["allowedScopes"] == [f"{url}/invoke"]
    listed = sandbox.boto("cognito-idp").list_user_pool_clients(UserPoolId=seed.pool_id, MaxResults=60)
    assert [c["ClientId"] for c in listed["UserPoolClients"]] == [registered]  # no app client made

    # The sandbox enforces every configured field: a client list shuts the registered client out.
    assert call_gateway(url, seen["tokens"].access_token) == 200
    update_authorizer(sandbox, seed.gateway_id, allowedClients=["someoneelse"])
    assert call_gateway(url, seen["tokens"].access_token) == 401


def call_gateway(url: str, token: str) -> int:
    import httpx

    from mcpauth_wizard.doctor.discovery import INITIALIZE, MCP_HEADERS

    return httpx.post(url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"},
                      timeout=10).status_code


def test_both_a_pre_registered_and_a_registered_client_call_tools(
        sandbox: Sandbox, tmp_path: Path) -> None:
    # Claude Code's first way (per the registry) is a pre-registered client; Claude.ai's is DCR.
    seed, result = init(sandbox, tmp_path, "both", "claude-code,claude", "--port", "claude-code=8765")
    by_platform = {h["platform"]: h for h in result["handoffs"]}
    assert by_platform["claude"]["client_id"] is None and by_platform["claude"]["registers_itself"]
    static_id = by_platform["claude-code"]["client_id"]
    url = by_platform["claude"]["fields"]["Remote MCP server URL"]
    authorizer = gateway_authorizer(sandbox, seed.gateway_id)
    assert "allowedClients" not in authorizer  # a list would refuse the registered client
    assert "allowedAudience" not in authorizer  # Claude is not known to send resource

    # Claude Code's pre-registered public client; the SDK stands in for it.
    tools = asyncio.run(sdk_list_tools(url, static_id, None, "http://localhost:8765/callback",
                                       seed.username, seed.password))
    assert tools == ["add", "echo"]
    seen: dict[str, Any] = {}
    tools = asyncio.run(sdk_list_tools(url, None, None, CLAUDE_CALLBACK, seed.username, seed.password, seen))
    assert tools == ["add", "echo"]
    assert seen["client"].client_id != static_id

    # doctor --fix repairs a static fault without shutting registered clients out again.
    update_authorizer(sandbox, seed.gateway_id, allowedScopes=["invoke"])
    code, out = mcpauth(sandbox, tmp_path, "doctor", "--fix", "--yes")
    authorizer = gateway_authorizer(sandbox, seed.gateway_id)
    assert "allowedClients" not in authorizer, out
    assert authorizer["allowedScopes"] == [f"{url}/invoke"]
    assert call_gateway(url, seen["tokens"].access_token) == 200


def test_a_new_lite_pool_with_registration_is_bad_input(sandbox: Sandbox, tmp_path: Path) -> None:
    code, _ = mcpauth(sandbox, tmp_path, "init", "--new-pool", "lite-dcr", "--tier", "LITE",
                      "--classic-login", "--domain", "lite-dcr", "--mcp-url", "https://mcp.example.com/mcp",
                      "--platform", "vscode", "--registration", "dcr", "--yes")
    assert code == 2


@pytest.mark.parametrize("registration", ["dcr"])
def test_rerun_changes_nothing(sandbox: Sandbox, tmp_path: Path, registration: str) -> None:
    seed, _ = init(sandbox, tmp_path, registration, "vscode")
    code, out = mcpauth(sandbox, tmp_path, "init", "--pool-id", seed.pool_id, "--gateway-id", seed.gateway_id,
                        "--platform", "vscode", "--registration", registration, "--yes", "--allow-breaking", "--json")
    assert code == 0, out
    assert json.loads(out[out.index("{"):])["applied"] == []


def test_an_existing_lite_pool_is_upgraded_only_with_consent(sandbox: Sandbox, tmp_path: Path) -> None:
    cognito = sandbox.boto("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="lite-existing", UserPoolTier="LITE")["UserPool"]["Id"]
    args = ["init", "--pool-id", pool_id, "--domain", "lite-existing", "--classic-login",
            "--mcp-url", "https://mcp.example.com/mcp", "--platform", "vscode", "--registration", "dcr"]
    code, _ = mcpauth(sandbox, tmp_path, *args, "--yes")
    assert code == 2  # no consent to the upgrade
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("DcrConfiguration") is None
    code, out = mcpauth(sandbox, tmp_path, *args, "--upgrade-tier", "--yes")
    assert code == 0, out
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["UserPoolTier"] == "ESSENTIALS"
    assert pool["DcrConfiguration"]["OpenDcrGrantTypes"] == ["code"]
