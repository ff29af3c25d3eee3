"""Phase 5: validate the access token against what the server or gateway requires, then
call the server with it (server/discover or initialize, then tools/list)."""

from __future__ import annotations

import time
from typing import Any

from mcpauth_wizard.core.redact import jwt_claims, redact_jwt
from mcpauth_wizard.doctor.context import Context
from mcpauth_wizard.doctor.discovery import INITIALIZE, MCP_HEADERS
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.runner import Outcome, Skip, Step


def _token(ctx: Context) -> str:
    token = ctx.facts.get("access_token") or ctx.target.token
    if not token:
        raise Skip("no token (--login or --token-env)")
    return str(token)


async def validate(ctx: Context) -> Outcome:
    token = _token(ctx)
    claims = jwt_claims(token)
    if not claims:  # an opaque token: only the MCP server can judge it (the call below does)
        return Outcome(note=f"opaque token ({len(token)} characters), not a JWT: nothing to inspect")
    shown = redact_jwt(token)[:80] + "…" if claims else f"<opaque token, {len(token)} characters>"
    evidence: dict[str, Any] = {"token": shown, "claims": {
        k: claims.get(k) for k in ("iss", "client_id", "aud", "scope", "token_use", "exp")}}
    findings: list[Finding] = []

    def add(code: str, message: str, fix: str = "") -> None:
        findings.append(Finding(code, message, evidence=evidence, fix=fix))

    keys = ctx.facts.get("jwks")
    if keys is not None:
        from joserfc import jwt
        from joserfc.errors import JoseError

        try:
            jwt.decode(token, keys, algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"])
        except (JoseError, ValueError) as exc:  # a bad signature, an unknown kid, a malformed token
            add("TOKEN_SIGNATURE_INVALID", f"the token's signature does not verify with the "
                f"authorization server's keys ({type(exc).__name__})")
    issuer = (ctx.facts.get("as") or {}).get("issuer") or ctx.facts.get("issuer")
    if issuer and claims.get("iss") != issuer:
        add("TOKEN_ISSUER_MISMATCH", f"the token's iss {claims.get('iss')!r} is not {issuer!r}")
    if isinstance(claims.get("exp"), (int, float)) and claims["exp"] < time.time():
        add("TOKEN_EXPIRED", "the token has expired", "sign in again")
    if claims.get("token_use") and claims["token_use"] != "access":
        add("TOKEN_WRONG_USE", f"this is an {claims['token_use']} token; MCP servers need the access token")
    scopes = set(str(claims.get("scope", "")).split())
    gateway = ctx.facts.get("gateway")
    from mcpauth_wizard.doctor.claims import claims_table

    authorizer = None
    if gateway:
        from mcpauth_wizard.aws.agentcore import jwt_authorizer

        authorizer = jwt_authorizer(gateway)
    ctx.facts["claims"] = claims_table(claims, authorizer, issuer)
    if authorizer is not None:
        allowed_clients = authorizer.get("allowedClients") or []
        if allowed_clients and claims.get("client_id") not in allowed_clients:
            add("TOKEN_AUDIENCE_MISMATCH", f"the token's client_id {claims.get('client_id')} is not in "
                "the gateway's allowedClients", "`mcpauth doctor --fix`")
        audience = authorizer.get("allowedAudience") or []
        aud = claims.get("aud")
        auds = set(aud if isinstance(aud, list) else [aud] if aud else [])
        if audience and not auds & set(audience):
            add("TOKEN_AUDIENCE_MISMATCH", f"the gateway wants aud in {audience}; the token has "
                f"{sorted(auds) or 'no aud'}", "`mcpauth doctor --fix`")
        wanted = authorizer.get("allowedScopes") or []
        if wanted and not scopes & set(wanted):
            add("TOKEN_SCOPE_MISSING", f"the token's scopes {sorted(scopes)} include none of the "
                f"gateway's allowedScopes {wanted}")
    else:
        # A server that validates tokens itself accepts only tokens issued for it (RFC 8707);
        # a token without aud (Cognito without resource binding) is left to the server.
        aud = claims.get("aud")
        auds = [str(a) for a in (aud if isinstance(aud, list) else [aud] if aud else [])]
        resource = str((ctx.facts.get("prm") or {}).get("resource") or ctx.target.url)
        accepted = {ctx.target.url.rstrip("/"), resource.rstrip("/")}
        if auds and not any(a.rstrip("/") in accepted for a in auds):
            add("TOKEN_AUDIENCE_MISMATCH", f"the token's aud {auds} does not name {ctx.target.url}",
                "request the token with resource=<the MCP URL> (what MCP clients send)")
        wanted = [s for s in str(ctx.facts.get("challenge_scope") or "").split() if s != "openid"]
        missing = [s for s in wanted if s not in scopes]
        if missing:
            add("TOKEN_SCOPE_MISSING", f"the token lacks {', '.join(missing)}, which the server asks for")
    return Outcome(findings, note="" if findings else "signature, issuer, expiry, use, client and scope ok")


def _refused(answer: Any, evidence: dict[str, Any]) -> Outcome | None:
    """A 401 / 403 ends the call step whichever protocol version was spoken."""
    if answer.status == 401:
        return Outcome([Finding("MCP_TOKEN_REJECTED", "the MCP server answers 401 to the token",
                                evidence=evidence)])
    if answer.status == 403:
        return Outcome([Finding("MCP_INSUFFICIENT_SCOPE", "the MCP server answers 403 "
                                "(insufficient_scope) to the token", evidence=evidence)])
    return None


def _tools(ctx: Context, tools: Any, token: str, spoken: str) -> Outcome:
    from mcpauth_wizard.mcp.client import parse_answer

    parsed = parse_answer(tools.status or 0, tools.headers, tools.text)
    if tools.status != 200 or parsed.error or not isinstance(parsed.result, dict):
        return Outcome([Finding("MCP_TOKEN_REJECTED", f"{spoken} worked, but tools/list answered "
                                f"{tools.status or tools.error}",
                                evidence=tools.evidence(ctx.secret_values + (token,)))])
    names = [t.get("name") for t in (parsed.result.get("tools") or []) if isinstance(t, dict)]
    return Outcome(note=f"{spoken} ok; tools: {', '.join(map(str, names)) or 'none'}")


async def call(ctx: Context) -> Outcome:
    """Negotiate like a current client: 2026-07-28 (stateless, server/discover) first, then
    2025-11-25 (initialize + session); a finding only when neither answers."""
    from mcpauth_wizard.mcp.client import (
        STATELESS_VERSION,
        parse_answer,
        stateless_headers,
        stateless_request,
    )

    token = _token(ctx)
    secrets = ctx.secret_values + (token,)
    url = ctx.target.url

    def headers_for(method: str) -> dict[str, str]:
        return {**MCP_HEADERS, **stateless_headers(method), "Authorization": f"Bearer {token}"}

    discover = await ctx.fetch("POST", url, headers=headers_for("server/discover"),
                               json_body=stateless_request(1, "server/discover"))
    refused = _refused(discover, discover.evidence(secrets))
    if refused:
        return refused
    found = parse_answer(discover.status or 0, discover.headers, discover.text)
    versions = (found.result or {}).get("supportedVersions") if isinstance(found.result, dict) else None
    if discover.status == 200 and isinstance(versions, list) and STATELESS_VERSION in versions:
        tools = await ctx.fetch("POST", url, headers=headers_for("tools/list"),
                                json_body=stateless_request(2, "tools/list"))
        return _tools(ctx, tools, token, f"MCP {STATELESS_VERSION}: server/discover")
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    answer = await ctx.fetch("POST", url, headers=headers, json_body=INITIALIZE)
    refused = _refused(answer, answer.evidence(secrets))
    if refused:
        return refused
    initialized = parse_answer(answer.status or 0, answer.headers, answer.text)
    if answer.status != 200 or not isinstance(initialized.result, dict):
        return Outcome([Finding("MCP_PROTOCOL_UNSUPPORTED",
                                f"the MCP server answered neither server/discover ({STATELESS_VERSION}: "
                                f"{discover.status or discover.error}) nor initialize "
                                f"({INITIALIZE['params']['protocolVersion']}: "
                                f"{answer.status or answer.error}) with a result",
                                evidence={"server/discover": discover.evidence(secrets),
                                          "initialize": answer.evidence(secrets)},
                                fix="serve MCP over Streamable HTTP at this URL (2025-11-25 or 2026-07-28)")])
    version = str(initialized.result.get("protocolVersion") or INITIALIZE["params"]["protocolVersion"])
    session = answer.headers.get("mcp-session-id")
    list_headers = {**headers, "MCP-Protocol-Version": version,
                    **({"Mcp-Session-Id": session} if session else {})}
    await ctx.fetch("POST", url, headers=list_headers,
                    json_body={"jsonrpc": "2.0", "method": "notifications/initialized"})
    tools = await ctx.fetch("POST", url, headers=list_headers,
                            json_body={"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
    return _tools(ctx, tools, token, f"MCP {version}: initialize")


def steps(ctx: Context) -> list[Step]:
    if not ctx.target.login_platform and not ctx.target.token:
        return []
    needs = ("discovery.jwks",) + (("login",) if ctx.target.login_platform else ()) + \
        (("aws.gateway",) if ctx.target.gateway_id and ctx.aws else ())
    return [
        Step("token.validate", "Access token meets the server's requirements", validate, needs=needs,
             preview=lambda c: "verify signature (JWKS), iss, exp, token_use, client_id/aud, scope"),
        Step("mcp.call", "MCP call with the token (server/discover or initialize, then tools/list)",
             call, needs=("token.validate",),
             preview=lambda c: f"POST {c.target.url} server/discover (2026-07-28), else initialize "
                               "(2025-11-25); Authorization: Bearer <token>"),
    ]
