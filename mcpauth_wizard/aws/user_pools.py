"""Amazon Cognito user pools: list, describe, create, safe update, MFA and passkeys, delete;
and the pool's users (app clients: `app_clients`; resource servers: `resource_servers`;
login domains: `domains`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from mcpauth_wizard.aws.session import AwsContext, dns_suffix, not_found_as, update_params
from mcpauth_wizard.aws.writes import (
    Change,
    SafeUpdate,
    drop_lost_creates,
    read_merge_write,
    retried,
    utcnow,
)
from mcpauth_wizard.core.errors import BadInput

POOL_ID = re.compile(r"^[\w-]+_[0-9a-zA-Z]+$")
CREATED_BY_TAG = ("created-by", "mcpauth")


def check_pool_id(pool_id: str) -> str:
    """Refuse a malformed user pool id before any AWS call."""
    if not pool_id or len(pool_id) > 55 or not POOL_ID.match(pool_id):
        raise BadInput(f"invalid user pool id {pool_id!r}; accepted: <region>_<id>, e.g. us-east-1_AbC123")
    return pool_id


@dataclass(frozen=True)
class PoolSummary:
    id: str
    name: str
    created: Any = None  # datetime from ListUserPools, when AWS gives it


THROTTLED = ("ThrottlingException", "TooManyRequestsException", "Throttling", "RequestLimitExceeded")


def with_backoff(call: Callable[[], Any], *, attempts: int = 8, first_delay: float = 0.2,
                 sleep: Callable[[float], None] | None = None) -> Any:
    """Retry a throttled call with exponential backoff and jitter, beyond botocore's own
    retries (a list of a thousand pools must not end the wizard on one throttle)."""
    import random
    import time

    delay = first_delay
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:
            code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
            if code not in THROTTLED or attempt == attempts - 1:
                raise
            (sleep or time.sleep)(delay * (0.5 + random.random()))
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


def list_user_pools(aws: AwsContext) -> list[PoolSummary]:
    """Every user pool in the region: ListUserPools pages of 60 (its maximum), names only."""
    # A NextToken loop, not botocore's list_user_pools paginator: each page gets
    # `with_backoff` on top of botocore's retries, whose attempts AWS_MAX_ATTEMPTS may cut
    # (to 2 in the tests), and a paginator cannot retry one page without re-reading the
    # pages before it.
    client = aws.client("cognito-idp")
    pools: list[PoolSummary] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"MaxResults": 60, **({"NextToken": token} if token else {})}
        page = with_backoff(lambda params=params: client.list_user_pools(**params))
        pools.extend(PoolSummary(id=p["Id"], name=p["Name"], created=p.get("CreationDate"))
                     for p in page.get("UserPools", []))
        token = page.get("NextToken")
        if not token:
            return pools


def describe_user_pool(aws: AwsContext, pool_id: str) -> dict[str, Any]:
    try:
        return aws.client("cognito-idp").describe_user_pool(UserPoolId=check_pool_id(pool_id))[
            "UserPool"
        ]
    except Exception as exc:
        raise not_found_as(exc, f"user pool {pool_id} (region {aws.region_name})") from None


def issuer_url(pool: dict[str, Any], region: str) -> str:
    """The pool's token issuer (the `UPDATED` issuer form when the pool opted in)."""
    host = "cognito-idp"
    if (pool.get("IssuerConfiguration") or {}).get("Type") == "UPDATED":
        host = "issuer-cognito-idp"
    return f"https://{host}.{region}.{dns_suffix(region)}/{pool['Id']}"


def discovery_url(pool: dict[str, Any], region: str) -> str:
    return issuer_url(pool, region) + "/.well-known/openid-configuration"


def create_user_pool(aws: AwsContext, name: str, *, tier: str, admin_only: bool,
                     passkeys: bool) -> dict[str, Any]:
    """A new pool, tagged as made by mcpauth, email as the user name."""
    params: dict[str, Any] = {
        "PoolName": name,
        "UserPoolTier": tier,
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": admin_only},
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "UserPoolTags": dict([CREATED_BY_TAG]),
        "DeletionProtection": "INACTIVE",
    }
    if passkeys:
        params["Policies"] = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}
    started = utcnow()
    response = aws.client("cognito-idp").create_user_pool(**params)
    pool = response["UserPool"]
    if retried(response):
        drop_lost_creates(
            f"user pool {name!r}", pool["Id"], started,
            [(p.id, p.created) for p in find_pools_by_name(aws, name)
             if made_by_mcpauth(describe_user_pool(aws, p.id))],
            lambda pool_id: delete_user_pool(aws, pool_id), aws)
    return pool


def find_pools_by_name(aws: AwsContext, name: str) -> list[PoolSummary]:
    return [p for p in list_user_pools(aws) if p.name == name]


def made_by_mcpauth(pool: dict[str, Any]) -> bool:
    return (pool.get("UserPoolTags") or {}).get(CREATED_BY_TAG[0]) == CREATED_BY_TAG[1]


# UpdateUserPool refuses some combinations that DescribeUserPool returns for pools made in
# the console, so the write leaves them out:
# - the legacy AdminCreateUserConfig.UnusedAccountValidityDays once the pool has
#   PasswordPolicy.TemporaryPasswordValidityDays (botocore PasswordPolicyType
#   .TemporaryPasswordValidityDays: "you can no longer set a value for the legacy
#   UnusedAccountValidityDays parameter in that user pool").
# - MfaConfiguration ON / OPTIONAL without an SmsConfiguration ("SMS configuration and Auto
#   verification for phone_number are required when MFA is required/optional" — reported:
#   panther-labs/panther#637, cloudformation-coverage-roadmap#769, #2221). MFA stays the
#   business of SetUserPoolMfaConfig; safe_update_user_pool puts it back if the write reset it.
def _pool_params(aws: AwsContext, pool: dict[str, Any]) -> dict[str, Any]:
    # Describe says Name and Id; Update says PoolName and UserPoolId.
    renamed = {**pool, "UserPoolId": pool["Id"], "PoolName": pool.get("Name")}
    params = update_params(aws, "cognito-idp", "UpdateUserPool", renamed)
    admin = dict(params.get("AdminCreateUserConfig") or {})
    password = ((params.get("Policies") or {}).get("PasswordPolicy") or {})
    if "UnusedAccountValidityDays" in admin and password.get("TemporaryPasswordValidityDays"):
        admin.pop("UnusedAccountValidityDays")
        params["AdminCreateUserConfig"] = admin
    if params.get("MfaConfiguration") in ("ON", "OPTIONAL") and not params.get("SmsConfiguration"):
        params.pop("MfaConfiguration")  # left as it is; SetUserPoolMfaConfig owns it
    return params


def safe_update_user_pool(aws: AwsContext, pool_id: str, change: Change) -> SafeUpdate:
    """UpdateUserPool resets what it omits: read → merge → write → verify (MFA included)."""
    mfa = get_mfa_config(aws, pool_id)
    result = read_merge_write(
        f"user pool {pool_id}",
        lambda: describe_user_pool(aws, pool_id),
        lambda p: _pool_params(aws, p),
        lambda params: aws.client("cognito-idp").update_user_pool(**params),
        change, guard=lambda: aws.refuse_unmodelled(
            "DescribeUserPool", f"user pool {pool_id}", "UpdateUserPool"))
    if result.written and get_mfa_config(aws, pool_id).get("MfaConfiguration") != mfa.get("MfaConfiguration"):
        # The write could not carry MFA (see _pool_params) and the pool fell back to a default.
        params = update_params(aws, "cognito-idp", "SetUserPoolMfaConfig", mfa)
        aws.client("cognito-idp").set_user_pool_mfa_config(**params, UserPoolId=pool_id)
        note = f"user pool {pool_id}: MFA ({mfa.get('MfaConfiguration')}) was reset by UpdateUserPool; restored"
        result = replace(result, notes=(*result.notes, note))
    return result


def get_mfa_config(aws: AwsContext, pool_id: str) -> dict[str, Any]:
    found = aws.client("cognito-idp").get_user_pool_mfa_config(UserPoolId=pool_id)
    return {k: v for k, v in found.items() if k != "ResponseMetadata"}


def set_webauthn(aws: AwsContext, pool_id: str, relying_party: str) -> None:
    """Set the passkey relying party, keeping the pool's other MFA settings."""
    current = get_mfa_config(aws, pool_id)
    params = update_params(aws, "cognito-idp", "SetUserPoolMfaConfig", current)
    params["UserPoolId"] = pool_id
    params["WebAuthnConfiguration"] = {
        **(current.get("WebAuthnConfiguration") or {}),
        "RelyingPartyId": relying_party,
        "UserVerification": (current.get("WebAuthnConfiguration") or {}).get(
            "UserVerification", "preferred"
        ),
    }
    aws.client("cognito-idp").set_user_pool_mfa_config(**params)


def delete_user_pool(aws: AwsContext, pool_id: str) -> None:
    aws.client("cognito-idp").delete_user_pool(UserPoolId=pool_id)


# --- users of a pool ------------------------------------------------------------


def user_exists(aws: AwsContext, pool_id: str, username: str) -> bool:
    try:
        aws.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username=username)
        return True
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code == "UserNotFoundException":
            return False
        raise


def create_user(aws: AwsContext, pool_id: str, email: str) -> None:
    """Invite a user: Cognito emails a temporary password."""
    aws.client("cognito-idp").admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        DesiredDeliveryMediums=["EMAIL"],
    )
