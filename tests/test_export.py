"""`mcpauth export cloudformation`: the sandbox's setup, made by `mcpauth init`, comes back
as a CloudFormation template with every resource and callback URL, and no secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from mcpauth_wizard.core.project import load_project

ROLE = "arn:aws:iam::123456789012:role/gateway"


@pytest.fixture(autouse=True)
def cli_commands() -> None:
    """The scaffold and export commands on the CLI group (until cli.py registers them)."""
    from mcpauth_wizard.cli import cli
    from mcpauth_wizard.commands.template_commands import register

    if "export" not in cli.commands:
        register(cli)


@pytest.fixture
def setup(run, aws) -> dict[str, Any]:
    """`mcpauth init` against the control plane: pool, domain, resource server, three clients
    (two with a secret), branding, and a gateway whose authorizer it wires."""
    agentcore = boto3.client("bedrock-agentcore-control", endpoint_url=aws.url, region_name="us-east-1")
    gateway = agentcore.create_gateway(
        name="tools", roleArn=ROLE, protocolType="MCP", authorizerType="CUSTOM_JWT",
        description="team tools", exceptionLevel="DEBUG",
        protocolConfiguration={"mcp": {"supportedVersions": ["2025-06-18"], "searchType": "SEMANTIC"}},
        authorizerConfiguration={"customJWTAuthorizer": {
            "discoveryUrl": "https://idp.example.com/.well-known/openid-configuration",
            "allowedAudience": ["api://tools"]}},
    )
    result = run("init", "--new-pool", "mcp users", "--domain", "tools-login", "--gateway-id",
                 gateway["gatewayId"], "--platform", "chatgpt,claude,inspector", "--yes",
                 "--allow-breaking", "--reveal")  # secrets printed here, so the export is seen not to
    assert result.code == 0, result.err
    cognito = boto3.client("cognito-idp", endpoint_url=aws.url, region_name="us-east-1")
    project = load_project()
    clients = {cid: cognito.describe_user_pool_client(UserPoolId=project.user_pool_id, ClientId=cid)[
        "UserPoolClient"] for cid in project.clients.values()}
    servers = cognito.list_resource_servers(UserPoolId=project.user_pool_id, MaxResults=50)["ResourceServers"]
    return {"project": project, "clients": clients, "servers": servers, "gateway": gateway,
            "init_output": result.out}


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_export_round_trips_every_resource_and_callback(run, aws, setup, tmp_path) -> None:
    aws.log.clear()

    result = run("export", "cloudformation", "--output", "setup.json")

    assert result.code == 0, result.err
    assert aws.log.mutating() == []  # an export only reads
    template = json.loads(Path("setup.json").read_text())
    project = setup["project"]
    assert template["Metadata"]["mcpauth"]["source"]["userPoolId"] == project.user_pool_id

    [pool] = resources_of(template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["UserPoolName"] == "mcp users"
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    [domain] = resources_of(template, "AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["Domain"] == "tools-login"
    assert domain["Properties"]["UserPoolId"] == {"Ref": "UserPool"}

    [server] = resources_of(template, "AWS::Cognito::UserPoolResourceServer").values()
    [live_server] = setup["servers"]
    assert server["Properties"]["Identifier"] == live_server["Identifier"] == project.resource_url
    assert [s["ScopeName"] for s in server["Properties"]["Scopes"]] == ["invoke"]

    exported_clients = resources_of(template, "AWS::Cognito::UserPoolClient")
    ids = template["Metadata"]["mcpauth"]["clients"]  # logical id → live client id
    assert sorted(ids.values()) == sorted(project.clients.values())
    for logical, client in exported_clients.items():
        live = setup["clients"][ids[logical]]
        properties = client["Properties"]
        assert properties["ClientName"] == live["ClientName"]
        assert properties["CallbackURLs"] == live["CallbackURLs"]  # exactly, in order
        assert properties["AllowedOAuthScopes"] == live["AllowedOAuthScopes"]
        assert properties["AllowedOAuthFlows"] == ["code"]
        assert properties["GenerateSecret"] is ("ClientSecret" in live)
        assert client["DependsOn"] == list(resources_of(template, "AWS::Cognito::UserPoolResourceServer"))
    branded = {b["Properties"]["ClientId"]["Ref"]
               for b in resources_of(template, "AWS::Cognito::ManagedLoginBranding").values()}
    assert branded == set(exported_clients)

    [gateway] = resources_of(template, "AWS::BedrockAgentCore::Gateway").values()
    jwt = gateway["Properties"]["AuthorizerConfiguration"]["CustomJWTAuthorizer"]
    assert sorted(c["Ref"] for c in jwt["AllowedClients"]) == sorted(exported_clients)
    assert jwt["DiscoveryUrl"] == {"Fn::Sub": "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/"
                                              "${UserPool}/.well-known/openid-configuration"}
    assert gateway["Properties"]["Name"] == "tools"
    assert gateway["Properties"]["RoleArn"] == ROLE
    assert gateway["Properties"]["ProtocolConfiguration"]["Mcp"]["SearchType"] == "SEMANTIC"


def test_export_never_writes_a_secret(run, setup) -> None:
    result = run("export", "cloudformation")

    assert result.code == 0, result.err
    secrets = [c["ClientSecret"] for c in setup["clients"].values() if "ClientSecret" in c]
    assert len(secrets) == 2
    for secret in secrets:
        assert secret in setup["init_output"]  # printed by init (asked to reveal) ...
        assert secret not in result.out  # ... never by the export
    assert "ClientSecret" not in result.out


def test_exported_template_passes_cfn_lint(run, setup, tmp_path) -> None:
    from cfnlint.api import lint_file

    assert run("export", "cloudformation", "-o", str(tmp_path / "setup.json")).code == 0

    matches = lint_file(tmp_path / "setup.json")

    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


@pytest.mark.parametrize("args, message", [
    (["export", "terraform"], "unknown export format 'terraform'; accepted: cloudformation"),
    (["export", "cloudformation"], "no user pool: pass --pool-id"),
    (["export", "cloudformation", "--pool-id", "not a pool"], "invalid user pool id 'not a pool'"),
    (["export", "cloudformation", "-o", "missing/setup.json"], "the folder missing does not exist"),
])
def test_export_bad_input_is_one_line_and_exit_2(run, aws, args, message) -> None:
    result = run(*args)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert aws.log.operations() == []
