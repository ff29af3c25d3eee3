"""The questions of `init`: scripted answers for the logic, a real terminal for the prompts."""

from __future__ import annotations

from typing import Any

import boto3
import pexpect
import pytest

from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.provision.answers import command_line
from mcpauth_wizard.provision.prompts import NEW, URL, NoPrompter, Option
from mcpauth_wizard.provision.wizard import ask
from tests.terminal import spawn_mcpauth


class ScriptedPrompter:
    """Answers by question key; remembers what was asked and the options offered."""

    can_ask = True

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked: list[str] = []
        self.options: dict[str, list[Option]] = {}
        self.said: list[str] = []
        self.helps: dict[str, str] = {}

    def _answer(self, key: str, default: Any = None) -> Any:
        self.asked.append(key)
        return self.answers.get(key, default)

    def select(self, key, message, options, default=None):
        self.options[key] = options
        return self._answer(key, default)

    def checkbox(self, key, message, options, defaults, required=False):
        self.options[key] = options
        return self._answer(key, defaults)

    def text(self, key, message, default="", validate=None):
        answer = self._answer(key, default)
        if validate and (problem := validate(answer)):
            raise AssertionError(f"{key}: {problem}")
        return answer

    def text_optional(self, key, message, validate=None):
        return self._answer(key, "")

    def explain(self, key, help_line):
        self.helps[key] = help_line

    def confirm(self, key, message, default):
        return self._answer(key, default)

    def say(self, message):
        self.said.append(message)


def test_new_pool_and_url_server(aws) -> None:
    prompter = ScriptedPrompter({
        "pool": NEW, "new_pool": "Team MCP", "mcp_server": URL,
        "mcp_url": "https://tools.example.com/mcp", "platforms": ["chatgpt", "claude-code"],
        "port_claude-code": "8765", "scopes": "invoke, admin", "secret": ["chatgpt"],
        "registration": "static",
    })
    spec = ask({}, prompter, AwsContext(endpoint_url=aws.url))
    assert spec.new_pool and spec.new_pool.name == "Team MCP" and spec.new_pool.tier == "ESSENTIALS"
    assert spec.domain_prefix == "team-mcp-login"  # suggested from the pool name
    assert spec.scopes == ("invoke", "admin")
    assert {c.key: c.secret for c in spec.clients} == {"chatgpt": True, "claude-code": False}
    assert spec.clients[1].callback_urls == ("http://localhost:8765/callback",)
    assert "gateway_allowed_scopes" not in prompter.asked  # no gateway, no question
    assert prompter.helps["port_claude-code"] == ("Claude Code listens here for the sign-in; its "
                                                  "panel's command sets it (proposed: 31415; any "
                                                  "free port works)")


def test_existing_pool_list_shows_details_and_keeps_its_domain(aws, cognito) -> None:
    pool = cognito.create_user_pool(PoolName="prod users")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool, Domain="prod-login", ManagedLoginVersion=2)
    cognito.create_user_pool_client(UserPoolId=pool, ClientName="web")
    prompter = ScriptedPrompter({"pool": pool, "mcp_server": URL, "mcp_url": "https://x.example.com/mcp"})
    spec = ask({}, prompter, AwsContext(endpoint_url=aws.url))
    titles = [o.title for o in prompter.options["pool"]]
    assert titles[0] == "Create a new user pool"
    # moto's ids are 42 characters: the domain column gives way so that a row fits 80 columns
    assert any(t.startswith("prod users  " + pool) and "1 client" in t for t in titles)
    assert all(len(t) <= 76 for t in titles)
    assert spec.pool_id == pool and spec.domain_prefix is None
    assert "domain" not in prompter.asked
    assert any("prod-login" in s for s in prompter.said)


def test_pool_rows_are_aligned_columns_that_fit_80_columns_and_never_cut_an_id() -> None:
    from mcpauth_wizard.provision.wizard import columns

    rows = [["prod users", "us-east-1_AbCdEfGhI", "ESSENTIALS", "1 client", "prod-login"],
            ["mcp", "eu-west-1_Zz9", "LITE", "12 clients", "no domain"]]
    assert columns(rows) == [
        "prod users  us-east-1_AbCdEfGhI  ESSENTIALS  1 client    prod-login",
        "mcp         eu-west-1_Zz9        LITE        12 clients  no domain"]
    rows.append(["a pool with a very long name indeed", "ap-southeast-2_AbCdEfGhI", "PLUS", "1 client",
                 "a-long-custom-login.example.com"])
    lines = columns(rows)
    assert lines[2].startswith("a pool with a very long…  ap-southeast-2_AbCdEfGhI  PLUS")
    assert all(len(line) <= 76 for line in lines)
    long_ids = [["p", "us-east-1_" + "f" * 60, "ESSENTIALS"]]
    assert columns(long_ids) == ["p  us-east-1_" + "f" * 60]  # details give way; the id stays whole


def test_a_new_domain_for_an_existing_pool_is_named_after_the_pool(aws, cognito) -> None:
    pool = cognito.create_user_pool(PoolName="Team Tools")["UserPool"]["Id"]
    prompter = ScriptedPrompter({"mcp_server": URL, "mcp_url": "https://x.example.com/mcp"})
    spec = ask({"pool_id": pool}, prompter, AwsContext(endpoint_url=aws.url))
    assert spec.domain_prefix == "team-tools-login"
    # moto is not AWS: the host is named as AWS's
    host = "https://team-tools-login.auth.us-east-1.amazoncognito.com"
    assert prompter.helps["domain"] == f"Creates on AWS {host}"
    assert f"Login page on AWS: {host}" in prompter.said


def test_gateway_choice_uses_its_url_and_asks_about_allowed_scopes(aws) -> None:
    agentcore = boto3.client("bedrock-agentcore-control", endpoint_url=aws.url, region_name="us-east-1")
    gw = agentcore.create_gateway(name="gw", roleArn="arn:aws:iam::123456789012:role/r",
                                  protocolType="MCP", authorizerType="AWS_IAM")
    prompter = ScriptedPrompter({"pool": NEW, "mcp_server": gw["gatewayId"],
                                 "registration": "static", "gateway_allowed_scopes": True})
    spec = ask({}, prompter, AwsContext(endpoint_url=aws.url))
    assert spec.mcp_url == gw["gatewayUrl"] + "/mcp"
    assert spec.gateway_id == gw["gatewayId"] and spec.gateway_allowed_scopes
    assert any("auth: AWS_IAM" in o.title for o in prompter.options["mcp_server"])


@pytest.mark.parametrize(("platforms", "clients", "registering"), [
    (["claude", "vscode"], [], ["claude", "vscode"]),
    (["claude", "mcp-remote"], ["mcp-remote"], ["claude"]),
    (["mcp-remote", "gemini-cli"], ["mcp-remote", "gemini-cli"], []),
    (["claude-code", "vscode"], [], ["claude-code", "vscode"]),  # CIMD, then DCR, then an id
])
def test_registration_defaults_to_static_in_a_terminal_too_and_both_splits_by_the_registry(
        aws, platforms, clients, registering) -> None:
    """One default with or without a terminal (static: self-registration is not yet verified
    against real Cognito); `both` gives app clients only to those that cannot register."""
    answers = {"pool": NEW, "mcp_server": URL, "mcp_url": "https://mcp.example.com/mcp",
               "platforms": platforms, "port_claude-code": "8765"}
    prompter = ScriptedPrompter(dict(answers))
    spec = ask({}, prompter, AwsContext(endpoint_url=aws.url))
    assert [o.value for o in prompter.options["registration"]] == ["static", "dcr", "both"]
    assert spec.registration == "static" and list(spec.dcr_platforms) == []
    assert [c.key for c in spec.clients] == platforms

    both = ask({}, ScriptedPrompter({**answers, "registration": "both"}), AwsContext(endpoint_url=aws.url))
    assert "--registration both" in command_line(both.answers)
    assert [c.key for c in both.clients] == clients
    assert list(both.dcr_platforms) == registering


def test_without_a_terminal_registration_stays_static(aws) -> None:
    spec = ask({"new_pool": "p", "mcp_url": "https://mcp.example.com/mcp", "domain": "p-login",
                "platforms": ["claude"], "passkeys": False}, NoPrompter(), AwsContext(endpoint_url=aws.url))
    assert spec.registration == "static" and [c.key for c in spec.clients] == ["claude"]


def test_choosing_lite_gives_the_classic_hosted_ui_without_asking_what_lite_cannot_have(aws) -> None:
    prompter = ScriptedPrompter({"pool": NEW, "tier": "LITE", "mcp_server": URL,
                                 "mcp_url": "https://x.example.com/mcp", "platforms": ["claude"]})
    spec = ask({}, prompter, AwsContext(endpoint_url=aws.url))
    assert spec.managed_login_version == 1 and spec.passkeys is False and spec.registration == "static"
    assert not {"passkeys", "managed_login", "registration"} & set(prompter.asked)
    assert "Tier LITE: the classic hosted UI, no passkeys." in prompter.said


def test_lite_tier_cannot_have_managed_login_or_passkeys(aws) -> None:
    prompter = ScriptedPrompter({"mcp_server": URL, "mcp_url": "https://x.example.com/mcp"})
    with pytest.raises(BadInput, match="LITE"):
        ask({"new_pool": "p", "tier": "LITE", "passkeys": True}, prompter, AwsContext(endpoint_url=aws.url))


def test_real_prompts_in_a_terminal_from_start_to_plan(aws, tmp_path) -> None:
    """questionary in a pseudo-terminal: every question answered with its default."""
    agentcore = boto3.client("bedrock-agentcore-control", endpoint_url=aws.url, region_name="us-east-1")
    agentcore.create_gateway(name="tools", roleArn="arn:aws:iam::123456789012:role/r",
                             protocolType="MCP", authorizerType="CUSTOM_JWT",
                             authorizerConfiguration={"customJWTAuthorizer": {
                                 "discoveryUrl": "https://idp.example.com/.well-known/openid-configuration",
                                 "allowedClients": ["x"]}})
    child = spawn_mcpauth(tmp_path, "init", "--dry-run")
    steps = [
        "Continue with this account and region",
        "User pool",
        "Name of the new user pool",
        "Tier",
        "Only administrators create users",
        "Offer passkeys",
        "Login domain prefix",
        "Use managed login",
        "MCP server",
        "Resource scopes",
        "Which MCP clients will sign in",
        "How do clients get a client id",  # the default: static
        "One app client per platform",
        "Which get a client secret",
        "Also let clients read",
        "Also require the resource scope at the gateway",
        "Refuse tokens not made for this MCP URL",
        "Invite a first user",
    ]
    for question in steps:
        child.expect_exact(question)
        child.send("\r")
    child.expect_exact("Plan")
    child.expect_exact("Dry run: nothing was changed.")
    child.expect(pexpect.EOF)
    child.close()
    transcript = child.before or ""
    assert child.exitstatus == 0, transcript
    assert aws.log.mutating() == ["CreateGateway"]


def test_declining_the_upgrade_of_a_lite_pool_falls_back_to_app_clients(aws, cognito) -> None:
    pool = cognito.create_user_pool(PoolName="lite", UserPoolTier="LITE")["UserPool"]["Id"]
    prompter = ScriptedPrompter({"mcp_server": URL, "mcp_url": "https://x.example.com/mcp",
                                 "platforms": ["claude"], "registration": "dcr", "upgrade_tier": False})
    spec = ask({"pool_id": pool, "domain": "lite-login", "classic_login": True}, prompter,
               AwsContext(endpoint_url=aws.url))
    assert spec.registration == "static" and [c.key for c in spec.clients] == ["claude"]
    assert "The pool stays LITE: each platform gets an app client instead." in prompter.said
    with pytest.raises(BadInput, match="--upgrade-tier"):  # asked for by flag: no silent fallback
        ask({"pool_id": pool, "domain": "lite-login", "classic_login": True, "registration": "dcr"},
            ScriptedPrompter({"mcp_server": URL, "mcp_url": "https://x.example.com/mcp",
                              "platforms": ["claude"], "upgrade_tier": False}),
            AwsContext(endpoint_url=aws.url))
