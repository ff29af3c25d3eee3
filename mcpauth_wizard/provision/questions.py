"""Every answer of `mcpauth init`, declared once.

From this table come: init's click options (`cli.py`), the keys and kinds a `--config` file
may hold, the command line that repeats a set of answers, the question each answer is asked
with and its line of help (the wizard), the check each given answer meets before any AWS
call, what `--yes` or a run without a terminal takes, where `mcpauth.toml` keeps it, and the
README's table of answers (`answers_markdown`; a test keeps the two equal).

Pure data: `mcpauth --help` imports this module, so it imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    key: str  # the answer's name: --config key, resume file key, Spec.answers key
    kind: type  # str, bool, list (comma-separated / repeated flag), dict (PLATFORM=PORT)
    flag: str  # click's declaration: "--pool-id", "--passkeys/--no-passkeys"
    flag_help: str
    default: str  # what --yes or a run without a terminal takes (README text)
    question: str = ""  # the wizard's key for the question ("" = never asked)
    prompt: str = ""  # the question as it is asked ("" = its words depend on the setup)
    help: str = ""  # one line under the question, for someone who knows AWS but not OAuth
    validator: str = ""  # "module:function" that raises BadInput on a bad value
    recorded: str = ""  # the Project field (mcpauth.toml) that keeps it ("" = not kept)
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    case_sensitive: bool = True
    is_flag: bool = False  # a flag without a value (--classic-login)
    in_config: bool = True  # may a --config file give it

    @property
    def flags(self) -> tuple[str, ...]:
        """The flag that gives it, and for a yes/no pair the one that says no."""
        return tuple(self.flag.split("/"))

    @property
    def option_name(self) -> str:
        """The command-line flag that sets a value (for a pair, the one that says yes)."""
        return self.flags[0]

    def check(self, value: Any) -> None:
        """The declared check (BadInput when the value is refused)."""
        if self.validator:
            import importlib

            module, _, name = self.validator.partition(":")
            getattr(importlib.import_module(module), name)(value)


_SPEC = "mcpauth_wizard.provision.spec"

ANSWERS: tuple[Answer, ...] = (
    Answer("pool_id", str, "--pool-id", "Use this existing user pool.",
           "none: --pool-id or --new-pool is needed", question="pool", prompt="User pool",
           help="The directory people sign in with; an existing pool keeps its users.",
           validator="mcpauth_wizard.aws.user_pools:check_pool_id", recorded="user_pool_id"),
    Answer("new_pool", str, "--new-pool", "Create a user pool with this name.",
           "mcp-users (or the first free mcp-users-N)", question="new_pool",
           prompt="Name of the new user pool",
           help="A name you will recognise in the console (AWS makes the id).",
           validator=f"{_SPEC}:check_pool_name", metavar="NAME"),
    Answer("tier", str, "--tier", "Tier of a new pool (default ESSENTIALS).", "ESSENTIALS",
           question="tier", prompt="Tier",
           help="Billed per monthly active user; managed login needs ESSENTIALS or PLUS.",
           validator=f"{_SPEC}:check_tier", choices=("LITE", "ESSENTIALS", "PLUS"),
           case_sensitive=False),
    Answer("admin_only", bool, "--admin-only/--self-sign-up",
           "Who creates users in a new pool (default: admins only).", "admins only",
           question="admin_only", prompt="Only administrators create users?",
           help="Yes: only you add users (invite one at the end). No: anyone signs up."),
    Answer("passkeys", bool, "--passkeys/--no-passkeys", "Offer passkey sign-in.", "no",
           question="passkeys", prompt="Offer passkeys (managed login only)?",
           help="Sign in with Face ID, Touch ID or a security key instead of a password.",
           recorded="passkeys"),
    Answer("domain", str, "--domain", "Login domain prefix (if the pool has none).",
           "the pool's own domain, else a free prefix named after the pool", question="domain",
           prompt="Login domain prefix", help="",  # its help names the login host it makes
           validator="mcpauth_wizard.aws.domains:check_domain_prefix", recorded="domain",
           metavar="PREFIX"),
    Answer("classic_login", bool, "--classic-login",
           "Classic hosted UI instead of managed login.", "managed login (v2)",
           question="managed_login", prompt="Use managed login (v2)? No = classic hosted UI",
           help="Managed login: Cognito's current, styled page. No: the classic one.",
           recorded="classic_login", is_flag=True),
    Answer("server", str, "--server",
           "What signs users in: a gateway, a server at a URL, or FastMCP's OAuth proxy.",
           "gateway or url, by which of --gateway-id / --mcp-url is given",
           choices=("gateway", "url", "fastmcp-proxy"), recorded="server_kind", in_config=False),
    Answer("base_url", str, "--base-url",
           "The FastMCP proxy's public base URL (its callback: <URL>/auth/callback).",
           "none: added later by `mcpauth init --base-url URL`", recorded="base_url",
           metavar="URL", in_config=False),
    Answer("gateway_id", str, "--gateway-id", "AgentCore Gateway to protect (its URL is the resource).",
           "none: --gateway-id or --mcp-url is needed", question="mcp_server", prompt="MCP server",
           help="What MCP clients connect to; its URL names the scopes tokens carry.",
           validator="mcpauth_wizard.aws.agentcore:check_gateway_id", recorded="gateway_id"),
    Answer("mcp_url", str, "--mcp-url", "MCP server URL, when there is no gateway.",
           "the gateway's URL", question="mcp_url", prompt="MCP server URL",
           help="The URL clients connect to, e.g. https://abc.lambda-url.us-east-1.on.aws/mcp",
           recorded="resource_url"),
    Answer("scopes", list, "--scope", "Resource scope name(s) (default: invoke).", "invoke",
           question="scopes", prompt="Resource scopes (comma separated)",
           help="What a token may do, as <MCP URL>/<scope>; invoke alone is enough.",
           recorded="scopes"),
    Answer("platforms", list, "--platform",
           "chatgpt, claude, inspector, claude-code, vscode, cursor, mcp-remote, gemini-cli.",
           "chatgpt, claude, inspector", question="platforms",
           prompt="Which MCP clients will sign in?",
           help="Each one's exact callback URL is registered (next: how it gets an id).",
           recorded="platforms"),
    Answer("ports", dict, "--port", "Fixed callback port, e.g. claude-code=8765.",
           "the platform's fixed or proposed port (Claude Code: 31415); else --port is needed",
           question="port_PLATFORM", prompt="Fixed callback port for PLATFORM",
           recorded="ports", metavar="PLATFORM=PORT"),
    Answer("shared_client", bool, "--shared-client", "One app client for all platforms.",
           "an app client per platform", question="separate_clients",
           prompt="One app client per platform (each can be revoked alone)?",
           help="Yes: an app client each, revoked alone. No: one client for all.",
           recorded="clients", is_flag=True),
    Answer("public", list, "--public", "Platforms that get a public client (no secret).",
           "every platform not given a secret"),
    Answer("secret", list, "--secret", "Platforms that get a client secret.",
           "the platforms that keep one (ChatGPT, Claude.ai)", question="secret",
           prompt="Which get a client secret? (the others are public clients with PKCE)",
           help="Servers (ChatGPT, Claude.ai) keep a secret; apps on a laptop cannot.",
           recorded="secret"),
    Answer("user_scopes", list, "--user-scope", "Also allow email / profile.", "none",
           question="user_scopes", prompt="Also let clients read",
           help="Lets clients read the user's email or name; your server needs neither.",
           recorded="user_scopes"),
    Answer("gateway_allowed_scopes", bool, "--gateway-allowed-scopes/--no-gateway-allowed-scopes",
           "Require the resource scope at the gateway (default: yes; its challenge then names "
           "the scope clients must ask for).",
           "yes when the gateway is being wired to this pool; else what the gateway has",
           question="gateway_allowed_scopes", prompt="Also require the resource scope at the gateway?",
           help="Refuse tokens without the scope; the 401 then names it (Claude Code).",
           recorded="gateway_allowed_scopes"),
    Answer("gateway_audience", bool, "--gateway-audience/--no-gateway-audience",
           "Require aud = the MCP URL at the gateway (clients must send resource).",
           "what the gateway has", question="gateway_audience",
           prompt="",  # names the chosen platforms that send no resource (rules.audience_question)
           ),
    Answer("first_user", str, "--first-user", "Invite a first user.", "none",
           question="first_user", prompt="Invite a first user (email, empty to skip)",
           help="Cognito emails them a temporary password; they pick their own later.",
           validator=f"{_SPEC}:check_email", metavar="EMAIL"),
    Answer("registration", str, "--registration",
           "static (the default, with or without a terminal): an app client per platform; "
           "dcr: clients register themselves; both. Static stays the default until sign-in "
           "through self-registered clients is verified against real Cognito.",
           "static", question="registration", prompt="How do clients get a client id?",
           help="Default static: every client works. dcr pastes nothing; unverified on AWS.",
           recorded="registration", choices=("static", "dcr", "both")),
    Answer("upgrade_tier", bool, "--upgrade-tier",
           "With --registration dcr|both: upgrade a LITE pool to ESSENTIALS.", "no",
           question="upgrade_tier",
           prompt="Client registration needs ESSENTIALS (billed per monthly active user). "
                  "Upgrade this LITE pool?", is_flag=True),
)

BY_KEY = {a.key: a for a in ANSWERS}
# The keys and kinds a --config file (and the resume file) may hold.
ANSWER_KEYS: dict[str, type] = {a.key: a.kind for a in ANSWERS if a.in_config}
# Questions asked that are not answers of their own.
_OTHER_HELP = {"account": "Everything is made here; No switches the region or the profile."}
HELP: dict[str, str] = {**_OTHER_HELP, **{a.question: a.help for a in ANSWERS if a.question and a.help}}
PROMPT: dict[str, str] = {a.question: a.prompt for a in ANSWERS if a.question and a.prompt}


def flag_for(question: str) -> str:
    """The flag(s) that answer a question without a terminal: "--pool-id or --new-pool"."""
    if question.startswith("port_"):
        return f"--port {question.removeprefix('port_')}=PORT"
    if question == "pool":
        return f"{BY_KEY['pool_id'].option_name} or {BY_KEY['new_pool'].option_name}"
    if question == "mcp_server":
        return f"{BY_KEY['gateway_id'].option_name} or {BY_KEY['mcp_url'].option_name}"
    found = next((a for a in ANSWERS if a.question == question or a.key == question), None)
    return found.option_name if found else "--" + question.replace("_", "-")


def precheck_scalars(answers: dict[str, Any]) -> None:
    """Each given answer that has a declared check meets it (before any AWS call)."""
    for answer in ANSWERS:
        if answer.validator and answers.get(answer.key):
            answer.check(answers[answer.key])


def _kept(field: str) -> str:
    """Where mcpauth.toml keeps a Project field: `[section] key`."""
    if not field:
        return "—"
    from mcpauth_wizard.core.project import _SECTIONS

    if field in ("clients", "ports"):  # tables of their own
        return f"`[{field}]`" + (" (a `shared` entry)" if field == "clients" else "")
    section, key = _SECTIONS[field]
    return f"`[{section}] {key}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def answers_markdown() -> str:
    """The README's table of init's answers (between its `answers` markers)."""
    rows = ["| answer (`--config` key) | flag | asked as | without a terminal, or `--yes` | "
            "kept in `mcpauth.toml` |", "|---|---|---|---|---|"]
    for a in ANSWERS:
        key = f"`{a.key}`" if a.in_config else f"`{a.key}` (flag only)"
        flag = " / ".join(f"`{f}`" for f in a.flags)
        if a.kind is list:
            flag += " (comma-separated)"
        elif a.choices:
            flag = f"`{a.option_name} {'|'.join(a.choices)}`"
        elif a.metavar:
            flag = f"`{a.option_name} {a.metavar}`"
        prompt = a.prompt.replace("PLATFORM", "each platform without a fixed port") if a.prompt else (
            "a question naming the chosen clients" if a.question else "—")
        rows.append(f"| {key} | {flag} | {_cell(prompt)} | {_cell(a.default)} | {_kept(a.recorded)} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # python -m mcpauth_wizard.provision.questions: the README table
    print(answers_markdown(), end="")
