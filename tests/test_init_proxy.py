"""`mcpauth init --server fastmcp-proxy`: one confidential app client for FastMCP's OAuth
proxy, its callback exactly <base_url>/auth/callback (added later when the URL is not known
yet), recorded in mcpauth.toml for `scaffold` and `doctor` (moto on 127.0.0.1)."""

from __future__ import annotations

from typing import Any

import pytest

from mcpauth_wizard.core.project import PROXY_KIND, Project, load_project, save_project

BASE = "https://abc123.lambda-url.us-east-1.on.aws"


def proxy_init(run: Any, *args: str) -> Any:
    result = run("--yes", "init", "--server", "fastmcp-proxy", "--new-pool", "proxy-users",
                 "--domain", "proxy-login", "--no-passkeys", *args)
    assert result.code == 0, result.out + result.err
    return result


def only_client(cognito: Any) -> dict[str, Any]:
    pool = load_project().user_pool_id
    clients = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    assert len(clients) == 1, clients  # no per-platform clients
    return cognito.describe_user_pool_client(UserPoolId=pool, ClientId=clients[0]["ClientId"])["UserPoolClient"]


def test_with_the_base_url_one_confidential_client_with_exactly_the_proxy_callback(run, cognito) -> None:
    result = proxy_init(run, "--base-url", BASE + "/")

    client = only_client(cognito)
    assert client["CallbackURLs"] == [f"{BASE}/auth/callback"]
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"]
    assert client["AllowedOAuthScopes"] == ["openid"]  # what AWSCognitoProvider asks for
    assert client["ClientSecret"] and client["SupportedIdentityProviders"] == ["COGNITO"]
    project = load_project()
    assert (project.server_kind, project.base_url, project.resource_url) == (PROXY_KIND, BASE, f"{BASE}/mcp")
    assert project.clients == {"proxy": client["ClientId"]} and project.proxy_client == client["ClientId"]
    servers = cognito.list_resource_servers(UserPoolId=project.user_pool_id, MaxResults=50)["ResourceServers"]
    assert [s["Identifier"] for s in servers] == [f"{BASE}/mcp"]  # the `resource` the proxy forwards
    assert client["ClientSecret"] not in result.out  # the proxy's secret goes to the deploy, not a panel


def test_the_panels_say_the_mcp_url_only_and_which_platforms_cannot(run, cognito) -> None:
    out = proxy_init(run, "--base-url", BASE).out
    out = out[out.index("Paste into"):]  # the panels, after the plan

    assert "Paste into Claude.ai" in out and f"{BASE}/mcp" in out
    assert "registers with the proxy (DCR)" in out
    assert "Client ID" not in out and "Scopes" not in out
    chatgpt = out[out.index("Paste into ChatGPT"):out.index("Paste into Claude.ai")]
    assert "registers with the proxy (DCR)" in chatgpt  # the registry: ChatGPT does DCR


def test_a_platform_the_registry_knows_no_dcr_for_is_told_it_cannot(monkeypatch) -> None:
    from dataclasses import replace

    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.mcp import platforms
    from mcpauth_wizard.provision.proxy import proxy_handoffs

    static_only = replace(platforms.PLATFORMS["claude-code"], registration_kinds=("pre-registered",))
    monkeypatch.setitem(platforms.PLATFORMS, "claude-code", static_only)
    found = {h.platform: h for h in proxy_handoffs(Project(resource_url=f"{BASE}/mcp"))}
    sign_in = {f.label: f.value for f in found["claude-code"].fields}["Sign-in"]
    assert sign_in.startswith("cannot register with the proxy by itself")
    assert {f.label: f.value for f in found["claude"].fields}["Sign-in"].endswith("(DCR)")


def test_without_a_base_url_then_init_base_url_adds_exactly_the_callback(run, cognito) -> None:
    first = proxy_init(run)
    client = only_client(cognito)
    assert not client.get("CallbackURLs") and not client.get("AllowedOAuthFlowsUserPoolClient")
    assert client["ClientSecret"]
    assert "mcpauth init --base-url" in first.out + first.err
    assert load_project().base_url is None and load_project().resource_url is None
    pool = load_project().user_pool_id
    cognito.update_user_pool_client(  # a setting made by hand, which the update must keep
        UserPoolId=pool, ClientId=client["ClientId"], ClientName=client["ClientName"],
        RefreshTokenValidity=7, LogoutURLs=["https://example.com/bye"])

    again = run("--yes", "init", "--base-url", BASE)

    assert again.code == 0, again.out + again.err
    after = only_client(cognito)
    assert after["ClientId"] == client["ClientId"]
    assert after["CallbackURLs"] == [f"{BASE}/auth/callback"]
    assert after["AllowedOAuthFlows"] == ["code"] and after["AllowedOAuthScopes"] == ["openid"]
    assert after["RefreshTokenValidity"] == 7 and after["LogoutURLs"] == ["https://example.com/bye"]
    assert load_project().base_url == BASE
    third = run("--yes", "init", "--base-url", BASE)
    assert third.code == 0 and "Nothing to change" in third.out + third.err


@pytest.mark.parametrize(("args", "message"), [
    (["--server", "fastmcp-proxy", "--new-pool", "p", "--domain", "ok-login", "--platform", "chatgpt"],
     "--platform do not apply to --server fastmcp-proxy"),
    (["--server", "fastmcp-proxy", "--new-pool", "p", "--domain", "ok-login",
      "--base-url", "http://proxy.example.com"], "http:// on a non-loopback host"),
    (["--new-pool", "p", "--domain", "ok-login", "--base-url", BASE],
     "--base-url is for an OAuth proxy: pass --server fastmcp-proxy"),
])
def test_bad_proxy_answers_are_one_line_exit_2_before_any_aws_call(run_process, aws, args, message) -> None:
    result = run_process("init", *args, "--yes")

    assert result.code == 2 and message in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert aws.log.operations() == []


def test_scaffold_takes_the_proxy_client_from_mcpauth_toml(run, aws, tmp_path) -> None:
    save_project(Project(region="us-east-1", user_pool_id="us-east-1_Pool9", server_kind=PROXY_KIND,
                         clients={"chatgpt": "chatgptclient1", "proxy": "proxyclient77"}))

    result = run("scaffold", "fastmcp-lambda", "srv")

    assert result.code == 0, result.err
    readme = (tmp_path / "srv" / "README.md").read_text()
    assert "proxyclient77" in readme and "chatgptclient1" not in readme
    assert "mcpauth init --base-url" in result.out + result.err
