"""`mcpauth demo` and `mcpauth sandbox up`: the whole flow on this machine, no AWS account."""

from __future__ import annotations

import shlex
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpauth_wizard.core import console

DOCTOR_PORTS = (8976, 8977, 8978, 8979)  # registered for the doctor's sign-in

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options
    from mcpauth_wizard.sandbox.server import Sandbox, Seed

# Top-level modules of the `sandbox` extra (pyproject.toml) that the sandbox imports.
SANDBOX_MODULES = ("moto", "flask", "werkzeug", "fastmcp", "uvicorn", "starlette")


def require_sandbox_extra(command: str) -> None:
    """One line naming what to install when the `sandbox` extra is not installed."""
    from importlib.util import find_spec

    from mcpauth_wizard.core.errors import BadInput

    def missing(name: str) -> bool:
        try:
            return find_spec(name) is None
        except (ImportError, ValueError):  # a broken or half-removed install counts as missing
            return True

    absent = [name for name in SANDBOX_MODULES if missing(name)]
    if absent:
        raise BadInput(f"`mcpauth {command}` needs the sandbox extra (missing: {', '.join(absent)}); "
                       "install it: pip install 'mcpauth[sandbox]'")


def sandbox_up(port: int, web_port: int) -> None:
    """Run the sandbox in the foreground until Ctrl-C (or SIGTERM); either stops it cleanly."""
    import signal

    require_sandbox_extra("sandbox up")
    from mcpauth_wizard.sandbox.server import Sandbox

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # A shell starts a background job (`mcpauth sandbox up &`) with SIGINT ignored: listen anyway.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)

    sandbox = Sandbox(port=port, web_port=web_port).start()
    try:
        seed = sandbox.seed()
        console.out.print(f"""[bold]mcpauth sandbox[/] — Cognito + AgentCore look-alike on 127.0.0.1

  AWS endpoint       {sandbox.endpoint_url}
  login + gateways   {sandbox.web_url}
  user pool          {seed.pool_id} (sandbox-users)
  gateway            {seed.gateway_id} (sandbox-gateway; AWS IAM auth for now: init asks you
                     to type its name before it switches the gateway to Cognito tokens)
  demo user          {seed.username} / {seed.password}

In another shell:
  export {' '.join(f"{k}={shlex.quote(v)}" for k, v in sandbox.aws_env().items())}
  mcpauth init --pool-id {seed.pool_id} --gateway-id {seed.gateway_id} --domain sandbox-login --platform chatgpt,claude,inspector
then sign in as the demo user with what the panels show; `mcpauth doctor` checks it all.

Ctrl-C stops everything.""")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.out.print("stopping the sandbox…")
    finally:
        sandbox.stop()


class _Demo:
    def __init__(self, opts: Options, sandbox: Sandbox, seed: Seed) -> None:
        self.opts = opts
        self.sandbox = sandbox
        self.seed = seed
        self.started = time.monotonic()
        self.step_no = 0

    def step(self, title: str) -> None:
        self.step_no += 1
        console.out.rule(f"[bold]{self.step_no}. {title}", align="left")

    def ok(self, text: str) -> None:
        console.out.print(f"  [green]✓[/] {text}")

    def bad(self, text: str) -> None:
        console.out.print(f"  [red]✗[/] {text}")

    def init(self) -> None:
        from mcpauth_wizard.commands.init_command import run_init

        run_init(self.opts, {
            "new_pool": "demo-users", "tier": "ESSENTIALS", "domain": "demo-login",
            "gateway_id": self.seed.gateway_id, "platforms": ["chatgpt", "claude", "inspector"],
            "gateway_allowed_scopes": True, "passkeys": False,
        }, None, False, False)

    def sign_in(self) -> tuple[str | None, str]:
        """Sign the demo user in with Inspector's client; (access token, or None, and what happened)."""
        from mcpauth_wizard.core.project import load_project
        from mcpauth_wizard.oauth.signin import (
            ClientCredentials,
            authorization_request,
            callback_params,
            exchange_code,
        )
        from mcpauth_wizard.sandbox.form_signin import sign_in

        project = load_project()
        client = ClientCredentials(project.clients["inspector"])
        domain = self.sandbox.login.domain_url(project.domain or "")
        scope = " ".join(["openid", *(f"{project.resource_url}/{s}" for s in project.scopes)])
        request = authorization_request(f"{domain}/oauth2/authorize", client,
                                        "http://localhost:6274/oauth/callback", scope,
                                        resource=project.resource_url)
        params = callback_params(sign_in(request.url, self.seed.username, self.seed.password))
        if "error" in params:
            return None, f"the authorize endpoint answered error={params['error']}"
        if params.get("state") != request.state:
            return None, "state mismatch"
        tokens = exchange_code(f"{domain}/oauth2/token", client, request, params["code"])
        return tokens["access_token"], "signed in"

    def call_tools(self, token: str) -> None:
        from mcpauth_wizard.core.project import load_project
        from mcpauth_wizard.mcp.client import McpSession

        url = load_project().resource_url or ""
        with McpSession(url, None) as anonymous:
            answer = anonymous.initialize()
            challenge = answer.headers.get("www-authenticate", "")
            self.ok(f"without a token the gateway answers {answer.status}: {challenge[:90]}…")
        with McpSession(url, token) as session:
            session.initialize()
            tools = session.list_tools()
            names = [t["name"] for t in (tools.result or {}).get("tools", [])]
            self.ok(f"tools/list with the token: {', '.join(names)}")
            added = session.call_tool("add", {"a": 2, "b": 3})
            text = ((added.result or {}).get("content") or [{}])[0].get("text")
            self.ok(f"tools/call add(2, 3) = {text}")


def _doctor(demo: _Demo, *, login: bool) -> Any:
    """Run the doctor on the demo setup (with a real sign-in through the login form)."""
    from mcpauth_wizard.core.project import load_project
    from mcpauth_wizard.doctor.render import render
    from mcpauth_wizard.doctor.run import aws_access, make_target, run
    from mcpauth_wizard.sandbox.form_signin import sign_in

    def opener(url: str, deadline: float) -> None:
        import httpx

        httpx.get(sign_in(url, demo.seed.username, demo.seed.password), timeout=10)

    target = make_target(load_project(), url=None, platforms=None, client_id=None, secret_env=None,
                         pool_id=None, gateway_id=None, token_env=None,
                         login_platform="inspector" if login else None)
    aws, problem = aws_access(demo.opts, target)
    report = run(target, aws, problem, opener=opener if login else None)
    render(report, console.out)
    return report


def run_demo(opts: Options) -> None:
    require_sandbox_extra("demo")
    from mcpauth_wizard.aws import app_clients
    from mcpauth_wizard.core.project import load_project
    from mcpauth_wizard.core.redact import redact_jwt
    from mcpauth_wizard.sandbox.local import environment, working_folder
    from mcpauth_wizard.sandbox.server import Sandbox

    console.out.print("[bold]mcpauth demo[/] — Cognito sign-in for an MCP server, "
                      "end to end on 127.0.0.1 (no AWS account)\n")
    folder = tempfile.mkdtemp(prefix="mcpauth-demo-")  # kept: its mcpauth.toml is worth a look
    with Sandbox().start() as sandbox, environment(sandbox.aws_env()), working_folder(folder):
        seed = sandbox.seed(pool_name="seed-users")
        opts.endpoint_url, opts.region, opts.yes, opts.no_input = sandbox.endpoint_url, "us-east-1", True, True
        opts.allow_breaking = True  # the seeded gateway is AWS_IAM: the demo switches it to JWT
        demo = _Demo(opts, sandbox, seed)
        demo.ok(f"sandbox up: AWS endpoint {sandbox.endpoint_url}, login + gateway {sandbox.web_url}")

        demo.step("mcpauth init: pool, login domain, resource server, 3 clients, gateway authorizer")
        demo.init()
        project = load_project()
        sandbox.add_user(project.user_pool_id or "", seed.username, seed.password)
        demo.ok(f"demo user {seed.username} can sign in (sandbox: permanent password set)")

        demo.step("Sign in through the login page, like MCP Inspector (code + PKCE), and call a tool")
        token, _ = demo.sign_in()
        assert token, "the demo setup must allow sign-in"
        demo.ok(f"access token: {redact_jwt(token)[:60]}…<signature redacted>")
        demo.call_tools(token)

        demo.step("mcpauth doctor --login: walk the OAuth flow like a client, with a real sign-in")
        from mcpauth_wizard.oauth.redirects import add_urls

        urls = [f"http://localhost:{port}/callback" for port in DOCTOR_PORTS]
        app_clients.safe_update_client(  # the doctor listens on the first free one (two demos at once)
            opts.aws(), project.user_pool_id or "", project.clients["inspector"],
            lambda c: {**c, "CallbackURLs": list(add_urls(c.get("CallbackURLs") or [], urls).after)})
        demo.ok(f"registered the doctor's callbacks on ports {', '.join(map(str, DOCTOR_PORTS))} "
                "(`mcpauth add-callback doctor --port N`): it listens on the first free one")
        first = _doctor(demo, login=True)

        demo.step("Break it: remove the resource scope from Inspector's app client")
        full_scope = f"{project.resource_url}/invoke"
        removed = app_clients.safe_update_client(
            opts.aws(), project.user_pool_id or "", project.clients["inspector"],
            lambda c: {**c, "AllowedOAuthScopes": [s for s in c["AllowedOAuthScopes"] if s != full_scope]})
        demo.ok(f"removed {full_scope}" + (" (read back: every other setting kept)" if removed.verified else ""))
        token, what = demo.sign_in()
        demo.bad(f"sign-in now fails: {what}" if token is None else "sign-in still worked?")
        broken = _doctor(demo, login=False)

        demo.step("Repair: mcpauth doctor --fix (the same plan init would make), then re-check")
        from mcpauth_wizard.commands.init_command import apply_with_progress
        from mcpauth_wizard.doctor.fix import plan_fix

        aws = opts.aws()
        plan = plan_fix(aws, load_project(), broken)
        console.out.print(console.plan_view(plan, verbose=bool(opts.verbose)))
        apply_with_progress(opts, aws, plan, load_project(), quiet=False)
        fixed = _doctor(demo, login=True)
        token, what = demo.sign_in()
        if token:
            demo.call_tools(token)
        elapsed = time.monotonic() - demo.started
        ok = first.errors == 0 and fixed.errors == 0 and broken.errors > 0 and token is not None
        root = broken.roots[0].code if broken.roots else "none"
        if ok:
            console.out.print(f"\n[bold green]Demo finished in {elapsed:.1f}s.[/] The doctor named "
                              f"[bold]{root}[/] and --fix repaired it. Try it yourself: "
                              "`mcpauth sandbox up`, then `mcpauth init` against it.")
        else:  # a run that failed never says it succeeded
            what_failed = [text for failed, text in (
                (first.errors, f"the first doctor found {console.count(first.errors, 'error')}"),
                (not broken.errors, "the doctor did not find the broken scope"),
                (fixed.errors, f"after --fix the doctor still found {console.count(fixed.errors, 'error')}"),
                (token is None, f"the last sign-in failed ({what})")) if failed]
            console.out.print(f"\n[bold red]Demo failed after {elapsed:.1f}s:[/] {'; '.join(what_failed)}.")
        console.out.print(f"The demo's mcpauth.toml (what init recorded, no secrets) is in {folder}")
        if not ok:
            raise SystemExit(1)


SIGN_INS = 6
SPREAD = 0.1  # the share of requests another warm instance answers (see proxy_lab.front)


def _proxy_sign_ins(lab: Any, seed: Seed, demo: _Demo) -> int:
    """SIGN_INS sign-ins with the MCP SDK client, one after the other; how many failed."""
    import asyncio
    import logging

    from mcpauth_wizard.mcp.fastmcp_proxy import page_message
    from mcpauth_wizard.sandbox.proxy_lab import sdk_sign_in

    class LastError(logging.Handler):  # the SDK logs why its transport gave up
        message = ""

        def emit(self, record: logging.LogRecord) -> None:
            cause = record.exc_info[1] if record.exc_info else None
            self.message = _innermost(cause) if cause else record.getMessage()

    sdk_log, caught = logging.getLogger("mcp"), LastError()
    sdk_log.addHandler(caught)
    sdk_log.propagate = False
    failed = 0
    try:
        for number in range(1, SIGN_INS + 1):
            caught.message = ""
            try:
                text = asyncio.run(sdk_sign_in(lab.mcp_url, seed.username, seed.password,
                                               arguments={"text": f"sign-in {number}"}))
                demo.ok(f"sign-in {number}: signed in, echo → {text!r}")
            except Exception as exc:  # noqa: BLE001 - an MCP client's failure, whatever its kind
                failed += 1
                demo.bad(f"sign-in {number}: {page_message(caught.message or _innermost(exc), 110)}")
    finally:
        sdk_log.removeHandler(caught)
        sdk_log.propagate = True
    return failed


def _innermost(exc: BaseException) -> str:
    """The message of the first real error inside (anyio wraps them in exception groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return str(exc) or type(exc).__name__


def _proxy_doctor(lab: Any) -> Any:
    from mcpauth_wizard.doctor.context import Target
    from mcpauth_wizard.doctor.render import render
    from mcpauth_wizard.doctor.run import run

    report = run(Target(url=lab.mcp_url, platforms=()), None, None)
    render(report, console.out)
    return report


def run_proxy_demo(opts: Options) -> None:
    """FastMCP's OAuth proxy on "Lambda" (two instances): sign-ins fail now and then with the
    default storage, the doctor names it, the scaffold's DynamoDB store fixes it."""
    from mcpauth_wizard.sandbox.local import environment
    from mcpauth_wizard.sandbox.proxy_lab import ProxyLab
    from mcpauth_wizard.sandbox.server import Sandbox

    console.out.print("[bold]mcpauth demo --proxy[/] — FastMCP's OAuth proxy on Lambda, in front of "
                      "Cognito, on 127.0.0.1 (no AWS account)\n")
    with Sandbox().start() as sandbox, tempfile.TemporaryDirectory() as folder, \
            environment(sandbox.aws_env()):
        seed = sandbox.seed(pool_name="proxy-users")
        demo = _Demo(opts, sandbox, seed)
        demo.step("The popular recipe: `mcpauth scaffold fastmcp-lambda` with FastMCP's default "
                  "storage, two warm Lambda instances")
        status = console.err.status("starting the instances…")
        status.start()

        def waiting(what: str, remaining: float) -> None:
            status.update(f"waiting for {what} (deadline in {remaining:.0f}s)")

        lab = ProxyLab(sandbox, Path(folder) / "server", storage="default", pool_id=seed.pool_id,
                       spread=SPREAD, then="dynamodb", on_wait=waiting)  # step 4's start now too
        try:
            lab.start()
        finally:
            status.stop()
        try:
            demo.ok(f"MCP URL {lab.mcp_url}; instances {', '.join(lab.instance_urls)}; Cognito "
                    f"app client {lab.setup.client_id} (callback {lab.base_url}/auth/callback)")
            demo.ok(f"each instance serves one request at a time; {int(SPREAD * 100)}% of "
                    "requests find the first one busy (other users) and go to the other")
            demo.step(f"{SIGN_INS} sign-ins with the official MCP SDK client (register, consent, "
                      "Cognito login, token, tools/call)")
            before = _proxy_sign_ins(lab, seed, demo)
            demo.step("mcpauth doctor: the state probe (8 authorizations at once, bogus codes, "
                      "no password)")
            broken = _proxy_doctor(lab)
            demo.step("Redeploy with the scaffold's DynamoDB store (oauth_state.py)")
            status.start()
            try:
                lab.use_storage("dynamodb")
            finally:
                status.stop()
            demo.ok(f"new instances {', '.join(lab.instance_urls)}, state in DynamoDB table "
                    "oauth-state (sandbox)")
            demo.step(f"The same {SIGN_INS} sign-ins")
            after = _proxy_sign_ins(lab, seed, demo)
            demo.step("mcpauth doctor again")
            fixed = _proxy_doctor(lab)
        finally:
            lab.stop()
        elapsed = time.monotonic() - demo.started
        root = broken.roots[0].code if broken.roots else "nothing"
        console.out.print(f"\n[bold green]Demo finished in {elapsed:.1f}s.[/] Default storage: "
                          f"[bold]{before} of {SIGN_INS}[/] sign-ins failed; the doctor named "
                          f"[bold]{root}[/]; with the DynamoDB store {after} of {SIGN_INS} failed "
                          f"and the doctor found {console.count(fixed.errors, 'error')}.")
        if not (before > 0 and root == "PROXY_STATE_NOT_SHARED" and after == 0 and fixed.errors == 0):
            raise SystemExit(1)


__all__: list[Any] = ["run_demo", "run_proxy_demo", "sandbox_up"]
