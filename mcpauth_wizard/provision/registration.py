"""`init --registration static|dcr|both`: clients that register themselves.

- The pool: `DcrConfiguration` with open registration for the code grant only (never
  `client_credentials`: strangers could make billable M2M clients), `AllowedScopes` holding
  the resource scopes, on the ESSENTIALS tier or higher (botocore `DcrConfigurationType`).
  UpdateUserPool replaces the DCR configuration and resets omitted fields: read → merge →
  write through `cognito.safe_update_user_pool`, then read back.
- The gateway cannot list clients that do not exist yet: it trusts by scope (the full scope
  strings) and, when every chosen platform sends `resource` (RFC 8707), by audience (the
  MCP URL, which Cognito's resource binding puts in `aud`). `allowedClients` is dropped:
  AgentCore validates every configured field of the authorizer (CustomJWTAuthorizerConfiguration:
  each list is "validated in the incoming JWT token validation process"; no rule says any one
  field suffices), so a client list would refuse every registered client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcpauth_wizard.core.errors import AwsProblem
from mcpauth_wizard.mcp.platforms import PLATFORMS

if TYPE_CHECKING:
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.provision.plan import Outcome, Step
    from mcpauth_wizard.provision.spec import Spec

REGISTRATIONS = ("static", "dcr", "both")
COGNITO_OFFERS = ("pre-registered", "DCR")  # Cognito has no client ID metadata documents (CIMD)


def registers_itself(platform: str) -> bool:
    """Of the ways Cognito offers, the platform's first (the registry lists them in the
    client's own order) is dynamic registration: it needs no client id pasted."""
    offered = [k for k in PLATFORMS[platform].registration_kinds if k in COGNITO_OFFERS]
    return bool(offered) and offered[0] == "DCR"


def split_platforms(registration: str, platforms: list[str]) -> tuple[list[str], list[str]]:
    """(platforms that get a pre-registered client, platforms that register themselves)."""
    if registration == "static":
        return list(platforms), []
    if registration == "dcr":
        return [], list(platforms)
    return ([p for p in platforms if not registers_itself(p)],
            [p for p in platforms if registers_itself(p)])


def self_registering(project: Any) -> list[str]:
    """The platforms recorded in mcpauth.toml that register themselves (init's
    --registration dcr|both): they have no app client of their own."""
    if project.registration not in ("dcr", "both"):
        return []
    return split_platforms(project.registration, list(project.platforms))[1]


def audience_trusted(spec: Spec) -> bool:
    """Trust by audience only if the pool can bind aud and every platform sends resource."""
    from mcpauth_wizard.provision.rules import binding_problem, sends_resource

    if spec.gateway_audience is not None:
        return spec.gateway_audience
    tier = spec.new_pool.tier if spec.new_pool else None  # an existing pool: ESSENTIALS by now
    if binding_problem(tier, spec.managed_login_version):
        return False
    every = {p for c in spec.clients for p in c.platforms} | set(spec.dcr_platforms)
    return bool(every) and all(sends_resource(p) is True for p in every)


def wanted_dcr(current: dict[str, Any] | None, spec: Spec) -> dict[str, Any]:
    """The pool's DCR configuration with what the spec needs; the rest of it kept."""
    dcr = dict(current or {})
    dcr["EnableStatus"] = "Enabled"
    dcr["OpenDcrEnabled"] = True
    dcr["OpenDcrGrantTypes"] = ["code"]  # never client_credentials for strangers
    have = list(dcr.get("AllowedScopes") or [])
    dcr["AllowedScopes"] = have + [s for s in spec.resource_scopes if s not in have]
    return dcr


def trust_registered(authorizer: dict[str, Any]) -> dict[str, Any]:
    """The gateway's JWT authorizer for clients that register themselves: no client list
    (scopes and audience come from merge_authorizer, with the resource scopes required)."""
    authorizer = dict(authorizer)
    authorizer.pop("allowedClients", None)
    return authorizer


def pool_steps(spec: Spec, pool: dict[str, Any] | None) -> list[Step]:
    """The plan's steps for the pool's tier and DCR configuration (read calls only)."""
    if spec.registration == "static":
        return []
    from mcpauth_wizard.aws import user_pools
    from mcpauth_wizard.provision.plan import FieldChange as field_change
    from mcpauth_wizard.provision.plan import Step as step

    tier = (pool or {}).get("UserPoolTier") or (spec.new_pool.tier if spec.new_pool else "ESSENTIALS")
    current = (pool or {}).get("DcrConfiguration")
    wanted = wanted_dcr(current, spec)
    changes = []
    if tier == "LITE":
        changes.append(field_change("UserPoolTier", "LITE", "ESSENTIALS"))
    for key in ("EnableStatus", "OpenDcrEnabled", "OpenDcrGrantTypes", "AllowedScopes"):
        if (current or {}).get(key) != wanted[key]:
            changes.append(field_change(f"DcrConfiguration.{key}", (current or {}).get(key), wanted[key]))
    name = pool["Id"] if pool else spec.new_pool.name if spec.new_pool else "user pool"
    if not changes:
        return [step("keep", "client registration", name)]

    def change(described: dict[str, Any]) -> dict[str, Any]:
        if described.get("UserPoolTier") == "LITE":
            described["UserPoolTier"] = "ESSENTIALS"
        described["DcrConfiguration"] = wanted_dcr(described.get("DcrConfiguration"), spec)
        return described

    def run(aws: AwsContext, out: Outcome) -> None:
        user_pools.safe_update_user_pool(aws, out.pool_id, change)
        after = user_pools.describe_user_pool(aws, out.pool_id)
        got = after.get("DcrConfiguration") or {}
        if any(got.get(k) != v for k, v in wanted_dcr(got, spec).items()):
            raise AwsProblem(f"user pool {out.pool_id}: DcrConfiguration reads back as {got}")
        out.pool = after

    note = ("open registration, code grant only; " if not current else "") + (
        "ESSENTIALS is billed per monthly active user (LITE has no DCR, managed login or "
        "resource binding)" if tier == "LITE" else "registered clients count toward the 1,000 "
        "app clients per pool (`mcpauth clients prune`)")
    return [step("update", "client registration", name, tuple(changes), note=note, run=run)]
