"""init's plan for an AgentCore Gateway: its CUSTOM_JWT authorizer merged for this pool
(every other field kept), the breaking changes named, and the full-replace update."""

from __future__ import annotations

from typing import Any

from mcpauth_wizard.aws import agentcore, app_clients, resource_servers, user_pools
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.provision import registration
from mcpauth_wizard.provision.plan import FieldChange, Outcome, Step, diff_fields
from mcpauth_wizard.provision.rules import (
    binding_problem,
    breaking_changes,
    dead_audience,
    sends_resource,
    with_full_scopes,
)
from mcpauth_wizard.provision.spec import Spec


def merge_authorizer(gateway: dict[str, Any], discovery: str, client_ids: list[str],
                     scopes: list[str], resource: str = "", *, short_names: tuple[str, ...] = (),
                     audience: bool | None = None) -> dict[str, Any]:
    """The gateway with a CUSTOM_JWT authorizer for this pool; every other field kept.

    Same pool: allowed clients, scopes and audiences are kept (short scope names of the
    resource server written in full, audiences no token can carry dropped); a gateway that
    admitted every client of the pool still does. Another issuer (or no JWT authorizer):
    only this setup's clients and scopes. `audience` True adds the MCP URL to allowedAudience,
    False removes it, None keeps what can match."""
    was_jwt = gateway.get("authorizerType") == "CUSTOM_JWT"
    authorizer = dict(agentcore.jwt_authorizer(gateway)) if was_jwt else {}
    same_pool = was_jwt and authorizer.get("discoveryUrl") == discovery
    if not same_pool:  # the other issuer's client ids and scope strings mean nothing here
        for key in ("allowedClients", "allowedScopes", "advertisedScopeMapping"):
            authorizer.pop(key, None)
    authorizer["discoveryUrl"] = discovery
    allowed = list(authorizer.get("allowedClients") or [])
    if allowed or not same_pool:
        authorizer["allowedClients"] = allowed + [c for c in client_ids if c not in allowed]
    kept = [a for a in authorizer.get("allowedAudience") or [] if a not in dead_audience([a], resource)]
    if audience and resource not in kept:
        kept.append(resource)
    elif audience is False:
        kept = [a for a in kept if a != resource]
    authorizer["allowedAudience"] = kept
    authorizer = with_full_scopes(authorizer, resource, short_names, scopes)
    mapping = {k: v for k, v in (authorizer.get("advertisedScopeMapping") or {}).items()
               if k in (authorizer.get("allowedScopes") or [])}
    authorizer["advertisedScopeMapping"] = mapping
    # botocore refuses empty lists and maps here (min 1): an empty one means "not set"
    authorizer = {k: v for k, v in authorizer.items() if v not in ([], {}, None)}
    gateway["authorizerType"] = "CUSTOM_JWT"
    gateway["authorizerConfiguration"] = {"customJWTAuthorizer": authorizer}
    return gateway


def gateway_scopes_applied(spec: Spec) -> bool:
    """Whether the gateway's allowedScopes carry the resource scopes: asked for, or always with
    self-registering clients (their tokens carry no client id the gateway could allow)."""
    return spec.gateway_allowed_scopes or spec.registration != "static"


def gateway_step(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None, region: str,
                  client_ids: dict[str, str | None], login_version: int, warnings: list[str]) -> Step:
    assert spec.gateway_id
    gateway = agentcore.get_gateway(aws, spec.gateway_id)
    dcr = spec.registration != "static"
    scopes = list(spec.resource_scopes) if gateway_scopes_applied(spec) else []
    before = agentcore.jwt_authorizer(gateway)
    label = f"{gateway.get('name')} ({spec.gateway_id})"
    short_names = _resource_scope_names(aws, spec, pool)
    tier = (pool or {}).get("UserPoolTier") or (spec.new_pool.tier if spec.new_pool else None)
    if spec.gateway_audience and (problem := binding_problem(tier, login_version)):
        raise BadInput(f"--gateway-audience needs tokens with aud = {spec.mcp_url}, but {problem}")

    def wanted(out: Outcome | None, gw: dict[str, Any]) -> dict[str, Any]:
        pool_desc = out.pool if out and out.pool else pool
        ids = [out.project.clients[c.key] for c in spec.clients] if out else \
              [i or f"<new {k} client>" for k, i in client_ids.items()]
        discovery = user_pools.discovery_url(pool_desc, region) if pool_desc else "<new pool's discovery URL>"
        audience = registration.audience_trusted(spec) if dcr else spec.gateway_audience
        return trusted(merge_authorizer(gw, discovery, ids, scopes, spec.mcp_url,
                                        short_names=short_names, audience=audience))

    def trusted(gw: dict[str, Any]) -> dict[str, Any]:
        if dcr:  # no client list can name clients that do not exist yet
            gw["authorizerConfiguration"] = {"customJWTAuthorizer": registration.trust_registered(
                agentcore.jwt_authorizer(gw))}
        return gw

    after = wanted(None, dict(gateway))
    after_auth = agentcore.jwt_authorizer(after)
    keys = ["discoveryUrl", "allowedClients", "allowedAudience", "allowedScopes", "advertisedScopeMapping"]
    fields = diff_fields(before, after_auth, keys)
    if gateway.get("authorizerType") != "CUSTOM_JWT":
        fields = (FieldChange("authorizerType", gateway.get("authorizerType"), "CUSTOM_JWT"), *fields)
    no_resource = [p for c in spec.clients for p in c.platforms if not sends_resource(p)]
    if after_auth.get("allowedAudience") and no_resource:
        warnings.append(f"the gateway requires aud = {spec.mcp_url}: only clients that send `resource` "
                        f"get it; not known to: {', '.join(no_resource)}")
    status = gateway.get("status", "")
    failed = status in agentcore.FAILED_STATES
    if not fields and not failed:
        return Step("keep", "gateway authorizer", label)
    breaking = tuple(breaking_changes(gateway, after, no_resource_platforms=no_resource))
    if breaking and before.get("allowedClients"):  # name who loses access, where readable
        breaking = tuple(breaking_changes(gateway, after, client_names=_client_names(aws, before),
                                          no_resource_platforms=no_resource))
    note = ""
    if failed:
        reasons = "; ".join(agentcore.status_reasons(gateway)) or "no statusReasons"
        note = f"the gateway is {status} ({reasons}): the update is written again"

    def run(aws: AwsContext, out: Outcome) -> None:
        if out.pool is None:
            out.pool = user_pools.describe_user_pool(aws, out.pool_id)
        update = agentcore.safe_update_gateway(aws, spec.gateway_id or "", lambda gw: wanted(out, gw),
                                               seen=gateway, force=failed, on_wait=out.on_wait)
        out.notes.extend(update.notes)

    return Step("update", "gateway authorizer", label, fields, note=note, run=run, breaking=breaking,
                consent_name=str(gateway.get("name") or spec.gateway_id))


def _resource_scope_names(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None) -> tuple[str, ...]:
    """Scope names of the MCP URL's resource server (existing and planned): the only short names."""
    existing = resource_servers.describe_resource_server(aws, pool["Id"], spec.mcp_url) if pool else None
    names = [s["ScopeName"] for s in (existing or {}).get("Scopes") or []]
    return tuple(dict.fromkeys([*names, *spec.scopes]))


def _client_names(aws: AwsContext, authorizer: dict[str, Any]) -> dict[str, str]:
    """Names of the clients a gateway admits today, when their Cognito pool can be read."""
    pool_id = agentcore.pool_of_discovery(authorizer.get("discoveryUrl"))
    names = {}
    for client_id in authorizer.get("allowedClients") or [] if pool_id else []:
        try:
            names[client_id] = app_clients.describe_client(aws, pool_id, client_id).get("ClientName", "")
        except Exception:  # noqa: BLE001 - a name is a courtesy: the id is shown anyway
            continue
    return names
