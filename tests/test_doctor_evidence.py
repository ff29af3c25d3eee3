"""Evidence people can read and show: `doctor --trace` (a Mermaid sequence diagram and a page
that needs no network, redacted) and `doctor --audit` (forged tokens the MCP server must refuse,
the authorization server's advertised vs enforced posture). Against the sandbox and against a
deliberately careless server on loopback."""

from __future__ import annotations

import base64
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.doctor import audit
from mcpauth_wizard.doctor.context import Target
from mcpauth_wizard.doctor.run import run
from mcpauth_wizard.sandbox.server import Sandbox
from tests.hostile import Answer, HostileServer, Received
from tests.sandbox_fixtures import mcpauth


class Broken:
    def __init__(self, folder: Path, mcp_url: str, secret: str) -> None:
        self.folder, self.mcp_url, self.secret = folder, mcp_url, secret


@pytest.fixture(scope="module")
def broken(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Broken:
    """init's defaults for ChatGPT (a secret) and Inspector, then Inspector's callback removed."""
    folder = tmp_path_factory.mktemp("evidence")
    seed = sandbox.seed()
    code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain", "evidence-login",
                        "--gateway-id", seed.gateway_id, "--platform", "chatgpt,inspector", "--yes",
                        "--allow-breaking")
    assert code == 0, out
    code, out = mcpauth(sandbox, folder, "remove-callback", "inspector", "--yes")
    assert code == 0, out
    shown = json.loads(mcpauth(sandbox, folder, "show", "--reveal", "--json")[1])
    panel = next(h for h in shown["handoffs"] if h["platform"] == "chatgpt")
    secret = next(v for k, v in panel["fields"].items() if "secret" in k.lower())
    assert len(secret) > 20, panel  # the real secret, which the doctor reads from AWS
    return Broken(folder, shown["mcp_url"], secret)


@pytest.fixture(scope="module")
def healthy(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Broken:
    """init's default platforms, nothing broken."""
    folder = tmp_path_factory.mktemp("healthy")
    seed = sandbox.seed()
    code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain", "healthy-login",
                        "--gateway-id", seed.gateway_id, "--yes", "--allow-breaking")
    assert code == 0, out
    shown = json.loads(mcpauth(sandbox, folder, "show", "--json")[1])
    return Broken(folder, shown["mcp_url"], "")


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_trace_draws_the_run_with_the_failing_exchange_marked_and_no_secret(
        sandbox: Sandbox, broken: Broken) -> None:
    code, out = mcpauth(sandbox, broken.folder, "doctor", "--platform", "chatgpt,inspector",
                        "--trace", str(broken.folder / "t.md"))
    assert code == 1, out
    md = (broken.folder / "t.md").read_text()
    page = (broken.folder / "t.html").read_text()
    assert md.count("```mermaid\nsequenceDiagram\n") == 1
    diagram = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    lines = diagram.splitlines()[1:]
    assert all(re.match(r"    (participant \w as .+|[CMAL]-?->>[CMAL]: .+|Note over \w,\w: .+)$", line)
               for line in lines), lines
    assert any(line.startswith("    C->>M: POST ") for line in lines)  # the challenge
    assert any(re.match(r"    M-->>C: 401 resource_metadata=", line) for line in lines)
    failed = [i for i, line in enumerate(lines) if "✗" in line]
    assert failed, diagram
    note = lines[failed[0] + 1]
    assert "AUTHZ_REDIRECT_MISMATCH" in note and "COGNITO_CALLBACK_MISSING" in note, note
    assert "redirect_mismatch" in lines[failed[0]]
    for text in (md, page):
        assert broken.secret not in text
        assert not re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{10,}", text)  # no signed token whole
    # the page needs no network: no script, stylesheet or image from anywhere
    tags: list[tuple[str, dict[str, str | None]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append((tag, dict(attrs)))

    Tags().feed(page)
    assert not [t for t in tags if t[0] in ("script", "link", "img", "iframe") or "src" in t[1]]
    assert "AUTHZ_REDIRECT_MISMATCH" in page and "<table>" in page


def test_trace_records_redact_codes_tokens_and_cookies() -> None:
    from mcpauth_wizard.doctor.context import Exchange
    from mcpauth_wizard.doctor.trace import records

    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
    log = [("login.token", 0.1, ("form", {"grant_type": "authorization_code", "code": "the-code-1234",
                                           "code_verifier": "verifier-5678", "client_id": "abc"}),
            Exchange("POST", "https://login.example/oauth2/token", 200,
                     {"content-type": "application/json", "set-cookie": "XSRF-TOKEN=cookie-9012"},
                     json.dumps({"access_token": token, "refresh_token": "refresh-3456",
                                 "token_type": "Bearer"}).encode(),
                     request_headers={"Authorization": "Basic c2VjcmV0"})),
           ("login.callback", 0.0, None,
            Exchange("GET", "http://localhost:6274/oauth/callback?code=code-7890&state=s1", 302,
                     {"location": "https://x.example/cb?code=code-1111&state=s1"}, b"<html>secret-page</html>"))]
    text = json.dumps(records(log, ("plain-secret",)))
    for value in ("the-code-1234", "verifier-5678", "cookie-9012", "refresh-3456", "code-7890",
                  "code-1111", "c2VjcmV0", "c2lnbmF0dXJl", "secret-page"):
        assert value not in text, value
    assert '"client_id": "abc"' in text and "state=s1" in text  # what is not secret stays readable
    first = records(log)[0]
    assert first["step"] == "login.callback" and first["body_kept"].startswith("24 bytes")


@pytest.mark.parametrize(("forgery", "claim", "check"), [
    ("own key", "iss", lambda v: v == "https://issuer.example/pool"),
    ("expired", "exp", lambda v: v < 1_000_000_000 - 3000),
    ("other issuer", "iss", lambda v: v != "https://issuer.example/pool"),
    ("other audience", "aud", lambda v: v != "https://mcp.example/mcp"),
    ("id token shape", "token_use", lambda v: v == "id"),
])
def test_each_forgery_carries_its_one_defect(forgery: str, claim: str, check: Any) -> None:
    tokens = audit.forged_tokens("https://issuer.example/pool", "https://mcp.example/mcp", "client-1",
                                 "https://mcp.example/mcp/invoke", "kid-1", now=1_000_000_000)
    assert set(tokens) == set(audit.FORGERIES)
    assert check(_payload(tokens[forgery])[claim]), _payload(tokens[forgery])
    header = json.loads(base64.urlsafe_b64decode(tokens[forgery].split(".")[0] + "=="))
    assert header["alg"] == "RS256" and header["kid"] == "kid-1"
    none = tokens["alg none"]
    assert none.endswith(".") and json.loads(base64.urlsafe_b64decode(none.split(".")[0] + "=="))["alg"] == "none"


def _careless(accepts: Any) -> Any:
    """/mcp: a 401 challenge without a token; with one, 200 when `accepts(token)`."""
    def answer(request: Received) -> Answer:
        bearer = request.headers.get("authorization", "")
        if not bearer.startswith("Bearer "):
            return Answer(401, {"WWW-Authenticate": 'Bearer resource_metadata="/.well-known/oauth-protected-resource/mcp"'})
        if accepts(bearer.removeprefix("Bearer ")):
            return Answer(200, {"Content-Type": "application/json"},
                          b'{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25"}}')
        return Answer(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return answer


def _is_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


@pytest.mark.parametrize(("policy", "accepts", "accepted"), [
    ("any bearer", lambda t: True, set(audit.FORGERIES)),
    ("any JWT, nothing checked", _is_jwt, set(audit.FORGERIES) - {"garbage"}),
    ("a JWT, signed with some algorithm", lambda t: _is_jwt(t) and not t.endswith("."),
     set(audit.FORGERIES) - {"garbage", "alg none"}),
    ("checks exp, not the signature", lambda t: _is_jwt(t) and _payload(t)["exp"] > time.time(),
     set(audit.FORGERIES) - {"garbage", "expired"}),
    ("refuses every token", lambda t: False, set()),
])
def test_audit_names_exactly_the_forgeries_a_careless_server_accepts(policy: str, accepts: Any,
                                                                     accepted: set[str]) -> None:
    with HostileServer() as server:
        server.answers["/mcp"] = _careless(accepts)
        target = Target(url=f"{server.url}/mcp", platforms=(), audit=True)
        report = run(target, None, None, timeout=3.0).as_dict()
    rows = {r["forgery"]: r["verdict"] for r in report["audit"]["forged_tokens"]}
    assert {name for name, verdict in rows.items() if verdict == "ACCEPTED"} == accepted, (policy, rows)
    found = [f for s in report["steps"] for f in s["findings"] if f["code"] == "SERVER_ACCEPTS_FORGED_TOKEN"]
    assert bool(found) == bool(accepted)
    if found:
        assert found[0]["severity"] == "error" and set(found[0]["evidence"]["accepted"]) == accepted
    bearer = [r for r in server.requests if r.headers.get("authorization", "").startswith("Bearer ")]
    assert len(bearer) == len(audit.FORGERIES)  # one probe each, nothing else sent with a token
    assert all(r.method == "POST" and json.loads(r.body)["method"] == "initialize" for r in bearer)


def test_audit_against_the_sandbox_gateway_every_forgery_refused(sandbox: Sandbox, healthy: Broken) -> None:
    code, out = mcpauth(sandbox, healthy.folder, "doctor", healthy.mcp_url, "--audit", "--json")
    report = json.loads(out[out.index("{"):])
    rows = report["audit"]["forged_tokens"]
    assert [r["verdict"] for r in rows] == ["refused"] * len(audit.FORGERIES), rows
    assert report["summary"]["errors"] == 0 and code == 0, report["root_causes"]


def test_audit_against_an_accept_anything_server_exits_1(sandbox: Sandbox, tmp_path: Path) -> None:
    with HostileServer() as server:
        server.answers["/mcp"] = _careless(lambda t: True)
        code, out = mcpauth(sandbox, tmp_path, "doctor", f"{server.url}/mcp", "--audit", "--json")
    report = json.loads(out[out.index("{"):])
    assert code == 1
    assert "SERVER_ACCEPTS_FORGED_TOKEN" in {f["code"] for s in report["steps"] for f in s["findings"]}


def test_audit_posture_table_in_the_sandbox(sandbox: Sandbox, healthy: Broken) -> None:
    code, out = mcpauth(sandbox, healthy.folder, "doctor", "--audit", "--json")
    report = json.loads(out[out.index("{"):])
    rows = {r["check"]: r for r in report["audit"]["authorization_server"]}
    assert rows["redirect_uri compared exactly"]["enforced"] == "refused (redirect_mismatch)"
    assert rows["PKCE plain refused"]["enforced"].startswith("refused")
    assert rows["sends iss on the redirect (RFC 9207)"]["enforced"].startswith("needs --login")
    assert code == 0, report["root_causes"]


def test_the_github_action_script_runs_the_doctor_and_writes_sarif(sandbox: Sandbox, broken: Broken) -> None:
    """action.yml's doctor step, run locally with bash as GitHub would (inputs as env)."""
    import os
    import subprocess
    import sys

    import yaml

    action = yaml.safe_load((Path(__file__).resolve().parents[1] / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "doctor")
    upload = next(s for s in action["runs"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert "${{ inputs.sarif-file }}" in upload["with"]["sarif_file"]
    assert "${{" not in step["run"]  # inputs reach the script as environment only
    outputs = broken.folder / "github-output"
    env = {**os.environ, **sandbox.aws_env(), "GITHUB_OUTPUT": str(outputs), "MCPAUTH_URL": "",
           "MCPAUTH_PLATFORMS": "chatgpt,inspector", "MCPAUTH_ARGS": "",
           "MCPAUTH_SARIF": "doctor.sarif", "CI": "true",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", step["run"]], cwd=broken.folder, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-2000:]  # errors found: the report is still uploaded
    assert "exit-code=1" in outputs.read_text() and "sarif-file=doctor.sarif" in outputs.read_text()
    sarif = json.loads((broken.folder / "doctor.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert "COGNITO_CALLBACK_MISSING" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert broken.secret not in (broken.folder / "doctor.sarif").read_text()
    # a bad argument is a failure of the step itself (exit 2), not a report
    bad = subprocess.run(["bash", "-c", step["run"]], cwd=broken.folder, capture_output=True, text=True,
                         env={**env, "MCPAUTH_ARGS": "--format xml"}, timeout=120, stdin=subprocess.DEVNULL)
    assert bad.returncode == 2, bad.stderr[-2000:]


AUTHORIZER = {"discoveryUrl": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X/.well-known/openid-configuration",
              "allowedClients": ["client-1"], "allowedAudience": ["https://mcp.example/mcp"],
              "allowedScopes": ["https://mcp.example/mcp/invoke"]}
HONEST = {"iss": "https://issuer.example", "aud": "https://mcp.example/mcp", "client_id": "client-1",
          "scope": "openid https://mcp.example/mcp/invoke", "token_use": "access", "exp": 2_000}


@pytest.mark.parametrize(("changes", "authorizer", "mismatched"), [
    ({}, AUTHORIZER, set()),  # the honest token
    ({"iss": "https://issuer.example/"}, AUTHORIZER, {"iss"}),  # a slash off
    ({"aud": "https://mcp.example/mcp/"}, AUTHORIZER, {"aud"}),
    ({"aud": None}, AUTHORIZER, {"aud"}),  # no resource binding
    ({"client_id": "client-2"}, AUTHORIZER, {"client_id"}),
    ({"scope": "openid invoke"}, AUTHORIZER, {"scope"}),  # the short name is not the scope
    ({"token_use": "id"}, AUTHORIZER, {"token_use"}),
    ({"exp": 999}, AUTHORIZER, {"exp"}),
    ({"aud": None, "scope": "openid"}, {"allowedClients": ["client-1"]}, set()),  # unset: not checked
    ({"team": "blue"}, {**AUTHORIZER, "customClaims": [{"inboundTokenClaimName": "team",
      "authorizingClaimMatchValue": {"claimMatchValue": {"matchValueString": "red"}}}]}, {"team"}),
    ({"team": "red"}, {**AUTHORIZER, "customClaims": [{"inboundTokenClaimName": "team",
      "authorizingClaimMatchValue": {"claimMatchValue": {"matchValueString": "red"}}}]}, set()),
])
def test_claims_against_the_authorizer_mark_each_near_miss(changes: dict[str, Any], authorizer: dict[str, Any],
                                                           mismatched: set[str]) -> None:
    from mcpauth_wizard.doctor.claims import claims_table

    claims = {k: v for k, v in {**HONEST, **changes}.items() if v is not None}
    rows = claims_table(claims, authorizer, "https://issuer.example", now=1_000)
    assert {r["claim"] for r in rows if r["result"] == "mismatch"} == mismatched, rows
    assert {"iss", "aud", "client_id", "scope", "token_use", "exp"} <= {r["claim"] for r in rows}


def test_token_env_shows_its_claims_beside_the_gateway_authorizer(sandbox: Sandbox, healthy: Broken) -> None:
    from mcpauth_wizard.core.project import load_project
    from mcpauth_wizard.sandbox.local import environment
    from mcpauth_wizard.sandbox.tokens import access_claims

    project = load_project(healthy.folder / "mcpauth.toml")
    client = project.clients["chatgpt"]
    token = sandbox.signer.sign(access_claims(issuer=sandbox.issuer(project.user_pool_id), client_id=client,
                                              sub="s", username="u", scope=f"openid {project.resource_url}/invoke",
                                              resource=None))
    with environment({"MY_TOKEN": token}):
        code, out = mcpauth(sandbox, healthy.folder, "doctor", "--platform", "chatgpt", "--token-env",
                            "MY_TOKEN", "--json")
        _, text = mcpauth(sandbox, healthy.folder, "doctor", "--platform", "chatgpt", "--token-env", "MY_TOKEN")
    report = json.loads(out[out.index("{"):])
    rows = {r["claim"]: r for r in report["claims"]}
    assert rows["client_id"]["result"] == "match" and client in rows["client_id"]["required"]
    assert rows["iss"]["result"] == "match" and rows["scope"]["result"] == "match"
    assert code == 0, report["root_causes"]
    assert "Token claims vs the authorizer" in text and "client_id: " in text
