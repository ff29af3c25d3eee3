"""`mcpauth show`: per client, exactly what goes where, and `--write DIR` for their files."""

from __future__ import annotations

import json
import shlex
import stat
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.core.project import load_project
from mcpauth_wizard.mcp.platforms import PLATFORMS

MCP_URL = "https://tools.example.com/mcp"
# every client that can use a pre-registered app client (Zed cannot: a new port per sign-in)
EVERY_CLIENT = [p for p in PLATFORMS if p != "doctor" and not PLATFORMS[p].no_pre_registered]


@pytest.fixture
def setup(run, cognito) -> dict[str, Any]:
    """init for every client the registry knows; Claude Code's port pinned at 8765."""
    result = run("init", "--new-pool", "show users", "--domain", "show-login", "--mcp-url", MCP_URL,
                 "--platform", ",".join(EVERY_CLIENT), "--port", "claude-code=8765",
                 "--secret", "claude-code,mcp-remote,cursor,gemini-cli", "--first-user",
                 "ana@example.com", "--yes")
    assert result.code == 0, result.err
    assert "Cognito emails ana@example.com a temporary password" in result.out  # a next step
    project = load_project()
    secrets = {k: cognito.describe_user_pool_client(UserPoolId=project.user_pool_id, ClientId=c)
               ["UserPoolClient"].get("ClientSecret") for k, c in project.clients.items()}
    return {"project": project, "secrets": secrets}


def test_show_names_where_each_field_goes_per_client(run, setup) -> None:
    shown = json.loads(run("show", "--json").out)
    by = {h["platform"]: h for h in shown["handoffs"]}
    assert set(by) == set(EVERY_CLIENT)
    clients = setup["project"].clients
    assert by["chatgpt"]["where"].startswith("ChatGPT › Settings › Apps & Connectors")
    assert by["chatgpt"]["fields"]["OAuth Client ID"] == clients["chatgpt"]
    assert "add-callback chatgpt --url" in by["chatgpt"]["fields"]["Then"]
    assert by["claude"]["where"] == "Claude › Settings › Connectors › Add custom connector"
    assert by["claude"]["fields"]["Advanced settings › OAuth Client ID"] == clients["claude"]
    assert shlex.split(by["claude-code"]["fields"]["Command"]) == [
        "claude", "mcp", "add", "--transport", "http", "--client-id", clients["claude-code"],
        "--client-secret", "--callback-port", "8765", "tools", MCP_URL]
    # a reported behaviour is worded as reported, with its source
    assert any(c.startswith("reported to send no scope") and "#90190" in c
               for c in by["claude-code"]["caveats"])


def test_show_write_writes_every_client_file_and_each_json_parses(run, setup, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    result = run("show", "--write", str(folder))
    assert result.code == 0, result.err
    clients = setup["project"].clients
    scopes = ["openid", f"{MCP_URL}/invoke"]

    cursor = json.loads((folder / "cursor/.cursor/mcp.json").read_text())
    assert cursor == {"mcpServers": {"tools": {"url": MCP_URL, "auth": {
        "CLIENT_ID": clients["cursor"], "CLIENT_SECRET": "<client secret: `mcpauth show --reveal`>",
        "scopes": scopes}}}}
    vscode = json.loads((folder / "vscode/.vscode/mcp.json").read_text())
    assert vscode == {"servers": {"tools": {"type": "http", "url": MCP_URL}}}
    gemini = json.loads((folder / "gemini-cli/.gemini/settings.json").read_text())
    assert gemini["mcpServers"]["tools"]["httpUrl"] == MCP_URL
    assert gemini["mcpServers"]["tools"]["oauth"]["clientId"] == clients["gemini-cli"]
    assert gemini["mcpServers"]["tools"]["oauth"]["scopes"] == scopes
    remote = json.loads((folder / "mcp-remote/mcp-servers.json").read_text())
    args = remote["mcpServers"]["tools"]["args"]
    assert args[:4] == ["-y", "mcp-remote", MCP_URL, "3334"]
    info = json.loads(args[args.index("--static-oauth-client-info") + 1])
    assert info == {"client_id": clients["mcp-remote"], "client_secret": "${MCP_REMOTE_CLIENT_SECRET}"}
    assert json.loads(args[args.index("--static-oauth-client-metadata") + 1]) == {"scope": " ".join(scopes)}
    assert shlex.split((folder / "mcp-remote/command.sh").read_text().splitlines()[1]) == ["npx", *args]
    assert "claude mcp add --transport http" in (folder / "claude-code/claude-mcp-add.sh").read_text()
    chatgpt = (folder / "chatgpt/chatgpt.txt").read_text()
    assert f"OAuth Client ID: {clients['chatgpt']}" in chatgpt
    for name, secret in setup["secrets"].items():  # nothing written holds a secret unasked
        for path in folder.rglob("*"):
            if secret and path.is_file():
                assert secret not in path.read_text(), (name, path)


def test_show_write_reveal_puts_secrets_in_owner_only_files(run, setup, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    assert run("show", "--write", str(folder), "--reveal").code == 0
    secrets = setup["secrets"]
    cursor_file = folder / "cursor/.cursor/mcp.json"
    assert json.loads(cursor_file.read_text())["mcpServers"]["tools"]["auth"]["CLIENT_SECRET"] == secrets["cursor"]
    assert stat.S_IMODE(cursor_file.stat().st_mode) == 0o600
    gemini = json.loads((folder / "gemini-cli/.gemini/settings.json").read_text())
    assert gemini["mcpServers"]["tools"]["oauth"]["clientSecret"] == secrets["gemini-cli"]
    remote = json.loads((folder / "mcp-remote/mcp-servers.json").read_text())["mcpServers"]["tools"]["args"]
    assert json.loads(remote[remote.index("--static-oauth-client-info") + 1])["client_secret"] == \
        secrets["mcp-remote"]
    assert stat.S_IMODE((folder / "vscode/.vscode/mcp.json").stat().st_mode) == 0o644  # no secret


def test_a_url_server_is_told_what_each_token_must_carry(run, setup, cognito) -> None:
    """A server that checks tokens itself gets the issuer, JWKS, client ids, scope and the
    metadata it must serve; no app panel carries a field the app has no place for."""
    shown = json.loads(run("show", "--json").out)
    project = setup["project"]
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{project.user_pool_id}"
    checks = shown["server_checks"]["fields"]
    assert checks["Issuer (iss)"] == issuer
    assert checks["JWKS URL"] == f"{issuer}/.well-known/jwks.json"
    assert sorted(checks["Client ids (client_id), one of"].splitlines()) == sorted(project.clients.values())
    assert checks["Scope (scope), contains"] == f"{MCP_URL}/invoke"
    metadata = json.loads(checks["Serve at https://tools.example.com/.well-known/oauth-protected-resource/mcp"])
    assert metadata == {"resource": MCP_URL, "authorization_servers": [issuer],
                        "scopes_supported": [f"{MCP_URL}/invoke"]}
    by = {h["platform"]: h for h in shown["handoffs"]}
    assert not any("Authorization server" in h["fields"] for h in shown["handoffs"])
    assert "Scopes" not in by["chatgpt"]["fields"]  # ChatGPT's form has an id and a secret only

    text = run("show").out
    assert "Your MCP server checks each token ──" in text
    assert "shown once" not in text


def test_show_gives_platforms_that_register_themselves_their_url(run, cognito) -> None:
    result = run("init", "--new-pool", "dcr users", "--domain", "dcr-login", "--mcp-url", MCP_URL,
                 "--platform", "claude,inspector,gemini-cli", "--registration", "dcr", "--yes")
    assert result.code == 0, result.err
    shown = json.loads(run("show", "--json").out)
    by = {h["platform"]: h for h in shown["handoffs"]}
    assert set(by) == {"claude", "inspector", "gemini-cli"}
    # registering itself, Gemini CLI still needs its scope pinned (else it asks for every one)
    gemini = json.loads(by["gemini-cli"]["fields"]["settings.json entry"])
    assert gemini["mcpServers"]["tools"]["oauth"] == {"enabled": True,
                                                      "scopes": ["openid", f"{MCP_URL}/invoke"]}
    assert by["claude"]["client_id"] is None and by["claude"]["registers_itself"] is True
    assert by["claude"]["where"] == "Claude › Settings › Connectors › Add custom connector"
    assert by["claude"]["fields"] == {"Name": "tools", "Remote MCP server URL": MCP_URL}  # no id to paste
    assert by["inspector"]["fields"] == {"Server ID": "tools", "Transport": "streamable-http", "URL": MCP_URL}
    assert by["inspector"]["caveats"][0].startswith("it registers itself")
    server = shown["server_checks"]
    # Claude is not known to send resource: its token has no aud, and its id is new; a server
    # that required either would refuse it. So: issuer, token_use and scope only.
    assert not any(label.startswith(("Audience", "Client ids")) for label in server["fields"])
    assert server["caveats"][0].startswith("clients that register themselves get new ids")
    assert server["fields"]["Scope (scope), contains"] == f"{MCP_URL}/invoke"


def test_a_url_server_may_require_aud_when_every_registering_client_sends_resource(run, cognito) -> None:
    result = run("init", "--new-pool", "aud users", "--domain", "aud-login", "--mcp-url", MCP_URL,
                 "--platform", "chatgpt,inspector", "--registration", "dcr", "--yes")
    assert result.code == 0, result.err
    shown = json.loads(run("show", "--json").out)
    assert shown["server_checks"]["fields"]["Audience (aud), clients that register themselves"] == MCP_URL
