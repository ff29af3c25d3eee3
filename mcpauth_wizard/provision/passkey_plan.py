"""The passkey kind of `init`'s plan: WEB_AUTHN added to the pool's allowed first sign-in
factors (those it has are kept), and the passkey relying party set to the login host
(kept when it already is)."""

from __future__ import annotations

from typing import Any

from mcpauth_wizard.aws import user_pools
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.provision.plan import FieldChange, Step
from mcpauth_wizard.provision.spec import Spec


def passkey_steps(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None, host: str) -> list[Step]:
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
