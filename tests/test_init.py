"""`mcpauth init`: plan before change, idempotent re-run, resume after failure, safe updates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from mcpauth_wizard.core.project import load_project

ROLE = "arn:aws:iam::123456789012:role/gateway"


@pytest.fixture
def agentcore(aws) -> Any:
    return boto3.client("bedrock-agentcore-control", endpoint_url=aws.url, region_name="us-east-1")


@pytest.fixture
def gateway(agentcore, aws) -> dict[str, Any]:
    """A gateway with every optional field set, and an authorizer for some other IdP."""
    created = agentcore.create_gateway(
        name="tools", roleArn=ROLE, protocolType="MCP", authorizerType="CUSTOM_JWT",
        description="team tools",
        protocolConfiguration={"mcp": {"supportedVersions": ["2025-06-18"], "searchType": "SEMANTIC",
                                       "instructions": "be nice"}},
        kmsKeyArn="arn:aws:kms:us-east-1:123456789012:key/abc",
        exceptionLevel="DEBUG",
        authorizerConfiguration={"customJWTAuthorizer": {
            "discoveryUrl": "https://idp.example.com/.well-known/openid-configuration",
            "allowedAudience": ["api://tools"]}},
    )
    aws.log.clear()
    return created


def init_args(gateway_id: str, *extra: str) -> list[str]:
    return ["init", "--new-pool", "mcp users", "--domain", "tools-login", "--gateway-id", gateway_id,
            "--platform", "chatgpt,claude,inspector", "--yes", "--allow-breaking", *extra]


def test_init_from_flags_creates_everything_and_wires_the_gateway(run, aws, agentcore, gateway, cognito) -> None:
    result = run(*init_args(gateway["gatewayId"]))
    assert result.code == 0, result.err

    project = load_project()
    assert set(project.clients) == {"chatgpt", "claude", "inspector"}
    pool = cognito.describe_user_pool(UserPoolId=project.user_pool_id)["UserPool"]
    assert pool["UserPoolTags"] == {"created-by": "mcpauth"}
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    mcp_url = gateway["gatewayUrl"] + "/mcp"
    assert project.resource_url == mcp_url
    server = cognito.describe_resource_server(UserPoolId=pool["Id"], Identifier=mcp_url)["ResourceServer"]
    assert [s["ScopeName"] for s in server["Scopes"]] == ["invoke"]

    chatgpt = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=project.clients["chatgpt"])["UserPoolClient"]
    assert chatgpt["AllowedOAuthFlows"] == ["code"]
    assert chatgpt["AllowedOAuthFlowsUserPoolClient"] is True
    assert chatgpt["AllowedOAuthScopes"] == ["openid", f"{mcp_url}/invoke"]
    assert chatgpt["CallbackURLs"] == ["https://chatgpt.com/connector_platform_oauth_redirect"]
    assert chatgpt["SupportedIdentityProviders"] == ["COGNITO"]
    assert "ClientSecret" in chatgpt
    inspector = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=project.clients["inspector"])["UserPoolClient"]
    assert "ClientSecret" not in inspector  # a public client: Inspector runs on the user's machine
    for client_id in project.clients.values():
        cognito.describe_managed_login_branding_by_client(UserPoolId=pool["Id"], ClientId=client_id)

    authorizer = agentcore.get_gateway(gatewayIdentifier=gateway["gatewayId"])["authorizerConfiguration"]["customJWTAuthorizer"]
    assert authorizer["discoveryUrl"] == (
        f"https://cognito-idp.us-east-1.amazonaws.com/{pool['Id']}/.well-known/openid-configuration")
    assert sorted(authorizer["allowedClients"]) == sorted(project.clients.values())
    assert "allowedAudience" not in authorizer  # Cognito access tokens carry no aud

    # no terminal (a CI log): the new secret is masked; `show --reveal` prints it
    assert chatgpt["ClientSecret"] not in result.out and "mcpauth show --reveal" in result.out
    assert "Paste into ChatGPT" in result.out and "Paste into MCP Inspector" in result.out
    assert chatgpt["ClientSecret"] not in Path("mcpauth.toml").read_text()
    # the next steps: what changed at the gateway, then the doctor; the gateway checks tokens,
    # so there is no panel for a server of one's own
    after = result.out[result.out.index("Saved "):]
    assert f"Gateway {gateway['name']} ({gateway['gatewayId']}) now accepts this pool's tokens from the " \
        f"app clients above, carrying {mcp_url}/invoke" in " ".join(after.split())
    assert after.rstrip().splitlines()[-1].startswith("Next: `mcpauth doctor`")
    assert "Your MCP server checks" not in result.out


def test_gateway_update_keeps_every_other_gateway_field(run, agentcore, gateway) -> None:
    before = agentcore.get_gateway(gatewayIdentifier=gateway["gatewayId"])
    assert run(*init_args(gateway["gatewayId"])).code == 0
    after = agentcore.get_gateway(gatewayIdentifier=gateway["gatewayId"])
    for key in ("name", "roleArn", "protocolType", "description", "protocolConfiguration",
                "kmsKeyArn", "exceptionLevel"):
        assert after.get(key) == before.get(key), key
    assert after["status"] == "READY"


def test_second_run_plans_nothing_and_makes_zero_mutating_calls(run, aws, gateway) -> None:
    assert run(*init_args(gateway["gatewayId"])).code == 0
    aws.log.clear()

    result = run(*init_args(gateway["gatewayId"]))

    assert result.code == 0, result.err
    assert "0 to create, 0 to update" in result.out
    assert "Nothing to change" in result.out
    assert aws.log.mutating() == []


def test_dry_run_makes_no_mutating_call(run, aws, gateway) -> None:
    result = run(*init_args(gateway["gatewayId"], "--dry-run"))
    assert result.code == 0, result.err
    assert "create" in result.out and "user pool" in result.out
    assert "Dry run" in result.out
    assert aws.log.mutating() == []
    assert not Path("mcpauth.toml").exists()


def test_json_plan(run, aws, gateway) -> None:
    result = run(*init_args(gateway["gatewayId"], "--dry-run", "--json"))
    plan = json.loads(result.out)["plan"]
    kinds = [(s["action"], s["kind"]) for s in plan]
    assert ("create", "user pool") in kinds and ("update", "gateway authorizer") in kinds
    assert aws.log.mutating() == []


def test_config_file_gives_the_same_answers(run, aws, tmp_path) -> None:
    config = tmp_path / "answers.toml"
    config.write_text(
        'new_pool = "from file"\ndomain = "file-login"\nmcp_url = "https://mcp.example.com/mcp/"\n'
        'platforms = ["claude", "claude-code"]\nscopes = ["invoke", "read"]\n'
        'ports = {"claude-code" = 8765}\nuser_scopes = ["email"]\n'
    )
    result = run("init", "--config", str(config), "--yes")
    assert result.code == 0, result.err
    assert "dropped the trailing slash" in result.err
    project = load_project()
    assert project.resource_url == "https://mcp.example.com/mcp"
    assert project.scopes == ("invoke", "read")
    cognito = boto3.client("cognito-idp", endpoint_url=aws.url, region_name="us-east-1")
    code_client = cognito.describe_user_pool_client(
        UserPoolId=project.user_pool_id, ClientId=project.clients["claude-code"])["UserPoolClient"]
    assert code_client["CallbackURLs"] == ["http://localhost:8765/callback"]
    assert code_client["AllowedOAuthScopes"] == [
        "openid", "email", "https://mcp.example.com/mcp/invoke", "https://mcp.example.com/mcp/read"]
    assert "claude mcp add" in result.out and "--callback-port 8765" in result.out


def test_shared_client_serves_every_platform(run, cognito) -> None:
    result = run("init", "--new-pool", "shared", "--domain", "shared-login", "--mcp-url",
                 "https://mcp.example.com/mcp", "--platform", "chatgpt,inspector", "--shared-client", "--yes")
    assert result.code == 0, result.err
    project = load_project()
    assert list(project.clients) == ["shared"]
    client = cognito.describe_user_pool_client(UserPoolId=project.user_pool_id,
                                               ClientId=project.clients["shared"])["UserPoolClient"]
    assert client["CallbackURLs"] == ["https://chatgpt.com/connector_platform_oauth_redirect",
                                      "http://localhost:6274/oauth/callback",
                                      "http://localhost:6274/oauth/callback/debug"]
    shown = run("show", "--json")
    platforms = [h["platform"] for h in json.loads(shown.out)["handoffs"]]
    assert platforms == ["chatgpt", "inspector"]


def test_half_configured_pool_is_completed_without_losing_settings(run, aws, cognito) -> None:
    """The classic field failure: the client asks for a scope whose resource server is missing."""
    pool = cognito.create_user_pool(PoolName="existing")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool, Domain="existing-login", ManagedLoginVersion=2)
    url = "https://mcp.example.com/mcp"
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="mcpauth-chatgpt", GenerateSecret=True,
        AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["openid", "phone"], CallbackURLs=["https://keep.example.com/cb"],
        LogoutURLs=["https://keep.example.com/bye"], RefreshTokenValidity=7,
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]["ClientId"]
    aws.log.clear()

    result = run("init", "--pool-id", pool, "--mcp-url", url, "--platform", "chatgpt", "--yes")

    assert result.code == 0, result.err
    assert "update" in result.out and "resource server" in result.out
    after = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]
    assert after["AllowedOAuthScopes"] == ["openid", "phone", f"{url}/invoke"]
    assert after["CallbackURLs"] == ["https://keep.example.com/cb",
                                     "https://chatgpt.com/connector_platform_oauth_redirect"]
    assert after["LogoutURLs"] == ["https://keep.example.com/bye"]
    assert after["RefreshTokenValidity"] == 7
    assert load_project().clients == {"chatgpt": client}
    assert load_project().domain == "existing-login"
    mutating = aws.log.mutating()
    assert mutating.count("UpdateUserPoolClient") == 1
    assert "CreateUserPoolClient" not in mutating and "CreateUserPool" not in mutating


def test_passkeys_on_an_existing_pool_keep_its_other_settings(run, aws, cognito) -> None:
    pool = cognito.create_user_pool(
        PoolName="pk", MfaConfiguration="OFF",
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": True}},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool, Domain="pk-login", ManagedLoginVersion=2)
    result = run("init", "--pool-id", pool, "--mcp-url", "https://mcp.example.com/mcp",
                 "--platform", "inspector", "--passkeys", "--yes")
    assert result.code == 0, result.err
    described = cognito.describe_user_pool(UserPoolId=pool)["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert described["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"] == ["PASSWORD", "WEB_AUTHN"]
    assert described["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    mfa = cognito.get_user_pool_mfa_config(UserPoolId=pool)
    assert mfa["WebAuthnConfiguration"]["RelyingPartyId"] == "pk-login.auth.us-east-1.amazoncognito.com"
    client = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=load_project().clients["inspector"])
    assert "ALLOW_USER_AUTH" in client["UserPoolClient"]["ExplicitAuthFlows"]
    aws.log.clear()
    assert run("init", "--pool-id", pool, "--mcp-url", "https://mcp.example.com/mcp",
               "--platform", "inspector", "--passkeys", "--yes").code == 0
    assert aws.log.mutating() == []


def test_failure_mid_way_then_a_rerun_resumes(run, aws, gateway, cognito) -> None:
    """The 5th change fails (the second app client); the re-run finishes without duplicates."""
    counter = {"mutating": 0}

    def fail_fifth(call) -> bool:
        if not call.mutating:
            return False
        counter["mutating"] += 1
        return counter["mutating"] >= 5 and call.operation == "CreateUserPoolClient"

    aws.fail_when = fail_fifth
    failed = run(*init_args(gateway["gatewayId"]))
    assert failed.code == 1
    assert "create app client mcpauth-claude" in failed.err and "failed" in failed.err
    assert "re-run" in failed.err
    half = load_project()
    assert half.user_pool_id and list(half.clients) == ["chatgpt"]

    aws.fail_when = None
    aws.log.clear()
    resumed = run(*init_args(gateway["gatewayId"]))
    assert resumed.code == 0, resumed.err
    done = load_project()
    assert done.user_pool_id == half.user_pool_id
    assert done.clients["chatgpt"] == half.clients["chatgpt"]
    assert set(done.clients) == {"chatgpt", "claude", "inspector"}
    assert aws.log.mutating().count("CreateUserPool") == 0
    assert aws.log.mutating().count("CreateUserPoolClient") == 2
    names = [c["ClientName"] for c in cognito.list_user_pool_clients(
        UserPoolId=done.user_pool_id, MaxResults=60)["UserPoolClients"]]
    assert sorted(names) == ["mcpauth-chatgpt", "mcpauth-claude", "mcpauth-inspector"]


def test_resume_finds_the_pool_by_its_tag_when_the_project_file_is_lost(run, aws, gateway) -> None:
    assert run(*init_args(gateway["gatewayId"])).code == 0
    pool = load_project().user_pool_id
    Path("mcpauth.toml").unlink()
    aws.log.clear()
    assert run(*init_args(gateway["gatewayId"])).code == 0
    assert load_project().user_pool_id == pool
    assert aws.log.mutating() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--new-pool", "p", "--domain", "my-aws-login", "--mcp-url", "https://x.example.com/mcp",
          "--platform", "chatgpt"], "contains 'aws'"),
        (["--new-pool", "p", "--domain", "ok-login", "--mcp-url", "http://x.example.com/mcp",
          "--platform", "chatgpt"], "http:// on a non-loopback host"),
        (["--new-pool", "p", "--domain", "ok-login", "--mcp-url", "https://x.example.com/mcp",
          "--platform", "chatgtp"], "unknown platform 'chatgtp'"),
        (["--pool-id", "nope", "--mcp-url", "https://x.example.com/mcp", "--platform", "chatgpt"],
         "invalid user pool id 'nope'"),
        (["--new-pool", "p", "--domain", "Bad_Prefix", "--mcp-url", "https://x.example.com/mcp",
          "--platform", "chatgpt"], "invalid domain prefix"),
        (["--new-pool", "p", "--domain", "ok-login", "--mcp-url", "https://x.example.com/mcp",
          "--platform", "chatgpt", "--first-user", "not-an-email"], "invalid email"),
        (["--new-pool", "p", "--domain", "ok-login", "--mcp-url", "https://x.example.com/" + "a" * 250,
          "--platform", "chatgpt"], "at most 256"),
        (["--new-pool", "p", "--domain", "ok-login", "--platform", "chatgpt"], "--gateway-id or --mcp-url"),
        (["--mcp-url", "https://x.example.com/mcp", "--platform", "chatgpt"], "--pool-id or --new-pool"),
    ],
)
def test_bad_answers_are_one_line_exit_2_before_any_aws_call(run_process, aws, args, message) -> None:
    result = run_process("init", *args, "--yes")
    assert result.code == 2, result.err
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert aws.log.mutating() == []
    assert aws.log.operations() == []


def test_domain_taken_by_another_pool_is_refused_before_any_change(run, aws, cognito) -> None:
    other = cognito.create_user_pool(PoolName="other")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=other, Domain="taken-login")
    aws.log.clear()
    result = run("init", "--new-pool", "mine", "--domain", "taken-login", "--mcp-url",
                 "https://x.example.com/mcp", "--platform", "chatgpt", "--yes")
    assert result.code == 2
    assert "taken" in result.err
    assert aws.log.mutating() == []


def test_without_yes_and_without_a_terminal_nothing_is_applied(run_process, aws) -> None:
    result = run_process("init", "--new-pool", "p", "--domain", "ok-login", "--mcp-url",
                         "https://x.example.com/mcp", "--platform", "chatgpt")
    assert result.code == 1
    assert "--yes" in result.err
    assert aws.log.mutating() == []


def test_show_masks_secrets_unless_revealed(run, gateway, cognito) -> None:
    assert run(*init_args(gateway["gatewayId"])).code == 0
    project = load_project()
    secret = cognito.describe_user_pool_client(
        UserPoolId=project.user_pool_id, ClientId=project.clients["chatgpt"])["UserPoolClient"]["ClientSecret"]
    masked = run("show")
    assert masked.code == 0
    assert secret not in masked.out
    assert "show --reveal" in masked.out
    revealed = run("show", "--reveal")
    assert secret in revealed.out


def test_init_prints_a_new_secret_only_when_asked_or_to_a_terminal(run, gateway, cognito) -> None:
    result = run(*init_args(gateway["gatewayId"], "--json"))
    assert result.code == 0, result.err
    project = load_project()
    secret = cognito.describe_user_pool_client(
        UserPoolId=project.user_pool_id, ClientId=project.clients["chatgpt"])["UserPoolClient"]["ClientSecret"]
    assert secret not in result.out  # JSON goes to files and logs
    chatgpt = next(h for h in json.loads(result.out)["handoffs"] if h["platform"] == "chatgpt")
    assert chatgpt["fields"]["OAuth Client Secret"].startswith("********")

    cognito.delete_user_pool_client(UserPoolId=project.user_pool_id, ClientId=project.clients["chatgpt"])
    again = run(*init_args(gateway["gatewayId"], "--reveal", "--json"))  # a new client: a new secret
    assert again.code == 0, again.err
    project = load_project()
    secret = cognito.describe_user_pool_client(
        UserPoolId=project.user_pool_id, ClientId=project.clients["chatgpt"])["UserPoolClient"]["ClientSecret"]
    chatgpt = next(h for h in json.loads(again.out)["handoffs"] if h["platform"] == "chatgpt")
    assert chatgpt["fields"]["OAuth Client Secret"] == secret


def test_rollback_deletes_what_the_failed_run_created(aws, cognito, gateway) -> None:
    """The offer after a failure: delete what this run created, newest first."""
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.provision.setup import ApplyFailed, apply_plan, build_plan, rollback
    from mcpauth_wizard.provision.spec import NewPool, Spec, client_specs

    spec = Spec(mcp_url=gateway["gatewayUrl"] + "/mcp", new_pool=NewPool("rollback me"),
                domain_prefix="rollback-login", gateway_id=gateway["gatewayId"],
                clients=client_specs(["chatgpt", "inspector"], shared=False, public=set(), secret=set(),
                                     ports={}))
    context = AwsContext()
    plan = build_plan(context, spec, Project())
    aws.fail_when = lambda call: call.operation == "UpdateGateway"
    with pytest.raises(ApplyFailed) as failed:
        apply_plan(context, plan, Project())
    aws.fail_when = None
    outcome = failed.value.outcome
    assert [label.split()[0] for label, _ in outcome.created] == ["user", "domain", "resource", "app", "app"]

    assert rollback(outcome) == []

    assert cognito.list_user_pools(MaxResults=60)["UserPools"] == []
    assert cognito.describe_user_pool_domain(Domain="rollback-login")["DomainDescription"] == {}


def test_json_without_yes_applies_nothing(run, aws) -> None:
    result = run("init", "--new-pool", "p", "--domain", "ok-login", "--mcp-url",
                 "https://x.example.com/mcp", "--platform", "chatgpt", "--json")
    assert result.code == 1
    assert json.loads(result.out)["plan"]
    assert "--yes" in result.err
    assert aws.log.mutating() == []


def test_a_classic_domain_is_kept_and_its_other_clients_untouched(run, aws, cognito) -> None:
    pool = cognito.create_user_pool(PoolName="classic")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool, Domain="classic-login", ManagedLoginVersion=1)
    cognito.create_user_pool_client(UserPoolId=pool, ClientName="webapp")
    result = run("init", "--pool-id", pool, "--mcp-url", "https://x.example.com/mcp",
                 "--platform", "chatgpt", "--yes")
    assert result.code == 0, result.err
    assert cognito.describe_user_pool_domain(Domain="classic-login")["DomainDescription"]["ManagedLoginVersion"] == 1
    assert "CreateManagedLoginBranding" not in aws.log.mutating()  # v1 pages need no style
    assert "UpdateUserPoolDomain" not in aws.log.mutating()


def test_passkeys_move_a_classic_domain_to_managed_login_with_a_style_for_every_client(run, aws, cognito) -> None:
    pool = cognito.create_user_pool(PoolName="classic")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool, Domain="classic-login", ManagedLoginVersion=1)
    webapp = cognito.create_user_pool_client(UserPoolId=pool, ClientName="webapp")["UserPoolClient"]["ClientId"]
    result = run("init", "--pool-id", pool, "--mcp-url", "https://x.example.com/mcp",
                 "--platform", "chatgpt", "--passkeys", "--yes")
    assert result.code == 0, result.err
    assert cognito.describe_user_pool_domain(Domain="classic-login")["DomainDescription"]["ManagedLoginVersion"] == 2
    cognito.describe_managed_login_branding_by_client(UserPoolId=pool, ClientId=webapp)  # the other app keeps a page
    cognito.describe_managed_login_branding_by_client(UserPoolId=pool, ClientId=load_project().clients["chatgpt"])


def test_classic_login_on_a_managed_login_domain_keeps_v2_and_still_makes_styles(run, aws, cognito) -> None:
    pool = cognito.create_user_pool(PoolName="v2")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool, Domain="v2-login", ManagedLoginVersion=2)
    result = run("init", "--pool-id", pool, "--mcp-url", "https://x.example.com/mcp",
                 "--platform", "chatgpt", "--classic-login", "--yes")
    assert result.code == 0, result.err
    assert "managed login (v2), kept" in result.err
    cognito.describe_managed_login_branding_by_client(UserPoolId=pool, ClientId=load_project().clients["chatgpt"])


def test_a_log_that_asks_for_colour_still_gets_no_secret(run_process, aws, cognito) -> None:
    """FORCE_COLOR makes rich treat a pipe as a terminal; a CI log must still not keep a secret."""
    result = run_process("init", "--new-pool", "p", "--domain", "fc-login", "--mcp-url",
                         "https://x.example.com/mcp", "--platform", "chatgpt", "--yes",
                         env={"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1", "CI": ""})
    assert result.code == 0, result.err
    project = load_project()
    secret = cognito.describe_user_pool_client(
        UserPoolId=project.user_pool_id, ClientId=project.clients["chatgpt"])["UserPoolClient"]["ClientSecret"]
    assert secret not in result.out and secret not in result.err
    assert "mcpauth show --reveal" in result.out


def test_claude_code_gets_a_proposed_port_recorded_and_a_bare_yes_rerun_changes_nothing(
        run, aws, gateway) -> None:
    """Claude Code has no callback port of its own: init proposes one, records it, prints it
    in the `claude mcp add … --callback-port N` line; `init --yes` again asks for nothing,
    names no flag and changes nothing."""
    first = run("init", "--new-pool", "mcp users", "--domain", "tools-login", "--gateway-id",
                gateway["gatewayId"], "--platform", "claude-code", "--registration", "static",
                "--yes", "--allow-breaking")
    assert first.code == 0, first.err
    assert load_project().ports == {"claude-code": 31415}
    command = next(line for line in first.out.splitlines() if "claude mcp add" in line)
    assert "--callback-port 31415" in command
    aws.log.clear()

    again = run("init", "--yes")
    assert again.code == 0, again.err
    assert "Nothing to change" in again.out and aws.log.mutating() == []
    assert "pass --" not in again.err + again.out  # nothing asked for, no flag named
    assert "--callback-port 31415" in again.out
