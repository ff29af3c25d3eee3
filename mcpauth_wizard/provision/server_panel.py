"""The last panel of `init` and `show` for an MCP server that checks tokens itself (a URL,
not a gateway and not FastMCP's proxy): what each token must carry and the metadata to serve;
and the login domain's base URL for the clients whose panels name explicit endpoints."""

from __future__ import annotations

from typing import Any

from mcpauth_wizard.core.project import Project
from mcpauth_wizard.provision.handoff import SERVER, Handoff, HandoffField, json_text


def login_base_of(aws: Any, project: Project) -> str:
    """The login domain's base URL, for the clients whose panel names explicit endpoints."""
    from mcpauth_wizard.aws.domains import login_base_url

    return login_base_url(project.domain, aws.region_name) if project.domain else ""


def server_checks(aws: Any, project: Project, *, scopes: list[str],
                  registering: tuple[str, ...] = ()) -> Handoff | None:
    """What an MCP server that checks tokens itself (a URL server, not a gateway and not
    FastMCP's proxy) must check, and the metadata it must serve; None for the others.

    Cognito access tokens: `iss` is the pool's issuer, `token_use` is `access`, `client_id`
    names the app client (there is no `aud` unless the client sent `resource`), `scope` holds
    the granted scopes (Cognito guide, "Understanding the access token")."""
    from mcpauth_wizard.aws.user_pools import describe_user_pool, issuer_url
    from mcpauth_wizard.oauth.metadata import prm_candidates

    if project.gateway_id or project.is_proxy or not project.resource_url or not project.user_pool_id:
        return None
    pool = describe_user_pool(aws, project.user_pool_id)
    issuer = issuer_url(pool, aws.region_name)
    url = project.resource_url
    metadata = prm_candidates(url, None)[0]  # where clients look first (RFC 9728, path-inserted)
    resource_scopes = [s for s in scopes if s.rsplit("/", 1)[0] == url]
    ids = [cid for key, cid in project.clients.items() if key != "doctor"]
    fields = [HandoffField("Issuer (iss)", issuer),
              HandoffField("JWKS URL", f"{issuer}/.well-known/jwks.json"),
              HandoffField("Token use (token_use)", "access (refuse ID tokens)")]
    notes = []
    if registering:
        from mcpauth_wizard.provision.rules import sends_resource

        # Registered clients get new ids: a client_id list would refuse them. aud = the MCP URL
        # identifies them only if every one sends `resource` (Cognito binds aud from it).
        if all(sends_resource(p) for p in registering):
            label = "Client ids (client_id) of the pre-registered clients; the others carry aud"
            if ids:
                fields.append(HandoffField(label, "\n".join(ids)))
            fields.append(HandoffField("Audience (aud), clients that register themselves", url))
        else:
            notes.append("clients that register themselves get new ids and not all send resource "
                         "(no aud): check iss, token_use and scope, not client_id")
    elif ids:
        fields.append(HandoffField("Client ids (client_id), one of", "\n".join(ids)))
    if resource_scopes:
        fields.append(HandoffField("Scope (scope), contains", " ".join(resource_scopes)))
    fields += [
        HandoffField("Serve at " + metadata, json_text({
            "resource": url, "authorization_servers": [issuer],
            "scopes_supported": resource_scopes}).strip()),
        HandoffField("Answer a request without a valid token with",
                     f'401 and WWW-Authenticate: Bearer resource_metadata="{metadata}"'),
    ]
    caveats = notes + (["this endpoint is not AWS: on AWS these are the values; here the issuer is "
                        "the one the endpoint's discovery document names"] if aws.resolved_endpoint else [])
    return Handoff(SERVER, "your MCP server", "", tuple(fields),
                   "the server's token check (FastMCP: JWTVerifier(issuer=…, jwks_uri=…, "
                   "required_scopes=…) in a RemoteAuthProvider)", (), tuple(caveats),
                   heading="Your MCP server checks each token")
