"""The resource server kind of `init`'s plan: the one whose identifier is the exact MCP URL,
created with the spec's scopes or updated to add the scopes it lacks (none it has is taken
away), with a warning for a resource server that differs from the URL only by a slash or
/mcp (tokens for it would not match)."""

from __future__ import annotations

from typing import Any

from mcpauth_wizard.aws import resource_servers
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.provision.plan import FieldChange, Outcome, Step
from mcpauth_wizard.provision.spec import Spec, resource_near_miss


def resource_server_step(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None,
                         warnings: list[str]) -> Step:
    wanted = [{"ScopeName": s, "ScopeDescription": f"{s} the MCP server"} for s in spec.scopes]
    existing = resource_servers.describe_resource_server(aws, pool["Id"], spec.mcp_url) if pool else None
    if pool is not None and existing is None:
        for other in resource_servers.list_resource_servers(aws, pool["Id"]):
            ident = other["Identifier"]
            if resource_near_miss(ident, spec.mcp_url):
                warnings.append(
                    f"resource server {ident} differs from the MCP URL {spec.mcp_url} only by a "
                    "slash or /mcp: tokens for it will not match; mcpauth makes one for the exact URL"
                )
    if existing is None:
        def run(aws: AwsContext, out: Outcome) -> None:
            made = resource_servers.create_resource_server(aws, out.pool_id, spec.mcp_url, "mcp", wanted)
            pool_id = out.pool_id
            if made:  # only what this run made is offered for rollback
                out.created.append((f"resource server {spec.mcp_url}",
                                    lambda: resource_servers.delete_resource_server(aws, pool_id, spec.mcp_url)))

        return Step("create", "resource server", spec.mcp_url,
                    (FieldChange("Scopes", None, list(spec.scopes)),), run=run)
    have = [s["ScopeName"] for s in existing.get("Scopes") or []]
    missing = [s for s in spec.scopes if s not in have]
    if not missing:
        return Step("keep", "resource server", spec.mcp_url)
    return Step(
        "update", "resource server", spec.mcp_url,
        (FieldChange("Scopes", have, have + missing),),
        run=lambda a, o: o.noted(resource_servers.safe_update_resource_server(a, o.pool_id, spec.mcp_url, wanted)),
    )
