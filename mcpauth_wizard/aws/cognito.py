"""Amazon Cognito user pools, domains, app clients and resource servers.

Cognito's Update* calls replace the whole resource: every attribute not passed is reset
to its default. The `safe_update_*` functions here are the only places that call them,
always as read → merge → write.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from mcpauth_wizard.aws.session import AwsContext, translate_aws_error
from mcpauth_wizard.errors import BadInput, NotFound

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


def update_params(aws: AwsContext, service: str, operation: str, described: dict[str, Any]) -> dict[str, Any]:
    """The Update call's full parameter set from a Describe result.

    Keeps exactly the members the Update operation accepts (read from the botocore service
    model, so new AWS fields are carried over without a code change) and drops read-only
    ones such as ClientSecret, CreationDate and LastModifiedDate.
    """
    model = aws.client(service).meta.service_model.operation_model(operation)
    accepted = model.input_shape.members
    return {k: v for k, v in described.items() if k in accepted and v is not None}


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
