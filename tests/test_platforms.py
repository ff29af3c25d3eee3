"""The client registry: every entry sourced, the README's table generated from it, and the
verdicts it predicts for a server that advertises no scope (Cognito's usual case)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mcpauth_wizard.mcp.platforms import (
    PLATFORMS,
    REGISTRATION_KINDS,
    SCOPE_ALL_AS,
    SCOPE_CONFIGURED,
    SCOPE_NOTHING,
    UNKNOWN,
    get_platform,
    markdown_table,
    platforms_of_url,
    predict,
)

README = Path(__file__).parents[1] / "README.md"
COGNITO_SCOPES = ["openid", "email", "phone", "profile"]  # Cognito's discovery scopes_supported
CLIENT_SCOPES = ["openid", "https://tools.example.com/mcp/invoke"]


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_every_entry_and_every_fact_names_its_source(name: str) -> None:
    platform = PLATFORMS[name]
    assert platform.source.strip()
    assert platform.checked.strip(), f"{name}: which client version were its facts checked against?"
    assert platform.registration_kinds and set(platform.registration_kinds) <= set(REGISTRATION_KINDS)
    for fact_name, fact in platform.behaviour.facts().items():
        assert fact.source.strip(), (name, fact_name)
        if fact.value == UNKNOWN:
            assert not fact.verified, (name, fact_name)  # nothing unknown is "confirmed"
    assert platform.behaviour.scope_when_none_advertised.value in (
        SCOPE_NOTHING, SCOPE_ALL_AS, SCOPE_CONFIGURED, UNKNOWN)
    for version in platform.callback_versions:
        assert version.source.strip() and version.urls
        for url in version.urls:
            sample = url.replace("{port}", "8765").replace("{callback_id}", "abc123") \
                .replace("{server_id}", "JAWfQ-7n6OZB")
            assert platform in platforms_of_url(sample), (name, url)


def test_the_readme_table_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- clients:start -->\n(.*?)<!-- clients:end -->", text, re.S)
    assert found, "README.md lacks the clients markers"
    assert found.group(1) == markdown_table(), "run `mcpauth platforms --markdown` into README.md"


def test_platforms_command_prints_the_markdown_and_json(run) -> None:
    assert run("platforms", "--markdown").out == markdown_table()
    data = json.loads(run("platforms", "--json").out)
    assert data["gemini-cli"]["callback_templates"] == ["http://localhost:{port}/oauth/callback"]
    assert data["gemini-cli"]["default_port"] == 7777  # mcpauth's proposal, pinned by redirectUri
    assert data["codex"]["checked"] == "codex-cli 0.171.0"
    assert data["mcp-remote"]["behaviour"]["scope_when_none_advertised"]["verified"] is True


def test_2026_callback_urls() -> None:
    assert "https://insiders.vscode.dev/redirect" in get_platform("vscode").callback_urls()
    assert [p.name for p in platforms_of_url("https://chatgpt.com/connector/oauth/3f9a_b-C")] == ["chatgpt"]
    assert platforms_of_url("https://chatgpt.com/connector/oauth/a/b") == []  # one segment only
    assert "cursor" in [p.name for p in platforms_of_url("https://www.cursor.com/agents/mcp/oauth/callback")]
    assert "gemini-cli" in [p.name for p in platforms_of_url("http://localhost:7777/oauth/callback")]
    assert all("127.0.0.1" not in t for t in get_platform("claude-code").all_templates)


def predictions(name: str, **server: object) -> dict[str, str]:
    facts = {"advertised_scopes": [], "as_scopes": COGNITO_SCOPES, "client_scopes": CLIENT_SCOPES,
             "s256_advertised": False, "iss_advertised": False, "registered": []}
    facts.update(server)
    return {p.code: p.error for p in predict(PLATFORMS[name], **facts)}  # type: ignore[arg-type]


def test_claude_code_without_an_advertised_scope_is_predicted_invalid_grant() -> None:
    assert predictions("claude-code")["PLATFORM_SENDS_NO_SCOPE"] == "invalid_grant"
    assert "PLATFORM_SENDS_NO_SCOPE" not in predictions("claude-code", advertised_scopes=CLIENT_SCOPES[1:])
    (found,) = [p for p in predict(PLATFORMS["claude-code"], advertised_scopes=[], as_scopes=COGNITO_SCOPES,
                                   client_scopes=CLIENT_SCOPES, s256_advertised=True, iss_advertised=False)]
    assert found.text.startswith("Claude Code is reported to send no scope") and "#90190" in found.text
    assert found.severity == "warning"  # reported, not confirmed: never "cannot work"


def test_clients_asking_for_all_scopes_are_predicted_invalid_scope() -> None:
    for name in ("mcp-remote", "gemini-cli", "cursor"):
        assert predictions(name)["PLATFORM_ASKS_ALL_SCOPES"] == "invalid_scope", name
    # a client allowed every scope Cognito lists gets no such verdict
    assert "PLATFORM_ASKS_ALL_SCOPES" not in predictions("mcp-remote", client_scopes=COGNITO_SCOPES)
    # an AS that lists offline_access (Cognito has none) is refused the same way
    assert predictions("gemini-cli", as_scopes=["openid", "offline_access"],
                       client_scopes=["openid"]) == {"PLATFORM_ASKS_ALL_SCOPES": "invalid_scope",
                                                     "PLATFORM_REQUIRES_ISS": ""}
    # and none once the server advertises its scope
    assert predictions("mcp-remote", advertised_scopes=CLIENT_SCOPES[1:]) == {}


def test_chatgpt_callback_without_iss_and_strict_s256() -> None:
    assert predictions("chatgpt")["PLATFORM_CALLBACK_NEEDS_ISS"] == "redirect_mismatch"
    assert "PLATFORM_CALLBACK_NEEDS_ISS" not in predictions(
        "chatgpt", registered=["https://chatgpt.com/connector/oauth/abc123"])
    assert "PLATFORM_CALLBACK_NEEDS_ISS" not in predictions("chatgpt", iss_advertised=True)
    assert "AS_NO_S256" in predictions("claude") and "AS_NO_S256" not in predictions("claude", s256_advertised=True)
    assert "AS_NO_S256" not in predictions("mcp-remote")  # confirmed not strict in its source


@pytest.mark.parametrize("garbage", [1, "S256", {"a": 1}, [1, None], None])
def test_predictions_from_lying_metadata_never_raise(garbage: object) -> None:
    from mcpauth_wizard.mcp.platforms import predict_from_facts

    facts = {"as": {"scopes_supported": garbage, "code_challenge_methods_supported": garbage,
                    "authorization_response_iss_parameter_supported": garbage},
             "prm": {"scopes_supported": garbage}, "challenge_scope": garbage,
             "clients": {"mcp-remote": {"AllowedOAuthScopes": garbage, "CallbackURLs": garbage}}}
    for platform in PLATFORMS.values():
        for found in predict_from_facts(platform, facts):
            assert found.code and found.text
    # "S256" as a bare string is not a list that names S256
    assert "AS_NO_S256" in {p.code for p in predict_from_facts(
        PLATFORMS["claude"], {"as": {"code_challenge_methods_supported": "S256xyz"}})}
