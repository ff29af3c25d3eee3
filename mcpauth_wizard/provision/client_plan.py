"""The app client kind of `init`'s plan: a sign-in client's settings (code grant + PKCE, never
client_credentials), the merge that adds what the spec needs and takes nothing away, the
client found in AWS for a platform, and its plan steps (create / update / keep, its login
page style)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcpauth_wizard.aws import app_clients
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import BadInput, McpAuthError
from mcpauth_wizard.core.project import Project
from mcpauth_wizard.provision.plan import Outcome, Step, diff_fields, duplicates_note
from mcpauth_wizard.provision.spec import ClientSpec, Spec

CLIENT_KEYS = [
    "AllowedOAuthFlowsUserPoolClient", "AllowedOAuthFlows", "AllowedOAuthScopes",
    "CallbackURLs", "SupportedIdentityProviders", "ExplicitAuthFlows",
]


def new_client_settings(spec: Spec, client: ClientSpec) -> dict[str, Any]:
    """A sign-in client for MCP: code grant + PKCE, never client_credentials."""
    flows = ["ALLOW_REFRESH_TOKEN_AUTH"] + (["ALLOW_USER_AUTH"] if spec.passkeys else [])
    settings = {
        "ClientName": client.name,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": list(_scopes_of(spec, client)),
        "CallbackURLs": list(client.callback_urls),
        "SupportedIdentityProviders": ["COGNITO"],
        "ExplicitAuthFlows": flows,
        "EnableTokenRevocation": True,
        "PreventUserExistenceErrors": "ENABLED",
    }
    if not client.callback_urls:  # Cognito refuses the code grant without a callback URL
        for key in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs"):
            settings.pop(key)
        settings["AllowedOAuthFlowsUserPoolClient"] = False
    return settings


def _scopes_of(spec: Spec, client: ClientSpec) -> tuple[str, ...]:
    return client.scopes if client.scopes is not None else spec.client_scopes


def merge_client(current: dict[str, Any], spec: Spec, client: ClientSpec) -> dict[str, Any]:
    """The client with what the spec needs added; nothing it already has is taken away."""

    def union(key: str, wanted: list[str]) -> list[str]:
        have = list(current.get(key) or [])
        return have + [w for w in wanted if w not in have]

    merged = dict(current)
    if not client.callback_urls and not current.get("CallbackURLs"):
        return merged  # no callback yet: the code grant waits for one (see new_client_settings)
    merged["AllowedOAuthFlowsUserPoolClient"] = True
    merged["AllowedOAuthFlows"] = union("AllowedOAuthFlows", ["code"])
    merged["AllowedOAuthScopes"] = union("AllowedOAuthScopes", list(_scopes_of(spec, client)))
    merged["CallbackURLs"] = union("CallbackURLs", list(client.callback_urls))
    merged["SupportedIdentityProviders"] = union("SupportedIdentityProviders", ["COGNITO"])
    if spec.passkeys:
        merged["ExplicitAuthFlows"] = union("ExplicitAuthFlows", ["ALLOW_USER_AUTH"])
    return merged



def existing_client(aws: AwsContext, pool: dict[str, Any] | None, project: Project,
                     client: ClientSpec, warnings: list[str]) -> str | None:
    if pool is None:
        return None
    recorded = project.clients.get(client.key) if project.user_pool_id == pool["Id"] else None
    if recorded:
        try:
            app_clients.describe_client(aws, pool["Id"], recorded)
        except McpAuthError:
            recorded = None
    if recorded is None:
        return app_clients.find_client_by_name(aws, pool["Id"], client.name)
    others = [i for i in app_clients.find_clients_by_name(aws, pool["Id"], client.name) if i != recorded]
    if others:
        warnings.append(duplicates_note(
            f"app client {client.name!r}", recorded,
            [app_clients.describe_client(aws, pool["Id"], i) for i in others], "ClientId"))
    return recorded


def client_step(aws: AwsContext, spec: Spec, pool: dict[str, Any] | None, client: ClientSpec,
                 client_id: str | None) -> Step:
    label = f"{client.name} ({', '.join(client.platforms)})" if client.platforms else client.name

    def record(out: Outcome, cid: str) -> None:
        out.project = out.project.with_client(client.key, cid)
        if client.key == "shared":
            out.project = replace(out.project, platforms_shared=client.platforms)

    if client_id is None:
        settings = new_client_settings(spec, client)

        def run(aws: AwsContext, out: Outcome) -> None:
            created = app_clients.create_client(aws, out.pool_id, settings, secret=client.secret)
            if created.get("ClientSecret"):
                out.secrets[client.key] = created["ClientSecret"]
            record(out, created["ClientId"])
            pool_id, cid = out.pool_id, created["ClientId"]
            out.created.append((f"app client {cid}", lambda: app_clients.delete_client(aws, pool_id, cid)))

        fields = diff_fields({}, {**settings, "ClientSecret": "generated" if client.secret else "none"},
                       [*CLIENT_KEYS, "ClientSecret"])
        return Step("create", "app client", label, fields, run=run)
    assert pool is not None
    current = app_clients.describe_client(aws, pool["Id"], client_id)
    merged = merge_client(current, spec, client)
    fields = diff_fields(current, merged, CLIENT_KEYS)
    note = ""
    if client.secret != app_clients.is_confidential(current):
        note = ("has a secret; Cognito cannot remove it (make a new client for a public one)"
                if app_clients.is_confidential(current) else
                "has no secret; Cognito cannot add one later (delete it to get a confidential one)")
    if "client_credentials" in (current.get("AllowedOAuthFlows") or []):
        raise BadInput(
            f"app client {client_id} ({client.name}) is a client_credentials (M2M) client and "
            "cannot sign users in; delete or rename it so mcpauth can make a sign-in client"
        )

    if not fields:
        return Step("keep", "app client", f"{label} {client_id}", note=note,
                    run=lambda a, o: record(o, client_id))
    def update(aws: AwsContext, out: Outcome) -> None:
        out.noted(app_clients.safe_update_client(aws, out.pool_id, client_id,
                                             lambda c: merge_client(c, spec, client), seen=current))
        record(out, client_id)

    return Step("update", "app client", f"{label} {client_id}", fields, note=note, run=update)


def branding_step(aws: AwsContext, pool: dict[str, Any] | None, client: ClientSpec,
                   client_id: str | None) -> Step:
    if pool is not None and client_id is not None and app_clients.branding_of(aws, pool["Id"], client_id):
        return Step("keep", "login page style", client.name)

    def run(aws: AwsContext, out: Outcome) -> None:
        cid = out.project.clients[client.key]
        if app_clients.branding_of(aws, out.pool_id, cid) is None:
            app_clients.create_branding(aws, out.pool_id, cid)

    return Step("create", "login page style", client.name,
                note="gives the client its managed login page (each client needs a style)", run=run)
