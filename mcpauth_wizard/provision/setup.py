"""`mcpauth init`: Spec → Plan (a diff against AWS, made with read calls only) → apply.

Each Step knows what it will do (create / update with field-level before → after /
keep) and how to do it. Steps run in dependency order; ids made by earlier steps reach
later ones through the Outcome. A second run with the same Spec plans only keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from mcpauth_wizard.aws import app_clients, domains, resource_servers, user_pools
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import BadInput, McpAuthError
from mcpauth_wizard.core.project import Project
from mcpauth_wizard.provision import registration
from mcpauth_wizard.provision.client_plan import branding_step, client_step, existing_client
from mcpauth_wizard.provision.gateway_plan import gateway_scopes_applied, gateway_step
from mcpauth_wizard.provision.plan import (  # noqa: F401 - re-exported
    Action,
    FieldChange,
    Outcome,
    Plan,
    Step,
    diff_fields,
    duplicates_note,
)
from mcpauth_wizard.provision.spec import Spec, resource_near_miss

# --- planning (read calls only) -------------------------------------------------


def build_plan(aws: AwsContext, spec: Spec, project: Project) -> Plan:
    """Compare the spec with AWS and list the steps; makes no change."""
    region = aws.region_name
    warnings = list(spec.warnings)
    steps: list[Step] = []
    pool = _existing_pool(aws, spec, project, warnings)
    steps.append(_pool_step(spec, pool))
    domain_prefix, login_version = _plan_domain(aws, spec, pool, steps, warnings)
    host = domains.login_host(domain_prefix, region)
    if spec.passkeys:
        steps.extend(_passkey_steps(aws, spec, pool, host))
    if spec.mcp_url:  # an OAuth proxy whose URL is not known yet has none
        steps.append(_resource_server_step(aws, spec, pool, warnings))
    steps.extend(registration.pool_steps(spec, pool))
    client_ids: dict[str, str | None] = {}
    for client in spec.clients:
        client_id = existing_client(aws, pool, project, client, warnings)
        client_ids[client.key] = client_id
        steps.append(client_step(aws, spec, pool, client, client_id))
    if login_version == 2:
        for client in spec.clients:
            steps.append(branding_step(aws, pool, client, client_ids[client.key]))
    if spec.gateway_id:
        steps.append(gateway_step(aws, spec, pool, region, client_ids, login_version, warnings))
    if spec.first_user:
        steps.append(_user_step(aws, spec, pool))
    return Plan(spec=spec, steps=tuple(steps), warnings=tuple(warnings), region=region)


def _existing_pool(aws: AwsContext, spec: Spec, project: Project,
                   warnings: list[str]) -> dict[str, Any] | None:
    if spec.pool_id:
        return user_pools.describe_user_pool(aws, spec.pool_id)
    assert spec.new_pool
    name = spec.new_pool.name
    # Resume: a pool this tool made earlier with the same name (recorded, or tagged).
    recorded = None
    if project.user_pool_id:
        try:
            recorded = user_pools.describe_user_pool(aws, project.user_pool_id)
        except McpAuthError:
            recorded = None
        if recorded and recorded.get("Name") != name:
            recorded = None
    ours = [p for p in user_pools.find_pools_by_name(aws, name)
            if recorded is None or p.id != recorded["Id"]]
    described = [user_pools.describe_user_pool(aws, p.id) for p in ours]
    tagged = [p for p in described if user_pools.made_by_mcpauth(p)]
    if recorded is not None:
        if tagged:  # a create whose answer was lost may have left these behind
            warnings.append(duplicates_note(f"user pool {name!r}", recorded["Id"], tagged, "Id"))
        return recorded
    if len(tagged) > 1:
        raise BadInput(f"{len(tagged)} user pools named {name!r} were made by mcpauth "
                       f"({', '.join(p['Id'] for p in tagged)}), likely by a retried create: "
                       "pick the one to keep with --pool-id and delete the others")
    if tagged:
        return tagged[0]
    if described:
        raise BadInput(
            f"a user pool named {name!r} exists ({described[0]['Id']}) and was not made by "
            "mcpauth; pick it with --pool-id or choose another name"
        )
    return None


def _pool_step(spec: Spec, pool: dict[str, Any] | None) -> Step:
    if pool is not None:
        def record(aws: AwsContext, out: Outcome) -> None:
            out.pool = pool
            if out.project.user_pool_id != pool["Id"]:  # another pool: its clients do not apply
                out.project = replace(out.project, user_pool_id=pool["Id"], clients={}, domain=None)

        return Step("keep", "user pool", f"{pool.get('Name')} ({pool['Id']})", run=record)
    new = spec.new_pool
    assert new

    def run(aws: AwsContext, out: Outcome) -> None:
        created = user_pools.create_user_pool(
            aws, new.name, tier=new.tier, admin_only=new.admin_only, passkeys=spec.passkeys
        )
        out.pool = created
        out.project = replace(out.project, user_pool_id=created["Id"], clients={}, domain=None)
        out.created.append((f"user pool {created['Id']}",
                            lambda: user_pools.delete_user_pool(aws, created["Id"])))

    fields = (
        FieldChange("UserPoolTier", None, new.tier),
        FieldChange("AllowAdminCreateUserOnly", None, new.admin_only),
        FieldChange("SignInPolicy", None, "PASSWORD, WEB_AUTHN" if spec.passkeys else "PASSWORD"),
    )
    return Step("create", "user pool", new.name, fields, run=run)


def _plan_domain(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None, steps: list[Step],
                 warnings: list[str]) -> tuple[str, int]:
    """Plan the login domain; returns its prefix and the managed login version it will have."""
    existing = (pool or {}).get("CustomDomain") or (pool or {}).get("Domain")
    if existing:
        assert pool is not None
        described = domains.describe_domain(aws, existing) or {}
        version = described.get("ManagedLoginVersion") or 1
        if spec.domain_prefix and spec.domain_prefix != existing:
            warnings.append(f"the pool already has the domain {existing} (one per pool): kept")
        if (spec.passkeys or spec.managed_login_version == 2) and version != 2:
            steps.append(Step(
                "update", "domain", existing, (FieldChange("ManagedLoginVersion", version, 2),),
                note="switches every client of the pool to managed login (each needs a style)",
                run=lambda a, o: domains.update_domain_version(a, o.pool_id, existing, 2)))
            steps.extend(_styles_for_other_clients(aws, spec, pool))
            return existing, 2
        if spec.managed_login_version == 1 and version == 2:
            warnings.append(f"domain {existing} uses managed login (v2), kept: classic login would "
                            "change every client of the pool")
        if described.get("Status", "ACTIVE") != "ACTIVE":
            # Made by an earlier run that stopped before it was live: wait for it (reads only).
            steps.append(Step("keep", "domain", existing, note=f"{described.get('Status')}: waiting",
                              run=lambda a, o: domains.wait_for_domain(a, existing, on_wait=o.on_wait)))
        else:
            steps.append(Step("keep", "domain", existing))
        return existing, version
    if not spec.domain_prefix:
        raise BadInput("the user pool has no login domain: pass --domain PREFIX")
    prefix = domains.check_domain_prefix(spec.domain_prefix)
    owner = domains.describe_domain(aws, prefix)
    if owner and (pool is None or owner["UserPoolId"] != pool["Id"]):
        raise BadInput(f"domain prefix {prefix!r} is taken by another user pool; choose another")

    def run(aws: AwsContext, out: Outcome) -> None:
        made = domains.create_domain(aws, out.pool_id, prefix, spec.managed_login_version)
        out.project = replace(out.project, domain=prefix)
        pool_id = out.pool_id
        if made:  # only what this run made is offered for rollback
            out.created.append((f"domain {prefix}", lambda: domains.delete_domain(aws, pool_id, prefix)))
        domains.wait_for_domain(aws, prefix, on_wait=out.on_wait)

    version = "managed login (v2)" if spec.managed_login_version == 2 else "classic hosted UI (v1)"
    steps.append(Step("create", "domain", prefix,
                      (FieldChange("ManagedLoginVersion", None, spec.managed_login_version),),
                      note=version, run=run))
    return prefix, spec.managed_login_version


def _styles_for_other_clients(aws: AwsContext, spec: Spec, pool: dict[str, Any]) -> list[Step]:
    """Moving a domain to managed login leaves the pool's other clients without a page: give
    each a default style too."""
    ours = {c.name for c in spec.clients}
    steps = []
    for other in app_clients.list_clients(aws, pool["Id"]):
        if other.get("ClientName") in ours or app_clients.branding_of(aws, pool["Id"], other["ClientId"]):
            continue
        cid = other["ClientId"]
        steps.append(Step("create", "login page style", f"{other.get('ClientName')} ({cid})",
                          note="another client of the pool: without a style it loses its login page",
                          run=lambda a, o, cid=cid: app_clients.create_branding(a, o.pool_id, cid)))
    return steps


def _passkey_steps(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None, host: str) -> list[Step]:
    steps = []
    if pool is not None:
        factors = (((pool.get("Policies") or {}).get("SignInPolicy") or {})
                   .get("AllowedFirstAuthFactors") or ["PASSWORD"])
        if "WEB_AUTHN" not in factors:
            wanted = [*factors, "WEB_AUTHN"]

            def add_factor(p: dict[str, Any]) -> dict[str, Any]:
                policies = p.setdefault("Policies", {})
                policies.setdefault("SignInPolicy", {})["AllowedFirstAuthFactors"] = wanted
                return p

            steps.append(Step(
                "update", "sign-in policy", pool["Id"],
                (FieldChange("AllowedFirstAuthFactors", factors, wanted),),
                run=lambda a, o: o.noted(user_pools.safe_update_user_pool(a, o.pool_id, add_factor))))
    current_rp = None
    if pool is not None:
        current_rp = (user_pools.get_mfa_config(aws, pool["Id"]).get("WebAuthnConfiguration") or {}).get(
            "RelyingPartyId")
    if current_rp == host:
        steps.append(Step("keep", "passkey relying party", host))
    else:
        steps.append(Step(
            "create" if current_rp is None else "update", "passkey relying party", host,
            (FieldChange("RelyingPartyId", current_rp, host),),
            run=lambda a, o: user_pools.set_webauthn(a, o.pool_id, host)))
    return steps


def _resource_server_step(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None,
                          warnings: list[str]) -> Step:
    wanted = [{"ScopeName": s, "ScopeDescription": f"{s} the MCP server"} for s in spec.scopes]
    existing = resource_servers.describe_resource_server(aws, pool["Id"], spec.mcp_url) if pool else None
    if pool is not None and existing is None:
        for other in resource_servers.list_resource_servers(aws, pool["Id"]):
            ident = other["Identifier"]
            if resource_near_miss(ident, spec.mcp_url):
                warnings.append(
                    f"resource server {ident} differs from the MCP URL {spec.mcp_url} only by a "
                    "slash or /mcp: tokens for it will not match; mcpauth makes one for the exact URL"
                )
    if existing is None:
        def run(aws: AwsContext, out: Outcome) -> None:
            made = resource_servers.create_resource_server(aws, out.pool_id, spec.mcp_url, "mcp", wanted)
            pool_id = out.pool_id
            if made:  # only what this run made is offered for rollback
                out.created.append((f"resource server {spec.mcp_url}",
                                    lambda: resource_servers.delete_resource_server(aws, pool_id, spec.mcp_url)))

        return Step("create", "resource server", spec.mcp_url,
                    (FieldChange("Scopes", None, list(spec.scopes)),), run=run)
    have = [s["ScopeName"] for s in existing.get("Scopes") or []]
    missing = [s for s in spec.scopes if s not in have]
    if not missing:
        return Step("keep", "resource server", spec.mcp_url)
    return Step(
        "update", "resource server", spec.mcp_url,
        (FieldChange("Scopes", have, have + missing),),
        run=lambda a, o: o.noted(resource_servers.safe_update_resource_server(a, o.pool_id, spec.mcp_url, wanted)),
    )


def _user_step(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None) -> Step:
    email = spec.first_user or ""
    if pool is not None and user_pools.user_exists(aws, pool["Id"], email):
        return Step("keep", "user", email)
    return Step("create", "user", email, note="Cognito emails a temporary password",
                run=lambda a, o: user_pools.create_user(a, o.pool_id, email))


# --- apply ----------------------------------------------------------------------


class ApplyFailed(McpAuthError):
    """A step failed: what was done is recorded; a re-run with the same answers resumes."""

    def __init__(self, step: Step, cause: Exception, outcome: Outcome) -> None:
        from mcpauth_wizard.aws.session import translate_aws_error

        reason = translate_aws_error(cause) or cause
        super().__init__(f"{step.label} failed: {reason}")
        self.step = step
        self.outcome = outcome


def apply_plan(aws: AwsContext, plan: Plan, project: Project,
               on_step: Callable[[Step, Outcome], None] | None = None,
               on_wait: Callable[[str, float], None] | None = None) -> Outcome:
    """Run every step in order; after each, `on_step` may record the outcome (mcpauth.toml)."""
    outcome = Outcome(project=recorded(project, plan), region=plan.region, on_wait=on_wait)
    for step in plan.steps:
        if step.run is not None:  # a "keep" step only records ids (or waits for a domain)
            try:
                step.run(aws, outcome)
            except Exception as exc:
                raise ApplyFailed(step, exc, outcome) from exc
            finally:  # what the AWS layer did on its own (e.g. removed a duplicate it made)
                outcome.notes.extend(aws.notes)
                aws.notes.clear()
            if step.action != "keep":
                outcome.done.append(step.label)
        if on_step:
            on_step(step, outcome)
    _record_domain(aws, outcome)
    return outcome


def recorded(project: Project, plan: Plan) -> Project:
    """The answers of this run as mcpauth.toml records them: a re-run starts from them."""
    spec = plan.spec
    return replace(
        project, region=plan.region, resource_url=spec.mcp_url or None, scopes=spec.scopes,
        gateway_id=spec.gateway_id, ports=dict(spec.ports),
        pool_name=spec.new_pool.name if spec.new_pool else project.pool_name,
        platforms=spec.platforms, secret=spec.secret_platforms, user_scopes=spec.user_scopes,
        passkeys=spec.passkeys, classic_login=spec.managed_login_version == 1,
        gateway_allowed_scopes=gateway_scopes_applied(spec) if spec.gateway_id else None,
        registration=spec.registration)


def _record_domain(aws: AwsContext, outcome: Outcome) -> None:
    if outcome.project.domain or not outcome.project.user_pool_id:
        return
    pool = outcome.pool or user_pools.describe_user_pool(aws, outcome.project.user_pool_id)
    domain = pool.get("CustomDomain") or pool.get("Domain")
    if domain:
        outcome.project = replace(outcome.project, domain=domain)


def rollback(outcome: Outcome) -> list[str]:
    """Delete what this run created, newest first; returns what could not be deleted."""
    left = []
    for label, undo in reversed(outcome.created):
        try:
            undo()
        except Exception:  # noqa: BLE001 - report and go on with the rest
            left.append(label)
    return left
