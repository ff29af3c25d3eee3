"""Sign a user in through the sandbox's HTML login form, as a browser would (no JavaScript)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

from mcpauth_wizard.core.errors import McpAuthError


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.error: str | None = None
        self._in_error = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[a["name"] or ""] = a.get("value") or ""
        self._in_error = tag == "p" and a.get("role") == "alert"

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error = (self.error or "") + data


def sign_in(authorize_url: str, username: str, password: str, *, timeout: float = 10.0) -> str:
    """Open the authorize URL, submit the login form; return where the browser is sent next
    (the client's callback URL with code and state, or an error redirect)."""
    import httpx

    with httpx.Client(timeout=timeout, follow_redirects=False) as http:
        response = http.get(authorize_url)
        if response.status_code != 302:
            raise McpAuthError(f"authorize answered {response.status_code}, not a redirect")
        login_url = urljoin(authorize_url, response.headers["location"])
        if "/login" not in login_url:
            return login_url  # an error redirect: to the client or to the error page
        page = http.get(login_url)
        if page.status_code != 200:
            raise McpAuthError(f"login page answered {page.status_code}: {page.text[:120]}")
        form = _FormReader()
        form.feed(page.text)
        posted = http.post(login_url.split("?", 1)[0],
                           data={**form.fields, "username": username, "password": password})
        if posted.status_code != 302:
            again = _FormReader()
            again.feed(posted.text)
            raise McpAuthError(f"sign-in refused: {again.error or posted.status_code}")
        return posted.headers["location"]


def sign_in_through_proxy(authorize_url: str, username: str, password: str, *,
                          timeout: float = 10.0) -> str:
    """A browser at an OAuth proxy's authorize URL: approve its consent page, sign in at
    Cognito's login form, come back to the proxy's callback; return where the proxy sends
    the browser next (the MCP client's callback, with its code, or an error)."""
    import httpx

    from mcpauth_wizard.mcp.fastmcp_proxy import page_message

    with httpx.Client(timeout=timeout, follow_redirects=False) as http:  # keeps the proxy's cookies
        answer = http.get(authorize_url)
        upstream = _next(answer, authorize_url, "the proxy's authorize")
        if "/consent" in upstream:
            page = http.get(upstream)
            if page.status_code != 200:
                raise McpAuthError(f"consent page answered {page.status_code}: {page_message(page.text)}")
            form = _FormReader()
            form.feed(page.text)
            posted = http.post(upstream, data={**form.fields, "action": "approve"})
            upstream = _next(posted, upstream, "the consent page")
        back = sign_in(upstream, username, password, timeout=timeout)  # at Cognito: its own browser tab
        finished = http.get(back)
        return _next(finished, back, "the proxy's callback")


def _next(answer: object, url: str, what: str) -> str:
    from mcpauth_wizard.mcp.fastmcp_proxy import page_message

    status = getattr(answer, "status_code", 0)
    if status not in (302, 303, 307):
        raise McpAuthError(f"{what} answered {status}: {page_message(getattr(answer, 'text', ''))}")
    return urljoin(url, getattr(answer, "headers", {})["location"])

