"""The MCP client registry: callback URLs and known behaviour, as data.

A new platform is one new entry in PLATFORMS. Every fact carries where it came from and
whether it was verified (read in the client's own source, or measured here), so `doctor`
can say how sure a prediction is and word a reported one as "reported to …".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mcpauth_wizard.core.errors import BadInput

MIN_PORT = 1024  # loopback clients listen on unprivileged ports

# What a client sends as `scope` when neither the challenge nor the metadata names one.
SCOPE_NOTHING = "nothing"  # no scope parameter at all
SCOPE_ALL_AS = "all AS scopes_supported"  # every scope the authorization server's metadata lists
SCOPE_CONFIGURED = "what the user configured"
UNKNOWN = "unknown"

REGISTRATION_KINDS = ("pre-registered", "DCR", "CIMD")
ISS_WHEN_KNOWN = "whenever it knows the issuer"
ISS_WHEN_ADVERTISED = "when the AS advertises it"


@dataclass(frozen=True)
class Fact:
    """One behaviour of a client, with where it comes from."""

    value: str | bool
    source: str
    verified: bool  # True: read in the client's source or measured; False: reported

    @property
    def confidence(self) -> str:
        return "confirmed" if self.verified else "reported"


def _unknown(what: str) -> Fact:
    return Fact(UNKNOWN, f"no public source found for {what}", False)


@dataclass(frozen=True)
class Behaviour:
    """How a client talks OAuth, as far as it decides whether Cognito works with it."""

    sends_resource: Fact = field(default_factory=lambda: _unknown("resource"))
    # value: "authorize+token", "authorize", "no", or UNKNOWN
    scope_when_none_advertised: Fact = field(default_factory=lambda: _unknown("scope"))
    token_auth_method: Fact = field(default_factory=lambda: _unknown("token auth"))
    strict_s256: Fact = field(default_factory=lambda: _unknown("S256 strictness"))
    # value True: refuses metadata without code_challenge_methods_supported ∋ S256
    needs_iss_for_stable_callback: Fact = field(default_factory=lambda: _unknown("iss"))
    loopback_port: Fact = field(default_factory=lambda: _unknown("the loopback port"))
    # value: "none", "fixed", "configurable", "random unless set", "derived from the server URL",
    # "random, no setting"
    requires_iss: Fact = field(default_factory=lambda: _unknown("RFC 9207 iss"))
    # value: ISS_WHEN_KNOWN (refuses a response without iss once it knows the issuer, advertised
    # or not), ISS_WHEN_ADVERTISED (only when the AS advertises it, as RFC 9207 says), "no"
    metadata_from_page: Fact = field(default_factory=lambda: _unknown("where it fetches metadata"))
    # value: the versions that fetch the metadata from a web page (so the browser hides an
    # answer without Access-Control-Allow-Origin: "Failed to fetch"), e.g. "v1 (0.x) web UI";
    # "no": never from a page (a native app, or a page that fetches through its own backend)

    def facts(self) -> dict[str, Fact]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class CallbackVersion:
    """The redirect URIs one version (range) of a client sends."""

    versions: str
    urls: tuple[str, ...]  # may contain "{port}" or "{callback_id}"
    source: str
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class Quirk:
    """A known behaviour of a platform that decides whether it works with a server."""

    code: str  # the doctor finding code this quirk turns into a verdict on
    text: str
    source: str
    verified: bool


@dataclass(frozen=True)
class Platform:
    """One MCP client: how it signs in and which redirect URIs it uses."""

    name: str
    title: str
    callback_templates: tuple[str, ...]  # what `add-callback NAME` registers; may contain "{port}"
    default_port: int | None  # None with a "{port}" template: the user must pin one
    sends_secret: bool  # can the user enter a client secret in this client?
    registration: str
    source: str
    verified: bool
    quirks: tuple[Quirk, ...] = field(default=())
    note: str = ""
    default_secret: bool = False  # init's default: a confidential client (with a secret)?
    registration_kinds: tuple[str, ...] = ()  # of REGISTRATION_KINDS, in the client's order
    callback_versions: tuple[CallbackVersion, ...] = ()
    behaviour: Behaviour = field(default_factory=Behaviour)
    port_setting: str = ""  # how the user pins the loopback port
    # Used instead of callback_templates when the AS sends no RFC 9207 `iss` (Cognito).
    callbacks_without_iss: tuple[str, ...] = ()
    checked: str = ""  # the client version (package@version, or page and date) the facts were checked against
    # Why a pre-registered Cognito client cannot work with this client ("" when it can), and
    # what to do instead: init refuses it for static registration, add-callback refuses it.
    no_pre_registered: str = ""
    # init's proposal for a client whose loopback port has no default of its own (ours, not
    # the client's: it is recorded in mcpauth.toml and printed in the client's command)
    proposed_port: int | None = None

    @property
    def needs_port(self) -> bool:
        return any("{port}" in t for t in self.callback_templates)

    @property
    def all_templates(self) -> tuple[str, ...]:
        """Every redirect URI shape this client is known to send, any version."""
        urls = [*self.callback_templates, *self.callbacks_without_iss]
        urls += [u for v in self.callback_versions for u in v.urls]
        return tuple(dict.fromkeys(urls))

    @property
    def needs_server_url(self) -> bool:
        """Its redirect URI carries an id derived from the MCP server's URL (Codex)."""
        return any("{server_id}" in t for t in self.callback_templates)

    def callback_urls(self, port: int | None = None, server_url: str | None = None) -> tuple[str, ...]:
        """The exact redirect URIs this platform sends, for the given loopback port (and, for a
        client that derives an id from it, the MCP server's URL as configured in the client)."""
        if self.no_pre_registered:
            raise BadInput(f"{self.title} cannot use a pre-registered client: {self.no_pre_registered}")
        server_id = ""
        if self.needs_server_url:
            if not server_url:
                raise BadInput(f"{self.name}'s callback URL is derived from the MCP server's URL: "
                               "run where mcpauth.toml records it, or pass the URL")
            server_id = codex_callback_id(server_url)
        if not self.needs_port:
            if port is not None:
                raise BadInput(f"--port does not apply to {self.name}: its callback URL is fixed")
            return tuple(t.format(server_id=server_id) if "{server_id}" in t else t
                         for t in self.callback_templates)
        chosen = port if port is not None else self.default_port
        if chosen is None:
            raise BadInput(
                f"{self.name} needs --port: its callback port is random unless you fix it "
                f"({self.port_setting or 'pass the port you configured'}; {MIN_PORT}-65535)"
            )
        if not MIN_PORT <= chosen <= 65535:
            raise BadInput(f"port {chosen} is out of range; accepted: {MIN_PORT}-65535")
        return tuple(t.replace("{port}", str(chosen)).replace("{server_id}", server_id)
                     for t in self.callback_templates)

    def expected_callbacks(self, registered: list[str] | tuple[str, ...],
                           server_url: str | None) -> tuple[str, ...]:
        """The redirect URIs this client sends, judged against what a Cognito client has: at
        the loopback port registered there (else the proposed default); () when only the user
        knows the port, or when no pre-registered client can work with it."""
        from mcpauth_wizard.oauth.redirects import port_in

        if self.no_pre_registered:
            return ()
        port = port_in(registered, self.callback_templates) if self.needs_port else None
        if self.needs_port and port is None and self.default_port is None:
            return ()
        return self.callback_urls(port, server_url)

    def callbacks_for(self, *, iss_supported: bool, port: int | None = None,
                      server_url: str | None = None) -> tuple[str, ...]:
        """What this client really sends to an AS that does / does not advertise RFC 9207
        `iss` ("{callback_id}" marks a part only the client's settings page shows)."""
        if self.callbacks_without_iss and not iss_supported:
            return self.callbacks_without_iss
        return self.callback_urls(port, server_url)


def codex_callback_id(server_url: str) -> str:
    """The id Codex appends to its redirect URI: base64url without padding of the first 9
    bytes of SHA-256 of the server URL as Rust's url::Url serialises it (scheme and host in
    lower case, a default port dropped, an empty path made "/", the fragment dropped; the
    query and a trailing slash kept). Source: openai/codex codex-rs/rmcp-client
    `callback_id_from_server_url` (PR #20237, 2026-04-29); vectors checked against codex-cli
    0.171.0 in tests/test_platforms.py."""
    import base64
    import hashlib
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(server_url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{port}"
    serialised = urlunsplit((scheme, host, parts.path or "/", parts.query, ""))
    digest = hashlib.sha256(serialised.encode()).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode().rstrip("=")


_S256_STRICT = Quirk(
    code="AS_NO_S256",
    text="refuses an authorization server whose metadata lacks code_challenge_methods_supported "
    "with S256 (Cognito's discovery document has none)",
    source="public issue reports: anthropics/claude-code#13275, #35846; anthropics/claude-ai-mcp#946",
    verified=False,
)

# Sources, named once: each is a public page, repository file or issue thread.
_OPENAI_AUTH = ("OpenAI Apps SDK authentication docs as quoted by third parties; "
                "makeplane/plane-mcp-server#165")
_CLAUDE_HELP = "support.claude.com article 11503834 (custom connectors); anthropics/claude-ai-mcp#215, #667"
_CLAUDE_CODE = "Claude Code MCP docs (claude mcp add --client-id/--client-secret/--callback-port)"
_INSPECTOR_V1 = "modelcontextprotocol/inspector client/src/lib/auth.ts (v1)"
_INSPECTOR_V2 = "modelcontextprotocol/inspector clients/web/src/utils/oauthFlow.ts (v2)"
_INSPECTOR_PAGE = ("npm @modelcontextprotocol/inspector 0.15.0 client/dist/assets/index-*.js (the page "
                   "runs the MCP SDK's discovery: fetch from the browser); 2.12.0 clients/web (the page "
                   "fetches through its backend, POST /api/fetch)")
_VSCODE = "microsoft/vscode src/vs/base/common/oauth.ts (fetchDynamicRegistration, DEFAULT_AUTH_FLOW_PORT)"
_CURSOR = "Cursor MCP docs (static OAuth `auth` block) as quoted by several server READMEs"
_MCP_REMOTE = "npm mcp-remote 0.15.1: README and dist (pinned in tests/clients)"
_GEMINI = ("npm @google/gemini-cli-core 0.61.0 dist/src/mcp/oauth-provider.js, "
           "dist/src/utils/oauth-flow.js")
_CLAUDE_CODE_BIN = "npm @anthropic-ai/claude-code-linux-x64 2.1.332 (the CLI's bundled source)"
_INSPECTOR_2 = "npm @modelcontextprotocol/inspector 2.12.0 clients/cli/build/index.js"
_CODEX = ("openai/codex codex-rs/rmcp-client (callback_id_from_server_url, PR #20237); "
          "run: codex-cli 0.171.0 (npm @openai/codex-linux-x64)")
_OPENCODE = "npm opencode-linux-x64 1.18.33 (McpOAuthConfig, the binary's bundled source)"
_GOOSE = "block/goose crates/goose/src/oauth/mod.rs (06423fd5)"
_ZED = ("zed-industries/zed crates/context_server/src/oauth.rs (04afc35b), "
        "crates/oauth_callback_server (0fa1962c); PR #52900")
_FASTMCP = "PyPI fastmcp-slim 4.2.3 fastmcp/client/auth/oauth.py (OAuth: callback_port, client_id)"
_PYTHON_SDK = "PyPI mcp 2.3.0 mcp/client/auth/oauth2.py (OAuthClientProvider, redirect_uris[0])"

_WEB = Fact("none", "a web client: its callback is an https URL on its own host", True)


def _FIXED_IN_SOURCE(source: str) -> Fact:  # noqa: N802 - reads as a constant
    return Fact(False, source + " (a fixed callback, whatever the AS)", True)


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            name="chatgpt",
            default_secret=True,
            title="ChatGPT",
            callback_templates=("https://chatgpt.com/connector_platform_oauth_redirect",),
            callbacks_without_iss=("https://chatgpt.com/connector/oauth/{callback_id}",),
            default_port=None,
            sends_secret=True,
            registration="CIMD, DCR, or client id + secret entered in the connector settings",
            registration_kinds=("CIMD", "DCR", "pre-registered"),
            source=_OPENAI_AUTH,
            verified=False,
            checked="OpenAI Apps SDK docs as quoted by third parties, Dec 2026",
            callback_versions=(
                CallbackVersion("AS advertising RFC 9207 iss",
                                ("https://chatgpt.com/connector_platform_oauth_redirect",),
                                _OPENAI_AUTH, False),
                CallbackVersion("AS without iss (Cognito)",
                                ("https://chatgpt.com/connector/oauth/{callback_id}",),
                                _OPENAI_AUTH, False,
                                "ChatGPT shows it once the connector exists: Settings › Apps & "
                                "Connectors › the connector › its OAuth settings (callback URL)"),
            ),
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", _OPENAI_AUTH, False),
                scope_when_none_advertised=Fact(
                    SCOPE_NOTHING, "OpenAI community thread 'Oauth missing scopes after Reconnect'",
                    False),
                needs_iss_for_stable_callback=Fact(True, _OPENAI_AUTH, False),
                loopback_port=_WEB,
            ),
            note="Cognito sends no RFC 9207 iss, so ChatGPT uses a per-connector URL "
            "(https://chatgpt.com/connector/oauth/…) shown in the connector settings: add it with "
            "`mcpauth add-callback chatgpt --url URL`",
        ),
        Platform(
            name="claude",
            default_secret=True,
            title="Claude.ai",
            callback_templates=(
                "https://claude.ai/api/mcp/auth_callback",
                "https://claude.com/api/mcp/auth_callback",
            ),
            default_port=None,
            sends_secret=True,
            registration="CIMD, DCR, or client id + secret under Advanced settings",
            registration_kinds=("CIMD", "DCR", "pre-registered"),
            source=_CLAUDE_HELP,
            checked="support.claude.com 11503834 and the issue threads, Dec 2026",
            verified=False,
            quirks=(_S256_STRICT,),
            behaviour=Behaviour(
                token_auth_method=Fact("client_secret_post", "anthropics/claude-ai-mcp#215, #667",
                                       False),
                strict_s256=Fact(True, "anthropics/claude-ai-mcp#946 (open, unresolved)", False),
                needs_iss_for_stable_callback=Fact(False, _CLAUDE_HELP + " (one fixed URL per host)",
                                                   False),
                loopback_port=_WEB,
            ),
        ),
        Platform(
            name="inspector",
            title="MCP Inspector",
            callback_templates=(
                "http://localhost:{port}/oauth/callback",
                "http://localhost:{port}/oauth/callback/debug",
            ),
            default_port=6274,
            sends_secret=True,
            registration="DCR, CIMD (v2) or static client id/secret",
            registration_kinds=("DCR", "CIMD", "pre-registered"),
            source=_INSPECTOR_V1,
            verified=True,
            checked="npm @modelcontextprotocol/inspector 0.15.0 and 2.12.0",
            note="open Inspector at exactly http://localhost:6274, not the http://127.0.0.1:6274 "
            "link its launcher prints: the redirect URI is the page's origin + /oauth/callback, and "
            "Cognito accepts plain http only for localhost",
            callback_versions=(
                CallbackVersion("v1", ("http://localhost:{port}/oauth/callback",
                                       "http://localhost:{port}/oauth/callback/debug"),
                                _INSPECTOR_V1, True),
                CallbackVersion("v2", ("http://localhost:{port}/oauth/callback",), _INSPECTOR_V2, True),
            ),
            port_setting="the port Inspector's web UI is served on (CLIENT_PORT, default 6274)",
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", "the MCP TypeScript SDK's auth() that "
                                    "Inspector calls (resource from PRM)", True),
                scope_when_none_advertised=Fact(SCOPE_CONFIGURED, _INSPECTOR_V1 + " (Scope field)",
                                                True),
                loopback_port=Fact("configurable", "Inspector README (CLIENT_PORT)", True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_INSPECTOR_V1),
                metadata_from_page=Fact("v1 (0.x) web UI", _INSPECTOR_PAGE, True),
            ),
        ),
        Platform(
            name="claude-code",
            title="Claude Code",
            callback_templates=("http://localhost:{port}/callback",),
            default_port=None,
            sends_secret=True,
            registration="claude mcp add --client-id … --client-secret … --callback-port PORT",
            proposed_port=31415,  # Claude Code picks a random port unless one is set
            registration_kinds=("CIMD", "DCR", "pre-registered"),
            source=_CLAUDE_CODE,
            verified=True,
            checked="npm @anthropic-ai/claude-code 2.1.332",
            port_setting="`claude mcp add --callback-port PORT`, `oauth.callbackPort` or "
            "MCP_OAUTH_CALLBACK_PORT",
            note="never uses 127.0.0.1; a pre-set client id may still try DCR "
            "(anthropics/claude-code#67258)",
            behaviour=Behaviour(
                scope_when_none_advertised=Fact(
                    SCOPE_NOTHING, "anthropics/claude-code#90190 (open): no scope when neither the "
                    "challenge nor PRM names one; Cognito's code then fails with invalid_grant", False),
                strict_s256=Fact(False, _CLAUDE_CODE_BIN + ": refuses only a "
                                 "code_challenge_methods_supported that lacks S256, not a missing one "
                                 "(the refusals reported in #13275, #35846 were older versions)", True),
                sends_resource=Fact("authorize+token", _CLAUDE_CODE_BIN + " (when protected-resource "
                                    "metadata was found)", True),
                loopback_port=Fact("random unless set", _CLAUDE_CODE_BIN + " (49152-65535, else 3118)",
                                   True),
                needs_iss_for_stable_callback=Fact(False, _CLAUDE_CODE + " (a loopback callback)",
                                                   False),
                requires_iss=Fact(ISS_WHEN_ADVERTISED, _CLAUDE_CODE_BIN, True),
            ),
        ),
        Platform(
            name="vscode",
            title="VS Code",
            callback_templates=(
                "http://127.0.0.1:33418/",
                "http://127.0.0.1:33418",
                "https://vscode.dev/redirect",
                "https://insiders.vscode.dev/redirect",
            ),
            default_port=None,
            sends_secret=True,
            registration="CIMD, DCR (public, application_type native), else prompts for a client "
            "id and secret",
            registration_kinds=("CIMD", "DCR", "pre-registered"),
            source=_VSCODE,
            verified=True,
            checked="microsoft/vscode main, 2026",
            note="registered with and without the trailing slash; 33418 is used when free",
            callback_versions=(
                CallbackVersion("2025-2026", ("https://insiders.vscode.dev/redirect",
                                              "https://vscode.dev/redirect", "http://127.0.0.1/",
                                              "http://127.0.0.1:33418/"), _VSCODE, True),
            ),
            port_setting="33418 while it is free (DEFAULT_AUTH_FLOW_PORT)",
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", _VSCODE, True),
                scope_when_none_advertised=Fact(
                    SCOPE_ALL_AS, "microsoft/vscode src/vs/workbench/api/browser/mainThreadMcp.ts "
                    "($getTokenFromServerMetadata: challenge scopes, else PRM, else AS "
                    "scopes_supported)", True),
                token_auth_method=Fact("none", _VSCODE + " (DCR registers a public client)", True),
                loopback_port=Fact("fixed", _VSCODE, True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_VSCODE),
            ),
        ),
        Platform(
            name="cursor",
            title="Cursor",
            callback_templates=("cursor://anysphere.cursor-mcp/oauth/callback",
                                "https://www.cursor.com/agents/mcp/oauth/callback",
                                "http://localhost:8787/callback"),
            default_port=None,
            sends_secret=True,
            registration="DCR, or a static `auth` block (CLIENT_ID, CLIENT_SECRET, scopes) in mcp.json",
            registration_kinds=("DCR", "pre-registered"),
            source=_CURSOR,
            verified=False,
            checked="third-party quotes of Cursor's docs (erp-mafia/accounted#2225: its DCR sends all "
            "three), Dec 2026",
            note="all three on its client: the desktop app, the agents / web and the static auth "
            "block each send one",
            callback_versions=(
                CallbackVersion("static auth config", ("cursor://anysphere.cursor-mcp/oauth/callback",),
                                _CURSOR, False),
                CallbackVersion("desktop", ("http://localhost:8787/callback",), _CURSOR, False),
                CallbackVersion("web agents", ("https://www.cursor.com/agents/mcp/oauth/callback",),
                                _CURSOR, False),
            ),
            behaviour=Behaviour(
                scope_when_none_advertised=Fact(
                    SCOPE_ALL_AS, _CURSOR + ": without `scopes` it asks for every scope advertised",
                    False),
                loopback_port=Fact("fixed", _CURSOR + " (desktop: localhost:8787)", False),
            ),
        ),
        Platform(
            name="mcp-remote",
            title="mcp-remote",
            callback_templates=("http://localhost:{port}/oauth/callback",),
            default_port=3334,
            sends_secret=True,
            registration="--static-oauth-client-info, CIMD (--client-metadata-url) or DCR",
            registration_kinds=("pre-registered", "CIMD", "DCR"),
            source=_MCP_REMOTE,
            verified=True,
            checked="npm mcp-remote 0.15.1",
            note="the port is pinned by passing it after the server URL; a pinned port that is "
            "busy fails",
            callback_versions=(
                CallbackVersion("0.1.x", ("http://localhost:3334/oauth/callback",),
                                "geelen/mcp-remote README (0.1.x): default port 3334", False),
                CallbackVersion("0.15", ("http://localhost:{port}/oauth/callback",), _MCP_REMOTE, True,
                                "port derived from the server URL (3335-49150) unless passed"),
            ),
            port_setting="the port argument after the server URL (`npx mcp-remote URL 3334`)",
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", _MCP_REMOTE + " (PRM resource, the SDK's "
                                    "selectResourceURL)", True),
                scope_when_none_advertised=Fact(
                    SCOPE_ALL_AS, _MCP_REMOTE + " (requestedScope: AS scopes_supported, unless "
                    "--static-oauth-client-metadata pins a scope)", True),
                token_auth_method=Fact("client_secret_basic", _MCP_REMOTE + " (selectClientAuthMethod: "
                                       "basic when the AS lists it and a secret is set)", True),
                strict_s256=Fact(False, _MCP_REMOTE + " (refuses only metadata listing methods "
                                 "without S256)", True),
                loopback_port=Fact("derived from the server URL", _MCP_REMOTE, True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_MCP_REMOTE),
                requires_iss=Fact(ISS_WHEN_ADVERTISED, _MCP_REMOTE, True),
            ),
        ),
        Platform(
            name="gemini-cli",
            title="Gemini CLI",
            callback_templates=("http://localhost:{port}/oauth/callback",),
            default_port=7777,  # mcpauth's proposal: the panel pins it with oauth.redirectUri
            sends_secret=True,
            registration="oauth.clientId / clientSecret in settings.json, else DCR",
            registration_kinds=("pre-registered", "DCR"),
            source=_GEMINI,
            verified=True,
            checked="npm @google/gemini-cli-core 0.61.0",
            port_setting="oauth.redirectUri in its settings.json entry (the panel pins it); "
            "OAUTH_CALLBACK_PORT binds the port but no longer names it",
            note="its panel gives explicit authorizationUrl and tokenUrl (no discovery: after discovery "
            "it refuses a sign-in without RFC 9207 iss, which Cognito never sends) and run `/mcp auth "
            "NAME` (its automatic sign-in ignores the client id and tries DCR)",
            callback_versions=(
                CallbackVersion("0.61", ("http://localhost:{port}/oauth/callback",), _GEMINI, True,
                                "port random unless oauth.redirectUri pins it"),
                CallbackVersion("before 0.5x (reported)", ("http://localhost:7777/oauth/callback",),
                                "google-gemini/gemini-cli REDIRECT_PORT = 7777 (older source)", False),
            ),
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", _GEMINI + " (buildAuthorizationUrl, "
                                    "exchangeCodeForToken)", True),
                scope_when_none_advertised=Fact(
                    SCOPE_ALL_AS, _GEMINI + " (metadataToOAuthConfig: scopes = AS scopes_supported)",
                    True),
                token_auth_method=Fact("client_secret_post", _GEMINI + " (exchangeCodeForToken)", True),
                strict_s256=Fact(False, _GEMINI + " (sends S256 without checking metadata)", True),
                loopback_port=Fact("random unless set", _GEMINI + " (listenPort = 0 unless "
                                   "OAUTH_CALLBACK_PORT or the port of oauth.redirectUri)", True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_GEMINI),
                requires_iss=Fact(ISS_WHEN_KNOWN, _GEMINI + " ('Missing \"iss\" parameter in "
                                  "authorization response per RFC 9207': fail-closed once an issuer is "
                                  "known, not gated on authorization_response_iss_parameter_supported)",
                                  True),
            ),
        ),
        Platform(
            name="codex",
            title="Codex CLI",
            callback_templates=("http://localhost:{port}/callback/{server_id}",),
            default_port=5555,  # mcpauth's proposal: the panel pins it (oauth.callback_port)
            sends_secret=True,
            registration="[mcp_servers.NAME.oauth] client_id in ~/.codex/config.toml, else DCR / CIMD",
            registration_kinds=("pre-registered", "CIMD", "DCR"),
            source=_CODEX,
            verified=True,
            checked="codex-cli 0.171.0",
            port_setting="oauth.callback_port and oauth.callback_url in its [mcp_servers.NAME] entry "
            "(the panel pins both; without them the port is random)",
            note="the id after /callback/ is derived from the MCP server URL exactly as configured "
            "(a trailing slash changes it); localhost, not Codex's default 127.0.0.1, because Cognito "
            "accepts plain http only for localhost (CreateUserPoolClient CallbackURLs)",
            callback_versions=(
                CallbackVersion("0.147 and later (PR #20237)", ("http://127.0.0.1:{port}/callback/{server_id}",
                                                                "http://localhost:{port}/callback/{server_id}"),
                                _CODEX, True, "the default host is 127.0.0.1; the panel sets localhost"),
                CallbackVersion("before PR #20237 (2026-04-29)", ("http://127.0.0.1:{port}/callback",),
                                "openai/codex perform_oauth_login.rs (older version)", True),
            ),
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", _CODEX + " (oauth_resource, resource= on authorize)",
                                    True),
                loopback_port=Fact("random unless set", _CODEX + " (mcp_oauth_callback_port, "
                                   "oauth.callback_port)", True),
                needs_iss_for_stable_callback=Fact(False, _CODEX + " (with iss support and a "
                                                   "per-server callback_url it drops the id)", True),
                scope_when_none_advertised=Fact(SCOPE_CONFIGURED, _CODEX + " (codex mcp login --scopes)",
                                                True),
            ),
        ),
        Platform(
            name="opencode",
            title="OpenCode",
            callback_templates=("http://localhost:{port}/mcp/oauth/callback",),
            default_port=19876,
            sends_secret=True,
            registration="oauth.clientId (+ clientSecret, scope) in opencode.json, else DCR",
            registration_kinds=("pre-registered", "DCR"),
            source=_OPENCODE,
            verified=True,
            checked="npm opencode-ai 1.18.33",
            port_setting="oauth.redirectUri in its opencode.json entry (the panel pins it; "
            "oauth.callbackPort alone keeps the 127.0.0.1 host)",
            note="without DCR and without a client id it stops with 'does not support dynamic client "
            "registration'; the panel sets redirectUri to localhost (its default host is 127.0.0.1)",
            callback_versions=(
                CallbackVersion("1.18", ("http://127.0.0.1:19876/mcp/oauth/callback",
                                         "http://localhost:{port}/mcp/oauth/callback"), _OPENCODE, True,
                                "the default, and the panel's redirectUri"),
            ),
            behaviour=Behaviour(
                loopback_port=Fact("configurable", _OPENCODE + " (callbackPort, redirectUri)", True),
                scope_when_none_advertised=Fact(SCOPE_CONFIGURED, _OPENCODE + " (oauth.scope)", True),
                strict_s256=Fact(False, _OPENCODE + " (refuses only a method list without S256)", True),
                requires_iss=Fact("no", _OPENCODE + " (no RFC 9207 handling found)", True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_OPENCODE),
            ),
        ),
        Platform(
            name="goose",
            title="Goose",
            callback_templates=("http://127.0.0.1:{port}/oauth_callback",),
            default_port=8789,  # mcpauth's proposal: pinned with GOOSE_OAUTH_CALLBACK_PORT
            sends_secret=True,
            registration="client_id (+ client_secret_key, scopes) on the extension, else CIMD",
            registration_kinds=("pre-registered", "CIMD"),
            source=_GOOSE,
            verified=True,
            checked="block/goose 06423fd5 (source)",
            port_setting="GOOSE_OAUTH_CALLBACK_PORT (random without it)",
            note="its redirect URI is http://127.0.0.1 (fixed in its source), and AWS's "
            "CreateUserPoolClient guide accepts plain http only for localhost: if Cognito refuses the "
            "URL, Goose cannot use a pre-registered client (unverified against real Cognito)",
            behaviour=Behaviour(
                loopback_port=Fact("random unless set", _GOOSE + " (GOOSE_OAUTH_CALLBACK_PORT, else 0)",
                                   True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_GOOSE),
                requires_iss=Fact(ISS_WHEN_ADVERTISED, _GOOSE + " (handle_callback_with_issuer)", False),
            ),
        ),
        Platform(
            name="zed",
            title="Zed",
            callback_templates=("http://127.0.0.1:{port}/callback",),
            default_port=None,
            sends_secret=True,
            registration="CIMD, then DCR with the exact redirect URI; a client id in "
            "context_servers.NAME.oauth still uses a random port",
            registration_kinds=("CIMD", "DCR", "pre-registered"),
            source=_ZED,
            verified=True,
            checked="zed-industries/zed 04afc35b (source)",
            no_pre_registered="it picks a new loopback port at every sign-in and has no setting to "
            "pin it, so no fixed callback URL can be registered; let it register itself: "
            "`mcpauth init --registration dcr` (or both)",
            behaviour=Behaviour(
                loopback_port=Fact("random, no setting", _ZED + " (preferred_port: 0)", True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_ZED),
            ),
        ),
        Platform(
            name="fastmcp",
            title="FastMCP Client",
            callback_templates=("http://localhost:{port}/callback",),
            default_port=8765,  # mcpauth's proposal: OAuth(callback_port=…) in the snippet
            sends_secret=True,
            registration="OAuth(client_id=…, client_secret=…), else CIMD / DCR",
            registration_kinds=("pre-registered", "CIMD", "DCR"),
            source=_FASTMCP,
            verified=True,
            checked="PyPI fastmcp 4.2.3 (fastmcp-slim 4.2.3)",
            port_setting="OAuth(callback_port=PORT) (random without it)",
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", _FASTMCP + " (the MCP SDK's auth flow)", True),
                scope_when_none_advertised=Fact(SCOPE_CONFIGURED, _FASTMCP + " (scopes=)", True),
                loopback_port=Fact("random unless set", _FASTMCP, True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_FASTMCP),
            ),
        ),
        Platform(
            name="python-sdk",
            title="MCP Python SDK",
            callback_templates=("http://localhost:{port}/callback",),
            default_port=8766,  # mcpauth's proposal: the snippet's redirect_uris and listener
            sends_secret=True,
            registration="a TokenStorage whose get_client_info() returns the client, else CIMD / DCR",
            registration_kinds=("pre-registered", "CIMD", "DCR"),
            source=_PYTHON_SDK,
            verified=True,
            checked="PyPI mcp 2.3.0",
            port_setting="redirect_uris[0] in OAuthClientMetadata, and your own listener on that port",
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", _PYTHON_SDK, True),
                scope_when_none_advertised=Fact(SCOPE_CONFIGURED, _PYTHON_SDK + " (client_metadata.scope)",
                                                True),
                loopback_port=Fact("configurable", _PYTHON_SDK, True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_PYTHON_SDK),
                requires_iss=Fact(ISS_WHEN_ADVERTISED, _PYTHON_SDK + " (validate_authorization_response_iss)",
                                  True),
            ),
        ),
        Platform(
            name="inspector-cli",
            title="MCP Inspector CLI",
            callback_templates=("http://localhost:{port}/oauth/callback",),
            default_port=6276,
            sends_secret=True,
            registration="--client-id / --client-secret, else CIMD / DCR",
            registration_kinds=("pre-registered", "CIMD", "DCR"),
            source=_INSPECTOR_2,
            verified=True,
            checked="npm @modelcontextprotocol/inspector 2.12.0 (needs Node 22.19 or later)",
            port_setting="--callback-url http://localhost:PORT/oauth/callback (the panel passes it; its "
            "default is http://127.0.0.1:6276/oauth/callback)",
            callback_versions=(
                CallbackVersion("2.x CLI default", ("http://127.0.0.1:6276/oauth/callback",), _INSPECTOR_2,
                                True),
                CallbackVersion("2.x CLI, the panel's --callback-url",
                                ("http://localhost:{port}/oauth/callback",), _INSPECTOR_2, True),
            ),
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", _INSPECTOR_2 + " (the MCP TypeScript SDK)", True),
                loopback_port=Fact("configurable", _INSPECTOR_2 + " (--callback-url, MCP_OAUTH_CALLBACK_URL)",
                                   True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE(_INSPECTOR_2),
                metadata_from_page=Fact("no", _INSPECTOR_2 + " (Node, no page)", True),
            ),
        ),
        Platform(
            name="doctor",
            title="mcpauth doctor --login",
            callback_templates=("http://localhost:{port}/callback",),
            default_port=8976,
            sends_secret=True,
            registration="the client under test",
            registration_kinds=("pre-registered",),
            source="this tool (mcpauth_wizard/doctor/login.py)",
            verified=True,
            checked="this version of mcpauth",
            behaviour=Behaviour(
                sends_resource=Fact("authorize+token", "this tool", True),
                scope_when_none_advertised=Fact(SCOPE_CONFIGURED, "this tool", True),
                needs_iss_for_stable_callback=_FIXED_IN_SOURCE("this tool"),
                token_auth_method=Fact("client_secret_basic", "this tool", True),
                strict_s256=Fact(False, "this tool", True),
                loopback_port=Fact("configurable", "this tool (`add-callback doctor --port`)", True),
            ),
        ),
    )
}


def get_platform(name: str) -> Platform:
    """Look a platform up by its CLI name, or fail with the list of known names."""
    try:
        return PLATFORMS[name.strip().lower()]
    except KeyError:
        raise BadInput(
            f"unknown platform {name!r}; known: {', '.join(PLATFORMS)} (or pass a full URL)"
        ) from None


def platforms_of_url(url: str) -> list[Platform]:
    """The platforms that send this exact redirect URI (any port or callback id where the
    client chooses one)."""
    from mcpauth_wizard.oauth.redirects import matches_template

    return [
        platform
        for platform in PLATFORMS.values()
        if any(matches_template(url, t) for t in platform.all_templates)
    ]


def _says(fact: Fact, does: str) -> str:
    """A fact in words: confirmed behaviour plainly, reported behaviour as "reported to …"."""
    return f"{'confirmed' if fact.verified else 'reported'} to {does} ({fact.source})"


def caveats(platform: Platform) -> list[str]:
    """What a user of this client should know before connecting it to Cognito, from the facts."""
    b = platform.behaviour
    found = []
    scope = b.scope_when_none_advertised
    if scope.value == SCOPE_NOTHING:
        found.append(_says(scope, "send no scope when neither the challenge nor the metadata names "
                                  "one; Cognito's code then fails with invalid_grant, so the server "
                                  "must advertise its scope"))
    elif scope.value == SCOPE_ALL_AS:
        found.append(_says(scope, "ask for every scope the authorization server lists when none is "
                                  "advertised (Cognito lists openid email phone profile), which "
                                  "Cognito refuses with invalid_scope; advertise the resource scope, or "
                                  "pin it in the client's config where it has a setting"))
    if b.strict_s256.value is True:
        found.append(_says(b.strict_s256, "refuse metadata without code_challenge_methods_supported "
                                          "(Cognito's has none)"))
    if b.needs_iss_for_stable_callback.value is True:
        found.append(_says(b.needs_iss_for_stable_callback,
                           "use a per-connector callback URL with an authorization server without "
                           "RFC 9207 iss (Cognito): add the URL it shows"))
    if b.requires_iss.value == ISS_WHEN_KNOWN:
        found.append(_says(b.requires_iss, "refuse a sign-in without RFC 9207 iss once it has "
                                           "discovered the issuer (Cognito sends none): give it "
                                           "explicit endpoints, as its panel does"))
    if b.loopback_port.value == "random unless set":
        found.append(f"pin its callback port: {platform.port_setting}")
    if platform.no_pre_registered:
        found.append(f"no pre-registered client: {platform.no_pre_registered}")
    return found


@dataclass(frozen=True)
class Prediction:
    """What a client's known behaviour does against this server, before anyone signs in."""

    platform: str
    code: str  # a doctor finding code
    error: str  # the OAuth error the user will see, "" when it is not an OAuth error
    text: str
    fix: str
    fact: Fact

    avoidable: bool = False  # the client's panel from `mcpauth show` already avoids it
    versions: str = ""  # only these versions of the client do it ("": every version)

    @property
    def severity(self) -> str:
        """Confirmed behaviour of every version is an error; reported behaviour, behaviour of
        some versions only, or one the panel's settings avoid, a warning (it may have changed,
        it bites only those versions, or only a hand-made config)."""
        return "error" if self.fact.verified and not self.avoidable and not self.versions else "warning"


def predict(platform: Platform, *, advertised_scopes: list[str] | tuple[str, ...],
            as_scopes: list[str] | tuple[str, ...], client_scopes: list[str] | tuple[str, ...],
            s256_advertised: bool, iss_advertised: bool,
            registered: list[str] | tuple[str, ...] = (),
            cors_missing: list[str] | tuple[str, ...] = ()) -> list[Prediction]:
    """Per-platform verdicts from the registry's facts and what the server advertises:
    `advertised_scopes` (challenge `scope`, else PRM `scopes_supported`), the AS metadata's
    `scopes_supported`, the app client's allowed scopes and callback URLs, and the metadata
    documents that came without Access-Control-Allow-Origin (`cors_missing`)."""
    b, title, found = platform.behaviour, platform.title, []
    scope = b.scope_when_none_advertised
    if not advertised_scopes and scope.value == SCOPE_NOTHING:
        found.append(Prediction(
            platform.name, "PLATFORM_SENDS_NO_SCOPE", "invalid_grant",
            f"{title} is {_says(scope, 'send no scope when the server advertises none')}; "
            "Cognito then issues a code that fails at the token endpoint with invalid_grant",
            "advertise the resource scope: the gateway's allowedScopes (its challenge then names "
            "it), or `scope=` in the server's WWW-Authenticate challenge", scope))
    wanted = [s for s in as_scopes if s not in client_scopes]
    if not advertised_scopes and scope.value == SCOPE_ALL_AS and wanted:
        found.append(Prediction(
            platform.name, "PLATFORM_ASKS_ALL_SCOPES", "invalid_scope",
            f"{title} is {_says(scope, 'ask for every scope the AS lists when none is advertised')}"
            f": {' '.join(as_scopes)}, and the app client does not allow {' '.join(wanted)}, so "
            "Cognito answers invalid_scope",
            "advertise the resource scope (gateway allowedScopes), or pin the scope in the client's "
            "config (`mcpauth show` prints it)", scope))
    if b.strict_s256.value is True and not s256_advertised:
        found.append(Prediction(
            platform.name, "AS_NO_S256", "",
            f"{title} is " + _says(b.strict_s256, "refuse an AS whose metadata does not list S256 "
                                   "in code_challenge_methods_supported") + "; Cognito's never does",
            "there is no Cognito setting for it; try the client, and report what you see",
            b.strict_s256))
    if b.requires_iss.value == ISS_WHEN_KNOWN and not iss_advertised:
        found.append(Prediction(
            platform.name, "PLATFORM_REQUIRES_ISS", "",
            f"{title} is " + _says(b.requires_iss, "refuse an authorization response without RFC 9207 "
                                   "iss once it knows the issuer (after discovery)") + "; this "
                                   "authorization server sends none",
            "configure it with explicit endpoints and no issuer, as its panel does (`mcpauth show`): "
            "authorizationUrl, tokenUrl, redirectUri", b.requires_iss, avoidable=True))
    per_connector = platform.callbacks_without_iss
    if (b.needs_iss_for_stable_callback.value is True and not iss_advertised and per_connector
            and not any(matches(u, per_connector) for u in registered)):
        found.append(Prediction(
            platform.name, "PLATFORM_CALLBACK_NEEDS_ISS", "redirect_mismatch",
            f"{title} is " + _says(b.needs_iss_for_stable_callback, "use a per-connector callback "
                                   "URL with an AS that sends no RFC 9207 iss") + "; none is registered",
            f"`mcpauth add-callback {platform.name} --url <the URL {title} shows>` — "
            + next((v.note for v in platform.callback_versions if v.urls == per_connector and v.note),
                   f"{title} shows it once the connector exists"),
            b.needs_iss_for_stable_callback))
    page = b.metadata_from_page
    if cors_missing and isinstance(page.value, str) and page.value not in ("no", UNKNOWN):
        found.append(Prediction(
            platform.name, "CORS_MISSING", "",
            f"{title} {page.value} is " + _says(page, "fetch the metadata from the page") + "; the "
            f"{' and the '.join(cors_missing)} came without Access-Control-Allow-Origin, so the "
            "browser hides the answer and sign-in stops ('Failed to fetch')",
            f"use {title} in a form other than its {page.value} (one that fetches through a "
            "backend, or has no page); or have the server send Access-Control-Allow-Origin on its "
            "metadata (Cognito and AgentCore have no setting for it)", page, versions=page.value))
    return found


def matches(url: str, templates: tuple[str, ...]) -> bool:
    from mcpauth_wizard.oauth.redirects import matches_template

    return any(matches_template(url, t) for t in templates)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fact_cell(fact: Fact) -> str:
    value = {True: "yes", False: "no"}.get(fact.value, fact.value) if isinstance(fact.value, bool) \
        else str(fact.value)
    if value == UNKNOWN:
        return "unknown"
    return f"{value} ({fact.confidence})"


def markdown_table() -> str:
    """The README's client tables, generated from the registry (README.md carries this text
    between its `clients` markers; a test keeps the two equal)."""
    rows = ["| client (`add-callback` name) | callback URLs | registration (in the client's order) "
            "| checked against | caveats with Cognito |", "|---|---|---|---|---|"]
    facts = ["| client | sends `resource` | `scope` when none is advertised | token endpoint auth "
             "| strict about S256 | needs RFC 9207 `iss` | loopback port |",
             "|---|---|---|---|---|---|---|"]
    for p in PLATFORMS.values():
        versions = p.callback_versions or (CallbackVersion("", p.callback_templates, p.source,
                                                           p.verified),)
        urls = "<br>".join(", ".join(f"`{u}`" for u in v.urls) + (f" ({v.versions})" if v.versions
                                                                   else "") for v in versions)
        notes = caveats(p) or ["none known"]
        order = " → ".join(p.registration_kinds)
        rows.append(f"| {p.title} (`{p.name}`) | {_cell(urls)} | {_cell(order)}: "
                    f"{_cell(p.registration)} | {_cell(p.checked)} | {_cell('; '.join(notes))} |")
        b = p.behaviour
        port = _fact_cell(b.loopback_port) + (f": {p.port_setting}" if p.port_setting else "")
        facts.append(f"| {p.title} | {_fact_cell(b.sends_resource)} | "
                     f"{_fact_cell(b.scope_when_none_advertised)} | {_fact_cell(b.token_auth_method)} | "
                     f"{_fact_cell(b.strict_s256)} | {_fact_cell(b.needs_iss_for_stable_callback)} | "
                     f"{_cell(port)} |")
    return "\n".join([*rows, "", *facts]) + "\n"


def _strings(value: object) -> list[str]:
    """A metadata member that should be a list of strings; anything else (a server may lie)
    counts as absent."""
    return [s for s in value if isinstance(s, str)] if isinstance(value, list) else []


def predict_from_facts(platform: Platform, facts: dict[str, object]) -> list[Prediction]:
    """`predict` fed from what the doctor learnt: the challenge, the protected-resource and
    authorization server metadata, and (when AWS was readable) the platform's app client.
    Nothing is predicted without the AS metadata; client-dependent verdicts need the client."""
    metadata = facts.get("as")
    if not isinstance(metadata, dict):
        return []
    prm = facts.get("prm")
    challenge = facts.get("challenge_scope")
    advertised = (challenge.split() if isinstance(challenge, str) else []) or \
        _strings(prm.get("scopes_supported") if isinstance(prm, dict) else None)
    clients = facts.get("clients")
    client = clients.get(platform.name) if isinstance(clients, dict) else None
    client = client if isinstance(client, dict) else None
    found = predict(
        platform, advertised_scopes=advertised,
        # which AS scopes the client allows needs the client
        as_scopes=_strings(metadata.get("scopes_supported")) if client else [],
        client_scopes=_strings((client or {}).get("AllowedOAuthScopes")),
        s256_advertised="S256" in _strings(metadata.get("code_challenge_methods_supported")),
        iss_advertised=metadata.get("authorization_response_iss_parameter_supported") is True,
        registered=_strings((client or {}).get("CallbackURLs")),
        cors_missing=_strings(facts.get("cors_missing")))
    if not client:  # without the registered callbacks, a missing one cannot be told
        found = [p for p in found if p.code != "PLATFORM_CALLBACK_NEEDS_ISS"]
    return found
