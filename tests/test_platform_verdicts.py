"""The doctor's per-platform verdicts from the client registry, against the sandbox: what each
client's known behaviour predicts for a gateway that advertises no scope (Cognito discovery:
no S256, no RFC 9207 iss), worded "reported to …" unless confirmed in the client's source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from mcpauth_wizard.aws.agentcore import safe_update_gateway
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.sandbox.local import environment
from mcpauth_wizard.sandbox.server import Sandbox
from tests.sandbox_fixtures import mcpauth

PLATFORMS = "chatgpt,claude-code,mcp-remote"
SCHEMA = Path(__file__).parents[1] / "mcpauth_wizard" / "doctor" / "report.schema.json"


def set_gateway_scopes(sandbox: Sandbox, gateway_id: str, scopes: list[str] | None) -> None:
    def change(gateway: dict[str, Any]) -> dict[str, Any]:
        authorizer = gateway["authorizerConfiguration"]["customJWTAuthorizer"]
        if scopes:
            authorizer["allowedScopes"] = scopes
        else:
            authorizer.pop("allowedScopes", None)
        return gateway

    with environment(sandbox.aws_env()):
        safe_update_gateway(AwsContext(), gateway_id, change)


def doctor(sandbox: Sandbox, folder: Path) -> dict[str, Any]:
    code, out = mcpauth(sandbox, folder, "doctor", "--json", "--platform", PLATFORMS)
    return dict(json.loads(out[out.index("{"):]))


def predicted(report: dict[str, Any], platform: str) -> dict[str, dict[str, Any]]:
    return {p["code"]: p for p in report["platforms"][platform].get("predicted", [])}


def test_verdicts_from_the_registry_for_a_gateway_advertising_no_scope(sandbox: Sandbox,
                                                                       tmp_path: Path) -> None:
    seed = sandbox.seed(pool_name="verdicts", gateway_name="gw-verdicts")
    code, out = mcpauth(sandbox, tmp_path, "init", "--pool-id", seed.pool_id, "--domain",
                        "verdicts-login", "--gateway-id", seed.gateway_id, "--platform", PLATFORMS,
                        "--port", "claude-code=8765", "--yes",
                        "--allow-breaking")  # the seeded gateway is AWS_IAM
    assert code == 0, out
    set_gateway_scopes(sandbox, seed.gateway_id, None)  # neither challenge nor PRM names a scope

    report = doctor(sandbox, tmp_path)

    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))
    claude_code = predicted(report, "claude-code")["PLATFORM_SENDS_NO_SCOPE"]
    assert claude_code["error"] == "invalid_grant" and claude_code["confidence"] == "reported"
    assert claude_code["text"].startswith("Claude Code is reported to send no scope")
    assert "PLATFORM_SENDS_NO_SCOPE" not in report["platforms"]["claude-code"]["codes"]  # reported only
    remote = predicted(report, "mcp-remote")["PLATFORM_ASKS_ALL_SCOPES"]
    assert remote["error"] == "invalid_scope" and remote["confidence"] == "confirmed"
    assert report["platforms"]["mcp-remote"]["verdict"] == "needs_action"
    assert "PLATFORM_ASKS_ALL_SCOPES" in report["platforms"]["mcp-remote"]["codes"]
    chatgpt = predicted(report, "chatgpt")["PLATFORM_CALLBACK_NEEDS_ISS"]
    assert chatgpt["confidence"] == "reported" and "add-callback chatgpt --url" in chatgpt["fix"]

    # the fixes: advertise the resource scope; register the URL ChatGPT shows
    set_gateway_scopes(sandbox, seed.gateway_id, [f"{report['target']['url']}/invoke"])
    code, out = mcpauth(sandbox, tmp_path, "add-callback", "chatgpt", "--url",
                        "https://chatgpt.com/connector/oauth/c0nn3ct0r", "--yes")
    assert code == 0, out

    report = doctor(sandbox, tmp_path)

    for platform in PLATFORMS.split(","):
        assert predicted(report, platform) == {}, (platform, report["platforms"][platform])
    assert report["platforms"]["mcp-remote"]["verdict"] == "ready"
