"""`mcpauth scaffold fastmcp-lambda`: the generated project lints, runs, and keeps its OAuth
state where every Lambda instance finds it.

The generated server is run in this process: its handler is imported as a Lambda cold
start would (fixtures_templates.cold_start) and given Lambda Function URL events through
Mangum. DynamoDB, Secrets Manager and SSM are the moto control plane on 127.0.0.1; Cognito
is FakeCognito on 127.0.0.1 (see the fake_cognito fixture for how the provider's start-up
discovery fetch is sent there).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fixtures_templates import (
    BASE_URL,
    CLIENT_ID,
    POOL_ID,
    REGION,
    FakeCognito,
    FunctionUrlBrowser,
    cold_start,
    fake_cognito,  # noqa: F401 - a fixture
    server_environment,
)

from mcpauth_wizard.project import Project, save_project
from mcpauth_wizard.scaffold import ScaffoldValues, scaffold, template_files

CLIENT_REDIRECT = "http://localhost:9999/callback"


@pytest.fixture(autouse=True)
def quiet_fastmcp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTMCP_SHOW_SERVER_BANNER", "false")
    monkeypatch.setenv("FASTMCP_CHECK_FOR_UPDATES", "off")


@pytest.fixture
def cli_commands() -> None:
    """The scaffold and export commands on the CLI group (until cli.py registers them)."""
    from mcpauth_wizard.cli import cli
    from mcpauth_wizard.commands.template_commands import register

    if "scaffold" not in cli.commands:
        register(cli)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "demo-server"
    scaffold("fastmcp-lambda", folder, ScaffoldValues("demo-server", REGION, POOL_ID, CLIENT_ID))
    return folder


@pytest.fixture
def deployed(aws: Any, fake_cognito: FakeCognito, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
             project: Path) -> Path:
    """The generated project with what template.yaml creates: table, secrets, env vars."""
    server_environment(monkeypatch, aws.url)
    return project


# --- the generated files -------------------------------------------------------


def test_scaffold_fills_the_templates_from_mcpauth_toml(run, aws, cli_commands, tmp_path) -> None:
    save_project(Project(region="eu-west-1", user_pool_id="eu-west-1_Pool9",
                         clients={"chatgpt": "chatgptclient1"}))

    result = run("scaffold", "fastmcp-lambda", "my-mcp")

    assert result.code == 0, result.err
    folder = tmp_path / "my-mcp"
    written = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    assert written == template_files("fastmcp-lambda")
    template = (folder / "template.yaml").read_text()
    assert "Default: eu-west-1_Pool9" in template and "Default: chatgptclient1" in template
    assert "Default: eu-west-1\n" in template
    assert "${AWS::StackName}" in template  # CloudFormation's own placeholders are left alone
    readme = (folder / "README.md").read_text()
    assert "mcpauth add-callback \"$CALLBACK\" --pool-id eu-west-1_Pool9 --client-id chatgptclient1" in readme
    assert "mcpauth_" not in template + readme
    assert "aws_region=required_env(\"COGNITO_REGION\")" in (folder / "server.py").read_text()


def test_scaffold_refuses_to_overwrite_and_names_the_files(run, aws, cli_commands, project) -> None:
    result = run("scaffold", "fastmcp-lambda", str(project), "--pool-id", POOL_ID, "--client-id", CLIENT_ID)
    assert result.code == 2
    assert "already has" in result.err and "--force" in result.err
    forced = run("scaffold", "fastmcp-lambda", str(project), "--pool-id", POOL_ID,
                 "--client-id", CLIENT_ID, "--force")
    assert forced.code == 0, forced.err


@pytest.mark.parametrize("args, message", [
    (["scaffold", "django"], "unknown template 'django'; accepted: fastmcp-lambda"),
    (["scaffold", "fastmcp-lambda"], "no user pool"),
    (["scaffold", "fastmcp-lambda", "x", "--pool-id", POOL_ID], "pass --client-id"),
    (["scaffold", "fastmcp-lambda", "9lives", "--pool-id", POOL_ID, "--client-id", "c1"],
     "invalid server name '9lives'"),
])
def test_scaffold_bad_input_is_one_line_and_exit_2(run, aws, cli_commands, args, message) -> None:
    result = run(*args)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not Path("x").exists()


def test_generated_template_passes_cfn_lint(project: Path) -> None:
    from cfnlint.api import lint_file

    matches = lint_file(project / "template.yaml")

    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


# --- the generated server, run locally ----------------------------------------


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def register_client(browser: FunctionUrlBrowser, instance: ModuleType) -> str:
    """Dynamic client registration, as an MCP client does first."""
    reply = browser.request(instance, "POST", f"{BASE_URL}/register", headers={"content-type": "application/json"},
                            body=json.dumps({"redirect_uris": [CLIENT_REDIRECT], "client_name": "test client",
                                             "token_endpoint_auth_method": "none"}))
    assert reply.status == 201, reply.body
    return reply.json()["client_id"]


def start_authorization(browser: FunctionUrlBrowser, instance: ModuleType, client_id: str,
                        challenge: str) -> Any:
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": CLIENT_REDIRECT,
                       "code_challenge": challenge, "code_challenge_method": "S256", "state": "client-state",
                       "scope": "openid"})
    return browser.request(instance, "GET", f"{BASE_URL}/authorize?{query}")


def approve_consent(browser: FunctionUrlBrowser, shows: ModuleType, accepts: ModuleType, consent_url: str) -> Any:
    """The user sees the consent page (served by `shows`) and approves (sent to `accepts`)."""
    page = browser.request(shows, "GET", consent_url)
    assert page.status == 200, page.body
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.body).group(1)
    txn = parse_qs(urlsplit(consent_url).query)["txn_id"][0]
    return browser.request(accepts, "POST", f"{BASE_URL}/consent",
                           headers={"content-type": "application/x-www-form-urlencoded"},
                           body=urlencode({"txn_id": txn, "csrf_token": csrf, "action": "approve"}))


def sign_in(browser: FunctionUrlBrowser, cognito: FakeCognito, a: ModuleType, b: ModuleType) -> str:
    """The whole sign-in, every step on the other instance than the step before. The token."""
    client_id = register_client(browser, a)
    verifier, challenge = _pkce()
    started = start_authorization(browser, b, client_id, challenge)
    assert started.status == 302 and started.location.startswith(f"{BASE_URL}/consent?txn_id="), started.body
    to_cognito = approve_consent(browser, a, b, started.location)
    assert to_cognito.status == 302 and to_cognito.location.startswith(cognito.authorize_endpoint)
    assert parse_qs(urlsplit(to_cognito.location).query)["redirect_uri"] == [f"{BASE_URL}/auth/callback"]
    back = browser.request(a, "GET", cognito.sign_in(to_cognito.location))
    assert back.status == 302 and back.location.startswith(CLIENT_REDIRECT + "?"), back.body
    code = parse_qs(urlsplit(back.location).query)["code"][0]
    token = browser.request(b, "POST", f"{BASE_URL}/token",
                            headers={"content-type": "application/x-www-form-urlencoded"},
                            body=urlencode({"grant_type": "authorization_code", "code": code,
                                            "redirect_uri": CLIENT_REDIRECT, "client_id": client_id,
                                            "code_verifier": verifier}))
    assert token.status == 200, token.body
    return token.json()["access_token"]


INITIALIZE = {"protocolVersion": "2025-06-18", "capabilities": {},
              "clientInfo": {"name": "pytest", "version": "1"}}


def test_generated_server_answers_mcp_over_function_url_events_across_invocations(
        deployed: Path, fake_cognito: FakeCognito) -> None:  # noqa: F811
    instance = cold_start(deployed)
    browser = FunctionUrlBrowser()
    assert browser.mcp(instance, "initialize", INITIALIZE).status == 401  # sign-in required

    token = sign_in(browser, fake_cognito, instance, instance)

    for _ in range(3):  # warm invocations of the same instance
        initialized = browser.mcp(instance, "initialize", INITIALIZE, token=token)
        assert initialized.status == 200, initialized.body
        assert initialized.json()["result"]["serverInfo"]["name"] == "demo"
        tools = browser.mcp(instance, "tools/list", token=token)
        assert tools.status == 200, tools.body
        assert {t["name"] for t in tools.json()["result"]["tools"]} == {"echo", "whoami"}
    called = browser.mcp(instance, "tools/call", {"name": "whoami", "arguments": {}}, token=token)
    assert called.json()["result"]["structuredContent"]["username"] == "alice"
    metadata = browser.request(instance, "GET", f"{BASE_URL}/.well-known/oauth-authorization-server")
    assert metadata.json()["code_challenge_methods_supported"] == ["S256"]


def test_two_cold_starts_share_clients_and_sign_ins_through_dynamodb(
        deployed: Path, fake_cognito: FakeCognito, aws: Any) -> None:  # noqa: F811
    first, second = cold_start(deployed), cold_start(deployed)
    assert first is not second and first.app is not second.app
    browser = FunctionUrlBrowser()

    token = sign_in(browser, fake_cognito, first, second)  # each step on the other instance

    for instance in (first, second, cold_start(deployed)):  # and a third, started later
        tools = browser.mcp(instance, "tools/list", token=token)
        assert tools.status == 200, tools.body
    assert len(fake_cognito.token_requests) == 1  # one code exchange with Cognito, on one instance


def test_oauth_state_in_the_table_is_encrypted(deployed: Path, fake_cognito: FakeCognito, aws: Any) -> None:  # noqa: F811
    import boto3

    instance = cold_start(deployed)
    register_client(FunctionUrlBrowser(), instance)

    items = boto3.client("dynamodb", endpoint_url=aws.url, region_name=REGION).scan(
        TableName="oauth-state")["Items"]
    clients = [i for i in items if i["collection"]["S"] == "mcp-oauth-proxy-clients"]
    assert len(clients) == 1
    stored = clients[0]["value"]["S"]
    assert "__encrypted_data__" in stored
    assert CLIENT_REDIRECT not in stored and "test client" not in stored


def test_with_fastmcps_default_file_storage_the_same_flow_fails_across_cold_starts(
        deployed: Path, fake_cognito: FakeCognito, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The popular recipe: client_storage left to FastMCP (files in its home folder), which
    on Lambda is per instance. Two folders stand for the /tmp of two instances."""
    import fastmcp

    monkeypatch.setattr(fastmcp.settings, "home", tmp_path / "instance-1")
    first = cold_start(deployed, default_storage=True)
    monkeypatch.setattr(fastmcp.settings, "home", tmp_path / "instance-2")
    second = cold_start(deployed, default_storage=True)
    browser = FunctionUrlBrowser()
    client_id = register_client(browser, first)
    _, challenge = _pkce()

    # The very sign-in that passes with the DynamoDB store fails here ...
    with pytest.raises(AssertionError):
        sign_in(browser, fake_cognito, first, second)

    # ... because a client registered through the first instance is unknown to the second ...
    unknown = start_authorization(browser, second, client_id, challenge)
    assert unknown.status == 400 and unknown.json()["error"] == "invalid_request"
    assert f"Client ID '{client_id}' is not registered" in unknown.json()["error_description"]

    # ... and a sign-in started on the first cannot go on at the second.
    started = start_authorization(browser, first, client_id, challenge)
    assert started.status == 302 and "/consent?txn_id=" in started.location
    lost = browser.request(second, "GET", started.location)
    assert lost.status == 400 and "Invalid or expired transaction" in lost.body

    # On one instance the same steps work: the failure is the storage, not the flow.
    assert approve_consent(browser, first, first, started.location).status == 302
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("instance-")) == [
        "instance-1", "instance-2"]
