"""Amazon Cognito resource servers (the API and its custom scopes): list, describe, create,
safe update (scopes added), delete."""

from __future__ import annotations

from typing import Any

from mcpauth_wizard.aws.session import AwsContext, or_none, paginate, update_params
from mcpauth_wizard.aws.writes import SafeUpdate, answer_lost, read_merge_write
from mcpauth_wizard.core.errors import NotFound


def list_resource_servers(aws: AwsContext, pool_id: str) -> list[dict[str, Any]]:
    return list(paginate(aws, "cognito-idp", "list_resource_servers", "ResourceServers",
                         page_size=50, UserPoolId=pool_id))


def describe_resource_server(aws: AwsContext, pool_id: str, identifier: str) -> dict[str, Any] | None:
    return or_none(lambda: aws.client("cognito-idp").describe_resource_server(
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
