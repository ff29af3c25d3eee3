"""The FastMCP OAuth proxy on "Lambda", and the doctor's state probe.

The scaffolded fastmcp-lambda server runs as two instances (one process each, each with
its own FASTMCP_HOME, as each Lambda instance has its own /tmp) behind a round-robin front
on 127.0.0.1, signing users in at the sandbox's Cognito (mcpauth_wizard.sandbox.proxy_lab).
With FastMCP's default storage the doctor names PROXY_STATE_NOT_SHARED; with the
scaffold's DynamoDB store (the sandbox's moto) it does not, and the official MCP SDK
client signs in through the proxy and calls a tool. Servers that lie are fakes
(tests/hostile.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import Answer, HostileServer

from mcpauth_wizard.core.errors import McpAuthError
from mcpauth_wizard.doctor.context import Target
from mcpauth_wizard.doctor.report import Report
from mcpauth_wizard.doctor.run import run as run_doctor
from mcpauth_wizard.sandbox.proxy_lab import ProxyLab, sdk_sign_in
from mcpauth_wizard.sandbox.server import Sandbox, Seed


@pytest.fixture(scope="module")
def seed(sandbox: Sandbox) -> Seed:
    return sandbox.seed(pool_name="proxy-users")


@pytest.fixture(scope="module")
def default_storage(sandbox: Sandbox, seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyLab]:
    """The popular recipe: FastMCP's default (per-instance) storage."""
    with ProxyLab(sandbox, tmp_path_factory.mktemp("default") / "server", storage="default",
                  pool_id=seed.pool_id) as lab:
        yield lab


@pytest.fixture(scope="module")
def shared_storage(sandbox: Sandbox, seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyLab]:
    """The scaffold as generated: its DynamoDB store."""
    with ProxyLab(sandbox, tmp_path_factory.mktemp("shared") / "server", storage="dynamodb",
                  pool_id=seed.pool_id) as lab:
        yield lab


def doctor(url: str, **target: Any) -> Report:
    return run_doctor(Target(url=url, platforms=(), **target), None, None)


def step(report: Report, step_id: str) -> Any:
    return next(s for s in report.steps if s.id == step_id)


# --- the proxy on "Lambda", end to end -------------------------------------------


def test_default_storage_is_named_as_the_root_cause(default_storage: ProxyLab) -> None:
    report = doctor(default_storage.mcp_url)

    assert [f.code for f in report.roots][:1] == ["PROXY_STATE_NOT_SHARED"]
    finding = report.roots[0]
    assert finding.severity == "error"
    assert finding.evidence["authorizations"] == 8
    lost = sum("unknown" in a for a in finding.evidence["answers"])
    assert 0 < lost <= 8 and f"{lost} of 8" in finding.message
    assert "DynamoDB store" in finding.fix
    assert report.errors == 1, [f.code for f in report.findings]  # nothing else is wrong


def test_the_probe_never_signs_anyone_in(sandbox: Sandbox, default_storage: ProxyLab) -> None:
    issued = dict(sandbox.login.codes)  # every code Cognito's login page handed out

    doctor(default_storage.mcp_url, state_probes=4)

    assert sandbox.login.codes == issued


def test_the_probe_size_is_configurable(default_storage: ProxyLab) -> None:
    finding = doctor(default_storage.mcp_url, state_probes=3).roots[0]

    assert finding.code == "PROXY_STATE_NOT_SHARED" and finding.evidence["authorizations"] == 3


def test_the_mcp_sdk_fails_to_sign_in_with_default_storage(default_storage: ProxyLab, seed: Seed) -> None:
    """What users see: the client registered at one instance is unknown at the other."""
    with pytest.raises(BaseException) as failed:
        asyncio.run(sdk_sign_in(default_storage.mcp_url, seed.username, seed.password))

    assert "not registered" in repr(failed.value) or "expired" in repr(failed.value) \
        or isinstance(failed.value, McpAuthError)


def test_the_dynamodb_store_passes_the_probe(shared_storage: ProxyLab) -> None:
    report = doctor(shared_storage.mcp_url)

    assert report.errors == 0, [f.code for f in report.findings]
    assert step(report, "proxy.recognise").status == "pass"
    probe = step(report, "proxy.state")
    assert probe.status == "pass" and probe.note.startswith("8 of 8 authorizations found")


def test_the_mcp_sdk_signs_in_through_the_shared_state_proxy_and_calls_a_tool(
        shared_storage: ProxyLab, seed: Seed) -> None:
    text = asyncio.run(sdk_sign_in(shared_storage.mcp_url, seed.username, seed.password,
                                   arguments={"text": "through the proxy"}))

    assert text == "through the proxy"


def test_no_state_probe_opts_out(run: Any, default_storage: ProxyLab, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no mcpauth.toml: the URL alone

    probed = run("doctor", default_storage.mcp_url, "--json")
    skipped = run("doctor", default_storage.mcp_url, "--json", "--no-state-probe")

    assert probed.code == 1 and "PROXY_STATE_NOT_SHARED" in probed.out
    assert skipped.code == 0, skipped.out
    state = next(s for s in json.loads(skipped.out)["steps"] if s["id"] == "proxy.state")
    assert state["status"] == "skip" and state["note"] == "--no-state-probe"


# --- servers that lie --------------------------------------------------------------


def fake_proxy(server: HostileServer, **metadata: Any) -> str:
    """Discovery answers of a proxy at `server` (its own origin as authorization server)."""
    base = server.url
    server.answers["/mcp"] = Answer(401, {"WWW-Authenticate": 'Bearer resource_metadata="'
                                          f'{base}/.well-known/oauth-protected-resource/mcp"'})
    server.answers["/.well-known/oauth-protected-resource/mcp"] = Answer(
        200, {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"},
        json.dumps({"resource": f"{base}/mcp", "authorization_servers": [f"{base}/"],
                    "scopes_supported": ["openid"]}).encode())
    document = {"issuer": f"{base}/", "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token", "registration_endpoint": f"{base}/register",
                "code_challenge_methods_supported": ["S256"], **metadata}
    server.answers["/.well-known/oauth-authorization-server"] = Answer(
        200, {"Content-Type": "application/json"}, json.dumps(document).encode())
    server.answers["/register"] = Answer(201, {"Content-Type": "application/json"},
                                         b'{"client_id": "throwaway"}')
    server.answers["/authorize"] = Answer(302, {"Location": f"{base}/consent?txn_id=txn-1"})
    return f"{base}/mcp"


def test_a_proxy_that_forgets_every_transaction_is_named() -> None:
    with HostileServer() as server:
        url = fake_proxy(server)
        server.answers["/auth/callback"] = Answer(400, {"Content-Type": "text/html"}, (
            b"<html><style>p{}</style><p>Invalid or expired authorization transaction.</p></html>"))

        finding = doctor(url).roots[0]

    assert finding.code == "PROXY_STATE_NOT_SHARED" and "8 of 8" in finding.message
    assert finding.evidence["example"]["says"] == "Invalid or expired authorization transaction."


def test_a_proxy_that_finds_every_transaction_passes() -> None:
    with HostileServer() as server:
        url = fake_proxy(server)
        server.answers["/auth/callback"] = Answer(500, {"Content-Type": "text/html"}, (
            b"<p>Token exchange with identity provider failed: invalid_grant</p>"))

        report = doctor(url)

    assert report.errors == 0 and step(report, "proxy.state").status == "pass"


def test_garbage_from_the_proxy_is_inconclusive_not_a_verdict() -> None:
    with HostileServer() as server:
        url = fake_proxy(server)
        server.answers["/authorize"] = Answer(200, {"Content-Type": "text/html"}, b"\xff" * 5000)

        report = doctor(url)

    probe = step(report, "proxy.state")
    assert probe.status == "pass" and probe.note.startswith("inconclusive")
    assert "PROXY_STATE_NOT_SHARED" not in [f.code for f in report.findings]


def test_metadata_naming_another_origin_sends_the_probe_nowhere() -> None:
    with HostileServer() as server, HostileServer() as elsewhere:
        url = fake_proxy(server, authorization_endpoint=f"{elsewhere.url}/authorize",
                         registration_endpoint=f"{elsewhere.url}/register")
        elsewhere.answers["/authorize"] = Answer(302, {"Location": f"{server.url}/consent?txn_id=x"})

        report = doctor(url)

    assert step(report, "proxy.state").status == "skip"
    assert "PROXY_STATE_NOT_SHARED" not in [f.code for f in report.findings]


def test_an_authorization_server_elsewhere_is_no_proxy() -> None:
    with HostileServer() as server, HostileServer() as issuer:
        url = fake_proxy(server)
        server.answers["/.well-known/oauth-protected-resource/mcp"] = Answer(
            200, {"Content-Type": "application/json"},
            json.dumps({"resource": url, "authorization_servers": [issuer.url]}).encode())

        report = doctor(url)

    assert step(report, "proxy.recognise").status == "skip"
    assert step(report, "proxy.state").status == "skip"


# --- the proxy's upstream Cognito client (with AWS access) ------------------------------


def aws_doctor(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, url: str, **target: Any) -> Report:
    from mcpauth_wizard.aws.session import AwsContext

    for key, value in sandbox.aws_env().items():
        monkeypatch.setenv(key, value)
    return run_doctor(Target(url=url, platforms=(), state_probes=0, **target),
                      AwsContext(endpoint_url=sandbox.endpoint_url, region="us-east-1"), None)


def test_the_proxy_s_cognito_client_as_the_lab_makes_it_passes(
        sandbox: Sandbox, shared_storage: ProxyLab, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = shared_storage.setup
    report = aws_doctor(sandbox, monkeypatch, shared_storage.mcp_url, pool_id=setup.pool_id,
                        proxy_client=setup.client_id, proxy_base_url=shared_storage.base_url)

    assert report.errors == 0, [(f.code, f.message) for f in report.findings]
    assert step(report, "aws.proxy_client").status == "pass"
    assert step(report, "aws.resource_server").status == "pass"  # the `resource` the proxy forwards


def test_a_near_miss_callback_a_public_client_and_a_missing_scope_are_named(
        sandbox: Sandbox, shared_storage: ProxyLab, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = shared_storage.setup
    wrong = sandbox.boto("cognito-idp").create_user_pool_client(
        UserPoolId=setup.pool_id, ClientName="proxy-by-hand", GenerateSecret=False,
        CallbackURLs=[f"{shared_storage.base_url}/auth/callback/"], AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["email"], AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]["ClientId"]

    report = aws_doctor(sandbox, monkeypatch, shared_storage.mcp_url, pool_id=setup.pool_id,
                        proxy_client=wrong, proxy_base_url=shared_storage.base_url)

    found = {f.code: f for f in step(report, "aws.proxy_client").findings}
    assert set(found) == {"COGNITO_CALLBACK_MISSING", "COGNITO_CALLBACK_NEAR_MISS",
                          "TOKEN_CLIENT_AUTH_FAILED", "COGNITO_SCOPE_NOT_ALLOWED"}
    assert f"{shared_storage.base_url}/auth/callback/" in found["COGNITO_CALLBACK_NEAR_MISS"].message
    assert "'openid'" in found["COGNITO_SCOPE_NOT_ALLOWED"].message


# --- init → scaffold → deploy → doctor, as a user does it --------------------------------


def test_a_proxy_set_up_by_init_with_defaults_passes_the_doctor_and_signs_in(
        sandbox: Sandbox, seed: Seed, tmp_path: Path) -> None:
    from sandbox_fixtures import mcpauth

    from mcpauth_wizard.core.project import load_project
    from mcpauth_wizard.sandbox.proxy_lab import ProxySetup, free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    code, out = mcpauth(sandbox, tmp_path, "--yes", "init", "--server", "fastmcp-proxy",
                        "--pool-id", seed.pool_id, "--domain", "init-proxy", "--base-url", base)
    assert code == 0, out
    project = load_project(tmp_path / "mcpauth.toml")
    code, out = mcpauth(sandbox, tmp_path, "scaffold", "fastmcp-lambda", "server")
    assert code == 0, out
    assert project.proxy_client in (tmp_path / "server" / "README.md").read_text()
    setup = ProxySetup(seed.pool_id, project.domain or "", project.proxy_client or "")

    with ProxyLab(sandbox, tmp_path / "server", storage="dynamodb", setup=setup, front_port=port) as lab:
        code, out = mcpauth(sandbox, tmp_path, "doctor", "--json")
        text = asyncio.run(sdk_sign_in(lab.mcp_url, seed.username, seed.password))

    report = json.loads(out)
    assert code == 0, [f for s in report["steps"] for f in s["findings"]]
    steps = {s["id"]: s["status"] for s in report["steps"]}
    assert steps["aws.proxy_client"] == steps["proxy.state"] == steps["aws.resource_server"] == "pass"
    assert text == "hello"
