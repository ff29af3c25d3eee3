"""The login domain kind of `init`'s plan: the pool's one domain kept (waited for when an
earlier run left it not yet ACTIVE) or created under a free prefix, its managed login
version (moved to v2 for passkeys or when asked, with a default login page style for each
of the pool's other clients, which would otherwise lose their page), and, after apply, the
domain recorded in mcpauth.toml when no step recorded one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcpauth_wizard.aws import app_clients, domains, user_pools
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.provision.plan import FieldChange, Outcome, Step
from mcpauth_wizard.provision.spec import Spec


def plan_domain(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None, steps: list[Step],
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


def record_domain(aws: AwsContext, outcome: Outcome) -> None:
    if outcome.project.domain or not outcome.project.user_pool_id:
        return
    pool = outcome.pool or user_pools.describe_user_pool(aws, outcome.project.user_pool_id)
    domain = pool.get("CustomDomain") or pool.get("Domain")
    if domain:
        outcome.project = replace(outcome.project, domain=domain)
