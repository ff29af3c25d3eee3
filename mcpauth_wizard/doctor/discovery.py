"""Phase 2: discovery exactly as an MCP client does it (MCP 2025-11-25 authorization):
the 401 challenge, protected-resource metadata (RFC 9728), authorization server metadata
(RFC 8414 / OpenID Connect Discovery) and the signing keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mcpauth_wizard.doctor.bounds import METADATA_LIMIT
from mcpauth_wizard.doctor.challenge import bearer_params
from mcpauth_wizard.doctor.context import Context, Exchange
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.runner import Outcome, Skip, Step
from mcpauth_wizard.mcp.client import PROTOCOL_VERSION
from mcpauth_wizard.oauth.metadata import (  # noqa: F401
    STRICTEST,
    as_candidates,
    prm_candidates,
    resource_allowed,
)

BROWSER_ORIGIN = "http://localhost:6274"  # Inspector's origin: what a browser client sends
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": PROTOCOL_VERSION, "capabilities": {},
    "clientInfo": {"name": "mcpauth-doctor", "version": "0.1"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "MCP-Protocol-Version": PROTOCOL_VERSION}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def endpoint(ctx: Context, key: str) -> str | None:
    """An endpoint URL from the authorization server metadata, only if it is one."""
    value = (ctx.facts.get("as") or {}).get(key)
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return None


def is_http_url(value: object) -> bool:
    """An absolute http(s) URL with a host that can be requested (IDNA-valid)."""
    import httpx

    if not isinstance(value, str):
        return False
    try:
        parsed = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


async def _first_ok(ctx: Context, candidates: list[str], ok: Callable[[Exchange], bool],
                    in_order: bool = False) -> tuple[list[Exchange], tuple[str, Exchange] | None]:
    """Fetch every candidate at once (browser Origin, for CORS), or one by one until a good
    one answers (`in_order`, as clients do); the first good one in order."""
    if in_order:
        answers: list[Exchange] = []
        for u in candidates:
            answers.append(await ctx.fetch("GET", u, headers={"Origin": BROWSER_ORIGIN}, limit=METADATA_LIMIT))
            if ok(answers[-1]):
                return answers, (u, answers[-1])
        return answers, None
    answers = list(await asyncio.gather(*(ctx.fetch("GET", u, headers={"Origin": BROWSER_ORIGIN}, limit=METADATA_LIMIT)
                                          for u in candidates)))
    chosen = next(((u, a) for u, a in zip(candidates, answers, strict=True) if ok(a)), None)
    return answers, chosen


def _cors_missing(ctx: Context, url: str, answer: Exchange, what: str,
                  evidence: dict[str, Any]) -> Finding | None:
    """CORS_MISSING when a metadata answer to the browser Origin has no
    Access-Control-Allow-Origin (or one for another origin): the clients whose registry fact
    says they fetch it from a web page cannot read it. Noted in ctx.facts["cors_missing"]
    for the per-platform predictions."""
    allowed = answer.headers.get("access-control-allow-origin")
    if allowed is not None and allowed.strip() in ("*", BROWSER_ORIGIN):
        return None
    ctx.facts.setdefault("cors_missing", []).append(what)
    from mcpauth_wizard.mcp.platforms import PLATFORMS, UNKNOWN

    readers = [f"{p.title} {p.behaviour.metadata_from_page.value}" for p in PLATFORMS.values()
               if p.behaviour.metadata_from_page.value not in (False, "no", UNKNOWN)]
    sent = "no Access-Control-Allow-Origin" if allowed is None else \
        f"Access-Control-Allow-Origin {allowed!r}, not for {BROWSER_ORIGIN}"
    return Finding("CORS_MISSING", f"the {what} {url} answered a browser's request with {sent}: "
                   f"clients that fetch it from a web page ({', '.join(readers) or 'none known'}) "
                   "cannot read it ('Failed to fetch')", evidence=evidence,
                   fix="send Access-Control-Allow-Origin on the metadata (Cognito and AgentCore "
                       "have no setting for it); or use a client that does not fetch from a page")


async def challenge(ctx: Context) -> Outcome:
    url = ctx.target.url
    # Start the first metadata fetch now, in parallel with the challenge: the path-inserted
    # well-known URL. Not the root one: clients ask for it only when the others fail, and
    # servers may count such a request against them (the MCP conformance suite does).
    ctx.fetch("GET", prm_candidates(url, None)[0], headers={"Origin": BROWSER_ORIGIN}, limit=METADATA_LIMIT)
    if ctx.target.gateway_id and url.endswith("/mcp"):
        # An AgentCore gateway names its metadata beside its /mcp (the host's root on AWS,
        # https://<id>.gateway.bedrock-agentcore.<region>.amazonaws.com/.well-known/oauth-
        # protected-resource, per the AgentCore guide's inbound-auth page; the sandbox's
        # /gateways/<id>/ stands for that host): fetched now, the next step joins it, and the
        # critical path loses a round trip. Only for a gateway the user named (AWS or their
        # mcpauth.toml), never a guess about someone else's server.
        ctx.fetch("GET", url.removesuffix("/mcp") + "/.well-known/oauth-protected-resource",
                  headers={"Origin": BROWSER_ORIGIN}, limit=METADATA_LIMIT)
    answer = await ctx.fetch("POST", url, headers=MCP_HEADERS, json_body=INITIALIZE)
    ctx.facts["challenge"] = answer
    evidence = answer.evidence(ctx.secret_values)
    if answer.error:
        ctx.facts["unreachable"] = True
        return Outcome([Finding("MCP_UNREACHABLE", f"cannot reach {url}: {answer.error}",
                                evidence=evidence, fix="check the URL, DNS and that the server is running")])
    if answer.status == 200:
        return Outcome([Finding("MCP_NOT_PROTECTED", f"{url} answers initialize without a token",
                                evidence=evidence,
                                fix="put an authorizer in front (e.g. `mcpauth init` for a gateway)")])
    bearer = bearer_params(answer.headers.get("www-authenticate"))
    remapped = bearer_params(answer.headers.get("x-amzn-remapped-www-authenticate"))
    if bearer is None and remapped is not None and answer.status in (401, 403):
        # API Gateway renamed the backend's challenge: clients see none. The doctor reads
        # the renamed one so the checks behind it still run.
        ctx.facts["bearer"] = remapped
        ctx.facts["challenge_scope"] = remapped.get("scope")
        return Outcome([Finding("MCP_CHALLENGE_REMAPPED",
                                f"{url} answered {answer.status} without WWW-Authenticate; the challenge "
                                "arrived as x-amzn-remapped-www-authenticate (API Gateway renames it), "
                                "so MCP clients never start sign-in", evidence=evidence,
                                fix="return WWW-Authenticate from API Gateway: a gateway response or "
                                    "integration response header mapping "
                                    "(method.response.header.WWW-Authenticate = "
                                    "integration.response.header.WWW-Authenticate), or serve the "
                                    "MCP server from a Lambda Function URL")])
    ctx.facts["bearer"] = bearer
    if answer.status not in (401, 403) or bearer is None:
        return Outcome([Finding("MCP_NO_CHALLENGE",
                                f"{url} answered {answer.status} without a Bearer challenge; MCP clients "
                                "start sign-in only on 401 + WWW-Authenticate: Bearer",
                                evidence=evidence,
                                fix="answer unauthenticated requests with 401 and a Bearer challenge")])
    ctx.facts["challenge_scope"] = bearer.get("scope")
    if not bearer.get("resource_metadata"):
        return Outcome([Finding("MCP_NO_RESOURCE_METADATA",
                                "the 401 challenge has no resource_metadata; clients fall back to the "
                                "well-known URL (MCP Inspector v1 only uses that)", evidence=evidence,
                                fix="add resource_metadata=\"…/.well-known/oauth-protected-resource\"")],
                       note=f"{answer.status} with a Bearer challenge")
    return Outcome(note=f"{answer.status} with a Bearer challenge")


async def protected_resource(ctx: Context) -> Outcome:
    if ctx.facts.get("unreachable") or "bearer" not in ctx.facts:
        raise Skip("no Bearer challenge to follow")
    header_url = (ctx.facts.get("bearer") or {}).get("resource_metadata")
    candidates = prm_candidates(ctx.target.url, header_url)
    answers, chosen = await _first_ok(ctx, candidates, lambda a: a.status == 200, in_order=True)
    findings: list[Finding] = []
    if chosen is None:
        return Outcome([Finding("PRM_NOT_FOUND", "no protected-resource metadata at "
                                + ", ".join(candidates),
                                evidence={"tried": [a.evidence() for a in answers]},
                                fix="serve /.well-known/oauth-protected-resource (RFC 9728)")])
    url, answer = chosen
    if header_url and url != header_url:
        # Clients use the challenge's URL first, and those that follow the specification stop there.
        first = answers[0]
        findings.append(Finding("PRM_NOT_FOUND",
                                f"the challenge's resource_metadata {header_url} answered "
                                f"{first.status or first.error}; {url} answered instead, but clients "
                                "that follow the MCP specification stop at the challenge's URL",
                                evidence={"resource_metadata": first.evidence(), "answered": url},
                                fix=f"make resource_metadata name {url}, or serve the metadata at "
                                    f"{header_url}"))
    evidence = answer.evidence(ctx.secret_values)
    if answer.error:
        return Outcome([*findings, Finding("PRM_INVALID", f"{url}: {answer.error}", evidence=evidence,
                                           fix="serve small JSON metadata (RFC 9728 §2)")])
    document = answer.json()
    servers = document.get("authorization_servers") if isinstance(document, dict) else None
    if not isinstance(document, dict) or not isinstance(servers, list) or not servers \
            or not all(isinstance(s, str) for s in servers):
        return Outcome([*findings, Finding("PRM_INVALID", f"{url} is not protected-resource metadata "
                                           "with authorization_servers", evidence=evidence,
                                           fix="return JSON with resource and authorization_servers (RFC 9728 §2)")])
    bad = [s for s in servers if not is_http_url(s)]
    if bad:
        return Outcome([*findings, Finding("PRM_INVALID", f"{url}: authorization_servers holds "
                                           f"{', '.join(map(repr, bad))}, which is not an http(s) URL",
                                           evidence=evidence,
                                           fix="list the authorization server's issuer URL (https://…)")])
    ctx.facts["prm"] = document
    ctx.facts["issuer"] = servers[0]
    for candidate in as_candidates(servers[0]):  # prefetch the next step's requests
        ctx.fetch("GET", candidate, headers={"Origin": BROWSER_ORIGIN}, limit=METADATA_LIMIT)
    resource = document.get("resource")
    if not isinstance(resource, str) or not resource_allowed(resource, ctx.target.url):
        findings.append(Finding("PRM_RESOURCE_MISMATCH",
                                f"the metadata's resource {resource!r} is not the URL {ctx.target.url} "
                                f"(nor a path ancestor of it): {STRICTEST} refuses it (RFC 9728 §3.3: "
                                "identical), and tokens are bound to it",
                                evidence=evidence,
                                fix="make resource equal to the MCP URL clients use"))
    supported = document.get("scopes_supported")
    if not isinstance(supported, list) or not all(isinstance(s, str) for s in supported):
        supported = []
    scopes = ctx.facts.get("challenge_scope") or " ".join(supported)
    ctx.facts["scope_request"] = scopes or None
    if not scopes:
        findings.append(Finding("PRM_NO_SCOPES",
                                "neither the challenge nor the metadata names a scope, so clients "
                                "request none (or the authorization server's list, which Cognito "
                                "may refuse) and tokens lack the resource scope",
                                evidence=evidence,
                                fix="advertise the scope: scopes_supported / scope= in the challenge "
                                    "(for a gateway: `mcpauth init --gateway-allowed-scopes`)"))
    cors = _cors_missing(ctx, url, answer, "protected-resource metadata", evidence)
    if cors is not None:
        findings.append(cors)
    host = urlsplit(servers[0]).hostname or ""
    if ".auth." in host and host.endswith(".amazoncognito.com"):
        findings.append(Finding("AS_HOSTED_DOMAIN_AS_ISSUER",
                                f"authorization_servers names the Cognito login domain {servers[0]}; "
                                "the issuer is https://cognito-idp.<region>.amazonaws.com/<poolId>",
                                evidence=evidence, fix="list the pool's issuer URL instead"))
    return Outcome(findings, note=f"from {url}")


async def authorization_server(ctx: Context) -> Outcome:
    issuer = ctx.facts.get("issuer")
    if not issuer:
        raise Skip("no authorization server named by the metadata")
    candidates = as_candidates(issuer)
    answers, chosen = await _first_ok(ctx, candidates,
                                      lambda a: a.status == 200 and isinstance(a.json(), dict))
    if chosen is None:
        return Outcome([Finding("AS_METADATA_NOT_FOUND", f"no metadata for {issuer} at "
                                + ", ".join(candidates),
                                evidence={"tried": [a.evidence() for a in answers]},
                                fix="check the authorization_servers entry: it must be the issuer")])
    url, answer = chosen
    document: dict[str, Any] = answer.json()
    ctx.facts["as"] = document
    evidence = answer.evidence(ctx.secret_values)
    findings = []
    if document.get("jwks_uri"):
        ctx.fetch("GET", str(document["jwks_uri"]), limit=METADATA_LIMIT)  # prefetch for the keys step
    if document.get("issuer") != issuer:
        findings.append(Finding("AS_ISSUER_MISMATCH",
                                f"metadata issuer {document.get('issuer')!r} differs from {issuer!r}; "
                                "clients must refuse it (RFC 8414 §3.3)", evidence=evidence,
                                fix="list the exact issuer in authorization_servers"))
    methods = document.get("code_challenge_methods_supported")
    if not isinstance(methods, list) or "S256" not in methods:
        findings.append(Finding("AS_NO_S256",
                                "the metadata does not advertise PKCE S256 "
                                "(code_challenge_methods_supported); strict MCP clients refuse such "
                                "a server (Cognito's discovery never lists it)", evidence=evidence,
                                fix="nothing to set in Cognito: strict clients need a proxy that "
                                    "serves its own metadata (e.g. `mcpauth scaffold fastmcp-lambda`)"))
    if not document.get("registration_endpoint") and not document.get(
            "client_id_metadata_document_supported"):
        findings.append(Finding("AS_NO_REGISTRATION",
                                "no dynamic registration nor client ID metadata documents: each client "
                                "needs a pre-registered client id (what `mcpauth init` makes)",
                                evidence=evidence))
    cors = _cors_missing(ctx, url, answer, "authorization server metadata", evidence)
    if cors is not None:
        findings.append(cors)
    for key in ("authorization_endpoint", "token_endpoint"):
        if endpoint(ctx, key) is None:
            findings.append(Finding("AS_METADATA_NOT_FOUND", f"the metadata at {url} has no {key}",
                                    evidence=evidence, fix="the pool needs a login domain"))
    return Outcome(findings, note=f"from {url}")


async def signing_keys(ctx: Context) -> Outcome:
    document = ctx.facts.get("as")
    if not document:
        raise Skip("no authorization server metadata")
    url = document.get("jwks_uri")
    if not isinstance(url, str) and ctx.facts.get("issuer", "").startswith(_origin_of(ctx.target.url)):
        raise Skip("an OAuth proxy on the MCP server's origin: its tokens are its own (no jwks_uri)")
    if not isinstance(url, str):
        return Outcome([Finding("JWKS_UNREACHABLE", "the metadata has no jwks_uri",
                                fix="publish the signing keys")])
    answer = await ctx.fetch("GET", url, limit=METADATA_LIMIT)
    if answer.status != 200:
        return Outcome([Finding("JWKS_UNREACHABLE", f"{url} answered {answer.status or answer.error}",
                                evidence=answer.evidence())])
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    document = answer.json()
    try:
        if not isinstance(document, dict):
            raise TypeError(f"a {type(document).__name__}, not a JSON object")
        keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:  # what joserfc raises for keys it cannot use
        return Outcome([Finding("JWKS_INVALID", f"{url} is not a usable JWK set ({type(exc).__name__})",
                                evidence=answer.evidence())])
    ctx.facts["jwks"] = keys
    from mcpauth_wizard.core.console import count

    return Outcome(note=count(len(keys.keys), "key"))


def steps() -> list[Step]:
    return [
        Step("discovery.challenge", "MCP server asks for a token (401 + Bearer challenge)", challenge,
             preview=lambda c: f"POST {c.target.url}  initialize, no Authorization header"),
        Step("discovery.protected_resource", "Protected resource metadata (RFC 9728)",
             protected_resource, needs=("discovery.challenge",),
             preview=lambda c: "GET " + " | ".join(prm_candidates(
                 c.target.url, (c.facts.get("bearer") or {}).get("resource_metadata")))),
        Step("discovery.authorization_server", "Authorization server metadata",
             authorization_server, needs=("discovery.protected_resource",),
             preview=lambda c: "GET " + " | ".join(as_candidates(c.facts.get("issuer") or "?"))),
        Step("discovery.jwks", "Signing keys (JWKS)", signing_keys,
             needs=("discovery.authorization_server",),
             preview=lambda c: f"GET {(c.facts.get('as') or {}).get('jwks_uri', '?')}"),
    ]
