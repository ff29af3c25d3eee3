"""`mcpauth doctor` against the sandbox: a good setup made by init is green; break one thing
and the doctor names that exact root cause, and `--fix` repairs it."""

from __future__ import annotations

import itertools
import json
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.core.project import load_project
from mcpauth_wizard.sandbox.server import Sandbox
from tests.sandbox_fixtures import mcpauth

_count = itertools.count()


class Fresh:
    """A new pool + gateway set up by `mcpauth init`, in its own folder."""

    def __init__(self, sandbox: Sandbox, folder: Path) -> None:
        self.sandbox = sandbox
        self.folder = folder
        n = next(_count)
        self.seed = sandbox.seed(pool_name=f"doctor-{n}", gateway_name=f"gw-{n}")
        code, out = mcpauth(sandbox, folder, "init", "--pool-id", self.seed.pool_id, "--domain",
                            f"doctor-{n}-login", "--gateway-id", self.seed.gateway_id,
                            "--platform", "chatgpt,claude,inspector", "--gateway-allowed-scopes", "--yes",
                            "--allow-breaking")
        assert code == 0, out
        with _cwd(folder):
            self.project = load_project()
        self.cognito = sandbox.boto("cognito-idp")
        self.agentcore = sandbox.boto("bedrock-agentcore-control")

    @property
    def pool(self) -> str:
        return self.seed.pool_id

    def client(self, platform: str) -> str:
        return self.project.clients[platform]

    def doctor(self, *args: str) -> tuple[int, dict[str, Any]]:
        from tests.test_doctor_honesty import check_schema

        code, out = mcpauth(self.sandbox, self.folder, "doctor", "--json", *args)
        return code, check_schema(json.loads(out[out.index("{"):])) if "{" in out else {}

    def fix(self, *args: str) -> tuple[int, str]:
        return mcpauth(self.sandbox, self.folder, "doctor", "--fix", "--yes", *args)

    def update_client(self, platform: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        from mcpauth_wizard.aws.app_clients import safe_update_client
        from mcpauth_wizard.aws.session import AwsContext
        from mcpauth_wizard.sandbox.local import environment as _environment

        with _environment(self.sandbox.aws_env()):
            safe_update_client(AwsContext(), self.pool, self.client(platform), change)

    def update_authorizer(self, change: Callable[[dict[str, Any]], None]) -> None:
        from mcpauth_wizard.aws.agentcore import safe_update_gateway
        from mcpauth_wizard.aws.session import AwsContext
        from mcpauth_wizard.sandbox.local import environment as _environment

        def apply(gateway: dict[str, Any]) -> dict[str, Any]:
            change(gateway["authorizerConfiguration"]["customJWTAuthorizer"])
            return gateway

        with _environment(self.sandbox.aws_env()):
            safe_update_gateway(AwsContext(), self.seed.gateway_id, apply)


def _cwd(folder: Path) -> Any:
    from mcpauth_wizard.sandbox.local import working_folder as _folder

    return _folder(str(folder))


@pytest.fixture
def fresh(sandbox: Sandbox, tmp_path: Path) -> Fresh:
    return Fresh(sandbox, tmp_path)


def errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for s in report["steps"] for f in s["findings"] if f["severity"] == "error"]


def test_a_setup_made_by_init_is_green(fresh: Fresh) -> None:
    code, report = fresh.doctor()
    assert code == 0, report
    assert report["mcpauth_doctor"] == 1
    assert report["summary"]["errors"] == 0
    # Cognito sends no RFC 9207 iss, so ChatGPT (reportedly) uses a per-connector callback that
    # only it shows: until that URL is registered the verdict says so, and where to find it.
    assert report["platforms"]["chatgpt"]["verdict"] == "at_risk"
    chatgpt = {p["code"]: p for p in report["platforms"]["chatgpt"]["predicted"]}
    assert "Apps & Connectors" in chatgpt["PLATFORM_CALLBACK_NEEDS_ISS"]["fix"]
    assert report["platforms"]["inspector"]["verdict"] == "ready"
    # Cognito never advertises S256: clients reported (unverified) strict about it may fail.
    assert report["platforms"]["claude"] == {"verdict": "at_risk", "codes": ["AS_NO_S256"],
                                             "note": report["platforms"]["claude"]["note"]}
    ids = [s["id"] for s in report["steps"]]
    assert {"aws.pool", "discovery.challenge", "authorize.chatgpt", "token.claude"} <= set(ids)
    assert all(s["status"] != "fail" for s in report["steps"])


def _delete_resource_server(f: Fresh) -> None:
    f.cognito.delete_resource_server(UserPoolId=f.pool, Identifier=f.project.resource_url)


def _drop_scope(f: Fresh) -> None:
    scope = f"{f.project.resource_url}/invoke"
    f.update_client("chatgpt", lambda c: {**c, "AllowedOAuthScopes": [s for s in c["AllowedOAuthScopes"] if s != scope]})


def _drop_claude_callbacks(f: Fresh) -> None:
    f.update_client("claude", lambda c: {**c, "CallbackURLs": ["https://claude.ai/api/mcp/auth_callback/"]})


def _oauth_off(f: Fresh) -> None:
    f.update_client("inspector", lambda c: {**c, "AllowedOAuthFlowsUserPoolClient": False})


def _no_idp(f: Fresh) -> None:
    f.update_client("chatgpt", lambda c: {**c, "SupportedIdentityProviders": []})


def _delete_branding(f: Fresh) -> None:
    branding = f.cognito.describe_managed_login_branding_by_client(
        UserPoolId=f.pool, ClientId=f.client("inspector"))["ManagedLoginBranding"]
    f.cognito.delete_managed_login_branding(UserPoolId=f.pool,
                                            ManagedLoginBrandingId=branding["ManagedLoginBrandingId"])


def _gateway_forgets_chatgpt(f: Fresh) -> None:
    f.update_authorizer(lambda a: a.update(allowedClients=[c for c in a["allowedClients"] if c != f.client("chatgpt")]))


def _gateway_audience(f: Fresh) -> None:
    f.update_authorizer(lambda a: a.update(allowedAudience=[f.client("chatgpt")]))  # a client id: never an aud


def _gateway_short_scope(f: Fresh) -> None:
    f.update_authorizer(lambda a: a.update(allowedScopes=["invoke"]))


def _gateway_other_pool(f: Fresh) -> None:
    f.update_authorizer(lambda a: a.update(
        discoveryUrl="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other/.well-known/openid-configuration"))


def _gateway_another_real_pool(f: Fresh) -> None:
    n = next(_count)
    other = f.cognito.create_user_pool(PoolName=f"other-{n}")["UserPool"]["Id"]
    f.cognito.create_user_pool_domain(Domain=f"other-{n}-login", UserPoolId=other)
    f.update_authorizer(lambda a: a.update(
        discoveryUrl=f"https://cognito-idp.us-east-1.amazonaws.com/{other}/.well-known/openid-configuration"))


SCENARIOS = [
    ("resource server deleted", _delete_resource_server, "COGNITO_RESOURCE_SERVER_MISSING",
     {"AUTHZ_INVALID_SCOPE": "COGNITO_RESOURCE_SERVER_MISSING"}),
    ("scope removed from a client", _drop_scope, "COGNITO_SCOPE_NOT_ALLOWED",
     {"AUTHZ_INVALID_SCOPE": "COGNITO_SCOPE_NOT_ALLOWED"}),
    ("callback off by a slash", _drop_claude_callbacks, "COGNITO_CALLBACK_MISSING",
     {"AUTHZ_REDIRECT_MISMATCH": "COGNITO_CALLBACK_MISSING"}),
    ("OAuth flows switched off", _oauth_off, "COGNITO_CLIENT_OAUTH_DISABLED",
     {"AUTHZ_UNAUTHORIZED_CLIENT": "COGNITO_CLIENT_OAUTH_DISABLED"}),
    ("no identity provider", _no_idp, "COGNITO_CLIENT_NO_IDP",
     {"AUTHZ_NO_LOGIN_PAGE": "COGNITO_CLIENT_NO_IDP"}),
    ("login style deleted", _delete_branding, "COGNITO_BRANDING_MISSING",
     {"AUTHZ_NO_LOGIN_PAGE": "COGNITO_BRANDING_MISSING"}),
    ("gateway forgets a client", _gateway_forgets_chatgpt, "GATEWAY_CLIENT_NOT_ALLOWED", {}),
    ("gateway wants an aud no token carries", _gateway_audience, "GATEWAY_AUDIENCE_UNMATCHABLE", {}),
    ("gateway short scope name", _gateway_short_scope, "GATEWAY_SCOPE_SHORT_NAME",
     {"AUTHZ_INVALID_SCOPE": "GATEWAY_SCOPE_SHORT_NAME"}),
    ("gateway trusts another pool", _gateway_other_pool, "GATEWAY_DISCOVERY_URL_MISMATCH", {}),
    ("gateway trusts another existing pool", _gateway_another_real_pool, "GATEWAY_DISCOVERY_URL_MISMATCH",
     {"AUTHZ_UNKNOWN_CLIENT": "GATEWAY_DISCOVERY_URL_MISMATCH"}),
]


@pytest.mark.parametrize(("name", "breaker", "root", "symptoms"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_one_fault_is_named_as_the_root_cause_and_fix_repairs_it(
        fresh: Fresh, name: str, breaker: Callable[[Fresh], None], root: str, symptoms: dict[str, str]) -> None:
    breaker(fresh)

    code, report = fresh.doctor()

    assert code == 1
    assert report["root_causes"][0] == root, report["root_causes"]
    found = {f["code"]: f for f in errors(report)}
    for symptom, cause in symptoms.items():
        assert found[symptom]["caused_by"] == cause
    assert found[root]["fix"]

    if root == "GATEWAY_DISCOVERY_URL_MISMATCH":  # trusting this pool again cuts the other one off
        refused, out = fresh.fix()
        assert refused == 1, out
        assert fresh.doctor()[1]["root_causes"][0] == root  # nothing changed
    fixed_code, out = fresh.fix("--allow-breaking")
    assert fixed_code == 0, out
    code, report = fresh.doctor()
    assert code == 0, report["root_causes"]
    assert report["summary"]["errors"] == 0


def test_two_faults_at_once_are_both_root_causes(fresh: Fresh) -> None:
    _drop_claude_callbacks(fresh)  # first: with the resource server gone, Cognito refuses client updates
    _delete_resource_server(fresh)
    code, report = fresh.doctor()
    assert code == 1
    assert {"COGNITO_RESOURCE_SERVER_MISSING", "COGNITO_CALLBACK_MISSING"} <= set(report["root_causes"])
    assert report["platforms"]["chatgpt"]["verdict"] == "needs_action"
    assert "COGNITO_CALLBACK_MISSING" in report["platforms"]["claude"]["codes"]
    assert "COGNITO_CALLBACK_MISSING" not in report["platforms"]["chatgpt"]["codes"]
    assert fresh.fix()[0] == 0
    assert fresh.doctor()[0] == 0


def test_without_aws_credentials_only_http_checks_run_and_the_symptom_names_likely_causes(fresh: Fresh) -> None:
    _delete_resource_server(fresh)
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from mcpauth_wizard.cli import main
    from mcpauth_wizard.sandbox.local import environment as _environment
    from mcpauth_wizard.sandbox.local import working_folder as _folder

    env = {k: "" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    out = io.StringIO()
    with _environment({"AWS_ENDPOINT_URL": fresh.sandbox.endpoint_url, "AWS_REGION": "us-east-1",
                       "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
                       "AWS_EC2_METADATA_DISABLED": "true", **env}), _folder(str(fresh.folder)), \
            redirect_stdout(out), redirect_stderr(io.StringIO()):
        try:
            main(["doctor", "--json"])
        except SystemExit as exc:
            code = exc.code
    report = json.loads(out.getvalue())
    assert code == 1
    skipped = {s["id"]: s for s in report["steps"] if s["status"] == "skip"}
    assert "aws.pool" in skipped and "credentials" in skipped["aws.pool"]["note"]
    assert report["steps"][0]["findings"][0]["code"] == "AWS_CREDENTIALS"
    symptom = next(f for f in errors(report) if f["code"] == "AUTHZ_INVALID_SCOPE")
    assert symptom["caused_by"] is None
    assert "resource server" in symptom["fix"]


def test_sign_in_end_to_end_through_the_loopback_listener(fresh: Fresh, capsys: Any) -> None:
    """--login: the doctor listens on 127.0.0.1, a form sign-in lands there, the token is
    validated against the gateway's rules and tools/list works."""
    from mcpauth_wizard.doctor.run import aws_access, make_target, run
    from mcpauth_wizard.sandbox.form_signin import sign_in
    from mcpauth_wizard.sandbox.local import environment as _environment
    from mcpauth_wizard.sandbox.local import working_folder as _folder

    with socket.socket() as probe:  # a free port for the doctor's callback, not a fixed one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, out = mcpauth(fresh.sandbox, fresh.folder, "add-callback", "doctor", "--port", str(port),
                        "--client-id", fresh.client("inspector"))
    assert code == 0, out
    fresh.sandbox.add_user(fresh.pool, "doc@example.com", "Doc-Passw0rd!")

    seen: list[str] = []

    def opener(url: str, deadline: float) -> None:
        import httpx

        seen.append(url)
        location = sign_in(url, "doc@example.com", "Doc-Passw0rd!")
        httpx.get(location)  # the browser follows the redirect to the loopback listener

    with _environment(fresh.sandbox.aws_env()), _folder(str(fresh.folder)):
        from mcpauth_wizard.cli import Options

        opts = Options(None, None, None, 0, True, True)
        target = make_target(load_project(), url=None, platforms="inspector", client_id=None,
                             secret_env=None, pool_id=None, gateway_id=None, token_env=None,
                             login_platform="inspector")
        aws, problem = aws_access(opts, target)
        report = run(target, aws, problem, opener=opener)
    by_id = {s.id: s for s in report.steps}
    # on failure: why (e.g. "cannot listen on 127.0.0.1 for http://localhost:N/callback (…)")
    assert by_id["login"].status == "pass", (by_id["login"].note,
                                             [f.message for f in by_id["login"].findings])
    assert f"redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2Fcallback" in seen[0]
    assert by_id["token.validate"].status == "pass", by_id["token.validate"].findings
    assert by_id["mcp.call"].note == "MCP 2026-07-28: server/discover ok; tools: add, echo"
    rendered = json.dumps(report.as_dict())
    assert "access token eyJ" in by_id["login"].note  # the token is named …
    assert not re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{16,}", rendered)  # … never whole: no signature
    for code in fresh.sandbox.login.codes:  # the authorization code stays out of the report too
        assert code not in rendered


def test_token_env_validation_names_a_token_of_a_disallowed_client(fresh: Fresh) -> None:
    from mcpauth_wizard.sandbox.tokens import access_claims

    token = fresh.sandbox.signer.sign(access_claims(
        issuer=fresh.sandbox.issuer(fresh.pool), client_id="stranger", sub="s", username="u",
        scope=f"openid {fresh.project.resource_url}/invoke", resource=None))
    from mcpauth_wizard.sandbox.local import environment as _environment

    with _environment({"MY_TOKEN": token}):
        code, report = fresh.doctor("--token-env", "MY_TOKEN")
    assert code == 1
    codes = [f["code"] for f in errors(report)]
    assert "TOKEN_AUDIENCE_MISMATCH" in codes and "MCP_TOKEN_REJECTED" in codes
    rejected = next(f for f in errors(report) if f["code"] == "MCP_TOKEN_REJECTED")
    assert rejected["caused_by"] == "TOKEN_AUDIENCE_MISMATCH"
    assert token.rsplit(".", 1)[1] not in json.dumps(report)  # the signature never appears


@pytest.mark.parametrize(("args", "message"), [
    (["doctor", "--platform", "chatgtp"], "unknown platform 'chatgtp'"),
    (["doctor", "http://example.com/mcp"], "http:// on a non-loopback host"),
    (["doctor", "--token-env", "NOPE_NOT_SET"], "--token-env NOPE_NOT_SET"),
])
def test_bad_arguments_exit_2(run_process, tmp_path, args, message) -> None:
    (tmp_path / "mcpauth.toml").write_text('[resource]\nurl = "https://mcp.example.com/mcp"\n')
    import os
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "mcpauth_wizard", *args], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def _step_child(fresh: Fresh) -> Any:
    import os
    import sys

    import pexpect

    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(fresh.sandbox.aws_env(), COLUMNS="160", TERM="dumb")
    return pexpect.spawn(sys.executable, ["-m", "mcpauth_wizard", "doctor", "--step"], env=env,
                         cwd=str(fresh.folder), encoding="utf-8", timeout=30, dimensions=(50, 160))


def test_step_mode_pauses_before_each_step_showing_what_it_will_send(fresh: Fresh) -> None:
    """--step in a real terminal: each step is announced with its whole request, runs on Enter,
    and shows its result; `c` runs the rest without asking."""
    import pexpect

    child = _step_child(fresh)
    child.expect_exact("Next: Cognito user pool and login domain")
    child.expect_exact(f"DescribeUserPool {fresh.pool}")
    child.expect_exact("Enter: run it · c: run the rest · q: stop")
    seen = ["Cognito user pool and login domain"]
    previews = []
    while True:
        child.send("\r")
        child.expect(f"[✓⚠✗–] {re.escape(seen[-1])}")  # the step's result, right after it ran
        index = child.expect([r"Next: ([^\r\n]+)\r?\n\s+([^\r\n]*)", pexpect.EOF])
        if index == 1:
            break
        seen.append(child.match.group(1).strip())
        previews.append(child.match.group(2))
        if seen[-1] == "Authorize request as ChatGPT":
            break
    authorize = previews[-1]
    assert authorize.startswith("GET http") and "redirect_uri=https%3A%2F%2Fchatgpt.com" in authorize
    assert "code_challenge_method=S256" in authorize and "resource=" in authorize  # whole, not cut
    assert "…" not in authorize
    child.send("c")  # the rest, without asking
    child.expect(pexpect.EOF)
    child.close()
    rest = child.before or ""
    assert "Next:" not in rest and "Platforms" in rest
    assert child.exitstatus == 0
    assert "MCP server asks for a token (401 + Bearer challenge)" in seen
    assert any(p.startswith(f"POST {fresh.project.resource_url}") for p in previews)


def test_step_mode_q_stops_and_reports_the_rest_as_not_run(fresh: Fresh) -> None:
    import pexpect

    child = _step_child(fresh)
    child.expect_exact("Next: Cognito user pool and login domain")
    child.send("\r")
    child.expect_exact("Next: ")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    out = child.before or ""
    assert "not run: stopped at --step" in out
    assert "Traceback" not in out
    # an honest end: where it stopped, nothing concluded, and a non-zero exit
    assert "DOCTOR_STOPPED" in out and "stopped at --step before" in out
    assert "ready" not in out.split("Platforms", 1)[-1]
    assert child.exitstatus == 1


def test_verbose_output_never_shows_a_secret(fresh: Fresh) -> None:
    secrets = [fresh.cognito.describe_user_pool_client(UserPoolId=fresh.pool, ClientId=fresh.client(p))
               ["UserPoolClient"]["ClientSecret"] for p in ("chatgpt", "claude")]
    _drop_claude_callbacks(fresh)
    code, out = mcpauth(fresh.sandbox, fresh.folder, "-v", "doctor")
    assert code == 1
    assert "AUTHZ_REDIRECT_MISMATCH" in out and '"request": "GET' in out  # evidence is shown
    for secret in secrets:
        assert secret not in out


def test_one_secret_for_several_clients_is_bad_input(fresh: Fresh) -> None:
    from mcpauth_wizard.sandbox.local import environment

    with environment({"S": "x"}):
        code, out = mcpauth(fresh.sandbox, fresh.folder, "doctor", "--client-secret-env", "S")
    assert code == 2


def test_json_fix_keeps_stdout_json(fresh: Fresh) -> None:
    _drop_scope(fresh)
    code, out = mcpauth(fresh.sandbox, fresh.folder, "doctor", "--json", "--fix", "--yes")
    report = json.loads(out)  # nothing but the report on stdout
    assert code == 0 and report["summary"]["errors"] == 0


def test_a_public_platform_on_a_client_with_a_secret_is_warned(sandbox: Sandbox, tmp_path: Path) -> None:
    """One shared (confidential) client for ChatGPT and Inspector: Inspector is set up as a
    public client, so unless its user enters the secret, its token exchange fails."""
    n = next(_count)
    seed = sandbox.seed(pool_name=f"shared-{n}", gateway_name=f"gw-shared-{n}")
    code, out = mcpauth(sandbox, tmp_path, "init", "--pool-id", seed.pool_id, "--domain",
                        f"shared-{n}-login", "--gateway-id", seed.gateway_id,
                        "--platform", "chatgpt,inspector", "--shared-client", "--yes",
                        "--allow-breaking")  # the seeded gateway is AWS_IAM
    assert code == 0, out
    code, out = mcpauth(sandbox, tmp_path, "doctor", "--json")
    report = json.loads(out[out.index("{"):])

    warned = [f for s in report["steps"] for f in s["findings"]
              if f["code"] == "COGNITO_CLIENT_SECRET_ON_PUBLIC_PLATFORM"]
    assert [(f["platform"], f["severity"]) for f in warned] == [("inspector", "warning")]
    assert "secret" in warned[0]["fix"]
    assert code == 0  # a warning: the setup can work once the secret is entered there


def test_in_a_terminal_the_steps_appear_as_a_live_checklist(fresh: Fresh) -> None:
    """A person sees every step listed at once (pending ones dimmed), each ticked as it ends —
    not a blank screen and then everything; the steps are listed once in the end."""
    import os
    import sys

    import pexpect

    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(fresh.sandbox.aws_env(), COLUMNS="200", TERM="xterm")
    child = pexpect.spawn(sys.executable, ["-m", "mcpauth_wizard", "doctor"], env=env,
                          cwd=str(fresh.folder), encoding="utf-8", timeout=60, dimensions=(60, 200))
    child.expect_exact("· Signing keys (JWKS) …")  # listed before it ran
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    screen = child.before or ""
    assert "Platforms" in screen


def test_warnings_alone_get_a_quieter_heading_than_a_root_cause(fresh: Fresh) -> None:
    code, out = mcpauth(fresh.sandbox, fresh.folder, "doctor")
    assert code == 0, out
    assert "Root cause" not in out and "Worth a look" in out  # a green setup: warnings only
    assert out.count("Resource server for the MCP URL") == 1  # each step printed once
    _drop_scope(fresh)
    code, out = mcpauth(fresh.sandbox, fresh.folder, "doctor")
    assert code == 1 and "Root cause" in out
