"""How the doctor's sign-in gets a client, in the MCP specification's order: pre-registered
credentials, then a Client ID Metadata Document (CIMD), then dynamic client registration
(RFC 7591); and how it authenticates that client at the token endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from mcpauth_wizard.doctor.context import Context
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.ownership import Mark, delete_if_ours, new_mark

How = Literal["pre-registered", "cimd", "dcr"]
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
CLIENT_NAME = "mcpauth doctor"


@dataclass(frozen=True)
class Registration:
    """The client the sign-in uses, how it was obtained, and how to undo it."""

    client_id: str
    how: How
    client_secret: str | None = None
    auth_method: str | None = None  # what the registration answer says, if anything
    registration_uri: str | None = None  # RFC 7592 client configuration endpoint
    registration_token: str | None = None  # RFC 7592 registration access token
    note: str = ""
    mark: Mark | None = None  # what only this run set on a client it registered (ownership.py)
    endpoint: str | None = None  # where it was registered

    @property
    def registered_here(self) -> bool:
        """True when the doctor created this client and so must not leave it behind."""
        return self.how == "dcr"


@dataclass(frozen=True)
class Refusal:
    """No client could be had: why, and what the user can do."""

    code: str
    message: str
    fix: str
    evidence: dict[str, Any] | None = None


def token_auth_method(metadata: dict[str, Any], registration: Registration) -> tuple[str, str]:
    """(method, why): the registration's own method, else one the server allows for this
    client — a secret goes by HTTP Basic when allowed, else in the body; no secret: none."""
    supported = metadata.get("token_endpoint_auth_methods_supported")
    if not isinstance(supported, list) or not supported:
        supported = ["client_secret_basic"]  # RFC 8414 §2: the default when absent
    if registration.auth_method in AUTH_METHODS:
        return registration.auth_method, "the method the registration answer names"
    allowed = ", ".join(map(str, supported))
    if not registration.client_secret:
        return "none", "a public client (no secret)"
    for method in ("client_secret_basic", "client_secret_post", "none"):
        if method in supported:
            return method, f"the server allows {allowed}" + ("; the secret is not sent"
                                                             if method == "none" else "")
    return "client_secret_basic", f"the server names no method the doctor has ({allowed}); HTTP Basic"


def _dcr_auth_method(metadata: dict[str, Any]) -> str:
    """Ask for a public client when the server allows one (the doctor is a native app)."""
    supported = metadata.get("token_endpoint_auth_methods_supported")
    if not isinstance(supported, list) or not supported:
        return "client_secret_basic"
    for method in ("none", "client_secret_basic", "client_secret_post"):
        if method in supported:
            return method
    return str(supported[0])


async def obtain(ctx: Context, metadata: dict[str, Any], redirect_uri: str, scope: str | None,
                 *, pre_registered: tuple[str, str | None] | None,
                 metadata_url: str | None) -> Registration | Refusal:
    """A client for the sign-in, in the MCP order: pre-registered, CIMD, DCR."""
    if pre_registered is not None:
        client_id, secret = pre_registered
        return Registration(client_id, "pre-registered", secret,
                            note=f"pre-registered client {client_id}")
    cimd = metadata.get("client_id_metadata_document_supported") is True
    skipped = ""
    if cimd and metadata_url:
        return Registration(metadata_url, "cimd",
                            note=f"client ID metadata document {metadata_url} (the server supports CIMD)")
    if cimd:
        skipped = ("the server supports client ID metadata documents, but the doctor has no hosted "
                   "document (--client-metadata-url); ")
    endpoint = metadata.get("registration_endpoint")
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return Refusal("LOGIN_NO_CLIENT", f"{skipped}no client id was given and the authorization "
                       "server offers no dynamic client registration",
                       "pass --client-id (and --client-secret-env for a confidential client)"
                       + (", or --client-metadata-url" if cimd else ""))
    mark = new_mark(CLIENT_NAME)
    body: dict[str, Any] = {
        "client_name": mark.name, "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "token_endpoint_auth_method": _dcr_auth_method(metadata),
        "application_type": "native",  # a loopback redirect (RFC 8252; OIDC registration)
    }
    if scope:
        body["scope"] = scope
    answer = await ctx.fetch("POST", endpoint, json_body=body)
    document = answer.json() if isinstance(answer.json(), dict) else {}
    client_id = document.get("client_id")
    if answer.status not in (200, 201) or not isinstance(client_id, str) or not client_id:
        return Refusal("LOGIN_REGISTRATION_FAILED", f"dynamic client registration at {endpoint} "
                       f"answered {answer.status or answer.error}", "pass --client-id, or check the "
                       "server's registration policy", evidence=answer.evidence())
    secret = document.get("client_secret")
    method = document.get("token_endpoint_auth_method")
    uri, token = document.get("registration_client_uri"), document.get("registration_access_token")
    return Registration(client_id, "dcr", secret if isinstance(secret, str) and secret else None,
                        auth_method=method if isinstance(method, str) else None,
                        registration_uri=uri if isinstance(uri, str) else None,
                        registration_token=token if isinstance(token, str) else None,
                        mark=mark, endpoint=endpoint,
                        note=f"{skipped}registered client {client_id} by dynamic client registration "
                             f"(RFC 7591) at {endpoint}")


def _same_origin(a: str, b: str) -> bool:
    try:  # a server's URI may carry a port no URL has
        x, y = urlsplit(a), urlsplit(b)
        return (x.scheme, x.hostname, x.port) == (y.scheme, y.hostname, y.port)
    except ValueError:
        return False


async def release(ctx: Context, registration: Registration) -> tuple[str | None, Finding | None]:
    """Undo a client the doctor registered: (what happened, a finding when something was
    left or the answer named someone else's client). RFC 7592 only at the registration
    endpoint's own origin; in AWS only what ownership.py proves this run's."""
    if not registration.registered_here:
        return None, None
    uri, token = registration.registration_uri, registration.registration_token
    if uri and token and registration.endpoint and _same_origin(uri, registration.endpoint):
        answer = await ctx.fetch("DELETE", uri, headers={"Authorization": f"Bearer {token}"})
        if answer.status in (200, 204):
            return f"deleted the registered client {registration.client_id} (RFC 7592)", None
        return (f"could not delete the registered client {registration.client_id} "
                f"({answer.status or answer.error}); remove it on the authorization server"), None
    if ctx.aws is not None and ctx.target.pool_id and registration.mark is not None:
        return await delete_if_ours(ctx.aws, ctx.target.pool_id, registration.client_id,
                                    registration.mark, said_by=f"the registration endpoint "
                                    f"{registration.endpoint}")
    return (f"the registered client {registration.client_id} stays on the authorization server "
            "(it offers no RFC 7592 delete); remove it there"), None
