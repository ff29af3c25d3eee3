"""Clients that register themselves: the pool's DcrConfiguration, the gateway's trust in
registered clients, the app-client quota, and (--probe-registration) one real registration.

Rules from botocore's `DcrConfigurationType` (open vs authenticated registration, grant types,
AllowedScopes, ESSENTIALS tier) and the Cognito quota of 1,000 app clients per pool, which
registered clients count toward.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urljoin, urlsplit

from mcpauth_wizard.doctor.authorize import classify_answer
from mcpauth_wizard.doctor.aws_checks import resource_scopes
from mcpauth_wizard.doctor.context import Context
from mcpauth_wizard.doctor.discovery import endpoint
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.ownership import delete_if_ours, new_mark
from mcpauth_wizard.doctor.runner import Outcome, Skip, Step
from mcpauth_wizard.mcp.platforms import PLATFORMS
from mcpauth_wizard.oauth.signin import ClientCredentials, authorization_request

CLIENT_QUOTA = 1000  # app clients per user pool (Cognito quotas page); registered ones count
QUOTA_WARNING = 0.8
PROBE_CALLBACK = "http://localhost:33418/callback"  # a loopback callback, as native clients use
PROBE_CLIENT_NAME = "mcpauth-doctor-probe"


def dcr_state(pool: dict[str, Any]) -> dict[str, Any] | None:
    """The pool's DcrConfiguration when registration is on (EnableStatus defaults to on)."""
    dcr = pool.get("DcrConfiguration")
    if not dcr or dcr.get("EnableStatus", "Enabled") != "Enabled":
        return None
    return dcr


def open_grant_types(dcr: dict[str, Any]) -> list[str]:
    """What open registration permits: none when it is off, `code` when unset (the model's default)."""
    if not dcr.get("OpenDcrEnabled", False):
        return []
    return list(dcr.get("OpenDcrGrantTypes", ["code"]))


async def _call(func: Any, *args: Any) -> Any:
    return await asyncio.to_thread(func, *args)


async def registration(ctx: Context) -> Outcome:
    if ctx.aws is None:
        raise Skip(ctx.aws_problem or "no AWS access")
    pool = ctx.facts.get("pool")
    if pool is None:
        raise Skip("no user pool")
    from mcpauth_wizard.aws import app_clients

    findings: list[Finding] = []
    count = len(await _call(app_clients.list_clients, ctx.aws, pool["Id"]))
    ctx.facts["client_count"] = count
    if count >= CLIENT_QUOTA * QUOTA_WARNING:
        findings.append(Finding("REGISTRATION_QUOTA_NEAR",
                                f"user pool {pool['Id']} has {count} app clients of its {CLIENT_QUOTA}: "
                                "at the limit, nobody (MCP client or you) can add one",
                                evidence={"app_clients": count, "quota": CLIENT_QUOTA},
                                fix="`mcpauth clients prune --registered --older-than 30d`"))
    dcr = dcr_state(pool)
    tier = pool.get("UserPoolTier") or "ESSENTIALS"
    if dcr is None and ctx.target.registering:
        names = ", ".join(ctx.target.registering)
        findings += [Finding("REGISTRATION_REQUIRED_OFF", f"{PLATFORMS[p].title} registers itself in the "
                             f"recorded setup ({names}), and dynamic client registration on user pool "
                             f"{pool['Id']} is off (a from-scratch UpdateUserPool resets it): it gets no "
                             "client id and cannot sign in", platform=p, evidence={"UserPoolTier": tier},
                             fix="`mcpauth doctor --fix` (or `mcpauth init --registration dcr`) turns it "
                             "back on") for p in ctx.target.registering]
        return Outcome(findings, note=f"{count} app clients; registration off")
    if dcr is None:
        findings.append(Finding("REGISTRATION_OFF", "dynamic client registration is off: every MCP "
                                "client needs a pre-registered client id", evidence={"UserPoolTier": tier},
                                fix="`mcpauth init --registration dcr` (or `both`)"))
        return Outcome(findings, note=f"{count} app clients; registration off")
    ctx.facts["dcr"] = dcr
    evidence = {"DcrConfiguration": dcr, "UserPoolTier": tier}
    if tier == "LITE":
        findings.append(Finding("REGISTRATION_TIER", "dynamic client registration needs the ESSENTIALS "
                                "tier or higher; this pool is LITE", evidence=evidence,
                                fix="`mcpauth init --registration dcr` (asks before upgrading the tier)"))
    grants = open_grant_types(dcr)
    if not grants:
        findings.append(Finding("REGISTRATION_AUTHENTICATED_ONLY",
                                "registration needs an initial access token: MCP clients (Claude, "
                                "VS Code, Cursor, …) cannot get one, so none of them can register",
                                evidence=evidence, fix="`mcpauth init --registration dcr` turns on open "
                                "registration for the code grant only"))
    if "client_credentials" in grants:
        findings.append(Finding("REGISTRATION_OPEN_M2M",
                                "open registration allows client_credentials: anyone can create "
                                "machine-to-machine clients whose token requests you pay for",
                                evidence=evidence, fix="`mcpauth init --registration dcr` keeps open "
                                "registration to the code grant"))
    allowed = set(dcr.get("AllowedScopes") or [])
    if "resource_server" not in ctx.facts and not ctx.target.scopes:
        await ctx.after("aws.resource_server")
    missing = [s for s in resource_scopes(ctx) if s not in allowed]
    if missing:
        findings.append(Finding("REGISTRATION_SCOPE_NOT_ALLOWED",
                                f"registered clients may not ask for {', '.join(missing)}: their tokens "
                                "carry only OIDC scopes and the server refuses them",
                                evidence=evidence, fix="`mcpauth init --registration dcr` adds the "
                                "resource scopes to AllowedScopes"))
    await ctx.after("aws.gateway")
    gateway = ctx.facts.get("gateway")
    if gateway is not None and grants:
        from mcpauth_wizard.aws import agentcore

        authorizer = agentcore.jwt_authorizer(gateway)
        if authorizer.get("allowedClients"):
            findings.append(Finding("GATEWAY_SHUTS_OUT_REGISTERED",
                                    "the gateway admits only the app clients in allowedClients: a "
                                    "client that registers itself is not among them and gets 401",
                                    evidence={"allowedClients": authorizer["allowedClients"]},
                                    fix="trust by scope (allowedScopes) and, where clients send "
                                    "resource, by audience: `mcpauth init --registration dcr`"))
    return Outcome(findings, note=f"{count} app clients; open registration for "
                   f"{', '.join(grants) or 'nothing'}; tier {tier}")


async def probe(ctx: Context) -> Outcome:
    """Register like an MCP client, check its sign-in reaches a login page, delete it."""
    if ctx.aws is None:
        raise Skip("--probe-registration needs AWS access to delete the client it registers")
    if "dcr" not in ctx.facts:
        raise Skip("registration is off")
    register_url = endpoint(ctx, "registration_endpoint")
    authorize_url = endpoint(ctx, "authorization_endpoint")
    if not register_url or not authorize_url:
        return Outcome([Finding("REGISTRATION_PROBE_FAILED", "the authorization server metadata names "
                                "no registration_endpoint although registration is on",
                                fix="check the discovery URL the server points clients to")])
    if urlsplit(register_url).netloc != urlsplit(authorize_url).netloc:
        raise Skip(f"the registration endpoint {register_url} is not on the login domain: not probed")
    scope = " ".join(["openid", *resource_scopes(ctx)])
    mark = new_mark(PROBE_CLIENT_NAME)
    metadata = {"client_name": mark.name, "redirect_uris": [PROBE_CALLBACK],
                "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
                "token_endpoint_auth_method": "none", "scope": scope}
    answer = await ctx.fetch("POST", register_url, json_body=metadata)
    body = answer.json() if isinstance(answer.json(), dict) else {}
    client_id = body.get("client_id")
    if answer.status != 201 or not isinstance(client_id, str):
        return Outcome([Finding("REGISTRATION_PROBE_FAILED",
                                f"registering like an MCP client failed: {body.get('error') or answer.status}"
                                f" {body.get('error_description') or ''}".rstrip(),
                                evidence=answer.evidence(), fix="see the registration findings above")])
    pool_id = ctx.facts["pool"]["Id"]  # from AWS, never from the answer
    outcome = Outcome()
    try:
        outcome = await _login_page(ctx, authorize_url, client_id, scope)
    finally:
        done, finding = await delete_if_ours(ctx.aws, pool_id, client_id, mark,
                                             said_by=f"the registration endpoint {register_url}")
        outcome.note = "; ".join(p for p in (outcome.note, done) if p)
        if finding is not None:
            outcome.findings.append(finding)
    return outcome


async def _login_page(ctx: Context, authorize_url: str, client_id: str, scope: str) -> Outcome:
    request = authorization_request(authorize_url, ClientCredentials(client_id), PROBE_CALLBACK,
                                    scope, resource=ctx.target.url)
    answer = await ctx.fetch("GET", request.url)
    location = urljoin(request.url, answer.location) if answer.location else ""
    code, what = classify_answer(ctx, "probe", location, answer.status, answer.text, PROBE_CALLBACK)
    evidence = answer.evidence()
    if code is None and location:
        page = await ctx.follow(answer)
        evidence["login_page"] = page.evidence()
        if page.error or page.status and page.status >= 400 or "login pages unavailable" in page.text.lower():
            return Outcome([Finding("REGISTRATION_NO_LOGIN_PAGE",
                                    "a registered client gets no login page (managed login shows "
                                    "'Login pages unavailable' to clients without a style)",
                                    evidence=evidence,
                                    fix="give each registered client a style: `mcpauth clients style "
                                    "CLIENT_ID`, or use the classic hosted UI (ManagedLoginVersion 1)")])
    if code is not None:
        return Outcome([Finding("REGISTRATION_PROBE_FAILED", f"a registered client's authorize request "
                                f"was refused: {what}", evidence=evidence,
                                fix="see the registration findings above")])
    return Outcome(note=f"registered {client_id}, reached the login page")


def steps(ctx: Context) -> list[Step]:
    found = [Step("aws.registration", "Dynamic client registration", registration,
                  needs=("aws.pool",), preview=lambda c: "ListUserPoolClients (count)")]
    if ctx.target.probe_registration:
        found.append(Step("registration.probe", "Register like an MCP client, then delete it", probe,
                          needs=("aws.registration", "aws.resource_server",
                                 "discovery.authorization_server"),
                          preview=lambda c: f"POST {endpoint(c, 'registration_endpoint')}"))
    return found
