"""`mcpauth doctor`: glue between flags, the doctor run, its renderer and --fix."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import click

from mcpauth_wizard.core import console

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options


def _opener(no_browser: bool) -> Any:
    def open_url(url: str, deadline: float) -> None:
        console.err.print(f"Sign in here (the doctor listens until {time.strftime('%H:%M:%S', time.localtime(time.time() + deadline - time.monotonic()))}):")
        console.err.print(url, soft_wrap=True, markup=False)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    return open_url


def _ask_step() -> str:
    """--step: Enter runs the next step, c runs the rest, q stops (Ctrl-C stops at once)."""
    console.err.print("  [dim]Enter: run it · c: run the rest · q: stop[/] ", end="")
    while True:
        key = click.getchar()  # Ctrl-C raises KeyboardInterrupt here
        if key in ("\r", "\n"):
            console.err.print()
            return "next"
        if key.lower() in ("c", "q"):
            console.err.print(key.lower())
            return "all" if key.lower() == "c" else "stop"


def run_doctor(opts: Options, *, url: str | None, platforms: str | None, client_id: str | None,
               client_secret_env: str | None, pool_id: str | None, gateway_id: str | None,
               login: bool, login_platform: str | None, token_env: str | None, step: bool,
               as_json: bool, fix: bool, no_browser: bool, issuer: str | None = None,
               no_state_probe: bool = False, state_probes: int = 8,
               probe_registration: bool = False, call_tool: str | None = None,
               client_metadata_url: str | None = None) -> None:
    from mcpauth_wizard.doctor import render
    from mcpauth_wizard.doctor.run import aws_access, make_target
    from mcpauth_wizard.doctor.run import run as run_checks

    project = opts.project()
    target = make_target(project, url=url, platforms=platforms, client_id=client_id,
                         secret_env=client_secret_env, pool_id=pool_id, gateway_id=gateway_id,
                         token_env=token_env, issuer=issuer, call_tool=call_tool,
                         client_metadata_url=client_metadata_url,
                         login_platform=(login_platform or "") if login or login_platform else None,
                         state_probes=0 if no_state_probe else state_probes)
    target.probe_registration = probe_registration
    aws, problem = aws_access(opts, target)
    pause = None
    if step and opts.interactive and not as_json:
        async def pause(next_step: Any, ctx: Any) -> str:
            import asyncio

            render.preview_step(next_step, ctx, console.err)
            return await asyncio.to_thread(_ask_step)

    opener = _opener(no_browser) if target.login_platform else None
    checklist = None if as_json else render.Checklist(
        console.out, live=pause is None and opener is None, verbose=bool(opts.verbose))
    if checklist:
        console.out.print(f"[bold]mcpauth doctor[/] {render.escape(target.url)}", soft_wrap=True)
    try:
        report = run_checks(target, aws, problem, pause=pause, opener=opener, progress=checklist)
    finally:
        if checklist:
            checklist.close()
    if not as_json:
        render.render(report, console.out, verbose=bool(opts.verbose), steps_shown=True)
    if fix and report.errors:  # the first report, then the plan, then the checks again
        if as_json:
            render.render(report, console.err, verbose=bool(opts.verbose))
        report = _fix(opts, aws, project, report, as_json) or report
    if as_json:
        sys.stdout.write(render.as_json(report) + "\n")
    if report.errors:
        raise click.exceptions.Exit(1)


def _fix(opts: Options, aws: Any, project: Any, report: Any, as_json: bool) -> Any:
    """Show the plan that fixes what was found, apply it after a yes, and check again."""
    from mcpauth_wizard.commands.init_command import apply_with_progress, consent
    from mcpauth_wizard.core.project import save_project
    from mcpauth_wizard.doctor import render
    from mcpauth_wizard.doctor.fix import fixable, plan_fix
    from mcpauth_wizard.doctor.run import run as run_checks

    say = console.err if as_json else console.out  # stdout stays JSON with --json
    codes = fixable(report)
    if not codes:
        say.print("Nothing --fix can change: see the root cause above.")
        return None
    if aws is None:
        console.warn("--fix needs AWS access")
        return None
    from mcpauth_wizard.core.files import check_writable, refuse_special
    from mcpauth_wizard.core.project import project_path

    refuse_special(project_path(), "the project file")  # it records what --fix changes
    check_writable(project_path().parent, "mcpauth doctor --fix")
    plan = plan_fix(aws, project, report)
    if not plan.changes:
        say.print("--fix found nothing to change in AWS for " + ", ".join(codes))
        return None
    say.print(console.plan_view(plan, verbose=bool(opts.verbose)))
    if not consent(opts, plan, f"Apply {console.count(len(plan.changes), 'change')} to fix {', '.join(codes)}?"):
        if not plan.breaking:  # consent() said why for a breaking plan
            console.err.print("Nothing changed (pass --yes to apply without a prompt).")
        return None
    outcome = apply_with_progress(opts, aws, plan, project, quiet=as_json)
    save_project(outcome.project)
    for note in outcome.notes:
        console.warn(note)
    say.print("Re-running the doctor…")
    after = run_checks(report.target, aws, None)
    if not as_json:
        render.render(after, console.out, verbose=bool(opts.verbose))
    return after
