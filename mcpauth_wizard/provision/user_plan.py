"""The first user kind of `init`'s plan: the user with the spec's email kept when the pool
has it, else created by an admin (Cognito emails a temporary password)."""

from __future__ import annotations

from typing import Any

from mcpauth_wizard.aws import user_pools
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.provision.plan import Step
from mcpauth_wizard.provision.spec import Spec


def user_step(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None) -> Step:
    email = spec.first_user or ""
    if pool is not None and user_pools.user_exists(aws, pool["Id"], email):
        return Step("keep", "user", email)
    return Step("create", "user", email, note="Cognito emails a temporary password",
                run=lambda a, o: user_pools.create_user(a, o.pool_id, email))
