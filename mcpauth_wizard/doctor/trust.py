"""Where a client secret may go: the one rule the token probe and --login both follow.

A secret belongs to one authorization server. The MCP server's metadata only *names* a
token endpoint; a hostile or mistaken server can name its own. So the secret is sent only
to the token endpoint of the pool's own login domain (prefix or custom domain) when the
pool is known from AWS, or, without a pool, to the authorization server the user named
with `--issuer` (the metadata must come from it and say so); always over https, plain
http only to a loopback host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mcpauth_wizard.doctor.context import Context
from mcpauth_wizard.oauth.loopback import is_loopback  # noqa: F401 - the one rule, re-exported


def _pool_login_hosts(ctx: Context) -> set[str]:
    """The hosts of the pool's own login domains (as AWS describes the pool)."""
    from mcpauth_wizard.aws.domains import login_host

    pool = ctx.facts.get("pool") or {}
    region = getattr(ctx.aws, "region_name", None) or ctx.target.region or ""
    hosts = set()
    if pool.get("Domain"):
        hosts.add(login_host(str(pool["Domain"]), region).lower())
    if pool.get("CustomDomain"):
        hosts.add(str(pool["CustomDomain"]).lower())
    return hosts


def secret_refusal(ctx: Context, token_url: str) -> str | None:
    """Why the client secret must not be sent to `token_url`, or None when it may be."""
    parts = urlsplit(token_url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(host)):
        return f"{token_url} is not https (plain http is accepted only for a loopback host)"
    if "pool" in ctx.facts:
        hosts = _pool_login_hosts(ctx)
        if host in hosts:
            return None
        return (f"{host} is not the login domain of user pool {ctx.facts['pool'].get('Id')} "
                f"({', '.join(sorted(hosts)) or 'it has none'})")
    named = ctx.target.issuer
    if not named:
        return ("no authorization server is known to own the secret: pass --issuer URL "
                "(or check with AWS access to the pool)")
    prm_issuer = ctx.facts.get("issuer")
    metadata_issuer = (ctx.facts.get("as") or {}).get("issuer")
    if prm_issuer != named or metadata_issuer != named:
        return (f"the server's metadata names {prm_issuer!r} (issuer {metadata_issuer!r}), "
                f"not the --issuer {named!r}")
    return None
