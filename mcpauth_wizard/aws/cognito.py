"""Amazon Cognito user pools, app clients and resource servers (login domains: `domains`).

Cognito's Update* calls replace the whole resource: every attribute not passed is reset
to its default. The `safe_update_*` functions here are the only places that call them,
always as read → merge → write.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from mcpauth_wizard.aws.session import (
    AwsContext,
    dns_suffix,
    translate_aws_error,
    update_params,
)
from mcpauth_wizard.core.errors import AwsProblem, BadInput, NotFound

POOL_ID = re.compile(r"^[\w-]+_[0-9a-zA-Z]+$")
CLIENT_ID = re.compile(r"^[\w+]+$")


def check_pool_id(pool_id: str) -> str:
    """Refuse a malformed user pool id before any AWS call."""
    if not pool_id or len(pool_id) > 55 or not POOL_ID.match(pool_id):
        raise BadInput(f"invalid user pool id {pool_id!r}; accepted: <region>_<id>, e.g. us-east-1_AbC123")
    return pool_id


def check_client_id(client_id: str) -> str:
    """Refuse a malformed app client id before any AWS call."""
    if not client_id or len(client_id) > 128 or not CLIENT_ID.match(client_id):
        raise BadInput(f"invalid app client id {client_id!r}; accepted: letters, digits, _ and +")
    return client_id


def _paginate(aws: AwsContext, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    paginator = aws.client("cognito-idp").get_paginator(operation)
    for page in paginator.paginate(**params):
        yield from page.get(key, [])


def _not_found(exc: Exception, what: str) -> Exception:
    problem = translate_aws_error(exc)
    if isinstance(problem, NotFound):
        return NotFound(f"{what} not found")
    return exc


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
        raise _not_found(exc, f"user pool {pool_id} (region {aws.region_name})") from None


def list_clients(aws: AwsContext, pool_id: str) -> list[dict[str, Any]]:
    """Id and name of every app client of the pool (paginated)."""
    return list(_paginate(aws, "list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id))


def describe_client(aws: AwsContext, pool_id: str, client_id: str) -> dict[str, Any]:
    check_pool_id(pool_id)
    check_client_id(client_id)
    try:
        return aws.client("cognito-idp").describe_user_pool_client(
            UserPoolId=pool_id, ClientId=client_id
        )["UserPoolClient"]
    except Exception as exc:
        raise _not_found(exc, f"app client {client_id} in user pool {pool_id}") from None


def list_resource_servers(aws: AwsContext, pool_id: str) -> list[dict[str, Any]]:
    return list(
        _paginate(
            aws, "list_resource_servers", "ResourceServers", UserPoolId=pool_id, MaxResults=50
        )
    )


@dataclass(frozen=True)
class SafeUpdate:
    """What a read → merge → write → verify did to one resource."""

    before: dict[str, Any]
    after: dict[str, Any]
    written: bool
    remerged: bool  # someone else changed it since it was read or shown: re-applied on top
    verified: bool  # read back after the write and found as wanted (or nothing to write)
    notes: tuple[str, ...] = ()  # what someone else changed, and what was done about it


ClientUpdate = SafeUpdate  # the name callers of safe_update_client know
Change = Callable[[dict[str, Any]], dict[str, Any]]
ClientChange = Change
_MAX_ROUNDS = 3  # a resource that keeps changing under us: stop and say so


def _changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def read_merge_write(what: str, read: Callable[[], dict[str, Any]],
                     to_params: Callable[[dict[str, Any]], dict[str, Any]],
                     write: Callable[[dict[str, Any]], None], change: Change,
                     *, seen: dict[str, Any] | None = None,
                     guard: Callable[[], None] | None = None) -> SafeUpdate:
    """The one way to call a full-replace Update: read → merge → write → read back.

    Cognito has no conditional write, so the gap between the last read and the write can
    only be narrowed: the resource is read again right before the write (a change found
    there is kept and `change` re-applied on top), and read back after it. A field of ours
    that the read-back lacks (someone wrote after us) is re-applied; a field someone else
    changed is kept. Each of these is a note the caller must show. `guard` runs right before
    each write, after the last read (it refuses a read carrying members botocore lacks).
    """
    from mcpauth_wizard.aws.locks import resource_lock

    with resource_lock(what):
        return _read_merge_write(what, read, to_params, write, change, seen, guard)


def _read_merge_write(what: str, read: Callable[[], dict[str, Any]],
                      to_params: Callable[[dict[str, Any]], dict[str, Any]],
                      write: Callable[[dict[str, Any]], None], change: Change,
                      seen: dict[str, Any] | None, guard: Callable[[], None] | None) -> SafeUpdate:
    first = current = read()
    notes: list[str] = []
    remerged = False
    if seen is not None and to_params(seen) != to_params(current):
        remerged = True
        notes.append(f"{what} changed since it was shown ({', '.join(_changed(to_params(seen), to_params(current)))}): "
                     "the change was applied on top, theirs kept")
    written = False
    for _ in range(_MAX_ROUNDS):
        params = to_params(change(copy.deepcopy(current)))
        if params == to_params(current):
            return SafeUpdate(first, current, written, remerged, True, tuple(notes))
        fresh = read()
        if to_params(fresh) != to_params(current):
            remerged = True
            notes.append(f"{what}: someone else changed {', '.join(_changed(to_params(current), to_params(fresh)))} "
                         "while mcpauth was applying; kept, and the change re-applied on top")
            current = fresh
            continue
        if guard is not None:
            guard()
        write(params)
        written = True
        after = read()
        back = to_params(after)
        # AWS fills defaults for what was never set: compare what was sent or was there.
        keys = set(params) | set(to_params(current))
        lost = sorted(k for k in keys if back.get(k) != params.get(k))
        if not lost:
            return SafeUpdate(first, after, True, remerged, True, tuple(notes))
        remerged = True
        notes.append(f"{what}: {', '.join(lost)} read back differently right after the write "
                     "(someone else wrote too); re-applying mcpauth's change on top of theirs")
        current = after
    raise AwsProblem(f"{what} kept changing while mcpauth updated it ({_MAX_ROUNDS} rounds); "
                     "nothing else was changed: re-run when no one else is editing it")


def safe_update_client(
    aws: AwsContext,
    pool_id: str,
    client_id: str,
    change: ClientChange,
    *,
    seen: dict[str, Any] | None = None,
) -> SafeUpdate:
    """Apply `change` to the app client without losing any attribute.

    `change` receives a copy of the current description and returns the wanted one. If the
    client changed since `seen` (the description the user was shown), the change is
    re-applied to the fresh read instead of overwriting the other change.
    """
    return read_merge_write(
        f"app client {client_id}",
        lambda: describe_client(aws, pool_id, client_id),
        lambda c: update_params(aws, "cognito-idp", "UpdateUserPoolClient", c),
        lambda params: aws.client("cognito-idp").update_user_pool_client(**params),
        change, seen=seen, guard=lambda: aws.refuse_unmodelled(
            "DescribeUserPoolClient", f"app client {client_id}", "UpdateUserPoolClient"))


# --- user pools ---------------------------------------------------------------

CREATED_BY_TAG = ("created-by", "mcpauth")


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
    started = _utcnow()
    response = aws.client("cognito-idp").create_user_pool(**params)
    pool = response["UserPool"]
    if _retried(response):
        _drop_lost_creates(
            f"user pool {name!r}", pool["Id"], started,
            [(p.id, p.created) for p in find_pools_by_name(aws, name)
             if made_by_mcpauth(describe_user_pool(aws, p.id))],
            lambda pool_id: delete_user_pool(aws, pool_id), aws)
    return pool


def find_pools_by_name(aws: AwsContext, name: str) -> list[PoolSummary]:
    return [p for p in list_user_pools(aws) if p.name == name]


def find_pool_by_name(aws: AwsContext, name: str) -> PoolSummary | None:
    matches = find_pools_by_name(aws, name)
    return matches[0] if len(matches) == 1 else None


def made_by_mcpauth(pool: dict[str, Any]) -> bool:
    return (pool.get("UserPoolTags") or {}).get(CREATED_BY_TAG[0]) == CREATED_BY_TAG[1]


# --- creates whose response was lost -------------------------------------------
# botocore retries a create that answered 5xx or timed out; if the first attempt had
# reached AWS, the retry makes a second resource. Create calls carry no idempotency token,
# so after a retried create the run looks for what it made (same name, made since the
# call started, minus clock skew) and keeps only the one AWS answered with.
CLOCK_SKEW_S = 300


def _utcnow() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def _retried(response: dict[str, Any]) -> bool:
    return bool((response.get("ResponseMetadata") or {}).get("RetryAttempts"))


def _drop_lost_creates(what: str, kept: str, started: Any, found: list[tuple[str, Any]],
                       delete: Callable[[str], None], aws: AwsContext) -> None:
    import datetime as dt

    since = started - dt.timedelta(seconds=CLOCK_SKEW_S)
    for other, created in found:
        if other != kept and created is not None and created >= since:
            delete(other)
            aws.notes.append(f"{what}: the first create reached AWS but its answer was lost; "
                             f"deleted the duplicate {other} it made, kept {kept}")


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


def answer_lost(exc: Exception) -> bool:
    """An error answering a create that botocore had retried: the first try may have reached
    AWS and made the thing (its answer lost), so "already exists" may be our own."""
    response = getattr(exc, "response", None) or {}
    return bool((response.get("ResponseMetadata") or {}).get("RetryAttempts"))


def delete_user_pool(aws: AwsContext, pool_id: str) -> None:
    aws.client("cognito-idp").delete_user_pool(UserPoolId=pool_id)


# --- resource servers ---------------------------------------------------------


def _or_none(read: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """The result of a Describe call, or None when AWS says the thing does not exist."""
    try:
        return read()
    except Exception as exc:
        if isinstance(translate_aws_error(exc), NotFound):
            return None
        raise


def describe_resource_server(aws: AwsContext, pool_id: str, identifier: str) -> dict[str, Any] | None:
    return _or_none(lambda: aws.client("cognito-idp").describe_resource_server(
        UserPoolId=pool_id, Identifier=identifier)["ResourceServer"])


def create_resource_server(aws: AwsContext, pool_id: str, identifier: str, name: str,
                           scopes: list[dict[str, str]]) -> bool:
    """True when this call created it; False when a retried create found it as asked."""
    try:
        aws.client("cognito-idp").create_resource_server(
            UserPoolId=pool_id, Identifier=identifier, Name=name, Scopes=scopes
        )
    except Exception as exc:
        found = describe_resource_server(aws, pool_id, identifier) if answer_lost(exc) else None
        if found is not None and found.get("Name") == name and all(
                s in (found.get("Scopes") or []) for s in scopes):
            aws.notes.append(f"resource server {identifier}: a retried create found it as asked (the "
                             "first try's answer was lost); kept, and never rolled back by this run")
            return False
        raise
    return True


def safe_update_resource_server(aws: AwsContext, pool_id: str, identifier: str,
                                add_scopes: list[dict[str, str]]) -> SafeUpdate:
    """Add scopes; UpdateResourceServer replaces name and scopes: read → merge → write → verify."""

    def read() -> dict[str, Any]:
        current = describe_resource_server(aws, pool_id, identifier)
        if current is None:
            raise NotFound(f"resource server {identifier} not found in user pool {pool_id}")
        return current

    def add(server: dict[str, Any]) -> dict[str, Any]:
        scopes = list(server.get("Scopes") or [])
        names = {s["ScopeName"] for s in scopes}
        server["Scopes"] = scopes + [s for s in add_scopes if s["ScopeName"] not in names]
        return server

    return read_merge_write(
        f"resource server {identifier}", read,
        lambda server: update_params(aws, "cognito-idp", "UpdateResourceServer", server),
        lambda params: aws.client("cognito-idp").update_resource_server(**params),
        add, guard=lambda: aws.refuse_unmodelled(
            "DescribeResourceServer", f"resource server {identifier}", "UpdateResourceServer"))


def delete_resource_server(aws: AwsContext, pool_id: str, identifier: str) -> None:
    aws.client("cognito-idp").delete_resource_server(UserPoolId=pool_id, Identifier=identifier)


# --- app clients and their login pages ----------------------------------------


def create_client(aws: AwsContext, pool_id: str, settings: dict[str, Any],
                  *, secret: bool) -> dict[str, Any]:
    started = _utcnow()
    response = aws.client("cognito-idp").create_user_pool_client(
        UserPoolId=pool_id, GenerateSecret=secret, **settings)
    created = response["UserPoolClient"]
    if _retried(response):
        name = settings["ClientName"]
        same = [c["ClientId"] for c in list_clients(aws, pool_id) if c.get("ClientName") == name]
        _drop_lost_creates(
            f"app client {name!r}", created["ClientId"], started,
            [(cid, describe_client(aws, pool_id, cid).get("CreationDate")) for cid in same],
            lambda cid: delete_client(aws, pool_id, cid), aws)
    return created


def is_confidential(described: dict[str, Any]) -> bool:
    """Has the client a secret? Cognito returns it, or only its Secrets Manager ARN
    (botocore UserPoolClientType.ClientSecretArn) when Secrets Manager holds it."""
    return bool(described.get("ClientSecret") or described.get("ClientSecretArn"))


def client_secret(aws: AwsContext, described: dict[str, Any]) -> str | None:
    """The client's secret: as described, or read from Secrets Manager by its ARN (whose
    SecretString is JSON with clientSecretValue, per botocore ClientSecretArn)."""
    if described.get("ClientSecret"):
        return str(described["ClientSecret"])
    arn = described.get("ClientSecretArn")
    if not arn:
        return None
    import json

    try:
        value = aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
        return str(json.loads(value)["clientSecretValue"])
    except (ValueError, KeyError, TypeError):
        raise AwsProblem(f"the Secrets Manager secret {arn} has no clientSecretValue") from None
    except Exception as exc:
        problem = translate_aws_error(exc)
        if problem is None:
            raise
        raise AwsProblem(f"cannot read the client secret from Secrets Manager ({problem}): allow "
                         f"secretsmanager:GetSecretValue on {arn}, or pass the secret with "
                         "--client-secret-env VAR") from None


def delete_client(aws: AwsContext, pool_id: str, client_id: str) -> None:
    try:
        aws.client("cognito-idp").delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    except Exception as exc:
        raise _not_found(exc, f"app client {client_id} in user pool {pool_id}") from None


def find_clients_by_name(aws: AwsContext, pool_id: str, name: str) -> list[str]:
    return [c["ClientId"] for c in list_clients(aws, pool_id) if c.get("ClientName") == name]


def find_client_by_name(aws: AwsContext, pool_id: str, name: str) -> str | None:
    ids = find_clients_by_name(aws, pool_id, name)
    if len(ids) > 1:
        raise BadInput(f"user pool {pool_id} has {len(ids)} app clients named {name!r} "
                       f"({', '.join(ids)}); delete or rename the extra ones")
    return ids[0] if ids else None


def branding_of(aws: AwsContext, pool_id: str, client_id: str) -> dict[str, Any] | None:
    return _or_none(lambda: aws.client("cognito-idp").describe_managed_login_branding_by_client(
        UserPoolId=pool_id, ClientId=client_id)["ManagedLoginBranding"])


def create_branding(aws: AwsContext, pool_id: str, client_id: str) -> None:
    aws.client("cognito-idp").create_managed_login_branding(
        UserPoolId=pool_id, ClientId=client_id, UseCognitoProvidedValues=True
    )


# --- users --------------------------------------------------------------------


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
