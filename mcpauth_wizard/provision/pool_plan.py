"""The user pool kind of `init`'s plan: the pool to use (the one picked with --pool-id, or a
pool this tool made earlier under the same name, recorded in mcpauth.toml or tagged, with a
lost create's duplicates named), the refusal of a same-named pool mcpauth did not make, and
its step: keep (recording its id) or create (tier, admin-only sign-up, sign-in factors)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcpauth_wizard.aws import user_pools
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import BadInput, McpAuthError
from mcpauth_wizard.core.project import Project
from mcpauth_wizard.provision.plan import FieldChange, Outcome, Step, duplicates_note
from mcpauth_wizard.provision.spec import Spec


def existing_pool(aws: AwsContext, spec: Spec, project: Project,
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


def pool_step(spec: Spec, pool: dict[str, Any] | None) -> Step:
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
