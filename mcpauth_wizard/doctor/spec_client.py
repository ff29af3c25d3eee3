"""The doctor's sign-in as a spec-compliant MCP client (MCP 2025-11-25 authorization):
the requests such a client makes, one after another, stopping where it would stop.

The diagnostic steps (discovery.py) look everywhere at once to explain a failure; a client
follows one path: the challenge's resource_metadata, else the path-inserted, else the root
protected-resource metadata; the authorization server metadata URLs in the spec's order;
and it refuses metadata that names another resource or another issuer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mcpauth_wizard.doctor.bounds import METADATA_LIMIT
from mcpauth_wizard.doctor.challenge import bearer_params
from mcpauth_wizard.doctor.context import Context, Exchange
from mcpauth_wizard.doctor.discovery import INITIALIZE, MCP_HEADERS
from mcpauth_wizard.oauth.metadata import as_candidates, prm_candidates, resource_allowed  # noqa: F401


@dataclass(frozen=True)
class Challenge:
    """A 401/403 Bearer challenge and the MCP request that met it."""

    params: dict[str, str]
    status: int
    method: str  # the JSON-RPC method that was refused

    @property
    def scope(self) -> str | None:
        return self.params.get("scope") or None

    @property
    def insufficient_scope(self) -> bool:
        return self.status == 403 and self.params.get("error") == "insufficient_scope"


@dataclass(frozen=True)
class Discovered:
    """What a client learns before it signs in."""

    prm_url: str
    prm: dict[str, Any]
    resource: str  # what goes in `resource=` (the metadata's, checked against the URL)
    issuer: str
    metadata_url: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Stop:
    """Where a spec-compliant client stops, as a finding code and message."""

    code: str
    message: str
    fix: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class McpConversation:
    """initialize → notifications/initialized → tools/list (→ tools/call), with or
    without a token, stopping at the first Bearer challenge."""

    ctx: Context
    url: str
    token: str | None = None
    session: str | None = None
    version: str | None = None
    tools: list[str] = field(default_factory=list)
    next_id: int = 1

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Exchange:
        headers = dict(MCP_HEADERS)
        if self.version:
            headers["MCP-Protocol-Version"] = self.version
        if self.session:
            headers["Mcp-Session-Id"] = self.session
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if not method.startswith("notifications/"):
            self.next_id += 1
            body["id"] = self.next_id
        if method == "initialize":
            body = {**INITIALIZE, "id": self.next_id}
        elif params is not None:
            body["params"] = params
        return await self.ctx.fetch("POST", self.url, headers=headers, json_body=body)

    async def run(self, call_tool: str | None) -> Challenge | Exchange:
        """The conversation until a challenge (returned) or its last answer."""
        from mcpauth_wizard.mcp.client import parse_answer

        plan: list[tuple[str, dict[str, Any] | None]] = [("initialize", None),
                                                         ("notifications/initialized", None),
                                                         ("tools/list", {})]
        if call_tool:
            plan.append(("tools/call", {"name": call_tool, "arguments": {}}))
        last: Exchange | None = None
        self.session = self.version = None  # each run starts afresh (a new token, a new session)
        for method, params in plan:
            answer = await self.request(method, params)
            last = answer
            challenge = bearer_params(answer.headers.get("www-authenticate")) \
                if answer.status in (401, 403) else None
            if challenge is not None:
                return Challenge(challenge, answer.status or 0, method)
            if answer.error or (answer.status or 0) >= 400:
                return answer
            parsed = parse_answer(answer.status or 0, answer.headers, answer.text)
            if method == "initialize":
                self.session = answer.headers.get("mcp-session-id") or self.session
                self.version = str((parsed.result or {}).get("protocolVersion") or INITIALIZE["params"]["protocolVersion"])
            elif method == "tools/list":
                self.tools = [str(t.get("name")) for t in ((parsed.result or {}).get("tools") or [])
                              if isinstance(t, dict)]
        assert last is not None
        return last


async def _first_json(ctx: Context, candidates: list[str]) -> tuple[str, dict[str, Any]] | None:
    """GET each URL in order; the first JSON object answered with 200 (no later URL is asked)."""
    for url in candidates:
        answer = await ctx.fetch("GET", url, limit=METADATA_LIMIT)
        document = answer.json() if answer.status == 200 else None
        if isinstance(document, dict):
            return url, document
    return None


async def discover(ctx: Context, url: str, challenge: Challenge) -> Discovered | Stop:
    prm_urls = prm_candidates(url, challenge.params.get("resource_metadata"))
    found = await _first_json(ctx, prm_urls)
    if found is None:
        legacy = await _as_of_2025_03_26(ctx, url)
        if legacy is not None:
            return legacy
        return Stop("PRM_NOT_FOUND", "no protected-resource metadata at " + ", ".join(prm_urls),
                    "serve /.well-known/oauth-protected-resource (RFC 9728)")
    prm_url, prm = found
    resource = prm.get("resource")
    if not isinstance(resource, str) or not resource_allowed(resource, url):
        return Stop("PRM_RESOURCE_MISMATCH",
                    f"the metadata at {prm_url} names the resource {resource!r}, not {url}: a "
                    "spec-compliant client refuses it and does not sign in (RFC 9728 §3.3)",
                    "make resource equal to the MCP URL clients use", {"metadata": prm})
    servers = prm.get("authorization_servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], str):
        return Stop("PRM_INVALID", f"{prm_url} names no authorization_servers",
                    "return JSON with resource and authorization_servers (RFC 9728 §2)")
    issuer = servers[0]
    try:
        candidates = as_candidates(issuer)
    except ValueError as exc:
        return Stop("PRM_INVALID", f"{prm_url} names an unusable authorization server {issuer!r} ({exc})")
    found = await _first_json(ctx, candidates)
    if found is None:
        return Stop("AS_METADATA_NOT_FOUND", f"no metadata for {issuer} at " + ", ".join(candidates),
                    "check the authorization_servers entry: it must be the issuer")
    metadata_url, metadata = found
    if metadata.get("issuer") != issuer:
        return Stop("AS_ISSUER_MISMATCH", f"the metadata at {metadata_url} names the issuer "
                    f"{metadata.get('issuer')!r}, not {issuer!r}: clients refuse it (RFC 8414 §3.3)",
                    "list the exact issuer in authorization_servers")
    for key in ("authorization_endpoint", "token_endpoint"):
        value = metadata.get(key)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            return Stop("AS_METADATA_NOT_FOUND", f"the metadata at {metadata_url} has no {key}",
                        "the pool needs a login domain")
    return Discovered(prm_url, prm, resource, issuer, metadata_url, metadata)


async def _as_of_2025_03_26(ctx: Context, url: str) -> Discovered | None:
    """A server without protected-resource metadata, as MCP 2025-03-26 had it: the MCP
    server's origin is the authorization server, its RFC 8414 metadata at the origin, else the
    default endpoints /authorize, /token and /register there (2025-03-26 authorization,
    "Fallbacks for servers without metadata discovery"). None when the origin answers
    neither (then PRM_NOT_FOUND stands)."""

    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    metadata_url = f"{origin}/.well-known/oauth-authorization-server"
    answer = await ctx.fetch("GET", metadata_url, limit=METADATA_LIMIT)
    document = answer.json() if answer.status == 200 else None
    if isinstance(document, dict) and isinstance(document.get("authorization_endpoint"), str) \
            and isinstance(document.get("token_endpoint"), str):
        metadata = document
    elif answer.status == 404:
        metadata = {"issuer": origin, "authorization_endpoint": f"{origin}/authorize",
                    "token_endpoint": f"{origin}/token", "registration_endpoint": f"{origin}/register"}
        metadata_url = f"{origin} (2025-03-26 default endpoints)"
    else:
        return None
    return Discovered(f"none (MCP 2025-03-26: {origin} is the authorization server)", {}, url,
                      str(metadata.get("issuer") or origin), metadata_url, metadata)


def select_scope(challenge: Challenge, prm: dict[str, Any]) -> tuple[str | None, str]:
    """(scope, why) by the MCP scope selection strategy: the challenge's scope, else every
    scopes_supported of the protected-resource metadata, else none."""
    if challenge.scope:
        return challenge.scope, "from the WWW-Authenticate challenge"
    supported = prm.get("scopes_supported")
    if isinstance(supported, list) and supported and all(isinstance(s, str) for s in supported):
        return " ".join(supported), "all scopes_supported of the protected-resource metadata"
    return None, "none: neither the challenge nor the metadata names a scope"


def step_up_scope(current: str | None, challenge: Challenge) -> str | None:
    """The scopes to ask for after a 403 insufficient_scope: what we had plus what it names."""
    wanted = (current or "").split() + (challenge.scope or "").split()
    return " ".join(dict.fromkeys(wanted)) or None
