"""`doctor --audit`: does the MCP server really check tokens, and what does the authorization
server enforce beyond what it advertises?

Forged bearer tokens go to the MCP server (an `initialize` request, which creates nothing a
client keeps): `alg: none`, signed with a key of the doctor's own (with the real key id when
the JWKS names one), expired, another issuer, another audience, an ID token's shape, garbage.
Every one must be refused (401/403); each one answered 2xx is SERVER_ACCEPTS_FORGED_TOKEN.

The authorization server's posture: authorize requests (GETs; nobody signs in, nothing is
made) without a PKCE challenge, with `plain`, and with a redirect URI one character off —
advertised (its metadata) beside enforced (its answer). Whether it echoes `state` and sends
`iss` shows only on a real redirect back, so those rows say "needs --login" unless the run
signed in.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from mcpauth_wizard.doctor.context import Context
from mcpauth_wizard.doctor.discovery import INITIALIZE, MCP_HEADERS
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.runner import Outcome, Skip, Step

FORGERIES = ("alg none", "own key", "expired", "other issuer", "other audience", "id token shape",
             "garbage")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def forged_tokens(issuer: str, audience: str, client_id: str, scope: str, kid: str | None,
                  now: int | None = None) -> dict[str, str]:
    """Each forgery by name: tokens no honest server may accept (none is signed by the issuer)."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    now = int(time.time()) if now is None else now
    key = RSAKey.generate_key(2048)  # the doctor's own: no server trusts it
    base = {"iss": issuer, "sub": str(uuid.uuid4()), "client_id": client_id, "token_use": "access",
            "scope": scope, "aud": audience, "iat": now, "exp": now + 600, "jti": str(uuid.uuid4())}
    header = {"alg": "RS256", "kid": kid or "mcpauth-audit", "typ": "JWT"}

    def signed(**changes: Any) -> str:
        return jwt.encode(header, {**base, **changes}, key)

    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(base)}.",
        "own key": signed(),
        "expired": signed(iat=now - 7200, exp=now - 3600),
        "other issuer": signed(iss="https://issuer.invalid/forged"),
        "other audience": signed(aud="https://audience.invalid/mcp", client_id="forged-client"),
        "id token shape": signed(token_use="id", aud=client_id, email="audit@example.invalid"),
        "garbage": "mcpauth-audit-not-a-token",
    }


async def forged_token_probe(ctx: Context) -> Outcome:
    if ctx.facts.get("unreachable"):
        raise Skip("the MCP server did not answer")
    url = ctx.target.url
    issuer = str(ctx.facts.get("issuer") or ctx.target.issuer or "https://issuer.invalid")
    keys = ((ctx.facts.get("jwks") or {}).get("keys") or []) if isinstance(ctx.facts.get("jwks"), dict) else []
    kid = next((k.get("kid") for k in keys if isinstance(k, dict) and k.get("kid")), None)
    client_id = next(iter(ctx.target.clients.values()), "mcpauth-audit")
    scope = str(ctx.facts.get("challenge_scope") or " ".join(f"{url}/{s}" for s in ctx.target.scopes) or "openid")
    tokens = forged_tokens(issuer, url, client_id, scope, kid)
    answers = {}
    for name, token in tokens.items():  # started together; each is its own request
        answers[name] = ctx.fetch("POST", url, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"},
                                  json_body=INITIALIZE)
    rows, accepted = [], []
    for name, task in answers.items():
        answer = await task
        if answer.error:
            verdict = f"no answer ({answer.error})"
        elif 200 <= (answer.status or 0) < 300:
            verdict = "ACCEPTED"
            accepted.append(name)
        elif answer.status in (401, 403):
            verdict = "refused"
        else:
            verdict = f"answered {answer.status} (not a refusal of the token)"
        rows.append({"forgery": name, "status": answer.status, "verdict": verdict})
    ctx.facts.setdefault("audit", {})["forged_tokens"] = rows
    if accepted:
        return Outcome([Finding(
            "SERVER_ACCEPTS_FORGED_TOKEN",
            f"{url} accepted {len(accepted)} forged token(s): {', '.join(accepted)} — it does not check "
            "signatures, expiry, issuer or audience as it must", evidence={"accepted": accepted, "probes": rows},
            fix="verify every bearer token: signature against the issuer's JWKS, exp, iss, token_use "
                "and the audience or client id (an AgentCore gateway's CUSTOM_JWT authorizer does; "
                "FastMCP: JWTVerifier(jwks_uri=…, issuer=…))")])
    refused = sum(r["verdict"] == "refused" for r in rows)
    return Outcome(note=f"{refused} of {len(rows)} forged tokens refused")


def _with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def _enforced(ctx: Context, request_url: str, answer: Any) -> str:
    """What an authorize answer says of the request: went on to sign-in, or refused (why)."""
    if answer.error:
        return f"no answer ({answer.error})"
    location = urljoin(request_url, answer.location) if answer.location else ""
    query = dict(parse_qsl(urlsplit(location).query))
    if "error" in query:
        return f"refused ({query['error']})"
    if answer.status and answer.status >= 400:
        return f"refused ({answer.status})"
    return "allowed (went on to sign-in)"


async def as_posture(ctx: Context) -> Outcome:
    from mcpauth_wizard.doctor.authorize import probe_request

    metadata = ctx.facts.get("as") or {}
    if not metadata:
        raise Skip("no authorization server metadata")
    platform = next((p for p in ctx.target.platforms if probe_request(ctx, p) is not None), None)
    if platform is None:
        raise Skip("no client with a known redirect URI to probe with")
    request = probe_request(ctx, platform)
    url = request.url
    redirect = dict(parse_qsl(urlsplit(url).query)).get("redirect_uri", "")
    methods = metadata.get("code_challenge_methods_supported")
    probes = {
        "PKCE required (no challenge)": _with_query(url, code_challenge=None, code_challenge_method=None),
        "PKCE plain refused": _with_query(url, code_challenge_method="plain",
                                          code_challenge="mcpauth-audit-plain-verifier-0123456789abcdef0123"),
        "redirect_uri compared exactly": _with_query(url, redirect_uri=redirect + "x"),
    }
    answers = {name: ctx.fetch("GET", probe) for name, probe in probes.items()}
    advertised = {
        "PKCE required (no challenge)": "S256 advertised" if methods and "S256" in methods else "not advertised",
        "PKCE plain refused": ("plain advertised" if methods and "plain" in methods
                               else "plain not advertised" if methods else "not advertised"),
        "redirect_uri compared exactly": "required (RFC 9700 §4.1.3)",
    }
    rows = []
    for name, task in answers.items():
        answer = await task
        rows.append({"check": name, "advertised": advertised[name],
                     "enforced": _enforced(ctx, probes[name], answer)})
    signed_in = bool(ctx.facts.get("access_token"))
    iss_advertised = metadata.get("authorization_response_iss_parameter_supported")
    rows.append({"check": "sends iss on the redirect (RFC 9207)",
                 "advertised": "yes" if iss_advertised else "not advertised",
                 "enforced": "seen at --login" if signed_in else "needs --login (a real redirect back)"})
    rows.append({"check": "echoes state", "advertised": "required (RFC 6749 §4.1.2)",
                 "enforced": "seen at --login" if signed_in else "needs --login (a real redirect back)"})
    ctx.facts.setdefault("audit", {})["authorization_server"] = rows
    summary = "; ".join(f"{r['check']}: {r['enforced'].split(' (')[0]}" for r in rows[:3])
    return Outcome(note=f"as {platform}: {summary}")


def steps(ctx: Context) -> list[Step]:
    if not ctx.target.audit:
        return []
    return [
        Step("audit.forged_tokens", "The MCP server refuses forged tokens", forged_token_probe,
             needs=("discovery.challenge", "discovery.authorization_server", "discovery.jwks"),
             preview=lambda c: f"POST {c.target.url} × {len(FORGERIES)} (Authorization: Bearer <forged>)"),
        Step("audit.authorization_server", "The authorization server: advertised vs enforced", as_posture,
             needs=("discovery.authorization_server", *(f"aws.client.{p}" for p in ctx.target.platforms)),
             preview=lambda c: "GET the authorization endpoint × 3 (no PKCE, plain, redirect one off)"),
    ]
