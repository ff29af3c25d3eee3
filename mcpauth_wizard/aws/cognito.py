"""Amazon Cognito user pools, domains, app clients and resource servers.

Cognito's Update* calls replace the whole resource: every attribute not passed is reset
to its default. The `safe_update_*` functions here are the only places that call them,
always as read → merge → write.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mcpauth_wizard.aws.session import AwsContext, translate_aws_error, update_params
from mcpauth_wizard.errors import AwsProblem, BadInput, NotFound

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


def list_user_pools(aws: AwsContext) -> list[PoolSummary]:
    """Every user pool in the region (paginated: accounts can have hundreds)."""
    return [
        PoolSummary(id=p["Id"], name=p["Name"])
        for p in _paginate(aws, "list_user_pools", "UserPools", MaxResults=60)
    ]


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


def describe_domain(aws: AwsContext, domain: str) -> dict[str, Any] | None:
    """The domain's description, or None when no pool owns that prefix."""
    found = aws.client("cognito-idp").describe_user_pool_domain(Domain=domain)
    description = found.get("DomainDescription") or {}
    return description if description.get("UserPoolId") else None


def list_resource_servers(aws: AwsContext, pool_id: str) -> list[dict[str, Any]]:
    return list(
        _paginate(
            aws, "list_resource_servers", "ResourceServers", UserPoolId=pool_id, MaxResults=50
        )
    )


@dataclass(frozen=True)
class ClientUpdate:
    """What a safe update did: the client before and after, and whether it wrote."""

    before: dict[str, Any]
    after: dict[str, Any]
    written: bool
    remerged: bool  # someone changed the client after it was shown; the change was re-applied


ClientChange = Callable[[dict[str, Any]], dict[str, Any]]


def safe_update_client(
    aws: AwsContext,
    pool_id: str,
    client_id: str,
    change: ClientChange,
    *,
    seen: dict[str, Any] | None = None,
) -> ClientUpdate:
    """Apply `change` to the app client without losing any attribute.

    `change` receives a copy of the current description and returns the wanted one. If the
    client changed since `seen` (the description the user was shown), the change is
    re-applied to the fresh read instead of overwriting the other change.
    """
    current = describe_client(aws, pool_id, client_id)
    remerged = seen is not None and current.get("LastModifiedDate") != seen.get("LastModifiedDate")
    wanted = change(copy.deepcopy(current))
    before_params = update_params(aws, "cognito-idp", "UpdateUserPoolClient", current)
    params = update_params(aws, "cognito-idp", "UpdateUserPoolClient", wanted)
    if params == before_params:
        return ClientUpdate(before=current, after=current, written=False, remerged=remerged)
    after = aws.client("cognito-idp").update_user_pool_client(**params)["UserPoolClient"]
    return ClientUpdate(before=current, after=after, written=True, remerged=remerged)


# --- user pools ---------------------------------------------------------------

CREATED_BY_TAG = ("created-by", "mcpauth")


def issuer_url(pool: dict[str, Any], region: str) -> str:
    """The pool's token issuer (the `UPDATED` issuer form when the pool opted in)."""
    host = "cognito-idp"
    if (pool.get("IssuerConfiguration") or {}).get("Type") == "UPDATED":
        host = "issuer-cognito-idp"
    return f"https://{host}.{region}.amazonaws.com/{pool['Id']}"


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
    return aws.client("cognito-idp").create_user_pool(**params)["UserPool"]


def find_pool_by_name(aws: AwsContext, name: str) -> PoolSummary | None:
    matches = [p for p in list_user_pools(aws) if p.name == name]
    return matches[0] if len(matches) == 1 else None


def safe_update_user_pool(aws: AwsContext, pool_id: str,
                          change: Callable[[dict[str, Any]], dict[str, Any]]) -> bool:
    """UpdateUserPool resets what it omits: read → merge → write. True if it wrote."""
    current = describe_user_pool(aws, pool_id)
    wanted = change(copy.deepcopy(current))

    def params(pool: dict[str, Any]) -> dict[str, Any]:
        # Describe says Name and Id; Update says PoolName and UserPoolId.
        renamed = {**pool, "UserPoolId": pool["Id"], "PoolName": pool.get("Name")}
        return update_params(aws, "cognito-idp", "UpdateUserPool", renamed)

    if params(wanted) == params(current):
        return False
    aws.client("cognito-idp").update_user_pool(**params(wanted))
    return True


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


# --- domains ------------------------------------------------------------------

DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_IN_DOMAIN = ("aws", "amazon", "cognito")


def check_domain_prefix(prefix: str) -> str:
    """Refuse a prefix Cognito would refuse, before any AWS call."""
    if not DOMAIN_PREFIX.match(prefix or ""):
        raise BadInput(
            f"invalid domain prefix {prefix!r}; accepted: 1-63 lower-case letters, digits and "
            "hyphens, not starting or ending with a hyphen"
        )
    for word in RESERVED_IN_DOMAIN:
        if word in prefix:
            raise BadInput(f"domain prefix {prefix!r} contains {word!r}, which Cognito refuses")
    return prefix


def suggest_domain_prefix(pool_name: str) -> str:
    text = re.sub(r"[^a-z0-9-]+", "-", pool_name.lower())
    for word in RESERVED_IN_DOMAIN:
        text = text.replace(word, "")
    text = re.sub(r"-+", "-", text).strip("-")[:50] or "mcp"
    return f"{text}-login" if not text.endswith("login") else text


def login_host(prefix_or_host: str, region: str) -> str:
    """The managed login host of a prefix domain (a custom domain is its own host)."""
    if "." in prefix_or_host:
        return prefix_or_host
    return f"{prefix_or_host}.auth.{region}.amazoncognito.com"


def create_domain(aws: AwsContext, pool_id: str, prefix: str, managed_login_version: int) -> None:
    aws.client("cognito-idp").create_user_pool_domain(
        UserPoolId=pool_id, Domain=prefix, ManagedLoginVersion=managed_login_version
    )


def update_domain_version(aws: AwsContext, pool_id: str, domain: str, version: int) -> None:
    """Switch a domain between the classic hosted UI (1) and managed login (2)."""
    aws.client("cognito-idp").update_user_pool_domain(
        UserPoolId=pool_id, Domain=domain, ManagedLoginVersion=version
    )


def delete_domain(aws: AwsContext, pool_id: str, domain: str) -> None:
    aws.client("cognito-idp").delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)


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
                           scopes: list[dict[str, str]]) -> None:
    aws.client("cognito-idp").create_resource_server(
        UserPoolId=pool_id, Identifier=identifier, Name=name, Scopes=scopes
    )


def safe_update_resource_server(aws: AwsContext, pool_id: str, identifier: str,
                                add_scopes: list[dict[str, str]]) -> bool:
    """Add scopes; UpdateResourceServer replaces name and scopes, so send them all."""
    current = describe_resource_server(aws, pool_id, identifier)
    if current is None:
        raise NotFound(f"resource server {identifier} not found in user pool {pool_id}")
    scopes = list(current.get("Scopes") or [])
    names = {s["ScopeName"] for s in scopes}
    new = [s for s in add_scopes if s["ScopeName"] not in names]
    if not new:
        return False
    params = update_params(aws, "cognito-idp", "UpdateResourceServer", current)
    params["Scopes"] = scopes + new
    aws.client("cognito-idp").update_resource_server(**params)
    return True


def delete_resource_server(aws: AwsContext, pool_id: str, identifier: str) -> None:
    aws.client("cognito-idp").delete_resource_server(UserPoolId=pool_id, Identifier=identifier)


# --- app clients and their login pages ----------------------------------------


def create_client(aws: AwsContext, pool_id: str, settings: dict[str, Any],
                  *, secret: bool) -> dict[str, Any]:
    return aws.client("cognito-idp").create_user_pool_client(
        UserPoolId=pool_id, GenerateSecret=secret, **settings
    )["UserPoolClient"]


def delete_client(aws: AwsContext, pool_id: str, client_id: str) -> None:
    aws.client("cognito-idp").delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)


def find_client_by_name(aws: AwsContext, pool_id: str, name: str) -> str | None:
    ids = [c["ClientId"] for c in list_clients(aws, pool_id) if c.get("ClientName") == name]
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


def wait_for_domain(aws: AwsContext, prefix: str, *, timeout: float = 600.0,
                    on_wait: Callable[[str, float], None] | None = None) -> None:
    """Poll the domain until ACTIVE and (against real AWS) its host resolves; with a deadline."""
    import socket
    import time

    deadline = time.monotonic() + timeout
    delay = 0.5
    host = login_host(prefix, aws.region_name)
    while True:
        status = (describe_domain(aws, prefix) or {}).get("Status", "CREATING")
        ready = status == "ACTIVE"
        if ready and aws.resolved_endpoint is None:  # a local control plane has no real DNS
            try:
                socket.getaddrinfo(host, 443)
            except OSError:
                ready, status = False, "ACTIVE, DNS not answering yet"
        if ready:
            return
        if status == "FAILED":
            raise AwsProblem(f"login domain {prefix} failed to create")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AwsProblem(f"login domain {prefix} still {status} after {timeout:.0f}s; "
                             "re-run later to resume")
        if on_wait:
            on_wait(f"domain {host}: {status}", remaining)
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 10.0)
