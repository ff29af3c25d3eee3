"""The client registry (issue: facts that check themselves): Codex's derived callback, the
redirect URIs init registers for the clients added in December 2026, their panels, Zed's
refusal of a pre-registered client, and the facts checked against the published packages."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import pytest

from mcpauth_wizard.mcp.platforms import PLATFORMS, codex_callback_id, predict
from tests.clients.facts import FACTS, remote_port, run

MCP_URL = "https://tools.example.com/mcp"


@pytest.mark.parametrize(("url", "callback_id"), [
    # each checked against codex-cli 0.171.0 (`codex mcp add … --oauth-client-id` prints it)
    ("http://127.0.0.1:45002/gateways/059f9b5da9/mcp", "JAWfQ-7n6OZB"),
    ("http://127.0.0.1:45002/gateways/059f9b5da9/mcp#frag", "JAWfQ-7n6OZB"),  # fragment dropped
    ("HTTP://127.0.0.1:45002/gateways/059f9b5da9/mcp", "JAWfQ-7n6OZB"),  # scheme lower-cased
    ("http://127.0.0.1:45002/gateways/059f9b5da9/mcp/", "BgRwuIWSWfNH"),  # a trailing slash counts
    ("http://localhost:45002/gateways/059f9b5da9/mcp", "zmGUEENz5hye"),
    ("http://LOCALHOST:45002/gateways/059f9b5da9/mcp", "zmGUEENz5hye"),  # host lower-cased
    ("http://127.0.0.1:80/mcp", "FOs6XjkBZfJY"),  # a default port dropped
    ("http://127.0.0.1/mcp", "FOs6XjkBZfJY"),
    ("http://127.0.0.1:45002", "x-77oprC1R7n"),  # an empty path is "/"
    ("http://127.0.0.1:45002/", "x-77oprC1R7n"),
    # computed with the same function (no network here for the real binary to reach these)
    ("https://example.com/mcp", "w9gKTtkB7gWy"),
    ("https://example.com:443/mcp", "w9gKTtkB7gWy"),
    ("https://mcp.example.com/mcp?tenant=one", "XuuuHAzzHOni"),  # the query is kept
])
def test_codex_callback_id_rule(url: str, callback_id: str) -> None:
    assert codex_callback_id(url) == callback_id


@pytest.mark.parametrize(("url", "headers", "port"), [
    # computed by running mcp-remote 0.15.1's own function
    ("https://example.com/mcp", None, 37931),
    ("https://mcp.example.com/mcp", None, 41409),
    ("https://abc123.execute-api.us-east-1.amazonaws.com/prod/mcp", None, 28160),
    ("http://localhost:8080/mcp", None, 35535),
    ("https://example.com/mcp/", None, 26635),  # hashed as typed: a slash moves the port
    ("https://example.com/mcp", {"Authorization": "Bearer x"}, 20431),  # headers are hashed too
])
def test_mcp_remote_port_rule(url: str, headers: dict[str, str] | None, port: int) -> None:
    assert remote_port(url, headers) == port


def _callbacks(cognito: Any, project: Any) -> dict[str, list[str]]:
    return {key: cognito.describe_user_pool_client(UserPoolId=project.user_pool_id, ClientId=cid)
            ["UserPoolClient"].get("CallbackURLs") or [] for key, cid in project.clients.items()}


def test_init_registers_exactly_what_codex_cursor_and_gemini_send(run, cognito) -> None:
    from mcpauth_wizard.core.project import load_project

    result = run("init", "--new-pool", "registry users", "--domain", "registry-login", "--mcp-url",
                 MCP_URL, "--platform", "codex,cursor,gemini-cli,opencode", "--port", "codex=5555",
                 "--yes")
    assert result.code == 0, result.err
    project = load_project()
    registered = _callbacks(cognito, project)
    assert registered["codex"] == [f"http://localhost:5555/callback/{codex_callback_id(MCP_URL)}"]
    assert registered["cursor"] == ["cursor://anysphere.cursor-mcp/oauth/callback",
                                    "https://www.cursor.com/agents/mcp/oauth/callback",
                                    "http://localhost:8787/callback"]
    assert registered["gemini-cli"] == ["http://localhost:7777/oauth/callback"]
    assert registered["opencode"] == ["http://localhost:19876/mcp/oauth/callback"]

    shown = json.loads(run("show", "--json").out)
    panels = {h["platform"]: h for h in shown["handoffs"]}
    gemini = json.loads(panels["gemini-cli"]["fields"]["settings.json entry"])["mcpServers"]["tools"]
    oauth = gemini["oauth"]
    assert oauth["clientId"] == project.clients["gemini-cli"]
    assert oauth["authorizationUrl"] == "https://registry-login.auth.us-east-1.amazoncognito.com/oauth2/authorize"
    assert oauth["tokenUrl"] == "https://registry-login.auth.us-east-1.amazoncognito.com/oauth2/token"
    assert oauth["redirectUri"] == registered["gemini-cli"][0]  # pinned: the port is random otherwise
    assert "issuer" not in oauth  # an issuer would turn on its RFC 9207 check (Cognito sends no iss)
    codex = panels["codex"]["fields"]
    assert f'client_id = "{project.clients["codex"]}"' in codex["config.toml entry"]
    assert "callback_port = 5555" in codex["config.toml entry"]
    assert f'callback_url = "{registered["codex"][0]}"' in codex["config.toml entry"]
    assert codex["Then"].startswith("codex mcp login tools")
    opencode = json.loads(panels["opencode"]["fields"]["opencode.json entry"])["mcp"]["tools"]
    assert opencode["oauth"]["redirectUri"] == registered["opencode"][0]
    assert opencode["oauth"]["clientId"] == project.clients["opencode"]

    # add-callback for a platform with a fixed (or derived) callback registers exactly that
    assert run("remove-callback", "codex", "--yes").code == 0
    assert _callbacks(cognito, project)["codex"] == []
    assert run("add-callback", "codex", "--yes").code == 0
    assert _callbacks(cognito, project)["codex"] == registered["codex"]


def test_zed_cannot_have_a_pre_registered_client_and_is_told_what_to_do(run, cognito) -> None:
    result = run("init", "--new-pool", "zed users", "--domain", "zed-login", "--mcp-url", MCP_URL,
                 "--platform", "zed", "--registration", "static", "--yes")
    assert result.code == 2
    assert "Zed cannot use a pre-registered client" in result.err and "--registration dcr" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert cognito.list_user_pools(MaxResults=60)["UserPools"] == []  # nothing reached AWS
    added = run("add-callback", "zed", "--pool-id", "us-east-1_AbC123", "--client-id", "abc123def456")
    assert added.code == 2 and "--registration dcr" in added.err


@pytest.mark.parametrize(("name", "iss_advertised", "expected"), [
    ("gemini-cli", False, {"PLATFORM_REQUIRES_ISS": "warning"}),  # its panel avoids discovery
    ("gemini-cli", True, {}),
    ("claude-code", False, {}),  # only when advertised (2.1.332)
    ("mcp-remote", False, {}),
    ("opencode", False, {}),  # no RFC 9207 handling
])
def test_requires_iss_rule(name: str, iss_advertised: bool, expected: dict[str, str]) -> None:
    found = predict(PLATFORMS[name], advertised_scopes=["https://x/mcp/invoke"], as_scopes=[],
                    client_scopes=[], s256_advertised=True, iss_advertised=iss_advertised)
    assert {p.code: p.severity for p in found} == expected


def test_the_registry_names_each_version_it_checked_in_the_facts_it_is_checked_against() -> None:
    for fact in FACTS:
        platform = PLATFORMS[fact.platform]
        assert fact.version.split("-")[0] in platform.checked or fact.platform == "inspector-cli", \
            (fact.platform, fact.version, platform.checked)


def test_the_facts_hold_in_the_pinned_packages(capsys: pytest.CaptureFixture[str]) -> None:
    """The small packages (gemini-cli-core, Inspector, mcp-remote: about 13 MB from the npm
    registry); CI checks the three platform binaries in a step of its own."""
    if shutil.which("npm") is None:
        assert not os.environ.get("CI"), "npm is missing (CI installs it)"
        pytest.skip("npm is not installed")
    from tests.clients.facts import BIG

    problems = run(tuple(f for f in FACTS if f.package not in BIG), newest=False)
    assert problems == [], capsys.readouterr().out
