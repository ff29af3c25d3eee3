"""Issue 9, the Cognito side: every plan keeps a working setup working.

Re-runs start from mcpauth.toml, a create whose answer was lost leaves no duplicate, a
concurrent change survives a full-replace update, malformed MCP URLs never reach AWS,
secrets kept in Secrets Manager make a confidential client, regions come from botocore.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.aws import app_clients, resource_servers, user_pools
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.core.project import load_project
from mcpauth_wizard.provision.prompts import NEW, URL
from mcpauth_wizard.provision.wizard import ask
from tests.aws_proxy import AwsProxy, once
from tests.test_wizard import ScriptedPrompter

MCP_URL = "https://tools.example.com/mcp"
ACCOUNT = "123456789012"


def init_flags(*extra: str) -> list[str]:
    return ["init", "--new-pool", "team users", "--domain", "team-login", "--mcp-url", MCP_URL,
            "--platform", "chatgpt,claude-code,inspector", "--port", "claude-code=8765",
            "--scope", "invoke,read", "--user-scope", "email", "--yes", *extra]


def moto_pool(pool_id: str) -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends[ACCOUNT]["us-east-1"].user_pools[pool_id]


# --- item 7: malformed MCP URLs are refused before any AWS call ----------------------


@pytest.mark.parametrize(("url", "said"), [
    ("https://x.example.com:99999/mcp", "port"),
    ("https://x.example.com:/mcp", "port"),
    ("https://user:pass@x.example.com/mcp", "user info"),
    ("https://x.example.com/mcp?tenant=1", "query"),
    ("https://x.example.com/mcp#frag", "fragment"),
    ("https://x.example.com/m cp", "whitespace"),
    ("https://x.example.com/mcp\x07", "control"),
    ("https://bücher.example/mcp", "xn--bcher-kva.example"),
    ("https://x.example.com/" + "a" * 260, "256"),
])
def test_a_malformed_mcp_url_is_one_line_exit_2_and_no_aws_call(run, aws, url, said) -> None:
    result = run("init", "--new-pool", "p", "--domain", "p-login", "--mcp-url", url,
                 "--platform", "claude", "--yes")
    assert result.code == 2, result.err
    assert said in result.err
    assert result.err.strip().count("\n") == 0 and "Traceback" not in result.err
    assert aws.log.operations() == []


# --- item 4: a re-run starts from mcpauth.toml ----------------------------------------


def test_init_yes_alone_replans_the_recorded_setup_with_zero_mutating_calls(run, aws) -> None:
    first = run(*init_flags())
    assert first.code == 0, first.err
    recorded = load_project()
    assert recorded.ports == {"claude-code": 8765} and recorded.user_scopes == ("email",)
    assert recorded.secret == ("chatgpt",) and recorded.scopes == ("invoke", "read")
    aws.log.clear()

    again = run("init", "--yes")

    assert again.code == 0, again.err
    assert "0 to create, 0 to update" in again.out
    assert aws.log.mutating() == []
    assert load_project().clients == recorded.clients


def test_recorded_answers_are_the_defaults_of_every_question(run, aws) -> None:
    assert run(*init_flags()).code == 0
    project = load_project()

    class Recording(ScriptedPrompter):
        def __init__(self) -> None:
            super().__init__({})
            self.messages: dict[str, str] = {}

        def select(self, key, message, options, default=None):
            self.messages[key] = message
            return super().select(key, message, options, default)

        def checkbox(self, key, message, options, defaults, required=False):
            self.messages[key] = message
            return super().checkbox(key, message, options, defaults, required)

        def text(self, key, message, default="", validate=None):
            self.messages[key] = message
            return super().text(key, message, default, validate)

        def confirm(self, key, message, default):
            self.messages[key] = message
            return super().confirm(key, message, default)

    from mcpauth_wizard.provision.answers import recorded_answers

    prompter = Recording()
    spec = ask({}, prompter, AwsContext(), recorded_answers(project))

    assert spec.pool_id == project.user_pool_id and spec.new_pool is None  # not a second pool
    assert spec.mcp_url == MCP_URL and spec.scopes == ("invoke", "read")
    assert {c.key: c.secret for c in spec.clients} == {
        "chatgpt": True, "claude-code": False, "inspector": False}
    assert dict(spec.ports) == {"claude-code": 8765} and spec.user_scopes == ("email",)
    for key in ("pool", "mcp_server", "mcp_url", "scopes", "platforms", "port_claude-code",
                "separate_clients", "secret", "user_scopes", "passkeys"):
        assert "from mcpauth.toml" in prompter.messages[key], key


def test_suggested_pool_names_and_domain_prefixes_are_never_taken(aws, cognito) -> None:
    taken = cognito.create_user_pool(PoolName="mcp-users")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=taken, Domain="mcp-users-2-login")
    prompter = ScriptedPrompter({"pool": NEW, "mcp_server": URL, "mcp_url": MCP_URL,
                                 "platforms": ["claude"]})
    spec = ask({}, prompter, AwsContext())
    assert spec.new_pool and spec.new_pool.name == "mcp-users-2"
    assert spec.domain_prefix == "mcp-users-2-login-2"


# --- item 5: a create whose answer was lost leaves exactly one -------------------------


def _clients_named(cognito, pool_id: str, name: str) -> list[str]:
    listed = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    return [c["ClientId"] for c in listed if c["ClientName"] == name]


@pytest.mark.parametrize("lost", ["CreateUserPoolClient", "CreateUserPool", "CreateUserPoolDomain",
                                  "CreateResourceServer"])
def test_a_lost_create_response_leaves_no_duplicate(run, aws, cognito, monkeypatch, lost) -> None:
    with AwsProxy(aws.url, rule=once(lost, "lose")) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        result = run("init", "--new-pool", "team users", "--domain", "team-login",
                     "--mcp-url", MCP_URL, "--platform", "chatgpt", "--yes")
    assert proxy.calls.count(lost) == 2  # the create reached AWS twice
    assert result.code == 0, result.err
    assert "answer was lost" in result.err
    pools = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "team users"]
    assert len(pools) == 1
    project = load_project()
    assert pools[0]["Id"] == project.user_pool_id
    assert _clients_named(cognito, project.user_pool_id, "mcpauth-chatgpt") == [project.clients["chatgpt"]]


def test_a_rerun_notices_a_duplicate_client_it_could_have_made(run, aws, cognito) -> None:
    assert run("init", "--new-pool", "team users", "--domain", "team-login", "--mcp-url", MCP_URL,
               "--platform", "claude", "--yes").code == 0
    project = load_project()
    extra = cognito.create_user_pool_client(UserPoolId=project.user_pool_id,
                                            ClientName="mcpauth-claude")["UserPoolClient"]["ClientId"]
    aws.log.clear()
    result = run("init", "--yes")
    assert result.code == 0, result.err
    assert extra in result.err and "same name" in result.err
    assert load_project().clients["claude"] == project.clients["claude"]
    assert aws.log.mutating() == []  # noticed and named, never deleted without consent


# --- item 6: read → merge → write → verify --------------------------------------------


def _after_nth(aws, operation: str, n: int, act) -> None:
    """Run `act` (someone else's write, straight into moto) when the nth `operation` arrives."""
    seen = {"n": 0}

    def hook(call) -> bool:
        if call.operation == operation:
            seen["n"] += 1
            if seen["n"] == n:
                act()
        return False

    aws.fail_when = hook


def test_a_client_change_made_between_read_and_write_is_kept(pool_with_client, aws) -> None:
    pool_id, client_id = pool_with_client
    client = moto_pool(pool_id).clients[client_id]
    other = "https://other.example.com/bye"
    _after_nth(aws, "DescribeUserPoolClient", 2,
               lambda: client.extended_config.update(LogoutURLs=[other]))

    result = app_clients.safe_update_client(
        AwsContext(), pool_id, client_id,
        lambda c: {**c, "CallbackURLs": [*c["CallbackURLs"], "https://chatgpt.com/cb"]})

    after = app_clients.describe_client(AwsContext(), pool_id, client_id)
    assert after["LogoutURLs"] == [other]
    assert "https://chatgpt.com/cb" in after["CallbackURLs"]
    assert result.remerged and result.verified and any("LogoutURLs" in n for n in result.notes)


def test_a_change_that_reverts_ours_right_after_the_write_is_reapplied(pool_with_client, aws) -> None:
    pool_id, client_id = pool_with_client
    client = moto_pool(pool_id).clients[client_id]
    stale = list(client.extended_config["CallbackURLs"])
    _after_nth(aws, "DescribeUserPoolClient", 3,  # the read-back after our write
               lambda: client.extended_config.update(CallbackURLs=stale))

    result = app_clients.safe_update_client(
        AwsContext(), pool_id, client_id,
        lambda c: {**c, "CallbackURLs": list(dict.fromkeys([*c["CallbackURLs"], "https://chatgpt.com/cb"]))})

    after = app_clients.describe_client(AwsContext(), pool_id, client_id)
    assert "https://chatgpt.com/cb" in after["CallbackURLs"]
    assert result.verified and any("CallbackURLs" in n for n in result.notes)


def test_user_pool_and_resource_server_updates_keep_a_concurrent_change(pool_with_client, aws) -> None:
    from tests.conftest import RESOURCE

    pool_id, _ = pool_with_client
    pool = moto_pool(pool_id)
    _after_nth(aws, "DescribeUserPool", 2,
               lambda: pool.extended_config.update(EmailVerificationSubject="Welcome"))
    result = user_pools.safe_update_user_pool(
        AwsContext(), pool_id,
        lambda p: {**p, "Policies": {**p.get("Policies", {}),
                                     "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}})
    described = user_pools.describe_user_pool(AwsContext(), pool_id)
    assert described["EmailVerificationSubject"] == "Welcome"
    assert described["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"] == ["PASSWORD", "WEB_AUTHN"]
    assert result.remerged and result.notes

    server = pool.resource_servers[RESOURCE]
    _after_nth(aws, "DescribeResourceServer", 2,
               lambda: server.scopes.append({"ScopeName": "read", "ScopeDescription": "someone's"}))
    result = resource_servers.safe_update_resource_server(
        AwsContext(), pool_id, RESOURCE, [{"ScopeName": "write", "ScopeDescription": "ours"}])
    names = [s["ScopeName"] for s in resource_servers.describe_resource_server(AwsContext(), pool_id, RESOURCE)["Scopes"]]
    assert names == ["invoke", "read", "write"]
    assert result.remerged and result.verified


def test_add_callback_says_every_other_setting_kept_only_after_reading_back(run, pool_with_client) -> None:
    pool_id, client_id = pool_with_client
    result = run("add-callback", "claude", "--pool-id", pool_id, "--client-id", client_id)
    assert result.code == 0, result.err
    assert "read back, every other setting kept" in result.err + result.out


# --- item 9: a secret kept in Secrets Manager ------------------------------------------


@pytest.fixture
def managed_secret_client(cognito, aws) -> tuple[str, str]:
    pool = cognito.create_user_pool(PoolName="managed")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="mcpauth-claude", GenerateSecret=True,
        PublishSecretsInAWSSecretsManager=True, CallbackURLs=["https://claude.ai/api/mcp/auth_callback"],
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]
    assert "ClientSecret" not in client and client["ClientSecretArn"].startswith("arn:aws:secretsmanager:")
    return pool, client["ClientId"]


def test_a_client_whose_secret_is_in_secrets_manager_is_confidential(managed_secret_client, aws) -> None:
    pool, client = managed_secret_client
    described = app_clients.describe_client(AwsContext(), pool, client)
    assert app_clients.is_confidential(described)
    secret = app_clients.client_secret(AwsContext(), described)
    assert secret and len(secret) > 20


def test_without_get_secret_value_the_doctor_is_told_which_flag_to_pass(managed_secret_client, aws, monkeypatch) -> None:
    pool, client = managed_secret_client
    with AwsProxy(aws.url, rule=once("GetSecretValue", "AccessDeniedException", times=9)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        context = AwsContext()
        with pytest.raises(Exception) as raised:
            app_clients.client_secret(context, app_clients.describe_client(context, pool, client))
    assert "secretsmanager:GetSecretValue" in str(raised.value) and "--client-secret-env" in str(raised.value)


def test_show_and_export_treat_a_secrets_manager_client_as_confidential(run, managed_secret_client, aws) -> None:
    from mcpauth_wizard.core.project import Project, save_project

    pool, client = managed_secret_client
    save_project(Project(region="us-east-1", user_pool_id=pool, resource_url=MCP_URL,
                         clients={"claude": client}))
    shown = run("show")
    assert shown.code == 0, shown.err
    assert "public client" not in shown.out
    exported = run("export", "cloudformation")
    assert exported.code == 0, exported.err
    assert "GenerateSecret: true" in exported.out or '"GenerateSecret": true' in exported.out


# --- item 10: ports per platform, partitions, a console-made pool ---------------------


def test_a_shared_client_prints_claude_codes_port(run, aws) -> None:
    result = run("init", "--new-pool", "team users", "--domain", "team-login", "--mcp-url", MCP_URL,
                 "--platform", "claude,claude-code", "--port", "claude-code=8765", "--shared-client",
                 "--yes")
    assert result.code == 0, result.err
    assert "--callback-port 8765" in result.out and "None" not in result.out
    shown = run("show")
    assert "--callback-port 8765" in shown.out and "--callback-port None" not in shown.out


def test_regions_and_host_suffixes_come_from_botocore() -> None:
    assert AwsContext(region="eusc-de-east-1").region_name == "eusc-de-east-1"
    pool = {"Id": "cn-north-1_abc"}
    assert user_pools.issuer_url(pool, "cn-north-1") == "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_abc"
    assert user_pools.issuer_url({"Id": "x_1"}, "eusc-de-east-1").startswith(
        "https://cognito-idp.eusc-de-east-1.amazonaws.eu/")
    assert user_pools.issuer_url({"Id": "x_1"}, "us-gov-west-1").startswith(
        "https://cognito-idp.us-gov-west-1.amazonaws.com/")
    from mcpauth_wizard.aws.domains import login_host

    assert login_host("team", "cn-north-1") == "team.auth.cn-north-1.amazoncognito.com.cn"
    with pytest.raises(BadInput):
        _ = AwsContext(region="moon-base-1").region_name


def test_passkeys_on_a_pool_shaped_like_a_console_one(run, aws, cognito) -> None:
    """The console sets TemporaryPasswordValidityDays next to the legacy
    UnusedAccountValidityDays, and optional TOTP MFA without any SMS configuration."""
    pool = cognito.create_user_pool(
        PoolName="console pool",
        Policies={"PasswordPolicy": {"MinimumLength": 8, "TemporaryPasswordValidityDays": 7}},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True, "UnusedAccountValidityDays": 7},
        UserPoolTier="ESSENTIALS",
    )["UserPool"]["Id"]
    cognito.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OPTIONAL",
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
    cognito.create_user_pool_domain(UserPoolId=pool, Domain="console-login", ManagedLoginVersion=2)
    before = cognito.describe_user_pool(UserPoolId=pool)["UserPool"]
    assert before["AdminCreateUserConfig"]["UnusedAccountValidityDays"] == 7

    result = run("init", "--pool-id", pool, "--mcp-url", MCP_URL, "--platform", "claude",
                 "--passkeys", "--yes")

    assert result.code == 0, result.err
    after = cognito.describe_user_pool(UserPoolId=pool)["UserPool"]
    assert "WEB_AUTHN" in after["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"]
    assert after["Policies"]["PasswordPolicy"]["TemporaryPasswordValidityDays"] == 7
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool)["MfaConfiguration"] == "OPTIONAL"


# --- item 11: the pool picker -----------------------------------------------------------


class FirstPrompt(Exception):
    pass


def test_the_pool_picker_lists_names_and_survives_throttling(aws, cognito, monkeypatch) -> None:
    pools = 61  # two pages of ListUserPools (60 a page)
    for i in range(pools):
        cognito.create_user_pool(PoolName=f"pool-{i:03}")
    with AwsProxy(aws.url, rule=once("ListUserPools", "ThrottlingException", times=3)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)

        class StopAtFirstPrompt(ScriptedPrompter):
            def select(self, key, message, options, default=None):
                self.options[key] = options
                raise FirstPrompt

        prompter = StopAtFirstPrompt({})
        with pytest.raises(FirstPrompt):
            ask({}, prompter, AwsContext())
    assert len(prompter.options["pool"]) == pools + 1  # every pool, and "create a new one"
    budget = math.ceil(pools / 60) + 5
    assert len(proxy.calls) <= budget + 3, proxy.calls  # +3: the throttled attempts
    assert "DescribeUserPool" not in proxy.calls


def test_the_project_file_round_trips_the_recorded_answers(aws) -> None:
    from mcpauth_wizard.core.project import Project, dump_project, save_project

    project = Project(user_pool_id="us-east-1_abc", ports={"claude-code": 8765}, platforms=("claude-code",),
                      secret=(), user_scopes=("email",), passkeys=False, classic_login=False)
    save_project(project)
    assert load_project() == project
    assert "[ports]" in dump_project(project)
    assert Path("mcpauth.toml").read_text().count("claude-code = 8765") == 1
