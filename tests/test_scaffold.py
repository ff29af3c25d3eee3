"""`mcpauth scaffold fastmcp-lambda`: the generated project lints, runs, and keeps its OAuth
state where every Lambda instance finds it.

The generated server is run in this process: its handler is imported as a Lambda cold
start would (fixtures_templates.cold_start) and given Lambda Function URL events through
Mangum. DynamoDB, Secrets Manager and SSM are the moto control plane on 127.0.0.1; Cognito
is FakeCognito on 127.0.0.1 (see the fake_cognito fixture for how the provider's start-up
discovery fetch is sent there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures_templates import (  # noqa: F401 - fixtures: deployed, fake_cognito, project
    BASE_URL,
    CLIENT_ID,
    CLIENT_REDIRECT,
    POOL_ID,
    REGION,
    FakeCognito,
    FunctionUrlBrowser,
    approve_consent,
    cold_start,
    deployed,
    fake_cognito,
    pkce,
    project,
    register_client,
    sign_in,
    start_authorization,
)

from mcpauth_wizard.core.project import Project, save_project
from mcpauth_wizard.provision.scaffold import template_files


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


def test_scaffold_refuses_to_overwrite_and_names_the_files(run, aws, cli_commands, project) -> None:  # noqa: F811
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


def test_generated_template_passes_cfn_lint(project: Path) -> None:  # noqa: F811
    from cfnlint.api import lint_file

    matches = lint_file(project / "template.yaml")

    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


# --- the generated server, run locally ----------------------------------------


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
    _, challenge = pkce()

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
