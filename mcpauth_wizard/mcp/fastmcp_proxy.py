"""What FastMCP's OAuth proxy (AWSCognitoProvider, fastmcp 4.2) asks of Cognito.

Source: fastmcp/server/auth/providers/aws.py and oauth_proxy/proxy.py. The proxy signs
every user in through one confidential app client, at `<base_url>` + redirect_path
("/auth/callback" by default), and asks Cognito for its required_scopes (["openid"] by
default) when the MCP client names none; clients that register with it get the same
default, and DCR refuses scopes outside it.
"""

from __future__ import annotations

CALLBACK_PATH = "/auth/callback"
PROXY_SCOPES = ("openid",)


def proxy_callback(base_url: str) -> str:
    """The one callback URL the proxy's Cognito client needs."""
    return base_url.rstrip("/") + CALLBACK_PATH


def page_message(html: str, limit: int = 300) -> str:
    """The words of an error page (FastMCP's are HTML with inline styles), not its markup."""
    import re

    text = re.sub(r"<(style|script|title)[^>]*>.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())[:limit]
