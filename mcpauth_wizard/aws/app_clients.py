"""Amazon Cognito app clients: list, describe, create, safe update, secret, delete, and their
managed login branding."""

from __future__ import annotations

import re
from typing import Any

from mcpauth_wizard.aws.session import (
    AwsContext,
    not_found_as,
    or_none,
    paginate,
    translate_aws_error,
    update_params,
)
from mcpauth_wizard.aws.user_pools import check_pool_id
from mcpauth_wizard.aws.writes import (
    Change,
    SafeUpdate,
    drop_lost_creates,
    read_merge_write,
    retried,
    utcnow,
)
from mcpauth_wizard.core.errors import AwsProblem, BadInput

CLIENT_ID = re.compile(r"^[\w+]+$")

ClientUpdate = SafeUpdate  # the name callers of safe_update_client know
ClientChange = Change


def check_client_id(client_id: str) -> str:
    """Refuse a malformed app client id before any AWS call."""
    if not client_id or len(client_id) > 128 or not CLIENT_ID.match(client_id):
        raise BadInput(f"invalid app client id {client_id!r}; accepted: letters, digits, _ and +")
    return client_id


def list_clients(aws: AwsContext, pool_id: str) -> list[dict[str, Any]]:
    """Id and name of every app client of the pool (paginated)."""
    return list(paginate(aws, "cognito-idp", "list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id))


def describe_client(aws: AwsContext, pool_id: str, client_id: str) -> dict[str, Any]:
    check_pool_id(pool_id)
    check_client_id(client_id)
    try:
        return aws.client("cognito-idp").describe_user_pool_client(
            UserPoolId=pool_id, ClientId=client_id
        )["UserPoolClient"]
    except Exception as exc:
        raise not_found_as(exc, f"app client {client_id} in user pool {pool_id}") from None


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


def create_client(aws: AwsContext, pool_id: str, settings: dict[str, Any],
                  *, secret: bool) -> dict[str, Any]:
    started = utcnow()
    response = aws.client("cognito-idp").create_user_pool_client(
        UserPoolId=pool_id, GenerateSecret=secret, **settings)
    created = response["UserPoolClient"]
    if retried(response):
        name = settings["ClientName"]
        same = [c["ClientId"] for c in list_clients(aws, pool_id) if c.get("ClientName") == name]
        drop_lost_creates(
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
        raise not_found_as(exc, f"app client {client_id} in user pool {pool_id}") from None


def find_clients_by_name(aws: AwsContext, pool_id: str, name: str) -> list[str]:
    return [c["ClientId"] for c in list_clients(aws, pool_id) if c.get("ClientName") == name]


def find_client_by_name(aws: AwsContext, pool_id: str, name: str) -> str | None:
    ids = find_clients_by_name(aws, pool_id, name)
    if len(ids) > 1:
        raise BadInput(f"user pool {pool_id} has {len(ids)} app clients named {name!r} "
                       f"({', '.join(ids)}); delete or rename the extra ones")
    return ids[0] if ids else None


# --- the client's managed login pages ----------------------------------------


def branding_of(aws: AwsContext, pool_id: str, client_id: str) -> dict[str, Any] | None:
    return or_none(lambda: aws.client("cognito-idp").describe_managed_login_branding_by_client(
        UserPoolId=pool_id, ClientId=client_id)["ManagedLoginBranding"])


def create_branding(aws: AwsContext, pool_id: str, client_id: str) -> None:
    aws.client("cognito-idp").create_managed_login_branding(
        UserPoolId=pool_id, ClientId=client_id, UseCognitoProvidedValues=True
    )
