"""What to paste into each MCP client once the setup exists ("handoff" panels and JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mcpauth_wizard.platforms import PLATFORMS
from mcpauth_wizard.project import Project

MASK = "********"


@dataclass(frozen=True)
class HandoffField:
    label: str
    value: str
    secret: bool = False


@dataclass(frozen=True)
class Handoff:
    platform: str
    title: str
    client_id: str
    fields: tuple[HandoffField, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "title": self.title, "client_id": self.client_id,
                "fields": {f.label: f.value for f in self.fields}}


def _secret_field(label: str, secret: str | None, has_secret: bool, reveal: bool) -> list[HandoffField]:
    if not has_secret:
        return [HandoffField(label, "(none: public client, PKCE)")]
    if secret is None:
        return [HandoffField(label, "(shown once at creation; see `mcpauth show --reveal`)", True)]
    return [HandoffField(label, secret if reveal else MASK, True)]


def handoffs(project: Project, *, scopes: list[str], login_host: str | None,
             secrets: dict[str, str | None], has_secret: dict[str, bool],
             reveal: bool, ports: dict[str, int] | None = None) -> list[Handoff]:
    """One hand-off per platform served by a recorded client."""
    url = project.resource_url or ""
    scope_text = " ".join(scopes)
    result = []
    for key, client_id in project.clients.items():
        platforms = [key] if key in PLATFORMS else [p for p in PLATFORMS if p != "doctor"]
        if key == "shared":
            platforms = list(project.platforms_shared or platforms)
        secret = secrets.get(key)
        secret_known = has_secret.get(key, False)
        for name in platforms:
            platform = PLATFORMS[name]
            f = _fields_for(name, url, client_id, secret, secret_known, reveal, scope_text,
                            (ports or {}).get(name) or platform.default_port)
            if login_host:
                f.append(HandoffField("Authorization server",
                                      f"https://{login_host}/oauth2/authorize"))
            result.append(Handoff(name, platform.title, client_id, tuple(f)))
    return result


def _fields_for(name: str, url: str, client_id: str, secret: str | None, has_secret: bool,
                reveal: bool, scopes: str, port: int | None) -> list[HandoffField]:
    shown_secret = secret if (secret and reveal) else None
    if name == "chatgpt":
        return [HandoffField("MCP Server URL", url), HandoffField("Authentication", "OAuth"),
                HandoffField("Client ID", client_id),
                *_secret_field("Client Secret", secret, has_secret, reveal),
                HandoffField("Scopes", scopes)]
    if name == "claude":
        return [HandoffField("Remote MCP server URL", url),
                HandoffField("Advanced settings › OAuth Client ID", client_id),
                *_secret_field("Advanced settings › OAuth Client Secret", secret, has_secret, reveal)]
    if name == "inspector":
        return [HandoffField("Transport Type", "Streamable HTTP"), HandoffField("URL", url),
                HandoffField("OAuth 2.0 Flow › Client ID", client_id),
                *_secret_field("OAuth 2.0 Flow › Client Secret", secret, has_secret, reveal),
                HandoffField("OAuth 2.0 Flow › Scope", scopes)]
    if name == "claude-code":
        command = f"claude mcp add --transport http --client-id {client_id} --callback-port {port}"
        if has_secret:
            command += " --client-secret"
        return [HandoffField("Command", f"{command} my-mcp {url}"),
                *_secret_field("Client secret (asked by the command)", secret, has_secret, reveal)]
    if name == "mcp-remote":
        info = {"client_id": client_id}
        if has_secret:
            info["client_secret"] = shown_secret or "<client secret>"
        return [HandoffField("Command", f"npx mcp-remote {url} {port} --static-oauth-client-info "
                                        f"'{json.dumps(info)}'", secret=has_secret),
                *_secret_field("Client secret", secret, has_secret, reveal)]
    return [HandoffField("MCP server URL", url), HandoffField("Client ID", client_id),
            *_secret_field("Client Secret", secret, has_secret, reveal),
            HandoffField("Scopes", scopes)]


def registration_handoffs(url: str, platforms: tuple[str, ...]) -> list[Handoff]:
    """Platforms that register themselves: the URL is all there is to paste."""
    return [Handoff(name, PLATFORMS[name].title, "(registers itself)", (
        HandoffField("MCP server URL", url),
        HandoffField("What happens", "the client registers itself, then opens the login page; "
                     "no client id or secret to paste"),
    )) for name in platforms]
