"""Where metadata lives and which of it a client accepts.

- Protected-resource metadata (RFC 9728 §3.1 and the MCP authorization spec): the
  challenge's `resource_metadata` first, then the path-inserted, then the root well-known URL.
- Authorization server metadata (MCP 2025-11-25: RFC 8414 path-inserted, OIDC path-inserted,
  OIDC path-appended; for an issuer without a path, RFC 8414 then OIDC at the root).
- The `resource` a client accepts (RFC 9728 §3.3, as MCP clients apply it).
"""

from __future__ import annotations

from urllib.parse import urlsplit


def prm_candidates(url: str, header_url: str | None) -> list[str]:
    """RFC 9728 §3.1 and the MCP spec: the challenge's URL, path-inserted, then the root."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    found = [header_url] if header_url else []
    if path:
        found.append(f"{origin}/.well-known/oauth-protected-resource{path}")
    found.append(f"{origin}/.well-known/oauth-protected-resource")
    return list(dict.fromkeys(found))


def as_candidates(issuer: str) -> list[str]:
    """MCP 2025-11-25: RFC 8414 path-inserted, OIDC path-inserted, OIDC path-appended."""
    parts = urlsplit(issuer)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    if not path:
        return [f"{origin}/.well-known/oauth-authorization-server",
                f"{origin}/.well-known/openid-configuration"]
    return [f"{origin}/.well-known/oauth-authorization-server{path}",
            f"{origin}/.well-known/openid-configuration{path}",
            f"{origin}{path}/.well-known/openid-configuration"]


STRICTEST = ("the MCP TypeScript SDK's checkResourceAllowed (what Claude Code, mcp-remote, "
             "Inspector and VS Code run)")


def resource_allowed(resource: str, url: str) -> bool:
    """RFC 9728 §3.3 as the strictest widely used client applies it (STRICTEST): the
    metadata's resource is the server's URL itself or a path ancestor of it on the same origin
    — a resource of `…/mcp/` for a server at `…/mcp` is longer than the URL and refused."""
    a, b = urlsplit(resource), urlsplit(url)
    if (a.scheme.lower(), a.netloc.lower()) != (b.scheme.lower(), b.netloc.lower()) or a.fragment:
        return False
    configured, requested = a.path or "/", b.path or "/"
    if len(requested) < len(configured):
        return False
    return (requested if requested.endswith("/") else requested + "/").startswith(
        configured if configured.endswith("/") else configured + "/")
