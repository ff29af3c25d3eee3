"""The `mcpauth` command line: parse, pick interactive or not, print, exit codes.

Each command is a few lines that call one layer below. Heavy modules (boto3, rich,
questionary, httpx, authlib) are imported inside the commands so `--help` stays fast.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from mcpauth_wizard import __version__
from mcpauth_wizard.commands.clients_command import register as register_clients_commands
from mcpauth_wizard.commands.monitor_command import register as register_monitor_commands
from mcpauth_wizard.commands.template_commands import register as register_template_commands
from mcpauth_wizard.core.errors import BadInput, McpAuthError
from mcpauth_wizard.core.options import Options, pass_options, pass_options_only  # noqa: F401 - re-exported

_START_HERE = """\b
Where to start:
  mcpauth demo      the whole flow on this machine, no AWS account
                    (needs: pip install 'mcpauth[sandbox]')
  mcpauth init      set up Cognito sign-in for your MCP server (asks, shows a plan, applies)
  mcpauth doctor    check a setup the way an MCP client does, and name what is wrong
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=_START_HERE)
@click.option("--profile", envvar="AWS_PROFILE", help="AWS profile (default: the standard chain).")
@click.option("--region", help="AWS region (default: mcpauth.toml, AWS_REGION, the profile).")
@click.option(
    "--endpoint-url",
    envvar="AWS_ENDPOINT_URL",
    help="Send AWS calls here (e.g. the local sandbox). Honours AWS_ENDPOINT_URL.",
)
@click.option("-v", "--verbose", count=True, help="Show every AWS call and more detail.")
@click.option("-y", "--yes", is_flag=True, help="Answer yes to every confirmation.")
@click.option("--no-input", is_flag=True, help="Never prompt (scripts and CI).")
@click.version_option(__version__, "--version", prog_name="mcpauth")
@click.pass_context
def cli(ctx: click.Context, **options: Any) -> None:
    """Set up and diagnose OAuth sign-in (Amazon Cognito) for remote MCP servers on AWS.

    \b
    Callback URLs of MCP clients:
      mcpauth add-callback chatgpt --url URL   the callback URL ChatGPT shows
      mcpauth add-callback claude-code --port 8765
      mcpauth callbacks                     list them, with the platform of each
    """
    ctx.obj = Options(**options)


_target_options = [
    click.argument("target", metavar="PLATFORM|URL"),
    click.option("--client-id", help="App client (default: the one mcpauth.toml records)."),
    click.option("--pool-id", help="User pool id (default: from mcpauth.toml)."),
    click.option("--port", type=int, help="Loopback port, for platforms whose port you pin."),
    click.option("--url", "exact_url", help="The exact URL the platform shows (e.g. ChatGPT)."),
    click.option("--dry-run", is_flag=True, help="Show the change; make none."),
]


def _with_target_options(func: Any) -> Any:
    for option in reversed(_target_options):
        func = option(func)
    return func


@cli.command("add-callback")
@_with_target_options
@click.option(
    "--enable-code-flow",
    is_flag=True,
    help="Also switch on the authorization code grant if the client lacks it.",
)
@pass_options
def add_callback(opts: Options, target: str, client_id: str | None, pool_id: str | None,
                 port: int | None, exact_url: str | None, dry_run: bool,
                 enable_code_flow: bool) -> None:
    """Register a platform's callback URL(s), or a literal URL, on the app client.

    PLATFORM is one of chatgpt (with --url: the URL ChatGPT shows, since Cognito sends
    no RFC 9207 iss), claude, inspector, claude-code (with --port), vscode, cursor,
    mcp-remote, gemini-cli, doctor. Adding what is already there changes nothing.
    """
    from mcpauth_wizard.commands import callback_commands

    callback_commands.add(opts, target, client_id, pool_id, port, exact_url, dry_run,
                          enable_code_flow)


@cli.command("remove-callback")
@_with_target_options
@pass_options
def remove_callback(opts: Options, target: str, client_id: str | None, pool_id: str | None,
                    port: int | None, exact_url: str | None, dry_run: bool) -> None:
    """Remove a platform's callback URL(s), or a literal URL, from the app client."""
    from mcpauth_wizard.commands import callback_commands

    callback_commands.remove(opts, target, client_id, pool_id, port, exact_url, dry_run)


@cli.command("callbacks")
@click.option("--client-id", help="App client (default: from mcpauth.toml).")
@click.option("--pool-id", help="User pool id (default: from mcpauth.toml).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def callbacks(opts: Options, client_id: str | None, pool_id: str | None, as_json: bool) -> None:
    """List the app client's callback URLs and the platform each belongs to."""
    from mcpauth_wizard.commands import callback_commands

    callback_commands.show(opts, client_id, pool_id, as_json)


def _platform_names() -> list[str]:
    from mcpauth_wizard.mcp.platforms import PLATFORMS

    return list(PLATFORMS)


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for text in values for v in text.split(",") if v.strip()]


def _ports(values: tuple[str, ...]) -> dict[str, int]:
    ports = {}
    for text in values:
        name, _, port = text.partition("=")
        if not port.isdigit():
            raise click.BadParameter(f"{text!r}; accepted: PLATFORM=PORT, e.g. claude-code=8765",
                                     param_hint="--port")
        ports[name.strip()] = int(port)
    return ports


def _answer_options(command: Any) -> Any:
    """init's answer flags, from the one declaration of its answers (provision/questions.py)."""
    from mcpauth_wizard.provision.questions import ANSWERS

    for answer in reversed(ANSWERS):
        extra: dict[str, Any] = {"help": answer.flag_help}
        if answer.kind in (list, dict):
            extra["multiple"] = True
        elif answer.kind is bool:
            extra["default"] = None
            extra["is_flag"] = answer.is_flag or None
        if answer.choices:
            extra["type"] = click.Choice(answer.choices, case_sensitive=answer.case_sensitive)
        if answer.metavar:
            extra["metavar"] = answer.metavar
        command = click.option(answer.flag, answer.key,
                               **{k: v for k, v in extra.items() if v is not None or k == "default"})(command)
    return command


@cli.command("init")
@click.option("--config", "config", type=click.Path(dir_okay=False), help="Answers from a TOML file.")
@_answer_options
@click.option("--allow-breaking", is_flag=True,
              help="With --yes: also apply changes that take access away from someone.")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan and results as JSON.")
@click.option("--save-answers", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also write the answers to FILE (for --config next time).")
@click.option("--reveal/--no-reveal", default=None,
              help="Print new client secrets in the panels (default: only in a terminal, "
                   "never with --json, so that no log keeps them).")
@pass_options
def init(opts: Options, config: str | None, dry_run: bool, as_json: bool,
         save_answers: str | None, allow_breaking: bool, reveal: bool | None, **flags: Any) -> None:
    """Set up Cognito sign-in for an MCP server: pool, domain, resource server, clients, gateway.

    Asks what it does not know (flags and --config answer the questions), shows a plan
    before changing anything, and is safe to re-run: a second run changes nothing.
    """
    from mcpauth_wizard.commands.init_command import run_init

    opts.allow_breaking = allow_breaking
    answers: dict[str, Any] = {}
    for key, value in flags.items():
        if isinstance(value, tuple):
            if value:
                answers[key] = _ports(value) if key == "ports" else _split(value)
                if not answers[key] and key == "platforms":  # --platform "" names none
                    raise click.BadParameter("no platform named; accepted: one or more of "
                                             f"{', '.join(p for p in _platform_names() if p != 'doctor')}",
                                             param_hint="--platform")
        elif value is not None:
            answers[key] = value
    run_init(opts, answers, config, dry_run, as_json, save_answers=save_answers, reveal=reveal)


@cli.command("show")
@click.option("--reveal", is_flag=True, help="Print client secrets instead of masking them.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--write", metavar="DIR", type=click.Path(file_okay=False),
              help="Also write each client's config files (mcp.json, settings.json, …) under DIR.")
@pass_options
def show(opts: Options, reveal: bool, as_json: bool, write: str | None) -> None:
    """Print what goes where in each MCP client for the setup in mcpauth.toml.

    ChatGPT and Claude.ai: the settings path and each field; Claude Code: the `claude mcp add`
    line; Cursor, VS Code, Gemini CLI: their config entry; mcp-remote: its command.
    """
    from mcpauth_wizard.commands.show_command import run_show

    run_show(opts, reveal, as_json, write)


@cli.command("platforms")
@click.option("--markdown", is_flag=True, help="The README's client tables.")
@click.option("--json", "as_json", is_flag=True, help="Every fact with its source, as JSON.")
def platforms_command(markdown: bool, as_json: bool) -> None:
    """The MCP clients mcpauth knows: callback URLs, registration, behaviour, caveats."""
    from mcpauth_wizard.commands.callback_commands import list_platforms

    list_platforms(markdown=markdown, as_json=as_json)


register_template_commands(cli)
register_clients_commands(cli)
register_monitor_commands(cli)


@cli.command("doctor")
@click.argument("url", required=False)
@click.option("--platform", "platforms", help="chatgpt,claude,… or all (default: the recorded ones).")
@click.option("--client-id", help="App client to probe with (default: per platform, from mcpauth.toml).")
@click.option("--client-secret-env", metavar="VAR", help="Read the client secret from this variable.")
@click.option("--pool-id", help="User pool id (default: from mcpauth.toml).")
@click.option("--gateway-id", help="AgentCore Gateway id (default: from mcpauth.toml).")
@click.option("--issuer", metavar="URL",
              help="Without a pool: the authorization server the client secret belongs to.")
@click.option("--login", is_flag=True, help="Also sign in for real (browser + loopback listener).")
@click.option("--login-as", "login_platform", metavar="PLATFORM",
              help="Sign in with this platform's client (implies --login).")
@click.option("--no-browser", is_flag=True, help="With --login: print the URL, open no browser.")
@click.option("--call-tool", metavar="NAME",
              help="With --login: also call this tool (arguments {}) with the token; it may act.")
@click.option("--client-metadata-url", metavar="URL",
              help="With --login: the doctor's client ID metadata document (CIMD), hosted by you.")
@click.option("--token-env", metavar="VAR", help="Validate the access token in this variable.")
@click.option("--step", is_flag=True, help="Pause before each step and show what it will send.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit"], case_sensitive=False),
              help="Report format: text (the default), json (the same as --json), sarif (code "
                   "scanning), junit (CI test reports).")
@click.option("--output", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write the report, in --format, to FILE; the terminal still shows the text view.")
@click.option("--trace", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also write the run's exchanges as FILE.md (a Mermaid sequence diagram) and "
                   "FILE.html (a page that needs no network), redacted.")
@click.option("--record", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also write the run (HTTP exchanges, AWS calls, the setup AWS described) as "
                   "redacted JSON, for `mcpauth sandbox check-trace`.")
@click.option("--audit", is_flag=True,
              help="Also send the MCP server forged tokens it must refuse, and compare what the "
                   "authorization server advertises with what it enforces (creates nothing).")
@click.option("--fix", is_flag=True, help="Offer the changes that fix what was found, then re-check.")
@click.option("--allow-breaking", is_flag=True,
              help="With --fix --yes: also apply fixes that take access away from someone.")
@click.option("--no-state-probe", is_flag=True,
              help="An OAuth proxy: do not start authorizations to check that its state is shared.")
@click.option("--state-probes", type=click.IntRange(1, 64), default=8, show_default=True,
              help="An OAuth proxy: how many authorizations the state probe starts at once.")
@click.option("--probe-registration", is_flag=True,
              help="Register a client as an MCP client would, check its login page, delete it.")
@click.option("--all", "all_gateways", is_flag=True,
              help="Check every AgentCore gateway with a JWT authorizer in the region(s).")
@click.option("--region", "regions", metavar="REGION", multiple=True,
              help="AWS region; with --all, a region to list gateways in (repeat it; default: "
                   "the configured one).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="With --all: how many gateways are checked at once.")
@pass_options(own=("--region",))
def doctor(opts: Options, url: str | None, allow_breaking: bool, all_gateways: bool,
           regions: tuple[str, ...], concurrency: int, **flags: Any) -> None:
    """Walk the MCP OAuth flow like a client and name the root cause of a failure.

    Without arguments it checks the setup in mcpauth.toml; with --all, every gateway of the
    region(s). Exit code 0: no errors, 1: errors found, 2: bad arguments.
    """
    if all_gateways:
        from mcpauth_wizard.commands.doctor_command import output_format
        from mcpauth_wizard.commands.fleet_command import run_fleet

        fmt = output_format(flags.pop("as_json"), flags.pop("fmt"))
        run_fleet(opts, regions, concurrency, fmt=fmt, output=flags.pop("output"),
                  given={"url": url, **flags})
        return
    if len(regions) > 1:
        raise BadInput(f"--region {' --region '.join(regions)}: one doctor run checks one region; "
                       "accepted: one --region, or several with --all")
    if regions:  # the global --region, given after the command name
        opts.region = regions[0]
    from mcpauth_wizard.commands.doctor_command import run_doctor

    opts.allow_breaking = allow_breaking
    run_doctor(opts, url=url, **flags)


@cli.command("explain")
@click.argument("code", required=False)
@click.option("--list", "list_codes", is_flag=True,
              help="Every finding code, one per line: code, severity, meaning.")
def explain(code: str | None, list_codes: bool) -> None:
    """What a doctor finding CODE means, why it happens, how to fix it, and sources.

    CODE may be typed in any case. Exit code 2: a code the doctor does not have.
    """
    from mcpauth_wizard.commands.explain_command import run_explain

    run_explain(code, list_codes=list_codes)


@cli.command("demo")
@click.option("--proxy", is_flag=True,
              help="FastMCP's OAuth proxy on Lambda instead: sign-ins lost between instances, "
                   "named by the doctor, fixed by the DynamoDB store.")
@pass_options_only  # no AWS options: the demo runs against its own sandbox
def demo(opts: Options, proxy: bool) -> None:
    """Run the whole flow on this machine (no AWS account): set up, sign in, break, repair."""
    if proxy:
        from mcpauth_wizard.commands.demo import run_proxy_demo

        run_proxy_demo(opts)
        return
    from mcpauth_wizard.commands.demo import run_demo

    run_demo(opts)


@cli.group("sandbox")
def sandbox() -> None:
    """A local Cognito + AgentCore look-alike on 127.0.0.1 (needs the `sandbox` extra)."""


@sandbox.command("check-trace")
@click.argument("records", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the divergences as JSON.")
def sandbox_check_trace(records: tuple[str, ...], as_json: bool) -> None:
    """Replay `doctor --record` FILEs, each against a sandbox shaped like it; list every
    divergence.

    Exit code 0: the sandbox answered as recorded; 1: divergences; 2: not a record.
    """
    from mcpauth_wizard.commands.sandbox_commands import check_trace

    check_trace(records, as_json)


@sandbox.command("sweep-live")
@click.option("--older-than", "older_than", default=60, show_default=True, metavar="MINUTES",
              type=click.IntRange(min=0), help="Only what was created more than MINUTES ago.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@pass_options  # --yes, --no-input, --region, --profile, --endpoint-url after the command too
def sandbox_sweep_live(opts: Options, older_than: int, dry_run: bool) -> None:
    """Delete the user pools and AgentCore gateways the live contract suite left in this account
    and region: only those tagged mcpauth-live, only those older than --older-than.

    Asks before deleting, unless --yes. Exit code 0: nothing left; 1: something could not be
    deleted, or the answer was no.
    """
    from mcpauth_wizard.sandbox.sweep import run_sweep_live

    run_sweep_live(opts, older_than_minutes=older_than, dry_run=dry_run)


@sandbox.command("up")
@click.option("--port", default=0, type=click.IntRange(0, 65535),
              help="AWS endpoint port (default: a free one).")
@click.option("--web-port", default=0, type=click.IntRange(0, 65535),
              help="Login pages and gateways port (default: a free one).")
def sandbox_up(port: int, web_port: int) -> None:
    """Start the sandbox in the foreground; Ctrl-C stops it."""
    from mcpauth_wizard.commands.demo import sandbox_up as run

    run(port, web_port)


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the CLI and turn every expected failure into one line + exit code."""
    try:
        code = cli.main(args=argv, prog_name="mcpauth", standalone_mode=False)
    except click.exceptions.Abort as exc:  # click turns Ctrl-C and end of input into Abort
        if isinstance(exc.__cause__, KeyboardInterrupt | EOFError):
            _cancelled()
        sys.stderr.write("Aborted.\n")
        sys.exit(1)
    except click.UsageError as exc:  # one line, like every other bad input
        from mcpauth_wizard.core.console import error_line

        where = exc.ctx.command_path if exc.ctx is not None else "mcpauth"
        error_line(f"{exc.format_message()} (`{where} --help` lists what is accepted)")
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except McpAuthError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        _cancelled()
    except Exception as exc:
        from mcpauth_wizard.aws.session import translate_aws_error

        translated = translate_aws_error(exc)
        if translated is None:
            raise
        _fail(translated)
    sys.exit(code if isinstance(code, int) else 0)


def _cancelled() -> NoReturn:
    """Ctrl-C: one line saying whether anything was changed in AWS, exit 130."""
    session = sys.modules.get("mcpauth_wizard.aws.session")  # not loaded: no AWS call was made
    sent = list(dict.fromkeys(session.MUTATING_CALLS_SENT)) if session else []
    if sent:
        sys.stderr.write(f"Cancelled after changes in AWS ({', '.join(sent)}); "
                         "running the same command again resumes.\n")
    else:
        sys.stderr.write("Cancelled — nothing was changed in AWS.\n")
    sys.exit(130)


def _fail(exc: McpAuthError) -> NoReturn:
    from mcpauth_wizard.core.console import error_line

    error_line(str(exc))
    sys.exit(exc.exit_code)
