"""The desired setup of `mcpauth init`, whether it came from questions, flags or a file.

A Spec is plain data and is checked here, before any AWS call: every bad answer is one
BadInput naming the value and what is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.mcp.platforms import PLATFORMS, get_platform
from mcpauth_wizard.oauth.loopback import is_loopback

TIERS = ("LITE", "ESSENTIALS", "PLUS")
POOL_NAME = re.compile(r"^[\w\s+=,.@-]{1,128}$")
SCOPE_NAME = re.compile(r"^[\x21\x23-\x2e\x30-\x5b\x5d-\x7e]{1,256}$")  # printable, no " / \
USER_SCOPES = ("email", "profile", "phone")
MAX_SCOPE_LENGTH = 256


@dataclass(frozen=True)
class NewPool:
    name: str
    tier: str = "ESSENTIALS"
    admin_only: bool = True


@dataclass(frozen=True)
class ClientSpec:
    """One app client: the platforms it serves, and whether it has a secret."""

    key: str  # a platform name, or "shared"
    platforms: tuple[str, ...]
    secret: bool
    callback_urls: tuple[str, ...]
    scopes: tuple[str, ...] | None = None  # None: the spec's client_scopes

    @property
    def name(self) -> str:
        return f"mcpauth-{self.key}"


@dataclass(frozen=True)
class Spec:
    """What `init` should make true in AWS."""

    mcp_url: str
    pool_id: str | None = None
    new_pool: NewPool | None = None
    domain_prefix: str | None = None  # None: keep the pool's domain
    managed_login_version: int = 2
    passkeys: bool = False
    gateway_id: str | None = None
    scopes: tuple[str, ...] = ("invoke",)
    user_scopes: tuple[str, ...] = ()
    clients: tuple[ClientSpec, ...] = ()
    gateway_allowed_scopes: bool = False
    gateway_audience: bool | None = None  # require aud = mcp_url at the gateway (None: keep)
    first_user: str | None = None
    registration: str = "static"  # static | dcr | both (see provision/registration.py)
    dcr_platforms: tuple[str, ...] = ()  # platforms that register themselves
    ports: tuple[tuple[str, int], ...] = ()  # platform → pinned loopback port (recorded)
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # The answers (flags, file, prompts) this Spec was built from: to print or save them.
    answers: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def platforms(self) -> tuple[str, ...]:
        return (*(p for c in self.clients for p in c.platforms), *self.dcr_platforms)

    @property
    def secret_platforms(self) -> tuple[str, ...]:
        return tuple(p for c in self.clients if c.secret for p in c.platforms)

    @property
    def resource_scopes(self) -> tuple[str, ...]:
        """The full scope strings a client requests: <identifier>/<scope>."""
        return tuple(f"{self.mcp_url}/{s}" for s in self.scopes)

    @property
    def client_scopes(self) -> tuple[str, ...]:
        return ("openid", *self.user_scopes, *self.resource_scopes)


# Cognito's resource server identifier (botocore ResourceServerIdentifierType): 1-256
# characters of [\x21\x23-\x5B\x5D-\x7E]; the scope "<identifier>/<name>" must fit too.
MAX_IDENTIFIER_LENGTH = 256
ACCEPTED_URL = "accepted: https://host[:port]/path"


def _url_problem(url: str) -> str | None:
    """Why an MCP URL cannot be a resource identifier, or None. Checked before any AWS call."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return "contains whitespace or a control character"
    if any(c in '"\\' for c in url):
        return "contains a quote or backslash"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "has a port outside 1-65535"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an absolute http(s) URL"
    if "@" in parts.netloc:
        return "has user info (user:pass@); put no credentials in the URL"
    if parts.netloc.endswith(":") or (port is not None and not 1 <= port <= 65535):
        return "has an empty or out-of-range port (1-65535)"
    if parts.query or "?" in url:
        return "has a query (?...); a resource identifier has none"
    if parts.fragment or "#" in url:
        return "has a fragment (#...)"
    if not parts.hostname.isascii():
        try:
            puny = parts.hostname.encode("idna").decode("ascii")
        except UnicodeError:
            return "has a host name that is not valid IDNA"
        return f"has a non-ASCII host; use its punycode form {puny}"
    if not url.isascii():
        return "has non-ASCII characters in the path; percent-encode them"
    for escape in re.finditer(r"%(..)?", url):
        code = escape.group(1) or ""
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", code):
            return f"has an invalid percent-escape {escape.group(0)!r} (RFC 3986 §2.1: % and two hex digits)"
        if int(code, 16) < 0x20 or int(code, 16) == 0x7F:
            return f"has an encoded control character %{code}"
    if len(url) > MAX_IDENTIFIER_LENGTH:
        return f"is {len(url)} characters; Cognito accepts at most {MAX_IDENTIFIER_LENGTH}"
    return None


_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4."""
    out: list[str] = []
    while path:
        if path.startswith(("../", "./")):
            path = path[path.index("/") + 1:]
        elif path.startswith("/./") or path == "/.":
            path = "/" + path[3:] if path.startswith("/./") else "/"
        elif path.startswith("/../") or path == "/..":
            path = "/" + path[4:] if path.startswith("/../") else "/"
            if out:
                out.pop()
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            end = path.find("/", start)
            end = len(path) if end == -1 else end
            out.append(path[:end])
            path = path[end:]
    return "".join(out)


def normal_form(url: str) -> str:
    """RFC 3986 §6.2.2 syntax-based normalisation of a valid http(s) URL: scheme and host in
    lower case, hex digits of percent-escapes in upper case and unreserved characters decoded,
    dot segments removed, the scheme's default port dropped (§6.2.3)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, {"http": 80, "https": 443}.get(scheme)) else f"{host}:{port}"

    def escape(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    path = remove_dot_segments(re.sub(r"%([0-9A-Fa-f]{2})", escape, parts.path))
    return f"{scheme}://{netloc}{path}"


def normalize_mcp_url(url: str, *, gateway: bool) -> tuple[str, list[str]]:
    """The MCP URL as the resource server identifier, with warnings for what was changed."""
    url = (url or "").strip()
    warnings: list[str] = []
    problem = _url_problem(url)
    if problem:
        raise BadInput(f"invalid MCP URL {url!r}: it {problem}; {ACCEPTED_URL}")
    normal = normal_form(url)
    if normal != url:
        warnings.append(f"normalised {url} to {normal} (RFC 3986 §6: scheme and host in lower case, "
                        "the default port dropped, dot segments removed): clients use this form")
        url = normal
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise BadInput(f"MCP URL {url!r} uses http:// on a non-loopback host; accepted: https://")
    if url.endswith("/") and parts.path not in ("", "/"):
        url = url.rstrip("/")
        warnings.append(f"dropped the trailing slash: the resource is {url}")
    if gateway and not url.endswith("/mcp"):
        url = url.rstrip("/") + "/mcp"
        warnings.append(f"an AgentCore Gateway serves MCP at /mcp: the resource is {url}")
    if len(url) > MAX_IDENTIFIER_LENGTH:
        raise BadInput(f"MCP URL {url!r} is {len(url)} characters; Cognito accepts at most "
                       f"{MAX_IDENTIFIER_LENGTH}")
    return url, warnings


def resource_near_miss(identifier: str, url: str) -> bool:
    """A resource server identifier that is not the MCP URL but differs only by a trailing
    slash or a /mcp suffix (so its scope strings never match what clients ask for)."""
    a, b = identifier.rstrip("/"), url.rstrip("/")
    return identifier != url and (a == b or a.removesuffix("/mcp") == b or b.removesuffix("/mcp") == a)


def check_scope_names(scopes: tuple[str, ...], mcp_url: str) -> tuple[str, ...]:
    if not scopes:
        raise BadInput("no resource scope; accepted: one or more names such as invoke")
    for scope in scopes:
        if not SCOPE_NAME.match(scope):
            raise BadInput(f"invalid scope name {scope!r}; accepted: printable ASCII without / \" \\ or space")
        full = f"{mcp_url}/{scope}"
        if len(full) > MAX_SCOPE_LENGTH:
            raise BadInput(
                f"scope {full!r} is {len(full)} characters; Cognito accepts at most "
                f"{MAX_SCOPE_LENGTH} (identifier + '/' + scope): use a shorter URL or scope name"
            )
    return scopes


def check_pool_name(name: str) -> str:
    if not POOL_NAME.match(name or ""):
        raise BadInput(f"invalid user pool name {name!r}; accepted: 1-128 letters, digits, spaces and +=,.@-")
    return name


def check_tier(tier: str) -> str:
    tier = tier.upper()
    if tier not in TIERS:
        raise BadInput(f"unknown tier {tier!r}; accepted: {', '.join(TIERS)}")
    return tier


def check_email(email: str, what: str = "email") -> str:
    """An address AWS can send mail to (Cognito's invitation, SNS's alarm), checked by
    email-validator (RFC 5321 / 5322 syntax, IDNA host; no DNS lookup): AWS is never sent
    one it would refuse. `what` names it in the error (e.g. the flag)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email or "", check_deliverability=False)
    except EmailNotValidError as exc:
        raise BadInput(f"invalid {what} {email!r} ({exc}); accepted: name@example.com") from None
    return email


def client_specs(platforms: list[str], *, shared: bool, public: set[str],
                 secret: set[str], ports: dict[str, int],
                 mcp_url: str | None = None) -> tuple[ClientSpec, ...]:
    """One client per platform (so each can be revoked alone), or one shared client.
    `mcp_url`: for a client whose callback carries an id derived from it (Codex)."""
    if not platforms:
        raise BadInput(f"no platform chosen; accepted: {', '.join(PLATFORMS)}")
    chosen = [get_platform(p) for p in dict.fromkeys(platforms)]
    for name in (public | secret | set(ports)) - {p.name for p in chosen}:
        get_platform(name)  # unknown names fail with the known list
    both = public & secret
    if both:
        raise BadInput(f"{', '.join(sorted(both))} cannot be both --public and --secret")

    def wants_secret(name: str, default: bool) -> bool:
        return name in secret or (default and name not in public)

    specs = [
        ClientSpec(
            key=p.name,
            platforms=(p.name,),
            secret=wants_secret(p.name, p.default_secret),
            callback_urls=p.callback_urls(ports.get(p.name), mcp_url),
        )
        for p in chosen
    ]
    if not shared:
        return tuple(specs)
    urls = tuple(dict.fromkeys(u for s in specs for u in s.callback_urls))
    return (
        ClientSpec(
            key="shared",
            platforms=tuple(s.key for s in specs),
            secret=any(s.secret for s in specs),
            callback_urls=urls,
        ),
    )
