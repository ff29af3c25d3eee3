"""The wizard as a person meets it: prompts in a real terminal, declining, Ctrl-C, --help."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pexpect
from rich.console import Console

from mcpauth_wizard.core import console
from mcpauth_wizard.provision.answers import command_line, load_config, save_answers
from tests.terminal import spawn_mcpauth


def _ends_having_changed_nothing(child: pexpect.spawn, aws, status: int) -> None:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == status
    assert aws.log.mutating() == []


def _iam_gateway(aws) -> dict:
    """A gateway that trusts AWS IAM: wiring it to Cognito takes access away (breaking)."""
    import boto3

    gateway = boto3.client("bedrock-agentcore-control", endpoint_url=aws.url, region_name="us-east-1") \
        .create_gateway(name="tools", roleArn="arn:aws:iam::123456789012:role/r", protocolType="MCP",
                        authorizerType="AWS_IAM")
    aws.log.clear()
    return gateway


def _answer_until_the_url(child: pexpect.spawn) -> None:
    """Every question up to the MCP server with its default; then a URL server."""
    for question in ["Continue with this account and region", "User pool", "Name of the new user pool",
                     "Tier", "Only administrators create users", "Offer passkeys",
                     "Login domain prefix", "Use managed login", "MCP server"]:
        child.expect_exact(question)
        child.send("\r")
    child.expect_exact("MCP server URL")
    child.sendline("https://mcp.example.com/mcp")


def _claude_code_until_apply(tmp_path) -> pexpect.spawn:
    """A static Claude Code setup, every question answered with Enter, up to "Apply?"."""
    # static: Claude Code would register itself (CIMD, then DCR, then an id), and this walks
    # the questions of a pre-registered client
    child = spawn_mcpauth(tmp_path, "init", "--platform", "claude-code", "--port", "claude-code=8765",
                          "--registration", "static")
    _answer_until_the_url(child)
    for question in ["Resource scopes", "Which get a client secret",
                     "Also let clients read", "Invite a first user"]:
        child.expect_exact(question)
        child.send("\r")
    child.expect_exact("Apply ")
    return child


def _breaking_until_apply(aws, tmp_path, *, columns: int = 160) -> tuple[pexpect.spawn, dict]:
    """An IAM gateway wired to a new pool (breaking), every question answered, up to "Apply?"."""
    gateway = _iam_gateway(aws)
    child = spawn_mcpauth(tmp_path, "init", "--new-pool", "team", "--domain", "team-login", "--gateway-id",
                          gateway["gatewayId"], "--platform", "claude-code", "--port", "claude-code=8765",
                          "--registration", "static", "--secret", "claude-code", "--first-user", "",
                          "--no-gateway-allowed-scopes", columns=columns)
    for question in ["Continue with this account and region", "Tier", "Only administrators",
                     "Offer passkeys", "Use managed login",
                     "Resource scopes", "Also let clients read", "Refuse tokens not made"]:
        child.expect_exact(question)
        child.send("\r")
    child.expect_exact("loses access: every caller signing with AWS IAM")
    child.expect_exact("Apply ")
    return child, gateway


def _answer_until_platforms(child: pexpect.spawn) -> None:
    _answer_until_the_url(child)
    child.expect_exact("Resource scopes")
    child.send("\r")
    child.expect_exact("Which MCP clients will sign in")


def test_choosing_no_client_is_refused_in_the_prompt_not_a_crash(aws, tmp_path) -> None:
    child = spawn_mcpauth(tmp_path, "init", "--dry-run")
    _answer_until_platforms(child)
    child.send("a")  # toggle all: every client chosen
    child.send("a")  # toggle again: none
    child.send("\r")
    child.expect_exact("pick at least one")
    child.expect_exact("Which MCP clients will sign in")  # asked again, with the defaults
    child.send("\r")
    child.expect_exact("How do clients get a client id")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    transcript = child.before or ""
    assert "Traceback" not in transcript and "AttributeError" not in transcript, transcript
    assert child.exitstatus == 130


def test_ctrl_c_at_a_question_says_nothing_changed_and_exits_130(aws, tmp_path) -> None:
    child = spawn_mcpauth(tmp_path, "init")
    child.expect_exact("Continue with this account and region")
    child.send("\r")
    child.expect_exact("User pool")
    child.sendcontrol("c")
    child.expect_exact("Cancelled — nothing was changed in AWS")
    _ends_having_changed_nothing(child, aws, 130)


def test_declining_the_plan_keeps_the_answers_as_a_command_and_a_file(aws, tmp_path) -> None:
    child = _claude_code_until_apply(tmp_path)
    child.expect_exact("change")
    child.send("n\r")  # a person types n, then Enter
    child.expect_exact("Nothing changed in AWS")
    child.expect(r"(mcpauth init [^\r\n]+)")
    printed = child.match.group(1).strip()
    child.expect_exact("Save these answers to a file")
    child.send("y\r")
    child.expect_exact("File")
    child.send("\r")
    _ends_having_changed_nothing(child, aws, 1)

    saved = load_config(str(tmp_path / "mcpauth-answers.toml"))
    assert saved["platforms"] == ["claude-code"] and saved["ports"] == {"claude-code": 8765}
    assert saved["mcp_url"] == "https://mcp.example.com/mcp" and saved["new_pool"] == "mcp-users"

    # Both ways give the same plan again without a single question.
    env = {**os.environ, "CI": "true"}
    words = shlex.split(printed)
    assert words[:2] == ["mcpauth", "init"]
    from_command = subprocess.run([sys.executable, "-m", "mcpauth_wizard", *words[1:], "--dry-run"],
                                  cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    from_file = subprocess.run([sys.executable, "-m", "mcpauth_wizard", "init", "--config",
                                "mcpauth-answers.toml", "--dry-run"],
                               cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert from_command.returncode == 0, from_command.stderr
    assert from_file.returncode == 0, from_file.stderr
    assert "mcpauth-claude-code" in from_command.stdout and "5 to create" in from_command.stdout
    assert from_command.stdout == from_file.stdout
    assert aws.log.mutating() == []


def test_command_line_and_answers_file_round_trip(tmp_path) -> None:
    answers = {"pool_id": "us-east-1_AbC123", "admin_only": False, "passkeys": True,
               "mcp_url": "https://x.example.com/mcp", "scopes": ["invoke", "read"],
               "platforms": ["chatgpt", "claude-code"], "ports": {"claude-code": 8765},
               "first_user": "o'brien@example.com", "shared_client": False}
    words = shlex.split(command_line(answers))
    assert words[:2] == ["mcpauth", "init"]
    assert "--self-sign-up" in words and "--passkeys" in words and "--shared-client" not in words
    assert words[words.index("--port") + 1] == "claude-code=8765"
    assert words[words.index("--first-user") + 1] == "o'brien@example.com"
    assert words[words.index("--scope") + 1] == "invoke,read"
    path = save_answers(str(tmp_path / "a.toml"), answers)
    assert load_config(str(path)) == answers


def test_the_spinner_and_the_progress_lines_share_one_console(aws, monkeypatch) -> None:
    from mcpauth_wizard.cli import Options
    from mcpauth_wizard.commands.init_command import apply_with_progress
    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.provision import setup
    from mcpauth_wizard.provision.spec import NewPool, Spec, client_specs

    out = Console(record=True, force_terminal=True, width=80)
    err = Console(record=True, force_terminal=True, width=80, stderr=True)
    monkeypatch.setattr(console, "out", out)
    monkeypatch.setattr(console, "err", err)
    opts = Options(profile=None, region=None, endpoint_url=None, verbose=0, yes=True, no_input=True)
    aws_ctx = opts.aws()
    spec = Spec(mcp_url="https://mcp.example.com/mcp", new_pool=NewPool("ux"), domain_prefix="ux-login",
                clients=client_specs(["inspector"], shared=False, public=set(), secret=set(), ports={}))
    plan = setup.build_plan(aws_ctx, spec, Project())
    apply_with_progress(opts, aws_ctx, plan, Project(), quiet=False)
    assert "✓ create user pool ux" in out.export_text()
    assert err.export_text() == ""  # no spinner text on the other stream


def test_help_ends_with_where_to_start_and_demo_offers_no_aws_options() -> None:
    run = subprocess.run([sys.executable, "-m", "mcpauth_wizard", "--help"], capture_output=True,
                         text=True, timeout=30)
    tail = run.stdout.strip().splitlines()[-5:]
    assert any("mcpauth demo" in line for line in tail)
    assert any("mcpauth init" in line for line in tail)
    assert any("mcpauth doctor" in line for line in tail)
    demo = subprocess.run([sys.executable, "-m", "mcpauth_wizard", "demo", "--help"],
                          capture_output=True, text=True, timeout=30)
    assert demo.returncode == 0
    for option in ("--endpoint-url", "--profile", "--region"):
        assert option not in demo.stdout


def test_the_plan_reads_like_terraform_at_80_columns(aws, cognito) -> None:
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.provision import setup
    from mcpauth_wizard.provision.spec import NewPool, Spec, client_specs

    long_url = "https://a-rather-long-host-name-for-an-mcp-server.example.com/tenants/acme/mcp"
    spec = Spec(mcp_url=long_url, new_pool=NewPool("ux"), domain_prefix="ux-login",
                clients=client_specs(["chatgpt", "inspector"], shared=False, public=set(),
                                     secret=set(), ports={}))
    plan = setup.build_plan(AwsContext(endpoint_url=aws.url), spec, Project())
    recorder = Console(record=True, width=80, highlight=False, soft_wrap=True)
    recorder.print(console.plan_view(plan))
    text = recorder.export_text()
    assert "∅" not in text and "→ True" not in text and "…" not in text
    assert f"+ resource server {long_url}" in text  # whole, on one line
    chatgpt_urls = ", ".join(spec.clients[0].callback_urls)
    assert f"+ app client mcpauth-chatgpt (chatgpt)\n    secret · callbacks: {chatgpt_urls}" in text
    assert "+ app client mcpauth-inspector (inspector)" in text
    assert "public (PKCE) · callbacks: http://localhost:6274/oauth/callback" in text
    assert "shows no page" not in text  # no double negatives
    assert text.rstrip().endswith("unchanged.")

    verbose = Console(record=True, width=80, highlight=False, soft_wrap=True)
    verbose.print(console.plan_view(plan, verbose=True))
    assert "AllowedOAuthFlows = code" in verbose.export_text()

    # An update shows the items added to a list, not two whole lists.
    pool = cognito.create_user_pool(PoolName="ux2")["UserPool"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="mcpauth-inspector", AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], SupportedIdentityProviders=["COGNITO"],
        CallbackURLs=["http://localhost:6274/oauth/callback"])["UserPoolClient"]["ClientId"]
    assert client_id
    spec2 = Spec(mcp_url=long_url, pool_id=pool["Id"], domain_prefix="ux2-login",
                 clients=client_specs(["inspector"], shared=False, public=set(), secret=set(), ports={}))
    plan2 = setup.build_plan(AwsContext(endpoint_url=aws.url), spec2, Project())
    rec2 = Console(record=True, width=80, highlight=False, soft_wrap=True)
    rec2.print(console.plan_view(plan2))
    updated = rec2.export_text()
    assert "~ app client mcpauth-inspector" in updated
    assert "+ CallbackURLs: http://localhost:6274/oauth/callback/debug" in updated
    assert f"+ AllowedOAuthScopes: {long_url}/invoke" in updated
    assert "1 to update" in updated

    # A field set for the first time in an update reads as what it becomes, not "(none) →".
    from mcpauth_wizard.provision.setup import FieldChange

    lines = console._change_lines(FieldChange("DcrConfiguration.EnableStatus", None, "Enabled"))
    assert lines == ["[green]+ DcrConfiguration.EnableStatus: Enabled[/]"]


def test_counts_are_singular_and_plural() -> None:
    assert console.count(1, "change") == "1 change"
    assert console.count(3, "change") == "3 changes"


def test_paste_panels_print_every_value_whole_at_80_columns() -> None:
    from mcpauth_wizard.provision.handoff import Handoff, HandoffField

    url = "https://a-rather-long-host-name-for-an-mcp-server.example.com/tenants/acme/mcp"
    handoff = Handoff("inspector", "MCP Inspector", "abc", (
        HandoffField("URL", url), HandoffField("OAuth 2.0 Flow › Scope", f"openid {url}/invoke")),
        where="Inspector › Authentication")
    recorder = Console(record=True, width=80, highlight=False, soft_wrap=True)
    recorder.print(console.handoff_panel(handoff))
    lines = recorder.export_text().splitlines()
    assert lines[0].startswith("Paste into MCP Inspector ──")
    assert f"  {url}" in lines and f"  openid {url}/invoke" in lines  # whole, on their own lines
    assert not any(line.rstrip().endswith("│") for line in lines)  # no box border to fold a value
    assert "Where: Inspector › Authentication" in lines


def test_every_help_line_fits_80_columns_under_its_question() -> None:
    from mcpauth_wizard.provision.prompts import HELP

    assert all(len("  " + line) <= 78 for line in HELP.values()), [h for h in HELP.values() if len(h) > 76]


def test_each_question_has_a_line_of_help_under_it_at_80_columns(aws, tmp_path) -> None:
    """A person who knows AWS but not OAuth: every question explains itself; the account line
    says who and where (and that this endpoint is not AWS); the domain question shows its host."""
    from mcpauth_wizard.provision.prompts import HELP

    _iam_gateway(aws)
    child = spawn_mcpauth(tmp_path, "init", "--dry-run", columns=80)
    child.expect_exact("as arn:aws:sts::123456789012:")
    child.expect_exact(f"endpoint {aws.url}: not AWS")
    steps = [("Continue with this account and region", "account", "\r"),
             ("User pool", "pool", "\r"), ("Name of the new user pool", "new_pool", "\r"),
             ("Tier", "tier", "\r"), ("Only administrators create users", "admin_only", "\r"),
             ("Offer passkeys", "passkeys", "\r"),
             ("Login domain prefix",
              "Creates on AWS https://mcp-users-login.auth.us-east-1.amazoncognito.com", "\r"),
             ("Use managed login", "managed_login", "\r"), ("MCP server", "mcp_server", "\r"),
             ("Resource scopes", "scopes", "\r"), ("Which MCP clients will sign in", "platforms", "\r"),
             ("How do clients get a client id", "registration", "\r"),  # static: the default
             ("One app client per platform", "separate_clients", "\r"),
             ("Which get a client secret", "secret", "\r"), ("Also let clients read", "user_scopes", "\r"),
             ("Also require the resource scope at the gateway", "gateway_allowed_scopes", "\r"),
             ("Refuse tokens not made for this MCP URL?",
              "Locked out: claude", "\r"),
             ("Invite a first user", "first_user", "\r")]
    for question, help_key, keys in steps:
        child.expect_exact(question)
        child.expect_exact(HELP.get(help_key, help_key))  # the line under the question
        child.send(keys)
        if question == "Login domain prefix":  # the answer, as the host it makes
            child.expect_exact("Login page on AWS: https://mcp-users-login.auth.us-east-1.amazoncognito.com")
    child.expect_exact("Dry run: nothing was changed.")
    _ends_having_changed_nothing(child, aws, 0)


def test_declining_a_breaking_plan_says_nothing_changed_too(aws, tmp_path) -> None:
    child, _ = _breaking_until_apply(aws, tmp_path)
    child.send("\r")  # a breaking plan's default answer is No
    child.expect_exact("Nothing changed in AWS")
    child.expect_exact("mcpauth init ")
    child.expect_exact("Save these answers to a file")
    child.send("n\r")
    _ends_having_changed_nothing(child, aws, 1)


def test_a_server_name_comes_from_a_host_name_never_from_an_address() -> None:
    from mcpauth_wizard.provision.handoff import ClientConfig

    def name(url: str) -> str:
        return ClientConfig("claude", url, "id", None, False, (), None).name

    assert name("https://tools.example.com/mcp") == "tools"
    assert name("http://127.0.0.1:8080/gateways/abc/mcp") == "mcp"  # not "127"
    assert name("http://[::1]:8080/mcp") == "mcp" and name("http://localhost:3000/mcp") == "mcp"


def test_panels_of_clients_that_register_themselves_at_80_columns() -> None:
    from mcpauth_wizard.provision.handoff import registration_handoffs

    url = "https://a-rather-long-host-name-for-an-mcp-server.example.com/tenants/acme/mcp"
    recorder = Console(record=True, width=80, highlight=False, soft_wrap=True)
    for handoff in registration_handoffs(url, ("chatgpt", "claude-code"), scopes=("openid", f"{url}/invoke")):
        recorder.print(console.handoff_panel(handoff))
    lines = recorder.export_text().splitlines()
    assert lines[0].startswith("Paste into ChatGPT ──") and lines[1].startswith("Where: ChatGPT › Settings")
    assert ["MCP Server URL", f"  {url}", "Authentication", "  OAuth"] == lines[lines.index("MCP Server URL"):][:4]
    assert "OAuth Client ID" not in lines  # nothing to paste but the URL
    assert f"  claude mcp add --transport http a-rather-long-host-name-for-an-mcp-server {url}" in lines
    assert any(line.startswith("Note: it registers itself") for line in lines)


def test_a_bad_answer_is_refused_at_its_question_not_after_all_of_them(aws, tmp_path) -> None:
    """A typo in the scopes or the first user's email is named at the prompt and asked again;
    it used to end the run after every question (answers lost, exit 2)."""
    child = spawn_mcpauth(tmp_path, "init", "--dry-run", "--new-pool", "team", "--tier", "ESSENTIALS",
                   "--admin-only", "--no-passkeys", "--domain", "team-login", "--mcp-url",
                   "https://mcp.example.com/mcp", "--platform", "claude-code", "--port", "claude-code=8765",
                   "--registration", "static", "--secret", "claude-code", "--user-scope", "email")
    for question in ["Continue with this account and region", "Use managed login"]:
        child.expect_exact(question)
        child.send("\r")
    child.expect_exact("Resource scopes")
    child.sendcontrol("u")  # clear the default
    child.send("read/write\r")
    child.expect_exact("accepted: printable ASCII without")  # the validation line under the prompt
    child.sendcontrol("u")
    child.send("invoke\r")
    child.expect_exact("Invite a first user")
    child.send("ana@\r")
    child.expect_exact("accepted: name@example.com")
    child.sendcontrol("u")
    child.send("ana@example.com\r")
    child.expect(r"user(\x1b\[[0-9;]*m)* ana@example\.com")  # in the plan (colours between)
    child.expect_exact("Dry run: nothing was changed.")
    _ends_having_changed_nothing(child, aws, 0)


def test_y_then_enter_at_apply_then_the_gateway_name_applies(aws, tmp_path) -> None:
    """The habit: `y` and Enter at "Apply?". The Enter stays with that question; an empty
    answer at the typed name asks again; a wrong one says so and asks again; the name applies."""
    child, gateway = _breaking_until_apply(aws, tmp_path, columns=80)
    child.send("y\r")
    child.expect_exact("Type the gateway name (tools)")
    child.send("\r")  # a stray Enter is not a No
    child.expect_exact("Type the gateway name (tools)")
    child.sendline("tool")
    child.expect_exact("'tool' is not 'tools'; type the name exactly (2 more tries")
    child.expect_exact("Type the gateway name (tools)")
    child.sendline("tools")
    child.expect_exact("Saved ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    import boto3

    after = boto3.client("bedrock-agentcore-control", endpoint_url=aws.url, region_name="us-east-1") \
        .get_gateway(gatewayIdentifier=gateway["gatewayId"])
    assert after["authorizerType"] == "CUSTOM_JWT"
    assert not (tmp_path / ".mcpauth-resume.toml").exists()  # applied: nothing left to resume


def test_three_wrong_names_change_nothing_and_keep_the_answers(aws, tmp_path) -> None:
    child, gateway = _breaking_until_apply(aws, tmp_path)
    child.send("y\r")
    for wrong in ("a", "b", "c"):
        child.expect_exact("Type the gateway name (tools)")
        child.sendline(wrong)
    child.expect_exact("Nothing changed: the name did not match three times.")
    child.expect_exact("Your answers are kept in .mcpauth-resume.toml")
    child.expect_exact("Save these answers to a file")
    child.send("\r")
    _ends_having_changed_nothing(child, aws, 1)
    kept = load_config(str(tmp_path / ".mcpauth-resume.toml"))
    assert kept["gateway_id"] == gateway["gatewayId"] and kept["platforms"] == ["claude-code"]


def test_a_declined_run_is_offered_back_by_the_next_init(aws, tmp_path) -> None:
    child = _claude_code_until_apply(tmp_path)
    child.send("n\r")
    child.expect_exact("Your answers are kept in .mcpauth-resume.toml")
    child.expect_exact("Save these answers to a file")
    child.send("\r")  # the default: No (the answers are kept all the same)
    _ends_having_changed_nothing(child, aws, 1)

    again = spawn_mcpauth(tmp_path, "init", "--dry-run")  # no flags at all this time
    again.expect_exact("Resume with the answers of the `mcpauth init` that stopped on")
    again.send("\r")  # default: yes
    again.expect_exact("Continue with this account and region")
    again.send("\r")
    again.expect_exact("Dry run: nothing was changed.")
    shown = again.before
    _ends_having_changed_nothing(again, aws, 0)
    assert "mcpauth-claude-code" in shown and "https://mcp.example.com/mcp" in shown


def test_ctrl_c_midway_keeps_the_answers_given_so_far(aws, tmp_path) -> None:
    child = spawn_mcpauth(tmp_path, "init")
    _answer_until_the_url(child)
    child.expect_exact("Resource scopes")
    child.sendcontrol("c")
    child.expect_exact("Your answers are kept in .mcpauth-resume.toml")
    child.expect_exact("Cancelled — nothing was changed in AWS")
    _ends_having_changed_nothing(child, aws, 130)
    kept = load_config(str(tmp_path / ".mcpauth-resume.toml"))
    assert kept["mcp_url"] == "https://mcp.example.com/mcp" and kept["new_pool"] == "mcp-users"

    declined = spawn_mcpauth(tmp_path, "init", "--dry-run")
    declined.expect_exact("Resume with the answers")
    declined.send("n\r")  # start afresh: the kept answers are dropped
    declined.expect_exact("Continue with this account and region")
    declined.sendcontrol("c")
    declined.expect(pexpect.EOF)
    declined.close()
    assert not (tmp_path / ".mcpauth-resume.toml").exists()


def test_the_audience_question_says_what_is_checked_who_is_locked_out_and_the_default() -> None:
    from mcpauth_wizard.provision.rules import audience_question

    question, detail = audience_question(["chatgpt", "claude", "inspector"])
    assert "aud" not in question  # plain words first; the term after its explanation
    lines = detail.splitlines()
    assert lines[0] == "The gateway checks that a token names this URL as its audience (aud)."
    assert lines[1:] == ["Clients that ask for such tokens: chatgpt, inspector", "Locked out: claude",
                         "Default No: the gateway's audience check stays as it is."]
    assert all(len("  " + line) <= 78 for line in lines)
