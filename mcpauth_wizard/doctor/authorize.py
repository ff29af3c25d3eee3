"""Phase 3: what each platform's sign-in would meet, without signing in.

The authorize request that platform would send (its redirect URI, the scopes it would
pick, PKCE S256, resource) is made without following the redirect and classified; a token
request with a bogus code then tells invalid_client (client authentication fails) from
invalid_grant (the client authenticated fine).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from mcpauth_wizard.doctor.context import Context
from mcpauth_wizard.doctor.discovery import endpoint
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.runner import Outcome, Skip, Step
from mcpauth_wizard.doctor.trust import secret_refusal
from mcpauth_wizard.mcp.platforms import PLATFORMS
from mcpauth_wizard.oauth.signin import ClientCredentials, authorization_request
from mcpauth_wizard.provision.spec import USER_SCOPES

# Authorization error (RFC 6749 §4.1.2.1, and Cognito's error page) → finding code.
AUTHORIZE_ERRORS = {
    "redirect_mismatch": "AUTHZ_REDIRECT_MISMATCH",
    "invalid_scope": "AUTHZ_INVALID_SCOPE",
    "unauthorized_client": "AUTHZ_UNAUTHORIZED_CLIENT",
    "invalid_client": "AUTHZ_UNKNOWN_CLIENT",
    "invalid_target": "AUTHZ_RESOURCE_REJECTED",
    "invalid_request": "AUTHZ_INVALID_REQUEST",
    "unsupported_response_type": "AUTHZ_UNAUTHORIZED_CLIENT",
}


def redirect_uri(ctx: Context, platform: str) -> str | None:
    """The redirect URI the platform sends: its fixed one, or the port pinned on the client."""
    registered = ((ctx.facts.get("clients") or {}).get(platform) or {}).get("CallbackURLs") or []
    return next(iter(PLATFORMS[platform].expected_callbacks(registered, ctx.target.url)), None)


def probe_scope(ctx: Context) -> str | None:
    """Scopes per the MCP spec's selection (challenge, then PRM), else what init configured."""
    chosen = ctx.facts.get("scope_request")
    if chosen:
        return str(chosen)
    if ctx.target.scopes:
        return " ".join(["openid", *(f"{ctx.target.url}/{s}" for s in ctx.target.scopes)])
    return None


def classify_answer(ctx: Context, platform: str, answer_url: str, status: int | None, body: str,
              redirect: str) -> tuple[str | None, str]:
    """(finding code or None when a login page is reached, what happened)."""
    if status in (301, 302, 303, 307, 308) and answer_url:
        query = {k: v[0] for k, v in parse_qs(urlsplit(answer_url).query).items()}
        error = query.get("error")
        if error:
            where = "to the client" if answer_url.startswith(redirect) else "to an error page"
            code = AUTHORIZE_ERRORS.get(error, "AUTHZ_INVALID_REQUEST")
            if error == "invalid_request" and not answer_url.startswith(redirect):
                code = "AUTHZ_UNKNOWN_CLIENT"  # Cognito: unknown client id → its error page
            return code, f"error={error} {where}"
        if answer_url.startswith(redirect):
            return None, "redirected straight back (already signed in?)"
        return None, "login page"
    text = body.lower()
    if status and 400 <= status < 500:
        if "redirect_uri" in text or "redirect uri" in text:
            return "AUTHZ_REDIRECT_MISMATCH", f"{status}: redirect_uri refused"
        if "client" in text and ("unknown" in text or "invalid_client" in text or "not found" in text):
            return "AUTHZ_UNKNOWN_CLIENT", f"{status}: client refused"
        if "scope" in text:
            return "AUTHZ_INVALID_SCOPE", f"{status}: scope refused"
        return "AUTHZ_INVALID_REQUEST", f"{status}: request refused"
    if status == 200:
        return None, "login page"
    return "AUTHZ_NO_LOGIN_PAGE", f"unexpected answer {status}"


def probe_request(ctx: Context, platform: str) -> Any:
    """The authorize request the probe sends as this platform, made once (so `--step` shows
    the very request that goes out); None while a part of it is unknown."""
    key = f"authorize_request:{platform}"
    if key not in ctx.facts:
        authorize_url = endpoint(ctx, "authorization_endpoint")
        client_id = ctx.target.clients.get(platform)
        redirect = redirect_uri(ctx, platform)
        if not (authorize_url and client_id and redirect):
            return None
        ctx.facts[key] = authorization_request(authorize_url, ClientCredentials(client_id), redirect,
                                               probe_scope(ctx), resource=ctx.target.url)
    return ctx.facts[key]


def no_client_reason(ctx: Context, platform: str) -> str:
    """Why a client step skips: a platform that registers itself has no id to pass."""
    from mcpauth_wizard.provision.registration import registers_itself

    if endpoint(ctx, "registration_endpoint") and (registers_itself(platform) or not ctx.target.clients):
        if ctx.target.probe_registration:
            return (f"{PLATFORMS[platform].title} registers itself (no pre-registered id); "
                    "the registration probe checks such a client")
        return (f"{PLATFORMS[platform].title} registers itself (no pre-registered id): "
                "`mcpauth doctor --probe-registration` checks a registered client's sign-in")
    return f"no pre-registered client id for {platform} (pass --client-id)"


def _preview(ctx: Context, platform: str) -> str:
    request = probe_request(ctx, platform)
    return f"GET {request.url}  (not followed)" if request else "GET the authorization endpoint (not known yet)"


async def authorize_probe(ctx: Context, platform: str) -> Outcome:
    authorize_url = endpoint(ctx, "authorization_endpoint")
    if not authorize_url:
        raise Skip("no authorization endpoint")
    client_id = ctx.target.clients.get(platform)
    if not client_id:
        raise Skip(no_client_reason(ctx, platform))
    if PLATFORMS[platform].needs_port:  # its port is the one registered on the client
        await ctx.signalled(f"client.{platform}", unless_step_absent=f"aws.client.{platform}")
    if platform in ctx.facts.get("missing_clients", ()):
        raise Skip(f"app client {client_id} is not in the pool (COGNITO_CLIENT_NOT_FOUND): nothing to probe")
    redirect = redirect_uri(ctx, platform)
    if redirect is None:
        spec = PLATFORMS[platform]
        if platform not in (ctx.facts.get("clients") or {}):  # only AWS knows the registered port
            raise Skip(f"{spec.title} uses a loopback port of your choosing; without the client's "
                       "registration (AWS access) the doctor cannot tell which")
        return Outcome([Finding("COGNITO_CALLBACK_MISSING", f"{spec.title} needs a fixed loopback "
                                "port and none is registered on the client", platform=platform,
                                fix=f"`mcpauth add-callback {platform} --port PORT --client-id {client_id}`")])
    request = probe_request(ctx, platform)
    assert request is not None  # every part of it was checked above
    answer = await ctx.fetch("GET", request.url)
    secrets = ctx.secret_values
    if answer.error:
        return Outcome([Finding("AUTHZ_NO_LOGIN_PAGE", f"the authorize endpoint did not answer: {answer.error}",
                                platform=platform, evidence=answer.evidence(secrets))])
    location = urljoin(request.url, answer.location) if answer.location else ""
    code, what = classify_answer(ctx, platform, location, answer.status, answer.text, redirect)
    evidence = answer.evidence(secrets)
    if code is None and location and what == "login page":
        page = await ctx.follow(answer)  # one hop, same flow a browser takes
        evidence["login_page"] = page.evidence(secrets)
        if page.error or page.status and page.status >= 400 or "login pages unavailable" in page.text.lower():
            code, what = "AUTHZ_NO_LOGIN_PAGE", f"the login page answered {page.status or page.error}"
    if code is None:
        return Outcome(note=f"{redirect}: {what}")
    likely = {
        "AUTHZ_INVALID_SCOPE": "the resource server or the client's allowed scopes",
        "AUTHZ_REDIRECT_MISMATCH": f"the client's callback URLs (`mcpauth add-callback {platform}`)",
        "AUTHZ_UNAUTHORIZED_CLIENT": "the client's OAuth flows (`--enable-code-flow`)",
        "AUTHZ_NO_LOGIN_PAGE": "the login domain, the managed login style or the identity provider",
        "AUTHZ_RESOURCE_REJECTED": "a resource server whose identifier is exactly the MCP URL",
        "AUTHZ_UNKNOWN_CLIENT": "the client id",
    }.get(code, "the client's configuration")
    short = [s for s in str(ctx.facts.get("challenge_scope") or "").split()
             if "/" not in s and s not in ("openid", *USER_SCOPES)]
    if code == "AUTHZ_INVALID_SCOPE" and short:  # e.g. a gateway whose allowedScopes holds "invoke"
        likely = (f"the challenge's scope {' '.join(short)}: a short name, where Cognito needs the full "
                  f"scope string (<resource server>/{short[0]}); for a gateway, allowedScopes")
    return Outcome([Finding(code, f"{PLATFORMS[platform].title}'s authorize request ({redirect}) "
                            f"was refused: {what}", platform=platform, evidence=evidence,
                            fix=f"check {likely}")])


async def token_probe(ctx: Context, platform: str) -> Outcome:
    token_url = endpoint(ctx, "token_endpoint")
    client_id = ctx.target.clients.get(platform)
    if not token_url:
        raise Skip("no token endpoint")
    if not client_id:
        raise Skip(no_client_reason(ctx, platform))
    await ctx.after("aws.pool")  # the pool's login domain decides where the secret may go
    if platform in ctx.facts.get("missing_clients", ()):
        raise Skip(f"app client {client_id} is not in the pool (COGNITO_CLIENT_NOT_FOUND): nothing to probe")
    client = (ctx.facts.get("clients") or {}).get(platform) or {}
    known = ctx.target.secrets.get(platform)
    if (client.get("ClientSecret") or client.get("ClientSecretArn")) and not known:
        reason = (ctx.facts.get("secret_problems") or {}).get(platform)
        raise Skip(reason or "confidential client and no secret (pass --client-secret-env)")
    refusal = secret_refusal(ctx, token_url) if known else None
    secret = None if refusal else known
    form = {"grant_type": "authorization_code", "code": "mcpauth-doctor-probe",
            "redirect_uri": redirect_uri(ctx, platform) or ""}
    auth = (client_id, secret) if secret else None
    if not secret:
        form["client_id"] = client_id
    answer = await ctx.fetch("POST", token_url, data=form, auth=auth)
    body = answer.json() if isinstance(answer.json(), dict) else {}
    error = body.get("error")
    if refusal:  # without its secret a confidential client is refused: nothing to conclude
        return Outcome(note=f"secret withheld: {refusal}; probed without it "
                            f"(answer: {error or answer.status or answer.error})")
    if error == "invalid_client":
        return Outcome([Finding("TOKEN_CLIENT_AUTH_FAILED",
                                f"the token endpoint refused {client_id}'s authentication "
                                f"({'secret' if secret else 'no secret'}): invalid_client",
                                platform=platform, evidence=answer.evidence(ctx.secret_values),
                                fix="check the client secret (or that a public client sends none)")])
    return Outcome(note=f"client authenticated (a bogus code gives {error or answer.status})")


def steps(ctx: Context) -> list[Step]:
    found = []
    for platform in ctx.target.platforms:
        if platform == ctx.target.login_platform:
            continue  # the real sign-in (login.py) makes these requests, and a probe would race it
        aws_need = (f"aws.client.{platform}",) if ctx.aws is not None else ()
        found.append(Step(f"authorize.{platform}", f"Authorize request as {PLATFORMS[platform].title}",
                          (lambda p: lambda c: authorize_probe(c, p))(platform), platform=platform,
                          needs=("discovery.authorization_server",),
                          preview=(lambda p: lambda c: _preview(c, p))(platform)))
        found.append(Step(f"token.{platform}", f"Token endpoint authenticates {PLATFORMS[platform].title}'s client",
                          (lambda p: lambda c: token_probe(c, p))(platform), platform=platform,
                          needs=("discovery.authorization_server",) + aws_need,
                          preview=(lambda p: lambda c: f"POST {(c.facts.get('as') or {}).get('token_endpoint')}"
                                   " grant_type=authorization_code code=<bogus>")(platform)))
    return found
