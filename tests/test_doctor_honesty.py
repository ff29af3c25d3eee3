"""The doctor is honest about itself and right about failures users hit: a step that could
not finish is an error, it claims nothing only AWS could tell, its own limits are not a
platform's fault, it speaks both current MCP versions, and its output is never cut."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.core.project import Project
from mcpauth_wizard.doctor import discovery
from mcpauth_wizard.doctor.context import Context, Target
from mcpauth_wizard.doctor.findings import Finding, StepResult
from mcpauth_wizard.doctor.report import build_report, link_causes
from mcpauth_wizard.doctor.run import make_target, run
from mcpauth_wizard.doctor.runner import Outcome, Step, run_steps
from tests.hostile import PRM, Answer, HostileServer, serve_as_own_issuer, stateless_mcp

KEY = __import__("joserfc.jwk", fromlist=["ECKey"]).ECKey.generate_key("P-256", parameters={"kid": "k1"})
PUBLIC_KEY = KEY.as_dict(private=False)
SCHEMA = Path(__file__).parent.parent / "mcpauth_wizard" / "doctor" / "report.schema.json"


def check_schema(report: dict[str, Any]) -> dict[str, Any]:
    import jsonschema

    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))
    return report


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as running:
        serve_as_own_issuer(running, token_error="invalid_grant", jwks={"keys": [PUBLIC_KEY]})
        yield running


def doctor(server: HostileServer, **extra: Any) -> dict[str, Any]:
    target = Target(url=f"{server.url}/mcp", platforms=extra.pop("platforms", ("chatgpt",)),
                    clients=extra.pop("clients", {"chatgpt": "abc"}), **extra)
    return check_schema(run(target, None, None, timeout=3).as_dict())


def findings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["code"]: f for s in report["steps"] for f in s["findings"]}


def steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in report["steps"]}


def test_an_honest_server_is_green(server: HostileServer) -> None:
    """The baseline the tests below break one thing at a time."""
    report = doctor(server)
    assert report["summary"] == {"errors": 0, "warnings": 0}, findings(report)
    assert report["platforms"]["chatgpt"]["verdict"] == "ready"


# --- 4. a step that failed is an error ------------------------------------------------

def test_a_step_that_crashes_is_an_error_and_its_platforms_are_unknown(
        server: HostileServer, monkeypatch: pytest.MonkeyPatch, run: Any) -> None:
    async def broken(ctx: Context) -> Outcome:
        raise RuntimeError("the keys step fell over")

    monkeypatch.setattr(discovery, "signing_keys", broken)
    result = run("doctor", f"{server.url}/mcp", "--json", "--platform", "chatgpt", "--client-id", "abc")

    assert result.code == 1
    report = check_schema(json.loads(result.out))
    failed = findings(report)["DOCTOR_STEP_FAILED"]
    assert failed["severity"] == "error" and failed["step"] == "discovery.jwks"
    assert failed["evidence"] == {"exception": "RuntimeError", "message": "the keys step fell over"}
    assert report["summary"]["errors"] == 1
    assert report["platforms"]["chatgpt"]["verdict"] == "unknown"
    assert "0 errors" not in run("doctor", f"{server.url}/mcp", "--platform", "chatgpt",
                                   "--client-id", "abc").out


def test_a_step_that_times_out_is_an_error_of_its_platform_only() -> None:
    import asyncio

    async def slow(ctx: Context) -> Outcome:
        await asyncio.sleep(5)
        return Outcome()

    async def fine(ctx: Context) -> Outcome:
        return Outcome(note="ok")

    target = Target(url="https://mcp.example.com/mcp", platforms=("chatgpt", "claude"))

    async def go() -> list[StepResult]:
        ctx = Context(target, None)
        try:
            return await run_steps([Step("token.chatgpt", "slow", slow, timeout=0.2, platform="chatgpt"),
                                    Step("token.claude", "fine", fine, platform="claude")], ctx)
        finally:
            await ctx.close()

    report = build_report(target, None, asyncio.run(go()))

    assert [f.code for f in report.findings] == ["DOCTOR_STEP_FAILED"]
    assert report.findings[0].evidence["exception"] == "TimeoutError"
    assert report.errors == 1
    assert report.platforms["chatgpt"].verdict == "unknown"
    assert report.platforms["claude"].verdict == "ready"


def test_an_issuer_that_is_not_a_url_is_prm_invalid(server: HostileServer) -> None:
    """Found by the hypothesis test: an IDNA-invalid host crashed the next step."""
    server.answers[PRM] = Answer(200, {"Content-Type": "application/json"}, json.dumps({
        "resource": f"{server.url}/mcp", "authorization_servers": ["×"]}).encode())

    report = doctor(server)

    assert "DOCTOR_STEP_FAILED" not in findings(report)
    assert "'×'" in findings(report)["PRM_INVALID"]["message"]
    assert report["platforms"]["chatgpt"] == {"verdict": "needs_action", "codes": ["PRM_INVALID"], "note": ""}


# --- 5. the challenge's resource_metadata is used as clients use it ----------------------

def test_a_challenge_url_that_fails_is_prm_not_found_even_when_a_fallback_answers(server: HostileServer) -> None:
    broken = f"{server.url}/meta/nowhere"
    server.answers["/mcp"] = Answer(401, {"WWW-Authenticate": f'Bearer resource_metadata="{broken}"'})

    report = doctor(server)

    found = findings(report)["PRM_NOT_FOUND"]
    assert found["severity"] == "error"
    assert broken in found["message"] and f"{server.url}{PRM}" in found["message"]
    assert found["evidence"]["answered"] == f"{server.url}{PRM}"
    assert steps(report)["discovery.authorization_server"]["status"] == "pass"  # the checks go on


# --- 6. symptoms point at causes; nothing claimed that only AWS could tell ---------------

@pytest.mark.parametrize(("symptom", "cause"), [
    ("AUTHZ_INVALID_SCOPE", "GATEWAY_SCOPE_SHORT_NAME"),
    ("AUTHZ_UNKNOWN_CLIENT", "GATEWAY_DISCOVERY_URL_MISMATCH"),
    ("TOKEN_CLIENT_AUTH_FAILED", "GATEWAY_DISCOVERY_URL_MISMATCH"),
    ("AS_METADATA_NOT_FOUND", "GATEWAY_DISCOVERY_URL_MISMATCH"),
])
def test_a_symptom_names_the_gateway_fault_behind_it(symptom: str, cause: str) -> None:
    found = [Finding(symptom, "symptom", platform="chatgpt"), Finding(cause, "cause")]
    link_causes(found)
    assert found[0].caused_by == cause


def test_without_aws_a_short_scope_in_the_challenge_is_named_as_the_likely_cause(server: HostileServer) -> None:
    server.answers["/mcp"] = Answer(401, {"WWW-Authenticate":
                                          f'Bearer resource_metadata="{server.url}{PRM}", scope="invoke"'})
    server.answers["/authorize"] = Answer(302, {"Location": "https://chatgpt.com/connector_platform_oauth_redirect"
                                                            "?error=invalid_scope"})
    report = doctor(server)

    symptom = findings(report)["AUTHZ_INVALID_SCOPE"]
    assert symptom["caused_by"] is None  # without AWS the gateway's setting is not known
    assert "invoke" in symptom["fix"] and "allowedScopes" in symptom["fix"]


def test_without_aws_the_registered_port_is_not_claimed_missing(server: HostileServer) -> None:
    report = doctor(server, platforms=("claude-code",), clients={"claude-code": "abc"})

    assert "COGNITO_CALLBACK_MISSING" not in findings(report)
    assert "registered on the client" not in json.dumps(report)
    step = steps(report)["authorize.claude-code"]
    assert step["status"] == "skip" and "AWS access" in step["note"]


# --- 7. not Cognito-only in URL mode ------------------------------------------------------

ENTRA_ID = "0b6a1f5e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"


def test_a_non_cognito_client_id_is_accepted_in_url_mode(server: HostileServer, run: Any) -> None:
    result = run("doctor", f"{server.url}/mcp", "--json", "--platform", "chatgpt", "--client-id", ENTRA_ID)

    assert result.code == 0, result.err
    assert json.loads(result.out)["target"]["clients"] == {"chatgpt": ENTRA_ID}


def test_a_client_id_checked_against_a_pool_must_be_cognito_shaped(run: Any) -> None:
    result = run("doctor", "https://mcp.example.com/mcp", "--pool-id", "us-east-1_AbC123",
                 "--client-id", ENTRA_ID)
    assert result.code == 2 and "client" in result.err.lower()


# --- 8. the doctor's own limits are its own -----------------------------------------------

@pytest.mark.parametrize(("platforms", "chosen"), [
    ("chatgpt,inspector", "inspector"),
    ("chatgpt,inspector,claude-code", "claude-code"),  # http://localhost:<port>/callback, the listener's path
    ("chatgpt,claude", "chatgpt"),  # none can: the first, and the doctor says it cannot listen
])
def test_login_picks_a_client_that_can_take_a_loopback_callback(platforms: str, chosen: str) -> None:
    target = make_target(Project(), url="https://mcp.example.com/mcp", platforms=platforms,
                         client_id="abc", secret_env=None, pool_id=None, gateway_id=None,
                         token_env=None, login_platform="")
    assert target.login_platform == chosen


def test_platform_all_reports_only_platforms_with_a_client() -> None:
    project = Project(resource_url="https://mcp.example.com/mcp", clients={"chatgpt": "abc"})
    target = make_target(project, url=None, platforms="all", client_id=None, secret_env=None,
                         pool_id=None, gateway_id=None, token_env=None, login_platform=None)
    assert target.platforms == ("chatgpt",)


def test_no_loopback_callback_is_the_doctors_limit_not_the_platforms() -> None:
    target = Target(url="https://mcp.example.com/mcp", platforms=("chatgpt",))
    limit = Finding("LOGIN_NO_LOOPBACK_CALLBACK", "no loopback callback to listen on",
                    step="login", platform="chatgpt")

    report = build_report(target, None, [StepResult("login", "Sign in", "warn", [limit])])

    assert report.platforms["chatgpt"].verdict == "ready"
    assert report.errors == 0 and limit.severity == "warning"


# --- 10. API Gateway hides the challenge ---------------------------------------------------

def test_a_remapped_challenge_is_named_with_its_fix(server: HostileServer) -> None:
    server.answers["/mcp"] = Answer(401, {"x-amzn-RequestId": "1", "x-amzn-Remapped-WWW-Authenticate":
                                          f'Bearer resource_metadata="{server.url}{PRM}"'})

    report = doctor(server)

    found = findings(report)["MCP_CHALLENGE_REMAPPED"]
    assert found["severity"] == "error" and "WWW-Authenticate" in found["fix"]
    assert "MCP_NO_CHALLENGE" not in findings(report)
    assert report["root_causes"] == ["MCP_CHALLENGE_REMAPPED"]
    assert steps(report)["discovery.protected_resource"]["status"] == "pass"


# --- 11. both MCP versions ------------------------------------------------------------------

def signed_token(server: HostileServer) -> str:
    """An access token the doctor validates: signed with the server's key, for its URL."""
    import time

    from joserfc import jwt

    claims = {"iss": server.url, "aud": f"{server.url}/mcp", "scope": "mcp", "client_id": "abc",
              "exp": int(time.time()) + 600}
    return jwt.encode({"alg": "ES256", "kid": "k1"}, claims, KEY)


@pytest.mark.parametrize(("both", "spoken"), [
    (False, "MCP 2026-07-28: server/discover ok; tools: add, echo"),
    (True, "MCP 2026-07-28: server/discover ok; tools: add, echo"),
], ids=["stateless only", "stateless and initialize"])
def test_a_stateless_server_is_called_with_server_discover(server: HostileServer, both: bool, spoken: str) -> None:
    token = signed_token(server)
    server.answers["/mcp"] = stateless_mcp(token, f"{server.url}{PRM}", initialize=both)

    report = doctor(server, token=token)

    assert steps(report)["mcp.call"] == {**steps(report)["mcp.call"], "status": "pass", "note": spoken}
    assert report["summary"]["errors"] == 0


def test_a_server_speaking_neither_version_is_a_finding(server: HostileServer) -> None:
    def neither(request: Any) -> Answer:
        if "authorization" not in request.headers:
            return Answer(401, {"WWW-Authenticate": f'Bearer resource_metadata="{server.url}{PRM}"'})
        return Answer(400, {"Content-Type": "application/json"}, b'{"jsonrpc": "2.0", "id": 1, '
                      b'"error": {"code": -32600, "message": "no"}}')

    server.answers["/mcp"] = neither
    token = signed_token(server)
    report = doctor(server, token=token)

    found = findings(report)["MCP_PROTOCOL_UNSUPPORTED"]
    assert "server/discover" in found["message"] and "initialize" in found["message"]
    assert set(found["evidence"]) == {"server/discover", "initialize"}
    assert token.rsplit(".", 1)[1] not in json.dumps(report)


# --- 12. output is never cut ---------------------------------------------------------------

@pytest.mark.parametrize("width", [80, 120])
def test_root_cause_and_findings_are_printed_whole(width: int) -> None:
    from rich.console import Console

    from mcpauth_wizard.doctor import render

    client_id = "260c9a8b7d6e5f4a3b2c1d0e9f"
    url = "https://a-rather-long-login-domain-prefix.auth.us-east-1.amazoncognito.com/oauth2/authorize"
    command = f"mcpauth add-callback claude --client-id {client_id}"
    cause = Finding("COGNITO_CALLBACK_MISSING", f"https://claude.ai/api/mcp/auth_callback is not a callback "
                    f"URL of app client {client_id} behind {url}: Claude.ai sign-in ends in redirect_mismatch",
                    platform="claude", fix=f"`{command}` (port-free platform)")
    report = build_report(Target(url="https://mcp.example.com/mcp", platforms=("claude",)), None,
                          [StepResult("aws.client.claude", "App client", "fail", [cause])])
    for soft_wrap in (False, True):  # whatever console it is given
        out = io.StringIO()
        render.render(report, Console(file=out, width=width, soft_wrap=soft_wrap, color_system=None))
        lines = [line.strip() for line in out.getvalue().splitlines()]
        assert command in lines  # the command alone on its line, whole
        assert url in lines and "https://claude.ai/api/mcp/auth_callback" in lines  # so are URLs
        assert sum(cause.message in line for line in lines) >= 2  # in the step list and the root cause


def test_the_json_report_follows_the_schema_in_the_repository(server: HostileServer) -> None:
    assert SCHEMA.is_file()
    check_schema(doctor(server))
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):  # the schema does say something
        check_schema({**doctor(server), "summary": {"errors": -1, "warnings": 0}})


# --- 3. bad input: one line, exit 2 ----------------------------------------------------------

def test_config_whose_init_is_not_a_table_is_bad_input(tmp_path: Path, run: Any) -> None:
    config = tmp_path / "answers.toml"
    config.write_text("init = 3\n", encoding="utf-8")
    result = run("init", "--config", str(config), "--dry-run")
    assert result.code == 2 and "init" in result.err and "table" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_project_file_that_is_a_folder_is_bad_input(tmp_path: Path, run: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mcpauth.toml").mkdir()
    monkeypatch.chdir(tmp_path)
    result = run("doctor")
    assert result.code == 2 and "mcpauth.toml" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_scaffold_under_a_file_is_bad_input_and_writes_nothing(tmp_path: Path, run: Any) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    result = run("scaffold", "fastmcp-lambda", str(blocker / "server"), "--pool-id", "us-east-1_AbC123",
                 "--client-id", "abcdefghijklmnopqrstuvwxyz", "--name", "srv")
    assert result.code == 2 and "is a file" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert blocker.read_text(encoding="utf-8") == "x"



def test_a_reported_refusal_is_a_risk_and_never_hides_an_error_to_fix() -> None:
    """Claude is reported (unverified) to refuse metadata without S256, which Cognito never
    lists: alone that is 'may fail'; beside a real error, the error to fix decides."""
    from mcpauth_wizard.doctor.context import Target
    from mcpauth_wizard.doctor.findings import Finding
    from mcpauth_wizard.doctor.report import verdicts

    target = Target(url="https://mcp.example.com/mcp", platforms=("claude", "inspector"))
    s256 = Finding("AS_NO_S256", "no code_challenge_methods_supported")
    alone = verdicts(target, [s256])
    assert alone["claude"].verdict == "at_risk" and "(reported, unverified)" in alone["claude"].note
    assert alone["inspector"].verdict == "ready"
    missing = Finding("COGNITO_CALLBACK_MISSING", "no callback", platform="claude")
    both = verdicts(target, [s256, missing])
    assert both["claude"].verdict == "needs_action" and both["claude"].codes == ["COGNITO_CALLBACK_MISSING"]
