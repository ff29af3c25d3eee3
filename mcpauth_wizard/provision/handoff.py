"""What to paste into each MCP client once the setup exists: where it goes, each field by the
client's own label, and the client's configuration file or command line, ready to write."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mcpauth_wizard.core.project import Project
from mcpauth_wizard.mcp.platforms import PLATFORMS

MASK = "********"
REGISTERS_ITSELF = "(registers itself)"
SERVER = "server"  # the Handoff of what a URL server checks (not a platform)  # a Handoff's client_id when the client has none yet
SECRET_PLACEHOLDER = "<client secret: `mcpauth show --reveal`>"
MCP_REMOTE_SECRET_ENV = "MCP_REMOTE_CLIENT_SECRET"  # mcp-remote expands ${VAR} in its client info


@dataclass(frozen=True)
class HandoffField:
    label: str
    value: str
    secret: bool = False


@dataclass(frozen=True)
class HandoffFile:
    """A file to write for one client (path relative to the --write folder)."""

    path: str
    content: str
    secret: bool = False  # holds a revealed client secret: written owner-only


@dataclass(frozen=True)
class Handoff:
    platform: str
    title: str
    client_id: str
    fields: tuple[HandoffField, ...]
    where: str = ""  # the navigation path in the client, or the file the entry goes into
    files: tuple[HandoffFile, ...] = ()
    caveats: tuple[str, ...] = ()
    heading: str = ""  # the panel's heading, when it is not "Paste into <title>"

    def as_dict(self) -> dict[str, Any]:
        registers = self.client_id == REGISTERS_ITSELF
        return {"platform": self.platform, "title": self.title,
                "client_id": None if registers else self.client_id, "registers_itself": registers,
                "where": self.where, "fields": {f.label: f.value for f in self.fields},
                "files": {f.path: f.content for f in self.files}, "caveats": list(self.caveats)}


@dataclass(frozen=True)
class ClientConfig:
    """Everything one client's configuration is made of."""

    platform: str
    url: str
    client_id: str
    secret: str | None  # the real secret, only when the user asked to reveal it
    has_secret: bool
    scopes: tuple[str, ...]
    port: int | None
    registers: bool = False  # the client registers itself (DCR): no id or secret to paste
    login_base: str = ""  # https://<login domain>: explicit endpoints for clients that need them

    @property
    def name(self) -> str:
        """A server name for the client's config: the first label of the MCP server's host."""
        import ipaddress

        host = urlsplit(self.url).hostname or "mcp"
        try:
            ipaddress.ip_address(host)
            return "mcp"  # an address names nothing ("127" is no name)
        except ValueError:
            return "mcp" if host == "localhost" else (host.split(".")[0] or "mcp")

    @property
    def scope_text(self) -> str:
        return " ".join(self.scopes)

    def secret_or(self, placeholder: str) -> str:
        return self.secret if self.secret else placeholder


def _secret_field(label: str, config: ClientConfig) -> list[HandoffField]:
    if not config.has_secret:
        return [HandoffField(label, "(none: public client, PKCE)")]
    if config.secret is None:
        return [HandoffField(label, f"{MASK} (`mcpauth show --reveal` prints it)", True)]
    return [HandoffField(label, config.secret, True)]


def json_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def _chatgpt(c: ClientConfig) -> Handoff:
    fields = [HandoffField("Name", c.name), HandoffField("MCP Server URL", c.url),
              HandoffField("Authentication", "OAuth")]
    if not c.registers:  # the form has no scope field
        fields += [HandoffField("OAuth Client ID", c.client_id), *_secret_field("OAuth Client Secret", c),
                   HandoffField("Then", "copy the callback URL ChatGPT shows for the connector and run "
                                        "`mcpauth add-callback chatgpt --url URL`")]
    return _handoff(c, fields, "ChatGPT › Settings › Apps & Connectors › Advanced settings: "
                    "Developer mode on; then Settings › Apps & Connectors › Create")


def _claude(c: ClientConfig) -> Handoff:
    fields = [HandoffField("Name", c.name), HandoffField("Remote MCP server URL", c.url)]
    if not c.registers:
        fields += [HandoffField("Advanced settings › OAuth Client ID", c.client_id),
                   *_secret_field("Advanced settings › OAuth Client Secret", c)]
    return _handoff(c, fields, "Claude › Settings › Connectors › Add custom connector")


def _inspector(c: ClientConfig) -> Handoff:
    """Inspector 2.x's web UI (npm @modelcontextprotocol/inspector 2.12.0, run against the
    sandbox by tests/test_inspector_web.py): Add Servers › + Add manually takes Server ID,
    Transport and URL; the card's Settings › OAuth Settings takes Client ID, Client Secret and
    Scopes. It serves on CLIENT_PORT (default 6274) and builds its redirect URI from the page's
    origin, so it must be opened at exactly http://localhost:<port>."""
    fields = [HandoffField("Server ID", c.name), HandoffField("Transport", "streamable-http"),
              HandoffField("URL", c.url)]
    if not c.registers:  # registering itself, Inspector leaves the OAuth settings empty
        fields += [HandoffField("Settings › OAuth Settings › Client ID", c.client_id),
                   *_secret_field("Settings › OAuth Settings › Client Secret", c),
                   HandoffField("Settings › OAuth Settings › Scopes", c.scope_text)]
    port = c.port or 6274
    start = "npx @modelcontextprotocol/inspector" if port == 6274 else \
        f"CLIENT_PORT={port} npx @modelcontextprotocol/inspector"
    return _handoff(c, fields, f"{start}, then open exactly http://localhost:{port} (not the "
                    "127.0.0.1 link it prints) › Add Servers › + Add manually")


def _claude_code(c: ClientConfig) -> Handoff:
    port = str(c.port) if c.port else "PORT"
    words = ["claude", "mcp", "add", "--transport", "http"]
    if not c.registers:
        words += ["--client-id", c.client_id]
        if c.has_secret:
            words.append("--client-secret")  # Claude Code then asks for it, masked
        words += ["--callback-port", port]
    words += [c.name, c.url]
    command = shlex.join(words)
    fields = [HandoffField("Command", command)]
    if not c.registers:
        fields += [*_secret_field("Client secret (the command asks for it)", c),
                   HandoffField("Scopes (oauth.scopes in the server's entry)", c.scope_text)]
    return _handoff(c, fields, "a terminal", [HandoffFile("claude-code/claude-mcp-add.sh",
                                                          f"#!/bin/sh\n{command}\n")])


def _cursor(c: ClientConfig) -> Handoff:
    auth: dict[str, Any] = {"CLIENT_ID": c.client_id}
    if c.has_secret:
        auth["CLIENT_SECRET"] = c.secret_or(SECRET_PLACEHOLDER)
    if c.scopes:
        auth["scopes"] = list(c.scopes)
    entry: dict[str, Any] = {"url": c.url} if c.registers else {"url": c.url, "auth": auth}
    document = {"mcpServers": {c.name: entry}}
    fields = [HandoffField("mcp.json entry", json_text(document).strip(), c.secret is not None)]
    return _handoff(c, fields, ".cursor/mcp.json (project) or ~/.cursor/mcp.json",
                    [HandoffFile("cursor/.cursor/mcp.json", json_text(document), c.secret is not None)])


def _vscode(c: ClientConfig) -> Handoff:
    document = {"servers": {c.name: {"type": "http", "url": c.url}}}
    fields = [HandoffField("mcp.json entry", json_text(document).strip())]
    if not c.registers:
        fields += [HandoffField("When VS Code asks for a client ID", c.client_id),
                   *_secret_field("When VS Code asks for a client secret", c)]
    return _handoff(c, fields, ".vscode/mcp.json (workspace) or MCP: Open User Configuration",
                    [HandoffFile("vscode/.vscode/mcp.json", json_text(document))])


def mcp_remote_args(c: ClientConfig) -> list[str]:
    """mcp-remote's arguments: the port pinned (it is the registered callback), the client,
    and the scope pinned (without one it asks for every scope Cognito's metadata lists)."""
    info = {"client_id": c.client_id}
    if c.has_secret:
        info["client_secret"] = c.secret_or("${" + MCP_REMOTE_SECRET_ENV + "}")
    args = ["mcp-remote", c.url, str(c.port or 3334)]
    if not c.registers:
        args += ["--static-oauth-client-info", json.dumps(info, separators=(",", ":"))]
    if c.scopes:
        args += ["--static-oauth-client-metadata",
                 json.dumps({"scope": c.scope_text}, separators=(",", ":"))]
    return args


def _mcp_remote(c: ClientConfig) -> Handoff:
    args = mcp_remote_args(c)
    command = shlex.join(["npx", "-y", *args])
    secret = c.secret is not None
    document = {"mcpServers": {c.name: {"command": "npx", "args": ["-y", *args]}}}
    fields = [HandoffField("Command", command, secret),
              HandoffField("MCP client config (e.g. claude_desktop_config.json)",
                           json_text(document).strip(), secret)]
    if c.has_secret and not secret:
        fields.append(HandoffField("Environment", f"{MCP_REMOTE_SECRET_ENV}=<client secret> "
                                                  "(mcp-remote expands ${…} in its client info)"))
    return _handoff(c, fields, "a terminal, or the MCP client's config file",
                    [HandoffFile("mcp-remote/command.sh", f"#!/bin/sh\n{command}\n", secret),
                     HandoffFile("mcp-remote/mcp-servers.json", json_text(document), secret)])


def _gemini(c: ClientConfig) -> Handoff:
    """Explicit endpoints and a pinned redirectUri: after discovering the issuer Gemini CLI
    0.61 refuses a response without RFC 9207 iss (Cognito sends none), and its port is random
    unless redirectUri names one (gemini-cli-core oauth-provider.js, oauth-flow.js)."""
    oauth: dict[str, Any] = {"enabled": True}
    if not c.registers:
        oauth["clientId"] = c.client_id
        if c.has_secret:
            oauth["clientSecret"] = c.secret_or(SECRET_PLACEHOLDER)
        if c.login_base:
            oauth["authorizationUrl"] = f"{c.login_base}/oauth2/authorize"
            oauth["tokenUrl"] = f"{c.login_base}/oauth2/token"
        oauth["redirectUri"] = f"http://localhost:{c.port or 7777}/oauth/callback"
    if c.scopes:  # pinned: without it Gemini CLI asks for every scope Cognito lists
        oauth["scopes"] = list(c.scopes)
    document = {"mcpServers": {c.name: {"httpUrl": c.url, "oauth": oauth}}}
    fields = [HandoffField("settings.json entry", json_text(document).strip(), c.secret is not None),
              HandoffField("Then", f"/mcp auth {c.name}")]
    return _handoff(c, fields, ".gemini/settings.json (project) or ~/.gemini/settings.json",
                    [HandoffFile("gemini-cli/.gemini/settings.json", json_text(document),
                                 c.secret is not None)])


def _codex(c: ClientConfig) -> Handoff:
    """~/.codex/config.toml: the client id, and the callback pinned to localhost and a port
    (per server: oauth.callback_port and oauth.callback_url ending in the server's id, which
    Codex then sends as is; codex-cli 0.171.0, run against the sandbox)."""
    import tomli_w

    from mcpauth_wizard.mcp.platforms import PLATFORMS

    server: dict[str, Any] = {"url": c.url}
    if not c.registers:
        oauth: dict[str, Any] = {"client_id": c.client_id}
        if c.has_secret:
            oauth["client_secret"] = c.secret_or(SECRET_PLACEHOLDER)
        oauth["callback_port"] = c.port or 5555
        oauth["callback_url"] = PLATFORMS["codex"].callback_urls(c.port, c.url)[0]
        server["oauth"] = oauth
    entry = tomli_w.dumps({"mcp_servers": {c.name: server}})
    login = ["codex", "mcp", "login", c.name]
    if c.scopes:
        login += ["--scopes", ",".join(c.scopes)]
    fields = [HandoffField("config.toml entry", entry.strip(), c.secret is not None),
              HandoffField("Then", shlex.join(login))]
    return _handoff(c, fields, "~/.codex/config.toml", [
        HandoffFile("codex/config.toml", entry, c.secret is not None)])


def _opencode(c: ClientConfig) -> Handoff:
    oauth: dict[str, Any] = {}
    if not c.registers:
        oauth = {"clientId": c.client_id}
        if c.has_secret:
            oauth["clientSecret"] = c.secret_or(SECRET_PLACEHOLDER)
        oauth["redirectUri"] = f"http://localhost:{c.port or 19876}/mcp/oauth/callback"
    if c.scopes:
        oauth["scope"] = c.scope_text
    entry: dict[str, Any] = {"type": "remote", "url": c.url, "enabled": True}
    if oauth:
        entry["oauth"] = oauth
    document = {"$schema": "https://opencode.ai/config.json", "mcp": {c.name: entry}}
    fields = [HandoffField("opencode.json entry", json_text(document).strip(), c.secret is not None),
              HandoffField("Then", f"opencode mcp auth {c.name}")]
    return _handoff(c, fields, "opencode.json (project) or ~/.config/opencode/opencode.json",
                    [HandoffFile("opencode/opencode.json", json_text(document), c.secret is not None)])


def _goose(c: ClientConfig) -> Handoff:
    fields = [HandoffField("Extension › Type", "Streamable HTTP"), HandoffField("Extension › URL", c.url)]
    if not c.registers:
        fields += [HandoffField("client_id", c.client_id)]
        if c.has_secret:
            fields.append(HandoffField("client_secret_key", "the name of a secret holding the client "
                                       "secret (`mcpauth show --reveal` prints it)"))
        if c.scopes:
            fields.append(HandoffField("scopes", c.scope_text))
        fields.append(HandoffField("Environment", f"GOOSE_OAUTH_CALLBACK_PORT={c.port or 8789}"))
    return _handoff(c, fields, "goose configure › Add Extension (or ~/.config/goose/config.yaml)")


def _zed(c: ClientConfig) -> Handoff:
    document = {"context_servers": {c.name: {"url": c.url}}}
    return _handoff(c, [HandoffField("settings.json entry", json_text(document).strip())],
                    "Zed › settings.json", [HandoffFile("zed/settings.json", json_text(document))])


def _script(c: ClientConfig, template: str) -> str:
    from mcpauth_wizard.provision.scaffold import templates_root

    text = (templates_root() / "clients" / template).read_text(encoding="utf-8")
    note = ("set MCP_CLIENT_SECRET to the client secret (`mcpauth show --reveal`)" if c.has_secret
            else "a public client: leave MCP_CLIENT_SECRET unset")
    return (text.replace("__MCP_URL__", c.url).replace("__CLIENT_ID__", c.client_id)
            .replace("__SECRET_NOTE__", note).replace("__PORT__", str(c.port))
            .replace("__SCOPE__", c.scope_text))


def _fastmcp(c: ClientConfig) -> Handoff:
    if c.registers:
        snippet = (f"from fastmcp import Client\n\nasync with Client({c.url!r}, auth=\"oauth\") as client:\n"
                   "    print(await client.list_tools())\n")
        return _handoff(c, [HandoffField("Python", snippet.strip())], "your Python code")
    script = _script(c, "fastmcp_signin.py")
    fields = [HandoffField("Python (fastmcp 4.2)", f"OAuth(client_id={c.client_id!r}, "
                           f"scopes={list(c.scopes)!r}, callback_port={c.port}) in Client({c.url!r}, "
                           "auth=…)"), HandoffField("Whole script", "fastmcp/signin.py (--write)")]
    if c.has_secret:
        fields.append(HandoffField("Environment", "MCP_CLIENT_SECRET=<client secret> (`mcpauth show "
                                                  "--reveal`)"))
    return _handoff(c, fields, "your Python code", [HandoffFile("fastmcp/signin.py", script)])


def _python_sdk(c: ClientConfig) -> Handoff:
    if c.registers:
        return _generic(c)
    script = _script(c, "python_sdk_signin.py")
    fields = [HandoffField("Python (mcp 2.3)", "a TokenStorage whose get_client_info() returns "
                           f"client_id {c.client_id!r} with redirect_uris "
                           f"['http://localhost:{c.port}/callback'], and a listener on that port"),
              HandoffField("Whole script", "python-sdk/signin.py (--write)")]
    if c.has_secret:
        fields.append(HandoffField("Environment", "MCP_CLIENT_SECRET=<client secret> (`mcpauth show "
                                                  "--reveal`)"))
    return _handoff(c, fields, "your Python code", [HandoffFile("python-sdk/signin.py", script)])


def _inspector_cli(c: ClientConfig) -> Handoff:
    words = ["npx", "-y", "@modelcontextprotocol/inspector", "--cli", c.url, "--transport", "http",
             "--method", "tools/list"]
    if not c.registers:
        words += ["--client-id", c.client_id]
        if c.has_secret:
            words += ["--client-secret", c.secret_or("$MCP_CLIENT_SECRET")]
        words += ["--callback-url", f"http://localhost:{c.port or 6276}/oauth/callback"]
    command = shlex.join(words).replace("'$MCP_CLIENT_SECRET'", '"$MCP_CLIENT_SECRET"')
    fields = [HandoffField("Command (Inspector 2.x, Node 22.19 or later)", command, c.secret is not None)]
    return _handoff(c, fields, "a terminal", [HandoffFile("inspector-cli/command.sh",
                                                          f"#!/bin/sh\n{command}\n", c.secret is not None)])


def _generic(c: ClientConfig) -> Handoff:
    fields = [HandoffField("MCP server URL", c.url)]
    if not c.registers:
        fields += [HandoffField("Client ID", c.client_id), *_secret_field("Client Secret", c),
                   HandoffField("Scopes", c.scope_text)]
    return _handoff(c, fields, "")


def _handoff(c: ClientConfig, fields: list[HandoffField], where: str,
             files: list[HandoffFile] | None = None) -> Handoff:
    from mcpauth_wizard.mcp.platforms import caveats

    platform = PLATFORMS[c.platform]
    notes = tuple(caveats(platform))
    if c.registers:
        notes = ("it registers itself, then opens the login page: no client id or secret to paste",
                 *notes)
    return Handoff(c.platform, platform.title, REGISTERS_ITSELF if c.registers else c.client_id,
                   tuple(fields), where, tuple(files or ()), notes)


_BUILDERS = {"chatgpt": _chatgpt, "claude": _claude, "inspector": _inspector,
             "claude-code": _claude_code, "cursor": _cursor, "vscode": _vscode,
             "mcp-remote": _mcp_remote, "gemini-cli": _gemini, "codex": _codex,
             "opencode": _opencode, "goose": _goose, "zed": _zed, "fastmcp": _fastmcp,
             "python-sdk": _python_sdk, "inspector-cli": _inspector_cli}


def handoff_for(config: ClientConfig) -> Handoff:
    return _BUILDERS.get(config.platform, _generic)(config)


def handoffs(project: Project, *, scopes: list[str],
             secrets: dict[str, str | None], has_secret: dict[str, bool],
             reveal: bool, ports: dict[str, int] | None = None, login_base: str = "") -> list[Handoff]:
    """One hand-off per platform served by a recorded client: only the fields the app has a
    place for (the authorization server is found from the MCP URL, nobody pastes it)."""
    url = project.resource_url or ""
    result = []
    for key, client_id in project.clients.items():
        platforms = [key] if key in PLATFORMS else [p for p in PLATFORMS if p != "doctor"]
        if key == "shared":
            platforms = list(project.platforms_shared or platforms)
        secret = secrets.get(key) if reveal else None
        for name in platforms:
            platform = PLATFORMS[name]
            config = ClientConfig(name, url, client_id, secret or None, has_secret.get(key, False),
                                  tuple(scopes), (ports or {}).get(name) or platform.default_port,
                                  login_base=login_base)
            result.append(handoff_for(config))
    return result


def as_json(found: list[Handoff]) -> dict[str, Any]:
    """`handoffs` (one per platform) and `server_checks` (the URL server's panel, or null)."""
    server = next((h.as_dict() for h in found if h.platform == SERVER), None)
    return {"handoffs": [h.as_dict() for h in found if h.platform != SERVER], "server_checks": server}


def text_file(handoff: Handoff) -> HandoffFile:
    """The panel as text: where to go and each field (for clients configured by hand)."""
    lines = [f"{handoff.title}", f"Where: {handoff.where}" if handoff.where else "", ""]
    lines += [f"{f.label}: {f.value}" for f in handoff.fields]
    lines += [f"Note: {c}" for c in handoff.caveats]
    secret = any(f.secret and f.value and not f.value.startswith(MASK) for f in handoff.fields)
    return HandoffFile(f"{handoff.platform}/{handoff.platform}.txt",
                       "\n".join(line for line in lines if line is not None) + "\n", secret)


def registration_handoffs(url: str, platforms: tuple[str, ...], *,
                          scopes: tuple[str, ...] = ()) -> list[Handoff]:
    """Platforms that register themselves: their own panel, without an id or secret."""
    return [handoff_for(ClientConfig(name, url, "", None, False, scopes, PLATFORMS[name].default_port,
                                     registers=True)) for name in platforms]
