"""A FastMCP-style OAuth proxy in front of Cognito: recognised, its upstream Cognito client
checked, and the state probe.

The proxy is the authorization server MCP clients see (its metadata names the MCP server's
own origin), and signs users in through one confidential Cognito app client whose only
callback is `<base_url>/auth/callback`. Between the authorize request and that callback it
keeps a transaction (keyed by the `state` it sends to Cognito). Where that state lives per
instance (FastMCP's default store on Lambda), a callback answered by another instance finds
no transaction, and the sign-in fails now and then.

The state probe starts N authorizations at once (a throwaway client registered at the
proxy if needed), then answers each at `<base_url>/auth/callback` with its own state and a
bogus code. An instance that knows the transaction tries the code (and fails: "code
exchange failed") or checks the browser's consent cookie; one that does not says the
transaction is unknown or expired. No sign-in completes; no password is needed.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from mcpauth_wizard.doctor.context import Context, Exchange
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.runner import Outcome, Skip, Step
from mcpauth_wizard.mcp.fastmcp_proxy import (
    CALLBACK_PATH,
    PROXY_SCOPES,
    page_message,
    proxy_callback,
)

DEFAULT_PROBES = 8
PROBE_REDIRECT = "http://localhost:33418/callback"  # never listened on: nothing comes back
FIX = ("keep the proxy's OAuth state where every instance finds it: the DynamoDB store of "
       "`mcpauth scaffold fastmcp-lambda` (oauth_state.py), or client_storage=<a shared "
       "store> on the provider (Redis, DynamoDB); never FastMCP's default on Lambda")

Answer = Literal["found", "lost", "client_lost", "other"]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def proxy_base_url(ctx: Context) -> str | None:
    """The proxy's base URL when the authorization server is the MCP server's own origin."""
    issuer = ctx.facts.get("issuer")
    document = ctx.facts.get("as") or {}
    if not isinstance(issuer, str) or _origin(issuer) != _origin(ctx.target.url):
        return None
    # The proxy's issuer is its base URL, under which the MCP endpoint lives; an authorization
    # server that merely shares the origin (a pool's issuer path, as in the sandbox) is not one.
    base_path, mcp_path = urlsplit(issuer).path.rstrip("/"), urlsplit(ctx.target.url).path
    if base_path and mcp_path != base_path and not mcp_path.startswith(base_path + "/"):
        return None
    if not isinstance(document.get("authorization_endpoint"), str):
        return None
    return (ctx.target.proxy_base_url or issuer).rstrip("/")


def _own_endpoint(ctx: Context, key: str) -> str | None:
    """An endpoint of the proxy's metadata, only when it is on the MCP server's origin (a
    lying metadata document does not send the probe elsewhere)."""
    value = (ctx.facts.get("as") or {}).get(key)
    if isinstance(value, str) and _origin(value) == _origin(ctx.target.url):
        return value
    return None


async def recognise(ctx: Context) -> Outcome:
    base = proxy_base_url(ctx)
    if base is None:
        raise Skip("the authorization server is not on the MCP server's origin: no OAuth proxy")
    ctx.facts["proxy_base_url"] = base
    document = ctx.facts["as"]
    methods = document.get("code_challenge_methods_supported") or []
    s256 = "S256" in methods if isinstance(methods, list) else False
    registration = bool(document.get("registration_endpoint"))
    # AS_NO_S256 / AS_NO_REGISTRATION come from the discovery step; this one says what it is.
    return Outcome(note=f"an OAuth proxy at {base} (S256: {'yes' if s256 else 'no'}, "
                        f"registration: {'yes' if registration else 'no'}); its Cognito callback "
                        f"must be {proxy_callback(base)}")


@dataclass(frozen=True)
class Probe:
    """One authorization the probe started, and how the callback was answered."""

    started: Exchange
    transaction: str | None = None
    callback: Exchange | None = None
    answer: Answer = "other"


def transaction_of(answer: Exchange) -> str | None:
    """The proxy's transaction id: `txn_id` of its consent page, or the `state` it sends on."""
    if answer.status not in (302, 303, 307) or not answer.location:
        return None
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer.location).query).items()}
    if "error" in query:
        return None
    return query.get("txn_id") or (query.get("state") if not answer.location.startswith(PROBE_REDIRECT)
                                   else None)


def classify_callback(answer: Exchange) -> Answer:
    """What the instance that took the callback knew (FastMCP's error pages, oauth_proxy)."""
    text = answer.text.lower()
    if answer.error or answer.status is None:
        return "other"
    if "invalid or expired" in text or "expired authorization transaction" in text \
            or "unknown transaction" in text:
        return "lost"
    if "token exchange" in text or "session mismatch" in text or "invalid authorization flow" in text \
            or answer.status in (302, 303):
        return "found"
    return "other"


def _client_unknown(answer: Exchange) -> bool:
    text = answer.text.lower()
    return answer.status == 400 and "client" in text and any(
        word in text for word in ("not found", "not registered", "invalid_client"))


async def _register(ctx: Context) -> str | None:
    """A throwaway public client at the proxy (no secret is sent, none is kept)."""
    url = _own_endpoint(ctx, "registration_endpoint")
    if url is None:
        return ctx.target.proxy_client  # FastMCP accepts its upstream client id without DCR
    answer = await ctx.fetch("POST", url, json_body={
        "client_name": "mcpauth doctor state probe", "redirect_uris": [PROBE_REDIRECT],
        "grant_types": ["authorization_code"], "response_types": ["code"],
        "token_endpoint_auth_method": "none"})
    body = answer.json()
    if answer.status in (200, 201) and isinstance(body, dict) and isinstance(body.get("client_id"), str):
        return str(body["client_id"])
    return None


async def _one(ctx: Context, authorize_url: str, client_id: str, base: str) -> Probe:
    from mcpauth_wizard.oauth.signin import ClientCredentials, authorization_request

    request = authorization_request(authorize_url, ClientCredentials(client_id), PROBE_REDIRECT,
                                    None, resource=ctx.target.url)
    started = await ctx.fetch("GET", request.url)
    if _client_unknown(started):
        return Probe(started, answer="client_lost")
    transaction = transaction_of(started)
    if transaction is None:
        return Probe(started)
    bogus = "mcpauth-doctor-" + secrets.token_urlsafe(8)
    callback = await ctx.fetch("GET", f"{base}{CALLBACK_PATH}?" + urlencode(
        {"code": bogus, "state": transaction}))
    return Probe(started, transaction, callback, classify_callback(callback))


def _describe(probe: Probe) -> str:
    if probe.answer == "client_lost":
        return "client unknown at authorize"
    if probe.callback is None:
        location = urljoin(probe.started.url, probe.started.location or "")
        return f"authorize answered {probe.started.status or probe.started.error} {location[:80]}".strip()
    what = {"lost": "unknown / expired transaction", "other": "unexpected answer",
            "found": "transaction found, " + ("consent cookie checked" if probe.callback.status == 403
                                              else "code exchange failed")}[probe.answer]
    return f"callback {probe.callback.status}: {what}"


def _says(answer: Exchange) -> dict[str, Any]:
    return {"request": f"{answer.method} {answer.url}", "status": answer.status,
            "says": page_message(answer.text)}


async def state_probe(ctx: Context) -> Outcome:
    count = ctx.target.state_probes
    if count <= 0:
        raise Skip("--no-state-probe")
    base = ctx.facts.get("proxy_base_url")
    authorize_url = _own_endpoint(ctx, "authorization_endpoint")
    if not base or not authorize_url:
        raise Skip("no OAuth proxy on the MCP server's origin")
    client_id = await _register(ctx)
    if client_id is None:
        raise Skip("the proxy offers no registration and no client id is known (pass --client-id)")
    probes = await asyncio.gather(*(_one(ctx, authorize_url, client_id, base) for _ in range(count)))
    tally: dict[str, int] = {}
    for probe in probes:
        tally[probe.answer] = tally.get(probe.answer, 0) + 1
    lost = tally.get("lost", 0) + tally.get("client_lost", 0)
    found = tally.get("found", 0)
    evidence: dict[str, Any] = {"authorizations": count, "answers": [_describe(p) for p in probes]}
    if lost:  # a transaction begun a moment ago and unknown now: state is not where it was left
        example = next((p for p in probes if p.answer == "lost"), None) or next(
            p for p in probes if p.answer == "client_lost")
        evidence["example"] = _says(example.callback or example.started)
        parts = []
        if tally.get("lost"):
            parts.append(f"{tally['lost']} callback(s) found no transaction")
        if tally.get("client_lost"):
            parts.append(f"{tally['client_lost']} authorize request(s) did not know the client just "
                         "registered")
        return Outcome([Finding(
            "PROXY_STATE_NOT_SHARED",
            f"{lost} of {count} sign-ins started at the proxy would fail ({'; '.join(parts)}): the "
            "proxy keeps its OAuth state per instance, so a sign-in fails whenever another "
            "instance answers its next step. This is the root cause of intermittent sign-in "
            "failures (\"Invalid or expired authorization transaction\")",
            evidence=evidence, fix=FIX)], note=f"{found} of {count} found where they finished")
    if found == count:
        return Outcome(note=f"{count} of {count} authorizations found at the callback (bogus code, "
                            "no sign-in completed): state is shared")
    return Outcome(note="inconclusive: " + "; ".join(sorted(set(evidence["answers"])))[:300])


async def upstream_client(ctx: Context) -> Outcome:
    """The proxy's Cognito app client: exactly <base_url>/auth/callback, a secret, the code
    grant, the scopes the proxy asks for, a login page."""
    from mcpauth_wizard.core.errors import NotFound
    from mcpauth_wizard.doctor.aws_checks import _call, _need_aws
    from mcpauth_wizard.oauth.redirects import near_misses

    aws = _need_aws(ctx)
    client_id, pool_id = ctx.target.proxy_client, ctx.target.pool_id
    if not client_id or not pool_id:
        raise Skip("no proxy client id or user pool id (mcpauth.toml [proxy], or --client-id)")
    from mcpauth_wizard.aws import app_clients

    try:
        described = await _call(app_clients.describe_client, aws, pool_id, client_id)
    except NotFound:
        return Outcome([Finding("COGNITO_CLIENT_NOT_FOUND", f"the proxy's app client {client_id} is "
                                f"not in {pool_id}", fix="check COGNITO_CLIENT_ID, or `mcpauth init`")])
    findings: list[Finding] = []

    def add(code: str, message: str, fix: str, **evidence: Any) -> None:
        findings.append(Finding(code, message, fix=fix, evidence=evidence))

    base = ctx.target.proxy_base_url or ctx.facts.get("proxy_base_url")
    registered = described.get("CallbackURLs") or []
    if base:
        wanted = proxy_callback(base)
        if wanted not in registered:
            add("COGNITO_CALLBACK_MISSING", f"{wanted} is not a callback URL of the proxy's app client "
                f"{client_id}: every sign-in ends in redirect_mismatch",
                f"`mcpauth init --base-url {base}`", CallbackURLs=registered)
        for miss in near_misses([wanted], registered):
            add("COGNITO_CALLBACK_NEAR_MISS", miss.describe() + " (Cognito matches exactly)",
                f"`mcpauth init --base-url {base}`", registered=miss.registered)
    if not (described.get("ClientSecret") or described.get("ClientSecretArn")):
        add("TOKEN_CLIENT_AUTH_FAILED", f"the proxy's app client {client_id} has no secret: FastMCP's "
            "proxy authenticates with one, and Cognito refuses a secret from a public client",
            "make a confidential client (`mcpauth init --server fastmcp-proxy`)")
    flows = described.get("AllowedOAuthFlows") or []
    if not described.get("AllowedOAuthFlowsUserPoolClient") or "code" not in flows:
        add("COGNITO_CLIENT_NO_CODE_FLOW", f"the proxy's app client {client_id} does not allow the "
            "code grant", "`mcpauth init --server fastmcp-proxy`", AllowedOAuthFlows=flows)
    allowed = described.get("AllowedOAuthScopes") or []
    for scope in PROXY_SCOPES:
        if scope not in allowed:
            add("COGNITO_SCOPE_NOT_ALLOWED", f"the proxy asks Cognito for {scope!r}, which app client "
                f"{client_id} may not request: invalid_scope", "`mcpauth init --server fastmcp-proxy`",
                AllowedOAuthScopes=allowed)
    if not described.get("SupportedIdentityProviders"):
        add("COGNITO_CLIENT_NO_IDP", f"the proxy's app client {client_id} has no identity provider: "
            "no login page", "`mcpauth doctor --fix` (adds COGNITO)")
    await ctx.after("aws.pool")
    if (ctx.facts.get("domain") or {}).get("ManagedLoginVersion") == 2 \
            and await _call(app_clients.branding_of, aws, pool_id, client_id) is None:
        add("COGNITO_BRANDING_MISSING", f"the proxy's app client {client_id} has no managed login "
            "style: its login page is 'Login pages unavailable'", "`mcpauth doctor --fix`")
    return Outcome(findings, note=f"{described.get('ClientName')} ({client_id})")


def steps(ctx: Context) -> list[Step]:
    found = [
        Step("proxy.recognise", "OAuth proxy on the MCP server's origin", recognise,
             needs=("discovery.authorization_server",)),
        Step("proxy.state", "The proxy finds its sign-ins on every instance (state probe)",
             state_probe, needs=("proxy.recognise",),
             preview=lambda c: f"{c.target.state_probes}× GET authorize (parallel), then GET "
                               f"{c.facts.get('proxy_base_url', '?')}{CALLBACK_PATH}?state=…&code=<bogus>"),
    ]
    if ctx.target.proxy_client:
        found.append(Step("aws.proxy_client", "The proxy's Cognito app client", upstream_client,
                          needs=("proxy.recognise",) if not ctx.target.proxy_base_url else (),
                          preview=lambda c: f"DescribeUserPoolClient {c.target.proxy_client}"))
    return found
