"""add-callback / remove-callback / callbacks against moto patched to reset like AWS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mcpauth_wizard.aws import app_clients
from mcpauth_wizard.aws.session import AwsContext, update_params
from mcpauth_wizard.core.project import Project, save_project
from tests.conftest import RESOURCE, full_client_settings

CHATGPT = "https://chatgpt.com/connector_platform_oauth_redirect"
CLAUDE = ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"]


def describe(cognito: Any, pool: str, client: str) -> dict[str, Any]:
    return cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]


def test_add_callback_keeps_every_other_client_setting(run, cognito, pool_with_client, aws) -> None:
    pool, client = pool_with_client
    before = describe(cognito, pool, client)

    result = run("add-callback", "claude", "--pool-id", pool, "--client-id", client)

    assert result.code == 0, result.err
    after = describe(cognito, pool, client)
    assert after["CallbackURLs"] == ["https://app.example.com/callback", *CLAUDE]
    for key, value in full_client_settings(RESOURCE).items():
        if key != "CallbackURLs":
            assert after[key] == value, key
    assert after["ClientSecret"] == before["ClientSecret"]
    assert aws.log.mutating() == ["UpdateUserPoolClient"]


def test_the_harness_resets_omitted_fields_like_aws(cognito, pool_with_client) -> None:
    """Guard for the test above: a naive partial update must lose settings here too."""
    pool, client = pool_with_client
    cognito.update_user_pool_client(UserPoolId=pool, ClientId=client, CallbackURLs=[CHATGPT])
    after = describe(cognito, pool, client)
    assert "AllowedOAuthScopes" not in after
    assert after["AllowedOAuthFlowsUserPoolClient"] is False
    assert after["RefreshTokenValidity"] == 30


def test_adding_what_is_there_makes_no_update_call(run, pool_with_client, aws) -> None:
    pool, client = pool_with_client
    assert run("add-callback", "claude", "--pool-id", pool, "--client-id", client).code == 0
    aws.log.clear()

    result = run("add-callback", "claude", "--pool-id", pool, "--client-id", client)

    assert result.code == 0
    assert "already registered" in result.out
    assert aws.log.mutating() == []
    assert aws.log.operations() == ["DescribeUserPoolClient"]


def test_dry_run_shows_the_change_and_makes_none(run, cognito, pool_with_client, aws) -> None:
    pool, client = pool_with_client
    result = run("add-callback", "claude", "--pool-id", pool, "--client-id", client, "--dry-run")
    assert result.code == 0
    assert "https://claude.ai/api/mcp/auth_callback" in result.out
    assert "Dry run" in result.out
    assert aws.log.mutating() == []
    assert "https://claude.ai/api/mcp/auth_callback" not in describe(cognito, pool, client)["CallbackURLs"]


def test_near_miss_is_named_and_exact_url_still_added(run, cognito, pool_with_client) -> None:
    pool, client = pool_with_client
    run("add-callback", "http://127.0.0.1:6274/oauth/callback/", "--pool-id", pool, "--client-id", client)

    result = run("add-callback", "inspector", "--pool-id", pool, "--client-id", client, "--yes")

    assert result.code == 0
    assert "near miss" in result.err
    assert "trailing slash" in result.err and "host 127.0.0.1 vs localhost" in result.err
    urls = describe(cognito, pool, client)["CallbackURLs"]
    assert "http://localhost:6274/oauth/callback" in urls
    assert "http://localhost:6274/oauth/callback/debug" in urls


def test_port_pinned_platform(run, cognito, pool_with_client) -> None:
    pool, client = pool_with_client
    result = run("add-callback", "claude-code", "--port", "8765", "--pool-id", pool, "--client-id", client)
    assert result.code == 0, result.err
    assert "http://localhost:8765/callback" in describe(cognito, pool, client)["CallbackURLs"]


def test_chatgpt_exact_url_override(run, cognito, pool_with_client) -> None:
    pool, client = pool_with_client
    url = "https://chatgpt.com/connector/oauth/abc123"
    result = run("add-callback", "chatgpt", "--url", url, "--pool-id", pool, "--client-id", client)
    assert result.code == 0, result.err
    assert url in describe(cognito, pool, client)["CallbackURLs"]
    assert "chatgpt" in result.out.split(url)[1].splitlines()[0]  # the row is ChatGPT's


def test_chatgpt_without_url_asks_for_the_url_chatgpt_shows(run, cognito, pool_with_client, aws) -> None:
    """Cognito sends no RFC 9207 iss, so ChatGPT sends its per-connector URL, not the stable one:
    registering the stable one would look right and still end in redirect_mismatch."""
    pool, client = pool_with_client
    aws.log.clear()
    result = run("add-callback", "chatgpt", "--pool-id", pool, "--client-id", client)
    assert result.code == 2
    assert "--url https://chatgpt.com/connector/oauth/" in result.err
    assert "iss" in result.err and result.err.strip().count("\n") == 0
    assert aws.log.operations() == []
    assert CHATGPT not in describe(cognito, pool, client)["CallbackURLs"]


@pytest.mark.parametrize("url", ["https://evil.example/connector/oauth/abc",
                                 "http://chatgpt.com/connector/oauth/abc",
                                 "https://chatgpt.com.evil.example/connector/oauth/abc"])
def test_chatgpt_url_must_be_on_chatgpt_com(run, pool_with_client, aws, url: str) -> None:
    pool, client = pool_with_client
    aws.log.clear()
    result = run("add-callback", "chatgpt", "--url", url, "--pool-id", pool, "--client-id", client)
    assert result.code == 2
    assert "accepted: a URL starting with https://chatgpt.com/" in result.err
    assert aws.log.operations() == []


def test_remove_callback_chatgpt_removes_the_stable_url(run, cognito, pool_with_client) -> None:
    pool, client = pool_with_client
    assert run("add-callback", CHATGPT, "--pool-id", pool, "--client-id", client).code == 0
    result = run("remove-callback", "chatgpt", "--pool-id", pool, "--client-id", client, "--yes")
    assert result.code == 0, result.err
    assert CHATGPT not in describe(cognito, pool, client)["CallbackURLs"]


@pytest.fixture
def client_without_code_grant(cognito, pool_with_client) -> tuple[str, str]:
    pool, _ = pool_with_client
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="no-oauth", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"],
        RefreshTokenValidity=5,
    )["UserPoolClient"]["ClientId"]
    return pool, client


def test_client_without_code_grant_is_refused_without_consent(run, client_without_code_grant, aws) -> None:
    pool, client = client_without_code_grant
    aws.log.clear()
    result = run("add-callback", "claude", "--pool-id", pool, "--client-id", client, "--no-input")
    assert result.code == 1
    assert "code grant is not allowed" in result.err
    assert "--enable-code-flow" in result.err
    assert aws.log.mutating() == []


def test_enable_code_flow_switches_it_on_and_keeps_the_rest(run, cognito, client_without_code_grant) -> None:
    pool, client = client_without_code_grant
    result = run("add-callback", "claude", "--pool-id", pool, "--client-id", client, "--enable-code-flow")
    assert result.code == 0, result.err
    after = describe(cognito, pool, client)
    assert after["AllowedOAuthFlowsUserPoolClient"] is True
    assert after["AllowedOAuthFlows"] == ["code"]
    assert after["SupportedIdentityProviders"] == ["COGNITO"]
    assert after["CallbackURLs"] == CLAUDE
    assert after["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH"]
    assert after["RefreshTokenValidity"] == 5


def test_machine_to_machine_client_is_not_turned_into_a_sign_in_client(run, cognito, pool_with_client, aws) -> None:
    pool, _ = pool_with_client
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="m2m", GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"], AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=[f"{RESOURCE}/invoke"],
    )["UserPoolClient"]["ClientId"]
    aws.log.clear()
    result = run("add-callback", "claude", "--pool-id", pool, "--client-id", client, "--enable-code-flow")
    assert result.code == 1
    assert "machine-to-machine" in result.err
    assert aws.log.mutating() == []


def test_remove_callback_and_its_default_redirect(run, cognito, pool_with_client) -> None:
    pool, client = pool_with_client
    result = run("remove-callback", "https://app.example.com/callback", "--pool-id", pool, "--client-id", client,
                 "--yes")
    assert result.code == 0, result.err
    assert "default redirect" in result.err
    after = describe(cognito, pool, client)
    assert after.get("CallbackURLs", []) == []
    assert "DefaultRedirectURI" not in after
    assert after["AllowedOAuthScopes"] == full_client_settings(RESOURCE)["AllowedOAuthScopes"]


def test_removing_what_is_not_there_changes_nothing_and_names_near_miss(run, pool_with_client, aws) -> None:
    pool, client = pool_with_client
    aws.log.clear()
    result = run("remove-callback", "https://app.example.com/callback/", "--pool-id", pool, "--client-id", client)
    assert result.code == 0
    assert "not registered" in result.out
    assert "trailing slash" in result.err
    assert aws.log.mutating() == []


def test_callbacks_json_names_platforms(run, pool_with_client) -> None:
    pool, client = pool_with_client
    run("add-callback", "claude", "--pool-id", pool, "--client-id", client)
    result = run("callbacks", "--json", "--pool-id", pool, "--client-id", client)
    data = json.loads(result.out)
    assert data["client_id"] == client
    by_url = {c["url"]: c["platforms"] for c in data["callbacks"]}
    assert by_url["https://claude.ai/api/mcp/auth_callback"] == ["claude"]
    assert by_url["https://app.example.com/callback"] == []
    assert data["oauth_problems"] == []


def test_ids_come_from_the_project_file(run, cognito, pool_with_client) -> None:
    pool, client = pool_with_client
    save_project(Project(region="us-east-1", user_pool_id=pool, clients={"claude": client}))
    result = run("add-callback", "claude")
    assert result.code == 0, result.err
    assert CLAUDE[0] in describe(cognito, pool, client)["CallbackURLs"]


def test_missing_ids_are_bad_input_before_any_call(run, aws) -> None:
    result = run("add-callback", "claude")
    assert result.code == 2
    assert "no user pool id" in result.err
    assert aws.log.operations() == []


def test_unknown_pool_is_one_line(run, aws) -> None:
    result = run("callbacks", "--pool-id", "us-east-1_doesnotexist", "--client-id", "abc")
    assert result.code == 1
    assert result.err.strip().count("\n") == 0
    assert "not found" in result.err and "Traceback" not in result.err


def test_safe_update_re_merges_a_change_made_after_the_plan(cognito, pool_with_client, aws) -> None:
    """Someone adds a logout URL between our read and our write: both changes survive."""
    pool, client = pool_with_client
    context = AwsContext(endpoint_url=aws.url)
    seen = app_clients.describe_client(context, pool, client)
    import time

    time.sleep(0.01)  # LastModifiedDate must move
    cognito.update_user_pool_client(
        **{**update_params(context, "cognito-idp", "UpdateUserPoolClient", seen),
           "LogoutURLs": ["https://other.example.com/bye"]}
    )

    def add_chatgpt(c: dict[str, Any]) -> dict[str, Any]:
        c["CallbackURLs"] = [*c["CallbackURLs"], CHATGPT]
        return c

    result = app_clients.safe_update_client(context, pool, client, add_chatgpt, seen=seen)

    assert result.written and result.remerged
    after = describe(cognito, pool, client)
    assert after["LogoutURLs"] == ["https://other.example.com/bye"]
    assert CHATGPT in after["CallbackURLs"]


def test_a_platform_without_its_own_client_is_not_given_another_s(run, pool_with_client, aws) -> None:
    pool, client = pool_with_client
    save_project(Project(region="us-east-1", user_pool_id=pool, clients={"chatgpt": client}))
    result = run("add-callback", "claude", "--dry-run")
    assert result.code == 2
    assert "no app client id for claude" in result.err
    assert aws.log.operations() == []


def test_a_near_miss_or_a_removal_is_not_written_without_consent(run, cognito, pool_with_client, aws) -> None:
    """Without a terminal and without --yes, mcpauth cannot ask: it changes nothing and says how."""
    pool, client = pool_with_client
    run("add-callback", "http://127.0.0.1:6274/oauth/callback/", "--pool-id", pool, "--client-id", client)
    before = describe(cognito, pool, client)["CallbackURLs"]
    aws.log.clear()

    added = run("add-callback", "inspector", "--pool-id", pool, "--client-id", client)
    removed = run("remove-callback", "https://app.example.com/callback", "--pool-id", pool, "--client-id", client)

    for result in (added, removed):
        assert result.code == 1, result.err
        assert "Nothing changed: rerun with --yes" in result.err
    assert aws.log.mutating() == []
    assert describe(cognito, pool, client)["CallbackURLs"] == before


def test_callbacks_lists_every_recorded_client_by_platform(run, cognito, pool_with_client) -> None:
    from mcpauth_wizard.core.project import Project, save_project

    pool, client = pool_with_client
    other = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="mcpauth-claude", AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], SupportedIdentityProviders=["COGNITO"],
        CallbackURLs=["https://claude.ai/api/mcp/auth_callback"])["UserPoolClient"]["ClientId"]
    save_project(Project(user_pool_id=pool, clients={"inspector": client, "claude": other}))

    result = run("callbacks")
    assert result.code == 0, result.err
    assert f"claude: callback URLs of mcpauth-claude ({other})" in result.out
    assert "inspector: callback URLs of" in result.out and f"({client})" in result.out
    listed = run("callbacks", "--json")
    import json

    data = json.loads(listed.out)
    assert [c["platform"] for c in data["clients"]] == ["claude", "inspector"]
    assert data["clients"][0]["callbacks"][0]["platforms"] == ["claude"]
