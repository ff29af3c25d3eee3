"""A setup made by `init` with default answers: the doctor finds no error, and no warning
that a default could have avoided."""

from __future__ import annotations

import json
from pathlib import Path

from mcpauth_wizard.sandbox.server import Sandbox
from tests.sandbox_fixtures import mcpauth


def test_default_answers_require_the_scope_so_the_challenge_names_it(sandbox: Sandbox, tmp_path: Path) -> None:
    seed = sandbox.seed(pool_name="defaults", gateway_name="gw-defaults")
    code, out = mcpauth(sandbox, tmp_path, "init", "--pool-id", seed.pool_id, "--domain", "defaults-login",
                        "--gateway-id", seed.gateway_id, "--platform", "claude-code,inspector",
                        "--port", "claude-code=8765", "--yes", "--allow-breaking")  # seeded gateway: AWS_IAM
    assert code == 0, out
    gateway = sandbox.boto("bedrock-agentcore-control").get_gateway(gatewayIdentifier=seed.gateway_id)
    authorizer = gateway["authorizerConfiguration"]["customJWTAuthorizer"]
    url = gateway["gatewayUrl"].rstrip("/")
    assert authorizer["allowedScopes"] == [f"{url}/invoke"]  # Claude Code sends no scope of its own

    code, out = mcpauth(sandbox, tmp_path, "doctor", "--json")
    report = json.loads(out[out.index("{"):])
    found = {f["code"]: f["severity"] for s in report["steps"] for f in s["findings"]}
    assert report["summary"]["errors"] == 0, found
    assert "PRM_NO_SCOPES" not in found  # the challenge names the scope clients must ask for
    assert code == 0
