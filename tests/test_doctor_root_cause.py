"""The doctor names the one root cause: setups broken the way people break them (a client
deleted in the console, a gateway switched to IAM, registration reset by a from-scratch
UpdateUserPool script, the AWS endpoint unreachable), each diagnosed with exactly its root
cause (errors only), its consequences under it, exit 1, and `--fix` never proposing to
allow an id that is gone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.sandbox.server import Sandbox
from tests.sandbox_fixtures import mcpauth
from tests.test_doctor import Fresh


@pytest.fixture
def fresh(sandbox: Sandbox, tmp_path: Path) -> Fresh:
    return Fresh(sandbox, tmp_path)


def _codes(report: dict[str, Any]) -> list[str]:
    return [f["code"] for s in report["steps"] for f in s["findings"]]


def test_a_good_setup_has_no_root_cause_and_its_warnings_are_worth_a_look(fresh: Fresh) -> None:
    code, report = fresh.doctor()
    assert code == 0 and report["root_causes"] == []
    warnings = [f["code"] for s in report["steps"] for f in s["findings"] if f["severity"] == "warning"]
    assert set(report["worth_a_look"]) <= set(warnings)


def test_a_client_deleted_in_the_console_is_the_one_root_cause(fresh: Fresh) -> None:
    gone = fresh.client("chatgpt")
    fresh.cognito.delete_user_pool_client(UserPoolId=fresh.pool, ClientId=gone)
    code, report = fresh.doctor()
    assert code == 1
    assert report["root_causes"] == ["COGNITO_CLIENT_NOT_FOUND"], report["root_causes"]
    codes = _codes(report)
    assert "GATEWAY_CLIENT_NOT_ALLOWED" not in codes  # the gateway step says nothing of a gone id
    assert "TOKEN_CLIENT_AUTH_FAILED" not in codes  # its token probe does not run
    assert report["platforms"]["chatgpt"]["verdict"] == "needs_action"
    for other in ("claude", "inspector"):  # the others are unaffected
        assert report["platforms"][other]["verdict"] in ("ready", "at_risk"), report["platforms"][other]
        assert "COGNITO_CLIENT_NOT_FOUND" not in report["platforms"][other]["codes"]

    fixed_code, out = fresh.fix()  # --fix proposes nothing that names the gone id
    assert gone not in out.split("Nothing --fix can change")[-1], out
    assert fixed_code == 1  # the client stays gone: an error --fix cannot repair


def test_a_gateway_switched_to_iam_is_one_root_not_an_unreadable_metadata_too(fresh: Fresh) -> None:
    from mcpauth_wizard.aws.agentcore import safe_update_gateway
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.sandbox.local import environment

    def to_iam(gateway: dict[str, Any]) -> dict[str, Any]:
        gateway["authorizerType"] = "AWS_IAM"
        gateway.pop("authorizerConfiguration", None)
        return gateway

    with environment(fresh.sandbox.aws_env()):
        safe_update_gateway(AwsContext(), fresh.seed.gateway_id, to_iam)
    code, report = fresh.doctor()
    assert code == 1
    assert report["root_causes"] == ["GATEWAY_NOT_JWT"], report["root_causes"]


def test_a_registration_setup_that_lost_registration_is_an_error_naming_its_platforms(
        sandbox: Sandbox, tmp_path: Path) -> None:
    seed = sandbox.seed(pool_name="dcr-lost", gateway_name="dcr-lost-gw")
    code, out = mcpauth(sandbox, tmp_path, "init", "--pool-id", seed.pool_id, "--domain", "dcr-lost-login",
                        "--gateway-id", seed.gateway_id, "--platform", "claude,vscode",
                        "--registration", "dcr", "--yes", "--allow-breaking")
    assert code == 0, out
    cognito = sandbox.boto("cognito-idp")
    # a script's from-scratch UpdateUserPool: every member it omits is reset (DCR among them)
    cognito.update_user_pool(UserPoolId=seed.pool_id, UserPoolTier="ESSENTIALS")
    assert "DcrConfiguration" not in cognito.describe_user_pool(UserPoolId=seed.pool_id)["UserPool"]
    code, out = mcpauth(sandbox, tmp_path, "doctor", "--json")
    report = json.loads(out[out.index("{"):])
    assert code == 1
    assert set(report["platforms"]) == {"claude", "vscode"}  # the recorded ones, not a default trio
    assert report["root_causes"] == ["REGISTRATION_REQUIRED_OFF"]
    lost = [f for s in report["steps"] for f in s["findings"] if f["code"] == "REGISTRATION_REQUIRED_OFF"]
    assert {f["platform"] for f in lost} == {"claude", "vscode"}
    assert all(v["verdict"] == "needs_action" for v in report["platforms"].values())

    code, out = mcpauth(sandbox, tmp_path, "doctor", "--fix", "--yes")
    assert code == 0, out  # --fix turns it back on, and the re-check is clean
    assert cognito.describe_user_pool(UserPoolId=seed.pool_id)["UserPool"]["DcrConfiguration"]


def test_an_unreachable_aws_endpoint_is_a_finding_not_an_internal_error(run, tmp_path: Path,
                                                                        monkeypatch) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for key, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "x",
                       "AWS_SECRET_ACCESS_KEY": "y", "AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1",
                       "AWS_CONFIG_FILE": str(tmp_path / "none"),
                       "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    result = run("doctor", "http://127.0.0.1:9/mcp", "--pool-id", "us-east-1_AbC123", "--json")
    report = json.loads(result.out)
    assert result.code == 1
    found = [f for s in report["steps"] for f in s["findings"] if f["code"] == "AWS_UNREACHABLE"]
    assert len(found) == 1, _codes(report)
    assert f"127.0.0.1:{port}" in found[0]["message"] and "us-east-1" in found[0]["message"]
    assert "credentials from env" in found[0]["message"]
    assert "DOCTOR_STEP_FAILED" not in _codes(report)
    assert "internal error" not in result.out + result.err
