"""Phase 1: read-only checks of the Cognito and AgentCore configuration (boto3 in threads)."""

from __future__ import annotations

import asyncio
from typing import Any

from mcpauth_wizard.core.errors import McpAuthError, NotFound
from mcpauth_wizard.doctor.context import Context
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.runner import Outcome, Skip, Step
from mcpauth_wizard.mcp.platforms import PLATFORMS
from mcpauth_wizard.oauth.redirects import near_misses
from mcpauth_wizard.provision.rules import (
    binding_problem,
    dead_audience,
    sends_resource,
    short_scope_names,
)
from mcpauth_wizard.provision.spec import resource_near_miss


def _need_aws(ctx: Context) -> Any:
    if ctx.aws is None:
        raise Skip(ctx.aws_problem or "no AWS access")
    return ctx.aws


async def _call(func: Any, *args: Any) -> Any:
    return await asyncio.to_thread(func, *args)


def resource_scopes(ctx: Context) -> list[str]:
    """The full scope strings the MCP URL needs (from mcpauth.toml, else from AWS)."""
    names = ctx.target.scopes or tuple(
        s["ScopeName"] for s in (ctx.facts.get("resource_server") or {}).get("Scopes") or [])
    return [f"{ctx.target.url}/{n}" for n in names]


async def pool(ctx: Context) -> Outcome:
    aws = _need_aws(ctx)
    if not ctx.target.pool_id:
        raise Skip("no user pool id (pass --pool-id or run in a folder with mcpauth.toml)")
    from mcpauth_wizard.aws import domains, user_pools

    try:
        described = await _call(user_pools.describe_user_pool, aws, ctx.target.pool_id)
    except NotFound:
        ctx.facts["pool_missing"] = True
        return Outcome([Finding("COGNITO_POOL_NOT_FOUND",
                                f"user pool {ctx.target.pool_id} does not exist in {aws.region_name}",
                                fix="check --pool-id and --region, or run `mcpauth init`")])
    ctx.facts["pool"] = described
    findings = []
    domain = described.get("CustomDomain") or described.get("Domain")
    if not domain:
        findings.append(Finding("COGNITO_NO_DOMAIN", f"user pool {described['Id']} has no login domain",
                                fix="`mcpauth init` (asks for a domain prefix)"))
    else:
        info = await _call(domains.describe_domain, aws, domain) or {}
        ctx.facts["domain"] = {**info, "Domain": domain}
        if info.get("Status") != "ACTIVE":
            findings.append(Finding("COGNITO_DOMAIN_NOT_ACTIVE",
                                    f"login domain {domain} is {info.get('Status', 'unknown')}",
                                    fix="wait a minute and re-run; new domains take about a minute"))
        factors = ((described.get("Policies") or {}).get("SignInPolicy") or {}).get(
            "AllowedFirstAuthFactors") or []
        if "WEB_AUTHN" in factors:
            mfa = await _call(user_pools.get_mfa_config, aws, described["Id"])
            rp = (mfa.get("WebAuthnConfiguration") or {}).get("RelyingPartyId")
            host = domains.login_host(domain, aws.region_name)
            if info.get("ManagedLoginVersion") != 2 or rp != host:
                findings.append(Finding("COGNITO_PASSKEY_INCOMPLETE",
                                        f"passkeys are on but the relying party is {rp!r} (want {host!r}) "
                                        f"or the domain is not managed login v2",
                                        evidence={"RelyingPartyId": rp,
                                                  "ManagedLoginVersion": info.get("ManagedLoginVersion")},
                                        fix="`mcpauth init --passkeys`"))
    return Outcome(findings, note=f"{described.get('Name')} ({described['Id']})")


async def resource_server(ctx: Context) -> Outcome:
    aws = _need_aws(ctx)
    if "pool" not in ctx.facts:
        raise Skip("no user pool")
    from mcpauth_wizard.aws import resource_servers

    pool_id = ctx.facts["pool"]["Id"]
    found = await _call(resource_servers.describe_resource_server, aws, pool_id, ctx.target.url)
    if found:
        ctx.facts["resource_server"] = found
        names = [s["ScopeName"] for s in found.get("Scopes") or []]
        missing = [s for s in ctx.target.scopes if s not in names]
        if missing:
            return Outcome([Finding("COGNITO_RESOURCE_SERVER_MISSING",
                                    f"resource server {ctx.target.url} lacks scope(s) {', '.join(missing)}",
                                    evidence={"Scopes": names}, fix="`mcpauth doctor --fix` or `mcpauth init`")])
        return Outcome(note=f"scopes: {', '.join(names)}")
    findings = []
    url = ctx.target.url
    for other in await _call(resource_servers.list_resource_servers, aws, pool_id):
        ident = other["Identifier"]
        if resource_near_miss(ident, url):
            findings.append(Finding("COGNITO_RESOURCE_SERVER_NEAR_MISS",
                                    f"resource server {ident} is not {url}: the scope strings differ",
                                    evidence={"Identifier": ident},
                                    fix="make one whose identifier is exactly the MCP URL (`mcpauth init`)"))
    findings.append(Finding("COGNITO_RESOURCE_SERVER_MISSING",
                            f"no resource server with identifier {url} in {pool_id}: a client asking "
                            f"for {url}/<scope> gets invalid_scope",
                            fix="`mcpauth doctor --fix` (or `mcpauth init`) creates it"))
    return Outcome(findings)


async def client(ctx: Context, platform: str) -> Outcome:
    """The platform's app client; its description is signalled as soon as it is read (the
    authorize probe needs only its callback URLs, not the checks that wait for the pool)."""
    try:
        return await _client(ctx, platform)
    finally:
        ctx.signal(f"client.{platform}")


async def _client(ctx: Context, platform: str) -> Outcome:
    aws = _need_aws(ctx)
    client_id = ctx.target.clients.get(platform)
    if not client_id or not ctx.target.pool_id:
        raise Skip(f"no client id for {platform}" if ctx.target.pool_id else "no user pool id")
    from mcpauth_wizard.aws import app_clients

    pool_id = ctx.target.pool_id
    try:  # read at once, in parallel with the pool; what needs the pool waits for it below
        described = await _call(app_clients.describe_client, aws, pool_id, client_id)
    except NotFound:
        ctx.facts.setdefault("missing_clients", set()).add(platform)  # later steps say nothing of it
        await ctx.after("aws.pool")
        if ctx.facts.get("pool_missing"):
            raise Skip("no user pool") from None
        return Outcome([Finding("COGNITO_CLIENT_NOT_FOUND", f"app client {client_id} is not in {pool_id}",
                                platform=platform, fix="check the client id, or `mcpauth init`")])
    ctx.facts.setdefault("clients", {})[platform] = described
    ctx.signal(f"client.{platform}")
    # its login style, read now beside the pool (needed only for managed login v2): one
    # round trip off the critical path
    branding = asyncio.ensure_future(_call(app_clients.branding_of, aws, pool_id, client_id))
    branding.add_done_callback(lambda task: task.cancelled() or task.exception())
    if app_clients.is_confidential(described) and platform not in ctx.target.secrets:
        try:  # for the token probe; never shown (Secrets Manager when the client keeps it there)
            secret = await _call(app_clients.client_secret, aws, described)
        except McpAuthError as exc:
            ctx.facts.setdefault("secret_problems", {})[platform] = str(exc)
        else:
            if secret:
                ctx.target.secrets[platform] = secret
    findings: list[Finding] = []
    flows = described.get("AllowedOAuthFlows") or []

    def add(code: str, message: str, fix: str, **evidence: Any) -> None:
        findings.append(Finding(code, message, platform=platform, fix=fix, evidence=evidence))

    if "client_credentials" in flows:
        add("COGNITO_CLIENT_M2M_ONLY", f"app client {client_id} is a client_credentials (M2M) client: "
            "it cannot sign users in, and it is billed as M2M",
            "make a sign-in client with `mcpauth init`", AllowedOAuthFlows=flows)
    else:
        if not described.get("AllowedOAuthFlowsUserPoolClient"):
            add("COGNITO_CLIENT_OAUTH_DISABLED", f"app client {client_id} has OAuth flows switched off",
                f"`mcpauth add-callback {platform} --client-id {client_id} --enable-code-flow`",
                AllowedOAuthFlowsUserPoolClient=False)
        if "code" not in flows:
            add("COGNITO_CLIENT_NO_CODE_FLOW", f"app client {client_id} does not allow the code grant",
                f"`mcpauth add-callback {platform} --client-id {client_id} --enable-code-flow`",
                AllowedOAuthFlows=flows)
    if (described.get("ClientSecret") or described.get("ClientSecretArn")) \
            and not PLATFORMS[platform].default_secret:
        add("COGNITO_CLIENT_SECRET_ON_PUBLIC_PLATFORM", f"app client {client_id} has a secret, but "
            f"{PLATFORMS[platform].title} is usually set up as a public client: unless the secret is "
            "entered there too, its token exchange fails with invalid_client",
            f"enter the client secret in {PLATFORMS[platform].title} (`mcpauth show --reveal`), "
            f"or give {PLATFORMS[platform].title} a public client (`mcpauth init`)",
            HasSecret=True)
    if not described.get("SupportedIdentityProviders"):
        add("COGNITO_CLIENT_NO_IDP", f"app client {client_id} has no identity provider: no login page",
            "`mcpauth doctor --fix` (adds COGNITO)", SupportedIdentityProviders=[])
    registered = described.get("CallbackURLs") or []
    wanted = list(PLATFORMS[platform].expected_callbacks(registered, ctx.target.url))
    if not wanted and PLATFORMS[platform].needs_port:
        add("COGNITO_CALLBACK_MISSING", f"no {PLATFORMS[platform].title} callback "
            f"({PLATFORMS[platform].callback_templates[0]}) on app client {client_id}",
            f"`mcpauth add-callback {platform} --port PORT --client-id {client_id}`",
            CallbackURLs=registered)
    for url in wanted:
        if url not in registered:
            add("COGNITO_CALLBACK_MISSING", f"{url} is not a callback URL of app client {client_id}: "
                f"{PLATFORMS[platform].title} sign-in ends in redirect_mismatch",
                f"`mcpauth add-callback {platform} --client-id {client_id}`", CallbackURLs=registered)
    for miss in near_misses(wanted, registered):
        add("COGNITO_CALLBACK_NEAR_MISS", miss.describe() + " (Cognito matches exactly)",
            f"`mcpauth add-callback {platform} --client-id {client_id}`", registered=miss.registered)
    await ctx.after("aws.pool")
    if "pool" not in ctx.facts:
        return Outcome(findings, note=f"{described.get('ClientName')} ({client_id})")
    allowed = described.get("AllowedOAuthScopes") or []
    for scope in resource_scopes(ctx):
        if scope not in allowed:
            add("COGNITO_SCOPE_NOT_ALLOWED", f"app client {client_id} may not ask for {scope}",
                "`mcpauth doctor --fix` (or `mcpauth init`) allows it", AllowedOAuthScopes=allowed)
    if (ctx.facts.get("domain") or {}).get("ManagedLoginVersion") == 2:
        if await branding is None:
            add("COGNITO_BRANDING_MISSING", f"app client {client_id} has no managed login style: "
                "its login page is 'Login pages unavailable'", "`mcpauth doctor --fix`")
    factors = ((ctx.facts["pool"].get("Policies") or {}).get("SignInPolicy") or {}).get(
        "AllowedFirstAuthFactors") or []
    if "WEB_AUTHN" in factors and "ALLOW_USER_AUTH" not in (described.get("ExplicitAuthFlows") or []):
        add("COGNITO_PASSKEY_INCOMPLETE", f"passkeys are on but app client {client_id} lacks ALLOW_USER_AUTH",
            "`mcpauth init --passkeys`")
    return Outcome(findings, note=f"{described.get('ClientName')} ({client_id})")


async def gateway(ctx: Context) -> Outcome:
    aws = _need_aws(ctx)
    if not ctx.target.gateway_id:
        raise Skip("no gateway id")
    from mcpauth_wizard.aws import agentcore, user_pools

    try:
        described = await _call(agentcore.get_gateway, aws, ctx.target.gateway_id)
    except NotFound:
        return Outcome([Finding("GATEWAY_NOT_FOUND", f"gateway {ctx.target.gateway_id} does not exist "
                                f"in {aws.region_name}", fix="check --gateway-id and --region")])
    ctx.facts["gateway"] = described
    if described.get("authorizerType") != "CUSTOM_JWT":
        return Outcome([Finding("GATEWAY_NOT_JWT", f"gateway {ctx.target.gateway_id} uses "
                                f"{described.get('authorizerType')}, not CUSTOM_JWT: MCP clients cannot "
                                "sign in with OAuth", fix="`mcpauth doctor --fix` (or `mcpauth init`)")])
    authorizer = agentcore.jwt_authorizer(described)
    findings = []
    pool_desc = ctx.facts.get("pool")
    if pool_desc:
        expected = user_pools.discovery_url(pool_desc, aws.region_name)
        if authorizer.get("discoveryUrl") != expected:
            findings.append(Finding("GATEWAY_DISCOVERY_URL_MISMATCH",
                                    f"the gateway trusts {authorizer.get('discoveryUrl')}, not this "
                                    f"pool's {expected}", evidence={"discoveryUrl": authorizer.get("discoveryUrl")},
                                    fix="`mcpauth doctor --fix`"))
    allowed = authorizer.get("allowedClients") or []
    if allowed:
        for platform, client_id in ctx.target.clients.items():
            await ctx.signalled(f"client.{platform}", unless_step_absent=f"aws.client.{platform}")
            if platform in ctx.facts.get("missing_clients", ()):
                continue  # COGNITO_CLIENT_NOT_FOUND says it; allowing a gone id fixes nothing
            if client_id not in allowed:
                findings.append(Finding("GATEWAY_CLIENT_NOT_ALLOWED",
                                        f"app client {client_id} ({platform}) is not in the gateway's "
                                        "allowedClients: its tokens get 401", platform=platform,
                                        evidence={"allowedClients": allowed},
                                        fix="`mcpauth doctor --fix` adds it"))
    findings.extend(_audience_findings(ctx, authorizer))
    names = ctx.target.scopes or tuple(
        s["ScopeName"] for s in (ctx.facts.get("resource_server") or {}).get("Scopes") or [])
    short = short_scope_names(list(authorizer.get("allowedScopes") or []), ctx.target.url, names)
    if short:
        findings.append(Finding("GATEWAY_SCOPE_SHORT_NAME",
                                f"allowedScopes holds short name(s) {', '.join(short)}; tokens carry "
                                f"full strings like {ctx.target.url}/{short[0]}: every call gets 403",
                                evidence={"allowedScopes": authorizer["allowedScopes"]},
                                fix="`mcpauth doctor --fix` writes the full scope strings"))
    return Outcome(findings, note=f"{described.get('name')} ({ctx.target.gateway_id})")


def _audience_findings(ctx: Context, authorizer: dict[str, Any]) -> list[Finding]:
    """allowedAudience against what Cognito can put in `aud` (the MCP URL, with resource binding)."""
    audience = list(authorizer.get("allowedAudience") or [])
    if not audience:
        return []
    url = ctx.target.url
    evidence = {"allowedAudience": audience}
    if not [a for a in audience if a not in dead_audience([a], url)]:
        return [Finding("GATEWAY_AUDIENCE_UNMATCHABLE",
                        f"allowedAudience {', '.join(audience)} can never match: a Cognito access token's "
                        f"aud is the resource a client sent ({url}) or absent; every token gets 401",
                        evidence=evidence,
                        fix=f"`mcpauth doctor --fix` removes it (or set allowedAudience to {url})")]
    pool = ctx.facts.get("pool") or {}
    problem = binding_problem(pool.get("UserPoolTier"), (ctx.facts.get("domain") or {}).get("ManagedLoginVersion"))
    if problem:
        return [Finding("GATEWAY_AUDIENCE_NEEDS_BINDING",
                        f"allowedAudience requires aud = {url}, but {problem}: no token has that aud",
                        evidence=evidence,
                        fix="move the pool to ESSENTIALS with managed login, or remove allowedAudience")]
    return [Finding("GATEWAY_AUDIENCE_NO_RESOURCE",
                    f"the gateway requires aud = {url}; {PLATFORMS[p].title} is not known to send "
                    "`resource`, so its tokens may carry no aud and get 401",
                    platform=p, evidence=evidence,
                    fix="check the client sends resource, or remove allowedAudience")
            for p in ctx.target.platforms if p in PLATFORMS and not sends_resource(p)]


def steps(ctx: Context) -> list[Step]:
    found = [
        Step("aws.pool", "Cognito user pool and login domain", pool,
             preview=lambda c: f"DescribeUserPool {c.target.pool_id}"),
        Step("aws.resource_server", "Resource server for the MCP URL", resource_server,
             needs=("aws.pool",), preview=lambda c: f"DescribeResourceServer {c.target.url}"),
    ]
    for platform in ctx.target.platforms:
        found.append(Step(f"aws.client.{platform}", f"App client for {PLATFORMS[platform].title}",
                          (lambda p: lambda c: client(c, p))(platform), platform=platform,
                          needs=() if ctx.target.scopes else ("aws.pool", "aws.resource_server"),
                          preview=(lambda p: lambda c: f"DescribeUserPoolClient {c.target.clients.get(p)}")(platform)))
    if ctx.target.gateway_id:
        found.append(Step("aws.gateway", "AgentCore Gateway inbound authorizer", gateway,
                          needs=("aws.pool", "aws.resource_server"), preview=lambda c: f"GetGateway {c.target.gateway_id}"))
    return found
