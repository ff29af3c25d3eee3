"""--fix: turn fixable findings into the same plan `mcpauth init` would make, and apply it."""

from __future__ import annotations

from typing import Any

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.doctor.report import Report
from mcpauth_wizard.mcp.platforms import PLATFORMS
from mcpauth_wizard.provision.spec import ClientSpec, Spec

FIXABLE = frozenset({
    "COGNITO_RESOURCE_SERVER_MISSING", "COGNITO_SCOPE_NOT_ALLOWED", "COGNITO_CALLBACK_MISSING",
    "COGNITO_CLIENT_OAUTH_DISABLED", "COGNITO_CLIENT_NO_CODE_FLOW", "COGNITO_CLIENT_NO_IDP",
    "COGNITO_BRANDING_MISSING", "COGNITO_PASSKEY_INCOMPLETE", "GATEWAY_NOT_JWT",
    "GATEWAY_CLIENT_NOT_ALLOWED", "GATEWAY_AUDIENCE_UNMATCHABLE", "GATEWAY_SCOPE_SHORT_NAME",
    "GATEWAY_DISCOVERY_URL_MISMATCH", "REGISTRATION_REQUIRED_OFF",
})


def fixable(report: Report) -> list[str]:
    return sorted({f.code for f in report.findings if f.code in FIXABLE})


def spec_from_setup(aws: Any, project: Any, report: Report) -> Spec:
    """What the recorded setup should be: the Spec `init` would have been given."""
    from mcpauth_wizard.aws import agentcore, app_clients, domains, user_pools
    from mcpauth_wizard.provision.registration import self_registering

    target = report.target
    registering_platforms = self_registering(project)
    if not project.user_pool_id or not (project.clients or registering_platforms):
        raise BadInput("--fix needs the setup recorded by `mcpauth init` (mcpauth.toml) here")
    pool = user_pools.describe_user_pool(aws, project.user_pool_id)
    domain = pool.get("CustomDomain") or pool.get("Domain")
    version = ((domains.describe_domain(aws, domain) or {}).get("ManagedLoginVersion") or 1) if domain else 2
    factors = ((pool.get("Policies") or {}).get("SignInPolicy") or {}).get("AllowedFirstAuthFactors") or []
    clients = []
    from mcpauth_wizard.core.errors import NotFound

    for key, client_id in project.clients.items():
        try:
            described = app_clients.describe_client(aws, project.user_pool_id, client_id)
        except NotFound:  # gone from AWS: nothing to repair on it, and no gateway may allow it
            continue
        registered = described.get("CallbackURLs") or []
        platforms = list(project.platforms_shared) if key == "shared" else [key]
        urls: list[str] = []
        for name in platforms:  # () where only the user knows the port: `add-callback NAME --port N`
            urls.extend(PLATFORMS[name].expected_callbacks(registered, target.url))
        clients.append(ClientSpec(key=key, platforms=tuple(platforms),
                                  secret=app_clients.is_confidential(described),
                                  callback_urls=tuple(dict.fromkeys(urls))))
    gateway_scopes = False
    audience = None
    if project.gateway_id:
        gateway = agentcore.get_gateway(aws, project.gateway_id)
        gateway_scopes = bool(agentcore.jwt_authorizer(gateway).get("allowedScopes"))
        audience = agentcore.jwt_authorizer(gateway).get("allowedAudience") == [target.url]
    # Registration on: keep trusting registered clients (no client list; audience as it is).
    from mcpauth_wizard.doctor.registration_checks import dcr_state

    registering = dcr_state(pool) is not None or bool(registering_platforms)
    if not clients:  # every platform registers itself: nothing to pre-register
        registration = "dcr"
    else:
        registration = "both" if registering else "static"
    return Spec(mcp_url=target.url, pool_id=project.user_pool_id, domain_prefix=domain,
                managed_login_version=version, passkeys="WEB_AUTHN" in factors,
                gateway_id=project.gateway_id, scopes=tuple(project.scopes) or ("invoke",),
                clients=tuple(clients), gateway_allowed_scopes=gateway_scopes,
                registration=registration, dcr_platforms=tuple(registering_platforms),
                gateway_audience=audience if registering else None)


def plan_fix(aws: Any, project: Any, report: Report) -> Any:
    """The plan `init` would make for the recorded setup: what --fix shows and applies."""
    from mcpauth_wizard.provision.setup import build_plan

    return build_plan(aws, spec_from_setup(aws, project, report), project)
