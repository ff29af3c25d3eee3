"""`mcpauth init --server fastmcp-proxy`: the Cognito side of FastMCP's OAuth proxy.

The proxy signs every user in through one confidential app client (code grant, the
scopes it asks for, callback exactly `<base_url>/auth/callback`); MCP clients register
with the proxy, so no per-platform Cognito client is made. It forwards the client's
`resource` (the MCP URL, `<base_url>/mcp`) to Cognito, so the pool gets a resource server
with that identifier. The base URL may be unknown until the first deploy: then the client
is made without OAuth flows (Cognito refuses the code grant without a callback URL) and
`mcpauth init --base-url URL` later adds the callback, the code grant and the resource
server.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.core.project import PROXY_CLIENT, PROXY_KIND, Project
from mcpauth_wizard.mcp.fastmcp_proxy import PROXY_SCOPES, proxy_callback
from mcpauth_wizard.mcp.platforms import PLATFORMS
from mcpauth_wizard.provision.handoff import Handoff, HandoffField
from mcpauth_wizard.provision.spec import ClientSpec, Spec, normalize_mcp_url

SERVER_KINDS = ("gateway", "url", PROXY_KIND)
_PLACEHOLDER_URL = "https://base-url.invalid/mcp"  # lets the wizard run; never reaches AWS
_NOT_FOR_A_PROXY = {"gateway_id": "--gateway-id", "mcp_url": "--mcp-url", "platforms": "--platform",
                    "ports": "--port", "shared_client": "--shared-client", "public": "--public",
                    "secret": "--secret", "gateway_allowed_scopes": "--gateway-allowed-scopes"}


def is_proxy_init(answers: dict[str, Any], project: Project) -> bool:
    server = answers.get("server")
    if server is not None and server not in SERVER_KINDS:
        raise BadInput(f"unknown server kind {server!r}; accepted: {', '.join(SERVER_KINDS)}")
    if server is None and answers.get("base_url") and not project.is_proxy:
        raise BadInput("--base-url is for an OAuth proxy: pass --server fastmcp-proxy")
    return server == PROXY_KIND or (server is None and project.is_proxy)


def check_base_url(url: str) -> str:
    """The proxy's public base URL (https, or http on loopback), without a trailing slash."""
    checked, _ = normalize_mcp_url(url, gateway=False)
    if "?" in checked:
        raise BadInput(f"invalid base URL {url!r}; accepted: https://host[/path] without a query")
    return checked.rstrip("/")


def wizard_answers(answers: dict[str, Any], project: Project) -> tuple[dict[str, Any], str | None]:
    """The answers the wizard needs for the pool, domain and passkeys (what it shares with
    any setup), and the base URL. A re-run takes the pool from mcpauth.toml."""
    given = [flag for key, flag in _NOT_FOR_A_PROXY.items() if answers.get(key)]
    if given:
        raise BadInput(f"{', '.join(given)} do not apply to --server fastmcp-proxy: MCP clients "
                       "register with the proxy; accepted: --base-url and the pool options")
    raw = answers.get("base_url") or project.base_url
    base = check_base_url(raw) if raw else None
    a = {k: v for k, v in answers.items() if k not in ("server", "base_url")}
    if not a.get("pool_id") and not a.get("new_pool") and project.user_pool_id:
        a["pool_id"] = project.user_pool_id
    a.update(mcp_url=f"{base}/mcp" if base else _PLACEHOLDER_URL, platforms=["inspector"],
             secret=["inspector"], public=[], scopes=a.get("scopes") or list(project.scopes) or ["invoke"])
    a.setdefault("user_scopes", [])
    return a, base


def proxy_spec(spec: Spec, base_url: str | None) -> Spec:
    """The wizard's spec with one confidential proxy client instead of per-platform ones."""
    client = ClientSpec(key=PROXY_CLIENT, platforms=(), secret=True,
                        callback_urls=(proxy_callback(base_url),) if base_url else (),
                        scopes=(*PROXY_SCOPES, *spec.user_scopes))
    warnings = [w for w in spec.warnings if "base-url.invalid" not in w]
    if not base_url:
        warnings.append("no --base-url yet: the proxy's app client is made without a callback "
                        "(and so without the code grant); after the first deploy run "
                        "`mcpauth init --base-url <FunctionUrl>`")
    # The answers to print or save: the proxy's, not the stand-ins given to the wizard.
    answers = {k: v for k, v in spec.answers.items() if k not in ("mcp_url", *_NOT_FOR_A_PROXY)}
    answers = {"server": PROXY_KIND, **({"base_url": base_url} if base_url else {}), **answers}
    return replace(spec, mcp_url=f"{base_url}/mcp" if base_url else "", clients=(client,),
                   gateway_id=None, gateway_allowed_scopes=False, warnings=tuple(warnings),
                   answers=answers)


def proxy_project(project: Project, base_url: str | None) -> Project:
    return replace(project, server_kind=PROXY_KIND, base_url=base_url or project.base_url,
                   gateway_id=None)


def proxy_handoffs(project: Project) -> list[Handoff]:
    """What each platform needs with a proxy: the MCP URL only (it registers with the proxy),
    or that it cannot (per the registry, the platform does not register by itself)."""
    url = project.resource_url or (f"{project.base_url}/mcp" if project.base_url else
                                   "<base_url>/mcp (after the first deploy)")
    found = []
    for platform in PLATFORMS.values():
        if platform.name == "doctor":
            continue
        if "DCR" in platform.registration_kinds:  # the proxy offers DCR to every client
            fields = (HandoffField("MCP server URL", url),
                      HandoffField("Sign-in", "nothing else: it registers with the proxy (DCR)"))
        else:
            fields = (HandoffField("MCP server URL", url),
                      HandoffField("Sign-in", f"cannot register with the proxy by itself (registry: "
                                   f"{platform.registration}); use a gateway setup for it"))
        found.append(Handoff(platform.name, platform.title, "", fields))
    return found


def base_url_help(project: Project) -> str | None:
    """What to do next when the base URL is still unknown."""
    if project.base_url:
        return None
    return ("Next: `mcpauth scaffold fastmcp-lambda` and deploy it; then `mcpauth init "
            "--base-url <FunctionUrl>` adds <FunctionUrl>/auth/callback to the proxy's client.")
