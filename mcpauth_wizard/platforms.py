"""The MCP client registry: callback URLs and known behaviour, as data.

A new platform is one new entry in PLATFORMS. Every fact carries where it came from and
whether it was verified, so `doctor` can say how sure a prediction is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mcpauth_wizard.errors import BadInput

MIN_PORT = 1024  # loopback clients listen on unprivileged ports


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
    callback_templates: tuple[str, ...]  # may contain "{port}"
    default_port: int | None  # None with a "{port}" template: the user must pin one
    sends_secret: bool  # can the user enter a client secret in this client?
    registration: str
    source: str
    verified: bool
    quirks: tuple[Quirk, ...] = field(default=())
    note: str = ""
    default_secret: bool = False  # init's default: a confidential client (with a secret)?

    @property
    def needs_port(self) -> bool:
        return any("{port}" in t for t in self.callback_templates)

    def callback_urls(self, port: int | None = None) -> tuple[str, ...]:
        """The exact redirect URIs this platform sends, for the given loopback port."""
        if not self.needs_port:
            if port is not None:
                raise BadInput(f"--port does not apply to {self.name}: its callback URL is fixed")
            return self.callback_templates
        chosen = port if port is not None else self.default_port
        if chosen is None:
            raise BadInput(
                f"{self.name} needs --port: its callback port is random unless you fix it "
                f"(pass the port you configured, {MIN_PORT}-65535)"
            )
        if not MIN_PORT <= chosen <= 65535:
            raise BadInput(f"port {chosen} is out of range; accepted: {MIN_PORT}-65535")
        return tuple(t.format(port=chosen) for t in self.callback_templates)


_S256_STRICT = Quirk(
    code="AS_NO_S256",
    text="refuses an authorization server whose metadata lacks code_challenge_methods_supported "
    "with S256 (Cognito's discovery document has none)",
    source="public issue reports against Claude Code / Claude.ai (2025)",
    verified=False,
)

PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            name="chatgpt",
            default_secret=True,
            title="ChatGPT",
            callback_templates=("https://chatgpt.com/connector_platform_oauth_redirect",),
            default_port=None,
            sends_secret=True,
            registration="client id + secret entered in the connector settings",
            source="seen in real requests",
            verified=False,
            note="ChatGPT may show a per-connector URL (https://chatgpt.com/connector/oauth/{id});"
            " add the exact URL it displays with `mcpauth add-callback chatgpt --url URL`",
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
            registration="DCR, or client id + secret under Advanced settings",
            source="widely used in public setups",
            verified=False,
            quirks=(_S256_STRICT,),
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
            registration="DCR or static client id/secret",
            source="MCP Inspector source",
            verified=True,
            note="open Inspector at http://localhost:6274 (not 127.0.0.1): the origin is the URL",
        ),
        Platform(
            name="claude-code",
            title="Claude Code",
            callback_templates=("http://localhost:{port}/callback",),
            default_port=None,
            sends_secret=True,
            registration="claude mcp add --client-id … --client-secret … --callback-port PORT",
            source="Claude Code documentation",
            verified=False,
            quirks=(_S256_STRICT,),
        ),
        Platform(
            name="vscode",
            title="VS Code",
            callback_templates=(
                "http://127.0.0.1:33418/",
                "http://127.0.0.1:33418",
                "https://vscode.dev/redirect",
            ),
            default_port=None,
            sends_secret=True,
            registration="prompts for a client id when DCR is missing",
            source="VS Code source",
            verified=True,
            note="registered with and without the trailing slash",
        ),
        Platform(
            name="cursor",
            title="Cursor",
            callback_templates=("cursor://anysphere.cursor-mcp/oauth/callback",),
            default_port=None,
            sends_secret=True,
            registration="DCR / static",
            source="issue reports",
            verified=False,
        ),
        Platform(
            name="mcp-remote",
            title="mcp-remote",
            callback_templates=("http://localhost:{port}/oauth/callback",),
            default_port=3334,
            sends_secret=True,
            registration="--static-oauth-client-info",
            source="mcp-remote README",
            verified=False,
            note="falls back to a random port if 3334 is busy",
        ),
        Platform(
            name="doctor",
            title="mcpauth doctor --login",
            callback_templates=("http://localhost:{port}/callback",),
            default_port=8976,
            sends_secret=True,
            registration="the client under test",
            source="this tool",
            verified=True,
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
    """The platforms that send this exact redirect URI (any port for port-pinned ones)."""
    from mcpauth_wizard.callbacks import matches_template

    return [
        platform
        for platform in PLATFORMS.values()
        if any(matches_template(url, t) for t in platform.callback_templates)
    ]
